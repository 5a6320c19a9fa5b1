"""gradlab.numpy follows numpy's signatures: a student's numpy call works unchanged.

For every public function of gradlab.numpy that numpy also has (and whose signature numpy
exposes), gradlab's parameters must be numpy's, in numpy's order: positional parameters are
a prefix of numpy's (same names, except where numpy's are positional-only), and keyword-only
ones are keywords numpy takes. gradlab may leave out numpy's trailing parameters (out=,
dtype=, where=, ...), never rename or reorder them.
"""

from __future__ import annotations

import inspect

import numpy as np
import pytest

import gradlab.numpy as gnp

POSITIONAL = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)


def _signature(f):
    try:
        return inspect.signature(f)
    except (TypeError, ValueError):
        return None


def _shared_functions():
    names = []
    for name in sorted(vars(gnp)):
        ours, theirs = getattr(gnp, name), getattr(np, name, None)
        if name.startswith("_") or not callable(ours) or not callable(theirs):
            continue
        if isinstance(ours, type) or ours is theirs:
            continue  # a numpy type or numpy's own function, re-exported as is
        if _signature(theirs) is not None:
            names.append(name)
    return names


SHARED = _shared_functions()


def signature_problems(ours, theirs):
    """What differs between gradlab's and numpy's signature, as a list of sentences."""
    problems = []
    theirs_params = list(theirs.parameters.values())
    keywords = {p.name for p in theirs_params if p.kind in (
        inspect.Parameter.POSITIONAL_OR_KEYWORD, inspect.Parameter.KEYWORD_ONLY)}
    takes_kwargs = any(p.kind == inspect.Parameter.VAR_KEYWORD for p in theirs_params)
    for i, p in enumerate(ours.parameters.values()):
        if p.kind in POSITIONAL:
            if i >= len(theirs_params) or theirs_params[i].kind not in POSITIONAL:
                problems.append(f"positional parameter {p.name!r} (position {i}) is not "
                                "positional in numpy")
            elif (theirs_params[i].kind != inspect.Parameter.POSITIONAL_ONLY
                  and p.name != theirs_params[i].name):
                problems.append(f"parameter {i} is {p.name!r}, numpy's is "
                                f"{theirs_params[i].name!r}")
        elif p.kind == inspect.Parameter.VAR_POSITIONAL:
            if i >= len(theirs_params) or theirs_params[i].kind != p.kind:
                problems.append(f"*{p.name} where numpy has none")
        elif p.kind == inspect.Parameter.KEYWORD_ONLY:
            if p.name not in keywords and not takes_kwargs:
                problems.append(f"keyword {p.name!r} is not one of numpy's")
        elif not takes_kwargs:
            problems.append(f"**{p.name} where numpy takes no **kwargs")
    return problems


def test_many_functions_are_compared():
    assert len(SHARED) > 100, SHARED


@pytest.mark.parametrize("name", SHARED)
def test_signature_follows_numpy(name):
    ours = _signature(getattr(gnp, name))
    assert ours is not None, f"gnp.{name} has no introspectable signature"
    problems = signature_problems(ours, _signature(getattr(np, name)))
    assert not problems, f"gnp.{name}{ours} vs numpy.{name}{_signature(getattr(np, name))}: " \
                         + "; ".join(problems)


def test_the_checker_catches_a_renamed_parameter():
    def swapaxes(x, a, b):  # the old gnp.swapaxes
        pass
    assert signature_problems(inspect.signature(swapaxes), inspect.signature(np.swapaxes))


def test_numpy_keyword_names_work():
    x = np.arange(24.0).reshape(2, 3, 4)
    assert gnp.swapaxes(x, axis1=0, axis2=2).shape == (4, 3, 2)
    assert gnp.diagonal(x, offset=0, axis1=1, axis2=2).shape == (2, 3)
    assert gnp.linspace(0.0, 1.0, num=3, endpoint=False).tolist() == [0.0, 1 / 3, 2 / 3]
    assert gnp.mean(x, axis=0, keepdims=True).shape == (1, 3, 4)
