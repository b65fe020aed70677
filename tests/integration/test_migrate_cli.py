"""``hipcare migrate``: the database brought to the newest schema as a step of its own."""

from __future__ import annotations

import io
from pathlib import Path

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.storage import current_revision, head_revision


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str]:
    out = io.StringIO()
    status = main(argv, environ, CommandIO(io.StringIO(), out, io.StringIO(), environ))
    return status, out.getvalue()


def test_migrate_brings_an_empty_database_to_the_newest_revision_and_check_says_so(
    tmp_path: Path,
) -> None:
    environ = {"HIPCARE_DATA_DIR": str(tmp_path)}
    url = f"sqlite:///{tmp_path / 'hipcare.sqlite3'}"
    assert _run(["migrate", "--check"], environ) == (
        1,
        f"The database is at revision none (empty), not {head_revision()}: "
        "run `hipcare migrate`.\n",
    )
    assert current_revision(url) is None
    assert _run(["migrate"], environ) == (
        0,
        f"Migrated the database from empty to {head_revision()}.\n",
    )
    assert current_revision(url) == head_revision()
    assert _run(["migrate"], environ)[1].startswith("The database was already at")
    assert _run(["migrate", "--check"], environ)[0] == 0


def test_migrate_demo_addresses_the_demo_database(tmp_path: Path) -> None:
    environ = {"HIPCARE_DATA_DIR": str(tmp_path)}
    assert _run(["migrate", "--demo"], environ)[0] == 0
    assert current_revision(f"sqlite:///{tmp_path / 'demo.sqlite3'}") == head_revision()
    assert not (tmp_path / "hipcare.sqlite3").exists()
