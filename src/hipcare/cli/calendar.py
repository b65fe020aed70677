"""``hipcare calendar``: a child's care plan as an iCalendar (.ics) file for a phone calendar."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from hipcare.cli.command_io import CommandIO, read_json
from hipcare.domain.errors import InvalidInputError

__all__ = ["register"]

_DESCRIPTION = (
    "Write a child's dated care plan as an RFC 5545 calendar: one all-day event per item, "
    "daily reminders for recurring items up to their end. Event UIDs do not change when the "
    "operation is postponed, so an imported or subscribed calendar moves its events."
)


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare calendar`` to the command line."""
    parser = subparsers.add_parser(
        "calendar", help="a child's care plan as an .ics calendar file", description=_DESCRIPTION
    )
    parser.add_argument(
        "--facts", required=True, metavar="FILE", help="facts JSON file ('-' for standard input)"
    )
    parser.add_argument("--output", required=True, metavar="FILE.ics", help="where to write")
    parser.add_argument(
        "--lang",
        metavar="CODE",
        help="language: en, ar, zh-Hans, zh-Hant, vi, fa (default: the facts' language)",
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.bootstrap import load_content
    from hipcare.render.calendar import render_calendar
    from hipcare.services.pathway import make_plan, parse_facts, plan_calendar, plan_language

    output = Path(args.output)
    if output.suffix.lower() != ".ics":
        raise InvalidInputError("--output", f"{args.output!r} must end in .ics")
    content = load_content()
    facts = parse_facts(read_json(args.facts, io, "facts"), content=content)
    plan = make_plan(facts, content=content)
    words = plan_language(plan, args.lang, content=content)
    # The one place the clock is read: the DTSTAMP of every event.
    now = datetime.datetime.now(datetime.UTC).replace(microsecond=0)
    data = plan_calendar(plan, words, dtstamp=now, write=render_calendar, content=content)
    try:
        output.write_bytes(data)
    except OSError as error:
        raise InvalidInputError(
            "--output", f"cannot write {args.output!r}: {error.strerror}"
        ) from None
    io.stdout.write(f"wrote {len(plan.items)} events to {args.output}\n")
    return 0
