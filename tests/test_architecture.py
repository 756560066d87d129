"""docs/architecture.md describes the package as it is: every module in its layer, and
every import (lazy and TYPE_CHECKING ones included) running to the same layer or below."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import networkx as nx

ROOT = Path(__file__).parent.parent
PACKAGE = ROOT / "simkit"
PAGE = (ROOT / "docs" / "architecture.md").read_text()


def _modules() -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package (inits included)."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = path
    return out


MODULES = _modules()


def _imports(name: str, path: Path) -> set[str]:
    """The package modules ``name`` imports anywhere in its file."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        targets = []
        if isinstance(node, ast.Import):
            targets = [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, base] if base else up)
            targets = [f"{base}.{a.name}" for a in node.names] + [base]
        for target in targets:
            while target and target not in MODULES:
                target = target.rpartition(".")[0]
            if target and target != name:
                found.add(target)
    return found


def _documented() -> dict[str, int]:
    """Module name -> layer, from the page's module table."""
    rows = re.findall(r"^\| `(simkit/[\w/]+\.py)` \| (\d) \|", PAGE, flags=re.M)
    return {p.removesuffix(".py").replace("/", "."): int(layer) for p, layer in rows}


def _layer_folders() -> dict[str, int]:
    rows = re.findall(r"^\| (\d) \| `simkit/(\w*)/?` ", PAGE, flags=re.M)
    return {folder: int(layer) for layer, folder in rows}


def test_every_module_is_documented_once_in_the_layer_of_its_folder():
    documented = _documented()
    folders = _layer_folders()
    modules = {m for m, p in MODULES.items() if p.name != "__init__.py"}
    assert sorted(modules - set(documented)) == [], "modules missing from the page"
    assert sorted(set(documented) - modules) == [], "the page lists modules that do not exist"
    for module, layer in documented.items():
        folder = module.split(".")[1] if module.count(".") == 2 else ""
        assert folders[folder] == layer, (module, layer)


def test_imports_never_run_upward_and_never_in_a_circle():
    layer = _documented()
    graph = nx.DiGraph()
    upward = []
    for name, path in MODULES.items():
        if path.name == "__init__.py":     # a package's face re-exports its own folder
            continue
        graph.add_node(name)
        for target in _imports(name, path):
            if MODULES[target].name == "__init__.py":
                continue
            graph.add_edge(name, target)
            if layer[target] > layer[name]:
                upward.append(f"{name} (layer {layer[name]}) imports {target} "
                              f"(layer {layer[target]})")
    assert upward == []
    assert list(nx.simple_cycles(graph)) == []


def test_package_faces_re_export_only_their_own_folder():
    for name, path in MODULES.items():
        if path.name != "__init__.py" or name == "simkit":
            continue
        outside = [t for t in _imports(name, path) if not t.startswith(name + ".")]
        assert outside == [], (name, outside)
