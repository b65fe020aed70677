"""VDRO planning geometry: blade-plate angles, derotation and a limb-shortening estimate.

Sources
-------
* Blade-plate geometry: clinical spec §4 [D], which matches the Oxford NDORMS technique paper
  ("Femoral varus, derotation and shortening osteotomy ... in cerebral palsy",
  https://www.ndorms.ox.ac.uk/publications/506965): the chisel for a 90° blade plate is seated
  20-30° varus to the neck axis, the cuts are made parallel to the chisel and perpendicular to
  the shaft, and the final neck-shaft angle is therefore 90° + 20-30° = 110-120°, whatever the
  wedge removed. Targets of 110-120° neck-shaft angle and 0-15° anteversion come from the same
  paper.
* Shortening: a rigid rotation of the proximal fragment about the osteotomy hinge
  (clinical spec §4 [D]), derived in :func:`estimate_shortening_mm`; checked for order of
  magnitude against adults, in whom 25° of varus gave a mean 13 mm leg-length difference
  (r = 0.95) after a curved varus osteotomy (Yamamoto et al., JBJS Br 2007;89-B(6)).

Conventions
-----------
All angles are in degrees. The neck-shaft angle is the angle between the neck axis (towards the
head) and the shaft axis (towards the knee). Varus (a smaller neck-shaft angle) is positive.
Derotation is positive when the distal fragment is turned outward (external rotation) relative
to the proximal fragment, which lowers anteversion.

The planner informs the surgeon; it does not decide. Ranges it refuses or notes are data
(``hipcare/content/osteotomy.toml``) handed in as :class:`OsteotomyRules`.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import StrEnum

from hipcare.domain.checks import finite_number
from hipcare.domain.errors import InvalidInputError

__all__ = [
    "CONFIRM_WITH_CLINICAL_LEAD",
    "ROTATION_CHANGES_NECK_SHAFT_ANGLE",
    "OsteotomyPlan",
    "OsteotomyRequest",
    "OsteotomyRules",
    "RangeRule",
    "RuleAction",
    "RuleStatus",
    "ShorteningModel",
    "chisel_to_neck_deg",
    "chisel_to_shaft_deg",
    "correction_deg",
    "derotation_deg",
    "estimate_shortening_mm",
    "plan_osteotomy",
]

CONFIRM_WITH_CLINICAL_LEAD = "to be confirmed by the clinical lead"

ROTATION_CHANGES_NECK_SHAFT_ANGLE = (
    "The pre-operative neck-shaft angle read on an AP film depends on how the leg was rotated: "
    "20° of rotation moved it by −6.6° to +9.9° (the head-shaft angle by −3.7° to +1.2°; "
    "PMC8790813). Check the leg's rotation on the film before trusting the correction."
)
"""Shown with every plan: the correction is computed from an NSA read on a single AP film,
and limb rotation shifts that reading (PMC8790813, as given in the clinical specification
section 2)."""


class RuleStatus(StrEnum):
    """Whether a rule comes from a published source or is this service's own choice."""

    GUIDELINE = "guideline"
    LOCAL_PROTOCOL = "local-protocol"


class RuleAction(StrEnum):
    """What the planner does with a value outside a rule's range."""

    REFUSE = "refuse"
    NOTE = "note"


def _require_finite(field: str, value: float) -> None:
    finite_number(
        value,
        field,
        not_a_number="expected a number, got {value!r}",
        not_finite="{value!r} is not a finite number; give a real value",
    )


def _format_number(value: float) -> str:
    """``30`` for 30.0, ``30.5`` for 30.5: how a clinician writes an angle."""
    return f"{value:g}"


def _range_text(low: float, high: float, unit: str) -> str:
    """``110–120°``, or ``−30 to 80°`` when a dash would read as a minus sign."""
    suffix = "°" if unit == "deg" else f" {unit}"
    if low < 0:
        return f"−{_format_number(-low)} to {_format_number(high)}{suffix}"
    return f"{_format_number(low)}–{_format_number(high)}{suffix}"


@dataclass(frozen=True)
class RangeRule:
    """A closed range ``low..high`` in ``unit`` with its citation and what happens outside it."""

    id: str
    description: str
    low: float
    high: float
    unit: str
    action: RuleAction
    source: str
    section: str
    status: RuleStatus

    def __post_init__(self) -> None:
        _require_finite(f"rule {self.id}.low", self.low)
        _require_finite(f"rule {self.id}.high", self.high)
        if self.low > self.high:
            raise InvalidInputError(
                f"rule {self.id}", f"low {self.low} is above high {self.high}; swap them"
            )
        for name in ("id", "description", "unit", "source", "section"):
            if not str(getattr(self, name)).strip():
                raise InvalidInputError(f"rule {self.id or '?'}.{name}", "must not be empty")

    def contains(self, value: float) -> bool:
        """True when ``low <= value <= high``."""
        return self.low <= value <= self.high

    def describe(self) -> str:
        """The range as a clinician reads it, e.g. ``110–120°``, flagged when local protocol."""
        text = _range_text(self.low, self.high, self.unit)
        if self.status is RuleStatus.LOCAL_PROTOCOL:
            text += f" (local protocol, {CONFIRM_WITH_CLINICAL_LEAD})"
        return text


@dataclass(frozen=True)
class ShorteningModel:
    """Geometry of the limb-shortening estimate, in millimetres, in the coronal plane.

    The origin is the point where the neck axis meets the shaft axis. ``neck_length_mm`` is the
    distance from there to the centre of the femoral head. The hinge about which the proximal
    fragment turns lies ``hinge_medial_offset_mm`` medial of the shaft axis (negative: lateral;
    half the shaft width puts it on the medial cortex) and ``hinge_distal_offset_mm`` below the
    origin (the level of the osteotomy).

    The offsets are limited so that the estimate always grows with the correction for targets of
    90-150° (see :func:`estimate_shortening_mm`): the hinge must lie less than half a neck length
    either side of the shaft axis, and between the origin and one neck length below it.
    """

    neck_length_mm: float
    hinge_medial_offset_mm: float
    hinge_distal_offset_mm: float

    def __post_init__(self) -> None:
        _require_finite("neck_length_mm", self.neck_length_mm)
        _require_finite("hinge_medial_offset_mm", self.hinge_medial_offset_mm)
        _require_finite("hinge_distal_offset_mm", self.hinge_distal_offset_mm)
        if self.neck_length_mm <= 0:
            raise InvalidInputError(
                "neck_length_mm",
                f"{_format_number(self.neck_length_mm)} mm is not a length; give a positive "
                "distance from the head centre to where the neck axis meets the shaft axis",
            )
        half_neck = self.neck_length_mm / 2
        if not -half_neck < self.hinge_medial_offset_mm < half_neck:
            raise InvalidInputError(
                "hinge_medial_offset_mm",
                f"{_format_number(self.hinge_medial_offset_mm)} mm puts the hinge outside the "
                f"bone for a {_format_number(self.neck_length_mm)} mm neck; give a value "
                f"strictly between -{_format_number(half_neck)} and "
                f"{_format_number(half_neck)} mm (half the shaft width puts it on the cortex)",
            )
        if not 0 <= self.hinge_distal_offset_mm <= self.neck_length_mm:
            raise InvalidInputError(
                "hinge_distal_offset_mm",
                f"{_format_number(self.hinge_distal_offset_mm)} mm is not between 0 and the "
                f"neck length ({_format_number(self.neck_length_mm)} mm); give the distance of "
                "the osteotomy below the point where the neck axis meets the shaft axis",
            )


def correction_deg(neck_shaft_angle_deg: float, target_neck_shaft_angle_deg: float) -> float:
    """Varus correction (angle of the wedge) in degrees: NSA before − NSA after.

    Clinical spec §4 [D].
    """
    return neck_shaft_angle_deg - target_neck_shaft_angle_deg


def chisel_to_neck_deg(target_neck_shaft_angle_deg: float, plate_angle_deg: float) -> float:
    """Angle of the chisel to the neck axis (varus positive), in degrees: target NSA − plate angle.

    The blade keeps its angle to the head-neck fragment, and after the osteotomy the side plate
    lies along the shaft, so the final neck-shaft angle is plate angle + chisel-to-neck angle.
    Clinical spec §4 [D]; Oxford NDORMS technique (90° plate, chisel 30° to the neck → 120°).
    """
    return target_neck_shaft_angle_deg - plate_angle_deg


def chisel_to_shaft_deg(neck_shaft_angle_deg: float, chisel_to_neck: float) -> float:
    """Angle of the chisel to the shaft before the cut, in degrees: NSA before − chisel-to-neck.

    Measured like the neck-shaft angle (chisel towards the head against shaft towards the knee).
    The wedge between a cut parallel to the chisel and a cut perpendicular to the shaft, as in the
    Oxford technique, is then chisel-to-shaft − plate angle = the correction. Clinical spec §4 [D].
    """
    return neck_shaft_angle_deg - chisel_to_neck


def derotation_deg(anteversion_deg: float, target_anteversion_deg: float) -> float:
    """Derotation in degrees: anteversion before − target anteversion.

    Positive: the distal fragment is turned outward (external rotation) relative to the proximal
    fragment. Clinical spec §4; the target of 0-15° is from the Oxford NDORMS technique paper.
    """
    return anteversion_deg - target_anteversion_deg


def estimate_shortening_mm(
    neck_shaft_angle_deg: float, target_neck_shaft_angle_deg: float, model: ShorteningModel
) -> float:
    """Estimated drop of the femoral-head centre, in mm, caused by the varus rotation alone.

    Model (clinical spec §4 [D]; an estimate, not a measurement). In the coronal plane put the
    origin where the neck axis meets the shaft axis, x medial, y proximal. With α the NSA before
    and L the neck length the head centre is at L·(sin α, −cos α). The proximal fragment turns
    rigidly by θ = α − α' (α' the target) about the hinge at (m, −d). Turning a point (x, y)
    about the hinge into varus maps its offset (u, v) from the hinge to
    (u·cos θ + v·sin θ, −u·sin θ + v·cos θ), so the head drops by

        v·(1 − cos θ) + u·sin θ,   with u = L·sin α − m, v = −L·cos α + d,

    which simplifies to

        shortening = L·(cos α' − cos α) + d·(1 − cos θ) − m·sin θ.

    With the hinge on the shaft axis at the neck level (m = d = 0) this is L·(cos α' − cos α).
    Its derivative in θ is the head's current medial distance from the hinge,
    L·sin α'' − m·cos t + d·sin t ≥ L/2 − |m| > 0 for intermediate angles α'' of 90-150°,
    so within the planner's ranges the estimate grows with the correction.

    Not modelled: bone removed for deliberate shortening (add it), medial or lateral
    displacement of the shaft, the coupling of varus with anteversion, soft tissues and growth.
    """
    _require_finite("neck_shaft_angle_deg", neck_shaft_angle_deg)
    _require_finite("target_neck_shaft_angle_deg", target_neck_shaft_angle_deg)
    before = math.radians(neck_shaft_angle_deg)
    after = math.radians(target_neck_shaft_angle_deg)
    turn = before - after
    return (
        model.neck_length_mm * (math.cos(after) - math.cos(before))
        + model.hinge_distal_offset_mm * (1 - math.cos(turn))
        - model.hinge_medial_offset_mm * math.sin(turn)
    )


@dataclass(frozen=True)
class OsteotomyRules:
    """The ranges the planner refuses or notes, and the default shortening geometry.

    Loaded from ``hipcare/content/osteotomy.toml`` by ``hipcare.content.osteotomy``.
    """

    preoperative_neck_shaft_angle: RangeRule
    target_neck_shaft_angle: RangeRule
    usual_target_neck_shaft_angle: RangeRule
    anteversion: RangeRule
    usual_target_anteversion: RangeRule
    plate_angle: RangeRule
    chisel_to_neck: RangeRule
    neck_length: RangeRule
    default_shortening_model: ShorteningModel
    shortening_model_source: str
    shortening_model_status: RuleStatus

    def all_rules(self) -> tuple[RangeRule, ...]:
        """Every range rule, in a stable order."""
        return (
            self.preoperative_neck_shaft_angle,
            self.target_neck_shaft_angle,
            self.usual_target_neck_shaft_angle,
            self.anteversion,
            self.usual_target_anteversion,
            self.plate_angle,
            self.chisel_to_neck,
            self.neck_length,
        )


_MODEL_FIELDS = ("neck_length_mm", "hinge_medial_offset_mm", "hinge_distal_offset_mm")


@dataclass(frozen=True)
class OsteotomyRequest:
    """What the surgeon plans: angles in degrees; anteversion before and target go together.

    Each shortening-model dimension left as None takes the rules' default and is reported as
    assumed (see :class:`ShorteningModel` for what they mean).
    """

    neck_shaft_angle_deg: float
    target_neck_shaft_angle_deg: float
    plate_angle_deg: float
    anteversion_deg: float | None = None
    target_anteversion_deg: float | None = None
    neck_length_mm: float | None = None
    hinge_medial_offset_mm: float | None = None
    hinge_distal_offset_mm: float | None = None

    def __post_init__(self) -> None:
        _require_finite("neck_shaft_angle_deg", self.neck_shaft_angle_deg)
        _require_finite("target_neck_shaft_angle_deg", self.target_neck_shaft_angle_deg)
        _require_finite("plate_angle_deg", self.plate_angle_deg)
        if (self.anteversion_deg is None) != (self.target_anteversion_deg is None):
            missing = (
                "target_anteversion_deg"
                if self.anteversion_deg is not None
                else ("anteversion_deg")
            )
            raise InvalidInputError(
                missing,
                "anteversion before and target anteversion go together; give both or neither",
            )
        if self.anteversion_deg is not None:
            _require_finite("anteversion_deg", self.anteversion_deg)
        if self.target_anteversion_deg is not None:
            _require_finite("target_anteversion_deg", self.target_anteversion_deg)
        for name in _MODEL_FIELDS:
            value = getattr(self, name)
            if value is not None:
                _require_finite(name, value)

    def shortening_model(self, default: ShorteningModel) -> tuple[ShorteningModel, tuple[str, ...]]:
        """This request's model dimensions, the defaults for the rest, and which were assumed."""
        assumed = tuple(name for name in _MODEL_FIELDS if getattr(self, name) is None)
        values = {
            name: getattr(default if name in assumed else self, name) for name in _MODEL_FIELDS
        }
        return ShorteningModel(**values), assumed


@dataclass(frozen=True)
class OsteotomyPlan:
    """The planning geometry for one hip, with the notes and rules a clinician must see."""

    request: OsteotomyRequest
    correction_deg: float
    chisel_to_neck_deg: float
    chisel_to_shaft_deg: float
    final_neck_shaft_angle_deg: float
    derotation_deg: float | None
    shortening_mm_estimate: float
    shortening_model: ShorteningModel
    shortening_model_assumed: tuple[str, ...]
    notes: tuple[str, ...]
    rules_used: tuple[RangeRule, ...]


def _refuse_outside(rule: RangeRule, field: str, value: float, what: str) -> None:
    if not rule.contains(value):
        raise InvalidInputError(
            field,
            f"{what} {_format_number(value)}° is outside the {rule.describe()} this planner "
            "accepts; check the measurement",
        )


def _feasible_plates(rules: OsteotomyRules, target: float) -> str:
    low = max(rules.plate_angle.low, target - rules.chisel_to_neck.high)
    high = min(rules.plate_angle.high, target - rules.chisel_to_neck.low)
    if low > high:
        return "no plate angle in the accepted range reaches it"
    return f"plates of {_format_number(low)}–{_format_number(high)}° reach it"


def plan_osteotomy(request: OsteotomyRequest, rules: OsteotomyRules) -> OsteotomyPlan:
    """Work out the blade-plate angles, derotation and shortening estimate for one hip.

    Refuses (``InvalidInputError``) angles outside the rules' refuse ranges, a target above the
    pre-operative angle (a valgus osteotomy, not planned here) and a plate that cannot reach the
    target with the chisel inside its accepted range. Targets outside the usual ranges are
    planned, with a note. Formulas and sources: see the module docstring.
    """
    nsa = request.neck_shaft_angle_deg
    target = request.target_neck_shaft_angle_deg
    plate = request.plate_angle_deg
    _refuse_outside(
        rules.preoperative_neck_shaft_angle, "neck_shaft_angle_deg", nsa, "neck-shaft angle"
    )
    _refuse_outside(
        rules.target_neck_shaft_angle,
        "target_neck_shaft_angle_deg",
        target,
        "target neck-shaft angle",
    )
    _refuse_outside(rules.plate_angle, "plate_angle_deg", plate, "plate angle")
    if target > nsa:
        raise InvalidInputError(
            "target_neck_shaft_angle_deg",
            f"the target {_format_number(target)}° is above the pre-operative "
            f"{_format_number(nsa)}°: that is a valgus osteotomy, which this varus planner "
            "does not plan",
        )
    chisel_neck = chisel_to_neck_deg(target, plate)
    if not rules.chisel_to_neck.contains(chisel_neck):
        raise InvalidInputError(
            "plate_angle_deg",
            f"a {_format_number(plate)}° plate cannot reach a target of "
            f"{_format_number(target)}°: the chisel would sit {_format_number(chisel_neck)}° "
            f"to the neck axis, outside the {rules.chisel_to_neck.describe()}; "
            f"{_feasible_plates(rules, target)}",
        )

    notes: list[str] = [ROTATION_CHANGES_NECK_SHAFT_ANGLE]
    used: list[RangeRule] = [
        rules.preoperative_neck_shaft_angle,
        rules.target_neck_shaft_angle,
        rules.usual_target_neck_shaft_angle,
        rules.plate_angle,
        rules.chisel_to_neck,
    ]
    usual_nsa = rules.usual_target_neck_shaft_angle
    if not usual_nsa.contains(target):
        notes.append(
            f"The target neck-shaft angle {_format_number(target)}° is outside the usual "
            f"{usual_nsa.describe()} ({usual_nsa.source.split(':')[0]})."
        )
    correction = correction_deg(nsa, target)
    if correction == 0:
        notes.append("No varus correction: this plans a derotation only.")

    derotation: float | None = None
    if request.anteversion_deg is not None and request.target_anteversion_deg is not None:
        used += [rules.anteversion, rules.usual_target_anteversion]
        _refuse_outside(
            rules.anteversion, "anteversion_deg", request.anteversion_deg, "anteversion"
        )
        _refuse_outside(
            rules.anteversion,
            "target_anteversion_deg",
            request.target_anteversion_deg,
            "target anteversion",
        )
        derotation = derotation_deg(request.anteversion_deg, request.target_anteversion_deg)
        usual_av = rules.usual_target_anteversion
        if not usual_av.contains(request.target_anteversion_deg):
            notes.append(
                f"The target anteversion {_format_number(request.target_anteversion_deg)}° is "
                f"outside the usual {usual_av.describe()} ({usual_av.source.split(':')[0]})."
            )
        if derotation < 0:
            notes.append(
                "The target anteversion is above the anteversion before: the distal fragment "
                "would be turned inward, which is unusual in a VDRO; check the values."
            )
        notes.append(
            "Derotation is planned separately from the varus angle; a varus cut itself also "
            "changes the anteversion measured afterwards."
        )

    model, assumed = request.shortening_model(rules.default_shortening_model)
    used.append(rules.neck_length)
    if not rules.neck_length.contains(model.neck_length_mm):
        raise InvalidInputError(
            "neck_length_mm",
            f"{_format_number(model.neck_length_mm)} mm is outside the "
            f"{rules.neck_length.describe()} the shortening model accepts",
        )
    shortening = estimate_shortening_mm(nsa, target, model)
    notes.append(
        "The shortening is an estimate from a simple geometric model (the head turning about "
        "the osteotomy hinge), not a measurement; add any bone removed to shorten the femur."
    )
    if assumed:
        described = {
            "neck_length_mm": f"neck length {_format_number(model.neck_length_mm)} mm",
            "hinge_medial_offset_mm": (
                f"hinge {_format_number(model.hinge_medial_offset_mm)} mm medial of the shaft axis"
            ),
            "hinge_distal_offset_mm": (
                f"hinge {_format_number(model.hinge_distal_offset_mm)} mm below the neck axis"
            ),
        }
        notes.append(
            "The shortening model assumes "
            + ", ".join(described[name] for name in assumed)
            + f" ({CONFIRM_WITH_CLINICAL_LEAD}); give the child's own measurements when known."
        )
    local = [rule for rule in used if rule.status is RuleStatus.LOCAL_PROTOCOL]
    if local:
        ranges = "; ".join(
            f"{rule.description} {_range_text(rule.low, rule.high, rule.unit)}" for rule in local
        )
        notes.append(f"Local-protocol limits used, {CONFIRM_WITH_CLINICAL_LEAD}: {ranges}.")

    return OsteotomyPlan(
        request=request,
        correction_deg=correction,
        chisel_to_neck_deg=chisel_neck,
        chisel_to_shaft_deg=chisel_to_shaft_deg(nsa, chisel_neck),
        final_neck_shaft_angle_deg=plate + chisel_neck,
        derotation_deg=derotation,
        shortening_mm_estimate=shortening,
        shortening_model=model,
        shortening_model_assumed=assumed,
        notes=tuple(notes),
        rules_used=tuple(used),
    )
