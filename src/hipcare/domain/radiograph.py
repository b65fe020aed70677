"""Measures on a supine AP pelvis radiograph, from landmarks placed on the image.

Coordinates are image pixels: ``x`` to the right, ``y`` DOWN (the usual image convention).
``Side`` is always the PATIENT's side; on a standard AP film the patient's right hip is on
the image's left, but nothing here relies on that: each hip's "lateral" direction points
away from the midpoint of the two triradiate cartilages, so a mirrored film
gives the same answers. The one assumption about orientation is that the film is shown
head-up (Hilgenreiner's line within 45 degrees of the image horizontal): "cranial" (needed
for the sign of the acetabular index and the high side of pelvic obliquity) is image-up.

When a pixel spacing is given (DICOM order: [row spacing, column spacing] in mm), every
point is first converted to millimetres (``x * column``, ``y * row``), so angles and ratios
are measured in the patient's geometry even when the pixels are not square.

Measures and sources (see ``docs/clinical/radiograph.md`` for what was checked and how):

- Hilgenreiner's line H through the two triradiate cartilages; Perkin's line P through the
  lateral edge of the bony acetabulum, perpendicular to H.
- Reimers migration percentage (Reimers J. Acta Orthop Scand Suppl 1980;184:1-100),
  computed as in ``danielchyeh/hipscreen-ai`` ``stage2/utils.py`` ``calc_mi`` in a frame where
  H is the x axis.
- Acetabular index (Hilgenreiner), as in ``FleurBoel/Automated-Hip-Morphology-Measurements``
  ``calc_AI.py``, but against H instead of the image horizontal.
- Neck-shaft angle, as the obtuse angle between the neck and shaft lines (as in the same
  repository's ``calc_NSA.py``).
- Head-shaft angle: the shaft axis against the perpendicular to the line joining the two
  edges of the capital physis, reported as the obtuse angle (normal values about 150-170
  degrees; Chougule et al. J Child Orthop 2016; Finlayson et al. BMC Musculoskelet Disord
  2018). Least sensitive of the proximal-femur angles to limb rotation (PMC8790813).
- Pelvic obliquity: the line through the highest points of the two iliac crests against the
  image horizontal (a hipcare definition; see the docs page).
- Measurement error (Parrott et al. J Pediatr Orthop 2002;22:660-667).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields, replace
from enum import Enum

from hipcare.domain.checks import finite_number
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.migration_change import (
    DatedMigrationPercentage,
    MigrationPercentageChange,
    compare_migration_percentage,
)
from hipcare.domain.radiograph_sources import (
    ACETABULAR_INDEX_CHANGE_ERROR_DEG,
    ACETABULAR_INDEX_METHOD,
    ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG,
    DAYS_PER_YEAR,
    HEAD_SHAFT_ANGLE_METHOD,
    MAXIMUM_HILGENREINER_TILT_DEG,
    MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS,
    MIGRATION_PERCENTAGE_METHOD,
    MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS,
    NECK_SHAFT_ANGLE_METHOD,
    PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG,
    PELVIC_OBLIQUITY_METHOD,
)

__all__ = [
    "ACETABULAR_INDEX_CHANGE_ERROR_DEG",
    "ACETABULAR_INDEX_SINGLE_FILM_ERROR_DEG",
    "DAYS_PER_YEAR",
    "MAXIMUM_HILGENREINER_TILT_DEG",
    "MIGRATION_PERCENTAGE_CHANGE_ERROR_POINTS",
    "MIGRATION_PERCENTAGE_SINGLE_FILM_ERROR_POINTS",
    "PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG",
    "AngleMeasurement",
    "DatedMigrationPercentage",
    "FilmMeasurements",
    "HipLandmarks",
    "HipMeasurements",
    "MigrationPercentage",
    "MigrationPercentageChange",
    "PelvicObliquity",
    "PelvisLandmarks",
    "PixelSpacing",
    "Point",
    "Side",
    "compare_migration_percentage",
    "measure_film",
]

_RELATIVE_TOLERANCE = 1e-9


def _finite(value: float, field: str) -> float:
    """``value`` as a float if it is a real, finite number; otherwise say what is wrong."""
    return finite_number(
        value,
        field,
        not_a_number="expected a number, got {type}",
        not_finite="must be a finite number, got {value!r}",
    )


class Side(Enum):
    """The patient's side (not the side of the image it appears on)."""

    RIGHT = "right"
    LEFT = "left"

    @property
    def other(self) -> Side:
        return Side.LEFT if self is Side.RIGHT else Side.RIGHT


@dataclass(frozen=True)
class Point:
    """A landmark position in image coordinates (pixels; ``x`` right, ``y`` down)."""

    x: float
    y: float

    def __post_init__(self) -> None:
        object.__setattr__(self, "x", _finite(self.x, "point.x"))
        object.__setattr__(self, "y", _finite(self.y, "point.y"))

    def __sub__(self, other: Point) -> _Vector:
        return _Vector(self.x - other.x, self.y - other.y)


@dataclass(frozen=True)
class _Vector:
    x: float
    y: float

    def dot(self, other: _Vector) -> float:
        return self.x * other.x + self.y * other.y

    @property
    def length(self) -> float:
        return math.hypot(self.x, self.y)


@dataclass(frozen=True)
class PixelSpacing:
    """Size of one pixel in the patient, in mm, in DICOM order: row spacing then column spacing.

    ``row_mm`` is the distance between adjacent rows (vertical, along ``y``); ``column_mm``
    the distance between adjacent columns (horizontal, along ``x``).
    """

    row_mm: float
    column_mm: float

    def __post_init__(self) -> None:
        for name, index in (("row_mm", 0), ("column_mm", 1)):
            field = f"pixel_spacing_mm[{index}]"
            value = _finite(getattr(self, name), field)
            if value <= 0:
                raise InvalidInputError(
                    field, f"pixel spacing must be more than 0 mm, got {value!r}"
                )
            object.__setattr__(self, name, value)

    def to_mm(self, point: Point) -> Point:
        return Point(point.x * self.column_mm, point.y * self.row_mm)


@dataclass(frozen=True)
class HipLandmarks:
    """Landmarks of one hip. The first three are required; the rest enable more measures.

    - ``acetabulum_lateral``: lateral edge of the bony acetabular roof (Perkin's line point).
    - ``head_medial`` / ``head_lateral``: medial and lateral edges of the ossified femoral head.
    - ``shaft_proximal`` / ``shaft_distal``: two points on the axis of the femoral shaft.
    - ``head_centre`` / ``neck_base``: the neck axis, from the centre of the femoral head to the
      middle of the base of the neck (for the neck-shaft angle).
    - ``physis_medial`` / ``physis_lateral``: the two edges of the capital physis
      (for the head-shaft angle).
    """

    acetabulum_lateral: Point
    head_medial: Point
    head_lateral: Point
    shaft_proximal: Point | None = None
    shaft_distal: Point | None = None
    head_centre: Point | None = None
    neck_base: Point | None = None
    physis_medial: Point | None = None
    physis_lateral: Point | None = None

    @classmethod
    def landmark_names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))

    def scaled(self, spacing: PixelSpacing) -> HipLandmarks:
        """The same landmarks in millimetres."""
        changes = {
            name: spacing.to_mm(point)
            for name in self.landmark_names()
            if (point := getattr(self, name)) is not None
        }
        return replace(self, **changes)

    @property
    def wants_neck_shaft_angle(self) -> bool:
        return self.head_centre is not None or self.neck_base is not None

    @property
    def wants_head_shaft_angle(self) -> bool:
        return self.physis_medial is not None or self.physis_lateral is not None


@dataclass(frozen=True)
class PelvisLandmarks:
    """All landmarks on one AP pelvis film; validates the geometry on construction.

    ``triradiate_right`` / ``triradiate_left``: the lateral point of each triradiate
    cartilage (Hilgenreiner's line runs through both). ``iliac_crest_right`` /
    ``iliac_crest_left``: the highest point of each iliac crest (for pelvic obliquity).
    At least one hip must be given.
    """

    triradiate_right: Point
    triradiate_left: Point
    right: HipLandmarks | None = None
    left: HipLandmarks | None = None
    iliac_crest_right: Point | None = None
    iliac_crest_left: Point | None = None

    def __post_init__(self) -> None:
        frame = _HilgenreinerFrame.through(self.triradiate_right, self.triradiate_left)
        if self.right is None and self.left is None:
            raise InvalidInputError(
                "landmarks", "give the landmarks of at least one hip ('right' and/or 'left')"
            )
        for side in Side:
            hip = self.hip(side)
            if hip is not None:
                _check_hip(frame, side, hip)
        self._check_iliac_crests(frame)

    def hip(self, side: Side) -> HipLandmarks | None:
        return self.right if side is Side.RIGHT else self.left

    def triradiate(self, side: Side) -> Point:
        return self.triradiate_right if side is Side.RIGHT else self.triradiate_left

    def scaled(self, spacing: PixelSpacing) -> PelvisLandmarks:
        """The same landmarks in millimetres (each axis multiplied by its pixel spacing)."""
        return PelvisLandmarks(
            triradiate_right=spacing.to_mm(self.triradiate_right),
            triradiate_left=spacing.to_mm(self.triradiate_left),
            right=None if self.right is None else self.right.scaled(spacing),
            left=None if self.left is None else self.left.scaled(spacing),
            iliac_crest_right=(
                None if self.iliac_crest_right is None else spacing.to_mm(self.iliac_crest_right)
            ),
            iliac_crest_left=(
                None if self.iliac_crest_left is None else spacing.to_mm(self.iliac_crest_left)
            ),
        )

    def _check_iliac_crests(self, frame: _HilgenreinerFrame) -> None:
        right, left = self.iliac_crest_right, self.iliac_crest_left
        if right is None and left is None:
            return
        if right is None or left is None:
            missing = "iliac_crest_right" if right is None else "iliac_crest_left"
            raise InvalidInputError(
                f"landmarks.{missing}",
                "pelvic obliquity needs the highest point of BOTH iliac crests; "
                "give iliac_crest_right and iliac_crest_left, or neither",
            )
        for side, crest in ((Side.RIGHT, right), (Side.LEFT, left)):
            if frame.lateral(side, crest) <= 0:
                raise InvalidInputError(
                    f"landmarks.iliac_crest_{side.value}",
                    f"lies on the patient's {side.other.value} side of the midline between "
                    "the triradiate cartilages; check that right and left are not swapped",
                )


@dataclass(frozen=True)
class _HilgenreinerFrame:
    """A frame whose x axis is Hilgenreiner's line, origin at the triradiates' midpoint.

    ``toward_right`` is the unit vector along H pointing to the patient's right triradiate;
    ``cranial`` is the unit normal to H pointing to the top of the image.
    """

    origin: Point
    toward_right: _Vector
    cranial: _Vector
    span: float

    @classmethod
    def through(cls, triradiate_right: Point, triradiate_left: Point) -> _HilgenreinerFrame:
        along = triradiate_right - triradiate_left
        span = along.length
        scale = max(
            1.0,
            *(abs(v) for p in (triradiate_right, triradiate_left) for v in (p.x, p.y)),
        )
        if span <= _RELATIVE_TOLERANCE * scale:
            raise InvalidInputError(
                "landmarks.triradiate_left",
                "is at the same place as triradiate_right; Hilgenreiner's line needs two "
                "distinct triradiate cartilage points",
            )
        unit = _Vector(along.x / span, along.y / span)
        tilt_deg = math.degrees(math.atan2(abs(unit.y), abs(unit.x)))
        if tilt_deg >= MAXIMUM_HILGENREINER_TILT_DEG:
            raise InvalidInputError(
                "landmarks.triradiate_left",
                f"Hilgenreiner's line (triradiate_right to triradiate_left) is tilted "
                f"{tilt_deg:.0f} degrees from the image horizontal; show the film head-up "
                f"(tilt under {MAXIMUM_HILGENREINER_TILT_DEG:.0f} degrees) and check both points",
            )
        # The two normals to H; the cranial one points up the image (y decreases).
        normal = _Vector(-unit.y, unit.x)
        cranial = normal if normal.y < 0 else _Vector(unit.y, -unit.x)
        origin = Point(
            (triradiate_right.x + triradiate_left.x) / 2,
            (triradiate_right.y + triradiate_left.y) / 2,
        )
        return cls(origin=origin, toward_right=unit, cranial=cranial, span=span)

    def lateral(self, side: Side, point: Point) -> float:
        """Distance of ``point`` from the midline along H, positive toward ``side``'s hip."""
        along_right = (point - self.origin).dot(self.toward_right)
        return along_right if side is Side.RIGHT else -along_right

    def height(self, point: Point) -> float:
        """Distance of ``point`` from H, positive cranially (toward the top of the image)."""
        return (point - self.origin).dot(self.cranial)


def _check_hip(frame: _HilgenreinerFrame, side: Side, hip: HipLandmarks) -> None:
    prefix = f"landmarks.{side.value}"
    tolerance = _RELATIVE_TOLERANCE * frame.span
    acetabulum = frame.lateral(side, hip.acetabulum_lateral)
    if acetabulum - frame.span / 2 <= tolerance:
        raise InvalidInputError(
            f"{prefix}.acetabulum_lateral",
            f"is not lateral to triradiate_{side.value} along Hilgenreiner's line; the lateral "
            "edge of the acetabulum lies further from the midline than the triradiate "
            "cartilage (check that right and left are not swapped)",
        )
    head_width = frame.lateral(side, hip.head_lateral) - frame.lateral(side, hip.head_medial)
    if abs(head_width) <= tolerance:
        raise InvalidInputError(
            f"{prefix}.head_lateral",
            "is level with head_medial along Hilgenreiner's line (head width zero); "
            "place head_medial and head_lateral on the two edges of the femoral head",
        )
    if head_width < 0:
        raise InvalidInputError(
            f"{prefix}.head_lateral",
            "is nearer the midline than head_medial along Hilgenreiner's line; head_medial "
            "is the inner edge of the femoral head, head_lateral the outer edge "
            "(are the two swapped?)",
        )
    _check_pairs(prefix, hip)


def _check_pairs(prefix: str, hip: HipLandmarks) -> None:
    """Optional landmarks come in complete sets, and the two points of a line differ."""
    sets: list[tuple[str, tuple[str, ...]]] = []
    if hip.wants_neck_shaft_angle:
        sets.append(
            ("the neck-shaft angle", ("head_centre", "neck_base", "shaft_proximal", "shaft_distal"))
        )
    if hip.wants_head_shaft_angle:
        sets.append(
            (
                "the head-shaft angle",
                ("physis_medial", "physis_lateral", "shaft_proximal", "shaft_distal"),
            )
        )
    shaft_given = hip.shaft_proximal is not None or hip.shaft_distal is not None
    if shaft_given and not sets:
        raise InvalidInputError(
            f"{prefix}.head_centre",
            "the shaft axis is only used with the neck (head_centre, neck_base) for the "
            "neck-shaft angle or the capital physis (physis_medial, physis_lateral) for the "
            "head-shaft angle; add one of those pairs or leave the shaft points out",
        )
    for measure, names in sets:
        for name in names:
            if getattr(hip, name) is None:
                raise InvalidInputError(
                    f"{prefix}.{name}",
                    f"is missing; {measure} needs {', '.join(names)}",
                )
    for first, second, line in (
        ("shaft_proximal", "shaft_distal", "the shaft axis"),
        ("head_centre", "neck_base", "the neck axis"),
        ("physis_medial", "physis_lateral", "the capital physis"),
    ):
        a, b = getattr(hip, first), getattr(hip, second)
        if a is not None and b is not None and (a - b).length == 0:
            raise InvalidInputError(
                f"{prefix}.{second}",
                f"is at the same place as {first}; {line} needs two distinct points",
            )


@dataclass(frozen=True)
class AngleMeasurement:
    """An angle in degrees and how it was measured."""

    angle_deg: float
    method: str


@dataclass(frozen=True)
class MigrationPercentage:
    """Reimers migration percentage of one hip.

    ``raw_percent`` can be below 0 (head fully covered, lateral edge inside Perkin's line) or
    above 100 (whole head beyond Perkin's line); ``reported_percent`` clamps it to 0-100, as
    a dislocated head is conventionally MP 100%. ``dislocated`` is true when the medial edge
    of the head is at or beyond Perkin's line. ``head_width`` and ``lateral_to_perkin`` are in
    the units of the landmarks (pixels, or mm once a pixel spacing was applied).
    """

    raw_percent: float
    head_width: float
    lateral_to_perkin: float
    dislocated: bool
    method: str = MIGRATION_PERCENTAGE_METHOD

    @property
    def reported_percent(self) -> float:
        return min(100.0, max(0.0, self.raw_percent))


@dataclass(frozen=True)
class HipMeasurements:
    """Everything measured on one hip; optional angles are None when not requested.

    ``head_width_mm`` and ``head_lateral_to_perkin_line_mm`` (positive when the lateral edge
    of the head is beyond Perkin's line) are set only when the film had a pixel spacing.
    """

    side: Side
    migration_percentage: MigrationPercentage
    acetabular_index: AngleMeasurement
    neck_shaft_angle: AngleMeasurement | None
    head_shaft_angle: AngleMeasurement | None
    head_width_mm: float | None
    head_lateral_to_perkin_line_mm: float | None


@dataclass(frozen=True)
class PelvicObliquity:
    """Pelvic obliquity in degrees (0 or more) and the patient's side whose crest is higher.

    ``high_side`` is None when the crests are level.
    """

    angle_deg: float
    high_side: Side | None
    method: str = PELVIC_OBLIQUITY_METHOD

    @property
    def distorts_migration_percentage(self) -> bool:
        """True above 5 degrees (Hagglund et al. 2018), where MP should be read with care."""
        return self.angle_deg > PELVIC_OBLIQUITY_DISTORTING_MIGRATION_DEG


@dataclass(frozen=True)
class FilmMeasurements:
    """The measures of one film: one entry per hip given, pelvic obliquity when given."""

    hips: tuple[HipMeasurements, ...]
    pelvic_obliquity: PelvicObliquity | None
    in_millimetres: bool

    def hip(self, side: Side) -> HipMeasurements | None:
        return next((h for h in self.hips if h.side is side), None)


def _acute_angle_between_lines_deg(first: _Vector, second: _Vector) -> float:
    """The acute (0-90 degree) angle between two undirected lines with these directions."""
    cosine = abs(first.dot(second)) / (first.length * second.length)
    return math.degrees(math.acos(min(1.0, cosine)))


def _migration_percentage(
    frame: _HilgenreinerFrame, side: Side, hip: HipLandmarks
) -> MigrationPercentage:
    """Reimers MP in the Hilgenreiner frame, lateral positive for this side.

    Mirrors ``calc_mi`` in danielchyeh/hipscreen-ai stage2/utils.py: for the hip on the image
    left, MP = (x_acetabulum_lateral - x_head_lateral) / (x_head_medial - x_head_lateral);
    measuring "lateral" per side is the same as multiplying x by -1 for the other hip.
    """
    perkin = frame.lateral(side, hip.acetabulum_lateral)
    medial = frame.lateral(side, hip.head_medial)
    lateral = frame.lateral(side, hip.head_lateral)
    head_width = lateral - medial
    lateral_to_perkin = lateral - perkin
    return MigrationPercentage(
        raw_percent=100.0 * lateral_to_perkin / head_width,
        head_width=head_width,
        lateral_to_perkin=lateral_to_perkin,
        dislocated=medial >= perkin,
    )


def _acetabular_index(
    frame: _HilgenreinerFrame, side: Side, triradiate: Point, hip: HipLandmarks
) -> AngleMeasurement:
    rise = frame.height(hip.acetabulum_lateral) - frame.height(triradiate)
    run = frame.lateral(side, hip.acetabulum_lateral) - frame.lateral(side, triradiate)
    return AngleMeasurement(math.degrees(math.atan2(rise, run)), ACETABULAR_INDEX_METHOD)


def _neck_shaft_angle(hip: HipLandmarks) -> AngleMeasurement | None:
    head, base = hip.head_centre, hip.neck_base
    proximal, distal = hip.shaft_proximal, hip.shaft_distal
    # PelvisLandmarks has checked that a requested measure has all four points.
    if head is None or base is None or proximal is None or distal is None:
        return None
    acute = _acute_angle_between_lines_deg(head - base, distal - proximal)
    return AngleMeasurement(180.0 - acute, NECK_SHAFT_ANGLE_METHOD)


def _head_shaft_angle(hip: HipLandmarks) -> AngleMeasurement | None:
    medial, lateral = hip.physis_medial, hip.physis_lateral
    proximal, distal = hip.shaft_proximal, hip.shaft_distal
    if medial is None or lateral is None or proximal is None or distal is None:
        return None
    physis = lateral - medial
    perpendicular = _Vector(-physis.y, physis.x)
    acute = _acute_angle_between_lines_deg(perpendicular, distal - proximal)
    return AngleMeasurement(180.0 - acute, HEAD_SHAFT_ANGLE_METHOD)


def _pelvic_obliquity(landmarks: PelvisLandmarks) -> PelvicObliquity | None:
    right, left = landmarks.iliac_crest_right, landmarks.iliac_crest_left
    if right is None or left is None:
        return None
    line = right - left
    angle_deg = math.degrees(math.atan2(abs(line.y), abs(line.x)))
    # Image y grows downward, so the higher crest has the smaller y.
    high_side = None if line.y == 0 else Side.RIGHT if right.y < left.y else Side.LEFT
    return PelvicObliquity(angle_deg=angle_deg, high_side=high_side)


def measure_film(
    landmarks: PelvisLandmarks, pixel_spacing: PixelSpacing | None = None
) -> FilmMeasurements:
    """Measure every hip on the film, and pelvic obliquity when its landmarks are given.

    With ``pixel_spacing`` the landmarks are converted to millimetres first, so angles and
    ratios are those of the patient even for non-square pixels, and widths are in mm.
    """
    points = landmarks if pixel_spacing is None else landmarks.scaled(pixel_spacing)
    frame = _HilgenreinerFrame.through(points.triradiate_right, points.triradiate_left)
    hips = []
    for side in Side:
        hip = points.hip(side)
        if hip is None:
            continue
        migration = _migration_percentage(frame, side, hip)
        hips.append(
            HipMeasurements(
                side=side,
                migration_percentage=migration,
                acetabular_index=_acetabular_index(frame, side, points.triradiate(side), hip),
                neck_shaft_angle=_neck_shaft_angle(hip),
                head_shaft_angle=_head_shaft_angle(hip),
                head_width_mm=None if pixel_spacing is None else migration.head_width,
                head_lateral_to_perkin_line_mm=(
                    None if pixel_spacing is None else migration.lateral_to_perkin
                ),
            )
        )
    return FilmMeasurements(
        hips=tuple(hips),
        pelvic_obliquity=_pelvic_obliquity(points),
        in_millimetres=pixel_spacing is not None,
    )
