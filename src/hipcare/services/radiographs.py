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

The readings' use cases are in ``hipcare.services.radiograph_readings`` and what both
share in ``hipcare.services.radiograph_films``; all are re-exported here under their names.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
)
from hipcare.services.access import child_for, find_actor, write_audit
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.radiographs import (
    OverlayImage,
    RadiographReader,
    Reading,
    StoredFilm,
    UploadedFilm,
)
from hipcare.services.radiograph_films import (
    film_for,
    record_reading,
    require_clinician,
    visible_readings,
)
from hipcare.services.radiograph_readings import (
    ConfirmedAngle,
    MeasureDifference,
    compare_readings,
    confirm_reading,
    confirmed_neck_shaft_angles,
    reading_overlay,
    save_reading,
)

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
        require_clinician(uow, actor, child_id, now, "adds films")
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
        film, _ = film_for(uow, actor, film_id, now)
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
        film, _ = film_for(uow, actor, film_id, now)
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
        film, child = film_for(uow, actor, film_id, now)
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
