"""A family member's private calendar-feed link: make, revoke and read it (the feed's plan)."""

from __future__ import annotations

import secrets
from datetime import datetime

from hipcare.domain.pathway import CarePlan
from hipcare.domain.records import (
    AuditAction,
    Child,
    EntityType,
    utc_moment,
)
from hipcare.services.access import find_actor, write_audit
from hipcare.services.accounts import (
    token_digest,
)
from hipcare.services.family.access import readable_child, stored_child, stored_user_id
from hipcare.services.family.care_plan import child_care_plan
from hipcare.services.operations import (
    PathwayContent,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.family import CalendarFeed

__all__ = [
    "calendar_feed_child",
    "feed_plan",
    "has_calendar_link",
    "regenerate_calendar_link",
    "revoke_calendar_link",
]


def regenerate_calendar_link(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> str:
    """Revoke the member's old feed links for the child and make a new one: the new token."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        uow.family.revoke_feeds(stored_user_id(actor), child_id, now)
        token = secrets.token_urlsafe(32)
        uow.family.add_feed(CalendarFeed(token_digest(token), stored_user_id(actor), child_id, now))
        write_audit(uow, actor, AuditAction.CALENDAR_LINK_CHANGED, EntityType.CHILD, child_id, now)
        uow.commit()
    return token


def revoke_calendar_link(uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime) -> int:
    """Stop every feed link of this member for this child; returns how many were live."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        count = uow.family.revoke_feeds(stored_user_id(actor), child_id, now)
        write_audit(uow, actor, AuditAction.CALENDAR_LINK_CHANGED, EntityType.CHILD, child_id, now)
        uow.commit()
    return count


def has_calendar_link(uow: UnitOfWork, actor_id: int, child_id: int) -> bool:
    with uow:
        return uow.family.live_feed_count(actor_id, child_id) > 0


def calendar_feed_child(uow: UnitOfWork, token: str, *, now: datetime) -> Child | None:
    """The child a live feed token is for (audited as a calendar read), or None."""
    now = utc_moment(now, "now")
    with uow:
        feed = uow.family.feed(token_digest(token or ""))
        if feed is None or feed.revoked_at is not None:
            return None
        user = uow.users.get(feed.user_id)
        if user is None or not uow.family.is_linked(feed.user_id, feed.child_id):
            return None
        child = stored_child(uow, feed.child_id)
        write_audit(uow, user, AuditAction.CALENDAR_READ, EntityType.CHILD, feed.child_id, now)
        uow.commit()
    return child


def feed_plan(
    uow: UnitOfWork, token: str, content: PathwayContent, *, now: datetime
) -> tuple[Child, CarePlan | None] | None:
    """The child and plan behind a live calendar-feed token (audited), or None."""
    child = calendar_feed_child(uow, token, now=now)
    if child is None:
        return None
    with uow:
        found = child_care_plan(uow, child, content)
    return child, None if found is None else found[0]
