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
  as is MONOCHROME2 with Presentation LUT Shape (2050,0020) INVERSE. RGB and YBR images (a
  scanned film stored in DICOM) are turned to grey (ITU-R BT.601 luma, as Pillow does).
- Rescale slope and intercept (C.11.1.1.2), the window (C.11.2.1.2: first value if several;
  VOI LUT Function LINEAR, LINEAR_EXACT or SIGMOID); with no usable window, the range of the
  pixel values (min to max) is shown.
- Identifiers: Patient ID, Patient's Name, Patient's Birth Date, Study Instance UID, Study
  Date, Accession Number.

Not done (each said in ``Radiograph.notes`` when met): Modality LUT and VOI LUT sequences are
not applied; multi-frame images and 1- or 32-bit pixel data are refused; PALETTE COLOR is
refused. A file hipcare cannot read raises :class:`InvalidInputError` with field ``file``
and a sentence saying what is wrong; nothing about it is kept.

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
    # 0008 element (little endian): accept those, nothing else.
    return len(data) >= 8 and data[1] == 0 and data[0] in (0x02, 0x08) and data[2:4] != b"\x00\x00"


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
    if "PixelData" not in ds and (ended_early or is_image_class or "Rows" in ds):
        raise InvalidInputError(
            _FIELD,
            f"image truncated: the file ends after {len(data)} bytes, before its pixel data is "
            "complete (an interrupted copy?); export it again",
        )
    if "PixelData" not in ds:
        what = str(getattr(ds, "Modality", "") or "unknown modality")
        raise InvalidInputError(
            _FIELD,
            f"a DICOM file without an image (no pixel data; modality {what}): a report or "
            "other document? Give the radiograph's image file",
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
    if photometric == "PALETTE COLOR" or photometric not in (
        "MONOCHROME1",
        "MONOCHROME2",
        "RGB",
        "YBR_FULL",
        "YBR_FULL_422",
        "YBR_ICT",
        "YBR_RCT",
    ):
        raise InvalidInputError(
            _FIELD,
            f"photometric interpretation {photometric or 'missing'!s} is not read; hipcare reads "
            "MONOCHROME1, MONOCHROME2 and RGB/YBR radiographs",
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
    syntax = str(ds.file_meta.get("TransferSyntaxUID", "1.2.840.10008.1.2"))
    pixel_data = ds.PixelData
    monochrome = samples == 1 and photometric.startswith("MONOCHROME")
    if syntax in _NATIVE_LITTLE_ENDIAN:
        expected = rows * columns * samples * (bits_allocated // 8)
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
    if "ModalityLUTSequence" in ds:
        notes.append("Modality LUT Sequence present but not applied (rescale used instead)")
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
    )
    window = _window_from_file(ds, notes) if monochrome else None
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
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pixels = ds.pixel_array
    # Decoders (pylibjpeg, openjpeg, pydicom's RLE) raise assorted errors on damaged data.
    except Exception as error:
        raise InvalidInputError(
            _FIELD,
            f"the pixel data ({name}) cannot be decoded: {_first_line(error)}; the file may "
            "be truncated or damaged; export it again",
        ) from None
    if pixels.ndim == 3:
        # Pillow's BT.601 luma (L = R*299/1000 + G*587/1000 + B*114/1000), as for photos.
        notes.append(f"{photometric} image turned to grey (BT.601 luma)")
        weights = np.array([0.299, 0.587, 0.114])
        grey = np.rint(pixels[..., :3] @ weights)
        top = 255 if pixels.dtype.itemsize == 1 else 65535
        dtype = np.uint8 if top == 255 else np.uint16
        return np.clip(grey, 0, top).astype(dtype), False, 8 * np.dtype(dtype).itemsize, False
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
