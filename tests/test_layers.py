"""The package's three layers: imports run one way only, tools → studies → library.

The method library is the package's top level (``sigah.*`` outside the two sub-packages below),
the studies are :mod:`sigah.studies`, the book's tooling is :mod:`sigah.tools`. A module may import
its own layer and the layers below it, never one above, whether at the top of the file, inside a
function, or by name through :mod:`importlib`.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[1] / "sigah"
LAYERS = {"library": 0, "studies": 1, "tools": 2}


def layer_of(module: str) -> str:
    """The layer of a dotted module name inside ``sigah``."""
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("studies", "tools"):
        return parts[1]
    return "library"


def module_name(path: Path) -> str:
    rel = path.relative_to(PACKAGE.parent).with_suffix("")
    parts = list(rel.parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imported_modules(path: Path) -> set[str]:
    """Every ``sigah`` module a file imports: statements anywhere, and dotted names in strings
    (``importlib.import_module("sigah.x")``, ``"sigah.x:Class"`` registries)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Constant) and isinstance(node.value, str):
            found.update(re.findall(r"^(sigah(?:\.\w+)+)(?::\w+)?$", node.value))
    return {name for name in found if name == "sigah" or name.startswith("sigah.")}


SOURCES = sorted(PACKAGE.rglob("*.py"))


def test_the_three_layers_exist():
    layers = {layer_of(module_name(path)) for path in SOURCES}
    assert layers == set(LAYERS)
    assert (PACKAGE / "studies" / "__init__.py").is_file() and (PACKAGE / "tools" / "__init__.py").is_file()


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PACKAGE.parent)))
def test_imports_run_one_way(path):
    own = layer_of(module_name(path))
    upward = sorted(
        name for name in imported_modules(path) if LAYERS[layer_of(name)] > LAYERS[own]
    )
    assert not upward, f"{module_name(path)} ({own}) imports from a layer above it: {upward}"


def test_the_rule_sees_an_upward_import(tmp_path):
    """The check itself: a library module importing a study, at the top, in a function or by
    name, is caught."""
    fake = tmp_path / "sigah" / "codes.py"
    fake.parent.mkdir()
    fake.write_text(
        "import numpy\n"
        "def f():\n    from sigah.studies.plotting import x\n"
        "REG = 'sigah.tools.cli:main'\n",
        encoding="utf-8",
    )
    names = imported_modules(fake)
    assert {"sigah.studies.plotting", "sigah.tools.cli"} <= names
    assert all(LAYERS[layer_of(n)] > 0 for n in names)
