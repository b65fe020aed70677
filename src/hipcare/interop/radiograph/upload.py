"""An uploaded film read for the record: the reader and the identifier check in one call.

:func:`read_uploaded_film` is the radiograph reader the entry points hand to
:func:`hipcare.services.radiographs.store_radiograph` (its protocol is
``hipcare.services.ports.radiographs.RadiographReader``): it reads the file with
:func:`~hipcare.interop.radiograph.reader.read_radiograph` and compares the file's
identifiers with the child's record
(:func:`~hipcare.interop.radiograph.identifiers.check_identifiers`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from hipcare.interop.radiograph.identifiers import ChildIdentity, check_identifiers
from hipcare.interop.radiograph.reader import read_radiograph

__all__ = ["UploadedFilm", "read_uploaded_film"]


@dataclass(frozen=True)
class UploadedFilm:
    """What is kept of an uploaded film; ``pixel_spacing_mm`` is (row, column) in mm."""

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
    identifier_warnings: tuple[str, ...]


def read_uploaded_film(
    data: bytes,
    *,
    given_name: str,
    family_name: str,
    date_of_birth: date,
    hospital_numbers: tuple[str, ...] = (),
) -> UploadedFilm:
    """Read ``data`` and check its identifiers against the child's names, birth date and
    hospital numbers (the file's Patient ID must be one of them, when the child has any)."""
    radiograph = read_radiograph(data)
    warnings = check_identifiers(
        radiograph.identifiers,
        ChildIdentity(
            given_name, family_name, date_of_birth, hospital_numbers=tuple(hospital_numbers)
        ),
    )
    spacing = radiograph.pixel_spacing
    return UploadedFilm(
        sha256=radiograph.sha256,
        image_format=radiograph.image_format.value,
        rows=radiograph.rows,
        columns=radiograph.columns,
        photometric_interpretation=radiograph.photometric_interpretation,
        pixel_spacing_mm=None if spacing is None else (spacing.row_mm, spacing.column_mm),
        pixel_spacing_source=None if spacing is None else spacing.source.value,
        window_centre=radiograph.window.centre,
        window_width=radiograph.window.width,
        study_date=radiograph.identifiers.study_date,
        identifier_warnings=tuple(f"{w.attribute}: {w.problem}" for w in warnings),
    )
