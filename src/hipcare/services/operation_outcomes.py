"""Use cases: record and read what happened after an operation; open a site's report.

A clinician (surgeon, nurse or any clinician) of the child's site records the outcome of an
operation that has a surgery date: admission and discharge dates (the length of stay),
complications graded by the modified Clavien-Dindo-Sink classification (Dodwell et al., JBJS
Open Access 2018;3(4):e0020; grades in ``content/outcomes.toml``) each with a short
description and its date, readmissions (the report counts those within 30 days of
discharge), an unplanned return to theatre, re-operations on an operated hip, and the plate
removal date. Recording replaces the whole record. Impossible input raises
:class:`InvalidInputError` naming the JSON field; anyone else is refused
(:class:`PermissionDeniedError`, with an ``access.denied`` audit row). Reads and writes are
audited against the child's record; opening a site report against the site.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import (
    Complication,
    ComplicationGrade,
    OperationOutcome,
    OutcomeThresholds,
    Reoperation,
)
from hipcare.domain.pathway import Sides
from hipcare.domain.radiograph import Side
from hipcare.domain.records import (
    AuditAction,
    EntityType,
    OperationPlan,
    Role,
    User,
    refuse_control_characters,
)
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.json_input import json_object, parse_date, refuse_unknown_keys
from hipcare.services.ports import RecordedComplication, RecordedOutcome, UnitOfWork

__all__ = [
    "COMPLICATION_KEYS",
    "OUTCOME_KEYS",
    "REOPERATION_KEYS",
    "OutcomeView",
    "open_site_report",
    "operation_outcome",
    "outcome_document",
    "outcome_value",
    "record_operation_outcome",
]

OUTCOME_KEYS = (
    "admission_date",
    "discharge_date",
    "complications",
    "readmission_dates",
    "return_to_theatre",
    "reoperations",
    "plate_removal_date",
)
COMPLICATION_KEYS = ("grade", "description", "date")
REOPERATION_KEYS = ("side", "date")
DESCRIPTION_MAX_CHARACTERS = 200
"""A complication's description is kept short: the grade carries the classification."""


@dataclass(frozen=True)
class OutcomeView:
    """An operation, whose child it is, and its recorded outcome (None: nothing recorded)."""

    plan: OperationPlan
    site_id: str
    recorded: RecordedOutcome | None

    @property
    def operation_id(self) -> int:
        assert self.plan.id is not None  # noqa: S101 -- views are made of stored plans
        return self.plan.id

    @property
    def length_of_stay_days(self) -> int | None:
        recorded = self.recorded
        if recorded is None or recorded.admission_date is None or recorded.discharge_date is None:
            return None
        return (recorded.discharge_date - recorded.admission_date).days

    def readmitted_within(self, window_days: int) -> bool | None:
        """A readmission within ``window_days`` of discharge (None: discharge not recorded)."""
        recorded = self.recorded
        if recorded is None or recorded.discharge_date is None:
            return None
        discharge = recorded.discharge_date
        return any(
            (readmission - discharge).days <= window_days
            for readmission in recorded.readmission_dates
        )


def _sides(sides: Sides) -> tuple[Side, ...]:
    if sides is Sides.BOTH:
        return (Side.RIGHT, Side.LEFT)
    return (Side(sides.value),)


def _clinician_for_plan(
    uow: UnitOfWork, actor_id: int, operation_id: int, now: datetime, doing: str
) -> tuple[User, OperationPlan, str]:
    actor = find_actor(uow, actor_id)
    plan = uow.operation_plans.get(operation_id)
    if plan is None:
        raise InvalidInputError("operation_id", f"no operation with id {operation_id}")
    child = child_for(uow, actor, plan.child_id, now)
    if actor.role is not Role.CLINICIAN:
        deny(
            uow,
            actor,
            EntityType.CHILD,
            plan.child_id,
            now,
            f"user {actor.id} is a {actor.role}; only a clinician {doing}",
        )
    return actor, plan, child.site_id


def operation_outcome(
    uow: UnitOfWork, actor_id: int, operation_id: int, now: datetime
) -> OutcomeView:
    """The operation and its recorded outcome, for a clinician of the child's site (audited)."""
    with uow:
        actor, plan, site_id = _clinician_for_plan(
            uow, actor_id, operation_id, now, "reads outcomes"
        )
        recorded = uow.operation_outcomes.get(operation_id)
        write_audit(uow, actor, AuditAction.OUTCOME_READ, EntityType.CHILD, plan.child_id, now)
        uow.commit()
    return OutcomeView(plan, site_id, recorded)


def _optional_date(document: Mapping[str, Any], key: str) -> date | None:
    value = document.get(key)
    if value is None or value == "":
        return None
    return parse_date(value, key)


def _list(document: Mapping[str, Any], key: str) -> list[Any]:
    value = document.get(key)
    if value is None:
        return []
    if not isinstance(value, list):
        raise InvalidInputError(key, "must be a list")
    return value


def _grade(value: object, field: str) -> ComplicationGrade:
    for grade in ComplicationGrade:
        if value == grade.value:
            return grade
    allowed = ", ".join(grade.value for grade in ComplicationGrade)
    raise InvalidInputError(field, f"{value!r} is not one of {allowed}")


def _description(value: object, field: str) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field, "describe the complication in a few words")
    text = value.strip()
    if len(text) > DESCRIPTION_MAX_CHARACTERS:
        raise InvalidInputError(
            field, f"is {len(text)} characters; keep it to {DESCRIPTION_MAX_CHARACTERS}"
        )
    refuse_control_characters(text, field)
    return text


def _complications(document: Mapping[str, Any], surgery: date) -> tuple[RecordedComplication, ...]:
    complications = []
    for index, item in enumerate(_list(document, "complications")):
        prefix = f"complications[{index}]."
        entry = json_object(item, f"complications[{index}]", "must be an object")
        refuse_unknown_keys(entry, COMPLICATION_KEYS, prefix)
        grade = _grade(entry.get("grade"), prefix + "grade")
        description = _description(entry.get("description"), prefix + "description")
        day = parse_date(entry.get("date"), prefix + "date")
        if day < surgery:
            raise InvalidInputError(prefix + "date", "is before the surgery date")
        complications.append(RecordedComplication(grade, description, day))
    return tuple(complications)


def _reoperations(document: Mapping[str, Any]) -> tuple[Reoperation, ...]:
    reoperations = []
    for index, item in enumerate(_list(document, "reoperations")):
        prefix = f"reoperations[{index}]."
        entry = json_object(item, f"reoperations[{index}]", "must be an object")
        refuse_unknown_keys(entry, REOPERATION_KEYS, prefix)
        try:
            side = Side(entry.get("side"))
        except ValueError:
            raise InvalidInputError(prefix + "side", "must be 'right' or 'left'") from None
        reoperations.append(Reoperation(side, parse_date(entry.get("date"), prefix + "date")))
    return tuple(reoperations)


def _return_to_theatre(document: Mapping[str, Any]) -> bool | None:
    value = document.get("return_to_theatre")
    if value is None or isinstance(value, bool):
        return value
    raise InvalidInputError("return_to_theatre", "must be true, false or null (not known)")


def outcome_value(
    plan: OperationPlan, surgery: date, recorded: RecordedOutcome
) -> OperationOutcome:
    """The recorded outcome as the domain's checked :class:`OperationOutcome` (complication
    dates become days after ``surgery``); what the domain refuses is named as a JSON field."""
    try:
        return OperationOutcome(
            operation_id=recorded.operation_plan_id,
            child_id=plan.child_id,
            sides=_sides(plan.sides),
            procedures=plan.procedures,
            surgery_date=surgery,
            admission_date=recorded.admission_date,
            discharge_date=recorded.discharge_date,
            complications=tuple(
                Complication(item.grade, (item.complication_date - surgery).days)
                for item in recorded.complications
            ),
            readmission_dates=recorded.readmission_dates,
            return_to_theatre=recorded.return_to_theatre,
            reoperations=recorded.reoperations,
            plate_removal_date=recorded.plate_removal_date,
        )
    except InvalidInputError as error:
        field = error.field.removeprefix("outcome.").replace(".reoperation_date", ".date")
        raise InvalidInputError(field, error.problem) from None


def record_operation_outcome(
    uow: UnitOfWork,
    actor_id: int,
    operation_id: int,
    document: Mapping[str, Any],
    now: datetime,
) -> OutcomeView:
    """Record (replace) the outcome of a clinician's site's operation from a JSON object."""
    with uow:
        actor, plan, site_id = _clinician_for_plan(
            uow, actor_id, operation_id, now, "records outcomes"
        )
        document = json_object(document, "outcome", "must be a JSON object")
        refuse_unknown_keys(document, OUTCOME_KEYS)
        if plan.surgery_date is None:
            raise InvalidInputError(
                "operation_id", "the operation has no surgery date yet; set it first"
            )
        readmissions = tuple(
            parse_date(value, f"readmission_dates[{index}]")
            for index, value in enumerate(_list(document, "readmission_dates"))
        )
        assert actor.id is not None  # noqa: S101 -- find_actor returns stored users
        recorded = RecordedOutcome(
            operation_plan_id=operation_id,
            admission_date=_optional_date(document, "admission_date"),
            discharge_date=_optional_date(document, "discharge_date"),
            complications=_complications(document, plan.surgery_date),
            readmission_dates=tuple(sorted(readmissions)),
            return_to_theatre=_return_to_theatre(document),
            reoperations=tuple(
                sorted(_reoperations(document), key=lambda item: item.reoperation_date)
            ),
            plate_removal_date=_optional_date(document, "plate_removal_date"),
            recorded_by=actor.id,
            recorded_at=now,
        )
        outcome_value(plan, plan.surgery_date, recorded)
        uow.operation_outcomes.save(recorded)
        write_audit(uow, actor, AuditAction.OUTCOME_RECORDED, EntityType.CHILD, plan.child_id, now)
        uow.commit()
    return OutcomeView(plan, site_id, recorded)


def open_site_report(uow: UnitOfWork, actor_id: int, site_id: str, now: datetime) -> None:
    """Let a clinician of ``site_id`` open its outcomes report (audited); refuse anyone else."""
    with uow:
        actor = find_actor(uow, actor_id)
        if uow.sites.get(site_id) is None:
            raise InvalidInputError("site_id", f"no site has the id {site_id!r}")
        if actor.role is not Role.CLINICIAN or not actor.belongs_to(site_id):
            deny(
                uow,
                actor,
                EntityType.SITE,
                site_id,
                now,
                f"user {actor.id} is not a clinician of site {site_id}",
            )
        write_audit(uow, actor, AuditAction.SITE_REPORT_READ, EntityType.SITE, site_id, now)
        uow.commit()


def outcome_document(view: OutcomeView, thresholds: OutcomeThresholds) -> dict[str, Any]:
    """The outcome as the API returns it (dates ISO; null and [] for what is not recorded);
    the readmission window is ``thresholds.readmission_window_days`` (``content/outcomes.toml``)."""
    recorded = view.recorded
    plan = view.plan
    base: dict[str, Any] = {
        "operation_id": view.operation_id,
        "child_id": plan.child_id,
        "surgery_date": None if plan.surgery_date is None else plan.surgery_date.isoformat(),
        "recorded": recorded is not None,
        "length_of_stay_days": view.length_of_stay_days,
        "readmission_window_days": thresholds.readmission_window_days,
        "readmitted_within_window": view.readmitted_within(thresholds.readmission_window_days),
    }
    if recorded is None:
        return {
            **base,
            **dict.fromkeys(
                ("admission_date", "discharge_date", "return_to_theatre", "plate_removal_date")
            ),
            "complications": [],
            "readmission_dates": [],
            "reoperations": [],
        }

    def iso(day: date | None) -> str | None:
        return None if day is None else day.isoformat()

    return {
        **base,
        "admission_date": iso(recorded.admission_date),
        "discharge_date": iso(recorded.discharge_date),
        "complications": [
            {
                "grade": item.grade.value,
                "description": item.description,
                "date": item.complication_date.isoformat(),
            }
            for item in recorded.complications
        ],
        "readmission_dates": [day.isoformat() for day in recorded.readmission_dates],
        "return_to_theatre": recorded.return_to_theatre,
        "reoperations": [
            {"side": item.side.value, "date": item.reoperation_date.isoformat()}
            for item in recorded.reoperations
        ],
        "plate_removal_date": iso(recorded.plate_removal_date),
        "recorded_by": recorded.recorded_by,
        "recorded_at": recorded.recorded_at.isoformat(),
    }
