"""The VDRO care pathway's definition as values: phases, items, their timing and wording,
and a surgeon's usual choices.

A :class:`Pathway` is built by ``hipcare.content.pathway`` from ``pathway.toml`` (source: the
family fact sheet on varus derotation osteotomy shared by a children's hospital and a regional
health service; each item names the sheet points it carries). ``hipcare.domain.pathway`` turns
it into one child's dated plan.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway_checks import (
    MAX_STAY_DAYS,
    SLUG,
    enum_value,
    placeholders_in,
)

__all__ = [
    "CONDITION_KEYS",
    "Anchor",
    "Bullet",
    "Condition",
    "ItemKind",
    "ItemStatus",
    "Owner",
    "Pathway",
    "PathwayItem",
    "Phase",
    "PhaseDefinition",
    "Procedure",
    "Recurrence",
    "RelativeDay",
    "Sides",
    "SurgeonPreferences",
    "SurgeonRule",
    "TextVariant",
    "TimingStatus",
    "WeightBearing",
    "When",
]


class Phase(StrEnum):
    """The pathway's phases, in the order a family lives them."""

    DECISION = "decision"
    PREPARING = "preparing"
    HOSPITAL = "hospital"
    GOING_HOME = "going-home"
    RECOVERY = "recovery"
    FOLLOW_UP = "follow-up"


class Owner(StrEnum):
    """Who acts on an item."""

    FAMILY = "family"
    OT = "ot"
    PHYSIO = "physio"
    NURSE = "nurse"
    SURGEON = "surgeon"
    ANAESTHETIST = "anaesthetist"
    SCHOOL = "school"
    CARE_TEAM = "care-team"


class Anchor(StrEnum):
    """The day an item's date is counted from."""

    SURGERY = "surgery"
    ADMISSION = "admission"
    DISCHARGE = "discharge"


class Recurrence(StrEnum):
    """How an item repeats. ``BEFORE_CARE``: before each shower, transfer and toilet (daily)."""

    DAILY = "daily"
    WEEKLY = "weekly"
    BEFORE_CARE = "before-care"

    @property
    def interval_days(self) -> int:
        """Days between two reminders (a calendar shows before-care as a daily reminder)."""
        return 7 if self is Recurrence.WEEKLY else 1


class TimingStatus(StrEnum):
    """Where an item's timing comes from: the fact sheet, or the service's own plan."""

    FACT_SHEET = "fact-sheet"
    LOCAL_PROTOCOL = "local-protocol"


class ItemKind(StrEnum):
    """What a family does with an item: reads information, or acts on a dated task.

    Information ("About this plan", "Signs to watch for", "Tell us if your child gets sick")
    is read, never ticked, and shows no date or timing note; a task has a date (issue 17).
    """

    INFORMATION = "information"
    TASK = "task"


class ItemStatus(StrEnum):
    PLANNED = "planned"
    DONE = "done"


class WeightBearing(StrEnum):
    """Weight bearing after surgery (fact sheet, 'After surgery')."""

    AS_TOLERATED = "as-tolerated"
    NON_WEIGHT_BEARING = "non-weight-bearing"


class Sides(StrEnum):
    LEFT = "left"
    RIGHT = "right"
    BOTH = "both"


class Procedure(StrEnum):
    """Operations done in the same sitting; a plan always includes the VDRO."""

    VDRO = "vdro"
    DEGA = "dega"
    ADDUCTOR_RELEASE = "adductor-release"
    PSOAS_RELEASE = "psoas-release"
    OPEN_REDUCTION = "open-reduction"


#: Facts an ``applies_when`` condition may test, and the type of value each takes.
CONDITION_KEYS: Mapping[str, type] = MappingProxyType(
    {
        "sees_therapists": bool,
        "attends_school": bool,
        "wheelchair_user": bool,
        "positioning_device": bool,
        "site_known": bool,
        "stay_planned": bool,
        "weight_bearing": WeightBearing,
        "procedures_include": Procedure,
    }
)


@dataclass(frozen=True)
class Condition:
    """All of ``requirements`` must hold; an empty condition always holds."""

    requirements: tuple[tuple[str, bool | str], ...] = ()
    where: str = "applies_when"

    def __post_init__(self) -> None:
        for key, value in self.requirements:
            kind = CONDITION_KEYS.get(key)
            if kind is None:
                raise InvalidInputError(
                    f"{self.where}.{key}",
                    f"unknown fact; conditions may test {', '.join(sorted(CONDITION_KEYS))}",
                )
            if kind is bool:
                if not isinstance(value, bool):
                    raise InvalidInputError(f"{self.where}.{key}", "must be true or false")
            elif kind is WeightBearing:
                enum_value(WeightBearing, value, f"{self.where}.{key}")
            else:
                enum_value(Procedure, value, f"{self.where}.{key}")

    @classmethod
    def of(cls, table: Mapping[str, bool | str], where: str = "applies_when") -> Condition:
        return cls(requirements=tuple(table.items()), where=where)

    def matches(self, facts: Mapping[str, object]) -> bool:
        """True when every requirement holds for ``facts`` (built by ``_condition_facts``)."""
        for key, value in self.requirements:
            if key == "procedures_include":
                procedures = facts["procedures"]
                if not isinstance(procedures, tuple) or Procedure(str(value)) not in procedures:
                    return False
            elif facts[key] != value:
                return False
        return True


@dataclass(frozen=True)
class RelativeDay:
    """A day counted from an anchor: ``offset_days`` after it (negative: before)."""

    anchor: Anchor
    offset_days: int

    def __post_init__(self) -> None:
        if isinstance(self.offset_days, bool) or not isinstance(self.offset_days, int):
            raise InvalidInputError("when.offset_days", "must be a whole number of days")

    def on(self, anchors: Mapping[Anchor, datetime.date]) -> datetime.date:
        return anchors[self.anchor] + datetime.timedelta(days=self.offset_days)


@dataclass(frozen=True)
class When:
    """When an item happens: a start day, and for recurring items how often and until when."""

    start: RelativeDay
    recurrence: Recurrence | None = None
    until: RelativeDay | None = None

    def __post_init__(self) -> None:
        if (self.recurrence is None) != (self.until is None):
            raise InvalidInputError(
                "when.until", "a recurring item needs an end ('until'), and only it may have one"
            )


def _family_text(text: str, field_name: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(field_name, "family text must not be empty")
    placeholders_in(text, field_name)
    return text


@dataclass(frozen=True)
class TextVariant:
    """One wording of an item, used when ``applies_when`` matches (first match wins)."""

    text: str
    applies_when: Condition = Condition()

    def __post_init__(self) -> None:
        _family_text(self.text, "variant.text")


@dataclass(frozen=True)
class Bullet:
    """A whole sentence listed under an item's text when ``applies_when`` matches."""

    text: str
    applies_when: Condition = Condition()

    def __post_init__(self) -> None:
        _family_text(self.text, "bullet.text")


@dataclass(frozen=True)
class PathwayItem:
    """One step of the pathway, as written in ``pathway.toml``."""

    id: str
    title: str
    phase: Phase
    owner: Owner
    when: When
    timing_status: TimingStatus
    variants: tuple[TextVariant, ...]
    fact_sheet_points: tuple[str, ...]
    clinician_note: str
    source: str
    applies_when: Condition = Condition()
    bullets: tuple[Bullet, ...] = ()
    kind: ItemKind = ItemKind.TASK

    def __post_init__(self) -> None:
        where = f"item.{self.id}"
        object.__setattr__(self, "kind", enum_value(ItemKind, self.kind, f"{where}.kind"))
        if self.is_information and self.when.recurrence is not None:
            raise InvalidInputError(f"{where}.kind", "information is read once: it cannot repeat")
        if not SLUG.match(self.id):
            raise InvalidInputError("item.id", f"{self.id!r} must be lower-case words and dashes")
        _family_text(self.title, f"{where}.title")
        if not self.variants:
            raise InvalidInputError(f"{where}.text", "an item needs a text or variants")
        if not self.source.strip():
            raise InvalidInputError(f"{where}.source", "every item cites its source")
        if not self.clinician_note.strip():
            raise InvalidInputError(f"{where}.clinician_note", "every item has a clinician note")
        if (
            self.timing_status is TimingStatus.LOCAL_PROTOCOL
            and "local protocol" not in self.clinician_note.lower()
        ):
            raise InvalidInputError(
                f"{where}.clinician_note", "a local-protocol timing must say 'local protocol'"
            )
        for point in self.fact_sheet_points:
            if not SLUG.match(point):
                raise InvalidInputError(f"{where}.fact_sheet_points", f"bad point id {point!r}")

    @property
    def is_information(self) -> bool:
        """Read, never ticked nor reminded of (:class:`ItemKind`)."""
        return self.kind is ItemKind.INFORMATION

    @property
    def msgids(self) -> tuple[str, ...]:
        """Every family text of this item (title, variants, bullets): the strings to translate."""
        return (
            self.title,
            *(variant.text for variant in self.variants),
            *(bullet.text for bullet in self.bullets),
        )


@dataclass(frozen=True)
class PhaseDefinition:
    phase: Phase
    title: str

    def __post_init__(self) -> None:
        _family_text(self.title, f"phase.{self.phase}.title")


@dataclass(frozen=True)
class Pathway:
    """The whole pathway: phases in order, items, and the default length of stay."""

    id: str
    version: int
    title: str
    phases: tuple[PhaseDefinition, ...]
    items: tuple[PathwayItem, ...]
    default_expected_stay_days: int
    default_expected_stay_source: str
    local_protocol_note: str
    example_data_note: str
    unwell_before_surgery: str | None = None
    """The information item that says what to do when the child is unwell before surgery
    (the loader checks it is one; a page shows nothing when the plan lacks it)."""
    unwell_after_surgery: str | None = None
    """The information item with the red flags after surgery (call now)."""

    def __post_init__(self) -> None:
        if tuple(p.phase for p in self.phases) != tuple(Phase):
            raise InvalidInputError(
                "phase", f"phases must be exactly {', '.join(Phase)} in that order"
            )
        seen: set[str] = set()
        for item in self.items:
            if item.id in seen:
                raise InvalidInputError("item.id", f"{item.id!r} appears twice")
            seen.add(item.id)
        if not 1 <= self.default_expected_stay_days <= MAX_STAY_DAYS:
            raise InvalidInputError("default_expected_stay_days", "must be 1 to 60 days")
        if not self.default_expected_stay_source.strip():
            raise InvalidInputError("default_expected_stay_source", "cite the stay's source")
        for name in ("title", "local_protocol_note", "example_data_note"):
            _family_text(getattr(self, name), name)

    def item(self, item_id: str) -> PathwayItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise InvalidInputError("item", f"no pathway item {item_id!r}")

    @property
    def information_ids(self) -> frozenset[str]:
        """The ids of the information items: read, never ticked nor reminded of (issue 17)."""
        return frozenset(item.id for item in self.items if item.is_information)

    @property
    def msgids(self) -> tuple[str, ...]:
        """Every family string of the pathway, in file order, without repeats."""
        texts = [self.title, *(p.title for p in self.phases)]
        texts += [self.local_protocol_note, self.example_data_note]
        for item in self.items:
            texts += item.msgids
        return tuple(dict.fromkeys(texts))


@dataclass(frozen=True)
class SurgeonRule:
    """A surgeon's exception to their defaults, e.g. non-weight-bearing when a Dega is done."""

    procedures_include: Procedure
    weight_bearing: WeightBearing | None = None
    positioning_device: bool | None = None

    def __post_init__(self) -> None:
        if self.weight_bearing is None and self.positioning_device is None:
            raise InvalidInputError("surgeon.rule", "a rule must set something")


@dataclass(frozen=True)
class SurgeonPreferences:
    """A surgeon's usual choices (fact sheet: weight bearing and positioning depend on them)."""

    id: str
    name: str
    site: str
    weight_bearing: WeightBearing
    positioning_device: bool
    expected_stay_days: int | None = None
    rules: tuple[SurgeonRule, ...] = ()

    def __post_init__(self) -> None:
        if not SLUG.match(self.id):
            raise InvalidInputError("surgeon.id", f"{self.id!r} must be lower-case and dashes")
        if self.expected_stay_days is not None and not (
            1 <= self.expected_stay_days <= MAX_STAY_DAYS
        ):
            raise InvalidInputError(f"surgeon.{self.id}.expected_stay_days", "must be 1 to 60")

    def weight_bearing_for(self, procedures: Iterable[Procedure]) -> WeightBearing:
        done = set(procedures)
        for rule in self.rules:
            if rule.procedures_include in done and rule.weight_bearing is not None:
                return rule.weight_bearing
        return self.weight_bearing

    def positioning_device_for(self, procedures: Iterable[Procedure]) -> bool:
        done = set(procedures)
        for rule in self.rules:
            if rule.procedures_include in done and rule.positioning_device is not None:
                return rule.positioning_device
        return self.positioning_device
