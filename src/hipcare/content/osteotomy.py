"""Load the VDRO planner's ranges and default shortening geometry from ``osteotomy.toml``."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.osteotomy import (
    OsteotomyRules,
    RangeRule,
    RuleAction,
    RuleStatus,
    ShorteningModel,
)

__all__ = ["REQUIRED_RULE_IDS", "load_osteotomy_rules", "osteotomy_rules_from_toml"]

REQUIRED_RULE_IDS = (
    "preoperative_neck_shaft_angle",
    "target_neck_shaft_angle",
    "usual_target_neck_shaft_angle",
    "anteversion",
    "usual_target_anteversion",
    "plate_angle",
    "chisel_to_neck",
    "neck_length",
)
_RULE_KEYS = ("id", "description", "low", "high", "unit", "action", "source", "section", "status")


def _enum_value(enum: type[RuleStatus] | type[RuleAction], field: str, value: Any) -> Any:
    try:
        return enum(value)
    except ValueError:
        allowed = ", ".join(member.value for member in enum)
        raise InvalidInputError(field, f"{value!r} is not one of {allowed}") from None


def _rule_from_table(table: dict[str, Any]) -> RangeRule:
    rule_id = str(table.get("id", "?"))
    missing = [key for key in _RULE_KEYS if key not in table]
    if missing:
        raise InvalidInputError(f"osteotomy.toml rule {rule_id}", f"missing {', '.join(missing)}")
    return RangeRule(
        id=rule_id,
        description=str(table["description"]),
        low=float(table["low"]),
        high=float(table["high"]),
        unit=str(table["unit"]),
        action=_enum_value(RuleAction, f"rule {rule_id}.action", table["action"]),
        source=str(table["source"]),
        section=str(table["section"]),
        status=_enum_value(RuleStatus, f"rule {rule_id}.status", table["status"]),
    )


def osteotomy_rules_from_toml(text: str) -> OsteotomyRules:
    """Parse the planner's rules from TOML text; refuse a file with a rule missing or uncited."""
    document = tomllib.loads(text)
    rules = {rule.id: rule for rule in map(_rule_from_table, document.get("rule", []))}
    absent = [rule_id for rule_id in REQUIRED_RULE_IDS if rule_id not in rules]
    if absent:
        raise InvalidInputError("osteotomy.toml", f"missing rules: {', '.join(absent)}")
    model = document.get("shortening_model")
    if not isinstance(model, dict):
        raise InvalidInputError("osteotomy.toml", "missing the [shortening_model] table")
    for key in ("source", "section", "status"):
        if not str(model.get(key, "")).strip():
            raise InvalidInputError("osteotomy.toml shortening_model", f"missing {key}")
    return OsteotomyRules(
        preoperative_neck_shaft_angle=rules["preoperative_neck_shaft_angle"],
        target_neck_shaft_angle=rules["target_neck_shaft_angle"],
        usual_target_neck_shaft_angle=rules["usual_target_neck_shaft_angle"],
        anteversion=rules["anteversion"],
        usual_target_anteversion=rules["usual_target_anteversion"],
        plate_angle=rules["plate_angle"],
        chisel_to_neck=rules["chisel_to_neck"],
        neck_length=rules["neck_length"],
        default_shortening_model=ShorteningModel(
            neck_length_mm=float(model["neck_length_mm"]),
            hinge_medial_offset_mm=float(model["hinge_medial_offset_mm"]),
            hinge_distal_offset_mm=float(model["hinge_distal_offset_mm"]),
        ),
        shortening_model_source=str(model["source"]),
        shortening_model_status=_enum_value(RuleStatus, "shortening_model.status", model["status"]),
    )


@cache
def load_osteotomy_rules() -> OsteotomyRules:
    """The rules shipped in ``hipcare/content/osteotomy.toml``."""
    text = resources.files("hipcare.content").joinpath("osteotomy.toml").read_text("utf-8")
    return osteotomy_rules_from_toml(text)
