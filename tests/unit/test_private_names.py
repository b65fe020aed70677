"""A module's private names stay its own, and no modules in src/ import each other in a circle.

Spirit: httpx ``tests/test_exported_members.py`` guards the public surface; here every name a
module shares starts without an underscore, so a reader can trust ``_name`` to be local.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import hipcare

SRC = Path(hipcare.__file__).parent


def _modules() -> dict[str, Path]:
    """Every module under src/hipcare by dotted name (a package by its own name)."""
    modules = {}
    for path in sorted(SRC.rglob("*.py")):
        parts = path.relative_to(SRC.parent).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        modules[".".join(parts)] = path
    return modules


def _owner(name: str, modules: dict[str, Path]) -> str:
    """The module that holds ``name`` (a dotted module or ``module.attribute``)."""
    while name and name not in modules:
        name = name.rpartition(".")[0]
    return name


def _imports(path: Path) -> Iterator[ast.ImportFrom | ast.Import]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import | ast.ImportFrom):
            yield node


def _private_imports(modules: dict[str, Path]) -> list[str]:
    offenders = []
    for importer, path in modules.items():
        for node in _imports(path):
            if not isinstance(node, ast.ImportFrom) or node.level or not node.module:
                continue
            if not node.module.startswith("hipcare"):
                continue
            for alias in node.names:
                private = alias.name.startswith("_") and not alias.name.startswith("__")
                if private and _owner(node.module, modules) != importer:
                    offenders.append(f"{importer} imports {node.module}.{alias.name}")
    return offenders


def _import_graph(modules: dict[str, Path]) -> dict[str, set[str]]:
    """Who imports whom, leaving out a package importing its own submodules (re-exports)."""
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for importer, path in modules.items():
        for node in _imports(path):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif node.level == 0 and node.module:
                targets = [f"{node.module}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if not target.startswith("hipcare."):
                    continue
                imported = _owner(target, modules)
                if imported and imported != importer and not imported.startswith(f"{importer}."):
                    graph[importer].add(imported)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for imported in sorted(graph[module]):
            if imported not in index:
                visit(imported)
                low[module] = min(low[module], low[imported])
            elif imported in on_stack:
                low[module] = min(low[module], index[imported])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            if len(group) > 1:
                groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def test_no_module_imports_another_modules_private_names() -> None:
    """No ``from hipcare.<module> import _<name>`` names a module other than the importer."""
    assert _private_imports(_modules()) == []


def test_no_import_cycles_in_src() -> None:
    """The modules of src/hipcare import each other without a circle, lazy imports included."""
    assert _cycles(_import_graph(_modules())) == []


def test_the_cycle_finder_finds_a_circle() -> None:
    """A three-module circle is found, and a chain is not mistaken for one."""
    circle = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _cycles(circle) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_the_private_name_finder_finds_a_cross_import(tmp_path: Path) -> None:
    """A module importing another module's ``_name`` is reported; its own ``_name`` is not."""
    (tmp_path / "one.py").write_text("from hipcare.two import _hidden\n", encoding="utf-8")
    (tmp_path / "two.py").write_text("from hipcare.two import _hidden\n", encoding="utf-8")
    modules = {"hipcare.one": tmp_path / "one.py", "hipcare.two": tmp_path / "two.py"}
    assert _private_imports(modules) == ["hipcare.one imports hipcare.two._hidden"]
