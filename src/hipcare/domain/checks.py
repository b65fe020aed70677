"""Checks the domain values share: real, finite numbers and closed choices (stdlib only).

Each domain module words its refusals in its own voice (a number "in degrees", a landmark
"point"), so the checks take the wording and keep the rule in one place: a number is an
``int`` or ``float`` but never a ``bool``, and never NaN or infinite.
"""

from __future__ import annotations

import math
from enum import Enum

from hipcare.domain.errors import InvalidInputError

__all__ = ["choices", "finite_number", "optional_finite_number"]


def finite_number(value: object, field_name: str, *, not_a_number: str, not_finite: str) -> float:
    """``value`` as a float when it is a real, finite number; otherwise refuse it.

    ``not_a_number`` and ``not_finite`` are the problems to report; they may name
    ``{value!r}`` (the value given) and ``{type}`` (its type's name).
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(
            field_name, not_a_number.format(value=value, type=type(value).__name__)
        )
    if not math.isfinite(value):
        raise InvalidInputError(
            field_name, not_finite.format(value=value, type=type(value).__name__)
        )
    return float(value)


def optional_finite_number(value: object, field_name: str, unit: str) -> float | None:
    """``None`` for ``None``, else ``value`` as a finite float; the problem names the ``unit``."""
    if value is None:
        return None
    return finite_number(
        value,
        field_name,
        not_a_number=f"{{value!r}} is not a number ({unit})",
        not_finite=f"must be a finite number ({unit})",
    )


def choices(enum: type[Enum], *, quoted: bool = False) -> str:
    """The values of ``enum`` as a comma-separated list (each ``repr``-quoted when asked)."""
    return ", ".join(repr(member.value) if quoted else str(member.value) for member in enum)
