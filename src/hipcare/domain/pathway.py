"""The VDRO care pathway: its definition as values, one child's facts, and the dated plan.

A :class:`Pathway` is built by ``hipcare.content.pathway`` from ``pathway.toml`` (source: the
family fact sheet on varus derotation osteotomy shared by a children's hospital and a regional
health service; each item names the sheet points it carries). :func:`personalise` turns the
pathway and one child's :class:`CareFacts` into a :class:`CarePlan`: every item that applies,
dated from the surgery, admission or discharge day, with its owner, phase and the English text
(the gettext msgid) plus the values of its placeholders. Translation and date formatting happen
outside the domain. :func:`postpone` moves a plan to a new surgery date and keeps what is done.

Dates, not times: every item falls on a calendar day. Offsets are in days, so moving the
surgery by N days moves every relative item that is not done by exactly N days.
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import re
import string
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from enum import StrEnum
from types import MappingProxyType
from typing import TypeVar

from hipcare.domain.checks import choices
from hipcare.domain.errors import InvalidInputError, OutsideRuleError

__all__ = [
    "CONDITION_KEYS",
    "PLACEHOLDERS",
    "Anchor",
    "Bullet",
    "CareFacts",
    "CarePlan",
    "Condition",
    "ItemKind",
    "ItemStatus",
    "Owner",
    "Pathway",
    "PathwayItem",
    "Phase",
    "PhaseDefinition",
    "PlannedItem",
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
    "personalise",
    "postpone",
]

_SLUG = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")

#: Placeholders a family text may contain; the caller fills them after translation.
PLACEHOLDERS: frozenset[str] = frozenset(
    {"surgery_date", "admission_date", "discharge_date", "site_name", "stay_days"}
)

#: The longest planned stay and the earliest admission the engine accepts (sanity bounds on
#: input, not clinical rules: a longer stay or earlier admission is a different pathway).
_MAX_STAY_DAYS = 60
_MAX_ADMISSION_BEFORE_SURGERY_DAYS = 14


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


def _choices(enum: type[StrEnum]) -> str:
    return choices(enum, quoted=True)


_E = TypeVar("_E", bound=StrEnum)


def _enum_value(enum: type[_E], value: object, field_name: str) -> _E:
    if isinstance(value, enum):
        return value
    if isinstance(value, str):
        try:
            return enum(value)
        except ValueError:
            pass
    raise InvalidInputError(field_name, f"{value!r} is not one of {_choices(enum)}")


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
                _enum_value(WeightBearing, value, f"{self.where}.{key}")
            else:
                _enum_value(Procedure, value, f"{self.where}.{key}")

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


@functools.lru_cache(maxsize=1024)
def _placeholders(text: str, field_name: str) -> frozenset[str]:
    """The named fields of a family text; refuses braces that do not parse or unknown names.

    Cached: a pathway has a fixed set of texts, and a plan asks for each of them.
    """
    try:
        names = frozenset(
            name for _, name, _, _ in string.Formatter().parse(text) if name is not None
        )
    except ValueError as error:
        raise InvalidInputError(field_name, f"braces do not parse: {error}") from None
    unknown = names - PLACEHOLDERS
    if unknown:
        raise InvalidInputError(
            field_name,
            f"unknown placeholder(s) {', '.join(sorted(unknown))}; "
            f"use {', '.join(sorted(PLACEHOLDERS))}",
        )
    return names


def _family_text(text: str, field_name: str) -> str:
    if not isinstance(text, str) or not text.strip():
        raise InvalidInputError(field_name, "family text must not be empty")
    _placeholders(text, field_name)
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
        object.__setattr__(self, "kind", _enum_value(ItemKind, self.kind, f"{where}.kind"))
        if self.kind is ItemKind.INFORMATION and self.when.recurrence is not None:
            raise InvalidInputError(f"{where}.kind", "information is read once: it cannot repeat")
        if not _SLUG.match(self.id):
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
            if not _SLUG.match(point):
                raise InvalidInputError(f"{where}.fact_sheet_points", f"bad point id {point!r}")

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
        if not 1 <= self.default_expected_stay_days <= _MAX_STAY_DAYS:
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
        if not _SLUG.match(self.id):
            raise InvalidInputError("surgeon.id", f"{self.id!r} must be lower-case and dashes")
        if self.expected_stay_days is not None and not (
            1 <= self.expected_stay_days <= _MAX_STAY_DAYS
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


def _require_bool(value: object, field_name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(field_name, f"must be true or false, not {value!r}")


def _require_date(value: object, field_name: str) -> None:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise InvalidInputError(field_name, "must be a calendar date (YYYY-MM-DD)")


def _optional_slug(value: object, field_name: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not _SLUG.match(value):
        raise InvalidInputError(field_name, f"{value!r} must be an id: lower-case words and dashes")


@dataclass(frozen=True)
class CareFacts:
    """What the pathway needs to know about one child and their operation.

    ``weight_bearing`` and ``positioning_device`` may be left out when ``surgeon`` is named:
    the surgeon's preferences then decide (fact sheet, 'After surgery'). ``admission_date``
    defaults to the surgery day; ``expected_stay_days`` to the surgeon's, else the pathway's.
    ``child_ref`` is an opaque reference (never a name) that keeps calendar entries stable.
    """

    surgery_date: datetime.date
    sides: Sides
    procedures: tuple[Procedure, ...]
    wheelchair_user: bool
    attends_school: bool
    sees_therapists: bool
    weight_bearing: WeightBearing | None = None
    positioning_device: bool | None = None
    language: str = "en"
    site: str | None = None
    surgeon: str | None = None
    admission_date: datetime.date | None = None
    expected_stay_days: int | None = None
    child_ref: str | None = None

    def __post_init__(self) -> None:
        _require_date(self.surgery_date, "surgery_date")
        object.__setattr__(self, "sides", _enum_value(Sides, self.sides, "sides"))
        if isinstance(self.procedures, str) or not isinstance(self.procedures, tuple | list):
            raise InvalidInputError("procedures", "must be a list such as ['vdro', 'dega']")
        procedures = tuple(
            _enum_value(Procedure, p, f"procedures[{i}]") for i, p in enumerate(self.procedures)
        )
        if Procedure.VDRO not in procedures:
            raise InvalidInputError("procedures", "must include 'vdro' (this is the VDRO pathway)")
        if len(set(procedures)) != len(procedures):
            raise InvalidInputError("procedures", "lists the same procedure twice")
        object.__setattr__(self, "procedures", procedures)
        if self.weight_bearing is not None:
            object.__setattr__(
                self,
                "weight_bearing",
                _enum_value(WeightBearing, self.weight_bearing, "weight_bearing"),
            )
        for name in ("wheelchair_user", "attends_school", "sees_therapists"):
            _require_bool(getattr(self, name), name)
        if self.positioning_device is not None:
            _require_bool(self.positioning_device, "positioning_device")
        if not isinstance(self.language, str) or not self.language.strip():
            raise InvalidInputError("language", "must be a language code such as 'en'")
        _optional_slug(self.site, "site")
        _optional_slug(self.surgeon, "surgeon")
        if self.child_ref is not None and (
            not isinstance(self.child_ref, str)
            or not re.fullmatch(r"[A-Za-z0-9._-]{1,64}", self.child_ref)
        ):
            raise InvalidInputError(
                "child_ref", "must be 1-64 letters, digits, '.', '_' or '-' (an opaque reference)"
            )
        if self.admission_date is not None:
            _require_date(self.admission_date, "admission_date")
            before = (self.surgery_date - self.admission_date).days
            if before < 0:
                raise InvalidInputError("admission_date", "must not be after the surgery date")
            if before > _MAX_ADMISSION_BEFORE_SURGERY_DAYS:
                raise InvalidInputError(
                    "admission_date", "is more than 14 days before surgery; check the dates"
                )
        if self.expected_stay_days is not None and (
            isinstance(self.expected_stay_days, bool)
            or not isinstance(self.expected_stay_days, int)
            or not 1 <= self.expected_stay_days <= _MAX_STAY_DAYS
        ):
            raise InvalidInputError("expected_stay_days", "must be a whole number from 1 to 60")


@dataclass(frozen=True)
class PlannedItem:
    """One dated step of a child's plan.

    ``date`` is the (first) day; recurring items repeat every ``recurrence`` until ``until``
    (inclusive). ``title_msgid`` (a short heading, no placeholders), ``msgid`` and
    ``bullet_msgids`` are English texts to translate;
    ``params`` fills their placeholders (dates as :class:`datetime.date`).
    """

    id: str
    phase: Phase
    owner: Owner
    date: datetime.date
    start: RelativeDay
    title_msgid: str
    recurrence: Recurrence | None
    until: datetime.date | None
    until_relative: RelativeDay | None
    msgid: str
    bullet_msgids: tuple[str, ...]
    params: Mapping[str, datetime.date | str | int]
    timing_status: TimingStatus
    clinician_note: str
    fact_sheet_points: tuple[str, ...]
    status: ItemStatus = ItemStatus.PLANNED
    kind: ItemKind = ItemKind.TASK

    @property
    def to_be_confirmed(self) -> bool:
        """A task with local-protocol timing: outputs say the clinical lead still has to
        confirm its date. Information carries no date, so no such note."""
        return self.kind is ItemKind.TASK and self.timing_status is TimingStatus.LOCAL_PROTOCOL

    @property
    def is_information(self) -> bool:
        return self.kind is ItemKind.INFORMATION

    @property
    def names_a_date(self) -> bool:
        """Its text or bullets quote a plan date (surgery, admission or discharge day)."""
        return any(isinstance(value, datetime.date) for value in self.params.values())


@dataclass(frozen=True)
class CarePlan:
    """A child's dated plan: the resolved facts, the anchor days, and the items by date."""

    pathway_id: str
    facts: CareFacts
    weight_bearing: WeightBearing
    positioning_device: bool
    surgeon_id: str | None
    admission_date: datetime.date
    discharge_date: datetime.date
    expected_stay_days: int
    stay_planned: bool
    site_name: str | None
    phases: tuple[PhaseDefinition, ...]
    items: tuple[PlannedItem, ...] = field(default=())
    starts_on: datetime.date | None = None
    """The day the plan started: no task is due before it (None: dates as computed)."""

    @property
    def surgery_date(self) -> datetime.date:
        return self.facts.surgery_date

    @property
    def anchors(self) -> Mapping[Anchor, datetime.date]:
        return {
            Anchor.SURGERY: self.surgery_date,
            Anchor.ADMISSION: self.admission_date,
            Anchor.DISCHARGE: self.discharge_date,
        }

    def item(self, item_id: str) -> PlannedItem:
        for item in self.items:
            if item.id == item_id:
                return item
        raise InvalidInputError("item", f"the plan has no item {item_id!r}")

    def by_phase(self) -> tuple[tuple[PhaseDefinition, tuple[PlannedItem, ...]], ...]:
        """Items grouped by phase, phases in pathway order, items by date within each."""
        return tuple(
            (phase, tuple(i for i in self.items if i.phase is phase.phase)) for phase in self.phases
        )


def _condition_facts(
    facts: CareFacts,
    weight_bearing: WeightBearing,
    positioning_device: bool,
    site_known: bool,
    stay_planned: bool,
) -> Mapping[str, object]:
    return {
        "sees_therapists": facts.sees_therapists,
        "attends_school": facts.attends_school,
        "wheelchair_user": facts.wheelchair_user,
        "positioning_device": positioning_device,
        "site_known": site_known,
        "stay_planned": stay_planned,
        "weight_bearing": weight_bearing,
        "procedures": facts.procedures,
    }


def _resolve_surgeon(
    facts: CareFacts, surgeon: SurgeonPreferences | None
) -> SurgeonPreferences | None:
    if surgeon is not None and facts.surgeon != surgeon.id:
        raise InvalidInputError(
            "surgeon",
            f"preferences of {surgeon.id!r} were given for facts naming {facts.surgeon!r}",
        )
    if facts.surgeon is not None and surgeon is None:
        raise InvalidInputError("surgeon", f"no preferences known for {facts.surgeon!r}")
    if surgeon is not None and facts.site is not None and surgeon.site != facts.site:
        raise InvalidInputError(
            "surgeon", f"{surgeon.id!r} works at {surgeon.site!r}, not at {facts.site!r}"
        )
    return surgeon


def personalise(
    pathway: Pathway,
    facts: CareFacts,
    surgeon: SurgeonPreferences | None = None,
    site_name: str | None = None,
    starts_on: datetime.date | None = None,
) -> CarePlan:
    """The dated plan for one child: each applicable item, its date, owner, text and params.

    ``starts_on`` is the day the plan started (the care team started the pathway): a task
    whose computed day falls before it is due on that day, never back-dated (issue 17); a
    repeating task then starts that day and still ends on its own end day (or that day).

    Resolution order for weight bearing and the positioning device: the facts, else the
    surgeon's rule for the procedures done, else the surgeon's default; with neither, an
    :class:`InvalidInputError` names the field (hipcare never guesses). Discharge = surgery
    day + the planned stay (facts, else surgeon, else the pathway's default, which is the
    upper end of the fact sheet's usual 5-7 days).
    """
    surgeon = _resolve_surgeon(facts, surgeon)
    weight_bearing = facts.weight_bearing
    if weight_bearing is None:
        if surgeon is None:
            raise InvalidInputError(
                "weight_bearing",
                "not given and no surgeon named; give 'as-tolerated' or 'non-weight-bearing'",
            )
        weight_bearing = surgeon.weight_bearing_for(facts.procedures)
    positioning_device = facts.positioning_device
    if positioning_device is None:
        if surgeon is None:
            raise InvalidInputError(
                "positioning_device", "not given and no surgeon named; give true or false"
            )
        positioning_device = surgeon.positioning_device_for(facts.procedures)
    planned_stay = facts.expected_stay_days or (surgeon.expected_stay_days if surgeon else None)
    stay_days = planned_stay or pathway.default_expected_stay_days
    admission = facts.admission_date or facts.surgery_date
    discharge = facts.surgery_date + datetime.timedelta(days=stay_days)
    plan = CarePlan(
        pathway_id=pathway.id,
        facts=facts,
        weight_bearing=weight_bearing,
        positioning_device=positioning_device,
        surgeon_id=surgeon.id if surgeon else None,
        admission_date=admission,
        discharge_date=discharge,
        expected_stay_days=stay_days,
        stay_planned=planned_stay is not None,
        site_name=site_name,
        phases=pathway.phases,
        starts_on=starts_on,
    )
    condition_facts = _condition_facts(
        facts, weight_bearing, positioning_device, site_name is not None, planned_stay is not None
    )
    anchors = plan.anchors
    available = _params(plan)
    items = tuple(
        _not_before(_planned_item(item, anchors, available, condition_facts), starts_on)
        for item in pathway.items
        if item.applies_when.matches(condition_facts)
    )
    return dataclasses.replace(plan, items=_in_order(items, pathway.phases))


def _params(plan: CarePlan) -> Mapping[str, datetime.date | str | int]:
    values: dict[str, datetime.date | str | int] = {
        "surgery_date": plan.surgery_date,
        "admission_date": plan.admission_date,
        "discharge_date": plan.discharge_date,
        "stay_days": plan.expected_stay_days,
    }
    if plan.site_name is not None:
        values["site_name"] = plan.site_name
    return values


def _planned_item(
    item: PathwayItem,
    anchors: Mapping[Anchor, datetime.date],
    available: Mapping[str, datetime.date | str | int],
    condition_facts: Mapping[str, object],
) -> PlannedItem:
    variant = next((v for v in item.variants if v.applies_when.matches(condition_facts)), None)
    if variant is None:
        raise OutsideRuleError(
            f"item.{item.id}", "no text variant of this item fits the child's facts"
        )
    bullets = tuple(b.text for b in item.bullets if b.applies_when.matches(condition_facts))
    wanted = _placeholders(variant.text, item.id).union(
        *(_placeholders(text, item.id) for text in bullets)
    )
    missing = wanted - available.keys()
    if missing:
        raise OutsideRuleError(
            f"item.{item.id}", f"text needs {', '.join(sorted(missing))}, which the plan lacks"
        )
    until = item.when.until
    return PlannedItem(
        id=item.id,
        phase=item.phase,
        owner=item.owner,
        date=item.when.start.on(anchors),
        start=item.when.start,
        title_msgid=item.title,
        recurrence=item.when.recurrence,
        until=until.on(anchors) if until else None,
        until_relative=until,
        msgid=variant.text,
        bullet_msgids=bullets,
        params=MappingProxyType({k: available[k] for k in sorted(wanted)}),
        timing_status=item.timing_status,
        clinician_note=item.clinician_note,
        fact_sheet_points=item.fact_sheet_points,
        kind=item.kind,
    )


def _not_before(item: PlannedItem, starts_on: datetime.date | None) -> PlannedItem:
    """A task dated before the plan's start moved to the start day (information keeps its
    day: it shows no date, the day only orders it within its phase)."""
    if starts_on is None or item.is_information or item.date >= starts_on:
        return item
    until = None if item.until is None else max(item.until, starts_on)
    return dataclasses.replace(item, date=starts_on, until=until)


def _in_order(
    items: Iterable[PlannedItem], phases: tuple[PhaseDefinition, ...]
) -> tuple[PlannedItem, ...]:
    """By date, then by phase order; items of one day and phase keep the pathway's order."""
    rank = {p.phase: i for i, p in enumerate(phases)}
    return tuple(sorted(items, key=lambda i: (i.date, rank[i.phase])))


def postpone(
    plan: CarePlan, new_surgery_date: datetime.date, done_item_ids: Iterable[str] = ()
) -> CarePlan:
    """The plan moved to ``new_surgery_date``: every item not done is re-dated from its anchor.

    Items named in ``done_item_ids`` (or already done) stay done and keep their date and
    wording, except those whose text quoted a plan date (the old one): they are reopened
    and re-dated, so the family reads and does them again with the new date (issue 17). The
    admission moves with the surgery; the planned stay and the plan's start day stay the same.
    """
    _require_date(new_surgery_date, "new_surgery_date")
    done = set(done_item_ids)
    unknown = done - {item.id for item in plan.items}
    if unknown:
        raise InvalidInputError("done_item_ids", f"not in this plan: {', '.join(sorted(unknown))}")
    shift = new_surgery_date - plan.surgery_date
    facts = dataclasses.replace(
        plan.facts,
        surgery_date=new_surgery_date,
        admission_date=plan.facts.admission_date + shift if plan.facts.admission_date else None,
    )
    moved = dataclasses.replace(
        plan,
        facts=facts,
        admission_date=plan.admission_date + shift,
        discharge_date=plan.discharge_date + shift,
    )
    available = _params(moved)
    anchors = moved.anchors
    items: list[PlannedItem] = []
    for item in plan.items:
        if (item.status is ItemStatus.DONE or item.id in done) and not item.names_a_date:
            items.append(dataclasses.replace(item, status=ItemStatus.DONE))
            continue
        redated = dataclasses.replace(
            item,
            date=item.start.on(anchors),
            until=item.until_relative.on(anchors) if item.until_relative else None,
            params=MappingProxyType({k: available[k] for k in item.params}),
            status=ItemStatus.PLANNED,
        )
        items.append(_not_before(redated, plan.starts_on))
    return dataclasses.replace(moved, items=_in_order(items, plan.phases))
