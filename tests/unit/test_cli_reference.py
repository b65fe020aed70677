"""docs/cli.md is generated from the parser and must match it."""

from __future__ import annotations

from pathlib import Path

from hipcare.cli.reference import render_reference

DOCS = Path(__file__).resolve().parents[2] / "docs" / "cli.md"


def test_cli_reference_in_docs_is_up_to_date() -> None:
    """Regenerate with `.venv/bin/python -m hipcare.cli.reference > docs/cli.md` when this fails."""
    assert DOCS.read_text(encoding="utf-8") == render_reference()


def test_cli_reference_lists_every_subcommand() -> None:
    from hipcare.cli import build_parser
    from hipcare.cli.reference import _subparsers

    reference = render_reference()
    for name in _subparsers(build_parser()):
        assert f"## hipcare {name}\n" in reference
