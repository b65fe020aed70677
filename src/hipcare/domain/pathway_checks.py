"""Checks the care pathway's definition and engine share: ids, placeholders, enum values,
and the sanity bounds on a planned stay and an admission."""

from __future__ import annotations

import functools
import re
import string
from enum import StrEnum
from typing import TypeVar

from hipcare.domain.checks import choices
from hipcare.domain.errors import InvalidInputError

__all__ = [
    "MAX_ADMISSION_BEFORE_SURGERY_DAYS",
    "MAX_STAY_DAYS",
    "PLACEHOLDERS",
    "SLUG",
    "enum_value",
    "placeholders_in",
]

#: An id: lower-case words and dashes.
SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: Placeholders a family text may contain; the caller fills them after translation.
PLACEHOLDERS: frozenset[str] = frozenset(
    {"surgery_date", "admission_date", "discharge_date", "site_name", "stay_days"}
)

#: The longest planned stay and the earliest admission the engine accepts (sanity bounds on
#: input, not clinical rules: a longer stay or earlier admission is a different pathway).
MAX_STAY_DAYS = 60
MAX_ADMISSION_BEFORE_SURGERY_DAYS = 14


def _choices(enum: type[StrEnum]) -> str:
    return choices(enum, quoted=True)


_E = TypeVar("_E", bound=StrEnum)


def enum_value(enum: type[_E], value: object, field_name: str) -> _E:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise InvalidInputError(field_name, f"{value!r} is not one of {_choices(enum)}")


@functools.lru_cache(maxsize=1024)
def placeholders_in(text: str, field_name: str) -> frozenset[str]:
    """The named fields of a family text; refuses braces that do not parse or unknown names.

    Cached: a pathway has a fixed set of texts, and a plan asks for each of them.
    """
    try:
        names = frozenset(
            name for _, name, _, _ in string.Formatter().parse(text) if name is not None
        )
    except ValueError as error:
        raise InvalidInputError(field_name, f"braces do not parse: {error}") from None
    unknown = names - PLACEHOLDERS
    if unknown:
        raise InvalidInputError(
            field_name,
            f"unknown placeholder(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(PLACEHOLDERS))}",
        )
    return names
