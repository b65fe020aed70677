"""How a radiograph's stored values are shown: rescale, the display window, and the largest
film read. Shared by the pydicom reader (:mod:`hipcare.interop.radiograph.reader`), the
previews (:mod:`hipcare.interop.radiograph.preview`) and the command line's fast reader
(:mod:`hipcare.interop.radiograph.native_reader`), which must not import the pydicom reader's
module.

Rescale Slope and Intercept: DICOM PS3.3 C.11.1.1.2; the window (VOI LUT Function LINEAR,
LINEAR_EXACT, SIGMOID): C.11.2.1.2 and C.11.2.1.3.
"""

from __future__ import annotations

import math
from enum import StrEnum

from hipcare.domain.errors import InvalidInputError

# typing itself is not imported at run time: it costs the radiograph preview command
# 3 ms (ADR 0011). Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any, ClassVar, NoReturn

__all__ = [
    "MAX_PIXELS",
    "FrozenValue",
    "VoiFunction",
    "Window",
    "WindowSource",
    "finite_number",
    "range_window",
    "rescale_from_values",
    "window_from_values",
]

MAX_PIXELS = 64_000_000
"""Largest image read (rows x columns): a 43 cm detector at 0.1 mm is 18.5 million pixels; a
compressed file claiming more would make the decoder allocate gigabytes."""


class WindowSource(StrEnum):
    """Where a display window came from."""

    FILE = "file"  # Window Center / Window Width in the DICOM file
    PIXEL_RANGE = "pixel range"  # min to max of the pixel values (no usable window in the file)
    EIGHT_BIT = "8-bit image"  # a PNG/JPEG photo, shown as it is
    GIVEN = "given"  # chosen by the person looking at the film


class VoiFunction(StrEnum):
    """VOI LUT Function (0028,1056), DICOM PS3.3 C.11.2.1.2/3."""

    LINEAR = "LINEAR"
    LINEAR_EXACT = "LINEAR_EXACT"
    SIGMOID = "SIGMOID"


def finite_number(value: float, field_name: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise InvalidInputError(field_name, f"must be a finite number, got {value!r}")
    return float(value)


class FrozenValue:
    """Equality, hash, repr, pickling and immutability as a frozen dataclass has them, for
    the few values on the command line's fast preview path (this window, the preview, the
    native film): importing :mod:`dataclasses` imports :mod:`inspect` with ``ast``, ``dis``
    and ``tokenize``, 7 ms of that command's whole run (ADR 0009).

    A subclass names its fields in order in ``_fields`` (and ``__slots__ = _fields``), sets
    them in ``__init__`` with ``object.__setattr__``, and may name in ``_hidden_from_repr``
    fields its repr leaves out.
    """

    __slots__ = ()
    _fields: ClassVar[tuple[str, ...]] = ()
    _hidden_from_repr: ClassVar[tuple[str, ...]] = ()

    def _values(self) -> tuple[Any, ...]:
        return tuple(getattr(self, name) for name in self._fields)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, FrozenValue) or other.__class__ is not self.__class__:
            return NotImplemented
        return self._values() == other._values()

    def __hash__(self) -> int:
        return hash(self._values())

    def __repr__(self) -> str:
        shown = (name for name in self._fields if name not in self._hidden_from_repr)
        fields = ", ".join(f"{name}={getattr(self, name)!r}" for name in shown)
        return f"{self.__class__.__qualname__}({fields})"

    def __reduce__(self) -> tuple[type[FrozenValue], tuple[Any, ...]]:
        return self.__class__, self._values()

    def __setattr__(self, name: str, value: object) -> NoReturn:
        raise AttributeError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> NoReturn:
        raise AttributeError(f"cannot delete field {name!r}")


class Window(FrozenValue):
    """A display window over rescaled pixel values: ``centre`` and ``width`` in those units.

    Width must be at least 1 for LINEAR (DICOM PS3.3 C.11.2.1.2.1) and above 0 otherwise.
    """

    _fields = ("centre", "width", "source", "function")
    __slots__ = _fields
    centre: float
    width: float
    source: WindowSource
    function: VoiFunction

    def __init__(
        self,
        centre: float,
        width: float,
        source: WindowSource = WindowSource.GIVEN,
        function: VoiFunction = VoiFunction.LINEAR,
    ) -> None:
        object.__setattr__(self, "centre", finite_number(centre, "window.centre"))
        object.__setattr__(self, "width", finite_number(width, "window.width"))
        object.__setattr__(self, "source", source)
        object.__setattr__(self, "function", function)
        smallest = 1.0 if self.function is VoiFunction.LINEAR else 0.0
        if self.width < smallest or (self.function is not VoiFunction.LINEAR and self.width == 0):
            raise InvalidInputError(
                "window.width",
                f"must be {'at least 1' if smallest else 'above 0'} for a {self.function} "
                f"window, got {self.width:g}",
            )

    @property
    def cache_token(self) -> str:
        """A short exact text of the window, for cache keys."""
        return f"{self.function}:{self.centre!r}:{self.width!r}"


def rescale_from_values(
    slope: float | None, intercept: float | None, notes: list[str]
) -> tuple[float, float]:
    """(slope, intercept) from the first values of Rescale Slope and Intercept (None when
    absent or not a number): 1 and 0 by default, a slope of 0 taken as 1 (with a note)."""
    if slope == 0:
        notes.append("Rescale Slope 0 ignored (taken as 1)")
        slope = None
    return (1.0 if slope is None else slope), (0.0 if intercept is None else intercept)


def window_from_values(
    centre: float | None,
    width: float | None,
    function_text: str,
    *,
    has_voi_lut_sequence: bool,
    notes: list[str],
) -> Window | None:
    """The file's window from the first values of Window Center and Width (None when absent
    or not a number) and the VOI LUT Function text; None, with a note, when not usable."""
    if centre is None or width is None:
        if has_voi_lut_sequence:
            notes.append("VOI LUT Sequence present but not applied")
        return None
    raw_function = (function_text or "LINEAR").strip().upper()
    try:
        function = VoiFunction(raw_function)
    except ValueError:
        notes.append(f"VOI LUT Function {raw_function} unknown: window applied as LINEAR")
        function = VoiFunction.LINEAR
    try:
        return Window(centre, width, WindowSource.FILE, function)
    except InvalidInputError as error:
        notes.append(f"window in the file not usable ({error.problem})")
        return None


def range_window(low: float, high: float) -> Window:
    """A LINEAR window from ``low`` to ``high`` (rescaled values), both shown in full."""
    return Window((low + high + 1.0) / 2.0, max(1.0, high - low + 1.0), WindowSource.PIXEL_RANGE)
