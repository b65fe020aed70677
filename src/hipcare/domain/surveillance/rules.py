"""Surveillance rules as values: each rule a kind, its parameters and its citation.

The rules themselves are data (``hipcare/content/surveillance.toml``); this module only knows
which parameters each *kind* of rule takes and refuses a rule set that is incomplete.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from enum import Enum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS

__all__ = [
    "LOCAL_PROTOCOL_FLAG",
    "Citation",
    "RuleKind",
    "RuleStatus",
    "SurveillanceRule",
    "SurveillanceRules",
]

LOCAL_PROTOCOL_FLAG = "Local protocol: to be confirmed by the clinical lead."


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
    CHANGE_ERROR = "change-error"
    ACCELERATION = "acceleration"
    INTERVAL_WHILE_RISING = "interval-while-rising"
    DEFAULT_REVIEW = "default-review"
    INTERVAL_AFTER_SURGERY = "interval-after-surgery"
    POST_OPERATIVE_FAILURE = "post-operative-failure"
    CONTINUE_AFTER_MATURITY = "continue-after-maturity"
    EXAMINATION_REFERRAL = "examination-referral"


# Parameters each kind needs (all others must be absent); validated when a rule is built.
_PARAMETERS: dict[RuleKind, frozenset[str]] = {
    RuleKind.INITIAL_REVIEW: frozenset(
        {"gmfcs", "window_from_age_months", "window_to_age_months", "xray"}
    ),
    RuleKind.FIRST_FOLLOW_UP: frozenset({"gmfcs", "interval_months", "xray"}),
    RuleKind.INTERVAL_WHILE_UNSETTLED: frozenset({"gmfcs", "interval_months", "xray"}),
    RuleKind.INTERVAL_WHILE_STABLE: frozenset({"gmfcs", "interval_months", "xray"}),
    RuleKind.AGE_REVIEW: frozenset(
        {"gmfcs", "window_from_age_months", "window_before_age_months", "xray"}
    ),
    RuleKind.DISCHARGE: frozenset({"gmfcs", "after_review"}),
    RuleKind.REFER_THRESHOLD: frozenset({"threshold_percent"}),
    RuleKind.SURGERY_THRESHOLD: frozenset({"threshold_percent"}),
    RuleKind.ABNORMAL_THRESHOLD: frozenset({"threshold_percent"}),
    RuleKind.INSTABILITY: frozenset(
        {"rise_percent", "over_months", "pair_from_months", "pair_to_months"}
    ),
    RuleKind.CORRECTION: frozenset(
        {"born_before_weeks", "term_weeks", "until_chronological_age_months"}
    ),
    RuleKind.AGE_LIMIT: frozenset({"limit_age_months"}),
    RuleKind.SKELETAL_MATURITY: frozenset(),
    RuleKind.WGH_TYPE_IV: frozenset(),
    RuleKind.CHANGE_ERROR: frozenset({"change_error_points"}),
    RuleKind.ACCELERATION: frozenset({"above_percent", "min_interval_months"}),
    RuleKind.INTERVAL_WHILE_RISING: frozenset({"interval_months", "xray"}),
    RuleKind.DEFAULT_REVIEW: frozenset({"interval_months", "xray"}),
    RuleKind.INTERVAL_AFTER_SURGERY: frozenset(
        {"interval_months", "xray", "films_from_weeks_after"}
    ),
    RuleKind.POST_OPERATIVE_FAILURE: frozenset({"threshold_percent"}),
    RuleKind.CONTINUE_AFTER_MATURITY: frozenset({"threshold_percent", "pelvic_obliquity_over_deg"}),
    RuleKind.EXAMINATION_REFERRAL: frozenset({"abduction_below_deg"}),
}
_OPTIONAL: dict[RuleKind, frozenset[str]] = {
    RuleKind.INTERVAL_WHILE_STABLE: frozenset(
        {"from_age_months", "to_age_months", "after_stable_films_months"}
    ),
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
    RuleKind.CHANGE_ERROR,
    RuleKind.ACCELERATION,
    RuleKind.INTERVAL_WHILE_RISING,
    RuleKind.DEFAULT_REVIEW,
    RuleKind.INTERVAL_AFTER_SURGERY,
    RuleKind.POST_OPERATIVE_FAILURE,
    RuleKind.CONTINUE_AFTER_MATURITY,
    RuleKind.EXAMINATION_REFERRAL,
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
    window_before_age_months: int | None = None
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
    pair_from_months: int | None = None
    pair_to_months: int | None = None
    change_error_points: float | None = None
    above_percent: float | None = None
    min_interval_months: int | None = None
    after_stable_films_months: int | None = None
    films_from_weeks_after: int | None = None
    pelvic_obliquity_over_deg: float | None = None
    abduction_below_deg: float | None = None
    title: str = ""
    """The rule in words for the pages ("GMFCS IV-V: X-ray every 6 months until ..."); empty:
    the pages show the id."""

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
            self.window_from_age_months is not None
            and self.window_before_age_months is not None
            and self.window_before_age_months <= self.window_from_age_months
        ):
            raise InvalidInputError(
                f"{self.id}.window_before_age_months", "must be after window_from_age_months"
            )
        if (
            self.pair_from_months is not None
            and self.pair_to_months is not None
            and self.pair_to_months <= self.pair_from_months
        ):
            raise InvalidInputError(f"{self.id}.pair_to_months", "must be after pair_from_months")
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
    "window_before_age_months",
    "pair_from_months",
    "pair_to_months",
    "change_error_points",
    "above_percent",
    "min_interval_months",
    "after_stable_films_months",
    "films_from_weeks_after",
    "pelvic_obliquity_over_deg",
    "abduction_below_deg",
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
