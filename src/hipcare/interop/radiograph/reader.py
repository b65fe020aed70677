"""Reading an AP pelvis radiograph: a DICOM file (pydicom) or a photographed film (PNG/JPEG).

``read_radiograph(data)`` takes the file's bytes and returns a
:class:`~hipcare.interop.radiograph.film.Radiograph`: the pixels, pixel spacing, photometric
interpretation, rescale, the display window and the patient and study identifiers
(:mod:`hipcare.interop.radiograph.identifiers` checks those against the child's record).

What is read, and from where (DICOM PS3.3 2024 edition):

- Pixel spacing: Pixel Spacing (0028,0030), which is at the patient; failing that Imager
  Pixel Spacing (0018,1164), which is at the detector and so includes the X-ray
  magnification (C.8.11.7: about 10-20 % on a pelvis film). Migration percentage and the
  angles are ratios and do not change; distances in mm do.
- Photometric interpretation (C.7.6.3.1.2): MONOCHROME1 is shown inverted (low values white),
  as is MONOCHROME2 with Presentation LUT Shape (2050,0020) INVERSE. RGB, YBR and PALETTE
  COLOR images (a scanned film stored in DICOM) are shown with their 8-bit colours turned to
  grey (ITU-R 601-2 luma, as Pillow does), as dcmtk shows them.
- Rescale slope and intercept (C.11.1.1.2), the window (C.11.2.1.2: first value if several;
  VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID); with no usable window, the range of the
  pixel values (min to max) is shown.
- Identifiers: Patient ID, Patient's Name, Patient's Birth Date, Study Instance UID, Study
  Date, Accession Number.

Also: PALETTE COLOR through its palette, YBR_FULL_422, the Modality LUT Sequence (in place of
rescale), graphic overlay planes (60xx,3000) as a mask the previews draw white, as dcmtk does.

Not done (each said in ``Radiograph.notes`` when met): VOI LUT sequences are not applied;
multi-frame images and 1- or 32-bit pixel data are refused. A file hipcare cannot read
raises :class:`InvalidInputError` with field ``file`` and a sentence saying what is wrong;
nothing about it is kept.

Identifiers are patient data: show them to the clinician, never write them to logs.
"""

from __future__ import annotations

import io
import math
import re
import warnings
from datetime import date
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import (
    MAX_PIXELS,
    Window,
    WindowSource,
    rescale_from_values,
    window_from_values,
)
from hipcare.interop.radiograph.film import (
    FilmIdentifiers,
    ImageFormat,
    PixelSpacingMm,
    Radiograph,
    SpacingSource,
    pixel_range_window,
)

if TYPE_CHECKING:  # numpy and pydicom are imported when a file is read, not at start-up
    import numpy.typing as npt
    from pydicom.dataset import Dataset

__all__ = ["read_radiograph"]

_FIELD = "file"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
_JPEG_SIGNATURE = b"\xff\xd8\xff"
_NOT_AN_IMAGE = "not a DICOM or PNG/JPEG file; give the radiograph itself (.dcm, .png or .jpg)"

# Transfer syntaxes whose pixel data is stored as plain little-endian words, read without a
# decoder (PS3.5 A.1, A.2, A.5: deflate is undone by pydicom while it reads the file).
_NATIVE_LITTLE_ENDIAN = frozenset(
    {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.1.99"}
)


def read_radiograph(data: bytes) -> Radiograph:
    """Read a radiograph from a DICOM file or a PNG/JPEG photo of a film.

    Raises :class:`InvalidInputError` (field ``file``) when the bytes are not such a file,
    are truncated, or hold an image hipcare does not read (the message says which).
    """
    if not isinstance(data, bytes | bytearray | memoryview):
        raise InvalidInputError(_FIELD, "expected the file's bytes")
    data = bytes(data)
    if not data:
        raise InvalidInputError(_FIELD, "is empty (0 bytes); give the radiograph itself")
    if data.startswith(_PNG_SIGNATURE):
        return _read_photo(data, ImageFormat.PNG)
    if data.startswith(_JPEG_SIGNATURE):
        return _read_photo(data, ImageFormat.JPEG)
    if len(data) >= 132 and data[128:132] == b"DICM":
        return _read_dicom(data, force=False)
    if _looks_like_bare_dataset(data):
        return _read_dicom(data, force=True)
    raise InvalidInputError(_FIELD, _NOT_AN_IMAGE)


def _looks_like_bare_dataset(data: bytes) -> bool:
    # A DICOM data set written without the 128-byte preamble starts with a group 0002 or
    # 0008 element: little endian (08 00 ee ee) or big endian (00 08 ee ee). An element
    # 0000 is a group length, whose value is 4 bytes long (implicit VR: length 4; explicit:
    # VR "UL" and length 4); accept those, nothing else.
    if len(data) < 12:
        return False
    if data[1] == 0 and data[0] in (0x02, 0x08):
        if data[2:4] != b"\x00\x00":
            return True
        return data[4:8] == b"\x04\x00\x00\x00" or data[4:8] == b"UL\x04\x00"
    return data[0] == 0 and data[1] == 0x08 and data[2:4] != b"\x00\x00" and data[4:6].isalpha()


def _read_dicom(data: bytes, *, force: bool) -> Radiograph:
    # pydicom converts values when they are first asked for and warns then about damaged
    # ones (a UID cut off mid-way): those warnings would reach the terminal as extra lines
    # beside the one-line error. The warnings of the read itself still become notes below.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return _read_dicom_dataset(data, force=force)


def _read_dicom_dataset(data: bytes, *, force: bool) -> Radiograph:
    import numpy as np
    import pydicom
    from pydicom.errors import InvalidDicomError

    notes: list[str] = []
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            ds = pydicom.dcmread(io.BytesIO(data), force=force)
        except InvalidDicomError:
            raise InvalidInputError(_FIELD, _NOT_AN_IMAGE) from None
        # pydicom raises many kinds of error on damaged bytes; each means the same to a
        # clinician, so all are reported as one sentence (never a traceback).
        except Exception as error:
            raise InvalidInputError(
                _FIELD, f"a damaged DICOM file that cannot be read ({_first_line(error)})"
            ) from None
    notes += [f"DICOM reader: {_first_line(w.message)}" for w in caught[:3]]
    ended_early = any("end of file" in str(w.message).lower() for w in caught)
    sop_class = ds.file_meta.get("MediaStorageSOPClassUID", None)
    # A damaged meta header can give the class as plain text rather than a UID.
    is_image_class = sop_class is not None and "Image Storage" in str(
        getattr(sop_class, "name", "")
    )
    if "PixelData" not in ds and ended_early:
        raise InvalidInputError(
            _FIELD,
            f"image truncated: the file ends after {len(data)} bytes, before its pixel data is "
            "complete (an interrupted copy?); export it again",
        )
    if "PixelData" not in ds and (is_image_class or "Rows" in ds):
        raise InvalidInputError(
            _FIELD,
            f"image truncated or exported without its pixel data: the file ends after "
            f"{len(data)} bytes with no image in it; export the film again",
        )
    if "PixelData" not in ds:
        what = str(getattr(ds, "Modality", "") or "unknown modality")
        raise InvalidInputError(
            _FIELD,
            f"a DICOM file without an image (no pixel data; modality {what}), such as a report "
            "or another document; give the radiograph's image file",
        )
    rows, columns = _positive_int(ds, "Rows"), _positive_int(ds, "Columns")
    if rows * columns > MAX_PIXELS:
        raise InvalidInputError(
            _FIELD,
            f"says it is {columns} x {rows} pixels, more than any radiograph hipcare reads "
            f"({MAX_PIXELS // 1_000_000} million pixels): a damaged or hostile file?",
        )
    frames = _whole_number(ds, "NumberOfFrames", 1)
    if frames != 1:
        raise InvalidInputError(
            _FIELD,
            f"holds {frames} frames; hipcare reads single-frame radiographs (CR/DX); export "
            "the AP pelvis frame on its own",
        )
    samples = _whole_number(ds, "SamplesPerPixel", 1)
    photometric = str(getattr(ds, "PhotometricInterpretation", "") or "").strip().upper()
    if photometric not in (
        "MONOCHROME1",
        "MONOCHROME2",
        "PALETTE COLOR",
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_ICT",
        "YBR_RCT",
    ):
        raise InvalidInputError(
            _FIELD,
            f"photometric interpretation {photometric or 'missing'!s} is not read; hipcare reads "
            "MONOCHROME1, MONOCHROME2, PALETTE COLOR and RGB/YBR radiographs",
        )
    bits_allocated = _whole_number(ds, "BitsAllocated", 0)
    if bits_allocated not in (8, 16):
        raise InvalidInputError(
            _FIELD, f"{bits_allocated}-bit pixel data is not read; hipcare reads 8 or 16 bits"
        )
    bits_stored = _whole_number(ds, "BitsStored", bits_allocated)
    if not 1 <= bits_stored <= bits_allocated:
        raise InvalidInputError(
            _FIELD, f"Bits Stored {bits_stored} does not fit Bits Allocated {bits_allocated}"
        )
    signed = _whole_number(ds, "PixelRepresentation", 0) == 1
    syntax = _transfer_syntax(ds)
    pixel_data = ds.PixelData
    monochrome = samples == 1 and photometric.startswith("MONOCHROME")
    if syntax in _NATIVE_LITTLE_ENDIAN:
        expected = rows * columns * samples * (bits_allocated // 8)
        if photometric == "YBR_FULL_422" and samples == 3:
            # Two pixels share one Cb and one Cr: 4 samples for 2 pixels (PS3.3 C.7.6.3.1.2).
            expected = rows * columns * 2 * (bits_allocated // 8)
        if len(pixel_data) < expected:
            raise InvalidInputError(
                _FIELD,
                f"pixel data truncated: expected {expected} bytes, found {len(pixel_data)}; "
                "the file was cut short (an interrupted copy?); export it again",
            )
    if syntax in _NATIVE_LITTLE_ENDIAN and monochrome:
        dtype = np.uint8 if bits_allocated == 8 else np.dtype("<u2")
        words = np.frombuffer(pixel_data, dtype=dtype, count=rows * columns).reshape(rows, columns)
        words_are_raw = True
    else:
        words, words_are_raw, bits_stored, signed = _decoded_words(
            ds, syntax, photometric, bits_stored, signed, notes
        )
    inverted = photometric == "MONOCHROME1" or (
        monochrome and str(getattr(ds, "PresentationLUTShape", "")).upper() == "INVERSE"
    )
    if photometric == "MONOCHROME1":
        notes.append("MONOCHROME1: low values are white; shown inverted, bone white")
    slope, intercept = _rescale(ds, notes)
    if "ModalityLUTSequence" in ds and monochrome:
        looked_up = _modality_lut_values(ds, notes)
        if looked_up is not None:
            words, words_are_raw, bits_stored, signed = looked_up, False, 16, False
            slope, intercept = 1.0, 0.0
    radiograph = Radiograph(
        words=words,
        words_are_raw=words_are_raw,
        bits_stored=bits_stored,
        signed=signed,
        image_format=ImageFormat.DICOM,
        photometric_interpretation=photometric,
        inverted=inverted,
        rescale_slope=slope,
        rescale_intercept=intercept,
        window=Window(0.0, 1.0),  # replaced below, once the values can be looked at
        pixel_spacing=_pixel_spacing(ds, notes),
        identifiers=_identifiers(ds, notes),
        transfer_syntax=syntax,
        notes=(),
        source=data,
        overlay=_overlay_mask(ds, rows, columns, notes),
    )
    window = _window_from_file(ds, notes) if monochrome else None
    if window is None and not monochrome and words.dtype.itemsize == 1:
        # A colour image (RGB, YBR, palette) is shown as its 8-bit values are, as dcmtk does.
        window = Window(128.0, 256.0, WindowSource.EIGHT_BIT)
    if window is None:
        window = pixel_range_window(radiograph)
        if monochrome:
            notes.append("no usable window in the file: showing the range of the pixel values")
    object.__setattr__(radiograph, "window", window)
    object.__setattr__(radiograph, "notes", tuple(notes))
    return radiograph


def _decoded_words(
    ds: Dataset,
    syntax: str,
    photometric: str,
    bits_stored: int,
    signed: bool,
    notes: list[str],
) -> tuple[npt.NDArray[Any], bool, int, bool]:
    """Pixels through pydicom's decoders: compressed, big endian, or colour."""
    import numpy as np
    from pydicom.uid import UID

    name = UID(syntax).name if UID(syntax).is_valid else syntax
    try:
        pixels = _pixel_array(ds)
    # Decoders (pylibjpeg, openjpeg, pydicom's RLE) raise assorted errors on damaged data.
    except Exception as error:
        repaired = _sequential_jpeg_repaired(ds, syntax, notes)
        if repaired is None:
            raise InvalidInputError(
                _FIELD,
                f"the pixel data ({name}) cannot be decoded: {_first_line(error)}; the file may "
                "be truncated or damaged; export it again",
            ) from None
        pixels = repaired
    if photometric == "PALETTE COLOR":
        from pydicom.pixels.processing import apply_color_lut

        if syntax == "1.2.840.10008.1.2.2":
            _palette_to_little_endian(ds)
        try:
            pixels = apply_color_lut(pixels, ds)
        except Exception as error:  # a missing or damaged lookup table, in any of its forms
            raise InvalidInputError(
                _FIELD, f"its colour palette cannot be read ({_first_line(error)}); is it damaged?"
            ) from None
        notes.append("PALETTE COLOR: the palette's colours applied (16-bit entries, top 8 bits)")
        # The palette's entries are 16-bit (PS3.3 C.7.6.3.1.5): shown with 8 bits, as dcmtk.
        pixels = (pixels >> 8).astype(np.uint8)
    if pixels.ndim == 3:
        if pixels.dtype.itemsize > 1:
            # 16-bit colour to 8 bits by its top bits (Bits Stored), as dcmtk shows it.
            shift = max(bits_stored - 8, 0)
            pixels = (pixels.astype(np.uint32) >> shift).clip(0, 255).astype(np.uint8)
        # Pillow's ITU-R 601-2 luma (L = R*299/1000 + G*587/1000 + B*114/1000, rounded down
        # after adding half), so the grey equals Pillow's convert("L") of the colour image.
        notes.append(f"{photometric} image turned to grey (BT.601 luma)")
        rgb = pixels[..., :3].astype(np.uint32)
        grey = (rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000) >> 16
        words = grey.astype(np.uint8)
        words.flags.writeable = False
        return words, False, 8, False
    if pixels.dtype.kind not in "ui" or pixels.dtype.itemsize > 2:
        raise InvalidInputError(_FIELD, f"pixel values of type {pixels.dtype} are not read")
    itemsize = pixels.dtype.itemsize
    # pydicom hands big-endian pixels (Explicit VR Big Endian) back in the file's byte order
    # ('>i2'); viewing those bytes as native words would read each pixel byte-swapped.
    if not pixels.dtype.isnative:
        pixels = pixels.astype(pixels.dtype.newbyteorder("="))
    words = pixels.view(np.uint8 if itemsize == 1 else np.uint16)
    words.flags.writeable = False
    return words, False, bits_stored, signed


def _palette_to_little_endian(ds: Dataset) -> None:
    """Swap the 16-bit palette tables of an Explicit VR Big Endian file to little endian:
    pydicom 3.0's ``apply_color_lut`` reads their bytes as little endian whatever the file's
    byte order (OBXXXX1A_expb.dcm gave 0x0001 for 0x0100)."""
    import numpy as np

    for colour in ("Red", "Green", "Blue"):
        for kind in ("PaletteColorLookupTableData", "SegmentedPaletteColorLookupTableData"):
            keyword = f"{colour}{kind}"
            if keyword in ds and ds[keyword].VR in ("OW", "US or OW", "OB or OW"):
                raw = bytes(ds[keyword].value)
                ds[keyword].value = (
                    np.frombuffer(raw[: len(raw) // 2 * 2], ">u2").astype("<u2").tobytes()
                )


def _transfer_syntax(ds: Dataset) -> str:
    """The file's transfer syntax; for a data set without one (no file meta), the encoding
    pydicom found while reading, recorded so that its decoders can run."""
    from pydicom.uid import UID, ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    found = ds.file_meta.get("TransferSyntaxUID", None)
    if found is not None and UID(str(found)).is_valid:
        return str(found)
    implicit, little = getattr(ds, "original_encoding", (True, True))
    if implicit is None or little is None:
        implicit, little = True, True
    syntax = (
        ImplicitVRLittleEndian
        if implicit
        else ExplicitVRLittleEndian
        if little
        else ExplicitVRBigEndian
    )
    ds.file_meta.TransferSyntaxUID = syntax
    return str(syntax)


def _modality_lut_values(ds: Dataset, notes: list[str]) -> npt.NDArray[Any] | None:
    """The stored values through the file's Modality LUT Sequence (PS3.3 C.11.1), as 16-bit
    words, in place of Rescale Slope and Intercept; None (rescale used, a note says so) when
    the table cannot be applied."""
    import numpy as np
    from pydicom.pixels.processing import apply_modality_lut

    try:
        values = apply_modality_lut(_pixel_array(ds), ds)
    except Exception:  # a damaged table: the rescale is used instead
        notes.append("Modality LUT Sequence could not be applied: rescale used instead")
        return None
    if values.dtype.kind not in "ui" or values.dtype.itemsize > 2 or int(values.min()) < 0:
        notes.append("Modality LUT Sequence gives values hipcare does not show: rescale used")
        return None
    notes.append("Modality LUT Sequence applied (in place of rescale slope and intercept)")
    words: npt.NDArray[Any] = values.astype(np.uint16)
    words.flags.writeable = False
    return words


def _pixel_array(ds: Dataset) -> npt.NDArray[Any]:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pixels: npt.NDArray[Any] = ds.pixel_array
    return pixels


_SEQUENTIAL_JPEG = frozenset({"1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51"})


def _sequential_jpeg_repaired(
    ds: Dataset, syntax: str, notes: list[str]
) -> npt.NDArray[Any] | None:
    """The pixels of a baseline or extended (12-bit) JPEG whose scan header gives a spectral
    selection other than 0 to 63, decoded once that is set right; None when that is not the
    fault. A sequential JPEG has one spectral band, 0 to 63 (ITU T.81 B.2.3); some writers
    leave 0 to 0, which the IJG library in dcmtk ignores and libjpeg refuses."""
    if syntax not in _SEQUENTIAL_JPEG:
        return None
    from pydicom.encaps import encapsulate, get_frame

    try:
        frame = bytearray(get_frame(ds.PixelData, 0, number_of_frames=1))
    except Exception:  # not an encapsulated frame pydicom can find
        return None
    position, repaired = 2, False
    while position + 4 <= len(frame) and frame[position] == 0xFF:
        marker = frame[position + 1]
        length = int.from_bytes(frame[position + 2 : position + 4], "big")
        if marker == 0xDA:  # start of scan: Ns, Ns x (Cs, Td/Ta), Ss, Se, Ah/Al
            selection = position + 4 + 1 + 2 * frame[position + 4]
            if selection + 1 < len(frame) and (frame[selection], frame[selection + 1]) != (0, 63):
                frame[selection], frame[selection + 1] = 0, 63
                repaired = True
            break
        position += 2 + length
    if not repaired:
        return None
    original = ds.PixelData
    try:
        ds.PixelData = encapsulate([bytes(frame)])
        pixels = _pixel_array(ds)
    except Exception:  # still not decodable: the caller reports the first error
        return None
    finally:
        ds.PixelData = original
    notes.append("JPEG scan header said spectral selection 0-0; read as 0-63 (sequential JPEG)")
    return pixels


def _overlay_mask(
    ds: Dataset, rows: int, columns: int, notes: list[str]
) -> npt.NDArray[Any] | None:
    """Every graphic overlay plane (60xx,3000; PS3.3 C.9.2) of the image, as one mask of
    its size (True where an overlay bit is set), or None when it has none. Region-of-interest
    overlays and overlays kept in unused pixel bits are not drawn (a note says so)."""
    import numpy as np

    mask = None
    drawn = 0
    for group in range(0x6000, 0x6020, 2):
        if (group, 0x3000) not in ds:
            continue
        kind = str(ds.get((group, 0x0040)).value if (group, 0x0040) in ds else "G").upper()
        if kind.strip() == "R":
            notes.append("a region-of-interest overlay plane is not drawn")
            continue
        try:
            plane = np.asarray(ds.overlay_array(group), dtype=bool)
            origin = ds.get((group, 0x0050))
            first_row, first_column = (
                (1, 1) if origin is None else (int(origin.value[0]), int(origin.value[1]))
            )
        except Exception:  # a damaged overlay: the image is still shown, without it
            notes.append("an overlay plane could not be read: not drawn")
            continue
        if plane.ndim == 3:
            plane = plane[0]
        if plane.ndim != 2:
            continue
        if mask is None:
            mask = np.zeros((rows, columns), dtype=bool)
        top, left = first_row - 1, first_column - 1
        bottom = min(rows, top + plane.shape[0])
        right = min(columns, left + plane.shape[1])
        if bottom <= max(top, 0) or right <= max(left, 0):
            continue
        mask[max(top, 0) : bottom, max(left, 0) : right] |= plane[
            max(-top, 0) : bottom - top, max(-left, 0) : right - left
        ]
        drawn += 1
    if (int(getattr(ds, "BitsAllocated", 0) or 0) > int(getattr(ds, "BitsStored", 0) or 0)) and any(
        (group, 0x0102) in ds and (group, 0x3000) not in ds for group in range(0x6000, 0x6020, 2)
    ):
        notes.append("an overlay kept in unused pixel bits is not drawn")
    if drawn:
        notes.append(f"{drawn} overlay plane(s) drawn in white, as dcmtk shows them")
    return mask


def _first_line(error: object) -> str:
    text = str(error).strip().splitlines()
    return (text[0] if text else type(error).__name__)[:200]


def _whole_number(ds: Dataset, keyword: str, default: int) -> int:
    """An IS/US attribute as an int (``default`` when absent or empty); a value that is not
    a whole number (Number of Frames '1A') is refused in one sentence."""
    try:
        value = getattr(ds, keyword, default)
        return int(value or default)
    except (TypeError, ValueError, OverflowError):
        raise InvalidInputError(
            _FIELD, f"{keyword} is not a whole number in this file; is it damaged?"
        ) from None


def _positive_int(ds: Dataset, keyword: str) -> int:
    value = getattr(ds, keyword, None)
    if not isinstance(value, int) or value <= 0:
        raise InvalidInputError(_FIELD, f"has no valid {keyword} (image size); is it damaged?")
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


def _rescale(ds: Dataset, notes: list[str]) -> tuple[float, float]:
    return rescale_from_values(
        _number(getattr(ds, "RescaleSlope", None)),
        _number(getattr(ds, "RescaleIntercept", None)),
        notes,
    )


def _window_from_file(ds: Dataset, notes: list[str]) -> Window | None:
    return window_from_values(
        _number(getattr(ds, "WindowCenter", None)),
        _number(getattr(ds, "WindowWidth", None)),
        str(getattr(ds, "VOILUTFunction", "") or ""),
        has_voi_lut_sequence="VOILUTSequence" in ds,
        notes=notes,
    )


def _pixel_spacing(ds: Dataset, notes: list[str]) -> PixelSpacingMm | None:
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


def _identifiers(ds: Dataset, notes: list[str]) -> FilmIdentifiers:
    return FilmIdentifiers(
        patient_id=_text(ds, "PatientID"),
        patient_name=_text(ds, "PatientName"),
        birth_date=_dicom_date(ds, "PatientBirthDate", notes),
        study_instance_uid=_text(ds, "StudyInstanceUID"),
        study_date=_dicom_date(ds, "StudyDate", notes),
        accession_number=_text(ds, "AccessionNumber"),
    )


def _read_photo(data: bytes, image_format: ImageFormat) -> Radiograph:
    import numpy as np
    from PIL import Image, ImageOps, UnidentifiedImageError

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as opened:
                # The header's size, before any pixel is decoded: the same limit as a DICOM
                # film's (a 361 kB PNG that decodes to 88 million pixels took 750 MB).
                columns, rows = opened.size
                if rows * columns > MAX_PIXELS:
                    raise InvalidInputError(
                        _FIELD,
                        f"says it is {columns} x {rows} pixels, more than any radiograph "
                        f"hipcare reads ({MAX_PIXELS // 1_000_000} million pixels): a "
                        "damaged or hostile file?",
                    )
                opened.load()
                image = ImageOps.exif_transpose(opened)
    except UnidentifiedImageError:
        raise InvalidInputError(_FIELD, _NOT_AN_IMAGE) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise InvalidInputError(
            _FIELD, "the image is too large to be a photo of a film (over 89 million pixels)"
        ) from None
    # Pillow reports a cut-off or damaged PNG/JPEG as OSError/SyntaxError/ValueError.
    except (OSError, SyntaxError, ValueError) as error:
        raise InvalidInputError(
            _FIELD,
            f"{image_format.value.upper()} image data truncated or damaged "
            f"({_first_line(error)}); save or photograph the film again",
        ) from None
    notes = [
        "a photo of a film: no pixel spacing, so no distances in mm; migration percentage and "
        "angles are ratios; check the photo is square-on and the film flat"
    ]
    if image.mode in ("I;16", "I;16L", "I;16B"):
        words = np.asarray(image, dtype=np.uint16)
        bits = 16
    else:
        if image.mode != "L":
            notes.append(f"{image.mode} photo turned to grey")
            image = image.convert("L")
        words = np.asarray(image, dtype=np.uint8)
        bits = 8
    words.flags.writeable = False
    radiograph = Radiograph(
        words=words,
        words_are_raw=False,
        bits_stored=bits,
        signed=False,
        image_format=image_format,
        photometric_interpretation="MONOCHROME2",
        inverted=False,
        rescale_slope=1.0,
        rescale_intercept=0.0,
        window=Window(128.0, 256.0, WindowSource.EIGHT_BIT),
        pixel_spacing=None,
        identifiers=FilmIdentifiers(),
        transfer_syntax=None,
        notes=tuple(notes),
        source=data,
    )
    if bits == 16:
        object.__setattr__(radiograph, "window", pixel_range_window(radiograph))
    return radiograph
