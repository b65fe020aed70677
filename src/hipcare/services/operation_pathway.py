"""Use cases of the care pathway after an operation is planned: start it, postpone the
surgery, record the operation done, tick a care item, set the day-of-surgery details.

Each is given a unit of work, the acting user's id, JSON-shaped input and the time, checks
that the actor is a clinician of the child's site, and audits what it changed (as
:mod:`hipcare.services.operations` says). Re-exported by ``hipcare.services.operations``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date, datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import (
    CareFacts,
    CarePlan,
    ItemStatus,
    personalise,
    postpone,
)
from hipcare.domain.records import (
    AuditAction,
    CarePlanItemState,
    Child,
    EntityType,
    OperationPlan,
    OperationStatus,
    User,
)
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import (
    ConflictError,
    find_actor,
    refuse_information_tick,
    write_audit,
)
from hipcare.services.json_input import parse_date, refuse_unknown_keys
from hipcare.services.operation_basics import (
    PathwayContent,
    check_surgery_date,
    child_and_operation,
    day_of_surgery_for,
    require_clinician,
    true_or_false,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.surveillance_status import refresh_statuses

__all__ = [
    "PATHWAY_FACT_KEYS",
    "build_care_plan",
    "build_care_plan_with_profile",
    "postpone_surgery",
    "record_operation_done",
    "set_day_of_surgery",
    "start_pathway",
    "tick_care_item",
]

PATHWAY_FACT_KEYS = ("wheelchair_user", "attends_school", "sees_therapists")


def build_care_plan(
    uow: UnitOfWork, child: Child, operation: OperationPlan, content: PathwayContent
) -> CarePlan:
    """The engine's plan for a stored operation (its surgery date and facts must be known).

    The surgeon's profile, when they have one, gives the planned stay; weight bearing and the
    positioning device are the operation's own.
    """
    surgeon = uow.users.get(operation.surgeon_id)
    return build_care_plan_with_profile(
        child, operation, None if surgeon is None else surgeon.surgeon_profile, content
    )


def build_care_plan_with_profile(
    child: Child, operation: OperationPlan, surgeon_profile: str | None, content: PathwayContent
) -> CarePlan:
    """:func:`build_care_plan` for a caller that read the surgeon's profile id already."""
    if operation.surgery_date is None:
        raise InvalidInputError("surgery_date", "set the surgery date before starting the pathway")
    if None in (operation.wheelchair_user, operation.attends_school, operation.sees_therapists):
        raise InvalidInputError(
            "operation_id",
            "this plan was stored without the facts the pathway needs; start the pathway again",
        )
    profile = None if surgeon_profile is None else content.surgeons.get(surgeon_profile)
    return personalise(
        content.pathway,
        CareFacts(
            surgery_date=operation.surgery_date,
            sides=operation.sides,
            procedures=operation.procedures,
            wheelchair_user=bool(operation.wheelchair_user),
            attends_school=bool(operation.attends_school),
            sees_therapists=bool(operation.sees_therapists),
            weight_bearing=operation.weight_bearing,
            positioning_device=operation.positioning_device,
            language=child.preferred_language,
            site=child.site_id,
            surgeon=None if profile is None else profile.id,
            child_ref=f"child-{child.id}",
        ),
        profile,
        content.site_names.get(child.site_id),
        starts_on=operation.pathway_started_on,
    )


def start_pathway(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    operation_id: int,
    document: object,
    content: PathwayContent,
    *,
    now: datetime,
    today: date | None = None,
) -> tuple[CarePlanItemState, ...]:
    """Create the child's care plan from the pathway for a scheduled operation.

    The plan starts ``today`` (the site's day; default: the UTC day of ``now``): a task
    whose day falls before it is due today, never back-dated (issue 17).

    ``document`` gives the facts the pathway needs about the child (``wheelchair_user``,
    ``attends_school``, ``sees_therapists``: true or false); weight bearing and the
    positioning device come from the operation plan, the planned stay from the surgeon's
    profile (else the pathway's default). Every item the engine
    (:func:`hipcare.domain.pathway.personalise`) dates is stored, not done.
    """
    if not isinstance(document, Mapping):
        raise InvalidInputError("facts", "must be a JSON object")
    refuse_unknown_keys(document, PATHWAY_FACT_KEYS)
    facts = {key: true_or_false(document.get(key), key) for key in PATHWAY_FACT_KEYS}
    with uow:
        actor = find_actor(uow, actor_id)
        child, operation = child_and_operation(uow, actor, child_id, operation_id, now)
        require_clinician(uow, actor, child_id, now, "starts the pathway")
        if uow.care_plan_items.for_operation_plan(operation_id):
            raise InvalidInputError("operation_id", "the pathway is already started")
        if operation.status in (OperationStatus.CANCELLED, OperationStatus.DONE):
            raise InvalidInputError("operation_id", f"the operation is {operation.status}")
        operation = dataclasses.replace(
            operation,
            status=OperationStatus.SCHEDULED,
            wheelchair_user=facts["wheelchair_user"],
            attends_school=facts["attends_school"],
            sees_therapists=facts["sees_therapists"],
            pathway_started_on=today if today is not None else now.date(),
        )
        care_plan = build_care_plan(uow, child, operation, content)
        uow.operation_plans.save(operation)
        stored = []
        seen: set[str] = set()
        for item in care_plan.items:
            if item.id in seen:  # pragma: no cover -- the pathway's ids are unique
                continue
            seen.add(item.id)
            stored.append(
                uow.care_plan_items.add(
                    CarePlanItemState(
                        operation_plan_id=operation_id, item_id=item.id, due_date=item.date
                    )
                )
            )
        write_audit(uow, actor, AuditAction.PATHWAY_STARTED, EntityType.CHILD, child_id, now)
        uow.commit()
    return tuple(stored)


def postpone_surgery(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    operation_id: int,
    document: object,
    content: PathwayContent,
    *,
    today: date,
    now: datetime,
) -> tuple[CarePlanItemState, ...]:
    """Move the operation to ``document["surgery_date"]`` and re-date the care plan.

    The engine's :func:`hipcare.domain.pathway.postpone` re-dates every item not done from
    its anchor (surgery, admission, discharge); done items keep their date, who and when.

    Optional ``document["expected_surgery_date"]`` (YYYY-MM-DD, or "" when none was set) is
    the date the clinician saw, If-Match style: when someone moved it since,
    :class:`~hipcare.services.access.ConflictError` (409) and nothing changes. Done items
    whose text quoted the old date are reopened (``care-item.reopened`` audited); the
    operation keeps the old date and the moment (``postponed_from``, ``postponed_at``) for the
    family's banner. Without it the
    date read in this transaction is the precondition, so of two simultaneous postponements
    one wins and the other gets the same 409.
    """
    if not isinstance(document, Mapping) or "surgery_date" not in document:
        raise InvalidInputError("surgery_date", "is missing; write it as YYYY-MM-DD")
    new_date = parse_date(document["surgery_date"], "surgery_date")
    check_surgery_date(new_date, today)
    with uow:
        actor = find_actor(uow, actor_id)
        child, operation = child_and_operation(uow, actor, child_id, operation_id, now)
        require_clinician(uow, actor, child_id, now, "postpones an operation")
        states = list(uow.care_plan_items.for_operation_plan(operation_id))
        if not states:
            raise InvalidInputError("operation_id", "start the pathway before postponing it")
        expected = document.get("expected_surgery_date")
        if expected is not None and _date_or_none(expected) != operation.surgery_date:
            raise ConflictError(
                "expected_surgery_date",
                "someone else changed the surgery date first; nothing was changed: reload "
                "and postpone again",
            )
        if new_date == operation.surgery_date:
            raise InvalidInputError("surgery_date", "is the date already planned")
        moved = uow.operation_plans.save_if_unchanged(
            dataclasses.replace(
                operation,
                surgery_date=new_date,
                status=OperationStatus.SCHEDULED,
                postponed_from=operation.surgery_date,
                postponed_at=now,
            ),
            operation,
        )
        if moved is None:
            raise ConflictError(
                "surgery_date",
                "someone else changed the operation at the same moment; nothing was changed",
            )
        saved = _redate_care_plan(uow, actor, child, operation, states, new_date, content, now)
        write_audit(uow, actor, AuditAction.OPERATION_POSTPONED, EntityType.CHILD, child_id, now)
        uow.commit()
    return tuple(saved)


def record_operation_done(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    operation_id: int,
    document: object,
    content: PathwayContent,
    rules: SurveillanceRules,
    *,
    today: date,
    now: datetime,
) -> OperationPlan:
    """Mark the operation done on ``document["done_on"]`` (YYYY-MM-DD; default: the planned
    surgery date) and judge the child's surveillance again.

    From then on the surveillance engine counts the operation (``hip_surgery``): the child is
    not discharged before skeletal maturity, operated hips are judged from films at least
    6 weeks later, and a second operation on a hip flags a possible failure (issue 14). When
    the operation happened on another day than planned, the care plan is re-dated from the
    real day as a postponement is: open items move, done items whose text quoted the planned
    date are reopened (``care-item.reopened`` audited). The day may not be after today nor
    before the child's birth. Done or cancelled operations refuse (409); clinicians only.
    """
    if not isinstance(document, Mapping):
        raise InvalidInputError("body", "must be a JSON object")
    refuse_unknown_keys(document, ("done_on",))
    with uow:
        actor = find_actor(uow, actor_id)
        child, operation = child_and_operation(uow, actor, child_id, operation_id, now)
        require_clinician(uow, actor, child_id, now, "marks an operation done")
        raw = document.get("done_on")
        if raw in (None, ""):
            if operation.surgery_date is None:
                raise InvalidInputError("done_on", "is missing and no surgery date was planned")
            done_on = operation.surgery_date
        else:
            done_on = parse_date(raw, "done_on")
        if done_on > today:
            raise InvalidInputError("done_on", f"{done_on.isoformat()} is after today")
        if done_on < child.date_of_birth:
            raise InvalidInputError("done_on", "is before the child's birth date")
        if operation.status in (OperationStatus.DONE, OperationStatus.CANCELLED):
            raise ConflictError(
                "status", f"the operation is {operation.status.value} already; nothing changed"
            )
        done = uow.operation_plans.save_if_unchanged(
            dataclasses.replace(operation, surgery_date=done_on, status=OperationStatus.DONE),
            operation,
        )
        if done is None:
            raise ConflictError(
                "status",
                "someone else changed the operation at the same moment; nothing was changed",
            )
        states = list(uow.care_plan_items.for_operation_plan(operation_id))
        if states and done_on != operation.surgery_date:
            _redate_care_plan(uow, actor, child, operation, states, done_on, content, now)
        write_audit(uow, actor, AuditAction.OPERATION_DONE, EntityType.CHILD, child_id, now)
        refresh_statuses(uow, [child_id], rules, today=today, now=now)
        uow.commit()
    return done


def _redate_care_plan(
    uow: UnitOfWork,
    actor: User,
    child: Child,
    operation: OperationPlan,
    states: Sequence[CarePlanItemState],
    new_date: date,
    content: PathwayContent,
    now: datetime,
) -> list[CarePlanItemState]:
    """Re-date the stored care plan of ``operation`` (as planned before the change) from the
    surgery day ``new_date``: postponed, or done on another day than planned.

    The engine's :func:`hipcare.domain.pathway.postpone` re-dates every item not done from its
    anchor; done items keep their date, who and when, except those whose text quoted the old
    date: they are reopened (not done, re-dated, ``care-item.reopened`` audited) so the
    family reads and does them again (issue 17). Returns every state, saved or kept.
    """
    before = build_care_plan(uow, child, operation, content)
    stored_ids = {state.item_id for state in states}
    done_ids = [state.item_id for state in states if state.done]
    kept = dataclasses.replace(
        before, items=tuple(item for item in before.items if item.id in stored_ids)
    )
    after = postpone(kept, new_date, done_ids)
    new_dates = {item.id: item.date for item in after.items}
    reopen = {item.id for item in after.items if item.status is ItemStatus.PLANNED}
    saved = []
    for state in states:
        if state.item_id not in new_dates or (state.done and state.item_id not in reopen):
            saved.append(state)
            continue
        if state.done:
            write_audit(uow, actor, AuditAction.CARE_ITEM_REOPENED, EntityType.CHILD, child.id, now)
        saved.append(
            uow.care_plan_items.save(
                dataclasses.replace(
                    state, due_date=new_dates[state.item_id], done_at=None, done_by=None
                )
            )
        )
    return saved


def _date_or_none(value: object) -> date | None:
    return None if value in ("", None) else parse_date(value, "expected_surgery_date")


def _stored(record_id: int | None) -> int:
    if record_id is None:  # pragma: no cover -- stored records have ids
        raise RuntimeError("a stored record has an id")
    return record_id


def tick_care_item(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    operation_id: int,
    item_id: str,
    content: PathwayContent,
    *,
    now: datetime,
) -> CarePlanItemState:
    """Mark one care-plan item done by the actor, now (ticking one's own tick again changes
    nothing).

    Information is read, never ticked: refused with an :class:`InvalidInputError` naming
    ``item_id`` (422), as the family's tick refuses it
    (:func:`~hipcare.services.access.refuse_information_tick`). An item done by someone else
    (already, or by another tick in the same moment) raises
    :class:`~hipcare.services.access.ConflictError` and changes nothing.
    """
    with uow:
        actor = find_actor(uow, actor_id)
        child_and_operation(uow, actor, child_id, operation_id, now)
        require_clinician(uow, actor, child_id, now, "ticks care-plan items")
        state = next(
            (
                state
                for state in uow.care_plan_items.for_operation_plan(operation_id)
                if state.item_id == item_id
            ),
            None,
        )
        if state is None:
            raise InvalidInputError("item_id", f"the care plan has no item {item_id!r}")
        refuse_information_tick(content.pathway, item_id)
        if state.done and state.done_by == actor.id:
            return state  # the same person ticking again (a second tab): nothing changes
        done = uow.care_plan_items.mark_done(_stored(state.id), now, _stored(actor.id))
        if done is None:
            raise ConflictError(
                "item_id", f"{item_id!r} was ticked by someone else first; nothing was changed"
            )
        write_audit(uow, actor, AuditAction.CARE_ITEM_TICKED, EntityType.CHILD, child_id, now)
        uow.commit()
    return done


def set_day_of_surgery(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    operation_id: int,
    document: object,
    content: PathwayContent,
    *,
    now: datetime,
) -> OperationPlan:
    """Set the day of surgery (fasting stops, arrival, what to bring) of an operation: the
    site's defaults with the clinician's values (:func:`day_of_surgery_for`); audited as
    ``day-of-surgery.set``. Empty values go back to the site's defaults."""
    with uow:
        actor = find_actor(uow, actor_id)
        child, operation = child_and_operation(uow, actor, child_id, operation_id, now)
        require_clinician(uow, actor, child_id, now, "sets the day of surgery")
        if operation.status in (OperationStatus.CANCELLED, OperationStatus.DONE):
            raise InvalidInputError("operation_id", f"the operation is {operation.status}")
        day = day_of_surgery_for(child.site_id, document, content)
        saved = uow.operation_plans.save(dataclasses.replace(operation, day_of_surgery=day))
        write_audit(uow, actor, AuditAction.DAY_OF_SURGERY_SET, EntityType.CHILD, child_id, now)
        uow.commit()
    return saved
