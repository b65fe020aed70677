"""The family's home diary: pain scores, skin checks, pain medicine, "my child is unwell".

Each entry is a value that checks itself; :func:`assess` compares it with the diary rules
(``content/diary.toml``, data with a source) and says how urgent it is and which rules
fired. An entry at ``call-team`` or ``emergency`` raises an alert for the care team and
tells the family at once whom to call.

Pain, for a child who cannot say how much it hurts: the revised FLACC (r-FLACC) scale —
face, legs, activity, cry and consolability, each scored 0-2, total 0-10 — where the parent
adds their own words for how their child shows pain in each category (Malviya S,
Voepel-Lewis T, et al. *Paediatr Anaesth* 2006;16(3):258-265; validated in children with
cerebral palsy: Pedersen LK, Rahbek O, Nikolajsen L, Moller-Madsen B. *Scand J Pain*
2015;9:57-61). For a child who can: the 0-10 numeric rating scale (LOINC 72514-3, "Pain
severity - 0-10 verbal numeric rating [Score] - Reported").

Skin: plain-language choices built on the NPIAP pressure-injury stages (NPIAP 2016 staging
definitions; clinical spec section 5): a red area that does not fade when pressed is stage 1,
broken skin or a blister stage 2, a deep wound stage 3 or 4, a dark purple or maroon area a
deep tissue injury.

Pure: standard library only; times are handed in.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from enum import StrEnum

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import refuse_control_characters

__all__ = [
    "R_FLACC_CATEGORIES",
    "Assessment",
    "DiaryEntry",
    "DiaryKind",
    "DiaryRule",
    "DiaryRules",
    "MedicineGiven",
    "NumericPain",
    "RFlacc",
    "RuleStatus",
    "SkinCheck",
    "SkinFinding",
    "SurgeryPhase",
    "Unwell",
    "Urgency",
    "assess",
]

R_FLACC_CATEGORIES: tuple[str, ...] = ("face", "legs", "activity", "cry", "consolability")
"""The five r-FLACC categories, in the order of the scale (Malviya 2006)."""

_MAX_TEXT = 500
_MEDICINE_AFTER_ENTRY = timedelta(minutes=5)
"""How far after the entry a dose may be dated: a phone's clock a few minutes fast."""
_MEDICINE_BEFORE_ENTRY = timedelta(days=31)
"""How far before the entry a dose may be dated: the diary records recent doses (a family
catching up after a hospital stay still fits); anything older is a mistyped year."""


class DiaryKind(StrEnum):
    """What a diary entry records."""

    PAIN_R_FLACC = "pain-r-flacc"
    PAIN_NUMERIC = "pain-numeric"
    SKIN = "skin"
    MEDICINE = "medicine"
    UNWELL = "unwell"


class SkinFinding(StrEnum):
    """What the family saw on their child's skin, in plain words (NPIAP stage in brackets)."""

    NO_RED_AREAS = "no-red-areas"
    RED_FADES = "red-fades"  # blanching redness: not a pressure injury
    RED_DOES_NOT_FADE = "red-does-not-fade"  # stage 1
    BROKEN_SKIN = "broken-skin-or-blister"  # stage 2
    DEEP_WOUND = "deep-wound"  # stage 3 or 4
    DARK_PURPLE = "dark-purple-or-maroon"  # deep tissue injury

    @property
    def npiap_stage(self) -> str | None:
        """The NPIAP stage this choice corresponds to (None: not a pressure injury)."""
        return {
            SkinFinding.RED_DOES_NOT_FADE: "stage 1",
            SkinFinding.BROKEN_SKIN: "stage 2",
            SkinFinding.DEEP_WOUND: "stage 3 or 4",
            SkinFinding.DARK_PURPLE: "deep tissue injury",
        }.get(self)


class Urgency(StrEnum):
    """How soon the family should act; ordered from least to most urgent."""

    NONE = "none"
    WATCH = "watch"
    CALL_TEAM = "call-team"
    EMERGENCY = "emergency"

    @property
    def rank(self) -> int:
        return list(Urgency).index(self)

    @property
    def raises_alert(self) -> bool:
        return self.rank >= Urgency.CALL_TEAM.rank


class RuleStatus(StrEnum):
    GUIDELINE = "guideline"
    LOCAL_PROTOCOL = "local-protocol"


class SurgeryPhase(StrEnum):
    """Where the child is on the road to the operation: advice differs (issue 14, item 7).

    Before it, an unwell child may need the date moved; after it, the red flags apply."""

    BEFORE_SURGERY = "before-surgery"
    AFTER_SURGERY = "after-surgery"


def _score(value: object, field_name: str, high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(field_name, f"{value!r} is not a score; choose 0 to {high}")
    if isinstance(value, float) and (not math.isfinite(value) or not value.is_integer()):
        raise InvalidInputError(field_name, f"{value!r} is not a whole number from 0 to {high}")
    if not 0 <= value <= high:
        raise InvalidInputError(field_name, f"{value:g} is outside 0 to {high}")
    return int(value)


def _moment(value: object, field_name: str) -> datetime:
    if not isinstance(value, datetime):
        raise InvalidInputError(field_name, f"{value!r} is not a date and time")
    if value.tzinfo is None or value.utcoffset() is None:
        raise InvalidInputError(field_name, "has no time zone; give a timezone-aware time")
    try:
        return value.astimezone(UTC)
    except OverflowError:
        # 0001-01-01T00:00+01:00 is before the first moment a datetime holds in UTC.
        raise InvalidInputError(field_name, "is not a real date and time; check the year") from None


def _short_text(value: object, field_name: str, *, required: bool, multiline: bool = False) -> str:
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise InvalidInputError(field_name, "must be text")
    refuse_control_characters(value, field_name, multiline=multiline)
    text = " ".join(value.split())
    if required and not text:
        raise InvalidInputError(field_name, "is empty; write a few words")
    if len(text) > _MAX_TEXT:
        raise InvalidInputError(field_name, f"is longer than {_MAX_TEXT} characters; shorten it")
    return text


@dataclass(frozen=True)
class RFlacc:
    """An r-FLACC score: five categories, each 0-2 (Malviya 2006)."""

    face: int
    legs: int
    activity: int
    cry: int
    consolability: int

    def __post_init__(self) -> None:
        for name in R_FLACC_CATEGORIES:
            object.__setattr__(self, name, _score(getattr(self, name), f"r_flacc.{name}", 2))

    @property
    def total(self) -> int:
        """0-10: the sum of the five categories."""
        return sum(getattr(self, name) for name in R_FLACC_CATEGORIES)


@dataclass(frozen=True)
class NumericPain:
    """A child's own 0-10 pain rating (LOINC 72514-3)."""

    score: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "score", _score(self.score, "pain_score", 10))


@dataclass(frozen=True)
class SkinCheck:
    """What the family saw, where, and whether they added a photo."""

    finding: SkinFinding
    where: str = ""
    has_photo: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.finding, SkinFinding):
            choices = ", ".join(finding.value for finding in SkinFinding)
            raise InvalidInputError("skin_finding", f"{self.finding!r} is not one of {choices}")
        object.__setattr__(self, "where", _short_text(self.where, "skin_where", required=False))


@dataclass(frozen=True)
class MedicineGiven:
    """A dose of pain medicine the family gave: when and which medicine."""

    given_at: datetime
    medicine: str

    def __post_init__(self) -> None:
        object.__setattr__(self, "given_at", _moment(self.given_at, "given_at"))
        object.__setattr__(self, "medicine", _short_text(self.medicine, "medicine", required=True))


@dataclass(frozen=True)
class Unwell:
    """ "My child is unwell", in the family's words (before or after the operation)."""

    description: str

    def __post_init__(self) -> None:
        object.__setattr__(
            self,
            "description",
            _short_text(self.description, "description", required=True, multiline=True),
        )


Measure = RFlacc | NumericPain | SkinCheck | MedicineGiven | Unwell

_KIND_OF: dict[type[object], DiaryKind] = {
    RFlacc: DiaryKind.PAIN_R_FLACC,
    NumericPain: DiaryKind.PAIN_NUMERIC,
    SkinCheck: DiaryKind.SKIN,
    MedicineGiven: DiaryKind.MEDICINE,
    Unwell: DiaryKind.UNWELL,
}


@dataclass(frozen=True)
class DiaryEntry:
    """One diary entry about one child, written at ``recorded_at``."""

    child_id: int
    recorded_at: datetime
    measure: Measure
    note: str = ""

    def __post_init__(self) -> None:
        if (
            isinstance(self.child_id, bool)
            or not isinstance(self.child_id, int)
            or self.child_id < 1
        ):
            raise InvalidInputError("child_id", f"{self.child_id!r} is not a record id")
        object.__setattr__(self, "recorded_at", _moment(self.recorded_at, "recorded_at"))
        if type(self.measure) not in _KIND_OF:
            raise InvalidInputError("kind", "is not a diary entry kind")
        if isinstance(self.measure, MedicineGiven):
            if self.measure.given_at > self.recorded_at + _MEDICINE_AFTER_ENTRY:
                raise InvalidInputError("given_at", "is in the future")
            if self.measure.given_at < self.recorded_at - _MEDICINE_BEFORE_ENTRY:
                raise InvalidInputError(
                    "given_at",
                    f"is more than {_MEDICINE_BEFORE_ENTRY.days} days before this entry; "
                    "check the date (the diary records recent doses)",
                )
        object.__setattr__(
            self, "note", _short_text(self.note, "note", required=False, multiline=True)
        )

    @property
    def kind(self) -> DiaryKind:
        return _KIND_OF[type(self.measure)]


@dataclass(frozen=True)
class DiaryRule:
    """A diary threshold with its source: when it fires, how urgent, and whom to call.

    A pain rule fires at a total of ``at_least`` or more; a skin rule when the finding is
    one of ``findings``; an unwell rule on every "unwell" entry. ``contact_roles`` name
    contacts of the child's site (``content/sites.toml``), in the order to try them.
    """

    id: str
    kind: DiaryKind
    urgency: Urgency
    advice: str
    source: str
    section: str
    status: RuleStatus
    contact_roles: tuple[str, ...] = ()
    at_least: int | None = None
    findings: frozenset[SkinFinding] = frozenset()
    note: str = ""
    phase: SurgeryPhase | None = None
    """The rule fires only in this phase (None: in both)."""

    def __post_init__(self) -> None:
        where = f"diary rule {self.id!r}"
        if self.phase is not None and not isinstance(self.phase, SurgeryPhase):
            phases = ", ".join(phase.value for phase in SurgeryPhase)
            raise InvalidInputError(f"{where}.phase", f"must be one of {phases}")
        for name in ("id", "advice", "source", "section"):
            if not isinstance(getattr(self, name), str) or not getattr(self, name).strip():
                raise InvalidInputError(f"{where}.{name}", "is missing (every rule cites it)")
        if self.status is RuleStatus.LOCAL_PROTOCOL and not self.note.strip():
            raise InvalidInputError(f"{where}.note", "a local-protocol rule says why")
        if self.kind in (DiaryKind.PAIN_R_FLACC, DiaryKind.PAIN_NUMERIC):
            high = 10
            if self.at_least is None or not 0 <= self.at_least <= high:
                raise InvalidInputError(f"{where}.at_least", f"a pain rule needs 0 to {high}")
        if self.kind is DiaryKind.SKIN and not self.findings:
            raise InvalidInputError(f"{where}.findings", "a skin rule lists the findings")
        if self.urgency.raises_alert and not self.contact_roles:
            raise InvalidInputError(f"{where}.contact_roles", "say whom the family should call")

    @property
    def to_be_confirmed(self) -> bool:
        return self.status is RuleStatus.LOCAL_PROTOCOL

    def fires(self, entry: DiaryEntry, phase: SurgeryPhase = SurgeryPhase.BEFORE_SURGERY) -> bool:
        """Whether the rule fires for ``entry`` written in ``phase`` of the child's care."""
        if entry.kind is not self.kind:
            return False
        if self.phase is not None and self.phase is not phase:
            return False
        measure = entry.measure
        if isinstance(measure, RFlacc):
            return self.at_least is not None and measure.total >= self.at_least
        if isinstance(measure, NumericPain):
            return self.at_least is not None and measure.score >= self.at_least
        if isinstance(measure, SkinCheck):
            return measure.finding in self.findings
        return True


@dataclass(frozen=True)
class DiaryRules:
    rules: tuple[DiaryRule, ...]

    def __post_init__(self) -> None:
        ids = [rule.id for rule in self.rules]
        if len(ids) != len(set(ids)):
            raise InvalidInputError("diary rules", "two rules share an id")


@dataclass(frozen=True)
class Assessment:
    """What an entry means: the most urgent rule that fired (if any) and all that fired."""

    urgency: Urgency
    fired: tuple[DiaryRule, ...] = field(default=())

    @property
    def raises_alert(self) -> bool:
        return self.urgency.raises_alert

    @property
    def to_be_confirmed(self) -> bool:
        """Whether a fired rule is local protocol ("to be confirmed by the clinical lead")."""
        return any(rule.to_be_confirmed for rule in self.fired)

    @property
    def contact_roles(self) -> tuple[str, ...]:
        roles: list[str] = []
        for rule in self.fired:
            if rule.urgency is self.urgency:
                roles.extend(role for role in rule.contact_roles if role not in roles)
        return tuple(roles)

    @property
    def advice(self) -> tuple[str, ...]:
        return tuple(rule.advice for rule in self.fired if rule.urgency is self.urgency)


def assess(
    entry: DiaryEntry,
    rules: DiaryRules | Sequence[DiaryRule],
    phase: SurgeryPhase = SurgeryPhase.BEFORE_SURGERY,
) -> Assessment:
    """The urgency of ``entry`` under ``rules``: the most urgent rule that fires, or none.

    ``phase``: before or after the child's operation (a child with no operation done is
    before it); rules tied to a phase fire only in it."""
    all_rules = rules.rules if isinstance(rules, DiaryRules) else tuple(rules)
    fired = tuple(rule for rule in all_rules if rule.fires(entry, phase))
    if not fired:
        return Assessment(Urgency.NONE)
    urgency = max((rule.urgency for rule in fired), key=lambda urgency: urgency.rank)
    return Assessment(urgency, fired)
