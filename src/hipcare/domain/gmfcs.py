"""The Gross Motor Function Classification System (GMFCS) level of a child with cerebral palsy.

Five levels, I (walks without limitations) to V (transported in a manual wheelchair)
[Palisano et al., Dev Med Child Neurol 1997; expanded and revised 2007, CanChild]. Hip
surveillance frequency depends on the level [AusACPDM hip surveillance guidelines 2014].
"""

from __future__ import annotations

from enum import Enum

from hipcare.domain.errors import InvalidInputError

__all__ = ["GMFCS", "parse_gmfcs"]

_UNKNOWN_WORDS = frozenset({"unknown", "not known", "not classified"})


class GMFCS(Enum):
    """A GMFCS level; the value is the Roman numeral clinicians write."""

    I = "I"  # noqa: E741 -- the level's own name is the Roman numeral I
    II = "II"
    III = "III"
    IV = "IV"
    V = "V"


def parse_gmfcs(value: object, field: str = "gmfcs") -> GMFCS | None:
    """The level named by ``value`` ("I" to "V"), or None when it is explicitly unknown.

    ``None`` and the words "unknown", "not known" and "not classified" mean the level has not
    been recorded; anything else that is not a level is refused with the field named.
    """
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if text.lower() in _UNKNOWN_WORDS:
            return None
        try:
            return GMFCS(text.upper())
        except ValueError:
            pass
    raise InvalidInputError(
        field, f"{value!r} is not a GMFCS level; give one of I, II, III, IV, V or 'unknown'"
    )
