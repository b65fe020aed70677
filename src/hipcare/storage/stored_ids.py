"""The id of a record about to be saved: only a stored record (one with an id) can be."""

from __future__ import annotations

from hipcare.domain.errors import InvalidInputError

__all__ = ["stored_id"]


def stored_id(record_id: int | None, what: str) -> int:
    """``record_id``, or :class:`InvalidInputError` naming ``<what>.id`` when it is missing."""
    if record_id is None:
        raise InvalidInputError(f"{what}.id", "is missing; only a stored record can be saved")
    return record_id
