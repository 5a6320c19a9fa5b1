"""docs/numpy_support.md is what docs/make_numpy_support.py writes from gradlab.numpy."""

from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def _generator():
    spec = importlib.util.spec_from_file_location("make_numpy_support",
                                                  ROOT / "docs" / "make_numpy_support.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_committed_page_is_up_to_date():
    gen = _generator()
    assert (ROOT / "docs" / "numpy_support.md").read_text() == gen.render(), (
        "docs/numpy_support.md is stale: run python docs/make_numpy_support.py")


def test_page_lists_the_primitives_and_the_omissions():
    kinds = _generator().classify()
    primitives = {name for name, _ in kinds["primitive"]}
    assert {"sin", "matmul", "prod", "cumsum", "hypot"} <= primitives
    assert {"flip", "linspace", "array", "var", "einsum"} <= {n for n, _ in kinds["composition"]}
    assert "fft" in {n for n, _ in kinds["not supported"]}


def test_readme_links_the_page():
    assert "docs/numpy_support.md" in (ROOT / "README.md").read_text()
