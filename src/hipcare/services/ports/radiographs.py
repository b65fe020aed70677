"""Radiograph films, their files and clinicians' readings."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

__all__ = ["RadiographReader", "RadiographRepository", "UploadedFilm"]


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
    pixels of the original film) and the server's ``measures`` from them."""

    radiograph_id: int
    measured_by: int
    measured_at: datetime
    document: Mapping[str, Any]
    measures: Mapping[str, Any]
    visit_id: int | None = None
    id: int | None = None


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
