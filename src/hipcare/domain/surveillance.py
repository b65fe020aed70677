"""Hip surveillance for children with cerebral palsy: guideline rules -> next review and actions.

The rules are data (``hipcare/content/surveillance.toml``, each with its source, section and
status); this module only knows what each *kind* of rule means. Sources: Australian Hip
Surveillance Guidelines for Children with Cerebral Palsy (Wynter et al., AusACPDM 2014) and
the AACPDM Care Pathway: Hip Surveillance in Cerebral Palsy (2017); see
``docs/clinical/surveillance.md`` for what was verified and what is local protocol.

Pure: standard library only; ``today`` is always handed in.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import Enum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS

__all__ = [
    "Action",
    "ActionCode",
    "AgeReference",
    "Citation",
    "HipPair",
    "ReviewKind",
    "RuleKind",
    "RuleStatus",
    "ScheduledReview",
    "SideJudgement",
    "Stability",
    "SurveillanceInput",
    "SurveillancePlan",
    "SurveillanceRule",
    "SurveillanceRules",
    "Visit",
    "WorklistStatus",
    "add_months",
    "months_between",
    "plan_surveillance",
    "worklist_status",
]

LOCAL_PROTOCOL_FLAG = "Local protocol: to be confirmed by the clinical lead."


# --- calendar arithmetic ------------------------------------------------------------------


def add_months(start: date, months: int) -> date:
    """``start`` moved by whole calendar ``months``; a day past the month's end is clamped.

    31 January + 1 month = 28 (or 29) February; 29 February + 12 months = 28 February.
    """
    index = start.year * 12 + (start.month - 1) + months
    year, month_index = divmod(index, 12)
    if not 1 <= year <= 9999:
        raise InvalidInputError("date", f"{start.isoformat()} + {months} months is out of range")
    month = month_index + 1
    next_month_first = date(year + 1, 1, 1) if month == 12 else date(year, month + 1, 1)
    last_day = (next_month_first - timedelta(days=1)).day
    return date(year, month, min(start.day, last_day))


def months_between(start: date, end: date) -> int:
    """Whole months from ``start`` to ``end``: the largest n with add_months(start, n) <= end.

    Negative when ``end`` is before ``start`` (then the largest n, n <= 0, with that property).
    """
    # add_months(start, guess) lands in end's month; one month more is always past ``end``,
    # so the only correction needed is one step back when the day of the month is not reached.
    guess = (end.year - start.year) * 12 + (end.month - start.month)
    if add_months(start, guess) > end:
        guess -= 1
    return guess


# --- rules as data --------------------------------------------------------------------------


class RuleStatus(Enum):
    """Whether a rule was read in a published guideline or is this service's local protocol."""

    GUIDELINE = "guideline"
    LOCAL_PROTOCOL = "local-protocol"


class RuleKind(Enum):
    """What a surveillance rule does; the meaning of each is in ``surveillance.toml``."""

    INITIAL_REVIEW = "initial-review"
    FIRST_FOLLOW_UP = "first-follow-up"
    INTERVAL_WHILE_UNSETTLED = "interval-while-unsettled"
    INTERVAL_WHILE_STABLE = "interval-while-stable"
    AGE_REVIEW = "age-review"
    DISCHARGE = "discharge"
    REFER_THRESHOLD = "refer-threshold"
    SURGERY_THRESHOLD = "surgery-threshold"
    ABNORMAL_THRESHOLD = "abnormal-threshold"
    INSTABILITY = "instability"
    CORRECTION = "correction"
    AGE_LIMIT = "age-limit"
    SKELETAL_MATURITY = "skeletal-maturity"
    WGH_TYPE_IV = "wgh-type-iv"


# Parameters each kind needs (all others must be absent); validated when a rule is built.
_PARAMETERS: dict[RuleKind, frozenset[str]] = {
    RuleKind.INITIAL_REVIEW: frozenset(
        {"gmfcs", "window_from_age_months", "window_to_age_months", "xray"}
    ),
    RuleKind.FIRST_FOLLOW_UP: frozenset({"gmfcs", "interval_months", "xray"}),
    RuleKind.INTERVAL_WHILE_UNSETTLED: frozenset({"gmfcs", "interval_months", "xray"}),
    RuleKind.INTERVAL_WHILE_STABLE: frozenset({"gmfcs", "interval_months", "xray"}),
    RuleKind.AGE_REVIEW: frozenset(
        {"gmfcs", "window_from_age_months", "window_to_age_months", "xray"}
    ),
    RuleKind.DISCHARGE: frozenset({"gmfcs", "after_review"}),
    RuleKind.REFER_THRESHOLD: frozenset({"threshold_percent"}),
    RuleKind.SURGERY_THRESHOLD: frozenset({"threshold_percent"}),
    RuleKind.ABNORMAL_THRESHOLD: frozenset({"threshold_percent"}),
    RuleKind.INSTABILITY: frozenset({"rise_percent", "over_months"}),
    RuleKind.CORRECTION: frozenset(
        {"born_before_weeks", "term_weeks", "until_chronological_age_months"}
    ),
    RuleKind.AGE_LIMIT: frozenset({"limit_age_months"}),
    RuleKind.SKELETAL_MATURITY: frozenset(),
    RuleKind.WGH_TYPE_IV: frozenset(),
}
_OPTIONAL: dict[RuleKind, frozenset[str]] = {
    RuleKind.INTERVAL_WHILE_STABLE: frozenset({"from_age_months", "to_age_months"}),
    RuleKind.DISCHARGE: frozenset({"requires_stable"}),
}
_SINGLETON_KINDS = (
    RuleKind.INITIAL_REVIEW,
    RuleKind.REFER_THRESHOLD,
    RuleKind.SURGERY_THRESHOLD,
    RuleKind.ABNORMAL_THRESHOLD,
    RuleKind.INSTABILITY,
    RuleKind.CORRECTION,
    RuleKind.AGE_LIMIT,
    RuleKind.SKELETAL_MATURITY,
    RuleKind.WGH_TYPE_IV,
)


@dataclass(frozen=True)
class Citation:
    """Where a rule comes from: the guideline (with version/year), its section, and status.

    A local-protocol rule carries a ``note`` saying what the clinical lead has to confirm.
    """

    source: str
    section: str
    status: RuleStatus
    note: str | None = None

    def __post_init__(self) -> None:
        if not self.source.strip():
            raise InvalidInputError("source", "is empty; name the guideline and its year")
        if not self.section.strip():
            raise InvalidInputError("section", "is empty; name the part of the guideline")
        if self.status is RuleStatus.LOCAL_PROTOCOL and not (self.note and self.note.strip()):
            raise InvalidInputError(
                "note", "a local-protocol rule needs a note saying what the clinical lead confirms"
            )


@dataclass(frozen=True)
class SurveillanceRule:
    """One rule of the surveillance guideline; which parameters it has depends on ``kind``."""

    id: str
    kind: RuleKind
    citation: Citation
    gmfcs: frozenset[GMFCS] | None = None
    window_from_age_months: int | None = None
    window_to_age_months: int | None = None
    interval_months: int | None = None
    xray: bool | None = None
    from_age_months: int | None = None
    to_age_months: int | None = None
    after_review: str | None = None
    requires_stable: bool | None = None
    threshold_percent: float | None = None
    rise_percent: float | None = None
    over_months: int | None = None
    born_before_weeks: float | None = None
    term_weeks: float | None = None
    until_chronological_age_months: int | None = None
    limit_age_months: int | None = None

    def __post_init__(self) -> None:
        if not self.id.strip():
            raise InvalidInputError("id", "is empty; every rule needs an id")
        needed = _PARAMETERS[self.kind]
        allowed = needed | _OPTIONAL.get(self.kind, frozenset())
        for name in _ALL_PARAMETERS:
            value = getattr(self, name)
            if name in needed and value is None:
                raise InvalidInputError(
                    f"{self.id}.{name}", f"is missing; a rule of kind {self.kind.value} needs it"
                )
            if name not in allowed and value is not None:
                raise InvalidInputError(
                    f"{self.id}.{name}", f"does not belong in a rule of kind {self.kind.value}"
                )
            if isinstance(value, float) and not math.isfinite(value):
                raise InvalidInputError(f"{self.id}.{name}", "must be a finite number")
            if isinstance(value, int | float) and not isinstance(value, bool) and value < 0:
                raise InvalidInputError(f"{self.id}.{name}", "must not be negative")
        if self.gmfcs is not None and not self.gmfcs:
            raise InvalidInputError(f"{self.id}.gmfcs", "is empty; list the levels it is for")
        if self.interval_months is not None and self.interval_months < 1:
            raise InvalidInputError(f"{self.id}.interval_months", "must be at least 1")
        if (
            self.window_from_age_months is not None
            and self.window_to_age_months is not None
            and self.window_to_age_months < self.window_from_age_months
        ):
            raise InvalidInputError(
                f"{self.id}.window_to_age_months", "ends before window_from_age_months"
            )
        if (
            self.from_age_months is not None
            and self.to_age_months is not None
            and self.to_age_months <= self.from_age_months
        ):
            raise InvalidInputError(f"{self.id}.to_age_months", "must be after from_age_months")

    @property
    def is_local_protocol(self) -> bool:
        return self.citation.status is RuleStatus.LOCAL_PROTOCOL

    def applies_to(self, level: GMFCS) -> bool:
        return self.gmfcs is not None and level in self.gmfcs


_ALL_PARAMETERS = (
    "gmfcs",
    "window_from_age_months",
    "window_to_age_months",
    "interval_months",
    "xray",
    "from_age_months",
    "to_age_months",
    "after_review",
    "requires_stable",
    "threshold_percent",
    "rise_percent",
    "over_months",
    "born_before_weeks",
    "term_weeks",
    "until_chronological_age_months",
    "limit_age_months",
)


@dataclass(frozen=True)
class SurveillanceRules:
    """The whole rule set: unique ids, one rule of each singleton kind, valid references."""

    rules: tuple[SurveillanceRule, ...]

    def __post_init__(self) -> None:
        seen: set[str] = set()
        for rule in self.rules:
            if rule.id in seen:
                raise InvalidInputError(f"{rule.id}", "this rule id is used twice")
            seen.add(rule.id)
        for kind in _SINGLETON_KINDS:
            count = sum(1 for rule in self.rules if rule.kind is kind)
            if count != 1:
                raise InvalidInputError(
                    "rules", f"need exactly one {kind.value} rule, found {count}"
                )
        for rule in self.of_kind(RuleKind.DISCHARGE):
            target = self.by_id(rule.after_review or "")
            if target is None or target.kind is not RuleKind.AGE_REVIEW:
                raise InvalidInputError(
                    f"{rule.id}.after_review", f"{rule.after_review!r} is not an age-review rule"
                )

    def by_id(self, rule_id: str) -> SurveillanceRule | None:
        return next((rule for rule in self.rules if rule.id == rule_id), None)

    def of_kind(self, kind: RuleKind, level: GMFCS | None = None) -> tuple[SurveillanceRule, ...]:
        """Rules of ``kind`` (for ``level`` when given), in file order."""
        return tuple(
            rule
            for rule in self.rules
            if rule.kind is kind and (level is None or rule.applies_to(level))
        )

    def single(self, kind: RuleKind) -> SurveillanceRule:
        return self.of_kind(kind)[0]


# --- the child and their visits ---------------------------------------------------------------


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
    an X-ray; either hip may be left out.
    """

    date: date
    xray: bool
    migration_percentage: HipPair | None = None
    head_shaft_angle_deg: HipPair | None = None

    def __post_init__(self) -> None:
        if not isinstance(self.xray, bool):
            raise InvalidInputError("xray", "must be true or false")
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


@dataclass(frozen=True)
class SurveillanceInput:
    """What hip surveillance needs to know about one child, as of ``today``.

    ``gmfcs`` None means the level is not known. ``gestation_weeks`` (optional) gives the
    corrected age for a child born preterm. ``skeletal_maturity_reached`` and
    ``winters_gage_hicks_type_iv`` take the child outside the shipped rules.
    """

    date_of_birth: date
    gmfcs: GMFCS | None
    today: date
    visits: tuple[Visit, ...] = ()
    gestation_weeks: float | None = None
    skeletal_maturity_reached: bool = False
    winters_gage_hicks_type_iv: bool = False

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


# --- ages -------------------------------------------------------------------------------------


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


# --- the plan ---------------------------------------------------------------------------------


class ActionCode(Enum):
    """What the plan asks a clinician to do or know."""

    SCHEDULE_REVIEW = "schedule-review"
    INITIAL_REVIEW_OVERDUE = "initial-review-overdue"
    REVIEW_OVERDUE = "review-overdue"
    CONFIRM_GMFCS = "confirm-gmfcs-level"
    MIGRATION_UNSTABLE = "migration-unstable"
    REFER_ORTHOPAEDIC = "refer-for-orthopaedic-review"
    SURGERY_USUALLY_CONSIDERED = "surgery-usually-considered"
    DISCHARGE = "discharge-from-surveillance"
    OUTSIDE_GUIDELINE = "outside-guideline"


@dataclass(frozen=True)
class Action:
    """One action in plain clinician text, tied to the rule that produced it (None: no rule)."""

    code: ActionCode
    text: str
    rule_id: str | None


class ReviewKind(Enum):
    INITIAL = "initial"
    INTERVAL = "interval"
    AGE = "age"


@dataclass(frozen=True)
class ScheduledReview:
    """The next review: due from ``due_from``, overdue after ``due_by``; with or without X-ray."""

    rule_id: str
    kind: ReviewKind
    due_from: date
    due_by: date
    xray: bool

    def is_overdue(self, today: date) -> bool:
        return today > self.due_by

    def date_on(self, today: date) -> date:
        """The date to show on ``today``: never before today unless the review is overdue."""
        if self.is_overdue(today):
            return self.due_by
        return max(self.due_from, today)


class Stability(Enum):
    STABLE = "stable"
    UNSTABLE = "unstable"
    NOT_ENOUGH_FILMS = "not-enough-films"


@dataclass(frozen=True)
class SideJudgement:
    """One hip's latest migration percentage, whether it is stable, and its latest HSA.

    Migration percentage and head-shaft angle are the core measurement set for CP hip films
    [Bone Joint Open 2023, doi 10.1302/2633-1462.411.BJO-2023-0060.R1].
    """

    side: str
    latest_percent: float | None
    latest_date: date | None
    stability: Stability
    rise_percent: float | None = None
    compared_with: date | None = None
    abnormal: bool = False
    head_shaft_angle_deg: float | None = None


@dataclass(frozen=True)
class SurveillancePlan:
    """The answer for one child on ``today``: next review (or none), actions, rules used."""

    today: date
    review: ScheduledReview | None
    actions: tuple[Action, ...]
    rule_ids: tuple[str, ...]
    age_months: int
    corrected_age_months: int | None
    judgements: tuple[SideJudgement, ...]
    discharged: bool = False
    outside_guideline: bool = False
    notes: tuple[str, ...] = field(default=())

    @property
    def next_review(self) -> date | None:
        return None if self.review is None else self.review.date_on(self.today)

    @property
    def overdue(self) -> bool:
        return self.review is not None and self.review.is_overdue(self.today)

    @property
    def needs_referral(self) -> bool:
        return any(action.code is ActionCode.REFER_ORTHOPAEDIC for action in self.actions)


class WorklistStatus(Enum):
    """Where a child sits on a surveillance worklist on a given day."""

    NEEDS_REFERRAL = "needs referral"
    OVERDUE = "overdue"
    DUE = "due"
    NOT_YET_DUE = "not yet due"
    DISCHARGED = "discharged"
    OUTSIDE_GUIDELINE = "outside guideline"


def worklist_status(plan: SurveillancePlan, today: date) -> WorklistStatus:
    """The child's worklist status on ``today`` (which may be later than ``plan.today``).

    A referral outranks everything (the latest film crossed the referral threshold); then
    an overdue review, a review due now, one not yet due; a discharged child or one outside
    every rule is reported as such.
    """
    if plan.needs_referral:
        return WorklistStatus.NEEDS_REFERRAL
    if plan.review is None:
        return WorklistStatus.DISCHARGED if plan.discharged else WorklistStatus.OUTSIDE_GUIDELINE
    if plan.review.is_overdue(today):
        return WorklistStatus.OVERDUE
    if today >= plan.review.due_from:
        return WorklistStatus.DUE
    return WorklistStatus.NOT_YET_DUE


# --- the engine -------------------------------------------------------------------------------


def _format_percent(value: float) -> str:
    return f"{value:g}%"


@dataclass
class _Builder:
    """Collects actions and the rules they came from, in order, without duplicates."""

    actions: list[Action] = field(default_factory=list)
    rule_ids: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def use(self, rule: SurveillanceRule) -> None:
        if rule.id not in self.rule_ids:
            self.rule_ids.append(rule.id)

    def act(self, code: ActionCode, text: str, rule: SurveillanceRule | None) -> None:
        if rule is not None:
            self.use(rule)
            if rule.is_local_protocol:
                text = f"{text} ({LOCAL_PROTOCOL_FLAG})"
        self.actions.append(Action(code, text, None if rule is None else rule.id))


def _judge_side(
    side: str, films: Sequence[Visit], abnormal: SurveillanceRule, instability: SurveillanceRule
) -> SideJudgement:
    measured = [
        (visit.date, value) for visit in films if (value := visit.migration(side)) is not None
    ]
    angles = [value for visit in films if (value := visit.head_shaft_angle(side)) is not None]
    angle = angles[-1] if angles else None
    if not measured:
        return SideJudgement(
            side, None, None, Stability.NOT_ENOUGH_FILMS, head_shaft_angle_deg=angle
        )
    latest_date, latest = measured[-1]
    is_abnormal = latest >= (abnormal.threshold_percent or 0)
    earlier = measured[:-1]
    if not earlier:
        return SideJudgement(
            side,
            latest,
            latest_date,
            Stability.NOT_ENOUGH_FILMS,
            abnormal=is_abnormal,
            head_shaft_angle_deg=angle,
        )
    over_months = instability.over_months or 12
    window_start = add_months(latest_date, -over_months)
    recent = [(day, value) for day, value in earlier if day >= window_start]
    if recent:
        compared_date, compared = min(recent, key=lambda item: (item[1], item[0]))
        rise = latest - compared
    else:
        # Only films older than the window: scale the rise to the window so a slow drift over
        # years is not read as instability.
        compared_date, compared = earlier[-1]
        span_days = (latest_date - compared_date).days
        window_days = (add_months(compared_date, over_months) - compared_date).days
        rise = (latest - compared) * window_days / span_days
    unstable = rise >= (instability.rise_percent or 0)
    return SideJudgement(
        side,
        latest,
        latest_date,
        Stability.UNSTABLE if unstable else Stability.STABLE,
        rise_percent=round(rise, 1),
        compared_with=compared_date,
        abnormal=is_abnormal,
        head_shaft_angle_deg=angle,
    )


def _review_text(review: ScheduledReview, label: str) -> str:
    what = (
        "clinical assessment and AP pelvis X-ray"
        if review.xray
        else "clinical assessment (no X-ray needed)"
    )
    if review.due_from == review.due_by:
        when = f"due {review.due_from.isoformat()}"
    else:
        when = f"due from {review.due_from.isoformat()} to {review.due_by.isoformat()}"
    return f"{label}: {what}, {when}."


@dataclass(frozen=True)
class _Context:
    """Facts about the child computed once and copied into the plan."""

    today: date
    age_months: int
    corrected_age_months: int | None
    judgements: tuple[SideJudgement, ...]


def _finish(
    builder: _Builder,
    review: ScheduledReview | None,
    context: _Context,
    *,
    discharged: bool = False,
    outside: bool = False,
) -> SurveillancePlan:
    return SurveillancePlan(
        today=context.today,
        review=review,
        actions=tuple(builder.actions),
        rule_ids=tuple(builder.rule_ids),
        age_months=context.age_months,
        corrected_age_months=context.corrected_age_months,
        judgements=context.judgements,
        discharged=discharged,
        outside_guideline=outside,
        notes=tuple(builder.notes),
    )


def _outside(
    builder: _Builder, why: str, rule: SurveillanceRule | None, context: _Context
) -> SurveillancePlan:
    builder.act(ActionCode.OUTSIDE_GUIDELINE, why, rule)
    return _finish(builder, None, context, outside=True)


def _threshold_actions(
    builder: _Builder, judgements: Iterable[SideJudgement], rules: SurveillanceRules
) -> None:
    refer = rules.single(RuleKind.REFER_THRESHOLD)
    surgery = rules.single(RuleKind.SURGERY_THRESHOLD)
    instability = rules.single(RuleKind.INSTABILITY)
    judged = [j for j in judgements if j.latest_percent is not None]
    refer_sides = [j for j in judged if (j.latest_percent or 0) >= (refer.threshold_percent or 0)]
    surgery_sides = [
        j for j in judged if (j.latest_percent or 0) > (surgery.threshold_percent or 0)
    ]
    unstable_sides = [j for j in judged if j.stability is Stability.UNSTABLE]

    def listing(sides: Sequence[SideJudgement]) -> str:
        return ", ".join(
            f"{j.side} {_format_percent(j.latest_percent or 0)} "
            f"(film {j.latest_date.isoformat() if j.latest_date else '?'})"
            for j in sides
        )

    if unstable_sides:
        rises = ", ".join(
            f"{j.side} up {j.rise_percent:g} points since "
            f"{j.compared_with.isoformat() if j.compared_with else '?'}"
            for j in unstable_sides
        )
        builder.act(
            ActionCode.MIGRATION_UNSTABLE,
            f"Migration percentage is unstable ({rises}); the rule is a rise of "
            f"{instability.rise_percent:g} points or more in {instability.over_months} months.",
            instability,
        )
    if refer_sides:
        builder.act(
            ActionCode.REFER_ORTHOPAEDIC,
            f"Refer for orthopaedic review: latest migration percentage {listing(refer_sides)} "
            f"is at or above {_format_percent(refer.threshold_percent or 0)}.",
            refer,
        )
    if surgery_sides:
        builder.act(
            ActionCode.SURGERY_USUALLY_CONSIDERED,
            f"Migration percentage {listing(surgery_sides)} is over "
            f"{_format_percent(surgery.threshold_percent or 0)}: surgery (such as a VDRO) is "
            "usually considered; the decision is the orthopaedic surgeon's.",
            surgery,
        )


def _schedule(
    builder: _Builder,
    review: ScheduledReview,
    rule: SurveillanceRule,
    today: date,
    label: str,
) -> None:
    builder.use(rule)
    if review.is_overdue(today):
        code = (
            ActionCode.INITIAL_REVIEW_OVERDUE
            if review.kind is ReviewKind.INITIAL
            else ActionCode.REVIEW_OVERDUE
        )
        builder.act(code, _review_text(review, f"{label} is overdue, book it now"), rule)
    else:
        builder.act(ActionCode.SCHEDULE_REVIEW, _review_text(review, label), rule)


def plan_surveillance(child: SurveillanceInput, rules: SurveillanceRules) -> SurveillancePlan:
    """The next hip surveillance review for ``child`` and what to do, by the shipped rules.

    Steps, each tied to the rule that produced it (``surveillance.toml``):
    outside every rule (age limit, skeletal maturity, WGH type IV hemiplegia) -> say so;
    no X-ray yet -> the initial review (12-24 months of corrected age, or now if older);
    unknown GMFCS after the initial review -> say so; discharge when the level's discharge
    rule is met; else the level's first follow-up, its interval while the MP is not stable,
    its interval while stable (within the rule's ages), or its next age review.
    Referral and "surgery usually considered" come from the latest MP of either hip.
    """
    builder = _Builder()
    today = child.today
    ages = AgeReference.for_child(child, rules.single(RuleKind.CORRECTION))
    visits = tuple(sorted(child.visits, key=lambda visit: visit.date))
    films = tuple(visit for visit in visits if visit.xray)
    abnormal = rules.single(RuleKind.ABNORMAL_THRESHOLD)
    instability = rules.single(RuleKind.INSTABILITY)
    judgements = tuple(
        _judge_side(side, films, abnormal, instability) for side in ("right", "left")
    )
    context = _Context(
        today=today,
        age_months=months_between(child.date_of_birth, today),
        corrected_age_months=ages.age_months(today) if ages.uses_correction_on(today) else None,
        judgements=judgements,
    )
    if ages.corrected:
        correction = rules.single(RuleKind.CORRECTION)
        builder.use(correction)
        note = (
            f"Born at {child.gestation_weeks:g} weeks: ages before "
            f"{ages.correction_ends.isoformat()} are corrected by {ages.correction_days} days."
        )
        if correction.is_local_protocol:
            note = f"{note} ({LOCAL_PROTOCOL_FLAG})"
        builder.notes.append(note)
    _threshold_actions(builder, judgements, rules)

    age_limit = rules.single(RuleKind.AGE_LIMIT)
    limit_date = add_months(child.date_of_birth, age_limit.limit_age_months or 0)
    if today >= limit_date:
        return _outside(
            builder,
            f"Outside the surveillance rules: the child is {context.age_months // 12} years old "
            f"and the rules cover children up to {(age_limit.limit_age_months or 0) // 12 - 1} "
            "years; follow-up is a clinical decision.",
            age_limit,
            context,
        )
    if child.skeletal_maturity_reached:
        return _outside(
            builder,
            "Outside the surveillance rules: skeletal maturity has been reached. Follow-up is a "
            "clinical decision (some hips still progress after triradiate cartilage closure).",
            rules.single(RuleKind.SKELETAL_MATURITY),
            context,
        )
    if child.winters_gage_hicks_type_iv:
        return _outside(
            builder,
            "Outside the shipped rules: Winters-Gage-Hicks type IV hemiplegia has its own "
            "surveillance pathway, which hipcare does not hold; plan reviews by that pathway.",
            rules.single(RuleKind.WGH_TYPE_IV),
            context,
        )

    initial = rules.single(RuleKind.INITIAL_REVIEW)
    if not films:
        review = ScheduledReview(
            rule_id=initial.id,
            kind=ReviewKind.INITIAL,
            due_from=ages.date_at_age(initial.window_from_age_months or 0),
            due_by=ages.date_at_age(initial.window_to_age_months or 0),
            xray=bool(initial.xray),
        )
        _schedule(builder, review, initial, today, "Initial hip surveillance review")
        if child.gmfcs is None:
            builder.act(
                ActionCode.CONFIRM_GMFCS,
                "GMFCS level is not recorded: classify it at this review; every later review "
                "depends on it.",
                initial,
            )
        return _finish(builder, review, context)

    level = child.gmfcs
    if level is None:
        return _outside(
            builder,
            "Outside the rules: the GMFCS level is not recorded, and after the initial review "
            "the schedule depends on it. Record the level to get the next review date.",
            None,
            context,
        )

    last_visit = visits[-1]
    first_film = films[0]
    stable = all(j.stability is Stability.STABLE and not j.abnormal for j in judgements)

    def review_done(rule: SurveillanceRule) -> bool:
        start = ages.date_at_age(rule.window_from_age_months or 0)
        return any(visit.date >= start and (visit.xray or not rule.xray) for visit in visits)

    for discharge in rules.of_kind(RuleKind.DISCHARGE, level):
        milestone = rules.by_id(discharge.after_review or "")
        if milestone is None or not review_done(milestone):
            continue
        if discharge.requires_stable:
            builder.use(abnormal)
            builder.use(instability)
            if not stable:
                continue
        if any(action.code is ActionCode.REFER_ORTHOPAEDIC for action in builder.actions):
            # A hip at or over the referral threshold is the orthopaedic team's to follow.
            continue
        builder.use(milestone)
        builder.act(
            ActionCode.DISCHARGE,
            f"Discharge from hip surveillance (GMFCS {level.value}): the review at "
            f"{_age_words(milestone)} is done"
            + (" and the migration percentage is stable" if discharge.requires_stable else "")
            + "; confirm the GMFCS level and that there are no other significant signs.",
            discharge,
        )
        return _finish(builder, None, context, discharged=True)

    def interval_review(rule: SurveillanceRule, after: date, label: str) -> SurveillancePlan:
        due = add_months(after, rule.interval_months or 0)
        review = ScheduledReview(rule.id, ReviewKind.INTERVAL, due, due, bool(rule.xray))
        _schedule(builder, review, rule, today, label)
        return _finish(builder, review, context)

    follow_ups = rules.of_kind(RuleKind.FIRST_FOLLOW_UP, level)
    if follow_ups and all(visit.date <= first_film.date for visit in visits):
        rule = follow_ups[0]
        return interval_review(
            rule, first_film.date, f"Follow-up review {rule.interval_months} months after the first"
        )

    unsettled = rules.of_kind(RuleKind.INTERVAL_WHILE_UNSETTLED, level)
    if unsettled:
        builder.use(abnormal)
        builder.use(instability)
        if not stable:
            rule = unsettled[0]
            return interval_review(
                rule,
                last_visit.date,
                f"Review every {rule.interval_months} months while the migration percentage "
                "is not shown stable",
            )

    for rule in rules.of_kind(RuleKind.INTERVAL_WHILE_STABLE, level):
        starts = (
            ages.date_at_age(rule.from_age_months) if rule.from_age_months is not None else None
        )
        ends = ages.date_at_age(rule.to_age_months) if rule.to_age_months is not None else None
        if (starts is None or last_visit.date >= starts) and (
            ends is None or last_visit.date < ends
        ):
            builder.use(abnormal)
            builder.use(instability)
            return interval_review(
                rule,
                last_visit.date,
                f"Review every {rule.interval_months} months while the migration percentage "
                "is stable",
            )

    for rule in sorted(
        rules.of_kind(RuleKind.AGE_REVIEW, level),
        key=lambda item: item.window_from_age_months or 0,
    ):
        if review_done(rule):
            continue
        review = ScheduledReview(
            rule_id=rule.id,
            kind=ReviewKind.AGE,
            due_from=ages.date_at_age(rule.window_from_age_months or 0),
            due_by=ages.date_at_age(rule.window_to_age_months or 0),
            xray=bool(rule.xray),
        )
        _schedule(builder, review, rule, today, f"Review at {_age_words(rule)}")
        return _finish(builder, review, context)

    referral = (
        " A referral is due: the orthopaedic team sets the follow-up."
        if any(action.code is ActionCode.REFER_ORTHOPAEDIC for action in builder.actions)
        else ""
    )
    return _outside(
        builder,
        f"Outside the shipped rules: none says when to review a GMFCS {level.value} child "
        f"after the reviews already done; the clinical lead decides.{referral}",
        None,
        context,
    )


def _age_words(rule: SurveillanceRule) -> str:
    start = rule.window_from_age_months or 0
    end = rule.window_to_age_months or 0

    def words(months: int) -> str:
        return f"{months // 12} years" if months % 12 == 0 else f"{months} months"

    if start == end:
        return f"{words(start)} of age"
    if start % 12 == 0 and end % 12 == 0:
        return f"{start // 12}-{end // 12} years of age"
    return f"{start}-{end} months of age"
