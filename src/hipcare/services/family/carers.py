"""More than one carer per child (issue 17): the care team sees who is linked to a child;
each carer keeps their own language, which their pages, reminders and calendar use.

A carer's language is the invitation's when they join, then the one they last chose on the
family pages (kept on each of their links); None means the child's preferred language.
Adding a carer is the invitation flow (:mod:`hipcare.services.family.invitations`): each
invitation makes or links one family account.
"""

from __future__ import annotations

from datetime import datetime

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, EntityType, Role
from hipcare.services.access import deny, find_actor, write_audit
from hipcare.services.family.access import stored_child
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.family import Carer

__all__ = ["carer_language", "child_carers", "choose_carer_language"]


def child_carers(uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime) -> list[Carer]:
    """The child's carers for staff of its site (audited as a read of the child), else
    refused."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = stored_child(uow, child_id)
        if actor.role is Role.FAMILY or not actor.belongs_to(child.site_id):
            deny(uow, actor, EntityType.CHILD, child_id, now, "not this child's care team")
        carers = list(uow.family.carers(child_id))
        write_audit(uow, actor, AuditAction.CHILD_READ, EntityType.CHILD, child_id, now)
        uow.commit()
    return carers


def carer_language(uow: UnitOfWork, user_id: int) -> str | None:
    """The family member's own language, or None (then the child's)."""
    with uow:
        return uow.family.carer_language(user_id)


def choose_carer_language(
    uow: UnitOfWork, user_id: int, language: str, *, languages: frozenset[str] | set[str]
) -> bool:
    """Keep ``language`` (one of ``languages``) as the family member's own: True when it
    changed. Staff and unknown users change nothing."""
    if language not in languages:
        raise InvalidInputError("lang", f"{language!r} is not one of {sorted(languages)}")
    with uow:
        user = uow.users.get(user_id)
        if user is None or user.role is not Role.FAMILY:
            return False
        changed = uow.family.set_carer_language(user_id, language) > 0
        uow.commit()
    return changed
