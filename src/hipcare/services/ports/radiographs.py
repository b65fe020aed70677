"""Radiograph films, their files and clinicians' readings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from hipcare.domain.readings import ReadingConfirmation

__all__ = [
    "OverlayDrawer",
    "OverlayImage",
    "RadiographReader",
    "RadiographRepository",
    "UploadedFilm",
]


@dataclass(frozen=True)
class StoredFilm:
    """A film kept with a child's record: what was read from its file, who stored it, when.

    ``pixel_spacing_mm`` is (row, column) in mm, or None (a photo). ``identifier_warnings``
    are the warnings the clinician confirmed when storing it (empty when none were found).
    """

    child_id: int
    sha256: str
    image_format: str
    rows: int
    columns: int
    photometric_interpretation: str
    pixel_spacing_mm: tuple[float, float] | None
    pixel_spacing_source: str | None
    window_centre: float
    window_width: float
    study_date: date | None
    film_date: date
    identifier_warnings: tuple[str, ...]
    stored_by: int
    stored_at: datetime
    id: int | None = None


@dataclass(frozen=True)
class Reading:
    """One clinician's landmarks on a film (``document``: the ``hipcare measure`` input, in
    pixels of the original film) and the server's ``measures`` from them.

    Provisional while ``confirmation`` is None; else confirmed by ``confirmed_by`` at
    ``confirmed_at``, a surgeon or an agreeing second reading (:mod:`hipcare.domain.readings`).
    """

    radiograph_id: int
    measured_by: int
    measured_at: datetime
    document: Mapping[str, Any]
    measures: Mapping[str, Any]
    visit_id: int | None = None
    id: int | None = None
    confirmed_by: int | None = None
    confirmed_at: datetime | None = None
    confirmation: ReadingConfirmation | None = None

    @property
    def provisional(self) -> bool:
        return self.confirmation is None

    def migration_percentages(self) -> dict[str, float]:
        """The reading's MP per side ("right", "left") that it measured."""
        found = {}
        for side in ("right", "left"):
            hip = self.measures.get(side)
            if isinstance(hip, Mapping) and "migration_percentage" in hip:
                found[side] = float(hip["migration_percentage"])
        return found


@dataclass(frozen=True)
class OverlayImage:
    """A reading's overlay as kept: the image's bytes, media type and size in pixels."""

    media_type: str
    width: int
    height: int
    content: bytes


class OverlayDrawer(Protocol):
    """Draws a reading's small overlay from the film's file and the reading's document (the
    entry points pass :func:`hipcare.render.overlay.overlay_image` via a reader)."""

    def __call__(self, content: bytes, document: Mapping[str, Any]) -> OverlayImage: ...


class RadiographRepository(Protocol):
    def add_file(self, sha256: str, content: bytes) -> None:
        """Keep the file's bytes once (a second upload of the same bytes adds nothing)."""
        ...

    def file(self, sha256: str) -> bytes | None: ...

    def add(self, film: StoredFilm) -> StoredFilm: ...

    def get(self, film_id: int) -> StoredFilm | None: ...

    def for_child(self, child_id: int) -> Sequence[StoredFilm]:
        """The child's films, newest film date first."""
        ...

    def add_reading(self, reading: Reading) -> Reading: ...

    def readings(self, film_id: int) -> Sequence[Reading]:
        """The film's readings, oldest first."""
        ...

    def confirm_reading(self, reading: Reading) -> Reading:
        """Keep ``reading``'s confirmation (who, when, how)."""
        ...

    def put_overlay(self, reading_id: int, overlay: OverlayImage) -> None:
        """Keep (or replace) the reading's overlay image."""
        ...

    def overlay(self, reading_id: int) -> OverlayImage | None: ...

    def hold(self, film_id: int) -> None:
        """Hold the film against other writers until the transaction ends, so two first
        readings at the same moment record one visit, not two."""
        ...


class UploadedFilm(Protocol):
    """What :class:`RadiographReader` read from an uploaded file, flattened for storing.

    ``pixel_spacing_mm`` is (row, column) in mm, or None (a photo); ``identifier_warnings``
    are ``"<DICOM keyword>: <problem>"`` texts for each identifier that differs from the
    child's record (empty when nothing was found to doubt).
    """

    @property
    def sha256(self) -> str: ...
    @property
    def image_format(self) -> str: ...
    @property
    def rows(self) -> int: ...
    @property
    def columns(self) -> int: ...
    @property
    def photometric_interpretation(self) -> str: ...
    @property
    def pixel_spacing_mm(self) -> tuple[float, float] | None: ...
    @property
    def pixel_spacing_source(self) -> str | None: ...
    @property
    def window_centre(self) -> float: ...
    @property
    def window_width(self) -> float: ...
    @property
    def study_date(self) -> date | None: ...
    @property
    def identifier_warnings(self) -> tuple[str, ...]: ...


class RadiographReader(Protocol):
    """Reads an uploaded film (DICOM, PNG or JPEG) and checks its identifiers against the
    child's record (names, birth date, and the Patient ID against the child's hospital
    numbers); an unreadable file raises ``InvalidInputError`` on ``file``. The entry points
    pass :func:`hipcare.interop.radiograph.upload.read_uploaded_film`."""

    def __call__(
        self,
        data: bytes,
        *,
        given_name: str,
        family_name: str,
        date_of_birth: date,
        hospital_numbers: tuple[str, ...] = (),
    ) -> UploadedFilm: ...
