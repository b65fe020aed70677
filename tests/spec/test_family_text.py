"""The family pages' own English words and the diary's advice: plain (SMOG grade 8 or lower),
our own words (no run of seven words from the fact sheet), placeholders the pages fill."""

from __future__ import annotations

import re
import tomllib
import warnings
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from hipcare.content.i18n import placeholders

FACT_SHEET = Path("/work/shared/seed/000_e1fb8ed0517e8fce.txt")
_SAMPLES = {
    "child_name": "Lucas",
    "done": 3,
    "total": 27,
    "end_date": "28 June 2027",
    "score": 7,
    "time": "19:52",
    "surgery_date": "3 March 2027",
    "day": "3 March 2027",
    "place": "Day Surgery Admissions",
    "phone": "000",
    "count": 2000,
    "problem": "is empty; write your message",
}


def _texts() -> list[str]:
    content = resources.files("hipcare.content")
    ui = tomllib.loads(content.joinpath("family.toml").read_text("utf-8"))["ui"]
    rules = tomllib.loads(content.joinpath("diary.toml").read_text("utf-8"))["rule"]
    return [*ui.values(), *(rule["advice"] for rule in rules)]


def _sentences() -> str:
    parts = []
    for text in _texts():
        filled = text.format(**_SAMPLES)
        ended = filled.rstrip().endswith((".", "?", "!", ":", ")"))
        parts.append(filled if ended else f"{filled}.")
    return "\n".join(parts)


def _textstat() -> Any:  # textstat ships no type information
    with warnings.catch_warnings():
        # textstat 0.7.3 imports pkg_resources, which warns that it is deprecated.
        warnings.simplefilter("ignore")
        import textstat
    return textstat


def test_every_placeholder_is_one_the_pages_fill() -> None:
    unknown = [text for text in _texts() if placeholders(text) - _SAMPLES.keys()]
    assert unknown == []


def test_family_page_text_reads_at_smog_grade_8_or_lower() -> None:
    """SMOG (textstat 0.7.3) of the pages' words and the diary's advice joined; measured 6.1."""
    grade = _textstat().smog_index(_sentences())
    assert grade <= 8.0, f"SMOG grade {grade}"


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


@pytest.mark.skipif(not FACT_SHEET.is_file(), reason="the fact sheet is kept outside the repo")
def test_no_family_page_string_copies_seven_words_in_a_row_from_the_sheet() -> None:
    sheet = _words(FACT_SHEET.read_text(encoding="utf-8"))
    runs = {tuple(sheet[i : i + 7]) for i in range(len(sheet) - 6)}
    copied = [
        " ".join(words[i : i + 7])
        for words in map(_words, _texts())
        for i in range(len(words) - 6)
        if tuple(words[i : i + 7]) in runs
    ]
    assert copied == []
