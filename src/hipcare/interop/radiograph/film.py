"""A radiograph as the readers return it: the pixel words and what the file says about them.

:class:`Radiograph` is what :func:`hipcare.interop.radiograph.reader.read_radiograph` makes of a
DICOM file or a PNG/JPEG photo of a film: the pixels, pixel spacing, photometric
interpretation, rescale, the display window and the patient and study identifiers.
:func:`describe_radiograph` gives it JSON-shaped, as ``hipcare radiograph info`` prints it.

Pixel spacing (DICOM PS3.3 2024 edition): Pixel Spacing (0028,0030) is at the patient; Imager
Pixel Spacing (0018,1164) is at the detector and so includes the X-ray magnification
(C.8.11.7). Identifiers are patient data: show them to the clinician, never write them to logs.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import Window, finite_number, range_window

if TYPE_CHECKING:  # numpy is imported when pixels are looked at, not at start-up
    import numpy as np
    import numpy.typing as npt

__all__ = [
    "FilmIdentifiers",
    "ImageFormat",
    "PixelSpacingMm",
    "Radiograph",
    "SpacingSource",
    "describe_radiograph",
    "pixel_range_window",
]


class ImageFormat(StrEnum):
    """The kind of file a radiograph came in."""

    DICOM = "dicom"
    PNG = "png"
    JPEG = "jpeg"


class SpacingSource(StrEnum):
    """Which DICOM attribute gave the pixel spacing."""

    PIXEL_SPACING = "PixelSpacing"
    IMAGER_PIXEL_SPACING = "ImagerPixelSpacing"


@dataclass(frozen=True)
class PixelSpacingMm:
    """Distance between pixel centres in mm, DICOM order: between rows, between columns."""

    row_mm: float
    column_mm: float
    source: SpacingSource

    def __post_init__(self) -> None:
        for name in ("row_mm", "column_mm"):
            value = finite_number(getattr(self, name), f"pixel_spacing.{name}")
            if value <= 0:
                raise InvalidInputError(f"pixel_spacing.{name}", f"must be above 0, got {value}")
            object.__setattr__(self, name, value)

    @property
    def note(self) -> str:
        """What the clinician should know about this spacing."""
        if self.source is SpacingSource.PIXEL_SPACING:
            return "pixel spacing from PixelSpacing (calibrated at the patient)"
        return (
            "pixel spacing from ImagerPixelSpacing: measured at the detector, so distances in "
            "mm include the X-ray magnification (often 10-20 % larger than the patient); "
            "migration percentage and angles are ratios and are not affected"
        )


@dataclass(frozen=True)
class FilmIdentifiers:
    """Who and which study a DICOM file says it belongs to (None when absent)."""

    patient_id: str | None = None
    patient_name: str | None = None
    birth_date: date | None = None
    study_instance_uid: str | None = None
    study_date: date | None = None
    accession_number: str | None = None


@dataclass(frozen=True, eq=False)
class Radiograph:
    """One AP pelvis radiograph as read from a file.

    ``words`` holds the pixel words as stored (2-D, uint8 or uint16, read-only, never
    copied for uncompressed DICOM); when ``words_are_raw`` the bits above Bits Stored may
    hold anything and signed values are not yet sign-extended, so use :meth:`stored_values`
    for the true values. Coordinates of landmarks refer to this pixel grid.
    """

    words: npt.NDArray[Any]
    words_are_raw: bool
    bits_stored: int
    signed: bool
    image_format: ImageFormat
    photometric_interpretation: str
    inverted: bool
    rescale_slope: float
    rescale_intercept: float
    window: Window
    pixel_spacing: PixelSpacingMm | None
    identifiers: FilmIdentifiers
    transfer_syntax: str | None
    notes: tuple[str, ...]
    source: bytes = field(repr=False)
    overlay: npt.NDArray[np.bool_] | None = field(default=None, repr=False)
    """Where the file's graphic overlay planes (60xx,3000) set a bit: drawn white on the
    previews and overlays, as dcmtk draws them; None when it has none."""

    @property
    def rows(self) -> int:
        return int(self.words.shape[0])

    @property
    def columns(self) -> int:
        return int(self.words.shape[1])

    @functools.cached_property
    def sha256(self) -> str:
        """Hex SHA-256 of the file's bytes: the film's content address (computed once)."""
        import hashlib  # here: loading OpenSSL costs a short command 2 ms at start-up

        return hashlib.sha256(self.source).hexdigest()

    @functools.cached_property
    def clean_words(self) -> bool:
        """True when no word has a bit set above Bits Stored (checked once)."""
        return (int(self.words.max()) >> self.bits_stored) == 0

    def stored_values(self) -> npt.NDArray[np.int32]:
        """The stored pixel values (Bits Stored applied, sign-extended), as int32."""
        import numpy as np

        values = self.words.astype(np.int32)
        if self.words_are_raw:
            values &= (1 << self.bits_stored) - 1
            if self.signed:
                sign = 1 << (self.bits_stored - 1)
                values = (values ^ sign) - sign
        elif self.signed and self.words.dtype == np.uint16:
            values = self.words.view(np.int16).astype(np.int32)
        return values

    def word_values(self) -> npt.NDArray[np.float64]:
        """Rescaled value of every possible word (index = word), for lookup tables."""
        import numpy as np

        size = 256 if self.words.dtype == np.uint8 else 65536
        index = np.arange(size, dtype=np.int64)
        if self.words_are_raw:
            index &= (1 << self.bits_stored) - 1
            bits = self.bits_stored
        else:
            bits = 8 * self.words.dtype.itemsize
        if self.signed:
            sign = 1 << (bits - 1)
            index = (index ^ sign) - sign
        values = (index * self.rescale_slope + self.rescale_intercept).astype(np.float64)
        return values


def pixel_range_window(radiograph: Radiograph) -> Window:
    """A LINEAR window spanning the lowest to the highest rescaled pixel value."""
    import numpy as np

    table = radiograph.word_values()
    words = radiograph.words
    low_word, high_word = int(words.min()), int(words.max())
    if radiograph.words_are_raw and (
        radiograph.signed or (high_word >> radiograph.bits_stored) != 0
    ):
        # Masking or sign extension reorders words: look at every word that occurs.
        present = np.zeros(table.size, dtype=bool)
        present[words] = True
        values = table[present]
    elif radiograph.signed:
        signed_words = words.view(np.int8 if words.dtype.itemsize == 1 else np.int16)
        lowest, highest = int(signed_words.min()), int(signed_words.max())
        values = table[[lowest & (table.size - 1), highest & (table.size - 1)]]
    else:
        values = table[[low_word, high_word]]
    return range_window(float(values.min()), float(values.max()))


def describe_radiograph(radiograph: Radiograph) -> dict[str, Any]:
    """What was read, JSON-shaped (identifiers included: for the clinician, not for logs)."""
    spacing = radiograph.pixel_spacing
    ids = radiograph.identifiers
    return {
        "format": radiograph.image_format.value,
        "transfer_syntax": radiograph.transfer_syntax,
        "rows": radiograph.rows,
        "columns": radiograph.columns,
        "bits_stored": radiograph.bits_stored,
        "photometric_interpretation": radiograph.photometric_interpretation,
        "shown_inverted": radiograph.inverted,
        "rescale": {"slope": radiograph.rescale_slope, "intercept": radiograph.rescale_intercept},
        "window": {
            "centre": radiograph.window.centre,
            "width": radiograph.window.width,
            "source": radiograph.window.source.value,
            "function": radiograph.window.function.value,
        },
        "pixel_spacing_mm": None
        if spacing is None
        else {"row": spacing.row_mm, "column": spacing.column_mm, "source": spacing.source.value},
        "identifiers": {
            "patient_id": ids.patient_id,
            "patient_name": ids.patient_name,
            "birth_date": None if ids.birth_date is None else ids.birth_date.isoformat(),
            "study_instance_uid": ids.study_instance_uid,
            "study_date": None if ids.study_date is None else ids.study_date.isoformat(),
            "accession_number": ids.accession_number,
        },
        "sha256": radiograph.sha256,
        "notes": list(radiograph.notes),
    }
