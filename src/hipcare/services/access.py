"""Who may do what, and the audit trail every use case writes: one place for both.

A user may only touch children of the sites they belong to. A refused attempt writes an
``access.denied`` audit row, committed on its own, before :class:`PermissionDeniedError`
is raised. Audit rows carry ids only: never names, dates of birth or clinical values.
"""

from __future__ import annotations

from datetime import datetime
from typing import NoReturn

from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.pathway import ItemKind, Owner, Pathway, Recurrence
from hipcare.domain.records import (
    COMMAND_LINE_ACTOR_ID,
    AuditAction,
    AuditEntry,
    Child,
    EntityType,
    User,
)
from hipcare.services.ports import UnitOfWork

__all__ = [
    "ConflictError",
    "PermissionDeniedError",
    "audit_command_line",
    "child_for",
    "deny",
    "family_may_tick",
    "find_actor",
    "refuse_information_tick",
    "write_audit",
]


class PermissionDeniedError(HipcareError):
    """The acting user may not do this: not a member of the record's site, or wrong role."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


class ConflictError(HipcareError):
    """Someone else changed the record first (another tick, acknowledgement or edit won):
    nothing was changed; the caller reloads and decides again (HTTP 409)."""

    def __init__(self, field: str, problem: str) -> None:
        self.field = field
        self.problem = problem
        super().__init__(f"{field}: {problem}")


def family_may_tick(
    owner: Owner, recurrence: Recurrence | None, kind: ItemKind = ItemKind.TASK
) -> bool:
    """A family ticks only its own one-off tasks: family-owned and not recurring (recurring
    ones are reminders). The care team's items (X-rays, reviews, ...) are theirs to tick;
    information is read, never ticked."""
    return kind is ItemKind.TASK and owner is Owner.FAMILY and recurrence is None


def refuse_information_tick(pathway: Pathway, item_id: str) -> None:
    """Refuse to tick an information item (:attr:`Pathway.information_ids
    <hipcare.domain.pathway_definition.Pathway.information_ids>`): it is read, never ticked
    (issue 17). :class:`InvalidInputError` naming ``item_id`` (422), whoever ticks: the
    family or the care team."""
    if item_id in pathway.information_ids:
        raise InvalidInputError(
            "item_id", f"{item_id!r} is information to read, not a step to tick"
        )


def find_actor(uow: UnitOfWork, actor_id: int) -> User:
    """The acting user, or :class:`PermissionDeniedError` when hipcare does not know them."""
    actor = uow.users.get(actor_id)
    if actor is None:
        raise PermissionDeniedError("actor", f"user {actor_id} is not known to hipcare")
    return actor


def write_audit(
    uow: UnitOfWork,
    actor: User,
    action: AuditAction,
    entity_type: EntityType,
    entity_id: int | str | None,
    now: datetime,
) -> None:
    """Add one audit row (who, what, which record, when) to the unit of work."""
    if actor.id is None or entity_id is None:  # pragma: no cover -- stored records have ids
        raise RuntimeError("audit rows need stored records")
    uow.audit.add(AuditEntry(actor.id, action, entity_type, str(entity_id), now))


def audit_command_line(
    uow: UnitOfWork,
    command: str,
    action: AuditAction,
    entity_type: EntityType,
    entity_id: int | str,
    now: datetime,
) -> None:
    """One audit row, committed, whose actor is a command-line run with no hipcare user
    behind it (``hipcare report --site``, ``hipcare registry-export --site``): ``command``
    names it, and ``actor_id`` is ``COMMAND_LINE_ACTOR_ID``."""
    with uow:
        uow.audit.add(
            AuditEntry(
                COMMAND_LINE_ACTOR_ID, action, entity_type, str(entity_id), now, command=command
            )
        )
        uow.commit()


def deny(
    uow: UnitOfWork,
    actor: User,
    entity_type: EntityType,
    entity_id: int | str,
    now: datetime,
    problem: str,
) -> NoReturn:
    """Record the refused attempt (committed on its own), then refuse."""
    uow.rollback()
    write_audit(uow, actor, AuditAction.ACCESS_DENIED, entity_type, entity_id, now)
    uow.commit()
    raise PermissionDeniedError(entity_type.value, problem)


def child_for(
    uow: UnitOfWork, actor: User, child_id: int, now: datetime, *, for_change: bool = False
) -> Child:
    """The child ``child_id`` when ``actor`` belongs to its site; otherwise refuse (audited).

    ``for_change``: the caller is about to add to or change the record, which a child merged
    into another (a duplicate, read-only since) refuses, naming the child to use instead."""
    child = uow.children.get(child_id)
    if child is None:
        raise InvalidInputError("child_id", f"no child with id {child_id}")
    if not actor.belongs_to(child.site_id):
        deny(
            uow,
            actor,
            EntityType.CHILD,
            child_id,
            now,
            f"user {actor.id} does not belong to the child's site",
        )
    if for_change and child.merged_into is not None:
        raise InvalidInputError(
            "merged_into",
            f"child {child_id} was merged into child {child.merged_into} and is read-only; "
            f"record it on child {child.merged_into}",
        )
    return child
