"""The booklet's own English family text: plain words, our own words, placeholders it can fill.

The text lives in ``content/booklet.toml`` (headings, labels, warning signs, disclaimer); the
pathway's text is checked in ``test_pathway_sheet.py``.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from hipcare.content.booklet import family_strings
from hipcare.content.i18n import placeholders

FACT_SHEET = Path("/work/shared/seed/000_e1fb8ed0517e8fce.txt")

# Placeholders the booklet service fills, with sample values for the readability measure.
_SAMPLES = {
    "surgery_date": "17 May 2027",
    "site_name": "Harbour Children's Hospital",
    "recurrence": "Every day",
    "end_date": "28 June 2027",
    "hours": "24 hours",
    "printed_date": "25 November 2026",
}


def _texts() -> list[str]:
    return [text for _, text in family_strings()]


def _sentences() -> str:
    """Every string filled and ended as a sentence (labels count as short sentences)."""
    parts = []
    for text in _texts():
        filled = text.format(**_SAMPLES)
        parts.append(filled if filled.rstrip().endswith((".", "?", "!", ":")) else f"{filled}.")
    return "\n".join(parts)


def _textstat() -> Any:  # textstat ships no type information
    with warnings.catch_warnings():
        # textstat 0.7.3 imports pkg_resources, which warns that it is deprecated.
        warnings.simplefilter("ignore")
        import textstat
    return textstat


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def test_every_placeholder_is_one_the_booklet_fills() -> None:
    unknown = {
        where: sorted(placeholders(text) - _SAMPLES.keys())
        for where, text in family_strings()
        if placeholders(text) - _SAMPLES.keys()
    }
    assert unknown == {}


def test_booklet_text_reads_at_smog_grade_8_or_lower() -> None:
    """SMOG (textstat 0.7.3) of the booklet's own text joined; measured 7.7."""
    grade = _textstat().smog_index(_sentences())
    assert grade <= 8.0, f"SMOG grade {grade}"


def test_booklet_text_reads_at_flesch_kincaid_grade_8_or_lower() -> None:
    """Flesch-Kincaid grade of the same text; measured 3.3."""
    grade = _textstat().flesch_kincaid_grade(_sentences())
    assert grade <= 8.0, f"Flesch-Kincaid grade {grade}"


@pytest.mark.skipif(not FACT_SHEET.is_file(), reason="the fact sheet is kept outside the repo")
def test_no_booklet_string_copies_seven_words_in_a_row_from_the_sheet() -> None:
    sheet = _words(FACT_SHEET.read_text(encoding="utf-8"))
    runs = {tuple(sheet[i : i + 7]) for i in range(len(sheet) - 6)}
    copied = [
        " ".join(words[i : i + 7])
        for words in map(_words, _texts())
        for i in range(len(words) - 6)
        if tuple(words[i : i + 7]) in runs
    ]
    assert copied == []
