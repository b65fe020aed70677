"""Load the hip surveillance rules (``surveillance.toml``) into the domain's rule values.

A rule without ``id``, ``kind``, ``source``, ``section`` or ``status`` — or a local-protocol
rule without its ``note`` — makes the whole file refuse to load, naming the rule and the key.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.surveillance import (
    Citation,
    RuleKind,
    RuleStatus,
    SurveillanceRule,
    SurveillanceRules,
)

__all__ = ["SurveillanceContentError", "load_surveillance_rules", "parse_surveillance_rules"]

_CITATION_KEYS = ("source", "section", "status")
_INT_KEYS = frozenset(
    {
        "window_from_age_months",
        "window_to_age_months",
        "interval_months",
        "from_age_months",
        "to_age_months",
        "over_months",
        "until_chronological_age_months",
        "limit_age_months",
        "window_before_age_months",
        "pair_from_months",
        "pair_to_months",
        "min_interval_months",
        "after_stable_films_months",
        "films_from_weeks_after",
    }
)
_NUMBER_KEYS = frozenset(
    {
        "threshold_percent",
        "rise_percent",
        "born_before_weeks",
        "term_weeks",
        "change_error_points",
        "above_percent",
        "pelvic_obliquity_over_deg",
        "abduction_below_deg",
    }
)
_BOOL_KEYS = frozenset({"xray", "requires_stable"})
_TEXT_KEYS = frozenset({"after_review"})


class SurveillanceContentError(ValueError):
    """The surveillance rules file is incomplete or malformed (a packaging fault, not input)."""


def _rule_from_table(table: dict[str, Any], position: int) -> SurveillanceRule:
    rule_id = table.get("id")
    where = f"rule {rule_id!r}" if isinstance(rule_id, str) else f"rule #{position + 1}"
    if not isinstance(rule_id, str) or not rule_id.strip():
        raise SurveillanceContentError(f"{where}: missing 'id'")
    for key in ("kind", "title", *_CITATION_KEYS):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise SurveillanceContentError(f"{where}: missing '{key}' (every rule cites it)")
    try:
        kind = RuleKind(table["kind"])
    except ValueError:
        raise SurveillanceContentError(f"{where}: unknown kind {table['kind']!r}") from None
    try:
        status = RuleStatus(table["status"])
    except ValueError:
        raise SurveillanceContentError(
            f"{where}: status must be 'guideline' or 'local-protocol', not {table['status']!r}"
        ) from None
    parameters: dict[str, Any] = {}
    for key, value in table.items():
        if key in {"id", "kind", "title", "note", *_CITATION_KEYS}:
            continue
        if key == "gmfcs":
            if not isinstance(value, list):
                raise SurveillanceContentError(f"{where}: 'gmfcs' must be a list of levels")
            try:
                parameters[key] = frozenset(GMFCS(level) for level in value)
            except ValueError:
                raise SurveillanceContentError(f"{where}: unknown GMFCS level in {value}") from None
        elif key in _INT_KEYS:
            if isinstance(value, bool) or not isinstance(value, int):
                raise SurveillanceContentError(f"{where}: '{key}' must be a whole number")
            parameters[key] = value
        elif key in _NUMBER_KEYS:
            if isinstance(value, bool) or not isinstance(value, int | float):
                raise SurveillanceContentError(f"{where}: '{key}' must be a number")
            parameters[key] = float(value)
        elif key in _BOOL_KEYS:
            if not isinstance(value, bool):
                raise SurveillanceContentError(f"{where}: '{key}' must be true or false")
            parameters[key] = value
        elif key in _TEXT_KEYS:
            if not isinstance(value, str):
                raise SurveillanceContentError(f"{where}: '{key}' must be text")
            parameters[key] = value
        else:
            raise SurveillanceContentError(f"{where}: unknown key '{key}'")
    note = table.get("note")
    try:
        citation = Citation(
            source=table["source"],
            section=table["section"],
            status=status,
            note=note if isinstance(note, str) else None,
        )
        return SurveillanceRule(
            id=rule_id, kind=kind, citation=citation, title=table["title"].strip(), **parameters
        )
    except InvalidInputError as error:
        raise SurveillanceContentError(f"{where}: {error}") from None


def parse_surveillance_rules(text: str) -> SurveillanceRules:
    """The rule set in TOML ``text``, or SurveillanceContentError naming what is wrong."""
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        raise SurveillanceContentError(f"not valid TOML: {error}") from None
    tables = document.get("rule")
    if not isinstance(tables, list) or not tables:
        raise SurveillanceContentError("no [[rule]] tables found")
    rules = tuple(_rule_from_table(table, position) for position, table in enumerate(tables))
    try:
        return SurveillanceRules(rules)
    except InvalidInputError as error:
        raise SurveillanceContentError(str(error)) from None


@cache
def load_surveillance_rules() -> SurveillanceRules:
    """The rules shipped in ``hipcare/content/surveillance.toml``."""
    text = (
        resources.files("hipcare.content").joinpath("surveillance.toml").read_text(encoding="utf-8")
    )
    return parse_surveillance_rules(text)
