"""Use case: a child's surveillance history as JSON -> next review, actions and cited rules.

The JSON shapes are the ``hipcare surveillance`` contract, documented in
``docs/clinical/surveillance.md``. The rule set is handed in by the entry point (loaded from
``hipcare/content/surveillance.toml``).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.gmfcs import parse_gmfcs
from hipcare.domain.surveillance import (
    HipPair,
    HipProcedure,
    HipSurgery,
    SideJudgement,
    SurgerySide,
    SurveillanceInput,
    SurveillancePlan,
    SurveillanceRules,
    Visit,
    plan_surveillance,
    worklist_status,
)
from hipcare.services.json_input import parse_bool, parse_date, refuse_unknown_keys

__all__ = ["parse_surveillance_input", "plan_to_json", "surveillance_from_json"]

_TOP_LEVEL_KEYS = (
    "date_of_birth",
    "gmfcs",
    "today",
    "visits",
    "gestation_weeks",
    "skeletal_maturity_reached",
    "winters_gage_hicks_type_iv",
    "hip_surgery",
    "triradiate_cartilage_closed",
)
_EXAMINATION_KEYS = (
    "pelvic_obliquity_deg",
    "hip_pain",
    "passive_abduction_deg",
    "scoliosis",
    "windswept_posture",
)
_VISIT_KEYS = (
    "date",
    "xray",
    "migration_percentage",
    "head_shaft_angle_deg",
    *_EXAMINATION_KEYS,
    "examination",
)
_SURGERY_KEYS = ("date", "side", "procedure")
_SIDE_KEYS = ("right", "left")


def _parse_bool(value: object, field: str) -> bool:
    return parse_bool(value, field, "{value!r} must be true or false")


def _check_keys(document: Mapping[str, Any], known: tuple[str, ...], where: str) -> None:
    refuse_unknown_keys(document, known, f"{where}." if where else "")


def _parse_pair(value: object, field: str, unit: str) -> HipPair | None:
    if value is None:
        return None
    if not isinstance(value, dict):
        raise InvalidInputError(field, 'must be an object like {"right": 12, "left": 14}')
    _check_keys(value, _SIDE_KEYS, field)
    sides: dict[str, float | None] = {}
    for side in _SIDE_KEYS:
        number = value.get(side)
        if number is not None and (isinstance(number, bool) or not isinstance(number, int | float)):
            raise InvalidInputError(f"{field}.{side}", f"{number!r} is not a number ({unit})")
        sides[side] = None if number is None else float(number)
    return HipPair(right=sides["right"], left=sides["left"])


def _parse_visit(value: object, field: str) -> Visit:
    if not isinstance(value, dict):
        raise InvalidInputError(field, "must be an object with date and xray")
    _check_keys(value, _VISIT_KEYS, field)
    if "date" not in value:
        raise InvalidInputError(f"{field}.date", "is missing; write it as YYYY-MM-DD")
    if "xray" not in value:
        raise InvalidInputError(f"{field}.xray", "is missing; say whether an X-ray was taken")
    nested = _examination(value, field)
    value = {**value, **nested}
    try:
        return Visit(
            date=parse_date(value["date"], "date"),
            xray=_parse_bool(value["xray"], "xray"),
            migration_percentage=_parse_pair(
                value.get("migration_percentage"), "migration_percentage", "percent"
            ),
            head_shaft_angle_deg=_parse_pair(
                value.get("head_shaft_angle_deg"), "head_shaft_angle_deg", "degrees"
            ),
            pelvic_obliquity_deg=_parse_degrees(value.get("pelvic_obliquity_deg")),
            hip_pain=_parse_optional_bool(value.get("hip_pain"), "hip_pain"),
            passive_abduction_deg=_parse_pair(
                value.get("passive_abduction_deg"), "passive_abduction_deg", "degrees"
            ),
            scoliosis=_parse_optional_bool(value.get("scoliosis"), "scoliosis"),
            windswept_posture=_parse_optional_bool(
                value.get("windswept_posture"), "windswept_posture"
            ),
        )
    except InvalidInputError as error:
        where = "examination." if error.field.split(".")[0] in nested else ""
        raise InvalidInputError(f"{field}.{where}{error.field}", error.problem) from None


def _examination(visit: Mapping[str, Any], field: str) -> dict[str, Any]:
    """The visit's examination findings given as a nested ``examination`` object, if any
    (the same fields may be given on the visit itself, but not both ways at once)."""
    nested = visit.get("examination")
    if nested is None:
        return {}
    if not isinstance(nested, dict):
        raise InvalidInputError(
            f"{field}.examination", f"must be an object with {', '.join(_EXAMINATION_KEYS)}"
        )
    _check_keys(nested, _EXAMINATION_KEYS, f"{field}.examination")
    for key in nested:
        if key in visit:
            raise InvalidInputError(
                f"{field}.examination.{key}", "is also given on the visit; give it once"
            )
    return nested


def parse_examination(value: object, field: str = "examination") -> dict[str, Any]:
    """Examination findings of one visit as a JSON object (``hip_pain``,
    ``pelvic_obliquity_deg``, ``passive_abduction_deg`` per hip, ``scoliosis``,
    ``windswept_posture``), checked by the surveillance domain's ranges: the findings given,
    as numbers and booleans, ready to store with the visit."""
    if not isinstance(value, dict):
        raise InvalidInputError(field, f"must be an object with {', '.join(_EXAMINATION_KEYS)}")
    try:
        visit = _parse_visit({"date": "2000-01-01", "xray": False, "examination": value}, "visit")
    except InvalidInputError as error:
        inner = error.field.removeprefix("visit.examination").lstrip(".")
        raise InvalidInputError(f"{field}.{inner}" if inner else field, error.problem) from None
    found = visit.examination()
    abduction = found.get("passive_abduction_deg")
    if isinstance(abduction, dict):  # keep only the hips examined
        found["passive_abduction_deg"] = {
            side: degrees for side, degrees in abduction.items() if degrees is not None
        }
    return found


def _parse_optional_bool(value: object, field: str) -> bool | None:
    return None if value is None else _parse_bool(value, field)


def _parse_degrees(value: object) -> float | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError("pelvic_obliquity_deg", f"{value!r} is not a number of degrees")
    return float(value)


def _parse_surgery(value: object, field: str) -> HipSurgery:
    if not isinstance(value, dict):
        raise InvalidInputError(field, "must be an object with date, side and procedure")
    _check_keys(value, _SURGERY_KEYS, field)
    for key in _SURGERY_KEYS:
        if key not in value:
            raise InvalidInputError(f"{field}.{key}", "is missing")
    try:
        side = SurgerySide(value["side"])
    except (ValueError, TypeError):
        raise InvalidInputError(
            f"{field}.side", f"{value['side']!r} is not a side; give right, left or both"
        ) from None
    try:
        procedure = HipProcedure(value["procedure"])
    except (ValueError, TypeError):
        known = ", ".join(item.value for item in HipProcedure)
        raise InvalidInputError(
            f"{field}.procedure", f"{value['procedure']!r} is not a known procedure; give {known}"
        ) from None
    return HipSurgery(
        date=parse_date(value["date"], f"{field}.date"), side=side, procedure=procedure
    )


def parse_surveillance_input(document: object) -> SurveillanceInput:
    """The domain input for one child from the JSON ``document``; errors name the field.

    ``today`` is part of the input: the answer depends on it and hipcare never guesses it.
    """
    if not isinstance(document, dict):
        raise InvalidInputError("input", "expected a JSON object with date_of_birth and gmfcs")
    _check_keys(document, _TOP_LEVEL_KEYS, "")
    if "date_of_birth" not in document:
        raise InvalidInputError("date_of_birth", "is missing; write it as YYYY-MM-DD")
    if "gmfcs" not in document:
        raise InvalidInputError("gmfcs", "is missing; give I, II, III, IV, V or 'unknown'")
    if "today" not in document:
        raise InvalidInputError("today", "is missing; write it as YYYY-MM-DD")
    today = parse_date(document["today"], "today")
    raw_visits = document.get("visits", [])
    if not isinstance(raw_visits, list):
        raise InvalidInputError("visits", "must be a list of visits")
    raw_surgery = document.get("hip_surgery", [])
    if not isinstance(raw_surgery, list):
        raise InvalidInputError("hip_surgery", "must be a list of operations done")
    gestation = document.get("gestation_weeks")
    if gestation is not None and (
        isinstance(gestation, bool) or not isinstance(gestation, int | float)
    ):
        raise InvalidInputError("gestation_weeks", f"{gestation!r} is not a number of weeks")
    return SurveillanceInput(
        date_of_birth=parse_date(document["date_of_birth"], "date_of_birth"),
        gmfcs=parse_gmfcs(document["gmfcs"]),
        today=today,
        visits=tuple(
            _parse_visit(visit, f"visits[{index}]") for index, visit in enumerate(raw_visits)
        ),
        gestation_weeks=None if gestation is None else float(gestation),
        skeletal_maturity_reached=_parse_bool(
            document.get("skeletal_maturity_reached", False), "skeletal_maturity_reached"
        ),
        winters_gage_hicks_type_iv=_parse_bool(
            document.get("winters_gage_hicks_type_iv", False), "winters_gage_hicks_type_iv"
        ),
        hip_surgery=tuple(
            _parse_surgery(surgery, f"hip_surgery[{index}]")
            for index, surgery in enumerate(raw_surgery)
        ),
        triradiate_cartilage_closed=_parse_bool(
            document.get("triradiate_cartilage_closed", False), "triradiate_cartilage_closed"
        ),
    )


def _iso(day: date | None) -> str | None:
    return None if day is None else day.isoformat()


def _judgement_json(judgement: SideJudgement) -> dict[str, Any]:
    return {
        "migration_percentage": judgement.latest_percent,
        "film_date": _iso(judgement.latest_date),
        "stability": judgement.stability.value,
        "rise_percent": judgement.rise_percent,
        "compared_with": _iso(judgement.compared_with),
        "abnormal": judgement.abnormal,
        "head_shaft_angle_deg": judgement.head_shaft_angle_deg,
        "rise_per_year": judgement.rise_per_year,
        "accelerating": judgement.accelerating,
        "judged_from": _iso(judgement.judged_from),
    }


def plan_to_json(plan: SurveillancePlan, rules: SurveillanceRules) -> dict[str, Any]:
    """The ``hipcare surveillance`` output for ``plan`` (docs/clinical/surveillance.md)."""
    cited = []
    for rule_id in plan.rule_ids:
        rule = rules.by_id(rule_id)
        if rule is None:  # pragma: no cover -- plan_surveillance only cites rules it was given
            continue
        entry: dict[str, Any] = {
            "rule_id": rule.id,
            "source": rule.citation.source,
            "section": rule.citation.section,
            "status": rule.citation.status.value,
        }
        if rule.citation.note:
            entry["note"] = rule.citation.note
        cited.append(entry)
    review = plan.review
    return {
        "next_review": _iso(plan.next_review),
        "xray_at_next_review": bool(review and review.xray),
        "actions": [
            {"action": action.code.value, "text": action.text, "rule": action.rule_id}
            for action in plan.actions
        ],
        "rules": cited,
        "overdue": plan.overdue,
        "status": worklist_status(plan, plan.today).value,
        "next_review_rule": None if review is None else review.rule_id,
        "due_from": None if review is None else review.due_from.isoformat(),
        "due_by": None if review is None else review.due_by.isoformat(),
        "discharged": plan.discharged,
        "outside_guideline": plan.outside_guideline,
        "to_be_confirmed_by_clinical_lead": any(
            entry["status"] == "local-protocol" for entry in cited
        ),
        "age_months": plan.age_months,
        "corrected_age_months": plan.corrected_age_months,
        "hips": {judgement.side: _judgement_json(judgement) for judgement in plan.judgements},
        "notes": list(plan.notes),
        "melbourne_grade": plan.melbourne_grade,
        "examination": plan.examination,
    }


def surveillance_from_json(document: object, rules: SurveillanceRules) -> dict[str, Any]:
    """Parse ``document``, plan the child's surveillance with ``rules``, return the output JSON."""
    child = parse_surveillance_input(document)
    return plan_to_json(plan_surveillance(child, rules), rules)
