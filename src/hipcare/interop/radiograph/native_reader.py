"""The command line's fast reader of a plain DICOM film: no numpy, no pydicom.

``hipcare radiograph preview`` runs as a whole process, so what it imports is most of what
it costs: numpy and pydicom (which brings ``requests`` along through ``pydicom.data``) take
several times longer to import than ``dcmj2pnm`` takes to do the whole job (ADR 0009). For
the common film, uncompressed little-endian DICOM with one grey channel, this module reads
the few attributes a preview needs with :mod:`struct`;
:func:`hipcare.interop.radiograph.preview.native_preview` then makes the picture with Pillow
alone, giving exactly the bytes that :func:`hipcare.interop.radiograph.preview.render_preview`
gives.

It is a fast path, never the only path: :func:`read_native_film` returns None for anything
outside its narrow scope, and the caller then reads the file with pydicom
(:func:`hipcare.interop.radiograph.reader.read_radiograph`), which also gives every error message.
Out of scope, so None: no ``DICM`` preamble; a transfer syntax other than Explicit or
Implicit VR Little Endian; undefined lengths (other than sequences in explicit VR); any
element that is malformed, out of order, cut short or of an unexpected VR; an attribute
value this reader does not parse exactly as pydicom does; signed pixels; more than one
frame or sample; a photometric interpretation other than MONOCHROME1/2; a SIGMOID VOI
function (numpy's ``exp`` may differ from Python's in the last bit); and a file without a
usable window whose words have bits set above Bits Stored; overlay planes (60xx,3000), which
the pydicom path draws. Nothing else is read: pixel
spacing and the patient and study identifiers are not needed for a preview and are left
to pydicom (``hipcare radiograph info``).

Element encoding: DICOM PS3.5 7.1 (data elements), 7.5 (sequences and items), 8.1.1 (native
pixel data). Tests check, over many generated files, that the previews are byte-identical
to the pydicom path's and that the window, rescale and photometric interpretation agree.
"""

from __future__ import annotations

import re
import struct

from hipcare.interop.radiograph.display import (
    MAX_PIXELS,
    FrozenValue,
    VoiFunction,
    Window,
    rescale_from_values,
    window_from_values,
)

# typing itself is not imported at run time: it costs the radiograph preview command
# 3 ms (ADR 0011). Type checkers treat any name TYPE_CHECKING as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from mmap import mmap

    FileBytes = bytes | mmap

__all__ = ["NativeFilm", "read_native_film"]

_EXPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2.1"
_IMPLICIT_VR_LITTLE_ENDIAN = "1.2.840.10008.1.2"
# Every VR of PS3.5 6.2; those with a 4-byte length in explicit VR (PS3.5 7.1.2).
_VRS = frozenset(
    b"AE AS AT CS DA DS DT FD FL IS LO LT OB OD OF OL OV OW PN SH SL SQ SS ST SV TM UC UI "
    b"UL UN UR US UT UV".split()
)
_LONG_VRS = frozenset(b"OB OD OF OL OV OW SQ SV UC UN UR UT UV".split())
_UNDEFINED = 0xFFFFFFFF
_ITEM, _ITEM_END, _SEQUENCE_END = 0xFFFEE000, 0xFFFEE00D, 0xFFFEE0DD
_MAX_NESTING = 8

# The attributes read, with the VR each must have (PS3.6); all others are skipped.
_PIXEL_DATA = 0x7FE00010
_WANTED = {
    0x00280002: b"US",  # Samples per Pixel
    0x00280004: b"CS",  # Photometric Interpretation
    0x00280008: b"IS",  # Number of Frames
    0x00280010: b"US",  # Rows
    0x00280011: b"US",  # Columns
    0x00280100: b"US",  # Bits Allocated
    0x00280101: b"US",  # Bits Stored
    0x00280103: b"US",  # Pixel Representation
    0x00281050: b"DS",  # Window Center
    0x00281051: b"DS",  # Window Width
    0x00281052: b"DS",  # Rescale Intercept
    0x00281053: b"DS",  # Rescale Slope
    0x00281056: b"CS",  # VOI LUT Function
    0x00283010: b"SQ",  # VOI LUT Sequence (only whether it is there)
    0x20500020: b"CS",  # Presentation LUT Shape
}
_DECIMAL = re.compile(r" *[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)? *")
_INTEGER = re.compile(r" *[+-]?\d+ *")
_CODE = re.compile(r"[A-Z0-9_ ]*")


class _OutOfScopeError(Exception):
    """The file is not one this reader handles exactly like pydicom: use pydicom."""


class NativeFilm(FrozenValue):
    """What a preview needs from an uncompressed little-endian grey DICOM film.

    ``window`` is the file's (None when it has no usable one); ``pixel_offset`` is where the
    rows x columns words start in ``source``.
    """

    _fields = (
        "rows",
        "columns",
        "bits_allocated",
        "bits_stored",
        "photometric_interpretation",
        "inverted",
        "rescale_slope",
        "rescale_intercept",
        "window",
        "transfer_syntax",
        "pixel_offset",
        "source",
    )
    __slots__ = _fields
    _hidden_from_repr = ("source",)
    rows: int
    columns: int
    bits_allocated: int
    bits_stored: int
    photometric_interpretation: str
    inverted: bool
    rescale_slope: float
    rescale_intercept: float
    window: Window | None
    transfer_syntax: str
    pixel_offset: int
    source: FileBytes

    def __init__(
        self,
        rows: int,
        columns: int,
        bits_allocated: int,
        bits_stored: int,
        photometric_interpretation: str,
        inverted: bool,
        rescale_slope: float,
        rescale_intercept: float,
        window: Window | None,
        transfer_syntax: str,
        pixel_offset: int,
        source: FileBytes,
    ) -> None:
        values = locals()
        for name in self._fields:
            object.__setattr__(self, name, values[name])


def read_native_film(data: FileBytes) -> NativeFilm | None:
    """The film's preview attributes, or None when the file is outside this reader's scope
    (see the module docstring): then read it with pydicom, which also words every error."""
    try:
        return _read(data)
    except (_OutOfScopeError, struct.error, IndexError, UnicodeDecodeError, ValueError):
        return None


# --- reading ----------------------------------------------------------------------------------


def _read(data: FileBytes) -> NativeFilm:
    if len(data) < 132 or data[128:132] != b"DICM":
        raise _OutOfScopeError
    position, syntax = _file_meta(data, 132)
    explicit = syntax == _EXPLICIT_VR_LITTLE_ENDIAN
    if not explicit and syntax != _IMPLICIT_VR_LITTLE_ENDIAN:
        raise _OutOfScopeError
    if not explicit and len(data) >= position + 6 and _looks_like_vr(data, position + 4):
        raise _OutOfScopeError  # pydicom would read it as explicit VR after all
    values: dict[int, bytes] = {}
    pixel: tuple[int, int] | None = None
    previous_tag = -1
    end = len(data)
    while end - position >= 8:  # pydicom stops quietly with fewer than 8 bytes left
        tag, vr, length, position = _element_header(data, position, explicit)
        if tag <= previous_tag or tag >> 16 in (0x0000, 0x0002, 0xFFFE):
            raise _OutOfScopeError
        previous_tag = tag
        if tag >> 16 & 0xFF01 == 0x6000 and tag & 0xFFFF == 0x3000:
            raise _OutOfScopeError  # overlay planes are drawn by the pydicom path
        if length == _UNDEFINED:
            if vr != b"SQ" or _WANTED.get(tag, b"SQ") != b"SQ":
                raise _OutOfScopeError
            position = _undefined_sequence(data, position, 0)
            values[tag] = b""
            continue
        value_end = position + length
        if value_end > end:
            raise _OutOfScopeError
        if tag == _PIXEL_DATA:
            if explicit and vr not in (b"OB", b"OW"):
                raise _OutOfScopeError
            pixel = (position, length)
        elif tag in _WANTED:
            if explicit and vr != _WANTED[tag]:
                raise _OutOfScopeError
            if _WANTED[tag] == b"SQ" and explicit:
                _items(data, position, value_end, 0)
            values[tag] = data[position:value_end]
        elif vr == b"SQ":
            _items(data, position, value_end, 0)
        position = value_end
    if pixel is None:
        raise _OutOfScopeError
    return _film(values, pixel, syntax, data)


def _film(
    values: dict[int, bytes], pixel: tuple[int, int], syntax: str, data: FileBytes
) -> NativeFilm:
    rows, columns = _us(values.get(0x00280010)), _us(values.get(0x00280011))
    if not rows or not columns or rows * columns > MAX_PIXELS:
        raise _OutOfScopeError
    frames = _integer(values.get(0x00280008))
    samples = _us(values.get(0x00280002))
    if (frames or 1) != 1 or (samples or 1) != 1:
        raise _OutOfScopeError
    photometric = _code(values.get(0x00280004)).strip().upper()
    if photometric not in ("MONOCHROME1", "MONOCHROME2"):
        raise _OutOfScopeError
    bits_allocated = _us(values.get(0x00280100)) or 0
    if bits_allocated not in (8, 16):
        raise _OutOfScopeError
    bits_stored = _us(values.get(0x00280101)) or bits_allocated
    if not 1 <= bits_stored <= bits_allocated or (_us(values.get(0x00280103)) or 0) == 1:
        raise _OutOfScopeError
    offset, length = pixel
    if length < rows * columns * (bits_allocated // 8):
        raise _OutOfScopeError
    notes: list[str] = []  # the pydicom path keeps these; a preview does not show them
    slope, intercept = rescale_from_values(
        _decimal(values.get(0x00281053)), _decimal(values.get(0x00281052)), notes
    )
    window = window_from_values(
        _decimal(values.get(0x00281050)),
        _decimal(values.get(0x00281051)),
        _code(values.get(0x00281056)),
        has_voi_lut_sequence=0x00283010 in values,
        notes=notes,
    )
    if window is not None and window.function is VoiFunction.SIGMOID:
        raise _OutOfScopeError
    return NativeFilm(
        rows=rows,
        columns=columns,
        bits_allocated=bits_allocated,
        bits_stored=bits_stored,
        photometric_interpretation=photometric,
        inverted=photometric == "MONOCHROME1" or _code(values.get(0x20500020)).upper() == "INVERSE",
        rescale_slope=slope,
        rescale_intercept=intercept,
        window=window,
        transfer_syntax=syntax,
        pixel_offset=offset,
        source=data,
    )


def _file_meta(data: FileBytes, position: int) -> tuple[int, str]:
    """Group 0002 (always explicit VR little endian): where it ends, the transfer syntax."""
    syntax: str | None = None
    while len(data) - position >= 8 and struct.unpack_from("<H", data, position)[0] == 0x0002:
        tag, vr, length, position = _element_header(data, position, explicit=True)
        if length == _UNDEFINED or position + length > len(data):
            raise _OutOfScopeError
        if tag == 0x00020010:
            if vr != b"UI":
                raise _OutOfScopeError
            syntax = data[position : position + length].decode("ascii").rstrip("\x00 ")
        position += length
    if syntax is None:
        raise _OutOfScopeError
    return position, syntax


def _looks_like_vr(data: FileBytes, position: int) -> bool:
    # pydicom's test (filereader._is_implicit_vr): two upper-case ASCII letters.
    return 0x40 < data[position] < 0x5B and 0x40 < data[position + 1] < 0x5B


def _element_header(data: FileBytes, position: int, explicit: bool) -> tuple[int, bytes, int, int]:
    """(tag, VR or b"", value length, where the value starts)."""
    group, element = struct.unpack_from("<HH", data, position)
    tag = group << 16 | element
    if group == 0xFFFE:  # item and delimiter tags have no VR, in either encoding
        return tag, b"", struct.unpack_from("<L", data, position + 4)[0], position + 8
    if not explicit:
        return tag, b"", struct.unpack_from("<L", data, position + 4)[0], position + 8
    vr = data[position + 4 : position + 6]
    if vr not in _VRS:
        raise _OutOfScopeError
    if vr in _LONG_VRS:
        return tag, vr, struct.unpack_from("<L", data, position + 8)[0], position + 12
    return tag, vr, struct.unpack_from("<H", data, position + 6)[0], position + 8


def _items(data: FileBytes, position: int, end: int, depth: int) -> None:
    """Check that a defined-length explicit-VR sequence value holds only well-formed items."""
    if depth > _MAX_NESTING:
        raise _OutOfScopeError
    while position < end:
        tag, _, length, position = _element_header(data, position, explicit=True)
        if tag != _ITEM:
            raise _OutOfScopeError
        if length == _UNDEFINED:
            position = _undefined_item(data, position, depth + 1)
        else:
            _dataset(data, position, position + length, depth + 1)
            position += length
    if position != end:
        raise _OutOfScopeError


def _undefined_sequence(data: FileBytes, position: int, depth: int) -> int:
    """Skip the items of an undefined-length sequence; where its delimiter ends."""
    if depth > _MAX_NESTING:
        raise _OutOfScopeError
    while True:
        tag, _, length, position = _element_header(data, position, explicit=True)
        if tag == _SEQUENCE_END:
            if length != 0:
                raise _OutOfScopeError
            return position
        if tag != _ITEM:
            raise _OutOfScopeError
        if length == _UNDEFINED:
            position = _undefined_item(data, position, depth + 1)
        else:
            if position + length > len(data):
                raise _OutOfScopeError
            _dataset(data, position, position + length, depth + 1)
            position += length


def _undefined_item(data: FileBytes, position: int, depth: int) -> int:
    """Skip the elements of an undefined-length item; where its delimiter ends."""
    _first_element_is_explicit(data, position)
    while True:
        tag, vr, length, position = _element_header(data, position, explicit=True)
        if tag == _ITEM_END:
            if length != 0:
                raise _OutOfScopeError
            return position
        position = _skip_value(data, tag, vr, length, position, depth)


def _dataset(data: FileBytes, position: int, end: int, depth: int) -> None:
    """Check that a defined-length item holds whole explicit-VR elements, exactly."""
    if position < end:
        _first_element_is_explicit(data, position)
    while position < end:
        tag, vr, length, position = _element_header(data, position, explicit=True)
        position = _skip_value(data, tag, vr, length, position, depth)
    if position != end:
        raise _OutOfScopeError


def _first_element_is_explicit(data: FileBytes, position: int) -> None:
    # pydicom reads an item whose first element has no VR letters as implicit VR.
    if len(data) < position + 6 or not _looks_like_vr(data, position + 4):
        raise _OutOfScopeError


def _skip_value(
    data: FileBytes, tag: int, vr: bytes, length: int, position: int, depth: int
) -> int:
    if tag >> 16 == 0xFFFE:
        raise _OutOfScopeError
    if length == _UNDEFINED:
        if vr != b"SQ":
            raise _OutOfScopeError
        return _undefined_sequence(data, position, depth + 1)
    end = position + length
    if end > len(data):
        raise _OutOfScopeError
    if vr == b"SQ":
        _items(data, position, end, depth + 1)
    return end


# --- values, parsed as pydicom parses them (pydicom.values), or out of scope ------------------


def _us(value: bytes | None) -> int | None:
    if value is None:
        return None
    if len(value) != 2:
        raise _OutOfScopeError  # empty, or several values: pydicom gives no single number
    number: int = struct.unpack("<H", value)[0]
    return number


def _strings(value: bytes) -> list[str]:
    # pydicom.values.multi_string: trailing spaces and NULs go, then split at backslashes.
    return value.decode("ascii").rstrip(" \x00").split("\\")


def _decimal(value: bytes | None) -> float | None:
    """The first number of a DS value as ``interop.radiograph.dicom_attributes`` takes it."""
    if not value:
        return None
    parts = _strings(value.decode("ascii").strip().encode("ascii"))
    if parts == [""]:
        return None
    if not all(_DECIMAL.fullmatch(part) for part in parts):
        raise _OutOfScopeError
    number = float(parts[0])
    if number != number or number in (float("inf"), float("-inf")):
        return None
    return number


def _integer(value: bytes | None) -> int | None:
    if not value:
        return None
    parts = _strings(value)
    if len(parts) != 1 or not _INTEGER.fullmatch(parts[0]):
        raise _OutOfScopeError
    return int(parts[0])


def _code(value: bytes | None) -> str:
    """A single CS value (trailing padding removed), "" when absent or empty."""
    if not value:
        return ""
    parts = _strings(value)
    if len(parts) != 1 or not _CODE.fullmatch(parts[0]):
        raise _OutOfScopeError
    return parts[0]
