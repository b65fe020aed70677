"""Overlay planes, palette colour and the Modality LUT on synthetic films (issue 15 item 4);
the corpus test checks the same on pydicom's real files against dcmtk."""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from PIL import Image
from pydicom.dataset import Dataset
from tests.fixtures import radiographs as films

from hipcare.interop.radiograph.display import WindowSource
from hipcare.interop.radiograph.preview import PreviewFormat, native_preview, render_preview
from hipcare.interop.radiograph.reader import read_radiograph


def _encoded(ds: Dataset) -> bytes:
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _with_overlay(origin: tuple[int, int], plane: Any, kind: str = "G") -> Dataset:
    ds = films.dicom_dataset(films.pelvis_pixels(*films.SMALL))
    rows, columns = plane.shape
    ds.add_new(0x60000010, "US", rows)
    ds.add_new(0x60000011, "US", columns)
    ds.add_new(0x60000040, "CS", kind)
    ds.add_new(0x60000050, "SS", list(origin))
    ds.add_new(0x60000100, "US", 1)
    ds.add_new(0x60000102, "US", 0)
    bits = np.packbits(plane.astype(np.uint8).ravel(), bitorder="little")
    ds.add_new(0x60003000, "OW", bits.tobytes() + b"\0" * (len(bits) % 2))
    return ds


def test_a_graphic_overlay_is_drawn_white_at_its_origin() -> None:
    plane = np.zeros((40, 60), dtype=bool)
    plane[10, :] = True  # one line, 10 rows into the plane
    radiograph = read_radiograph(_encoded(_with_overlay((101, 51), plane)))
    assert radiograph.overlay is not None
    assert list(zip(*np.nonzero(radiograph.overlay), strict=True))[:2] == [(110, 50), (110, 51)]
    assert int(radiograph.overlay.sum()) == 60
    preview = render_preview(radiograph, max_size=None, image_format=PreviewFormat.PNG)
    shown = np.asarray(Image.open(io.BytesIO(preview.data)))
    assert (shown[110, 50:110] == 255).all()
    assert any("overlay plane(s) drawn" in note for note in radiograph.notes)


def test_an_overlay_hanging_off_the_film_is_clipped_to_it() -> None:
    plane = np.ones((20, 20), dtype=bool)
    rows, columns = films.SMALL
    radiograph = read_radiograph(_encoded(_with_overlay((rows - 9, columns - 4), plane)))
    assert radiograph.overlay is not None
    assert int(radiograph.overlay.sum()) == 10 * 5


def test_a_region_of_interest_overlay_is_not_drawn_and_says_so() -> None:
    radiograph = read_radiograph(_encoded(_with_overlay((1, 1), np.ones((8, 8), bool), "R")))
    assert radiograph.overlay is None
    assert any("region-of-interest overlay" in note for note in radiograph.notes)


def test_the_fast_reader_leaves_a_film_with_an_overlay_to_pydicom() -> None:
    data = _encoded(_with_overlay((1, 1), np.ones((8, 8), bool)))
    assert native_preview(data, max_size=None, image_format=PreviewFormat.PNG) is None
    plain = films.dicom_bytes(rows=60, columns=50)
    assert native_preview(plain, max_size=None, image_format=PreviewFormat.PNG) is not None


def test_palette_colour_is_shown_through_its_palette_in_grey() -> None:
    """Index i is shown as the palette's colour i: here red ramps, green and blue are 0."""
    indices = (np.arange(64 * 64).reshape(64, 64) % 256).astype(np.uint8)
    ds = films.dicom_dataset(indices.astype(np.uint16), window=None, bits_stored=8)
    ds.BitsAllocated = 8
    ds.PixelData = indices.tobytes()
    ds.PhotometricInterpretation = "PALETTE COLOR"
    ramp = (np.arange(256, dtype="<u2") * 257).tobytes()
    zeros = np.zeros(256, dtype="<u2").tobytes()
    for colour, table in (("Red", ramp), ("Green", zeros), ("Blue", zeros)):
        setattr(ds, f"{colour}PaletteColorLookupTableDescriptor", [256, 0, 16])
        setattr(ds, f"{colour}PaletteColorLookupTableData", table)
    radiograph = read_radiograph(_encoded(ds))
    assert radiograph.window.source is WindowSource.EIGHT_BIT
    # Pillow's luma of (i, 0, 0): i * 299 / 1000, rounded.
    expected = (np.arange(256) * 19595 + 0x8000) >> 16
    assert np.array_equal(radiograph.words[0, : 256 % 64 or 64], expected[:64])


def test_a_modality_lut_replaces_rescale() -> None:
    ds = films.dicom_dataset(films.pelvis_pixels(60, 50), window=None)
    item = Dataset()
    item.LUTDescriptor = [16384, 0, 16]
    item.ModalityLUTType = "US"
    item.add_new(0x00283006, "US", list(range(16383, -1, -1)))  # LUT Data: inverting
    ds.ModalityLUTSequence = [item]
    radiograph = read_radiograph(_encoded(ds))
    stored = films.pelvis_pixels(60, 50).astype(int)
    assert np.array_equal(radiograph.words.astype(int), 16383 - stored)
    assert (radiograph.rescale_slope, radiograph.rescale_intercept) == (1.0, 0.0)
    assert any("Modality LUT Sequence applied" in note for note in radiograph.notes)
