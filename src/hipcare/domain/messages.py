"""A word with the team (issue 17): the text of one message in a child's thread between the
family (linked family members) and the care team (staff of the child's site).

A message is plain text, at most :data:`MESSAGE_MAX_CHARS` characters. Control characters
(but line breaks and tabs) and the Unicode bidirectional embedding, override and isolate
controls are refused: they hide or reorder text on the reader's screen ("Trojan Source",
CVE-2021-42574). Arabic and Persian text needs none of them; the zero-width non-joiner
Persian uses (U+200C) is kept.
"""

from __future__ import annotations

from enum import StrEnum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import refuse_control_characters

__all__ = ["MESSAGE_MAX_CHARS", "MessageSide", "message_text"]

MESSAGE_MAX_CHARS = 2000
"""The longest message, in characters (about a page): a longer matter is a phone call."""

_BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e"  # LRE RLE PDF LRO RLO
    "\u2066\u2067\u2068\u2069"  # LRI RLI FSI PDI
    "\u2028\u2029"  # line and paragraph separators: not line breaks a textarea sends
)


class MessageSide(StrEnum):
    """Who wrote a message: the child's family or the care team."""

    FAMILY = "family"
    CARE_TEAM = "care-team"


def message_text(text: object, field_name: str = "body") -> str:
    """The message as stored: line breaks made LF, outer blank space removed; refuses an
    empty, too long or hiding text with an :class:`InvalidInputError` naming ``field_name``."""
    if not isinstance(text, str):
        raise InvalidInputError(field_name, "must be text")
    cleaned = text.replace("\r\n", "\n").replace("\r", "\n").strip()
    if not cleaned:
        raise InvalidInputError(field_name, "is empty; write your message")
    if len(cleaned) > MESSAGE_MAX_CHARS:
        raise InvalidInputError(
            field_name, f"is {len(cleaned)} characters long; the most is {MESSAGE_MAX_CHARS}"
        )
    refuse_control_characters(cleaned, field_name, multiline=True)
    for char in cleaned:
        if char in _BIDI_CONTROLS:
            raise InvalidInputError(
                field_name,
                f"holds an invisible direction control character (U+{ord(char):04X}); "
                "retype it without pasting",
            )
    return cleaned
