"""Use cases of the radiograph viewer: store a film with a child's record, measure it, compare.

- :func:`store_radiograph` reads an uploaded file (DICOM, PNG or JPEG) with the reader the
  entry point hands in (``RadiographReader``), which also checks its identifiers against the
  child's record, and keeps it only when nothing was doubted or the clinician confirmed the
  warnings.
  A file that cannot be read is refused (``InvalidInputError`` on ``file``): nothing is kept.
- :func:`open_film` (the viewer), :func:`film_image` / :func:`film_content` (the preview) and
  :func:`reading_on_film` (a reading's overlay) give a film to a member of the child's site;
  each call is audited ``radiograph.read``, an image answered from a cache included.
- :func:`save_reading` keeps one clinician's landmarks (pixel coordinates of the ORIGINAL
  film) with the server's measures (:func:`hipcare.services.radiograph.measure_radiograph`,
  the source of truth), who and when. The first reading of a film also records a visit with
  those measures, so the child's migration percentage trend shows it.
- Blind second reading: a clinician sees other clinicians' readings of a film only once they
  have saved their own (:func:`visible_readings`); :func:`compare_readings` then gives the
  difference per measure against the published single-film error (Parrott et al. 2002).

Authorisation and audit follow :mod:`hipcare.services.access`: staff of the child's site
only (clinicians to store and measure), refusals audited, every store, read and measure
audited with ids only. Identifiers read from a file are patient data: they are shown to the
clinician and kept in the record, never logged.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
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
    Child,
    EntityType,
    HipMeasures,
    Profession,
    Role,
    User,
    VisitRecord,
)
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.radiographs import (
    OverlayDrawer,
    OverlayImage,
    RadiographReader,
    Reading,
    StoredFilm,
    UploadedFilm,
)
from hipcare.services.radiograph import measure_radiograph, parse_film
from hipcare.services.records import parse_visit
from hipcare.services.surveillance_status import refresh_statuses

__all__ = [
    "MAX_UPLOAD_BYTES",
    "ConfirmedAngle",
    "FilmView",
    "IdentifiersNotConfirmedError",
    "MeasureDifference",
    "OverlayImage",
    "Reading",
    "StoredFilm",
    "compare_readings",
    "confirm_reading",
    "confirmed_neck_shaft_angles",
    "film_content",
    "film_image",
    "open_film",
    "reading_on_film",
    "reading_overlay",
    "record_reading",
    "save_reading",
    "store_radiograph",
    "visible_readings",
]

MAX_UPLOAD_BYTES = 60 * 1024 * 1024
"""Largest file accepted (60 MB): an uncompressed 43 x 43 cm detector at 0.1 mm, 16-bit, is
about 37 MB; a larger upload is almost certainly not one AP pelvis film."""


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
class FilmView:
    """A film as one user may see it: the readings they may see, and how many are hidden."""

    film: StoredFilm
    child: Child
    readings: tuple[Reading, ...]
    hidden_readings: int
    own_reading: Reading | None


class IdentifiersNotConfirmedError(InvalidInputError):
    """The file's identifiers differ from the record and the clinician has not confirmed."""

    def __init__(self, warnings: Sequence[str]) -> None:
        self.warnings = tuple(warnings)
        super().__init__(
            "confirm_identifiers",
            "the file's identifiers do not all match the child's record; check them and "
            "confirm that this is the child's film",
        )


def _clinician(uow: UnitOfWork, actor: User, child_id: int, now: datetime, what: str) -> None:
    if actor.role is not Role.CLINICIAN:
        deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor.id} is a {actor.role}; only a clinician {what}",
        )


def _read(data: bytes, child: Child, read: RadiographReader) -> UploadedFilm:
    if not isinstance(data, bytes | bytearray) or not data:
        raise InvalidInputError("file", "choose the radiograph file (.dcm, .png or .jpg)")
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInputError(
            "file",
            f"is {len(data) / 1e6:.0f} MB; the largest film accepted is "
            f"{MAX_UPLOAD_BYTES // (1024 * 1024)} MB",
        )
    return read(
        bytes(data),
        given_name=child.given_name,
        family_name=child.family_name,
        date_of_birth=child.date_of_birth,
        hospital_numbers=tuple(number.value for number in child.hospital_numbers),
    )


def _film_date(value: str | None, study_date: date | None, child: Child, today: date) -> date:
    text = (value or "").strip()
    if not text:
        if study_date is None:
            raise InvalidInputError(
                "film_date", "the file does not say when the film was taken; give the date"
            )
        chosen = study_date
    else:
        try:
            chosen = date.fromisoformat(text)
        except ValueError:
            raise InvalidInputError("film_date", f"{text!r} is not a date YYYY-MM-DD") from None
    if chosen > today:
        raise InvalidInputError(
            "film_date", f"{chosen.isoformat()} is after today ({today.isoformat()})"
        )
    if chosen < child.date_of_birth:
        raise InvalidInputError("film_date", "is before the child's date of birth")
    return chosen


def store_radiograph(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    data: bytes,
    *,
    film_date: str | None,
    confirmed: bool,
    today: date,
    now: datetime,
    read: RadiographReader,
) -> StoredFilm:
    """Read the file and keep it with the child's record (audited ``radiograph.stored``).

    Refused, with nothing kept: a file that is not a readable radiograph (field ``file``),
    a film date that is missing (no study date in the file), in the future or before birth
    (``film_date``), and identifiers that differ from the record while ``confirmed`` is false
    (:class:`IdentifiersNotConfirmedError`, whose ``warnings`` say what differs). ``read``
    reads the file and checks its identifiers (the entry point hands it in).
    """
    with uow:
        actor = find_actor(uow, actor_id)
        child = child_for(uow, actor, child_id, now, for_change=True)
        _clinician(uow, actor, child_id, now, "adds films")
        film = _read(data, child, read)
        texts = film.identifier_warnings
        if texts and not confirmed:
            raise IdentifiersNotConfirmedError(texts)
        taken_on = _film_date(film_date, film.study_date, child, today)
        uow.radiographs.add_file(film.sha256, bytes(data))
        stored = uow.radiographs.add(
            StoredFilm(
                child_id=child_id,
                sha256=film.sha256,
                image_format=film.image_format,
                rows=film.rows,
                columns=film.columns,
                photometric_interpretation=film.photometric_interpretation,
                pixel_spacing_mm=film.pixel_spacing_mm,
                pixel_spacing_source=film.pixel_spacing_source,
                window_centre=film.window_centre,
                window_width=film.window_width,
                study_date=film.study_date,
                film_date=taken_on,
                identifier_warnings=texts,
                stored_by=actor_id,
                stored_at=now,
            )
        )
        write_audit(
            uow, actor, AuditAction.RADIOGRAPH_STORED, EntityType.RADIOGRAPH, stored.id, now
        )
        uow.commit()
    return stored


def _film_for(
    uow: UnitOfWork, actor: User, film_id: int, now: datetime
) -> tuple[StoredFilm, Child]:
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


def film_image(
    uow: UnitOfWork,
    actor_id: int,
    film_id: int,
    *,
    now: datetime,
    file_needed: Callable[[StoredFilm], bool],
) -> tuple[StoredFilm, bytes | None]:
    """For one image request: the film, if ``actor_id`` may see it (staff of its child's
    site), and its file's bytes, or None when ``file_needed(film)`` says the caller holds what
    it will answer with (a 304, a cached preview, the film still decoded in memory).

    Audited ``radiograph.read`` on every call, a cached answer included: an image served is
    a read of the child's record whether or not the viewer page was opened. One transaction,
    one INSERT.
    """
    with uow:
        actor = find_actor(uow, actor_id)
        film, _ = _film_for(uow, actor, film_id, now)
        content = None
        if file_needed(film):
            content = uow.radiographs.file(film.sha256)
            if content is None:  # pragma: no cover -- a foreign key keeps the file
                raise RuntimeError(f"film {film_id}: its file is missing")
        write_audit(uow, actor, AuditAction.RADIOGRAPH_READ, EntityType.RADIOGRAPH, film_id, now)
        uow.commit()
    return film, content


def film_content(
    uow: UnitOfWork, actor_id: int, film_id: int, *, now: datetime
) -> tuple[StoredFilm, bytes]:
    """The film and its file's bytes, if ``actor_id`` may see it; audited ``radiograph.read``."""
    film, content = film_image(uow, actor_id, film_id, now=now, file_needed=lambda _film: True)
    if content is None:  # pragma: no cover -- film_image read the file
        raise RuntimeError(f"film {film_id}: its file is missing")
    return film, content


def reading_on_film(
    uow: UnitOfWork, actor_id: int, film_id: int, reading_id: int, *, now: datetime
) -> tuple[StoredFilm, Reading, bytes]:
    """The film, its file's bytes and one of its readings, for the reading's overlay; audited
    ``radiograph.read`` (one row) when the reading is one the actor may see on the child's
    page: the first (the record's measure), and all of them once the actor has read the film.

    No such reading (or a hidden one): ``InvalidInputError`` on ``reading_id``, not audited,
    as nothing of the film is handed out.
    """
    with uow:
        actor = find_actor(uow, actor_id)
        film, _ = _film_for(uow, actor, film_id, now)
        readings = visible_readings(uow.radiographs.readings(film_id), actor_id, keep_first=True)
        reading = next((item for item in readings if item.id == reading_id), None)
        if reading is None:
            raise InvalidInputError("reading_id", f"no reading {reading_id} of this film to show")
        content = uow.radiographs.file(film.sha256)
        if content is None:  # pragma: no cover -- a foreign key keeps the file
            raise RuntimeError(f"film {film_id}: its file is missing")
        write_audit(uow, actor, AuditAction.RADIOGRAPH_READ, EntityType.RADIOGRAPH, film_id, now)
        uow.commit()
    return film, reading, content


def open_film(uow: UnitOfWork, actor_id: int, film_id: int, *, now: datetime) -> FilmView:
    """The film for the viewer, with the readings the actor may see (blind rule); audited."""
    with uow:
        actor = find_actor(uow, actor_id)
        film, child = _film_for(uow, actor, film_id, now)
        readings = tuple(uow.radiographs.readings(film_id))
        write_audit(uow, actor, AuditAction.RADIOGRAPH_READ, EntityType.RADIOGRAPH, film_id, now)
        uow.commit()
    shown = visible_readings(readings, actor_id)
    own = next((reading for reading in readings if reading.measured_by == actor_id), None)
    return FilmView(
        film=film,
        child=child,
        readings=shown,
        hidden_readings=len(readings) - len(shown),
        own_reading=own,
    )


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
        film, child = _film_for(uow, actor, film_id, now)
        _clinician(uow, actor, film.child_id, now, "measures films")
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
        film, _ = _film_for(uow, actor, film_id, now)
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
        film, _ = _film_for(uow, actor, film_id, now)
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


@dataclass(frozen=True)
class ConfirmedAngle:
    """One hip's neck-shaft angle from the newest film whose record reading is confirmed."""

    side: Side
    angle_deg: float
    film_date: date
    reading_id: int


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
