"""``hipcare booklet``: a child's family booklet (PDF or HTML) in their language."""

from __future__ import annotations

import argparse
import datetime
from pathlib import Path
from typing import Any

from hipcare.cli.command_io import CommandIO, read_json
from hipcare.domain.errors import InvalidInputError

__all__ = ["register"]

_DESCRIPTION = (
    "Write a child's family booklet: key dates, a checklist by phase with their own dates, the "
    "hospital stay, caring at home, warning signs, contacts and the disclaimer, in one "
    "language. The format comes from the output file's extension: .pdf (tagged PDF/UA-1, "
    "fonts embedded) or .html. Translations are drafts that no clinician has reviewed yet; "
    "the booklet says so."
)


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare booklet`` to the command line."""
    parser = subparsers.add_parser(
        "booklet", help="a child's family booklet as PDF or HTML", description=_DESCRIPTION
    )
    parser.add_argument(
        "--facts", required=True, metavar="FILE", help="facts JSON file ('-' for standard input)"
    )
    parser.add_argument(
        "--lang", required=True, metavar="CODE", help="language: en, ar, zh-Hans, zh-Hant, vi, fa"
    )
    parser.add_argument(
        "--output", required=True, metavar="FILE", help="where to write: FILE.pdf or FILE.html"
    )
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.bootstrap import load_content
    from hipcare.services.booklet import booklet_format, build_booklet_view
    from hipcare.services.pathway import parse_facts

    output_format = booklet_format(args.output)
    shipped = load_content()
    words = shipped.words(args.lang)
    facts = parse_facts(read_json(args.facts, io, "facts"), content=shipped)
    # The entry point owns the clock: the booklet prints the local day it was made.
    today = datetime.datetime.now(datetime.UTC).astimezone().date()
    view = build_booklet_view(facts, words, printed_on=today, content=shipped)
    if output_format == "pdf":
        from hipcare.render.booklet_pdf import default_pdf_renderer

        content = default_pdf_renderer().render(view)
    else:
        from hipcare.render.booklet_html import render_html

        content = render_html(view).encode("utf-8")
    try:
        Path(args.output).write_bytes(content)
    except OSError as error:
        raise InvalidInputError(
            "output", f"cannot write {args.output!r}: {error.strerror}"
        ) from None
    note = f" ({view.fallback_count} strings shown in English)" if view.fallback_count else ""
    io.stdout.write(f"wrote {args.output}{note}\n")
    return 0
