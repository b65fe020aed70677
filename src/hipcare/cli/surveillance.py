"""``hipcare surveillance [FILE]``: next hip surveillance review and actions for one child."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hipcare.cli.command_io import CommandIO, read_json

__all__ = ["handle", "register"]

_DESCRIPTION = (
    "Read one child's hip surveillance history as JSON (from FILE or standard input) and print "
    "the next review date, whether it needs an X-ray, the actions (refer, discharge, overdue, "
    "outside the guideline) and the rules used, each with its source, section and status. "
    "Rules marked local-protocol are to be confirmed by the clinical lead. "
    "See docs/clinical/surveillance.md."
)


def register(subparsers: Any) -> None:
    """Add the ``surveillance`` subcommand."""
    parser = subparsers.add_parser(
        "surveillance",
        help="next hip surveillance review and actions for one child (JSON in, JSON out)",
        description=_DESCRIPTION,
    )
    parser.add_argument(
        "file",
        nargs="?",
        metavar="FILE",
        help="JSON input file; standard input when absent or '-'",
    )
    parser.set_defaults(handler=handle)


def handle(args: argparse.Namespace, io: CommandIO) -> int:
    """Plan one child's surveillance and print the result as JSON."""
    from hipcare.content.surveillance import load_surveillance_rules
    from hipcare.services.surveillance import surveillance_from_json

    document = read_json(args.file, io, "input")
    result = surveillance_from_json(document, load_surveillance_rules())
    json.dump(result, io.stdout, indent=2, ensure_ascii=False)
    io.stdout.write("\n")
    return 0
