"""``hipcare backup`` / ``hipcare restore`` (issue 18): a restore into an empty database gives
back every row of every table and every radiograph file's bytes, on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
import io
import json
import tarfile
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import MetaData, insert, select
from tests.fixtures import radiographs as films
from tests.support.databases import session_postgresql_database

from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.services.demo_seed import seed_demo
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)
from hipcare.storage.tables import RadiographFileRow

NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


def _fill(url: str) -> None:
    """The synthetic demo, and two radiograph files (a DICOM film and a JPEG photo of one)."""
    upgrade_to_head(url)
    engine = create_database_engine(url)
    seed_demo(
        SqlAlchemyUnitOfWork(create_session_factory(engine)),
        today=date(2026, 11, 25),
        now=NOW,
    )
    contents = [films.dicom_bytes(rows=300, columns=250), bytes(range(256)) * 1000]
    with engine.begin() as connection:
        for content in contents:
            connection.execute(
                insert(RadiographFileRow).values(
                    sha256=hashlib.sha256(content).hexdigest(),
                    size_bytes=len(content),
                    content=content,
                )
            )
    engine.dispose()


def _everything(url: str) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table (alembic_version too), each table's rows in a fixed order."""
    engine = create_database_engine(url)
    metadata = MetaData()
    metadata.reflect(engine)
    with engine.connect() as connection:
        tables = {
            table.name: sorted((tuple(row) for row in connection.execute(select(table))), key=repr)
            for table in metadata.sorted_tables
        }
    engine.dispose()
    return tables


@pytest.fixture(params=["sqlite", "postgresql"])
def source_and_target(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[tuple[str, str]]:
    """The URLs of a database to back up and an empty one to restore into, of one kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'target.sqlite3'}"
        return
    source = session_postgresql_database("hipcare_backup_source")
    target = session_postgresql_database("hipcare_backup_target")
    try:
        yield next(source), next(target)
    finally:
        next(source, None)
        next(target, None)


def test_a_restore_into_an_empty_database_gives_back_every_table_and_file(
    source_and_target: tuple[str, str], tmp_path: Path
) -> None:
    source, target = source_and_target
    _fill(source)
    archive = tmp_path / "backups" / "hipcare.tar.gz"
    status, out, err = _run(["backup", "--output", str(archive)], {"HIPCARE_DATABASE_URL": source})
    assert (status, err) == (0, "")
    assert "12 children" in out
    assert "2 radiograph files" in out
    status, out, err = _run(["restore", str(archive)], {"HIPCARE_DATABASE_URL": target})
    assert (status, err) == (0, "")
    assert "every table and file checked" in out
    before, after = _everything(source), _everything(target)
    assert set(after) == set(before)
    assert [name for name in before if after[name] != before[name]] == []
    assert len(before["children"]) == 12
    restored_files = {row[0]: row[2] for row in after["radiograph_files"]}
    assert all(
        hashlib.sha256(content).hexdigest() == key for key, content in restored_files.items()
    )
    assert len(restored_files) == 2


def test_a_restore_refuses_a_database_that_is_not_empty_unless_told_to_replace(
    source_and_target: tuple[str, str], tmp_path: Path
) -> None:
    source, target = source_and_target
    _fill(source)
    upgrade_to_head(target)
    archive = tmp_path / "hipcare.tar.gz"
    assert _run(["backup", "--output", str(archive)], {"HIPCARE_DATABASE_URL": source})[0] == 0
    status, _, err = _run(["restore", str(archive)], {"HIPCARE_DATABASE_URL": target})
    assert status == 2
    assert "the database is not empty" in err
    status, _, err = _run(["restore", str(archive), "--replace"], {"HIPCARE_DATABASE_URL": target})
    assert (status, err) == (0, "")
    assert _everything(target) == _everything(source)


def test_the_demo_database_round_trips_with_every_child(tmp_path: Path) -> None:
    """``--demo`` addresses ``<data dir>/demo.sqlite3`` (as ``hipcare serve --demo``); a restore
    with ``--demo`` into another data folder, or over the demo itself, keeps every child."""
    first = {"HIPCARE_DATA_DIR": str(tmp_path / "first")}
    _fill(f"sqlite:///{tmp_path / 'first' / 'demo.sqlite3'}")
    archive = tmp_path / "demo.tar.gz"
    assert _run(["backup", "--demo", "--output", str(archive)], first)[0] == 0
    second = {"HIPCARE_DATA_DIR": str(tmp_path / "second")}
    assert _run(["restore", "--demo", str(archive)], second)[0] == 0
    assert _run(["restore", "--demo", str(archive)], first)[0] == 0
    original = _everything(f"sqlite:///{tmp_path / 'first' / 'demo.sqlite3'}")
    restored = _everything(f"sqlite:///{tmp_path / 'second' / 'demo.sqlite3'}")
    assert restored == original
    assert len(restored["children"]) == 12


def test_a_backup_of_a_database_without_hipcare_says_so(tmp_path: Path) -> None:
    """The usual slip: backing up ./var/hipcare.sqlite3 when the records are in the demo's."""
    status, _, err = _run(
        ["backup", "--output", str(tmp_path / "x.tar.gz")], {"HIPCARE_DATA_DIR": str(tmp_path)}
    )
    assert status == 2
    assert "holds no hipcare records (for the demo's database add --demo)" in err
    assert not (tmp_path / "x.tar.gz").exists()
    assert not (tmp_path / "hipcare.sqlite3").exists()


def test_a_restore_refuses_other_files_and_backups_of_the_other_kind_of_database(
    tmp_path: Path,
) -> None:
    environ = {"HIPCARE_DATA_DIR": str(tmp_path)}
    other = tmp_path / "notes.txt"
    other.write_text("not a backup")
    status, _, err = _run(["restore", str(other)], environ)
    assert status == 2
    assert "is not a hipcare backup" in err
    missing = _run(["restore", str(tmp_path / "missing.tar.gz")], environ)
    assert "does not exist" in missing[2]
    manifest = {"format": "hipcare-backup-1", "dialect": "postgresql"}
    assert "is not a hipcare backup" in _run(["restore", _archive(tmp_path, manifest)], environ)[2]
    manifest |= {
        "revision": "0009",
        "taken_at": NOW.isoformat(),
        "hipcare_version": "0.1.0",
        "table_rows": {},
        "radiograph_files": 0,
        "radiograph_bytes": 0,
    }
    status, _, err = _run(["restore", _archive(tmp_path, manifest)], environ)
    assert status == 2
    assert "is a postgresql backup; restore it into a postgresql database" in err


def _archive(folder: Path, manifest: dict[str, Any]) -> str:
    """An archive holding only this manifest and an empty PostgreSQL dump."""
    archive = folder / "made-up.tar.gz"
    with tarfile.open(archive, "w:gz") as tar:
        for name, data in (
            ("manifest.json", json.dumps(manifest).encode()),
            ("database.pgdump", b""),
        ):
            member = tarfile.TarInfo(name)
            member.size = len(data)
            tar.addfile(member, io.BytesIO(data))
    return str(archive)


def test_a_restore_that_differs_from_the_manifest_fails(tmp_path: Path) -> None:
    """The manifest's counts are checked after the restore (here: one row claimed more)."""
    source = f"sqlite:///{tmp_path / 'source.sqlite3'}"
    _fill(source)
    archive = tmp_path / "hipcare.tar.gz"
    assert _run(["backup", "--output", str(archive)], {"HIPCARE_DATABASE_URL": source})[0] == 0
    tampered = tmp_path / "tampered.tar.gz"
    with tarfile.open(archive, "r:gz") as original, tarfile.open(tampered, "w:gz") as copy:
        for member in original.getmembers():
            content = original.extractfile(member)
            assert content is not None
            data = content.read()
            if member.name == "manifest.json":
                manifest = json.loads(data)
                manifest["table_rows"]["children"] += 1
                data = json.dumps(manifest).encode()
                member.size = len(data)
            copy.addfile(member, io.BytesIO(data))
    target = {"HIPCARE_DATABASE_URL": f"sqlite:///{tmp_path / 'target.sqlite3'}"}
    status, _, err = _run(["restore", str(tampered)], target)
    assert status == 2
    assert "differs from the backup's manifest (tables: children" in err
