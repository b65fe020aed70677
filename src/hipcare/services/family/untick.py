"""Undoing a family's tick: a family member who ticked a step by mistake takes the tick back.

Only a tick a family member made can be undone by the family (a tick of the care team stays
for the care team); the undo is audited (``care-item.unticked``), as the tick was.
"""

from __future__ import annotations

import dataclasses
from datetime import datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, CarePlanItemState, EntityType, Role, utc_moment
from hipcare.services.access import find_actor, write_audit
from hipcare.services.family.access import readable_child
from hipcare.services.family.care_plan import started_care_plan
from hipcare.services.ports import UnitOfWork

__all__ = ["untick_family_item"]


def untick_family_item(
    uow: UnitOfWork, actor_id: int, child_id: int, item_id: str, *, now: datetime
) -> CarePlanItemState:
    """A family member undoes a family tick of one item of their child's plan (undoing an
    item that is not done changes nothing)."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        started = started_care_plan(uow, child_id)
        state = None
        if started is not None:
            state = next((s for s in started[1] if s.item_id == item_id), None)
        if state is None:
            raise InvalidInputError("item_id", f"your child's plan has no item {item_id!r}")
        if not state.done:
            return state
        ticked_by = None if state.done_by is None else uow.users.get(state.done_by)
        if ticked_by is None or ticked_by.role is not Role.FAMILY:
            raise InvalidInputError("item_id", "the care team marked this step done")
        undone = uow.care_plan_items.save(dataclasses.replace(state, done_at=None, done_by=None))
        write_audit(uow, actor, AuditAction.CARE_ITEM_UNTICKED, EntityType.CHILD, child_id, now)
        uow.commit()
    return undone
