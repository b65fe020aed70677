"""What the operation use cases share: the pathway content handed in, the day-of-surgery
details, the surgery-date bounds, the clinician check and finding a child's operation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.day_of_surgery import DayOfSurgery, DayOfSurgeryDefaults
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import (
    Pathway,
    SurgeonPreferences,
)
from hipcare.domain.records import (
    Child,
    EntityType,
    OperationPlan,
    Role,
    User,
)
from hipcare.services.access import child_for, deny
from hipcare.services.json_input import parse_bool
from hipcare.services.ports import UnitOfWork

__all__ = [
    "DAY_OF_SURGERY_KEYS",
    "MAX_YEARS_AHEAD",
    "PathwayContent",
    "check_surgery_date",
    "child_and_operation",
    "day_of_surgery_for",
    "require_clinician",
    "true_or_false",
]

DAY_OF_SURGERY_KEYS = (
    "arrival_time",
    "arrival_place",
    "food_stop_time",
    "milk_stop_time",
    "clear_fluids_stop_time",
    "what_to_bring",
)
MAX_YEARS_AHEAD = 3
"""Furthest a surgery date may be planned ahead (input sanity, not a clinical rule)."""


@dataclass(frozen=True)
class PathwayContent:
    """The pathway definition, the surgeons' profiles by id, and site names by id."""

    pathway: Pathway
    surgeons: Mapping[str, SurgeonPreferences]
    site_names: Mapping[str, str]
    day_of_surgery: Mapping[str, DayOfSurgeryDefaults] = dataclasses.field(default_factory=dict)
    """Each site's day-of-surgery defaults by site id (local protocol)."""

    @classmethod
    def of(
        cls,
        pathway: Pathway,
        surgeons: Sequence[SurgeonPreferences],
        site_names: Mapping[str, str],
        day_of_surgery: Mapping[str, DayOfSurgeryDefaults] | None = None,
    ) -> PathwayContent:
        return cls(
            pathway,
            {surgeon.id: surgeon for surgeon in surgeons},
            dict(site_names),
            dict(day_of_surgery or {}),
        )


def day_of_surgery_for(
    site_id: str, document: object, content: PathwayContent
) -> DayOfSurgery | None:
    """The day of surgery from the site's defaults and a clinician's ``document`` (keys
    :data:`DAY_OF_SURGERY_KEYS`, each optional). Without site defaults every key is needed;
    with neither, None."""
    if document is None:
        document = {}
    if not isinstance(document, Mapping):
        raise InvalidInputError(
            "day_of_surgery", 'must be a JSON object such as {"arrival_time": "07:00"}'
        )
    for key in document:
        if key not in DAY_OF_SURGERY_KEYS:
            raise InvalidInputError(
                f"day_of_surgery.{key}", f"unknown field; use {', '.join(DAY_OF_SURGERY_KEYS)}"
            )
    defaults = content.day_of_surgery.get(site_id)
    try:
        if defaults is not None:
            return defaults.day(document)
        given = {key: value for key, value in document.items() if value not in (None, "")}
        if not given:
            return None
        missing = [key for key in DAY_OF_SURGERY_KEYS[:5] if key not in given]
        if missing:
            raise InvalidInputError(missing[0], "is missing (the site has no defaults)")
        return DayOfSurgery(**given, to_be_confirmed=False)
    except InvalidInputError as error:
        field = error.field.removeprefix("day_of_surgery.")
        raise InvalidInputError(f"day_of_surgery.{field}", error.problem) from None


def require_clinician(
    uow: UnitOfWork, actor: User, child_id: int, now: datetime, doing: str
) -> None:
    if actor.role is not Role.CLINICIAN:
        deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor.id} is a {actor.role}; only a clinician {doing}",
        )


def true_or_false(value: object, field: str) -> bool:
    return parse_bool(value, field, "must be true or false")


def check_surgery_date(surgery_date: date, today: date) -> None:
    """Not in the past, and within :data:`MAX_YEARS_AHEAD` years (a sanity bound on typing,
    which also keeps every pathway date, up to two years after surgery, a real date)."""
    if surgery_date < today:
        raise InvalidInputError(
            "surgery_date", f"{surgery_date.isoformat()} is in the past (today is {today})"
        )
    if (surgery_date - today).days > MAX_YEARS_AHEAD * 366:
        raise InvalidInputError(
            "surgery_date",
            f"{surgery_date.isoformat()} is more than {MAX_YEARS_AHEAD} years ahead; check it",
        )


def child_and_operation(
    uow: UnitOfWork, actor: User, child_id: int, operation_id: int, now: datetime
) -> tuple[Child, OperationPlan]:
    child = child_for(uow, actor, child_id, now)
    plan = uow.operation_plans.get(operation_id)
    if plan is None or plan.child_id != child_id or plan.id is None:
        raise InvalidInputError("operation_id", f"the child has no operation {operation_id}")
    return child, plan
