"""What the radiograph use cases share: the clinician check, a film with its child for a
member of the care team, and which readings of a film are the record's and who may see them.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    Child,
    EntityType,
    Role,
    User,
)
from hipcare.services.access import deny
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.radiographs import (
    Reading,
    StoredFilm,
)

__all__ = [
    "film_for",
    "record_reading",
    "require_clinician",
    "visible_readings",
]


def require_clinician(
    uow: UnitOfWork, actor: User, child_id: int, now: datetime, what: str
) -> None:
    if actor.role is not Role.CLINICIAN:
        deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor.id} is a {actor.role}; only a clinician {what}",
        )


def film_for(uow: UnitOfWork, actor: User, film_id: int, now: datetime) -> tuple[StoredFilm, Child]:
    film = uow.radiographs.get(film_id)
    if film is None:
        raise InvalidInputError("radiograph_id", f"no film with id {film_id}")
    child = uow.children.get(film.child_id)
    if child is None or not actor.belongs_to(child.site_id):
        deny(
            uow,
            actor,
            EntityType.RADIOGRAPH,
            film_id,
            now,
            f"user {actor.id} does not belong to the film's site",
        )
    if actor.role not in (Role.CLINICIAN, Role.SITE_ADMINISTRATOR):
        deny(uow, actor, EntityType.RADIOGRAPH, film_id, now, "films are for the care team")
    return film, child


def record_reading(readings: Sequence[Reading]) -> Reading | None:
    """The film's reading that is the record's measure: the confirmed one, else the first
    (provisional) one; None for a film not read yet (:mod:`hipcare.domain.readings`)."""
    confirmed = next((reading for reading in readings if not reading.provisional), None)
    return confirmed or (readings[0] if readings else None)


def visible_readings(
    readings: Sequence[Reading], actor_id: int, *, keep_first: bool = False
) -> tuple[Reading, ...]:
    """The readings ``actor_id`` may see: all once they have saved their own, else none
    (blind), or only the record's measure (:func:`record_reading`) when ``keep_first``."""
    if any(reading.measured_by == actor_id for reading in readings):
        return tuple(readings)
    shown = record_reading(readings)
    return (shown,) if keep_first and shown is not None else ()
