"""Use cases of a film's readings: save one clinician's landmarks and measures, draw a reading's
overlay, confirm a reading, compare two readings, and the confirmed neck-shaft angles.

Blind second reading, authorisation and audit as :mod:`hipcare.services.radiographs` says;
re-exported there.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import (
    ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG,
    MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    Side,
)
from hipcare.domain.readings import ReadingConfirmation, readings_agree
from hipcare.domain.records import (
    AuditAction,
    EntityType,
    HipMeasures,
    Profession,
    Role,
    VisitRecord,
)
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.radiographs import (
    OverlayDrawer,
    OverlayImage,
    Reading,
    StoredFilm,
)
from hipcare.services.radiograph import measure_radiograph, parse_film
from hipcare.services.radiograph_films import (
    film_for,
    record_reading,
    require_clinician,
    visible_readings,
)
from hipcare.services.records import parse_visit
from hipcare.services.surveillance_status import refresh_statuses

__all__ = [
    "ConfirmedAngle",
    "MeasureDifference",
    "compare_readings",
    "confirm_reading",
    "confirmed_neck_shaft_angles",
    "reading_overlay",
    "save_reading",
]


@dataclass(frozen=True)
class MeasureDifference:
    """The difference between two readings of one measure of one hip.

    ``error_limit`` is the published 95% limit for one rater on one film (MP 5.8 points, AI
    2.6 degrees; Parrott et al. J Pediatr Orthop 2002;22:660-667), None where none is
    published in hipcare's sources (neck-shaft and head-shaft angles).
    """

    side: Side
    measure: str
    label: str
    unit: str
    first: float
    second: float
    error_limit: float | None

    @property
    def difference(self) -> float:
        return round(self.second - self.first, 2) + 0.0

    @property
    def within_error(self) -> bool | None:
        if self.error_limit is None:
            return None
        return abs(self.difference) <= self.error_limit


@dataclass(frozen=True)
class ConfirmedAngle:
    """One hip's neck-shaft angle from the newest film whose record reading is confirmed."""

    side: Side
    angle_deg: float
    film_date: date
    reading_id: int


def _inside(document: Mapping[str, Any], film: StoredFilm) -> None:
    """Every landmark lies on the film (pixel coordinates of the original, 0 to size)."""
    landmarks = document["landmarks"]
    points: list[tuple[str, Any]] = []
    for name, value in landmarks.items():
        if isinstance(value, Mapping):
            points.extend((f"landmarks.{name}.{key}", point) for key, point in value.items())
        else:
            points.append((f"landmarks.{name}", value))
    for field, (x, y) in points:
        if not (0 <= x <= film.columns and 0 <= y <= film.rows):
            raise InvalidInputError(
                field,
                f"({x:g}, {y:g}) lies off the film ({film.columns} x {film.rows} pixels); "
                "place it on the image",
            )


_HIP_KEYS = {
    "migration_percentage_raw": "migration_percentage_raw",
    "acetabular_index_deg": "acetabular_index_deg",
    "neck_shaft_angle_deg": "neck_shaft_angle_deg",
    "head_shaft_angle_deg": "head_shaft_angle_deg",
}


def save_reading(
    uow: UnitOfWork,
    actor_id: int,
    film_id: int,
    document: Any,
    *,
    now: datetime,
    rules: SurveillanceRules,
    draw_overlay: OverlayDrawer | None = None,
) -> Reading:
    """Keep the actor's landmarks on the film with the server's measures (audited).

    ``document`` is ``{"landmarks": {...}}`` in pixels of the original film; the film's own
    pixel spacing is added here (the browser never sends one). One reading per clinician per
    film. The film's first reading also records a visit (film date, X-ray, the measures and
    the landmark document), audited ``visit.recorded``, so the MP trend shows it: it is
    provisional, and the surveillance engine uses it meanwhile (:mod:`hipcare.domain.readings`).
    A later reading by another clinician that agrees with the record's provisional reading
    within the published error confirms it (audited ``radiograph.confirmed``).

    With ``draw_overlay``, the reading's small overlay image is drawn once the reading is
    committed and kept with it (a second short transaction), so no page view draws one; a
    reading whose overlay was not kept (the server stopped between) has it drawn on its
    first request (:func:`reading_overlay`).
    """
    if not isinstance(document, Mapping):
        raise InvalidInputError("input", 'expected a JSON object with "landmarks"')
    for key in document:
        if key != "landmarks":
            raise InvalidInputError(key, "unknown name; send only the landmarks")
    with uow:
        actor = find_actor(uow, actor_id)
        film, child = film_for(uow, actor, film_id, now)
        require_clinician(uow, actor, film.child_id, now, "measures films")
        uow.radiographs.hold(film_id)  # one visit per film, whoever reads it first
        readings = list(uow.radiographs.readings(film_id))
        if any(reading.measured_by == actor_id for reading in readings):
            raise InvalidInputError(
                "reading", "you have already saved a reading of this film (one per clinician)"
            )
        film_document: dict[str, Any] = {"landmarks": document.get("landmarks")}
        if film.pixel_spacing_mm is not None:
            film_document["pixel_spacing_mm"] = list(film.pixel_spacing_mm)
        parse_film(film_document)
        _inside(film_document, film)
        measures = measure_radiograph(film_document)
        visit_id = None
        if not readings:
            hips: dict[str, Any] = {
                side.value: {
                    key: measures[side.value][source]
                    for key, source in _HIP_KEYS.items()
                    if source in measures[side.value]
                }
                for side in Side
                if side.value in measures
            }
            visit_document: dict[str, Any] = {
                "visit_date": film.film_date.isoformat(),
                "xray": True,
                **hips,
                "film": film_document,
            }
            visit = parse_visit(
                visit_document,
                child_id=child.id or film.child_id,
                recorded_by=actor_id,
                recorded_at=now,
            )
            stored_visit = uow.visits.add(visit)
            visit_id = stored_visit.id
            write_audit(uow, actor, AuditAction.VISIT_RECORDED, EntityType.VISIT, visit_id, now)
            # The new visit changes the child's stored surveillance judgement (the worklist).
            refresh_statuses(uow, [stored_visit.child_id], rules, today=now.date(), now=now)
        reading = uow.radiographs.add_reading(
            Reading(
                radiograph_id=film_id,
                measured_by=actor_id,
                measured_at=now,
                document=film_document,
                measures=measures,
                visit_id=visit_id,
            )
        )
        write_audit(
            uow, actor, AuditAction.RADIOGRAPH_MEASURED, EntityType.RADIOGRAPH, film_id, now
        )
        standing = record_reading(readings)
        if (
            standing is not None
            and standing.provisional
            and readings_agree(standing.migration_percentages(), reading.migration_percentages())
        ):
            uow.radiographs.confirm_reading(
                dataclasses.replace(
                    standing,
                    confirmed_by=actor_id,
                    confirmed_at=now,
                    confirmation=ReadingConfirmation.SECOND_READING,
                )
            )
            write_audit(
                uow, actor, AuditAction.RADIOGRAPH_CONFIRMED, EntityType.RADIOGRAPH, film_id, now
            )
        content = uow.radiographs.file(film.sha256) if draw_overlay is not None else None
        uow.commit()
    if draw_overlay is not None and content is not None and reading.id is not None:
        overlay = draw_overlay(content, reading.document)
        with uow:
            uow.radiographs.put_overlay(reading.id, overlay)
            uow.commit()
    return reading


def reading_overlay(
    uow: UnitOfWork,
    actor_id: int,
    film_id: int,
    reading_id: int,
    *,
    now: datetime,
    draw_overlay: OverlayDrawer,
) -> OverlayImage:
    """The reading's kept overlay image, for whoever may see the reading on the child's page
    (as :func:`reading_on_film`; audited ``radiograph.read``, one row). Drawn and kept here
    only when it was never kept (a reading saved before overlays were kept, or a server
    stopped between saving and drawing).
    """
    with uow:
        actor = find_actor(uow, actor_id)
        film, _ = film_for(uow, actor, film_id, now)
        readings = visible_readings(uow.radiographs.readings(film_id), actor_id, keep_first=True)
        reading = next((item for item in readings if item.id == reading_id), None)
        if reading is None:
            raise InvalidInputError("reading_id", f"no reading {reading_id} of this film to show")
        overlay = uow.radiographs.overlay(reading_id)
        content = None if overlay is not None else uow.radiographs.file(film.sha256)
        write_audit(uow, actor, AuditAction.RADIOGRAPH_READ, EntityType.RADIOGRAPH, film_id, now)
        uow.commit()
    if overlay is not None:
        return overlay
    if content is None:  # pragma: no cover -- a foreign key keeps the file
        raise RuntimeError(f"film {film_id}: its file is missing")
    drawn = draw_overlay(content, reading.document)
    with uow:
        uow.radiographs.put_overlay(reading_id, drawn)
        uow.commit()
    return drawn


def _hips_of(reading: Reading) -> tuple[HipMeasures, ...]:
    hips = []
    for side in Side:
        found = reading.measures.get(side.value)
        if not isinstance(found, Mapping):
            continue
        values = {key: found[source] for key, source in _HIP_KEYS.items() if source in found}
        hips.append(HipMeasures(side=side, **values))
    return tuple(hips)


def confirm_reading(
    uow: UnitOfWork,
    actor_id: int,
    film_id: int,
    reading_id: int,
    *,
    now: datetime,
    rules: SurveillanceRules,
) -> Reading:
    """A surgeon confirms another clinician's reading of a film: it becomes the record's
    measure (audited ``radiograph.confirmed``). When it is not the reading that made the
    film's visit, the visit's measures and landmarks become this reading's (audited
    ``visit.updated``) and the child's surveillance is judged again.

    Refused (``InvalidInputError``): no such reading (``reading_id``), the surgeon's own
    reading, or a film whose reading is already confirmed (``reading``). Anyone but a
    clinician who is a surgeon: refused and audited (:func:`hipcare.services.access.deny`).
    """
    with uow:
        actor = find_actor(uow, actor_id)
        film, _ = film_for(uow, actor, film_id, now)
        if actor.role is not Role.CLINICIAN or actor.profession is not Profession.SURGEON:
            deny(
                uow,
                actor,
                EntityType.RADIOGRAPH,
                film_id,
                now,
                f"user {actor.id} is not a surgeon; only a surgeon confirms a reading",
            )
        uow.radiographs.hold(film_id)
        readings = list(uow.radiographs.readings(film_id))
        reading = next((item for item in readings if item.id == reading_id), None)
        if reading is None:
            raise InvalidInputError("reading_id", f"no reading {reading_id} of this film")
        if reading.measured_by == actor_id:
            raise InvalidInputError(
                "reading",
                "this is your own reading; another surgeon, or an agreeing second reading by "
                "another clinician, confirms it",
            )
        confirmed = next((item for item in readings if not item.provisional), None)
        if confirmed is not None:
            raise InvalidInputError(
                "reading", f"reading {confirmed.id} of this film is already confirmed"
            )
        stored = uow.radiographs.confirm_reading(
            dataclasses.replace(
                reading,
                confirmed_by=actor_id,
                confirmed_at=now,
                confirmation=ReadingConfirmation.SURGEON,
            )
        )
        write_audit(
            uow, actor, AuditAction.RADIOGRAPH_CONFIRMED, EntityType.RADIOGRAPH, film_id, now
        )
        visit_id = next((item.visit_id for item in readings if item.visit_id is not None), None)
        visit: VisitRecord | None = None if visit_id is None else uow.visits.get(visit_id)
        if visit is not None and reading.visit_id != visit.id:
            uow.visits.save(
                dataclasses.replace(visit, hips=_hips_of(reading), film=dict(reading.document))
            )
            write_audit(uow, actor, AuditAction.VISIT_UPDATED, EntityType.VISIT, visit.id, now)
            refresh_statuses(uow, [film.child_id], rules, today=now.date(), now=now)
        uow.commit()
    return stored


_COMPARED = (
    (
        "migration_percentage",
        "Migration percentage",
        "points",
        MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    ),
    ("acetabular_index_deg", "Acetabular index", "°", ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG),
    ("neck_shaft_angle_deg", "Neck-shaft angle", "°", None),
    ("head_shaft_angle_deg", "Head-shaft angle", "°", None),
)


def compare_readings(first: Reading, second: Reading) -> list[MeasureDifference]:
    """Per hip and measure found in both readings: the two values and their difference."""
    differences = []
    for side in Side:
        one, two = first.measures.get(side.value), second.measures.get(side.value)
        if not isinstance(one, Mapping) or not isinstance(two, Mapping):
            continue
        for key, label, unit, limit in _COMPARED:
            if key in one and key in two:
                differences.append(
                    MeasureDifference(
                        side=side,
                        measure=key,
                        label=label,
                        unit=unit,
                        first=float(one[key]),
                        second=float(two[key]),
                        error_limit=limit,
                    )
                )
    return differences


def confirmed_neck_shaft_angles(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> dict[Side, ConfirmedAngle]:
    """Per hip, the neck-shaft angle of the newest film whose record's measure is confirmed
    (:mod:`hipcare.domain.readings`): where the osteotomy planner starts. A provisional
    reading never starts it. For staff of the child's site (refusals audited); the operation
    form that asks has audited its read of the child already, so no row is written here."""
    with uow:
        actor = find_actor(uow, actor_id)
        child_for(uow, actor, child_id, now)
        found: dict[Side, ConfirmedAngle] = {}
        for film in uow.radiographs.for_child(child_id):  # newest film date first
            readings = uow.radiographs.readings(film.id or 0)
            confirmed = next((item for item in readings if not item.provisional), None)
            if confirmed is None:
                continue
            for side in Side:
                hip = confirmed.measures.get(side.value)
                if side in found or not isinstance(hip, Mapping):
                    continue
                angle = hip.get("neck_shaft_angle_deg")
                if isinstance(angle, int | float):
                    found[side] = ConfirmedAngle(
                        side, float(angle), film.film_date, confirmed.id or 0
                    )
            if len(found) == len(Side):
                break
        uow.commit()
    return found
