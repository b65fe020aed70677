"""``hipcare catalog check``: how complete each language's translation is.

Exit 0 when every language translates every English family string, 1 when any language has
gaps (those strings are shown in English to the family), 2 on bad usage.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from hipcare.cli.command_io import CommandIO

__all__ = ["EXIT_GAPS", "register"]

EXIT_GAPS = 1
_SHOWN_PER_KIND = 5


def register(subparsers: Any) -> None:
    """Add ``catalog`` and its ``check`` action to the ``hipcare`` command line."""
    parser = subparsers.add_parser(
        "catalog",
        help="check the translation catalogs",
        description="Translation catalogs (gettext .po files) of the family text.",
    )
    actions = parser.add_subparsers(dest="catalog_action", metavar="ACTION", required=True)
    check = actions.add_parser(
        "check",
        help="report missing, untranslated, fuzzy and obsolete strings per language",
        description=(
            "Compare every language's catalog with the English family text in the content files. "
            "Exit 0 when all is translated; 1 when a language has gaps (those strings fall back "
            "to English); 2 on bad usage."
        ),
    )
    check.add_argument("--lang", metavar="CODE", help="check one language only (default: all)")
    check.add_argument("--json", action="store_true", help="print the report as JSON")
    check.add_argument(
        "--locale-dir",
        metavar="DIR",
        type=Path,
        help="read catalogs from DIR instead of the shipped ones (for translators' copies)",
    )
    check.set_defaults(handler=_check)


def _check(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.content.catalog import check_catalogs, collect_messages
    from hipcare.content.i18n import language

    codes = [language(args.lang).code] if args.lang is not None else None
    messages = collect_messages()
    reports = check_catalogs(codes, args.locale_dir, messages)
    complete = all(report.complete for report in reports)
    if args.json:
        document = {
            "total_strings": len(messages),
            "complete": complete,
            "languages": [report.as_json() for report in reports],
        }
        io.stdout.write(json.dumps(document, ensure_ascii=False, indent=2) + "\n")
        return 0 if complete else EXIT_GAPS
    out = io.stdout
    out.write(f"{len(messages)} English family strings\n")
    for report in reports:
        reviewed = "yes" if report.clinically_reviewed else "no"
        if report.is_source:
            out.write(f"{report.code:8} source text (English)   clinically reviewed: {reviewed}\n")
            continue
        out.write(
            f"{report.code:8} {report.translated}/{report.total} translated"
            f"   clinically reviewed: {reviewed}\n"
        )
        for kind in ("missing", "untranslated", "fuzzy", "placeholder_mismatch", "obsolete"):
            strings: tuple[str, ...] = getattr(report, kind)
            if not strings:
                continue
            out.write(f"  {kind.replace('_', ' ')}: {len(strings)}\n")
            for msgid in strings[:_SHOWN_PER_KIND]:
                out.write(f"    - {msgid[:90]!r}\n")
            if len(strings) > _SHOWN_PER_KIND:
                out.write(f"    ... and {len(strings) - _SHOWN_PER_KIND} more (see --json)\n")
        if not report.complete:
            out.write(f"  {report.total - report.translated} strings fall back to English\n")
    if not complete:
        out.write("Some languages have gaps: families see those strings in English.\n")
    return 0 if complete else EXIT_GAPS
