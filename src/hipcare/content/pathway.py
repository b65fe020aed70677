"""Load the VDRO care pathway (``pathway.toml``) and surgeon profiles (``surgeons.toml``).

The loaders turn the TOML tables into the domain's value types and refuse a file with an
unknown key, a missing citation or a bad value, naming where (``item.skin-check.when``).
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import (
    Anchor,
    Bullet,
    Condition,
    ItemKind,
    Owner,
    Pathway,
    PathwayItem,
    Phase,
    PhaseDefinition,
    Procedure,
    Recurrence,
    RelativeDay,
    SurgeonPreferences,
    SurgeonRule,
    TextVariant,
    TimingStatus,
    WeightBearing,
    When,
)

__all__ = [
    "load_pathway",
    "load_surgeons",
    "parse_pathway",
    "parse_surgeons",
    "surgeon_by_id",
]

_ITEM_KEYS = {
    "id",
    "title",
    "phase",
    "owner",
    "when",
    "timing_status",
    "applies_when",
    "fact_sheet_points",
    "clinician_note",
    "source",
    "text",
    "variant",
    "bullet",
    "kind",
}


def _read(name: str) -> str:
    return resources.files("hipcare.content").joinpath(name).read_text(encoding="utf-8")


def _check_keys(table: Mapping[str, Any], allowed: set[str], where: str) -> None:
    unknown = set(table) - allowed
    if unknown:
        raise InvalidInputError(
            where,
            f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(allowed))}",
        )


def _required(table: Mapping[str, Any], key: str, where: str) -> Any:
    if key not in table:
        raise InvalidInputError(f"{where}.{key}", "is missing")
    return table[key]


def _enum(enum: Any, value: Any, where: str) -> Any:
    try:
        return enum(value)
    except ValueError:
        choices = ", ".join(repr(m.value) for m in enum)
        raise InvalidInputError(where, f"{value!r} is not one of {choices}") from None


def _relative_day(table: Mapping[str, Any], where: str) -> RelativeDay:
    return RelativeDay(
        anchor=_enum(Anchor, _required(table, "anchor", where), f"{where}.anchor"),
        offset_days=_required(table, "offset_days", where),
    )


def _when(table: Mapping[str, Any], where: str) -> When:
    _check_keys(table, {"anchor", "offset_days", "recurrence", "until"}, where)
    recurrence = table.get("recurrence")
    until = table.get("until")
    if until is not None:
        _check_keys(until, {"anchor", "offset_days"}, f"{where}.until")
    return When(
        start=_relative_day(table, where),
        recurrence=_enum(Recurrence, recurrence, f"{where}.recurrence") if recurrence else None,
        until=_relative_day(until, f"{where}.until") if until is not None else None,
    )


def _condition(table: Mapping[str, Any] | None, where: str) -> Condition:
    return Condition.of(table or {}, where=where)


def _item(table: Mapping[str, Any]) -> PathwayItem:
    item_id = _required(table, "id", "item")
    where = f"item.{item_id}"
    _check_keys(table, _ITEM_KEYS, where)
    if ("text" in table) == ("variant" in table):
        raise InvalidInputError(where, "give either 'text' or [[item.variant]] tables, not both")
    if "text" in table:
        variants: tuple[TextVariant, ...] = (TextVariant(text=table["text"]),)
    else:
        for variant in table["variant"]:
            _check_keys(variant, {"text", "applies_when"}, f"{where}.variant")
        variants = tuple(
            TextVariant(
                text=_required(v, "text", f"{where}.variant"),
                applies_when=_condition(v.get("applies_when"), f"{where}.variant.applies_when"),
            )
            for v in table["variant"]
        )
    for bullet in table.get("bullet", []):
        _check_keys(bullet, {"text", "applies_when"}, f"{where}.bullet")
    bullets = tuple(
        Bullet(
            text=_required(b, "text", f"{where}.bullet"),
            applies_when=_condition(b.get("applies_when"), f"{where}.bullet.applies_when"),
        )
        for b in table.get("bullet", [])
    )
    return PathwayItem(
        id=item_id,
        title=_required(table, "title", where),
        phase=_enum(Phase, _required(table, "phase", where), f"{where}.phase"),
        owner=_enum(Owner, _required(table, "owner", where), f"{where}.owner"),
        when=_when(_required(table, "when", where), f"{where}.when"),
        timing_status=_enum(
            TimingStatus, _required(table, "timing_status", where), f"{where}.timing_status"
        ),
        variants=variants,
        bullets=bullets,
        fact_sheet_points=tuple(_required(table, "fact_sheet_points", where)),
        clinician_note=_required(table, "clinician_note", where),
        source=_required(table, "source", where),
        applies_when=_condition(table.get("applies_when"), f"{where}.applies_when"),
        kind=_enum(ItemKind, _required(table, "kind", where), f"{where}.kind"),
    )


def parse_pathway(text: str) -> Pathway:
    """A :class:`Pathway` from the text of a pathway TOML file (refuses unknown keys)."""
    data = tomllib.loads(text)
    _check_keys(data, {"pathway", "notes", "phase", "item", "unwell_advice"}, "pathway.toml")
    unwell = data.get("unwell_advice", {})
    _check_keys(unwell, {"before_surgery", "after_surgery"}, "unwell_advice")
    head = _required(data, "pathway", "pathway.toml")
    _check_keys(
        head,
        {
            "id",
            "version",
            "title",
            "source",
            "default_expected_stay_days",
            "default_expected_stay_source",
        },
        "pathway",
    )
    notes = _required(data, "notes", "pathway.toml")
    _check_keys(notes, {"local_protocol_timing", "example_data"}, "notes")
    phases = []
    for table in _required(data, "phase", "pathway.toml"):
        _check_keys(table, {"id", "title"}, "phase")
        phases.append(
            PhaseDefinition(
                phase=_enum(Phase, _required(table, "id", "phase"), "phase.id"),
                title=_required(table, "title", "phase"),
            )
        )
    items = tuple(_item(table) for table in _required(data, "item", "pathway.toml"))
    for key, item_id in unwell.items():
        found = next((item for item in items if item.id == item_id), None)
        if found is None or not found.is_information:
            raise InvalidInputError(
                f"unwell_advice.{key}", f"{item_id!r} must be an information item of the pathway"
            )
    return Pathway(
        id=_required(head, "id", "pathway"),
        version=_required(head, "version", "pathway"),
        title=_required(head, "title", "pathway"),
        phases=tuple(phases),
        items=items,
        default_expected_stay_days=_required(head, "default_expected_stay_days", "pathway"),
        default_expected_stay_source=_required(head, "default_expected_stay_source", "pathway"),
        local_protocol_note=_required(notes, "local_protocol_timing", "notes"),
        example_data_note=_required(notes, "example_data", "notes"),
        unwell_before_surgery=unwell.get("before_surgery"),
        unwell_after_surgery=unwell.get("after_surgery"),
    )


@cache
def load_pathway() -> Pathway:
    """The pathway shipped in ``hipcare/content/pathway.toml``."""
    return parse_pathway(_read("pathway.toml"))


def _surgeon(table: Mapping[str, Any]) -> SurgeonPreferences:
    surgeon_id = _required(table, "id", "surgeon")
    where = f"surgeon.{surgeon_id}"
    _check_keys(
        table,
        {
            "id",
            "name",
            "site",
            "weight_bearing",
            "positioning_device",
            "expected_stay_days",
            "status",
            "source",
            "rule",
        },
        where,
    )
    if _required(table, "status", where) != "local-protocol":
        raise InvalidInputError(f"{where}.status", "surgeon profiles are local protocol")
    if not str(_required(table, "source", where)).strip():
        raise InvalidInputError(f"{where}.source", "must cite where the profile comes from")
    rules = []
    for rule in table.get("rule", []):
        _check_keys(rule, {"procedures_include", "weight_bearing", "positioning_device"}, where)
        weight = rule.get("weight_bearing")
        rules.append(
            SurgeonRule(
                procedures_include=_enum(
                    Procedure,
                    _required(rule, "procedures_include", f"{where}.rule"),
                    f"{where}.rule.procedures_include",
                ),
                weight_bearing=_enum(WeightBearing, weight, f"{where}.rule.weight_bearing")
                if weight is not None
                else None,
                positioning_device=rule.get("positioning_device"),
            )
        )
    positioning = _required(table, "positioning_device", where)
    if not isinstance(positioning, bool):
        raise InvalidInputError(f"{where}.positioning_device", "must be true or false")
    return SurgeonPreferences(
        id=surgeon_id,
        name=_required(table, "name", where),
        site=_required(table, "site", where),
        weight_bearing=_enum(
            WeightBearing, _required(table, "weight_bearing", where), f"{where}.weight_bearing"
        ),
        positioning_device=positioning,
        expected_stay_days=table.get("expected_stay_days"),
        rules=tuple(rules),
    )


def parse_surgeons(text: str) -> tuple[SurgeonPreferences, ...]:
    """Surgeon profiles from the text of a surgeons TOML file."""
    data = tomllib.loads(text)
    _check_keys(data, {"surgeon"}, "surgeons.toml")
    return tuple(_surgeon(table) for table in data["surgeon"])


@cache
def load_surgeons() -> tuple[SurgeonPreferences, ...]:
    """Every surgeon profile shipped in ``hipcare/content/surgeons.toml``."""
    return parse_surgeons(_read("surgeons.toml"))


def surgeon_by_id(surgeon_id: str, field: str = "surgeon") -> SurgeonPreferences:
    """The surgeon with this id, or an error listing the ids that exist."""
    surgeons = load_surgeons()
    for surgeon in surgeons:
        if surgeon.id == surgeon_id:
            return surgeon
    known = ", ".join(s.id for s in surgeons)
    raise InvalidInputError(field, f"unknown surgeon {surgeon_id!r}; known surgeons: {known}")
