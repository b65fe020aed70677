"""Who may read a child's family pages: linked family members (and, where allowed, staff of the
child's site); anyone else is refused with an ``access.denied`` audit row.
"""

from __future__ import annotations

from datetime import datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    Role,
    User,
)
from hipcare.services.access import deny, find_actor, write_audit
from hipcare.services.ports import UnitOfWork

__all__ = [
    "child_for_family",
    "family_children",
    "readable_child",
    "stored_child",
    "stored_user_id",
]


def stored_user_id(user: User) -> int:
    if user.id is None:  # pragma: no cover -- stored users have ids
        raise RuntimeError("a stored user has an id")
    return user.id


def stored_child(uow: UnitOfWork, child_id: int) -> Child:
    child = uow.children.get(child_id)
    if child is None:
        raise InvalidInputError("child_id", f"no child with id {child_id}")
    return child


def readable_child(
    uow: UnitOfWork, actor: User, child_id: int, now: datetime, *, staff_too: bool
) -> Child:
    """The child, if ``actor`` is linked family (or, with ``staff_too``, staff of its site)."""
    child = uow.children.get(child_id)
    if actor.role is Role.FAMILY:
        if child is not None and uow.family.is_linked(stored_user_id(actor), child_id):
            return child
        # The same refusal whether the child exists or not: a family learns nothing.
        deny(uow, actor, EntityType.CHILD, child_id, now, "this is not your child's record")
    if child is None:
        raise InvalidInputError("child_id", f"no child with id {child_id}")
    if staff_too and actor.belongs_to(child.site_id):
        return child
    deny(
        uow,
        actor,
        EntityType.CHILD,
        child_id,
        now,
        f"user {actor.id} may not see this child's family pages",
    )


def child_for_family(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime, audit: bool = True
) -> Child:
    """The child, for a family member linked to it (else :class:`PermissionDeniedError`)."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = readable_child(uow, actor, child_id, now, staff_too=False)
        if audit:
            write_audit(uow, actor, AuditAction.CHILD_READ, EntityType.CHILD, child_id, now)
            uow.commit()
    return child


def family_children(uow: UnitOfWork, actor_id: int, *, now: datetime) -> list[Child]:
    """The children a family member is linked to (none for anyone else); each listed child
    is audited (``child.listed``), as a clinician's search is: the list shows their names."""
    with uow:
        actor = find_actor(uow, actor_id)
        if actor.role is not Role.FAMILY:
            return []
        children = [
            stored_child(uow, child_id)
            for child_id in uow.family.children_of(stored_user_id(actor))
        ]
        for child in children:
            write_audit(uow, actor, AuditAction.CHILD_LISTED, EntityType.CHILD, child.id, now)
        uow.commit()
        return children
