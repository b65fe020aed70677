"""``hipcare migrate``: bring the database to the newest schema, as a deployment step of its own.

``hipcare serve`` migrates on start too; with several servers or workers on one PostgreSQL
database, run this once before starting them (docs/deploy.md). ``--check`` changes nothing
and exits 1 when the database is behind, for a deployment script to ask.
"""

from __future__ import annotations

import argparse
from typing import Any

from hipcare.cli.command_io import CommandIO
from hipcare.settings import Settings

__all__ = ["EXIT_BEHIND", "register"]

EXIT_BEHIND = 1


def register(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "migrate",
        help="bring the database to the newest schema (a deployment step of its own)",
        description=(
            "Apply every database migration the database (HIPCARE_DATABASE_URL) has not had "
            "yet, and say which revision it is at. Safe to run again. With --check: change "
            "nothing, exit 1 when the database is not at the newest revision."
        ),
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="only say whether the database is at the newest revision (exit 1 when not)",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        help="the demo database of `hipcare serve --demo` (<data dir>/demo.sqlite3)",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    # Alembic and SQLAlchemy are imported here, not at the top: `hipcare --help` stays fast.
    from hipcare.cli.serve import demo_environ
    from hipcare.storage import current_revision, head_revision, upgrade_to_head

    environ = demo_environ(dict(io.environ)) if args.demo else dict(io.environ)
    url = Settings.from_environ(environ).database_url
    head = head_revision()
    before = current_revision(url)
    if args.check:
        if before == head:
            io.stdout.write(f"The database is at the newest revision ({head}).\n")
            return 0
        io.stdout.write(
            f"The database is at revision {before or 'none (empty)'}, not {head}: "
            "run `hipcare migrate`.\n"
        )
        return EXIT_BEHIND
    upgrade_to_head(url)
    if before == head:
        io.stdout.write(f"The database was already at the newest revision ({head}).\n")
    else:
        io.stdout.write(f"Migrated the database from {before or 'empty'} to {head}.\n")
    return 0
