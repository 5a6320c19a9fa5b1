"""The one-way arrows of docs/architecture.md, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gradlab"
AD_CORE = {"core", "numpy", "forward_mode", "reverse_mode", "transforms", "tree", "inputs",
           "errors", "testing"}


def layer(module):
    """The layer of a dotted module name inside gradlab ('gradlab.plots.cost' -> 'plots')."""
    parts = module.split(".")[1:]
    if not parts:  # gradlab/__init__.py exports the AD API only
        return "ad"
    if parts[0] == "__main__":
        return "cli"
    if parts[0] in ("plots", "widgets", "experiments", "exercises", "cli"):
        return parts[0]
    return "ad" if parts[0] in AD_CORE else "methods"


def gradlab_imports(path):
    """Every gradlab module imported by the file at `path`, as absolute dotted names."""
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    here = list(rel.parts)
    package = here[:-1]  # the package the file is in (for relative imports)
    found = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.split(".")[0] == "gradlab"}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package[:len(package) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.split(".")[0] != "gradlab":
                continue
            found.add(mod)
            found |= {f"{mod}.{a.name}" for a in node.names
                      if (PACKAGE.parent / (mod.replace(".", "/") + f"/{a.name}.py")).exists()}
    return found


FILES = sorted(p for p in PACKAGE.rglob("*.py") if "__pycache__" not in p.parts)
ALLOWED = {  # layer -> layers it may import
    "ad": {"ad"},
    "methods": {"ad", "methods"},
    "plots": {"ad", "methods", "plots"},
    "widgets": {"ad", "methods", "plots", "widgets", "experiments"},
    "experiments": {"ad", "methods", "plots", "experiments"},
    "exercises": {"ad", "methods", "exercises"},
    "cli": {"ad", "methods", "experiments", "cli"},
}


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_one_way(path):
    module = ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    module = module.removesuffix(".__init__")
    own = layer(module)
    for imported in gradlab_imports(path):
        other = layer(imported)
        assert other in ALLOWED[own], (
            f"{module} ({own}) imports {imported} ({other}); {own} may import only "
            f"{sorted(ALLOWED[own])} (see docs/architecture.md)")
        assert other != "cli" or own == "cli", f"{module} imports the CLI"


def test_import_gradlab_loads_no_plotting_or_widgets():
    import subprocess
    import sys

    code = ("import sys, gradlab; bad = [m for m in ('matplotlib', 'ipywidgets', 'autograd') "
            "if m in sys.modules]; print(','.join(bad))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import gradlab loads {out.stdout.strip()}"
