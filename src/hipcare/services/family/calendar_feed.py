"""A family member's private calendar-feed link: make, show, revoke and read it (the feed's
plan, in the language the member had chosen when making the link: a calendar app sends no
cookie, so the feed cannot learn the language from its request)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime

from hipcare.domain.day_of_surgery import DayOfSurgery
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
from hipcare.services.family.care_plan import child_care_plan, started_care_plan
from hipcare.services.operations import (
    PathwayContent,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import LANGUAGES
from hipcare.services.ports.family import CalendarFeed

__all__ = [
    "FeedPlan",
    "calendar_feed_child",
    "calendar_link",
    "feed_plan",
    "has_calendar_link",
    "regenerate_calendar_link",
    "revoke_calendar_link",
]


@dataclass(frozen=True)
class FeedPlan:
    """What a calendar feed shows: the child, the plan (None before it starts), the language."""

    child: Child
    plan: CarePlan | None
    language: str
    day_of_surgery: DayOfSurgery | None = None
    """The operation's day of surgery (timed events with alarms), when set."""


def regenerate_calendar_link(
    uow: UnitOfWork,
    actor_id: int,
    child_id: int,
    *,
    now: datetime,
    language: str | None = None,
) -> str:
    """Revoke the member's old feed links for the child and make a new one: the new token.

    ``language`` is the member's language now (their pages' language); the feed keeps it.
    The token is kept with the link so the member's calendar page can show it again.
    """
    now = utc_moment(now, "now")
    chosen = language if language in LANGUAGES else None
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        uow.family.revoke_feeds(stored_user_id(actor), child_id, now)
        token = secrets.token_urlsafe(32)
        uow.family.add_feed(
            CalendarFeed(
                token_digest(token),
                stored_user_id(actor),
                child_id,
                now,
                language=chosen,
                token=token,
            )
        )
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


def calendar_link(
    uow: UnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> CalendarFeed | None:
    """The member's live calendar link for the child (with its token when kept), or None.
    Only the member linked to the child asks (anyone else is refused and audited)."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        readable_child(uow, actor, child_id, now, staff_too=False)
        return uow.family.live_feed(stored_user_id(actor), child_id)


def has_calendar_link(uow: UnitOfWork, actor_id: int, child_id: int) -> bool:
    with uow:
        return uow.family.live_feed_count(actor_id, child_id) > 0


def calendar_feed_child(uow: UnitOfWork, token: str, *, now: datetime) -> Child | None:
    """The child a live feed token is for (audited as a calendar read), or None."""
    found = _feed_and_child(uow, token, now=now)
    return None if found is None else found[1]


def _feed_and_child(
    uow: UnitOfWork, token: str, *, now: datetime
) -> tuple[CalendarFeed, Child] | None:
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
    return feed, child


def feed_plan(
    uow: UnitOfWork, token: str, content: PathwayContent, *, now: datetime
) -> FeedPlan | None:
    """The child, plan and language behind a live calendar-feed token (audited), or None.

    The language is the one the member chose when making the link, else the child's, else
    English.
    """
    found = _feed_and_child(uow, token, now=now)
    if found is None:
        return None
    feed, child = found
    with uow:
        plan = child_care_plan(uow, child, content)
        started = started_care_plan(uow, child.id or 0)
    language = next(
        (code for code in (feed.language, child.preferred_language) if code in LANGUAGES), "en"
    )
    day = None if started is None else started[0].day_of_surgery
    return FeedPlan(child, None if plan is None else plan[0], str(language), day)
