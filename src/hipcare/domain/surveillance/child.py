"""The child as hip surveillance sees them: visits, films, hip operations, (corrected) age."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import date, timedelta
from enum import Enum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.surveillance.calendar import add_months, months_between
from hipcare.domain.surveillance.rules import SurveillanceRule

__all__ = [
    "AgeReference",
    "HipPair",
    "HipProcedure",
    "HipSurgery",
    "SurgerySide",
    "SurveillanceInput",
    "Visit",
]


def _check_percentage(value: float | None, field_name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(field_name, f"{value!r} is not a number; give a percentage 0-100")
    if not math.isfinite(value):
        raise InvalidInputError(field_name, "must be a finite number (0-100)")
    if not 0 <= value <= 100:
        raise InvalidInputError(
            field_name,
            f"{value} is outside 0-100; give the reported migration percentage "
            "(a fully covered head is 0, a dislocated head 100)",
        )


def _check_angle(value: float | None, field_name: str) -> None:
    if value is None:
        return
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(field_name, f"{value!r} is not a number; give degrees")
    if not math.isfinite(value) or not 0 <= value <= 180:
        raise InvalidInputError(field_name, f"{value} is not an angle from 0 to 180 degrees")


@dataclass(frozen=True)
class HipPair:
    """One measure for the right and the left hip (the patient's sides); either may be absent."""

    right: float | None = None
    left: float | None = None

    def sides(self) -> tuple[tuple[str, float | None], ...]:
        return (("right", self.right), ("left", self.left))


@dataclass(frozen=True)
class Visit:
    """A surveillance visit: its date, whether an AP pelvis X-ray was taken, and its measures.

    ``migration_percentage`` (Reimers, 0-100, as reported) and ``head_shaft_angle_deg`` need
    an X-ray; either hip may be left out. ``pelvic_obliquity_deg`` (0-90, from the film or the
    examination) is optional; over 5 degrees it distorts MP (clinical specification section 2)
    and, at skeletal maturity, keeps surveillance going (PMID 36575164). The other examination
    findings (``hip_pain``, ``passive_abduction_deg`` per hip 0-90, ``scoliosis``,
    ``windswept_posture``) are optional; hip pain and abduction feed the examination-referral
    rule, the others are reported (docs/clinical/surveillance.md).
    """

    date: date
    xray: bool
    migration_percentage: HipPair | None = None
    head_shaft_angle_deg: HipPair | None = None
    pelvic_obliquity_deg: float | None = None
    hip_pain: bool | None = None
    passive_abduction_deg: HipPair | None = None
    scoliosis: bool | None = None
    windswept_posture: bool | None = None

    def examination(self) -> dict[str, object]:
        """The examination findings recorded at this visit, by field name."""
        found: dict[str, object] = {
            "hip_pain": self.hip_pain,
            "pelvic_obliquity_deg": self.pelvic_obliquity_deg,
            "scoliosis": self.scoliosis,
            "windswept_posture": self.windswept_posture,
        }
        if self.passive_abduction_deg is not None:
            found["passive_abduction_deg"] = dict(self.passive_abduction_deg.sides())
        return {name: value for name, value in found.items() if value is not None}

    def __post_init__(self) -> None:
        if not isinstance(self.xray, bool):
            raise InvalidInputError("xray", "must be true or false")
        for name in ("hip_pain", "scoliosis", "windswept_posture"):
            flag = getattr(self, name)
            if flag is not None and not isinstance(flag, bool):
                raise InvalidInputError(name, f"{flag!r} must be true or false")
        if self.passive_abduction_deg is not None:
            for side, value in self.passive_abduction_deg.sides():
                if value is not None and (
                    isinstance(value, bool)
                    or not isinstance(value, int | float)
                    or not math.isfinite(value)
                    or not 0 <= value <= 90
                ):
                    raise InvalidInputError(
                        f"passive_abduction_deg.{side}",
                        f"{value!r} is not an angle from 0 to 90 degrees",
                    )
        obliquity = self.pelvic_obliquity_deg
        if obliquity is not None and (
            isinstance(obliquity, bool)
            or not isinstance(obliquity, int | float)
            or not math.isfinite(obliquity)
            or not 0 <= obliquity <= 90
        ):
            raise InvalidInputError(
                "pelvic_obliquity_deg", f"{obliquity!r} is not an angle from 0 to 90 degrees"
            )
        for name, pair in (
            ("migration_percentage", self.migration_percentage),
            ("head_shaft_angle_deg", self.head_shaft_angle_deg),
        ):
            if pair is None:
                continue
            if not self.xray and (pair.right is not None or pair.left is not None):
                raise InvalidInputError(
                    name, "is given for a visit without an X-ray; set xray to true or remove it"
                )
            for side, value in pair.sides():
                if name == "migration_percentage":
                    _check_percentage(value, f"{name}.{side}")
                else:
                    _check_angle(value, f"{name}.{side}")

    def migration(self, side: str) -> float | None:
        """This film's migration percentage of the ``side`` ("right"/"left") hip, if measured."""
        return _side_value(self.migration_percentage, side)

    def head_shaft_angle(self, side: str) -> float | None:
        """This film's head-shaft angle of the ``side`` hip in degrees, if measured."""
        return _side_value(self.head_shaft_angle_deg, side)


def _side_value(pair: HipPair | None, side: str) -> float | None:
    if pair is None:
        return None
    return pair.right if side == "right" else pair.left


class SurgerySide(Enum):
    """Which hip an operation was on (the patient's sides)."""

    RIGHT = "right"
    LEFT = "left"
    BOTH = "both"

    def covers(self, side: str) -> bool:
        return self is SurgerySide.BOTH or self.value == side


class HipProcedure(Enum):
    """Hip operations the surveillance engine knows (the web app's done operations)."""

    VDRO = "vdro"
    DEGA = "dega"
    PELVIC_OSTEOTOMY = "pelvic-osteotomy"
    ADDUCTOR_RELEASE = "adductor-release"
    PSOAS_RELEASE = "psoas-release"
    OPEN_REDUCTION = "open-reduction"
    SALVAGE = "salvage"
    PLATE_REMOVAL = "plate-removal"

    @property
    def operates_on_the_hip(self) -> bool:
        """False for plate removal: taking out the implant is planned, not a re-operation
        (failure after reconstruction is re-operation or MP > 50%, clinical spec section 4)."""
        return self is not HipProcedure.PLATE_REMOVAL


@dataclass(frozen=True)
class HipSurgery:
    """One hip operation that was done: its date, side and procedure."""

    date: date
    side: SurgerySide
    procedure: HipProcedure

    def __post_init__(self) -> None:
        if not isinstance(self.date, date):
            raise InvalidInputError("date", "must be a date")
        if not isinstance(self.side, SurgerySide):
            raise InvalidInputError("side", 'must be "right", "left" or "both"')
        if not isinstance(self.procedure, HipProcedure):
            raise InvalidInputError(
                "procedure", f"must be one of {', '.join(p.value for p in HipProcedure)}"
            )


@dataclass(frozen=True)
class SurveillanceInput:
    """What hip surveillance needs to know about one child, as of ``today``.

    ``gmfcs`` None means the level is not known. ``gestation_weeks`` (optional) gives the
    corrected age for a child born preterm. ``skeletal_maturity_reached`` or
    ``triradiate_cartilage_closed`` mark skeletal maturity; ``winters_gage_hicks_type_iv``
    takes the child outside the shipped rules; ``hip_surgery`` lists operations done.
    """

    date_of_birth: date
    gmfcs: GMFCS | None
    today: date
    visits: tuple[Visit, ...] = ()
    gestation_weeks: float | None = None
    skeletal_maturity_reached: bool = False
    winters_gage_hicks_type_iv: bool = False
    hip_surgery: tuple[HipSurgery, ...] = ()
    triradiate_cartilage_closed: bool = False

    @property
    def skeletally_mature(self) -> bool:
        return self.skeletal_maturity_reached or self.triradiate_cartilage_closed

    def __post_init__(self) -> None:
        if self.date_of_birth > self.today:
            raise InvalidInputError(
                "date_of_birth",
                f"{self.date_of_birth.isoformat()} is after today ({self.today.isoformat()})",
            )
        if self.gestation_weeks is not None:
            weeks = self.gestation_weeks
            if isinstance(weeks, bool) or not isinstance(weeks, int | float):
                raise InvalidInputError("gestation_weeks", f"{weeks!r} is not a number of weeks")
            if not math.isfinite(weeks) or not 20 <= weeks <= 45:
                raise InvalidInputError(
                    "gestation_weeks", f"{weeks} is not a gestation from 20 to 45 weeks"
                )
        for index, visit in enumerate(self.visits):
            if visit.date > self.today:
                raise InvalidInputError(
                    f"visits[{index}].date",
                    f"{visit.date.isoformat()} is in the future "
                    f"(today is {self.today.isoformat()})",
                )
            if visit.date < self.date_of_birth:
                raise InvalidInputError(
                    f"visits[{index}].date",
                    f"{visit.date.isoformat()} is before the date of birth",
                )
        for index, surgery in enumerate(self.hip_surgery):
            if surgery.date > self.today:
                raise InvalidInputError(
                    f"hip_surgery[{index}].date",
                    f"{surgery.date.isoformat()} is in the future; list operations that were done",
                )
            if surgery.date < self.date_of_birth:
                raise InvalidInputError(
                    f"hip_surgery[{index}].date",
                    f"{surgery.date.isoformat()} is before the date of birth",
                )


@dataclass(frozen=True)
class AgeReference:
    """Turns ages in months into dates for one child, with corrected age for preterm birth.

    Corrected age = chronological age - (term - gestation) weeks for a child born before
    ``born_before_weeks``, used until ``until_chronological_age_months`` of chronological age
    (the usual paediatric convention; the rule and its status live in the content file).
    """

    date_of_birth: date
    correction_days: int = 0
    until_chronological_age_months: int = 0

    @classmethod
    def for_child(cls, child: SurveillanceInput, correction: SurveillanceRule) -> AgeReference:
        weeks = child.gestation_weeks
        if weeks is None or weeks >= (correction.born_before_weeks or 0):
            return cls(child.date_of_birth)
        days = round(((correction.term_weeks or 0) - weeks) * 7)
        return cls(
            child.date_of_birth, max(days, 0), correction.until_chronological_age_months or 0
        )

    @property
    def corrected(self) -> bool:
        return self.correction_days > 0

    @property
    def correction_ends(self) -> date:
        return add_months(self.date_of_birth, self.until_chronological_age_months)

    @property
    def corrected_birth_date(self) -> date:
        return self.date_of_birth + timedelta(days=self.correction_days)

    def uses_correction_on(self, day: date) -> bool:
        return self.corrected and day < self.correction_ends

    def age_months(self, day: date) -> int:
        """Whole months of age on ``day``: corrected while correction applies, else actual."""
        if self.uses_correction_on(day):
            return months_between(self.corrected_birth_date, day)
        return months_between(self.date_of_birth, day)

    def date_at_age(self, months: int) -> date:
        """The first day on which the child's (corrected) age is at least ``months`` months."""
        if self.corrected:
            candidate = add_months(self.corrected_birth_date, months)
            if candidate < self.correction_ends:
                return candidate
            return max(self.correction_ends, add_months(self.date_of_birth, months))
        return add_months(self.date_of_birth, months)
