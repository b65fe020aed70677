"""``hipcare registry-export``: a de-identified export of a site's outcomes for a registry.

CSV files (children, operations, complications, hips) and ``data_dictionary.csv``: no name,
contact, hospital number or exact date; ages in months, intervals in days, and a random
child key drawn for this export only. ``--site ID`` reads the database of
``HIPCARE_DATABASE_URL``; ``--demo`` exports the synthetic demo (no database). See
docs/outcomes.md.
"""

from __future__ import annotations

import argparse
import csv
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hipcare.cli.command_io import CommandIO, empty_folder
from hipcare.cli.report import add_source_arguments, report_day, site_records

if TYPE_CHECKING:
    from hipcare.services.registry_export import RegistryTable

__all__ = ["empty_folder", "register"]


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare registry-export`` to the command line."""
    parser = subparsers.add_parser(
        "registry-export",
        help="a site's outcomes as de-identified CSV files with a data dictionary",
        description=(
            "Write a site's outcomes into DIR as CSV files (children, operations, "
            "complications, hips) and data_dictionary.csv. De-identified: no names, contacts, "
            "hospital numbers or exact dates; ages in months, intervals in days, and a random "
            "child key that is new in every export."
        ),
    )
    add_source_arguments(parser)
    parser.add_argument(
        "--output", required=True, metavar="DIR", help="a new or empty folder to write into"
    )
    parser.set_defaults(handler=handle)


def _cell(value: object) -> object:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value


def _write(folder: Path, table: RegistryTable) -> None:
    with (folder / f"{table.name}.csv").open("w", encoding="utf-8", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(column.name for column in table.columns)
        writer.writerows([_cell(value) for value in row] for row in table.rows)


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    import secrets

    from hipcare.content.outcomes import load_outcome_content
    from hipcare.domain.records import AuditAction
    from hipcare.services.registry_export import data_dictionary, registry_tables

    folder = empty_folder(Path(args.output))
    today = report_day(args, io)
    tables = registry_tables(
        site_records(
            args,
            io,
            today,
            command="hipcare registry-export",
            action=AuditAction.REGISTRY_EXPORTED,
        ),
        load_outcome_content().thresholds,
        today=today,
        new_key=lambda: secrets.token_hex(8),
    )
    for table in (*tables, data_dictionary(tables)):
        _write(folder, table)
    counts = ", ".join(f"{len(table.rows)} {table.name}" for table in tables)
    io.stdout.write(f"wrote {len(tables) + 1} CSV files ({counts}) to {folder}\n")
    return 0
