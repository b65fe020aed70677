"""The folder tree's promises: a pure domain, a public API that is what it says."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import hipcare

SRC = Path(hipcare.__file__).parent


def test_domain_imports_only_the_standard_library_and_itself() -> None:
    """Every module in hipcare.domain imports the standard library or hipcare.domain only."""
    allowed = set(sys.stdlib_module_names) | {"__future__"}
    offenders: dict[str, set[str]] = {}
    for path in sorted((SRC / "domain").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        bad: set[str] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                top = module.split(".")[0]
                if top == "hipcare":
                    if not module.startswith("hipcare.domain"):
                        bad.add(module)
                elif top not in allowed:
                    bad.add(module)
        if bad:
            offenders[str(path.relative_to(SRC))] = bad
    assert offenders == {}


def test_domain_never_reads_the_clock_or_files() -> None:
    """The domain is handed 'today'; it never calls date.today(), datetime.now() or open()."""
    forbidden = ("date.today(", "datetime.now(", "datetime.utcnow(", "open(", "time.time(")
    offenders = [
        f"{path.relative_to(SRC)}: {needle}"
        for path in sorted((SRC / "domain").rglob("*.py"))
        for needle in forbidden
        if needle in path.read_text(encoding="utf-8")
    ]
    assert offenders == []


def test_public_api_names_exist() -> None:
    """Every name a hipcare module lists in __all__ is really defined there."""
    import importlib

    missing = []
    for path in sorted(SRC.rglob("*.py")):
        if path.name == "__main__.py":
            continue
        relative = path.relative_to(SRC.parent).with_suffix("")
        parts = list(relative.parts)
        if parts[-1] == "__init__":
            parts.pop()
        module = importlib.import_module(".".join(parts))
        missing += [
            f"{module.__name__}.{name}"
            for name in getattr(module, "__all__", ())
            if not hasattr(module, name)
        ]
    assert missing == []
