"""The one-way arrows of docs/architecture.md, checked on the source: who may import whom."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "gradlab"
# The package's face: gradlab/__init__.py, __main__, cli, errors. Everything else is a subpackage.
FACE = {"__init__.py", "__main__.py", "cli.py", "errors.py"}


def layer(module):
    """The layer of a dotted module name inside gradlab ('gradlab.plots.cost' -> 'plots')."""
    parts = module.split(".")[1:]
    if not parts or parts[0] in ("numpy", "testing"):  # the face: the AD API and its aliases
        return "ad"
    if parts[0] == "errors":
        return "errors"
    if parts[0] in ("__main__", "cli"):
        return "cli"
    return parts[0]


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
# The layers of docs/architecture.md, bottom up: each may import only the layers listed.
ALLOWED = {  # layer -> layers it may import
    "errors": {"errors"},
    "ad": {"errors", "ad"},
    "models": {"errors", "ad", "models"},
    "estimators": {"errors", "ad", "models", "estimators"},
    "methods": {"errors", "ad", "models", "estimators", "methods"},
    "plots": {"errors", "ad", "models", "estimators", "methods", "plots"},
    "widgets": {"errors", "ad", "models", "estimators", "methods", "plots", "experiments",
                "widgets"},
    "experiments": {"errors", "ad", "models", "estimators", "methods", "plots", "experiments"},
    "exercises": {"errors", "ad", "models", "estimators", "methods", "exercises"},
    "cli": {"errors", "ad", "experiments", "cli"},
}


def test_top_level_is_only_the_face():
    top = {p.name for p in PACKAGE.glob("*.py")}
    assert top == FACE, f"gradlab/ top level should hold only {sorted(FACE)}, found {sorted(top)}"
    packages = {p.name for p in PACKAGE.iterdir() if (p / "__init__.py").exists()}
    assert set(ALLOWED) - {"errors", "cli"} == packages


def module_name(path):
    return ".".join(path.relative_to(PACKAGE.parent).with_suffix("").parts).removesuffix(
        ".__init__")


def test_no_import_cycles():
    """Module-level and lazy imports alike: no module reaches itself through its imports."""
    names = {module_name(p): p for p in FILES}
    edges = {m: {i for i in gradlab_imports(p) if i in names and i != m
                 and not m.startswith(i + ".")}  # a submodule importing its package is fine
             for m, p in names.items()}
    done, stack = set(), []

    def visit(m):
        if m in stack:
            cycle = stack[stack.index(m):] + [m]
            raise AssertionError("import cycle: " + " -> ".join(cycle))
        if m in done:
            return
        stack.append(m)
        for n in sorted(edges[m]):
            visit(n)
        stack.pop()
        done.add(m)

    for m in sorted(edges):
        visit(m)


@pytest.mark.parametrize("path", FILES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_point_one_way(path):
    module = module_name(path)
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


def test_architecture_doc_names_every_core_module():
    """docs/architecture.md stays true: every module of ad/, models/, estimators/, methods/."""
    doc = (PACKAGE.parent / "docs" / "architecture.md").read_text()
    missing = [f"{p.parent.name}/{p.name}" for p in FILES
               if p.parent.name in ("ad", "models", "estimators", "methods")
               and p.name != "__init__.py" and f"`{p.name}`" not in doc]
    assert not missing, f"docs/architecture.md does not mention {missing}"


def test_readme_where_is_table_points_at_files_that_exist():
    import re

    readme = (PACKAGE.parent / "README.md").read_text()
    table = readme[readme.index("### Where is"):]
    table = table[:table.index("\n## ")]
    paths = re.findall(r"\]\((gradlab/[\w/.]+)\)", table)
    assert len(paths) >= 10
    missing = [p for p in paths if not (PACKAGE.parent / p).exists()]
    assert not missing, f"README's 'Where is …?' table points at missing files: {missing}"
    topics = re.findall(r"`(\w+)`", table[table.index("a notebook's figures"):].split("\n")[0])
    for t in topics:
        assert (PACKAGE / "plots" / f"{t}.py").exists(), f"no gradlab/plots/{t}.py"
