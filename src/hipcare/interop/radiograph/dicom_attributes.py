"""The DICOM attributes the radiograph reader takes as values (DICOM PS3.3 2024 edition): whole
and decimal numbers, rescale, the window, pixel spacing, dates and the identifiers; and what
every reader says about a file it cannot read (field ``file``).

Identifiers are patient data: show them to the clinician, never write them to logs.
"""

from __future__ import annotations

import math
import re
from datetime import date
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import (
    Window,
    rescale_from_values,
    window_from_values,
)
from hipcare.interop.radiograph.film import (
    FilmIdentifiers,
    PixelSpacingMm,
    SpacingSource,
)

if TYPE_CHECKING:  # numpy and pydicom are imported when a file is read, not at start-up
    from pydicom.dataset import Dataset

__all__ = [
    "FILE_FIELD",
    "NOT_AN_IMAGE",
    "first_line",
    "identifiers_of",
    "pixel_spacing_of",
    "positive_int",
    "rescale_of",
    "whole_number",
    "window_from_file",
]


FILE_FIELD = "file"


NOT_AN_IMAGE = "not a DICOM or PNG/JPEG file; give the radiograph itself (.dcm, .png or .jpg)"


def first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def whole_number(ds: Dataset, keyword: str, default: int) -> int:
    """An IS/US attribute as an int (``default`` when absent or empty); a value that is not
    a whole number (Number of Frames '1A') is refused in one sentence."""
    try:
        value = getattr(ds, keyword, default)
        return int(value or default)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(
            FILE_FIELD, f"{keyword} is not a whole number in this file; is it damaged?"
        ) from None


def positive_int(ds: Dataset, keyword: str) -> int:
    value = getattr(ds, keyword, None)
    if not isinstance(value, int) or value <= 0:
        raise InvalidInputError(FILE_FIELD, f"has no valid {keyword} (image size); is it damaged?")
    return value


def _number(value: Any) -> float | None:
    """First value of a DS/IS attribute as a finite float, or None."""
    if value is None:
        return None
    if not isinstance(value, str | int | float) and hasattr(value, "__getitem__"):
        value = value[0] if len(value) else None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return number if math.isfinite(number) else None


def rescale_of(ds: Dataset, notes: list[str]) -> tuple[float, float]:
    return rescale_from_values(
        _number(getattr(ds, "RescaleSlope", None)),
        _number(getattr(ds, "RescaleIntercept", None)),
        notes,
    )


def window_from_file(ds: Dataset, notes: list[str]) -> Window | None:
    return window_from_values(
        _number(getattr(ds, "WindowCenter", None)),
        _number(getattr(ds, "WindowWidth", None)),
        str(getattr(ds, "VOILUTFunction", "") or ""),
        has_voi_lut_sequence="VOILUTSequence" in ds,
        notes=notes,
    )


def pixel_spacing_of(ds: Dataset, notes: list[str]) -> PixelSpacingMm | None:
    for source in SpacingSource:
        value = getattr(ds, source.value, None)
        if value is None:
            continue
        try:
            row_mm, column_mm = (float(part) for part in value)
            spacing = PixelSpacingMm(row_mm, column_mm, source)
        except (TypeError, ValueError, InvalidInputError):
            notes.append(f"{source.value} {value!r} is not two positive numbers: ignored")
            continue
        notes.append(spacing.note)
        return spacing
    notes.append("no pixel spacing in the file: measures in image pixels, no distances in mm")
    return None


_DICOM_DATE = re.compile(r"(\d{4})(\d{2})(\d{2})")


def _dicom_date(ds: Dataset, keyword: str, notes: list[str]) -> date | None:
    text = str(getattr(ds, keyword, "") or "").strip()
    if not text:
        return None
    match = _DICOM_DATE.fullmatch(text.replace("-", "").replace(".", ""))
    if match:
        try:
            return date(int(match[1]), int(match[2]), int(match[3]))
        except ValueError:
            pass
    notes.append(f"{keyword} is not a date (YYYYMMDD): ignored")
    return None


def _text(ds: Dataset, keyword: str) -> str | None:
    text = str(getattr(ds, keyword, "") or "").strip()
    return text or None


def identifiers_of(ds: Dataset, notes: list[str]) -> FilmIdentifiers:
    return FilmIdentifiers(
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        birth_date=_dicom_date(ds, "PatientBirthDate", notes),
        study_instance_uid=_text(ds, "StudyInstanceUID"),
        study_date=_dicom_date(ds, "StudyDate", notes),
        accession_number=_text(ds, "AccessionNumber"),
    )
