"""Backups of hipcare's database into one archive file, and restores from it (issue 18).

Everything hipcare keeps is in its database, the radiograph files and diary photos too
(``radiograph_files`` and ``diary_photos``: ADR 7, no state on one server's disk), so a copy
of the database is a copy of everything. The archive is a gzipped tar with:

- ``manifest.json``: format, hipcare version, dialect, schema revision, time taken, the rows
  in every table, and the number and total size of radiograph files;
- ``database.sqlite3``, a consistent copy made with SQLite's online backup API (the app may
  keep writing meanwhile), or ``database.pgdump``, ``pg_dump --format=custom`` of the whole
  PostgreSQL database, taken in the same snapshot as the manifest's counts.

A restore goes into an empty database of the same kind (or replaces one when asked), then
checks every table's row count against the manifest and every radiograph file's bytes
against its SHA-256 key, and says what it restored.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection, Engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from hipcare import __version__
from hipcare.domain.errors import InvalidInputError
from hipcare.storage.engine import create_database_engine
from hipcare.storage.tables import Base, RadiographFileRow

__all__ = ["BACKUP_FORMAT", "BackupManifest", "backup_database", "restore_database"]

BACKUP_FORMAT = "hipcare-backup-1"
_MANIFEST = "manifest.json"
_SQLITE_MEMBER = "database.sqlite3"
_POSTGRESQL_MEMBER = "database.pgdump"


@dataclass(frozen=True)
class BackupManifest:
    """What an archive holds (counts and ids of the schema only, never a record's contents)."""

    dialect: str
    revision: str | None
    taken_at: str
    hipcare_version: str
    table_rows: dict[str, int]
    radiograph_files: int
    radiograph_bytes: int

    def to_json(self) -> str:
        return json.dumps(
            {
                "format": BACKUP_FORMAT,
                "dialect": self.dialect,
                "revision": self.revision,
                "taken_at": self.taken_at,
                "hipcare_version": self.hipcare_version,
                "table_rows": self.table_rows,
                "radiograph_files": self.radiograph_files,
                "radiograph_bytes": self.radiograph_bytes,
            },
            indent=2,
            sort_keys=True,
        )

    @classmethod
    def from_json(cls, document: str) -> BackupManifest:
        not_a_backup = InvalidInputError("FILE", f"is not a hipcare backup ({BACKUP_FORMAT})")
        try:
            values: dict[str, Any] = json.loads(document)
            if values.get("format") != BACKUP_FORMAT:
                raise not_a_backup
            revision = values["revision"]
            return cls(
                dialect=str(values["dialect"]),
                revision=None if revision is None else str(revision),
                taken_at=str(values["taken_at"]),
                hipcare_version=str(values["hipcare_version"]),
                table_rows={str(name): int(rows) for name, rows in values["table_rows"].items()},
                radiograph_files=int(values["radiograph_files"]),
                radiograph_bytes=int(values["radiograph_bytes"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError):
            raise not_a_backup from None


def _census(connection: Connection, now: datetime) -> BackupManifest:
    """The manifest of the database as ``connection`` sees it."""
    rows = {
        table.name: int(connection.scalar(select(func.count()).select_from(table)) or 0)
        for table in Base.metadata.sorted_tables
    }
    files, size = connection.execute(
        select(func.count(), func.coalesce(func.sum(RadiographFileRow.size_bytes), 0))
    ).one()
    return BackupManifest(
        dialect=connection.dialect.name,
        revision=MigrationContext.configure(connection).get_current_revision(),
        taken_at=now.isoformat(),
        hipcare_version=__version__,
        table_rows=rows,
        radiograph_files=int(files),
        radiograph_bytes=int(size),
    )


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:" or database.startswith("file:"):
        raise InvalidInputError("HIPCARE_DATABASE_URL", "back up a SQLite file, not memory")
    return Path(database)


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string for the PostgreSQL tools, and the environment to run them
    in (the password goes in ``PGPASSWORD``, never on a command line others can read)."""
    parsed = make_url(url)
    environ = dict(os.environ)
    if parsed.password is not None:
        environ["PGPASSWORD"] = str(parsed.password)
    plain = parsed.set(drivername="postgresql", password=None)
    return plain.render_as_string(hide_password=False), environ


def _run_tool(argv: list[str], environ: dict[str, str]) -> None:
    tool = shutil.which(argv[0])
    if tool is None:
        raise InvalidInputError(argv[0], "is not installed (Debian: postgresql-client)")
    result = subprocess.run(  # noqa: S603 -- a fixed PostgreSQL tool with our own arguments
        [tool, *argv[1:]], env=environ, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        raise InvalidInputError(argv[0], f"failed: {result.stderr.strip()[:500]}")


def _refuse_without_schema(url: str) -> None:
    """A backup of a database hipcare never migrated is a mistake (most often the wrong
    database: the demo's is ``--demo``); say so rather than write an empty archive."""
    no_schema = InvalidInputError(
        "HIPCARE_DATABASE_URL",
        "that database holds no hipcare records (for the demo's database add --demo)",
    )
    if make_url(url).get_backend_name() == "sqlite" and not _sqlite_path(url).is_file():
        raise no_schema
    engine = create_database_engine(url)
    try:
        if "alembic_version" not in inspect(engine).get_table_names():
            raise no_schema
    finally:
        engine.dispose()


def backup_database(url: str, output: Path, *, now: datetime) -> BackupManifest:
    """Write a backup archive of the database at ``url`` to ``output``; its manifest.

    The archive is written beside ``output`` first and renamed into place, so an interrupted
    backup never leaves a half file under the name.
    """
    backend = make_url(url).get_backend_name()
    output = output.absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    _refuse_without_schema(url)
    with tempfile.TemporaryDirectory(prefix="hipcare-backup-", dir=output.parent) as work:
        folder = Path(work)
        if backend == "sqlite":
            member = folder / _SQLITE_MEMBER
            source = sqlite3.connect(_sqlite_path(url))
            target = sqlite3.connect(member)
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
            engine = create_database_engine(f"sqlite:///{member}")
            try:
                with engine.connect() as connection:
                    manifest = _census(connection, now)
            finally:
                engine.dispose()
        else:
            member = folder / _POSTGRESQL_MEMBER
            engine = create_database_engine(url, isolation_level="REPEATABLE READ")
            try:
                with engine.connect() as connection:
                    # The counts and pg_dump read the same snapshot (exported while this
                    # transaction stays open), so the manifest describes the dump exactly.
                    snapshot = str(connection.scalar(text("SELECT pg_export_snapshot()")))
                    manifest = _census(connection, now)
                    dsn, environ = _libpq(url)
                    _run_tool(
                        [
                            "pg_dump",
                            "--format=custom",
                            "--no-owner",
                            "--no-privileges",
                            f"--snapshot={snapshot}",
                            f"--file={member}",
                            f"--dbname={dsn}",
                        ],
                        environ,
                    )
            finally:
                engine.dispose()
        (folder / _MANIFEST).write_text(manifest.to_json(), encoding="utf-8")
        partial = folder / "archive.tar.gz"
        with tarfile.open(partial, "w:gz") as archive:
            archive.add(folder / _MANIFEST, arcname=_MANIFEST)
            archive.add(member, arcname=member.name)
        partial.replace(output)
    return manifest


def _read_archive(archive_path: Path, folder: Path) -> tuple[BackupManifest, Path]:
    if not archive_path.is_file():
        raise InvalidInputError("FILE", f"{str(archive_path)!r} does not exist")
    not_a_backup = InvalidInputError("FILE", f"{str(archive_path)!r} is not a hipcare backup")
    try:
        with tarfile.open(archive_path, "r:gz") as archive:
            names = set(archive.getnames())
            if _MANIFEST not in names:
                raise not_a_backup
            # Only our known members are extracted, with tarfile's "data" filter.
            wanted = [
                archive.getmember(name)
                for name in (_MANIFEST, _SQLITE_MEMBER, _POSTGRESQL_MEMBER)
                if name in names
            ]
            archive.extractall(folder, members=wanted, filter="data")
    except (tarfile.TarError, OSError, EOFError):
        raise not_a_backup from None
    manifest = BackupManifest.from_json((folder / _MANIFEST).read_text(encoding="utf-8"))
    member = folder / (_SQLITE_MEMBER if manifest.dialect == "sqlite" else _POSTGRESQL_MEMBER)
    if not member.exists():
        raise InvalidInputError("FILE", f"{str(archive_path)!r} has no database in it")
    return manifest, member


def _has_tables(engine: Engine) -> bool:
    return bool(inspect(engine).get_table_names())


def restore_database(
    archive_path: Path, url: str, *, replace: bool, now: datetime
) -> BackupManifest:
    """Restore the archive into the database at ``url``; the manifest it was checked against.

    The database must be empty unless ``replace`` is true (then its contents are replaced).
    Raises :class:`InvalidInputError` when the archive is of another kind of database, the
    target is not empty, or what was restored differs from the manifest.
    """
    backend = make_url(url).get_backend_name()
    with tempfile.TemporaryDirectory(prefix="hipcare-restore-") as work:
        manifest, member = _read_archive(archive_path, Path(work))
        if manifest.dialect != backend:
            raise InvalidInputError(
                "FILE",
                f"is a {manifest.dialect} backup; restore it into a {manifest.dialect} database "
                f"(HIPCARE_DATABASE_URL is {backend})",
            )
        engine = create_database_engine(url)
        try:
            if not replace and _has_tables(engine):
                raise InvalidInputError(
                    "HIPCARE_DATABASE_URL",
                    "the database is not empty; restore into an empty one, or add --replace",
                )
        finally:
            engine.dispose()
        if backend == "sqlite":
            source = sqlite3.connect(member)
            target = sqlite3.connect(_sqlite_path(url))
            try:
                source.backup(target)
            finally:
                target.close()
                source.close()
        else:
            dsn, environ = _libpq(url)
            options = ["--clean", "--if-exists"] if replace else []
            _run_tool(
                [
                    "pg_restore",
                    "--no-owner",
                    "--no-privileges",
                    "--exit-on-error",
                    "--single-transaction",
                    *options,
                    f"--dbname={dsn}",
                    str(member),
                ],
                environ,
            )
    _check_restored(url, manifest, now)
    return manifest


def _check_restored(url: str, manifest: BackupManifest, now: datetime) -> None:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            restored = _census(connection, now)
            differing = sorted(
                name
                for name in manifest.table_rows
                if restored.table_rows.get(name) != manifest.table_rows[name]
            )
            if differing or restored.revision != manifest.revision:
                raise InvalidInputError(
                    "FILE",
                    "the restored database differs from the backup's manifest "
                    f"(tables: {', '.join(differing) or 'none'}; revision {restored.revision})",
                )
            rows = connection.execute(select(RadiographFileRow.sha256, RadiographFileRow.content))
            damaged = sum(1 for key, content in rows if hashlib.sha256(content).hexdigest() != key)
            if damaged:
                raise InvalidInputError(
                    "FILE", f"{damaged} restored radiograph files do not match their SHA-256"
                )
    finally:
        engine.dispose()
