"""Exercise 1 checks: JVP and VJP rules for a new primitive (softplus or arctan).

The references are written here (gradlab.numpy ships neither function on purpose). A rule is
called as rule(t, ans, x) (JVP: tangent in) or rule(g, ans, x) (VJP: cotangent in), exactly as
gradlab's engines call it (`gradlab.ad.core.Primitive`).
"""

from __future__ import annotations

import numpy as np

from ..ad import numpy as gnp
from ..ad.core import Primitive
from ..ad.forward_mode import jvp as _jvp
from ..ad.reverse_mode import vjp as _vjp
from ..ad.testing import check_grads
from ..ad.transforms import grad as _grad
from ..errors import GradientCheckError, UnsupportedOperationError
from .runner import (
    Failed,
    NotDone,
    as_array,
    call,
    close,
    describe,
    fmt,
    not_done_reason,
    outcome_or_raise,
    run_check,
)


def _sigmoid(x):
    return 0.5 * (np.tanh(0.5 * x) + 1.0)


# value, derivative, second derivative, a gnp version of the value (for traced inputs), and
# wrong derivatives students write, each with the hint it deserves.
FUNCTIONS = {
    "softplus": {
        "value": lambda x: np.logaddexp(0.0, x),
        "deriv": _sigmoid,
        "deriv2": lambda x: _sigmoid(x) * (1.0 - _sigmoid(x)),
        "gnp_value": lambda x: gnp.log1p(gnp.exp(x)),
        "formula": "softplus′(x) = eˣ/(1 + eˣ) = σ(x) (the sigmoid)",
        "nan_hint": "for large x, eˣ overflows to inf and inf/inf is NaN. Write the derivative "
                    "as gnp.sigmoid(x) (it never overflows) or 1/(1 + e^(−x))",
        "wrong": [
            ("minus-sign", lambda x: _sigmoid(-x),
             "you used σ(−x) = 1/(1 + eˣ); the derivative of log(1 + eˣ) is eˣ/(1 + eˣ) = σ(x)"),
            ("derivative-of-exp", np.exp,
             "you used eˣ, the derivative of exp; by the chain rule the derivative of "
             "log(1 + eˣ) is eˣ/(1 + eˣ)"),
            ("value-not-derivative", lambda x: np.logaddexp(0.0, x),
             "you multiplied by softplus(x) itself, not by its derivative σ(x)"),
            ("derivative-of-log", lambda x: 1.0 / (1.0 + np.exp(np.minimum(x, 700))),
             "you used 1/(1 + eˣ) (the derivative of log, forgetting the chain rule's eˣ); "
             "the derivative is eˣ/(1 + eˣ)"),
        ],
        "x_cases": [("a scalar", np.array(0.7)), ("a vector", np.array([-2.0, -0.5, 0.0, 1.5])),
                    ("a matrix", np.array([[0.3, -1.2, 2.0], [4.0, -3.0, 0.1]])),
                    ("large |x| (overflow trap)", np.array([-800.0, -40.0, 40.0, 800.0]))],
    },
    "arctan": {
        "value": np.arctan,
        "deriv": lambda x: 1.0 / (1.0 + x * x),
        "deriv2": lambda x: -2.0 * x / (1.0 + x * x) ** 2,
        "gnp_value": None,  # checked through the student's own registered primitive
        "formula": "arctan′(x) = 1/(1 + x²)",
        "nan_hint": "compute 1/(1 + x²) directly; it is finite for every x",
        "wrong": [
            ("square-of-sum", lambda x: 1.0 / (1.0 + x) ** 2,
             "you used 1/(1 + x)²; the derivative is 1/(1 + x²) (square x, not 1 + x)"),
            ("inverted", lambda x: 1.0 + x * x,
             "you used 1 + x²; the derivative is its reciprocal, 1/(1 + x²)"),
            ("minus-sign", lambda x: 1.0 / (1.0 - x * x),
             "you used 1/(1 − x²); the derivative of arctan is 1/(1 + x²)"),
            ("value-not-derivative", np.arctan,
             "you multiplied by arctan(x) itself, not by its derivative 1/(1 + x²)"),
            ("derivative-of-tan", lambda x: 1.0 + np.tan(x) ** 2,
             "you used 1 + tan²(x), the derivative of tan; arctan′(x) = 1/(1 + x²)"),
        ],
        "x_cases": [("a scalar", np.array(0.7)), ("a vector", np.array([-2.0, -0.5, 0.0, 1.5])),
                    ("a matrix", np.array([[0.3, -1.2, 2.0], [4.0, -3.0, 0.1]])),
                    ("large |x|", np.array([-1e3, -40.0, 40.0, 1e3]))],
    },
}


def _spec(function):
    try:
        return FUNCTIONS[function]
    except KeyError:
        raise ValueError(f"function must be one of {sorted(FUNCTIONS)}, got {function!r}") from None


def _cases(spec, seed):
    cases = list(spec["x_cases"])
    if seed is not None:
        rng = np.random.default_rng(seed)
        for k in range(3):
            shape = tuple(rng.integers(1, 5, size=rng.integers(0, 3)))
            cases.append((f"random {k + 1}", rng.normal(0.0, 2.0, shape)))
    return cases


def _diagnose_rule(got, x, t, ans, spec, tangent_name):
    """A sentence naming the mistake, if the wrong result matches a known one."""
    if close(got, spec["deriv"](x), rtol=1e-6) and not close(t, np.ones_like(t)):
        return "forgot-tangent", (f"you returned the derivative itself: multiply it by the "
                                  f"incoming {tangent_name} (the chain rule)")
    if close(got, t * spec["deriv"](ans), rtol=1e-6):
        return "used-ans", ("you evaluated the derivative at `ans` (the output); evaluate it at "
                            "the input x")
    if close(got, t, rtol=1e-6):
        return "tangent-only", (f"you returned the {tangent_name} unchanged: multiply it by the "
                                "derivative at x")
    for name, wrong, hint in spec["wrong"]:
        if close(got, t * wrong(x), rtol=1e-6):
            return name, hint
    return None, None


def _check_rule(rule, function, label, tangent_name, seed, timeout):
    reason = not_done_reason(rule, label)
    if reason:
        raise NotDone(reason)
    spec = _spec(function)
    rng = np.random.default_rng(1 if seed is None else seed)
    for case, x in _cases(spec, seed):
        t = rng.normal(size=np.shape(x)) + 1.5  # never all ones
        ans = spec["value"](x)
        expected = t * spec["deriv"](x)
        got = outcome_or_raise(call(rule, t, ans, x, timeout=timeout), label, case)
        got_shape = np.shape(got) if isinstance(got, np.ndarray | float | int | np.number) else None
        if got_shape is not None and got_shape != expected.shape:
            hint = ""
            if got_shape == ():
                hint = ("\n  hint: the rule is elementwise — multiply arrays with `*`; do not sum "
                        "or use `@`/np.dot.")
            raise Failed(f"case '{case}' (x of shape {x.shape}): the result must have the shape "
                         f"of x.\n  expected: shape {expected.shape}\n  got: shape {got_shape}"
                         f"{hint}", mistake="wrong-shape", case=case)
        try:
            got = as_array(got, label, case, expected.shape)
        except Failed as exc:
            if exc.mistake == "nan":
                exc.message += (f"\n  at x = {fmt(x)}\n  hint: {spec['nan_hint']}")
                exc.mistake = "overflow"
            raise
        if not close(got, expected, rtol=1e-6, atol=1e-12):
            mistake, hint = _diagnose_rule(got, x, t, ans, spec, tangent_name)
            head = (f"case '{case}': wrong values.\n  x = {fmt(x)}\n  {tangent_name} = {fmt(t)}\n"
                    f"  expected {tangent_name} · {spec['formula'].split(' = ')[0]}: "
                    f"{fmt(expected)}\n  got: {fmt(got)}")
            if hint is None:
                hint = f"the rule should return {tangent_name} times {spec['formula']}"
            raise Failed(f"{head}\n  hint: {hint}.", mistake=mistake, case=case)
    # Second derivatives call the rule on traced values: it must be built from gnp functions.
    x0 = np.array([-1.0, 0.3, 2.0])
    t0 = np.array([0.5, -1.0, 2.0])

    def through_rule(x):
        # arctan: gnp has no arctan, so ans is passed as a constant (only x is traced)
        ans = spec["gnp_value"](x) if spec["gnp_value"] is not None else spec["value"](x0)
        return gnp.sum(rule(t0, ans, x))

    out = call(lambda: _grad(through_rule)(x0), timeout=timeout)
    if out.error is not None:
        if isinstance(out.error, UnsupportedOperationError):
            raise Failed("case 'second derivative': your rule works on plain arrays but not on "
                         f"traced values:\n    {out.error}\n  hint: second derivatives (and "
                         "check_grads with order=2) run the rule itself through gradlab; write "
                         "it with gnp functions (gnp.exp, gnp.sigmoid, ...) rather than np.",
                         mistake="numpy-in-rule", case="second derivative")
        raise Failed(f"case 'second derivative': differentiating your rule raised "
                     f"{type(out.error).__name__}: {out.error}", mistake="exception",
                     case="second derivative")
    if out.timed_out:
        raise Failed("case 'second derivative': differentiating your rule did not finish in time.",
                     mistake="timeout", case="second derivative")
    if spec["gnp_value"] is not None and not close(out.value, t0 * spec["deriv2"](x0),
                                                   rtol=1e-5, atol=1e-9):
        raise Failed("case 'second derivative': the derivative of your rule is wrong "
                     f"(expected {fmt(t0 * spec['deriv2'](x0))}, got {fmt(out.value)}).\n  hint: "
                     "write the rule from traced operations only (no float(), no .value).",
                     mistake="second-derivative", case="second derivative")
    n = len(_cases(spec, seed)) + 1
    return f"passed all {n} cases ({tangent_name} · {spec['formula']})."


def jvp_rule(rule, function="softplus", *, seed=None, quiet=False, timeout=10.0):
    """Check a JVP rule rule(t, ans, x) -> tangent of the output, for `function`."""
    return run_check(f"JVP rule of {function}", _check_rule, rule, function,
                     f"{function}_jvp", "tangent t", seed, timeout, quiet=quiet)


def vjp_rule(rule, function="softplus", *, seed=None, quiet=False, timeout=10.0):
    """Check a VJP rule rule(g, ans, x) -> cotangent of x, for `function`."""
    return run_check(f"VJP rule of {function}", _check_rule, rule, function,
                     f"{function}_vjp", "cotangent g", seed, timeout, quiet=quiet)


def _check_primitive(prim, function, seed, timeout):
    label = function
    reason = not_done_reason(prim, label)
    if reason:
        raise NotDone(reason)
    spec = _spec(function)
    if not isinstance(prim, Primitive):
        raise Failed(f"`{label}` is {describe(prim)}, not a gradlab primitive, so gradlab cannot "
                     "see its rules.\n  hint: register it with gradlab.primitive(value_function, "
                     "jvp=(your_jvp,), vjp=(your_vjp,)).", mistake="not-a-primitive",
                     case="registration")
    for mode, rules, name in (("forward", prim.jvp_rules, "jvp"),
                              ("reverse", prim.vjp_rules, "vjp")):
        if callable(rules):
            raise Failed(f"the {name} rules were given as a single function, not a tuple: gradlab "
                         "reads a bare function as 'the rule for argument number i'.\n  hint: "
                         f"write {name}=(your_{name}_rule,) — the trailing comma makes a tuple.",
                         mistake="rules-not-tuple", case="registration")
        if not rules or rules[0] is None:
            raise Failed(f"`{label}` has no {name.upper()} rule, so {mode} mode cannot "
                         f"differentiate it.\n  hint: gradlab.primitive(f, jvp=(...,), "
                         f"vjp=(...,)), or gradlab.def{name}({label}, your_{name}_rule).",
                         mistake=f"missing-{name}", case="registration")
        if any(r is None or r is Ellipsis for r in rules):
            raise NotDone(f"one of the {name.upper()} rules of `{label}` is still a placeholder.")
    x = np.array([-1.5, -0.2, 0.4, 2.5])
    out = call(prim, x, timeout=timeout)
    value = as_array(outcome_or_raise(out, label, "value"), label, "value", x.shape)
    if not close(value, spec["value"](x)):
        raise Failed(f"case 'value': {label}(x) is wrong.\n  x = {fmt(x)}\n  expected: "
                     f"{fmt(spec['value'](x))}\n  got: {fmt(value)}", mistake="wrong-value",
                     case="value")
    rng = np.random.default_rng(0 if seed is None else seed)
    shapes = [(4,), (2, 3)] + ([tuple(rng.integers(1, 4, 2))] if seed is not None else [])
    for shape in shapes:
        x = rng.normal(0.0, 1.5, shape)
        w = rng.normal(size=shape)

        def f(x, w=w):
            return gnp.sum(w * prim(x))

        case = f"gradients on shape {shape}"
        expected = w * spec["deriv"](x)
        for name, run in (("forward mode (gradlab.jvp)",
                           lambda x=x, f=f: _jvp(f, (x,), (np.ones_like(x),))[1]),
                          ("reverse mode (gradlab.vjp)",
                           lambda x=x, f=f: _vjp(f, x)[1](1.0)[0])):
            got = outcome_or_raise(call(run, timeout=timeout), f"{name} through {label}", case)
            if name.startswith("forward"):
                expected_here, got_here = np.sum(expected), got
            else:
                expected_here, got_here = expected, got
            got_here = as_array(got_here, f"{name} through {label}", case, np.shape(expected_here))
            if not close(got_here, expected_here, rtol=1e-6, atol=1e-10):
                raise Failed(f"case '{case}': {name} gives the wrong derivative.\n  expected: "
                             f"{fmt(expected_here)}\n  got: {fmt(got_here)}\n  hint: run the "
                             f"jvp_rule/vjp_rule checks; the primitive may use other rules than "
                             "the ones you checked.", mistake="wrong-rule", case=case)
        out = call(check_grads, lambda x: prim(x) ** 2, (x,), timeout=timeout)
        if out.error is not None and isinstance(out.error, GradientCheckError):
            raise Failed(f"case '{case}': check_grads (to second order) failed:\n{out.error}",
                         mistake="check-grads", case=case)
        outcome_or_raise(out, f"check_grads through {label}", case)
    return "registered through gradlab.primitive; forward and reverse mode and check_grads agree."


def primitive(prim, function="softplus", *, seed=None, quiet=False, timeout=20.0):
    """Check a registered primitive: its value, both modes, and check_grads to second order."""
    return run_check(f"primitive {function}", _check_primitive, prim, function, seed, timeout,
                     quiet=quiet)
