"""``hipcare plan``: a child's dated VDRO care plan, grouped by phase, in their language."""

from __future__ import annotations

import argparse
import json
from typing import Any

from hipcare.cli.command_io import CommandIO, read_json

__all__ = ["register"]

_DESCRIPTION = (
    "Turn a child's facts (a JSON file) into their dated care plan around a varus derotation "
    "osteotomy (VDRO): what happens, who acts and when, from the decision to the follow-up. "
    "Dates marked * follow local protocol and are to be confirmed by the clinical lead."
)


def register(subparsers: Any) -> None:  # argparse's subparsers action has no public type
    """Add ``hipcare plan`` to the command line."""
    parser = subparsers.add_parser(
        "plan", help="a child's dated VDRO care plan from their facts", description=_DESCRIPTION
    )
    parser.add_argument(
        "--facts", required=True, metavar="FILE", help="facts JSON file ('-' for standard input)"
    )
    parser.add_argument(
        "--lang",
        metavar="CODE",
        help="language: en, ar, zh-Hans, zh-Hant, vi, fa (default: the facts' language)",
    )
    parser.add_argument("--json", action="store_true", help="print the plan as JSON")
    parser.set_defaults(handler=_handle)


def _handle(args: argparse.Namespace, io: CommandIO) -> int:
    from hipcare.bootstrap import load_content
    from hipcare.services.pathway import (
        make_plan,
        parse_facts,
        plan_document,
        plan_language,
        plan_text,
    )

    content = load_content()
    facts = parse_facts(read_json(args.facts, io, "facts"), content=content)
    plan = make_plan(facts, content=content)
    words = plan_language(plan, args.lang, content=content)
    if args.json:
        json.dump(plan_document(plan, words), io.stdout, ensure_ascii=False, indent=2)
        io.stdout.write("\n")
    else:
        io.stdout.write(plan_text(plan, words, content=content))
    return 0
