"""A DICOM file's pixels as the radiograph reader takes them (pydicom, numpy): the decoded words
(PALETTE COLOR through its palette, a sequential JPEG repaired), the Modality LUT and the
graphic overlay planes (60xx,3000) as one mask. See ``hipcare.interop.radiograph.reader``.
"""

from __future__ import annotations

import warnings
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.dicom_attributes import (
    FILE_FIELD,
    first_line,
)

if TYPE_CHECKING:  # numpy and pydicom are imported when a file is read, not at start-up
    import numpy.typing as npt
    from pydicom.dataset import Dataset

__all__ = [
    "decoded_words",
    "modality_lut_values",
    "overlay_mask",
]


def decoded_words(
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
                FILE_FIELD,
                f"the pixel data ({name}) cannot be decoded: {first_line(error)}; the file may "
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
                FILE_FIELD,
                f"its colour palette cannot be read ({first_line(error)}); is it damaged?",
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
        raise InvalidInputError(FILE_FIELD, f"pixel values of type {pixels.dtype} are not read")
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


def modality_lut_values(ds: Dataset, notes: list[str]) -> npt.NDArray[Any] | None:
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


def overlay_mask(ds: Dataset, rows: int, columns: int, notes: list[str]) -> npt.NDArray[Any] | None:
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
