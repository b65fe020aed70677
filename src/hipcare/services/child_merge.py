"""Merge a child registered twice into the original record (issue 15).

Only a site administrator may, and only for two children of one site they belong to. What the
duplicate holds moves to the original: visits, films and their readings, operation plans
(with their care plans and outcomes), alerts, family links, invitations and calendar links,
diary entries, pain words, the identifiers other systems gave the child, hospital numbers
and family contacts (each kept once). The duplicate's record stays, read-only, marked
"merged into" the original, and leaves the worklist; both children get a ``child.merged``
audit row (ids only). A merge is not undone by hipcare: the request must say it is meant
(``confirm``).
"""

from __future__ import annotations

import dataclasses
from datetime import date, datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, Child, EntityType, Role
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.access import child_for, deny, find_actor, write_audit
from hipcare.services.ports import UnitOfWork
from hipcare.services.surveillance_status import refresh_statuses

__all__ = ["merge_child"]


def merge_child(
    uow: UnitOfWork,
    actor_id: int,
    duplicate_id: int,
    original_id: int,
    *,
    confirm: object,
    today: date,
    now: datetime,
    rules: SurveillanceRules,
) -> Child:
    """Merge the child ``duplicate_id`` into ``original_id``; returns the original, merged.

    ``confirm`` must be ``True`` (the page's tick box, the API's ``"confirm": true``).
    """
    if confirm is not True:
        raise InvalidInputError(
            "confirm",
            "must be true: a merge moves every record of the duplicate to the original and "
            "is not undone by hipcare",
        )
    if duplicate_id == original_id:
        raise InvalidInputError("original_id", "is the duplicate itself; name the original child")
    with uow:
        actor = find_actor(uow, actor_id)
        duplicate = child_for(uow, actor, duplicate_id, now)
        original = child_for(uow, actor, original_id, now)
        if actor.role is not Role.SITE_ADMINISTRATOR:
            deny(
                uow,
                actor,
                EntityType.CHILD,
                duplicate_id,
                now,
                f"user {actor.id} is not a site administrator; only one merges children",
            )
        if duplicate.site_id != original.site_id:
            raise InvalidInputError(
                "original_id", "is a child of another site; only children of one site merge"
            )
        for field, child in (("merged_into", duplicate), ("original_id", original)):
            if child.merged_into is not None:
                raise InvalidInputError(
                    field,
                    f"child {child.id} was already merged into child {child.merged_into}",
                )
        numbers = dict.fromkeys((*original.hospital_numbers, *duplicate.hospital_numbers))
        contacts = dict.fromkeys((*original.contacts, *duplicate.contacts))
        uow.children.save(
            dataclasses.replace(original, hospital_numbers=tuple(numbers), contacts=tuple(contacts))
        )
        uow.children.move_records(duplicate_id, original_id)
        uow.children.save(
            dataclasses.replace(
                duplicate, merged_into=original_id, hospital_numbers=(), contacts=()
            )
        )
        refresh_statuses(uow, [original_id, duplicate_id], rules, today=today, now=now)
        for child_id in (duplicate_id, original_id):
            write_audit(uow, actor, AuditAction.CHILD_MERGED, EntityType.CHILD, child_id, now)
        merged = uow.children.get(original_id)
        uow.commit()
    if merged is None:  # pragma: no cover -- saved in this unit of work
        raise InvalidInputError("original_id", f"no child with id {original_id}")
    return merged
