"""Use cases around a VDRO: plan the operation, start the pathway, postpone, tick care items.

Like :mod:`hipcare.services.records`, each use case is given a unit of work, the acting
user's id, JSON-shaped input and the time (``now``; ``today`` where dates are judged), checks
that the actor is a clinician of the child's site (else :class:`PermissionDeniedError`, with
an ``access.denied`` audit row), and audits what it changed against the child's record.

The care pathway and the surgeons' preference profiles are content (``pathway.toml``,
``surgeons.toml``) that the entry point loads and hands in as a :class:`PathwayContent`.

Surgeons: the surgeon of an operation is a member of staff (a user whose profession is
surgeon) of the child's site; the user's ``surgeon_profile`` names their preference profile
in ``surgeons.toml``. Weight bearing and the positioning device default from that profile
(the fact sheet, 'After surgery': they depend on the surgeon's preference), with the
profile's rule for the procedures done. Only the operation's surgeon may set other values;
anyone else who tries is refused. A surgeon without a profile must give both.

This module plans the operation; the care pathway's use cases are in
``hipcare.services.operation_pathway`` and what both share in
``hipcare.services.operation_basics``, re-exported here under their names.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import (
    Procedure,
    Sides,
    SurgeonPreferences,
    WeightBearing,
)
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    OperationPlan,
    OperationStatus,
    Profession,
    Role,
    User,
)
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.json_input import parse_date, refuse_unknown_keys
from hipcare.services.operation_basics import (
    PathwayContent,
    check_surgery_date,
    day_of_surgery_for,
    require_clinician,
    true_or_false,
)
from hipcare.services.operation_pathway import (
    PATHWAY_FACT_KEYS,
    build_care_plan,
    build_care_plan_with_profile,
    postpone_surgery,
    record_operation_done,
    set_day_of_surgery,
    start_pathway,
    tick_care_item,
)
from hipcare.services.ports import UnitOfWork

__all__ = [
    "OPERATION_KEYS",
    "PATHWAY_FACT_KEYS",
    "PathwayContent",
    "SurgeonChoice",
    "build_care_plan",
    "build_care_plan_with_profile",
    "day_of_surgery_for",
    "operation_defaults",
    "plan_operation",
    "postpone_surgery",
    "record_operation_done",
    "set_day_of_surgery",
    "site_surgeons",
    "start_pathway",
    "tick_care_item",
]

OPERATION_KEYS = (
    "sides",
    "procedures",
    "implant",
    "plate_angle_deg",
    "surgeon_id",
    "surgery_date",
    "weight_bearing",
    "positioning_device",
    "day_of_surgery",
)


@dataclass(frozen=True)
class SurgeonChoice:
    """A surgeon of the site as the operation form offers them, with their profile if any."""

    user: User
    profile: SurgeonPreferences | None


def _enum_list(value: object) -> tuple[Procedure, ...]:
    if not isinstance(value, list) or not value:
        raise InvalidInputError("procedures", "must be a list such as ['vdro', 'dega']")
    known = ", ".join(procedure.value for procedure in Procedure)
    procedures = []
    for index, item in enumerate(value):
        try:
            procedures.append(Procedure(item))
        except ValueError:
            raise InvalidInputError(
                f"procedures[{index}]", f"{item!r} is not one of {known}"
            ) from None
    return tuple(procedures)


def _profile(user: User, content: PathwayContent) -> SurgeonPreferences | None:
    if user.surgeon_profile is None:
        return None
    return content.surgeons.get(user.surgeon_profile)


def site_surgeons(
    uow: UnitOfWork, actor_id: int, site_id: str, content: PathwayContent
) -> list[SurgeonChoice]:
    """The surgeons of a site the actor belongs to, each with their preference profile."""
    with uow:
        actor = find_actor(uow, actor_id)
        if not actor.belongs_to(site_id):
            return []
        users = [
            user
            for user in uow.users.at_site(site_id)
            if user.role is Role.CLINICIAN and user.profession is Profession.SURGEON
        ]
    return [SurgeonChoice(user, _profile(user, content)) for user in users]


def operation_defaults(
    profile: SurgeonPreferences | None, procedures: Sequence[Procedure]
) -> tuple[WeightBearing | None, bool | None]:
    """Weight bearing and positioning device from a surgeon's profile for these procedures."""
    if profile is None:
        return None, None
    return profile.weight_bearing_for(procedures), profile.positioning_device_for(procedures)


def _surgeon(uow: UnitOfWork, child: Child, surgeon_id: object) -> User:
    if isinstance(surgeon_id, bool) or not isinstance(surgeon_id, int):
        raise InvalidInputError("surgeon_id", "choose the surgeon (a user id)")
    surgeon = uow.users.get(surgeon_id)
    if (
        surgeon is None
        or surgeon.profession is not Profession.SURGEON
        or not surgeon.belongs_to(child.site_id)
    ):
        raise InvalidInputError(
            "surgeon_id", f"user {surgeon_id} is not a surgeon of the child's site"
        )
    return surgeon


def plan_operation(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    document: object,
    content: PathwayContent,
    *,
    today: date,
    now: datetime,
) -> OperationPlan:
    """Plan a VDRO for a child: sides, procedures, implant, surgeon, optional surgery date.

    ``document`` keys: ``sides`` (left/right/both), ``procedures`` (must include "vdro"),
    ``implant`` (text), optional ``plate_angle_deg``, ``surgeon_id`` (a surgeon of the site),
    optional ``surgery_date`` (YYYY-MM-DD, not before ``today``; with it the operation is
    scheduled, without it proposed), optional ``weight_bearing`` / ``positioning_device``
    (default: the surgeon's profile; only that surgeon may set other values).
    """
    if not isinstance(document, Mapping):
        raise InvalidInputError("operation", "must be a JSON object with sides and procedures")
    refuse_unknown_keys(document, OPERATION_KEYS)
    try:
        sides = Sides(str(document.get("sides")))
    except ValueError:
        raise InvalidInputError("sides", "choose left, right or both") from None
    procedures = _enum_list(document.get("procedures"))
    surgery_date = (
        None
        if document.get("surgery_date") in (None, "")
        else parse_date(document["surgery_date"], "surgery_date")
    )
    if surgery_date is not None:
        check_surgery_date(surgery_date, today)
    with uow:
        actor = find_actor(uow, actor_id)
        child = child_for(uow, actor, child_id, now, for_change=True)
        require_clinician(uow, actor, child_id, now, "plans an operation")
        surgeon = _surgeon(uow, child, document.get("surgeon_id"))
        default_weight, default_device = operation_defaults(_profile(surgeon, content), procedures)
        weight_bearing = _weight_bearing(document.get("weight_bearing"), default_weight)
        device = document.get("positioning_device")
        positioning_device = (
            default_device if device is None else true_or_false(device, "positioning_device")
        )
        if positioning_device is None:
            raise InvalidInputError(
                "positioning_device", "the surgeon has no preference profile: give true or false"
            )
        if actor.id != surgeon.id and (
            weight_bearing is not default_weight or positioning_device is not default_device
        ):
            deny(
                uow,
                actor,
                EntityType.CHILD,
                child_id,
                now,
                "only the operation's surgeon may change their weight-bearing or "
                "positioning defaults",
            )
        try:
            plan = OperationPlan(
                child_id=child_id,
                sides=sides,
                procedures=procedures,
                implant=document.get("implant", ""),
                surgeon_id=surgeon.id or 0,
                weight_bearing=weight_bearing,
                positioning_device=positioning_device,
                status=OperationStatus.PROPOSED
                if surgery_date is None
                else OperationStatus.SCHEDULED,
                plate_angle_deg=_angle(document.get("plate_angle_deg")),
                surgery_date=surgery_date,
                day_of_surgery=day_of_surgery_for(
                    child.site_id, document.get("day_of_surgery"), content
                ),
            )
        except InvalidInputError as error:
            raise InvalidInputError(error.field.removeprefix("operation."), error.problem) from None
        stored = uow.operation_plans.add(plan)
        write_audit(uow, actor, AuditAction.OPERATION_PLANNED, EntityType.CHILD, child_id, now)
        uow.commit()
    return stored


def _weight_bearing(value: object, default: WeightBearing | None) -> WeightBearing:
    if value is None or value == "":
        if default is None:
            raise InvalidInputError(
                "weight_bearing",
                "the surgeon has no preference profile: choose as-tolerated or non-weight-bearing",
            )
        return default
    try:
        return WeightBearing(str(value))
    except ValueError:
        raise InvalidInputError(
            "weight_bearing", "choose as-tolerated or non-weight-bearing"
        ) from None


def _angle(value: object) -> float | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidInputError("plate_angle_deg", f"{value!r} is not a number of degrees")
    return float(value)
