"""The annotated overlay of a saved measurement."""

from __future__ import annotations

import copy
import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image
from tests.fixtures import radiographs as films

from hipcare.domain.errors import InvalidInputError
from hipcare.interop.radiograph.reader import read_radiograph
from hipcare.render import overlay as overlay_renderer
from hipcare.services.radiograph import measure_radiograph, parse_film

SAMPLE = Path(__file__).resolve().parents[1] / "fixtures" / "sample_film.json"
HILGENREINER_YELLOW = (240, 228, 66)


def render_overlay(radiograph: Any, document: Any, **options: Any) -> overlay_renderer.Overlay:
    """The overlay of a film document, parsed and measured as the entry points do."""
    landmarks, spacing = parse_film(document)
    measures = measure_radiograph(document)
    return overlay_renderer.render_overlay(radiograph, landmarks, spacing, measures, **options)


def _sample() -> dict[str, Any]:
    document: dict[str, Any] = json.loads(SAMPLE.read_text(encoding="utf-8"))
    return document


@pytest.fixture(scope="module")
def overlay_and_film() -> tuple[Any, Any]:
    radiograph = read_radiograph(films.dicom_bytes())
    return render_overlay(radiograph, _sample(), max_size=800), radiograph


def test_overlay_is_a_png_of_the_fitted_size(overlay_and_film: tuple[Any, Any]) -> None:
    overlay, _ = overlay_and_film
    image = Image.open(io.BytesIO(overlay.png))
    assert image.format == "PNG"
    assert image.size == (overlay.width, overlay.height) == (667, 800)
    assert overlay.scale == pytest.approx(667 / 2500)


def test_overlay_values_are_the_services_measures(overlay_and_film: tuple[Any, Any]) -> None:
    overlay, _ = overlay_and_film
    assert overlay.measures == measure_radiograph(_sample())


def test_hilgenreiners_line_is_drawn_through_the_triradiate_cartilages(
    overlay_and_film: tuple[Any, Any],
) -> None:
    overlay, _ = overlay_and_film
    pixels = np.asarray(Image.open(io.BytesIO(overlay.png)).convert("RGB"), dtype=np.int16)
    row = round(1000 * overlay.height / films.ROWS)  # both triradiates are at y = 1000
    yellow = np.abs(pixels - np.array(HILGENREINER_YELLOW)).sum(axis=2) < 30
    on_line = yellow[row - 2 : row + 3].any(axis=0)
    assert on_line.mean() > 0.9  # across the whole width
    assert yellow[row + 40 : row + 60].mean() < 0.01  # and nowhere far below it


def test_overlay_of_a_monochrome1_film_shows_bone_bright() -> None:
    radiograph = read_radiograph(films.dicom_bytes("MONOCHROME1"))
    overlay = render_overlay(radiograph, _sample(), max_size=500)
    grey = np.asarray(Image.open(io.BytesIO(overlay.png)).convert("L"), dtype=np.int16)
    scale = overlay.scale
    shaft = grey[round(1500 * scale), round(663 * scale)]  # inside the right femoral shaft
    tissue = grey[round(1500 * scale), round(1250 * scale)]  # soft tissue between the hips
    assert shaft > tissue


def test_landmarks_off_the_image_are_refused_by_name() -> None:
    """The sample's landmarks lie beyond a 500-pixel-wide film: probably another film."""
    small = read_radiograph(films.dicom_bytes(rows=films.SMALL[0], columns=films.SMALL[1]))
    with pytest.raises(InvalidInputError) as caught:
        render_overlay(small, _sample())
    assert caught.value.field == "landmarks.triradiate_right"
    assert "outside the image (500 x 600 px)" in caught.value.problem


def test_invalid_landmarks_are_refused_as_hipcare_measure_refuses_them() -> None:
    document = copy.deepcopy(_sample())
    del document["landmarks"]["right"]["head_lateral"]
    radiograph = read_radiograph(films.jpeg_photo_bytes())
    with pytest.raises(InvalidInputError) as caught:
        render_overlay(radiograph, document)
    assert caught.value.field == "landmarks.right.head_lateral"
