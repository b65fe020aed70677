"""DEVELOPERS.md's layout section matches the tree: what it names exists, every package is named."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
NAME = re.compile(r"(?<!\S)([\w.-]+(?:/[\w.-]+)*(?:\.py|/))(?!\S)")


def layout_paths(text: str) -> list[str]:
    """The paths the layout block names: a token ending in ``.py`` or ``/``, under the folder
    the line above it at one indent less (two spaces) opened; level 0 is the repository root.
    A line that starts with a folder names what is in it (``tests/  unit/ spec/``); a line that
    starts with a module names siblings."""
    section = text.split("## Layout and dependency direction", 1)[1]
    block = section.split("```", 2)[1]
    folders: list[str] = []
    paths = []
    for line in block.splitlines():
        names = NAME.findall(line)
        if not names:
            continue
        level = (len(line) - len(line.lstrip(" "))) // 2
        parent = "".join(folders[:level])
        if names[0].endswith("/"):
            folders[level:] = [names[0]]
            paths.append(parent + names[0])
            paths.extend(parent + names[0] + name for name in names[1:])
        else:
            paths.extend(parent + name for name in names)
    return paths


def test_every_folder_and_module_in_the_layout_exists() -> None:
    """Each name in DEVELOPERS.md's layout block is a file or folder of the repository."""
    paths = layout_paths((ROOT / "DEVELOPERS.md").read_text(encoding="utf-8"))
    assert len(paths) > 40
    assert [path for path in paths if not (ROOT / path).exists()] == []


def test_every_package_of_hipcare_is_in_the_layout() -> None:
    """A new package under src/hipcare (two levels deep) is added to the layout too."""
    named = set(layout_paths((ROOT / "DEVELOPERS.md").read_text(encoding="utf-8")))
    packages = {
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for init in (ROOT / "src" / "hipcare").glob("*/*/__init__.py")
    } | {
        f"{init.parent.relative_to(ROOT).as_posix()}/"
        for init in (ROOT / "src" / "hipcare").glob("*/__init__.py")
    }
    assert sorted(packages - named) == []


def test_the_layout_reader_nests_names_by_indent() -> None:
    """Two-space indents nest under the folder above; several names may share a line."""
    text = (
        "## Layout and dependency direction\n```\nsrc/\n  a/  x\n    b.py  c.py\n  d.py\nt/ u/\n```"
    )
    assert layout_paths(text) == [
        *("src/", "src/a/", "src/a/b.py", "src/a/c.py", "src/d.py", "t/", "t/u/")
    ]
