"""Browser-ready previews: the lookup-table window, fitting, encoding, cache, and dcmj2pnm."""

from __future__ import annotations

import io
import math
import shutil
import subprocess
from pathlib import Path

import numpy as np
import numpy.typing as npt
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image
from tests.fixtures import radiographs as films

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.display import VoiFunction, Window
from hipcare.interop.radiograph.film import FilmIdentifiers, ImageFormat, Radiograph
from hipcare.interop.radiograph.preview import (
    PreviewCache,
    PreviewFormat,
    display_image,
    display_lut,
    fitted_size,
    preview_cache_key,
    render_preview,
)
from hipcare.interop.radiograph.reader import read_radiograph


def _radiograph(
    bits_stored: int, signed: bool, slope: float, intercept: float, inverted: bool
) -> Radiograph:
    words = np.zeros((2, 2), dtype=np.uint16)
    return Radiograph(
        words=words,
        words_are_raw=True,
        bits_stored=bits_stored,
        signed=signed,
        image_format=ImageFormat.DICOM,
        photometric_interpretation="MONOCHROME1" if inverted else "MONOCHROME2",
        inverted=inverted,
        rescale_slope=slope,
        rescale_intercept=intercept,
        window=Window(0.0, 1.0),
        pixel_spacing=None,
        identifiers=FilmIdentifiers(),
        transfer_syntax=None,
        notes=(),
        source=b"",
    )


def _reference_linear(value: float, centre: float, width: float) -> float:
    """DICOM PS3.3 C.11.2.1.2.1 written out as the standard's three cases, output 0-255."""
    if value <= centre - 0.5 - (width - 1) / 2:
        return 0.0
    if value > centre - 0.5 + (width - 1) / 2:
        return 255.0
    return ((value - (centre - 0.5)) / (width - 1) + 0.5) * 255.0


@settings(max_examples=60, deadline=None)
@given(
    bits_stored=st.integers(8, 16),
    signed=st.booleans(),
    slope=st.sampled_from([1.0, 0.5, 2.0, -1.0]),
    intercept=st.floats(-2000, 2000, allow_nan=False),
    centre=st.floats(-5000, 70000, allow_nan=False),
    width=st.floats(2, 70000, allow_nan=False),
    inverted=st.booleans(),
)
def test_lookup_table_equals_the_float_window_within_one_grey_level_and_is_monotonic(
    bits_stored: int,
    signed: bool,
    slope: float,
    intercept: float,
    centre: float,
    width: float,
    inverted: bool,
) -> None:
    radiograph = _radiograph(bits_stored, signed, slope, intercept, inverted)
    lut = display_lut(radiograph, Window(centre, width)).astype(np.float64)
    stored = np.arange(2**bits_stored) - (2 ** (bits_stored - 1) if signed else 0)
    words = stored & 0xFFFF
    expected = np.array(
        [_reference_linear(v * slope + intercept, centre, width) for v in stored[::97]]
    )
    if inverted:
        expected = 255.0 - expected
    assert float(np.abs(lut[words[::97]] - expected).max()) <= 1.0
    shown = lut[words]  # in stored-value order
    rising = (slope > 0) != inverted
    steps = np.diff(shown)
    assert bool((steps >= 0).all()) if rising else bool((steps <= 0).all())


def test_linear_exact_and_sigmoid_windows_follow_the_standard() -> None:
    radiograph = _radiograph(16, False, 1.0, 0.0, False)
    exact = display_lut(radiograph, Window(1000.0, 400.0, function=VoiFunction.LINEAR_EXACT))
    assert (int(exact[800]), int(exact[1000]), int(exact[1200])) == (0, 128, 255)
    sigmoid = display_lut(radiograph, Window(1000.0, 400.0, function=VoiFunction.SIGMOID))
    assert int(sigmoid[1000]) == 128
    assert int(sigmoid[1200]) == round(255 / (1 + math.exp(-2)))


@pytest.mark.parametrize(
    ("rows", "columns", "max_size", "expected"),
    [
        (3000, 2500, 1024, (853, 1024)),
        (2500, 3000, 1024, (1024, 853)),
        (600, 500, 1024, (500, 600)),
        (3000, 2500, None, (2500, 3000)),
    ],
)
def test_preview_fits_the_longest_side_and_keeps_the_aspect(
    rows: int, columns: int, max_size: int | None, expected: tuple[int, int]
) -> None:
    assert fitted_size(rows, columns, max_size) == expected


@pytest.mark.parametrize("max_size", [0, 15, -3, True])
def test_a_max_size_below_sixteen_is_refused(max_size: int) -> None:
    with pytest.raises(InvalidInputError) as caught:
        fitted_size(3000, 2500, max_size)
    assert caught.value.field == "max_size"


@pytest.mark.parametrize(
    ("image_format", "pillow_format"), [(PreviewFormat.JPEG, "JPEG"), (PreviewFormat.PNG, "PNG")]
)
def test_preview_of_the_full_size_film_is_an_8_bit_image_of_the_fitted_size(
    image_format: PreviewFormat, pillow_format: str
) -> None:
    radiograph = read_radiograph(films.dicom_bytes())
    preview = render_preview(radiograph, max_size=1024, image_format=image_format)
    decoded = Image.open(io.BytesIO(preview.data))
    assert decoded.format == pillow_format
    assert decoded.mode == "L"
    assert decoded.size == (preview.width, preview.height) == (853, 1024)
    assert preview.media_type == f"image/{image_format.value}"
    assert preview.scale == pytest.approx(853 / 2500)


def test_reduced_preview_is_close_to_a_float_lanczos_reference() -> None:
    """Averaging before windowing keeps the picture: mean difference under one grey level."""
    radiograph = read_radiograph(films.dicom_bytes())
    values = films.pelvis_pixels().astype(np.float32)
    centre, width = films.WINDOW_CENTRE, films.WINDOW_WIDTH
    windowed = np.clip((values - (centre - 0.5)) / (width - 1) + 0.5, 0, 1) * 255
    reference = np.asarray(
        Image.fromarray(windowed, mode="F").resize((853, 1024), Image.Resampling.LANCZOS)
    )
    ours = np.asarray(display_image(radiograph, max_size=1024), dtype=np.float32)
    assert float(np.abs(ours - reference).mean()) < 1.0


def test_a_given_window_changes_the_picture_and_the_cache_key() -> None:
    radiograph = read_radiograph(films.dicom_bytes(rows=600, columns=500))
    narrow = Window(9000.0, 2000.0)
    default = render_preview(radiograph, image_format=PreviewFormat.PNG)
    windowed = render_preview(radiograph, image_format=PreviewFormat.PNG, window=narrow)
    assert windowed.window == narrow
    assert windowed.cache_key != default.cache_key
    assert windowed.data != default.data


def test_cache_key_depends_on_every_setting_and_on_the_file() -> None:
    sha = "a" * 64
    base = preview_cache_key(sha, None, 1024, PreviewFormat.JPEG, 85)
    variants = {
        preview_cache_key("b" * 64, None, 1024, PreviewFormat.JPEG, 85),
        preview_cache_key(sha, Window(1.0, 2.0), 1024, PreviewFormat.JPEG, 85),
        preview_cache_key(sha, None, 2048, PreviewFormat.JPEG, 85),
        preview_cache_key(sha, None, 1024, PreviewFormat.PNG, 85),
        preview_cache_key(sha, None, 1024, PreviewFormat.JPEG, 70),
    }
    assert base not in variants
    assert len(variants) == 5
    assert base == preview_cache_key(sha, None, 1024, PreviewFormat.JPEG, 85)


def test_cache_returns_the_same_preview_and_evicts_the_least_recently_used() -> None:
    radiograph = read_radiograph(films.jpeg_photo_bytes())
    first = render_preview(radiograph, max_size=64)
    cache = PreviewCache(max_bytes=3 * len(first.data))
    one = cache.get_or_render(radiograph, max_size=64)
    assert cache.get_or_render(radiograph, max_size=64) is one
    assert (cache.hits, cache.misses) == (1, 1)
    cache.get_or_render(radiograph, max_size=64, window=Window(100.0, 50.0))
    cache.get_or_render(radiograph, max_size=64, window=Window(150.0, 50.0))
    cache.get(one.cache_key)  # touch: now the most recently used
    cache.get_or_render(radiograph, max_size=64, window=Window(200.0, 50.0))
    assert cache.size_bytes <= cache.max_bytes
    assert cache.get(one.cache_key) is one


def test_preview_from_a_rle_file_equals_the_uncompressed_one() -> None:
    plain = render_preview(
        read_radiograph(films.dicom_bytes(rows=600, columns=500)), image_format=PreviewFormat.PNG
    )
    rle = render_preview(read_radiograph(films.rle_dicom_bytes()), image_format=PreviewFormat.PNG)
    assert np.array_equal(
        np.asarray(Image.open(io.BytesIO(plain.data))),
        np.asarray(Image.open(io.BytesIO(rle.data))),
    )


def _dcmj2pnm(source: Path, target: Path, *options: str) -> npt.NDArray[np.float64]:
    executable = shutil.which("dcmj2pnm")
    if executable is None:
        pytest.skip("dcmj2pnm (Debian package dcmtk) is not installed; ./run installs it")
    subprocess.run([executable, "+on", *options, str(source), str(target)], check=True)
    return np.asarray(Image.open(target).convert("L"), dtype=np.float64)


@pytest.mark.parametrize("photometric", ["MONOCHROME2", "MONOCHROME1"])
def test_full_size_preview_matches_dcmj2pnm_for_the_same_window(
    tmp_path: Path, photometric: str
) -> None:
    """dcmtk's renderer is the reference: same window, mean difference under half a level."""
    data = films.dicom_bytes(photometric, rows=600, columns=500)
    source = tmp_path / "film.dcm"
    source.write_bytes(data)
    radiograph = read_radiograph(data)
    window = radiograph.window
    theirs = _dcmj2pnm(
        source, tmp_path / "dcmtk.png", "+Ww", f"{window.centre:g}", f"{window.width:g}"
    )
    preview = render_preview(radiograph, max_size=None, image_format=PreviewFormat.PNG)
    ours = np.asarray(Image.open(io.BytesIO(preview.data)), dtype=np.float64)
    assert ours.shape == theirs.shape
    assert float(np.abs(ours - theirs).mean()) < 0.5
    assert float(np.abs(ours - theirs).max()) <= 1.0


def test_reduced_preview_is_close_to_dcmj2pnm_scaled_to_the_same_size(tmp_path: Path) -> None:
    data = films.dicom_bytes(rows=600, columns=500)
    source = tmp_path / "film.dcm"
    source.write_bytes(data)
    theirs = _dcmj2pnm(source, tmp_path / "dcmtk.png", "+Wi", "1", "+Syv", "300")
    preview = render_preview(read_radiograph(data), max_size=300, image_format=PreviewFormat.PNG)
    ours = np.asarray(Image.open(io.BytesIO(preview.data)), dtype=np.float64)
    assert ours.shape == theirs.shape == (300, 250)
    assert float(np.abs(ours - theirs).mean()) < 2.0
