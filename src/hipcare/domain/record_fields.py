"""The small checks the clinical record's values share: ids, names, short text, dates,
languages, ranges and moments in time. Each raises
:class:`~hipcare.domain.errors.InvalidInputError` naming the field and how to fix it.

Pure: standard library only.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, date, datetime

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "check_calendar_date",
    "check_in_range",
    "check_language",
    "check_name",
    "check_record_id",
    "check_required_id",
    "check_slug",
    "check_text",
    "name_search_key",
    "refuse_control_characters",
    "utc_moment",
]

_SLUG = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_LANGUAGE = re.compile(r"[a-z]{2,3}(?:[-_][A-Za-z0-9]{2,8})*")
_MAX_NAME_LENGTH = 200
_JOINERS = frozenset("\u200c\u200d")
"""Zero-width non-joiner and joiner: format characters that Persian, Arabic and Indic names
need (ZWNJ in "محمد‌رضا"), so they stay allowed in names."""


def utc_moment(value: object, field_name: str) -> datetime:
    """``value`` as a UTC datetime; a naive datetime (no time zone) is refused, not guessed."""
    if not isinstance(value, datetime):
        raise InvalidInputError(field_name, f"{value!r} is not a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(
            field_name, "has no time zone; give a timezone-aware time (it is kept in UTC)"
        )
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is before the first moment a datetime holds in UTC.
        raise InvalidInputError(field_name, "is not a real date and time; check the year") from None


_MULTILINE_WHITESPACE = frozenset("\t\n\r")


def refuse_control_characters(text: str, field_name: str, *, multiline: bool = False) -> None:
    """Refuse ``text`` holding a C0 control character (U+0000-U+001F) or DEL (U+007F).

    Nobody types them; a NUL cannot even be stored in PostgreSQL text, and the others hide in
    pages and exports. Multi-line text (a diary note) may hold tabs and line breaks (a
    browser sends a textarea's line breaks as CR LF).
    """
    for char in text:
        if (char < " " or char == "\x7f") and not (multiline and char in _MULTILINE_WHITESPACE):
            raise InvalidInputError(
                field_name,
                f"holds an invisible control character (U+{ord(char):04X}); "
                "retype it without pasting",
            )


def check_calendar_date(value: object, field_name: str) -> date:
    # datetime is a subclass of date: a time of day where a day is meant is a mistake.
    if not isinstance(value, date) or isinstance(value, datetime):
        raise InvalidInputError(field_name, f"{value!r} is not a calendar date")
    return value


def check_text(value: object, field_name: str, what: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, f"is empty; give {what}")
    refuse_control_characters(value, field_name)
    text = " ".join(value.split())
    if len(text) > _MAX_NAME_LENGTH:
        raise InvalidInputError(field_name, f"is longer than {_MAX_NAME_LENGTH} characters")
    return text


def check_name(value: object, field_name: str, what: str) -> str:
    """A person's name: text without invisible format or separator characters (bidi
    overrides such as U+202E reorder what a clinician reads; zero-width spaces make two
    names that look the same differ), and short enough once folded for searching (a
    ligature or "ß" folds to several letters; the stored search key holds 200 a name)."""
    text = check_text(value, field_name, what)
    for char in text:
        category = unicodedata.category(char)
        if (category == "Cf" and char not in _JOINERS) or category in ("Zl", "Zp"):
            raise InvalidInputError(
                field_name,
                f"holds an invisible formatting character (U+{ord(char):04X}); "
                "retype the name without pasting",
            )
    if len(name_search_key(text)) > _MAX_NAME_LENGTH:
        raise InvalidInputError(
            field_name,
            f"is longer than {_MAX_NAME_LENGTH} characters once its letters are spelled out "
            "for searching (ligatures, ß); shorten it",
        )
    return text


def check_slug(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not _SLUG.fullmatch(value):
        raise InvalidInputError(field_name, f"{value!r} must be an id: lower-case words and dashes")
    return value


def check_record_id(value: object, field_name: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(field_name, f"{value!r} is not a record id (a whole number >= 1)")
    return value


def check_required_id(value: object, field_name: str) -> int:
    checked = check_record_id(value, field_name)
    if checked is None:
        raise InvalidInputError(field_name, "is missing; give the record id")
    return checked


def check_in_range(
    value: float | None, low: float, high: float, field_name: str, unit: str
) -> None:
    if value is not None and not low <= value <= high:
        raise InvalidInputError(field_name, f"{value:g} is outside {low:g} to {high:g} {unit}")


def check_language(value: object, field_name: str) -> str:
    if not isinstance(value, str) or not _LANGUAGE.fullmatch(value):
        raise InvalidInputError(
            field_name, f"{value!r} is not a language code such as 'en', 'ar' or 'zh-Hans'"
        )
    return value


def name_search_key(text: str) -> str:
    """``text`` folded for searching names: accents dropped, case folded, spaces collapsed.

    "Nguyễn  Thị" and "nguyen thi" give the same key, so a clinician finds a child whatever
    keyboard they type on, and SQLite and PostgreSQL search the same way.
    """
    decomposed = unicodedata.normalize("NFKD", text)
    # A control character counts as a space: no name holds one, and PostgreSQL cannot even
    # compare text with a NUL (a search for one was a 500).
    bare = "".join(
        " " if char < " " or char == "\x7f" else char
        for char in decomposed
        if not unicodedata.combining(char)
    )
    return " ".join(bare.casefold().split())
