"""One operation's outcome and its hips: stay, complications, readmissions, re-operations,
MP before and after, hip failure and the survival records (see the package docstring)."""

from __future__ import annotations

import bisect
import calendar
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.pathway import Procedure
from hipcare.domain.radiograph import Side

__all__ = [
    "COVERAGE_LEVELS",
    "Complication",
    "ComplicationGrade",
    "HipFilm",
    "HipOutcome",
    "HipSurvivalRecord",
    "OperationOutcome",
    "OutcomeChild",
    "OutcomeThresholds",
    "ProcedureGroup",
    "Reoperation",
    "age_in_months",
    "checked_date",
    "has_film_within",
    "hip_outcomes",
    "hip_survival_records",
    "is_number",
    "reached_migration_percentage",
]

_DAYS_PER_YEAR = 365.25
_PELVIC_OSTEOTOMIES = frozenset({Procedure.DEGA})
COVERAGE_LEVELS = (GMFCS.III, GMFCS.IV, GMFCS.V)
"""The GMFCS levels whose surveillance coverage CPUP reports."""


class ComplicationGrade(StrEnum):
    """A grade of the modified Clavien-Dindo-Sink classification (Dodwell et al. 2018).

    I: no deviation from the routine course; II: needs outpatient treatment; III: needs
    investigation, readmission or a return to theatre; IVa: limb- or life-threatening without
    lasting disability; IVb: with lasting disability; V: death. The descriptions and the
    citation are data (``content/outcomes.toml``); the order is the order of severity.
    """

    I = "I"  # noqa: E741 -- the grade's own name is the Roman numeral I
    II = "II"
    III = "III"
    IV_A = "IVa"
    IV_B = "IVb"
    V = "V"


class ProcedureGroup(StrEnum):
    """How survival is compared: a VDRO alone, or with a pelvic (acetabular) osteotomy."""

    VDRO_ALONE = "vdro-alone"
    VDRO_WITH_PELVIC_OSTEOTOMY = "vdro-with-pelvic-osteotomy"

    @classmethod
    def of(cls, procedures: Iterable[Procedure]) -> ProcedureGroup:
        """The group of an operation's procedures (a Dega osteotomy is a pelvic osteotomy)."""
        if _PELVIC_OSTEOTOMIES & set(procedures):
            return cls.VDRO_WITH_PELVIC_OSTEOTOMY
        return cls.VDRO_ALONE


@dataclass(frozen=True)
class OutcomeThresholds:
    """The cited numbers the outcome computations use (``content/outcomes.toml``).

    ``hip_failure_migration_percentage`` 50 (clinical spec §4);
    ``surgery_considered_migration_percentage`` 40 (clinical spec §3-4);
    ``surveillance_coverage_window_months`` 12 (CPUP); ``readmission_window_days`` 30;
    ``follow_up_film_window_days``: how far from the 1- or 2-year anniversary a film may be.
    """

    hip_failure_migration_percentage: float = 50.0
    surgery_considered_migration_percentage: float = 40.0
    surveillance_coverage_window_months: int = 12
    readmission_window_days: int = 30
    follow_up_film_window_days: int = 183

    def __post_init__(self) -> None:
        for name in ("hip_failure_migration_percentage", "surgery_considered_migration_percentage"):
            value = getattr(self, name)
            if not is_number(value) or not 0 <= value <= 100:
                raise InvalidInputError(f"thresholds.{name}", "must be a percentage 0-100")
        for name in (
            "surveillance_coverage_window_months",
            "readmission_window_days",
            "follow_up_film_window_days",
        ):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"thresholds.{name}", "must be a whole number >= 1")


def is_number(value: object) -> bool:
    return not isinstance(value, bool) and isinstance(value, int | float) and math.isfinite(value)


def checked_date(value: object, field_name: str) -> date:
    if not isinstance(value, date) or hasattr(value, "hour"):
        raise InvalidInputError(field_name, f"{value!r} is not a calendar date")
    return value


def _optional_date(value: object, field_name: str) -> date | None:
    return None if value is None else checked_date(value, field_name)


def _record_id(value: object, field_name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise InvalidInputError(field_name, f"{value!r} is not a record id (a whole number >= 1)")
    return value


def _side(value: object, field_name: str) -> Side:
    if not isinstance(value, Side):
        raise InvalidInputError(field_name, f"{value!r} is not 'right' or 'left'")
    return value


# --- films and children -----------------------------------------------------------------------


@dataclass(frozen=True)
class HipFilm:
    """The reported migration percentage (0-100 %) of one hip on a film taken on ``film_date``."""

    side: Side
    film_date: date
    migration_percentage: float

    def __post_init__(self) -> None:
        _side(self.side, "film.side")
        checked_date(self.film_date, "film.film_date")
        if not is_number(self.migration_percentage) or not 0 <= self.migration_percentage <= 100:
            raise InvalidInputError(
                "film.migration_percentage",
                f"{self.migration_percentage!r} is not a reported migration percentage (0-100)",
            )
        object.__setattr__(self, "migration_percentage", float(self.migration_percentage))


@dataclass(frozen=True)
class OutcomeChild:
    """A child of the site as the report sees them: the level, birth date and hip films.

    The birth date is used for ages (in whole months) and never leaves the report; names and
    contacts are not part of this value at all. ``gmfcs`` None: the level is not recorded.
    """

    child_id: int
    date_of_birth: date
    gmfcs: GMFCS | None
    films: tuple[HipFilm, ...] = ()
    _films_by_side: dict[Side, tuple[HipFilm, ...]] = field(
        init=False, repr=False, compare=False, default_factory=dict
    )

    def __post_init__(self) -> None:
        _record_id(self.child_id, "child.child_id")
        checked_date(self.date_of_birth, "child.date_of_birth")
        if self.gmfcs is not None and not isinstance(self.gmfcs, GMFCS):
            raise InvalidInputError("child.gmfcs", f"{self.gmfcs!r} is not a GMFCS level")
        films = tuple(self.films)
        for index, film in enumerate(films):
            if not isinstance(film, HipFilm):
                raise InvalidInputError(f"child.films[{index}]", "is not a hip film")
            if film.film_date < self.date_of_birth:
                raise InvalidInputError(
                    f"child.films[{index}].film_date", "is before the child's date of birth"
                )
        ordered = tuple(sorted(films, key=lambda film: (film.film_date, film.side.value)))
        object.__setattr__(self, "films", ordered)
        # Indexed once: the report asks for one side's films for every operated hip.
        object.__setattr__(
            self,
            "_films_by_side",
            {side: tuple(film for film in ordered if film.side is side) for side in Side},
        )

    def films_of(self, side: Side) -> tuple[HipFilm, ...]:
        """This side's films, oldest first."""
        return self._films_by_side[side]


def age_in_months(date_of_birth: date, on: date) -> int:
    """Completed months of age on ``on`` (the registry's age unit; never a date)."""
    if on < date_of_birth:
        raise InvalidInputError("age", "the day is before the date of birth")
    months = (on.year - date_of_birth.year) * 12 + on.month - date_of_birth.month
    if on.day < date_of_birth.day:
        months -= 1
    return months


def _months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day if it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month_index = divmod(index, 12)
    month = month_index + 1
    if year < date.min.year:
        return date.min
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def has_film_within(child: OutcomeChild, *, months: int, today: date) -> bool:
    """A hip film of ``child`` in the ``months`` calendar months up to ``today`` (inclusive)."""
    start = _months_before(today, months)
    return any(start <= film.film_date <= today for film in child.films)


def reached_migration_percentage(child: OutcomeChild, threshold: float, *, today: date) -> bool:
    """A film up to ``today`` showed a hip of ``child`` with MP above ``threshold`` (%)."""
    return any(
        film.migration_percentage > threshold and film.film_date <= today for film in child.films
    )


# --- one operation ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Complication:
    """A complication of an operation, graded by a clinician, ``days_after_surgery`` >= 0."""

    grade: ComplicationGrade
    days_after_surgery: int

    def __post_init__(self) -> None:
        if not isinstance(self.grade, ComplicationGrade):
            allowed = ", ".join(grade.value for grade in ComplicationGrade)
            raise InvalidInputError("complication.grade", f"{self.grade!r} is not one of {allowed}")
        days = self.days_after_surgery
        if isinstance(days, bool) or not isinstance(days, int) or days < 0:
            raise InvalidInputError(
                "complication.days_after_surgery", f"{days!r} is not a whole number of days >= 0"
            )


@dataclass(frozen=True)
class Reoperation:
    """A later operation on one of the operated hips (a hip failure, clinical spec §4)."""

    side: Side
    reoperation_date: date

    def __post_init__(self) -> None:
        _side(self.side, "reoperation.side")
        checked_date(self.reoperation_date, "reoperation.reoperation_date")


@dataclass(frozen=True)
class OperationOutcome:
    """What happened after one VDRO (with any procedures done in the same sitting).

    Dates are calendar days. Unknown facts are None (a stay not yet recorded), and the
    report leaves them out of its figures rather than guessing. ``return_to_theatre`` is an
    unplanned return during the stay or the readmission window; ``plate_removal_date`` is
    the planned removal of the plate and screws (about 2 years later, clinical spec §1), which
    is not a re-operation.
    """

    operation_id: int
    child_id: int
    sides: tuple[Side, ...]
    procedures: tuple[Procedure, ...]
    surgery_date: date
    admission_date: date | None = None
    discharge_date: date | None = None
    complications: tuple[Complication, ...] = ()
    readmission_dates: tuple[date, ...] = ()
    return_to_theatre: bool | None = None
    reoperations: tuple[Reoperation, ...] = ()
    plate_removal_date: date | None = None

    def __post_init__(self) -> None:
        _record_id(self.operation_id, "outcome.operation_id")
        _record_id(self.child_id, "outcome.child_id")
        sides = tuple(self.sides)
        if not sides:
            raise InvalidInputError("outcome.sides", "name the operated hip(s): right, left")
        for side in sides:
            _side(side, "outcome.sides")
        if len(set(sides)) != len(sides):
            raise InvalidInputError("outcome.sides", "names the same hip twice")
        object.__setattr__(self, "sides", tuple(sorted(sides, key=lambda side: side.value)))
        procedures = tuple(self.procedures)
        if not all(isinstance(procedure, Procedure) for procedure in procedures):
            allowed = ", ".join(procedure.value for procedure in Procedure)
            raise InvalidInputError("outcome.procedures", f"each is one of {allowed}")
        if Procedure.VDRO not in procedures:
            raise InvalidInputError("outcome.procedures", "must include 'vdro'")
        object.__setattr__(self, "procedures", procedures)
        surgery = checked_date(self.surgery_date, "outcome.surgery_date")
        admission = _optional_date(self.admission_date, "outcome.admission_date")
        discharge = _optional_date(self.discharge_date, "outcome.discharge_date")
        if admission is not None and admission > surgery:
            raise InvalidInputError("outcome.admission_date", "is after the surgery date")
        if discharge is not None and discharge < surgery:
            raise InvalidInputError("outcome.discharge_date", "is before the surgery date")
        if discharge is not None and admission is None:
            raise InvalidInputError(
                "outcome.admission_date", "is missing; a discharge needs its admission date"
            )
        complications = tuple(self.complications)
        for index, complication in enumerate(complications):
            if not isinstance(complication, Complication):
                raise InvalidInputError(f"outcome.complications[{index}]", "is not a complication")
        object.__setattr__(self, "complications", complications)
        readmissions = tuple(self.readmission_dates)
        for index, readmission in enumerate(readmissions):
            checked_date(readmission, f"outcome.readmission_dates[{index}]")
        readmissions = tuple(sorted(readmissions))
        for index, readmission in enumerate(readmissions):
            if discharge is None:
                raise InvalidInputError(
                    "outcome.discharge_date", "is missing; a readmission needs the first discharge"
                )
            if readmission < discharge:
                raise InvalidInputError(
                    f"outcome.readmission_dates[{index}]", "is before the discharge"
                )
        object.__setattr__(self, "readmission_dates", readmissions)
        if self.return_to_theatre is not None and not isinstance(self.return_to_theatre, bool):
            raise InvalidInputError("outcome.return_to_theatre", "must be true, false or unknown")
        reoperations = tuple(self.reoperations)
        for index, reoperation in enumerate(reoperations):
            if not isinstance(reoperation, Reoperation):
                raise InvalidInputError(f"outcome.reoperations[{index}]", "is not a re-operation")
            if reoperation.side not in sides:
                raise InvalidInputError(
                    f"outcome.reoperations[{index}].side", "is not a hip this operation treated"
                )
            if reoperation.reoperation_date <= surgery:
                raise InvalidInputError(
                    f"outcome.reoperations[{index}].reoperation_date",
                    "is not after the surgery date",
                )
        object.__setattr__(
            self, "reoperations", tuple(sorted(reoperations, key=lambda r: r.reoperation_date))
        )
        removal = _optional_date(self.plate_removal_date, "outcome.plate_removal_date")
        if removal is not None and removal <= surgery:
            raise InvalidInputError("outcome.plate_removal_date", "is not after the surgery date")

    @property
    def procedure_group(self) -> ProcedureGroup:
        return ProcedureGroup.of(self.procedures)

    @property
    def length_of_stay_days(self) -> int | None:
        """Nights in hospital: discharge minus admission date, in days (None if not recorded)."""
        if self.admission_date is None or self.discharge_date is None:
            return None
        return (self.discharge_date - self.admission_date).days

    def readmitted_within(self, window_days: int) -> bool | None:
        """A readmission within ``window_days`` of discharge (None: discharge not recorded)."""
        if self.discharge_date is None:
            return None
        return any(
            (readmission - self.discharge_date).days <= window_days
            for readmission in self.readmission_dates
        )

    @property
    def worst_complication(self) -> ComplicationGrade | None:
        order = list(ComplicationGrade)
        grades = [complication.grade for complication in self.complications]
        return max(grades, key=order.index) if grades else None

    def first_reoperation(self, side: Side) -> date | None:
        return next((r.reoperation_date for r in self.reoperations if r.side is side), None)


@dataclass(frozen=True)
class HipOutcome:
    """One operated hip: MP before surgery and near 1 and 2 years, and its failure or censoring.

    ``failed`` True: the hip failed (MP above the failure threshold, or re-operated) after
    ``follow_up_days``; False: not failed when last seen ``follow_up_days`` after surgery.
    ``follow_up_days`` None: no film or re-operation after surgery yet (not in survival).
    """

    operation_id: int
    side: Side
    procedure_group: ProcedureGroup
    migration_percentage_before: float | None
    migration_percentage_at_1_year: float | None
    migration_percentage_at_2_years: float | None
    failed: bool
    follow_up_days: int | None
    failure_reason: str | None


def _nearest_film(films: Sequence[HipFilm], target: date, window_days: int) -> HipFilm | None:
    near = [film for film in films if abs((film.film_date - target).days) <= window_days]
    if not near:
        return None
    return min(near, key=lambda film: (abs((film.film_date - target).days), film.film_date))


def hip_outcomes(
    operation: OperationOutcome, child: OutcomeChild, thresholds: OutcomeThresholds
) -> tuple[HipOutcome, ...]:
    """Each operated hip's MP before and after, and whether (and when) it failed.

    Before: the last film on or before the surgery date. At 1 and 2 years: the film nearest
    the anniversary (365 and 730 days) within ``follow_up_film_window_days`` and after the
    surgery. Failure (clinical spec §4): the first film after surgery with MP above
    ``hip_failure_migration_percentage``, or the first re-operation on the hip, whichever is
    earlier; otherwise the hip is censored at its last film after surgery.
    """
    if operation.child_id != child.child_id:
        raise InvalidInputError("outcome.child_id", "is not this child's operation")
    surgery = operation.surgery_date
    window = thresholds.follow_up_film_window_days
    outcomes = []
    for side in operation.sides:
        films = child.films_of(side)
        split = bisect.bisect_right([film.film_date for film in films], surgery)
        before, after = films[:split], films[split:]
        at_1 = _nearest_film(after, surgery + timedelta(days=365), window)
        at_2 = _nearest_film(after, surgery + timedelta(days=730), window)
        events: list[tuple[date, str]] = []
        high = next(
            (
                film
                for film in after
                if film.migration_percentage > thresholds.hip_failure_migration_percentage
            ),
            None,
        )
        if high is not None:
            events.append((high.film_date, "migration-percentage"))
        reoperated = operation.first_reoperation(side)
        if reoperated is not None:
            events.append((reoperated, "reoperation"))
        if events:
            event_date, reason = min(events)
            follow_up: int | None = (event_date - surgery).days
            failed = True
        else:
            reason = None
            failed = False
            follow_up = (after[-1].film_date - surgery).days if after else None
        outcomes.append(
            HipOutcome(
                operation_id=operation.operation_id,
                side=side,
                procedure_group=operation.procedure_group,
                migration_percentage_before=before[-1].migration_percentage if before else None,
                migration_percentage_at_1_year=None if at_1 is None else at_1.migration_percentage,
                migration_percentage_at_2_years=(
                    None if at_2 is None else at_2.migration_percentage
                ),
                failed=failed,
                follow_up_days=follow_up,
                failure_reason=reason,
            )
        )
    return tuple(outcomes)


@dataclass(frozen=True)
class HipSurvivalRecord:
    """One hip for a Kaplan-Meier estimate: time in years since surgery, and failed or censored."""

    procedure_group: ProcedureGroup
    years: float
    failed: bool


def hip_survival_records(hips: Iterable[HipOutcome]) -> tuple[HipSurvivalRecord, ...]:
    """The hips with any follow-up, as (group, years, failed) for survival analysis."""
    return tuple(
        HipSurvivalRecord(hip.procedure_group, hip.follow_up_days / _DAYS_PER_YEAR, hip.failed)
        for hip in hips
        if hip.follow_up_days is not None and hip.follow_up_days > 0
    )
