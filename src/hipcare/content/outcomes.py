"""Load the complication grades and the outcome thresholds from ``outcomes.toml``.

Every threshold carries ``source``, ``section`` and ``status``; the grades are the modified
Clavien-Dindo-Sink classification (Dodwell et al., JBJS Open Access 2018;3(4):e0020) in
order of severity and must be exactly :class:`hipcare.domain.outcomes.ComplicationGrade`.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import ComplicationGrade, OutcomeThresholds

__all__ = [
    "OutcomeContent",
    "OutcomeThreshold",
    "load_outcome_content",
    "outcome_content_from_toml",
]

_THRESHOLD_KEYS = ("id", "description", "value", "unit", "source", "section", "status")
_STATUSES = ("guideline", "local-protocol")
_INTEGER_THRESHOLDS = {
    "surveillance_coverage_window": "surveillance_coverage_window_months",
    "readmission_window": "readmission_window_days",
    "follow_up_film_window": "follow_up_film_window_days",
}
_PERCENT_THRESHOLDS = {
    "hip_failure_migration_percentage": "hip_failure_migration_percentage",
    "surgery_considered_migration_percentage": "surgery_considered_migration_percentage",
}


@dataclass(frozen=True)
class OutcomeThreshold:
    """One cited number of ``outcomes.toml``."""

    id: str
    description: str
    value: float
    unit: str
    source: str
    section: str
    status: str


@dataclass(frozen=True)
class OutcomeContent:
    """The grades (code -> description), their citation, and the cited thresholds."""

    classification_name: str
    classification_source: str
    grade_descriptions: dict[ComplicationGrade, str]
    thresholds: OutcomeThresholds
    threshold_rules: tuple[OutcomeThreshold, ...]

    @property
    def local_protocol_ids(self) -> tuple[str, ...]:
        """The thresholds that are this service's own choice ("to be confirmed")."""
        return tuple(rule.id for rule in self.threshold_rules if rule.status == "local-protocol")


def _threshold(table: dict[str, Any]) -> OutcomeThreshold:
    rule_id = str(table.get("id", "?"))
    missing = [key for key in _THRESHOLD_KEYS if not str(table.get(key, "")).strip()]
    if missing:
        raise InvalidInputError(
            f"outcomes.toml threshold {rule_id}", f"missing {', '.join(missing)}"
        )
    if table["status"] not in _STATUSES:
        raise InvalidInputError(
            f"outcomes.toml threshold {rule_id}.status", f"must be one of {', '.join(_STATUSES)}"
        )
    value = table["value"]
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError(f"outcomes.toml threshold {rule_id}.value", "is not a number")
    return OutcomeThreshold(
        id=rule_id,
        description=str(table["description"]),
        value=float(value),
        unit=str(table["unit"]),
        source=str(table["source"]),
        section=str(table["section"]),
        status=str(table["status"]),
    )


def outcome_content_from_toml(text: str) -> OutcomeContent:
    """Parse ``outcomes.toml``; refuse a file whose grades or thresholds are missing or uncited."""
    document = tomllib.loads(text)
    classification = document.get("classification")
    if not isinstance(classification, dict):
        raise InvalidInputError("outcomes.toml", "missing the [classification] table")
    for key in ("name", "source", "section"):
        if not str(classification.get(key, "")).strip():
            raise InvalidInputError("outcomes.toml classification", f"missing {key}")
    grades = document.get("grade", [])
    codes = [str(grade.get("code")) for grade in grades]
    expected = [grade.value for grade in ComplicationGrade]
    if codes != expected:
        raise InvalidInputError(
            "outcomes.toml grade", f"must list {', '.join(expected)} in order, not {codes}"
        )
    descriptions = {}
    for grade in grades:
        if not str(grade.get("description", "")).strip():
            raise InvalidInputError(f"outcomes.toml grade {grade['code']}", "missing description")
        descriptions[ComplicationGrade(grade["code"])] = str(grade["description"])
    rules = tuple(_threshold(table) for table in document.get("threshold", []))
    by_id = {rule.id: rule for rule in rules}
    absent = [key for key in (*_PERCENT_THRESHOLDS, *_INTEGER_THRESHOLDS) if key not in by_id]
    if absent:
        raise InvalidInputError("outcomes.toml", f"missing thresholds: {', '.join(absent)}")
    values: dict[str, Any] = {
        name: by_id[rule_id].value for rule_id, name in _PERCENT_THRESHOLDS.items()
    }
    for rule_id, name in _INTEGER_THRESHOLDS.items():
        value = by_id[rule_id].value
        if value != int(value):
            raise InvalidInputError(f"outcomes.toml threshold {rule_id}.value", "must be whole")
        values[name] = int(value)
    return OutcomeContent(
        classification_name=str(classification["name"]),
        classification_source=str(classification["source"]),
        grade_descriptions=descriptions,
        thresholds=OutcomeThresholds(**values),
        threshold_rules=rules,
    )


@cache
def load_outcome_content() -> OutcomeContent:
    """The grades and thresholds shipped in ``hipcare/content/outcomes.toml``."""
    text = resources.files("hipcare.content").joinpath("outcomes.toml").read_text("utf-8")
    return outcome_content_from_toml(text)
