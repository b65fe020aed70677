"""The pure clinical core: standard library only, no I/O, no clock, no framework.

Every formula and threshold here names its source in its docstring or in the data that
feeds it (``hipcare/content``). Nothing in this package may import from storage, web,
rendering or third-party packages; ``tests/unit/test_architecture.py`` and the
import-linter contracts in ``pyproject.toml`` hold that line.
"""
