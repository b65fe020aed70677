"""JSON-shaped input to plain values, refusing anything else with the field at fault.

The use cases take forms and documents as parsed JSON (``dict``, ``list``, ``str``,
``int``, ``float``, ``bool``, ``None``); these checks are the ones they share. Numbers follow
:mod:`hipcare.domain.checks` (finite, never a ``bool``).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from hipcare.domain.checks import optional_finite_number
from hipcare.domain.errors import InvalidInputError

__all__ = [
    "UNKNOWN_FIELD",
    "json_object",
    "optional_number",
    "optional_text",
    "parse_bool",
    "parse_date",
    "refuse_unknown_keys",
]

UNKNOWN_FIELD = "is not a known field; known fields: {known}"
"""How an unknown key is refused unless the caller words it otherwise (``{known}``: the keys)."""

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def json_object(value: object, field: str, problem: str) -> Mapping[str, Any]:
    """``value`` when it is a JSON object; otherwise refuse it as ``field``: ``problem``."""
    if not isinstance(value, Mapping):
        raise InvalidInputError(field, problem)
    return value


def refuse_unknown_keys(
    document: Mapping[str, Any],
    known: tuple[str, ...],
    prefix: str = "",
    *,
    problem: str = UNKNOWN_FIELD,
) -> None:
    """Refuse the first key of ``document`` not in ``known``, named ``prefix`` + key."""
    for key in document:
        if key not in known:
            raise InvalidInputError(f"{prefix}{key}", problem.format(known=", ".join(known)))


def parse_date(value: object, field: str) -> date:
    """A calendar date written ``YYYY-MM-DD``."""
    if not isinstance(value, str) or not _DATE.fullmatch(value):
        raise InvalidInputError(field, f"{value!r} is not a date; write it as YYYY-MM-DD")
    try:
        return date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not a real calendar date") from None


def parse_bool(value: object, field: str, problem: str) -> bool:
    """``value`` when it is ``true`` or ``false``; otherwise refuse it with ``problem``."""
    if not isinstance(value, bool):
        raise InvalidInputError(field, problem.format(value=value))
    return value


def optional_number(value: object, field: str, unit: str) -> float | None:
    """``None`` when absent, else a finite number in ``unit`` (the unit names the problem)."""
    return optional_finite_number(value, field, unit)


def optional_text(value: object, field: str) -> str | None:
    """Text with its edges trimmed; ``None`` when absent or blank."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field, f"{value!r} must be text")
    return value.strip() or None
