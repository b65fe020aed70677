"""``hipcare backup`` and ``hipcare restore``: the whole database, radiograph files included,
in one archive file, and back (hipcare.storage.backup; docs/deploy.md, "Backups").

Both address the database ``HIPCARE_DATABASE_URL`` names, as ``hipcare serve`` does; with
``--demo``, the demo's SQLite file (``<data dir>/demo.sqlite3``, as ``hipcare serve --demo``).
A restore goes into an empty database; ``--replace`` replaces a database's contents, and
``--demo`` always may (the demo holds only synthetic records).
"""

from __future__ import annotations

import argparse
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hipcare.cli.command_io import CommandIO
from hipcare.settings import Settings

if TYPE_CHECKING:
    from hipcare.storage.backup import BackupManifest

__all__ = ["register"]

_DEMO_HELP = "the demo database of `hipcare serve --demo` (<data dir>/demo.sqlite3)"


def register(subparsers: Any) -> None:
    backup = subparsers.add_parser(
        "backup",
        help="write the whole database, radiograph files included, to one archive file",
        description=(
            "Write a consistent copy of the database (HIPCARE_DATABASE_URL) to FILE while "
            "hipcare keeps running: SQLite's online backup API, or pg_dump for PostgreSQL. "
            "Radiograph files and diary photos live in the database, so they are in it. "
            "FILE also holds a manifest (row counts per table) that `hipcare restore` checks."
        ),
    )
    backup.add_argument("--output", required=True, metavar="FILE", help="the archive to write")
    backup.add_argument("--demo", action="store_true", help=_DEMO_HELP)
    backup.set_defaults(handler=handle_backup)
    restore = subparsers.add_parser(
        "restore",
        help="restore a `hipcare backup` archive into an empty database, and check it",
        description=(
            "Restore FILE (from `hipcare backup`) into the database HIPCARE_DATABASE_URL names, "
            "which must be empty and of the same kind (SQLite or PostgreSQL; pg_restore for "
            "PostgreSQL), then check every table's row count against the backup's manifest "
            "and every radiograph file against its SHA-256. Run `hipcare migrate` afterwards "
            "when the backup came from an older hipcare."
        ),
    )
    restore.add_argument("file", metavar="FILE", help="the archive `hipcare backup` wrote")
    restore.add_argument(
        "--replace",
        action="store_true",
        help="replace the contents of a database that is not empty",
    )
    restore.add_argument(
        "--demo", action="store_true", help=_DEMO_HELP + "; replaced when it exists"
    )
    restore.set_defaults(handler=handle_restore)


def _database_url(args: argparse.Namespace, io: CommandIO) -> str:
    from hipcare.cli.serve import demo_environ

    environ = demo_environ(dict(io.environ)) if args.demo else dict(io.environ)
    return Settings.from_environ(environ).database_url


def _summary(manifest: BackupManifest) -> str:
    rows = manifest.table_rows
    return (
        f"{rows.get('children', 0)} children, {sum(rows.values())} rows in {len(rows)} tables, "
        f"{manifest.radiograph_files} radiograph files "
        f"({manifest.radiograph_bytes / 1_000_000:.1f} MB)"
    )


def handle_backup(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.storage.backup import backup_database

    manifest = backup_database(_database_url(args, io), Path(args.output), now=datetime.now(UTC))
    io.stdout.write(
        f"Backed up {_summary(manifest)} "
        f"({manifest.dialect}, schema {manifest.revision}) to {args.output}.\n"
    )
    return 0


def handle_restore(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.storage.backup import restore_database

    manifest = restore_database(
        Path(args.file),
        _database_url(args, io),
        replace=args.replace or args.demo,
        now=datetime.now(UTC),
    )
    io.stdout.write(
        f"Restored {_summary(manifest)} "
        f"from {args.file} (taken {manifest.taken_at}); every table and file checked.\n"
    )
    return 0
