"""An annotated overlay (PNG) of a saved radiograph measurement.

The film (windowed, fitted within ``max_size``) with Hilgenreiner's line, Perkin's line and
the head edges of each hip (lines perpendicular to Hilgenreiner's through the lateral edge of
the acetabulum and the medial and lateral edges of the femoral head, as Reimers measured),
the acetabular roof lines, every landmark, and the values as labels. The values come from
:func:`hipcare.services.radiograph.measure_radiograph` on the same landmarks: the server's
numbers, never recomputed here: the caller parses the film document and measures it
(:func:`hipcare.services.radiograph.parse_film` and ``measure_radiograph``) and hands both in.
Lines are perpendicular in the patient's geometry (mm) when the measurement gives a pixel
spacing, as the measures are.
"""

from __future__ import annotations

import io
import math
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.radiograph import HipLandmarks, PelvisLandmarks, PixelSpacing, Point, Side
from hipcare.interop.radiograph.display import Window
from hipcare.interop.radiograph.film import Radiograph
from hipcare.interop.radiograph.preview import display_image

if TYPE_CHECKING:
    from PIL import ImageDraw, ImageFont

__all__ = [
    "DEFAULT_OVERLAY_MAX_SIZE_PX",
    "FONT_PATHS",
    "STORED_OVERLAY_MAX_SIZE_PX",
    "Overlay",
    "render_overlay",
]

DEFAULT_OVERLAY_MAX_SIZE_PX = 1600

STORED_OVERLAY_MAX_SIZE_PX = 1024
"""Longest side of the overlay kept with a reading and shown on the child's page (issue 16):
enough for a 400-px thumbnail on a 2x screen and for the linked full view on a laptop; the
1600-px PNG drawn on each view was 1.1 MB and took about a second."""

FONT_PATHS = (
    Path("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"),
    Path("/usr/share/fonts/truetype/noto/NotoSansUI-Regular.ttf"),
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
)
"""Fonts tried in order (Debian fonts-noto-core); Pillow's own font when none is present."""

# Colours chosen to stay apart on a grey film and for the common colour-vision deficiencies
# (Okabe-Ito palette).
_HILGENREINER = (240, 228, 66)  # yellow
_PERKIN = (86, 180, 233)  # sky blue
_HEAD_EDGE = (204, 121, 167)  # reddish purple
_ROOF = (230, 159, 0)  # orange
_LANDMARK = (0, 158, 115)  # bluish green
_TEXT = (255, 255, 255)
_LABEL_BACKGROUND = (0, 0, 0, 170)


@dataclass(frozen=True)
class Overlay:
    """The PNG, its size, the scale (overlay pixels per film pixel) and the measures shown."""

    png: bytes
    width: int
    height: int
    scale: float
    measures: dict[str, Any]
    media_type: str = "image/png"


@dataclass(frozen=True)
class _Frame:
    """Directions on the image (pixels) for 'along Hilgenreiner' and 'perpendicular to it'."""

    along: tuple[float, float]
    across: tuple[float, float]

    @classmethod
    def of(cls, landmarks: PelvisLandmarks, spacing: PixelSpacing | None) -> _Frame:
        column_mm, row_mm = (1.0, 1.0) if spacing is None else (spacing.column_mm, spacing.row_mm)
        right, left = landmarks.triradiate_right, landmarks.triradiate_left
        dx_mm, dy_mm = (left.x - right.x) * column_mm, (left.y - right.y) * row_mm
        length = math.hypot(dx_mm, dy_mm)
        ux, uy = dx_mm / length, dy_mm / length
        nx, ny = -uy, ux  # perpendicular in mm
        return cls(
            along=_unit(ux / column_mm, uy / row_mm), across=_unit(nx / column_mm, ny / row_mm)
        )


def _unit(x: float, y: float) -> tuple[float, float]:
    length = math.hypot(x, y)
    return x / length, y / length


def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    from PIL import ImageFont

    for path in FONT_PATHS:
        if path.is_file():
            return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _named_points(landmarks: PelvisLandmarks) -> Iterator[tuple[str, Point]]:
    for name in ("triradiate_right", "triradiate_left", "iliac_crest_right", "iliac_crest_left"):
        point = getattr(landmarks, name)
        if point is not None:
            yield name, point
    for side in Side:
        hip = landmarks.hip(side)
        if hip is None:
            continue
        for name in HipLandmarks.landmark_names():
            point = getattr(hip, name)
            if point is not None:
                yield f"{side.value}.{name}", point


def _check_inside(landmarks: PelvisLandmarks, radiograph: Radiograph) -> None:
    for name, point in _named_points(landmarks):
        if not (0 <= point.x <= radiograph.columns and 0 <= point.y <= radiograph.rows):
            raise InvalidInputError(
                f"landmarks.{name}",
                f"({point.x:g}, {point.y:g}) lies outside the image ({radiograph.columns} x "
                f"{radiograph.rows} px): were the landmarks placed on another film?",
            )


def _label(
    draw: ImageDraw.ImageDraw,
    position: tuple[float, float],
    lines: list[str],
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    limits: tuple[int, int],
) -> None:
    """Text on a dark box, wrapped to the image's width, moved inside it at the edges."""
    text = "\n".join(_wrapped(draw, lines, font, limits[0] - 24))
    left, top, right, bottom = draw.multiline_textbbox((0, 0), text, font=font, spacing=4)
    pad = 6
    width, height = right - left + 2 * pad, bottom - top + 2 * pad
    x = min(max(0.0, position[0] - width / 2), limits[0] - width)
    y = min(max(0.0, position[1] - height), limits[1] - height)
    draw.rectangle((x, y, x + width, y + height), fill=_LABEL_BACKGROUND)
    draw.multiline_text((x + pad - left, y + pad - top), text, fill=_TEXT, font=font, spacing=4)


def _wrapped(
    draw: ImageDraw.ImageDraw,
    lines: list[str],
    font: ImageFont.FreeTypeFont | ImageFont.ImageFont,
    width_px: float,
) -> Iterator[str]:
    for line in lines:
        current = ""
        for word in line.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and draw.textlength(candidate, font=font) > width_px:
                yield current
                current = word
            else:
                current = candidate
        yield current


def _hip_lines(hip: dict[str, Any], side: Side) -> list[str]:
    lines = [
        f"Patient's {side.value} hip",
        f"MP {hip['migration_percentage']:.1f} %   AI {hip['acetabular_index_deg']:.1f}°",
    ]
    extra = []
    if "neck_shaft_angle_deg" in hip:
        extra.append(f"NSA {hip['neck_shaft_angle_deg']:.1f}°")
    if "head_shaft_angle_deg" in hip:
        extra.append(f"HSA {hip['head_shaft_angle_deg']:.1f}°")
    if extra:
        lines.append("   ".join(extra))
    if hip["dislocated"]:
        lines.append("head fully beyond Perkin's line")
    return lines


def render_overlay(
    radiograph: Radiograph,
    landmarks: PelvisLandmarks,
    spacing: PixelSpacing | None,
    measures: dict[str, Any],
    *,
    max_size: int | None = DEFAULT_OVERLAY_MAX_SIZE_PX,
    window: Window | None = None,
    image_format: str = "PNG",
) -> Overlay:
    """Draw the measurement (``landmarks``, ``spacing`` and the ``measures`` JSON of
    ``hipcare measure``) on the film, as a PNG (``image_format="PNG"``, lossless, the
    default) or a WebP (``"WEBP"``: about a tenth of the bytes; the overlay kept with a
    reading). ``Overlay.png`` holds the bytes either way and ``Overlay.media_type`` says which.

    Raises :class:`InvalidInputError` for landmarks that lie off the image.
    """
    from PIL import Image, ImageDraw

    _check_inside(landmarks, radiograph)
    base = display_image(radiograph, window, max_size).convert("RGB")
    scale = base.width / radiograph.columns
    scale_y = base.height / radiograph.rows

    def at(point: Point) -> tuple[float, float]:
        return point.x * scale, point.y * scale_y

    frame = _Frame.of(landmarks, spacing)
    reach = 2.0 * math.hypot(base.width, base.height)
    line_width = max(2, round(base.width / 500))
    layer = Image.new("RGBA", base.size, (0, 0, 0, 0))
    draw = ImageDraw.Draw(layer)

    def line_through(
        point: Point, direction: tuple[float, float], half: float, colour: Any
    ) -> None:
        x, y = at(point)
        dx, dy = direction
        draw.line(
            (x - dx * half, y - dy * half, x + dx * half, y + dy * half),
            fill=colour,
            width=line_width,
        )

    line_through(landmarks.triradiate_right, frame.along, reach, _HILGENREINER)
    label_font = _font(max(14, round(base.width / 55)))
    small_font = _font(max(12, round(base.width / 75)))
    for side in Side:
        hip = landmarks.hip(side)
        if hip is None:
            continue
        head_width_px = math.dist(at(hip.head_medial), at(hip.head_lateral))
        line_through(hip.acetabulum_lateral, frame.across, 2.2 * head_width_px, _PERKIN)
        for edge in (hip.head_medial, hip.head_lateral):
            line_through(edge, frame.across, 0.6 * head_width_px, _HEAD_EDGE)
        draw.line(
            (*at(landmarks.triradiate(side)), *at(hip.acetabulum_lateral)),
            fill=_ROOF,
            width=line_width,
        )
    radius = max(3, round(base.width / 300))
    for _, point in _named_points(landmarks):
        x, y = at(point)
        draw.ellipse(
            (x - radius, y - radius, x + radius, y + radius),
            fill=_LANDMARK,
            outline=(255, 255, 255),
            width=1,
        )
    for side in Side:
        hip_landmarks = landmarks.hip(side)
        if hip_landmarks is None or side.value not in measures:
            continue
        x, y = at(hip_landmarks.acetabulum_lateral)
        head_x = (at(hip_landmarks.head_medial)[0] + at(hip_landmarks.head_lateral)[0]) / 2
        _label(
            draw,
            (head_x, y - 2 * radius - 0.15 * base.height),
            _hip_lines(measures[side.value], side),
            label_font,
            base.size,
        )
    footer = [
        "hipcare: values from the saved landmarks (Reimers migration percentage, acetabular "
        "index against Hilgenreiner's line); they inform, they do not decide.",
        "Yellow: Hilgenreiner's line. Blue: Perkin's line. Purple: femoral head edges. "
        "Orange: acetabular roof.",
        *measures.get("notes", []),
    ]
    _label(draw, (base.width / 2, base.height), footer, small_font, base.size)
    composed = Image.alpha_composite(base.convert("RGBA"), layer).convert("RGB")
    buffer = io.BytesIO()
    if image_format == "WEBP":
        # Quality 85: the lines and labels stay sharp at 1024 px; method 4 is Pillow's
        # default speed/size balance.
        composed.save(buffer, format="WEBP", quality=85, method=4)
        media_type = "image/webp"
    elif image_format == "PNG":
        composed.save(buffer, format="PNG", compress_level=3)
        media_type = "image/png"
    else:
        raise InvalidInputError("image_format", f"{image_format!r} is not PNG or WEBP")
    return Overlay(
        png=buffer.getvalue(),
        width=composed.width,
        height=composed.height,
        scale=scale,
        measures=measures,
        media_type=media_type,
    )
