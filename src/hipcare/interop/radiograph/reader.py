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

The attributes are read in ``dicom_attributes``, the pixels decoded in ``dicom_pixels``, a
photo read in ``photo_reader``.

Identifiers are patient data: show them to the clinician, never write them to logs.
"""

from __future__ import annotations

import io
import warnings
from typing import TYPE_CHECKING

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.dicom_attributes import (
    FILE_FIELD,
    NOT_AN_IMAGE,
    first_line,
    identifiers_of,
    pixel_spacing_of,
    positive_int,
    rescale_of,
    whole_number,
    window_from_file,
)
from hipcare.interop.radiograph.dicom_pixels import (
    decoded_words,
    modality_lut_values,
    overlay_mask,
)
from hipcare.interop.radiograph.display import (
    MAX_PIXELS,
    Window,
    WindowSource,
)
from hipcare.interop.radiograph.film import (
    ImageFormat,
    Radiograph,
    pixel_range_window,
)
from hipcare.interop.radiograph.photo_reader import (
    read_photo,
)

if TYPE_CHECKING:  # numpy and pydicom are imported when a file is read, not at start-up
    from pydicom.dataset import Dataset

__all__ = ["read_radiograph"]

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


_JPEG_SIGNATURE = b"\xff\xd8\xff"


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
        raise InvalidInputError(FILE_FIELD, "expected the file's bytes")
    data = bytes(data)
    if not data:
        raise InvalidInputError(FILE_FIELD, "is empty (0 bytes); give the radiograph itself")
    if data.startswith(_PNG_SIGNATURE):
        return read_photo(data, ImageFormat.PNG)
    if data.startswith(_JPEG_SIGNATURE):
        return read_photo(data, ImageFormat.JPEG)
    if len(data) >= 132 and data[128:132] == b"DICM":
        return _read_dicom(data, force=False)
    if _looks_like_bare_dataset(data):
        return _read_dicom(data, force=True)
    raise InvalidInputError(FILE_FIELD, NOT_AN_IMAGE)


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
            raise InvalidInputError(FILE_FIELD, NOT_AN_IMAGE) from None
        # pydicom raises many kinds of error on damaged bytes; each means the same to a
        # clinician, so all are reported as one sentence (never a traceback).
        except Exception as error:
            raise InvalidInputError(
                FILE_FIELD, f"a damaged DICOM file that cannot be read ({first_line(error)})"
            ) from None
    notes += [f"DICOM reader: {first_line(w.message)}" for w in caught[:3]]
    ended_early = any("end of file" in str(w.message).lower() for w in caught)
    sop_class = ds.file_meta.get("MediaStorageSOPClassUID", None)
    # A damaged meta header can give the class as plain text rather than a UID.
    is_image_class = sop_class is not None and "Image Storage" in str(
        getattr(sop_class, "name", "")
    )
    if "PixelData" not in ds and ended_early:
        raise InvalidInputError(
            FILE_FIELD,
            f"image truncated: the file ends after {len(data)} bytes, before its pixel data is "
            "complete (an interrupted copy?); export it again",
        )
    if "PixelData" not in ds and (is_image_class or "Rows" in ds):
        raise InvalidInputError(
            FILE_FIELD,
            f"image truncated or exported without its pixel data: the file ends after "
            f"{len(data)} bytes with no image in it; export the film again",
        )
    if "PixelData" not in ds:
        what = str(getattr(ds, "Modality", "") or "unknown modality")
        raise InvalidInputError(
            FILE_FIELD,
            f"a DICOM file without an image (no pixel data; modality {what}), such as a report "
            "or another document; give the radiograph's image file",
        )
    rows, columns = positive_int(ds, "Rows"), positive_int(ds, "Columns")
    if rows * columns > MAX_PIXELS:
        raise InvalidInputError(
            FILE_FIELD,
            f"says it is {columns} x {rows} pixels, more than any radiograph hipcare reads "
            f"({MAX_PIXELS // 1_000_000} million pixels): a damaged or hostile file?",
        )
    frames = whole_number(ds, "NumberOfFrames", 1)
    if frames != 1:
        raise InvalidInputError(
            FILE_FIELD,
            f"holds {frames} frames; hipcare reads single-frame radiographs (CR/DX); export "
            "the AP pelvis frame on its own",
        )
    samples = whole_number(ds, "SamplesPerPixel", 1)
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
            FILE_FIELD,
            f"photometric interpretation {photometric or 'missing'!s} is not read; hipcare reads "
            "MONOCHROME1, MONOCHROME2, PALETTE COLOR and RGB/YBR radiographs",
        )
    bits_allocated = whole_number(ds, "BitsAllocated", 0)
    if bits_allocated not in (8, 16):
        raise InvalidInputError(
            FILE_FIELD, f"{bits_allocated}-bit pixel data is not read; hipcare reads 8 or 16 bits"
        )
    bits_stored = whole_number(ds, "BitsStored", bits_allocated)
    if not 1 <= bits_stored <= bits_allocated:
        raise InvalidInputError(
            FILE_FIELD, f"Bits Stored {bits_stored} does not fit Bits Allocated {bits_allocated}"
        )
    signed = whole_number(ds, "PixelRepresentation", 0) == 1
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
                FILE_FIELD,
                f"pixel data truncated: expected {expected} bytes, found {len(pixel_data)}; "
                "the file was cut short (an interrupted copy?); export it again",
            )
    if syntax in _NATIVE_LITTLE_ENDIAN and monochrome:
        dtype = np.uint8 if bits_allocated == 8 else np.dtype("<u2")
        words = np.frombuffer(pixel_data, dtype=dtype, count=rows * columns).reshape(rows, columns)
        words_are_raw = True
    else:
        words, words_are_raw, bits_stored, signed = decoded_words(
            ds, syntax, photometric, bits_stored, signed, notes
        )
    inverted = photometric == "MONOCHROME1" or (
        monochrome and str(getattr(ds, "PresentationLUTShape", "")).upper() == "INVERSE"
    )
    if photometric == "MONOCHROME1":
        notes.append("MONOCHROME1: low values are white; shown inverted, bone white")
    slope, intercept = rescale_of(ds, notes)
    if "ModalityLUTSequence" in ds and monochrome:
        looked_up = modality_lut_values(ds, notes)
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
        pixel_spacing=pixel_spacing_of(ds, notes),
        identifiers=identifiers_of(ds, notes),
        transfer_syntax=syntax,
        notes=(),
        source=data,
        overlay=overlay_mask(ds, rows, columns, notes),
    )
    window = window_from_file(ds, notes) if monochrome else None
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
