"""The VDRO care pathway: its definition as values, one child's facts, and the dated plan.

A :class:`Pathway` is built by ``hipcare.content.pathway`` from ``pathway.toml`` (source: the
family fact sheet on varus derotation osteotomy shared by a children's hospital and a regional
health service; each item names the sheet points it carries). :func:`personalise` turns the
pathway and one child's :class:`CareFacts` into a :class:`CarePlan`: every item that applies,
dated from the surgery, admission or discharge day, with its owner, phase and the English text
(the gettext msgid) plus the values of its placeholders. Translation and date formatting happen
outside the domain. :func:`postpone` moves a plan to a new surgery date and keeps what is done.

The definition's value types live in ``hipcare.domain.pathway_definition`` and are re-exported
here under their names.

Dates, not times: every item falls on a calendar day. Offsets are in days, so moving the
surgery by N days moves every relative item that is not done by exactly N days.
"""

from __future__ import annotations

import dataclasses
import datetime
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

from hipcare.domain.errors import InvalidInputError, OutsideRuleError
from hipcare.domain.pathway_checks import (
    MAX_ADMISSION_BEFORE_SURGERY_DAYS,
    MAX_STAY_DAYS,
    PLACEHOLDERS,
    SLUG,
    enum_value,
    placeholders_in,
)
from hipcare.domain.pathway_definition import (
    CONDITION_KEYS,
    Anchor,
    Bullet,
    Condition,
    ItemKind,
    ItemStatus,
    Owner,
    Pathway,
    PathwayItem,
    Phase,
    PhaseDefinition,
    Procedure,
    Recurrence,
    RelativeDay,
    Sides,
    SurgeonPreferences,
    SurgeonRule,
    TextVariant,
    TimingStatus,
    WeightBearing,
    When,
)

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


def _require_bool(value: object, field_name: str) -> None:
    if not isinstance(value, bool):
        raise InvalidInputError(field_name, f"must be true or false, not {value!r}")


def _require_date(value: object, field_name: str) -> None:
    if not isinstance(value, datetime.date) or isinstance(value, datetime.datetime):
        raise InvalidInputError(field_name, "must be a calendar date (YYYY-MM-DD)")


def _optional_slug(value: object, field_name: str) -> None:
    if value is None:
        return
    if not isinstance(value, str) or not SLUG.match(value):
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
        object.__setattr__(self, "sides", enum_value(Sides, self.sides, "sides"))
        if isinstance(self.procedures, str) or not isinstance(self.procedures, tuple | list):
            raise InvalidInputError("procedures", "must be a list such as ['vdro', 'dega']")
        procedures = tuple(
            enum_value(Procedure, p, f"procedures[{i}]") for i, p in enumerate(self.procedures)
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
                enum_value(WeightBearing, self.weight_bearing, "weight_bearing"),
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
            if before > MAX_ADMISSION_BEFORE_SURGERY_DAYS:
                raise InvalidInputError(
                    "admission_date", "is more than 14 days before surgery; check the dates"
                )
        if self.expected_stay_days is not None and (
            isinstance(self.expected_stay_days, bool)
            or not isinstance(self.expected_stay_days, int)
            or not 1 <= self.expected_stay_days <= MAX_STAY_DAYS
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
    wanted = placeholders_in(variant.text, item.id).union(
        *(placeholders_in(text, item.id) for text in bullets)
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
