"""A site's audit log in words, for its site administrators (issue 16): who (the user's
name), what (the action in words), about whom (the child's name), when; filtered by user,
child, action and a date range in the site's time zone. Every read, on the page or as a CSV
download, is itself audited (``audit-log.read``).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, AuditEntry, EntityType, Role
from hipcare.services.access import PermissionDeniedError, find_actor, write_audit
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.audit import AuditFilter

__all__ = [
    "ACTION_WORDS",
    "AuditLogView",
    "NamedAuditEntry",
    "audit_filter_from_query",
    "read_site_audit_log",
]

ACTION_WORDS: Mapping[AuditAction, str] = {
    AuditAction.CHILD_REGISTERED: "registered a child",
    AuditAction.CHILD_READ: "opened a child's record",
    AuditAction.CHILD_LISTED: "listed a child (worklist or search)",
    AuditAction.VISIT_RECORDED: "recorded a visit",
    AuditAction.ACCESS_DENIED: "was refused access",
    AuditAction.CHILD_UPDATED: "changed a child's details",
    AuditAction.VISIT_UPDATED: "changed a visit",
    AuditAction.CHILD_EXPORTED: "exported a child's record",
    AuditAction.OPERATION_PLANNED: "planned an operation",
    AuditAction.OPERATION_POSTPONED: "postponed an operation",
    AuditAction.PATHWAY_STARTED: "started the care pathway",
    AuditAction.CARE_ITEM_TICKED: "ticked a care-plan step",
    AuditAction.ALERT_ACKNOWLEDGED: "acknowledged an alert",
    AuditAction.FAMILY_INVITED: "invited a family member",
    AuditAction.INVITATION_ACCEPTED: "accepted an invitation",
    AuditAction.CARE_PLAN_READ: "read the care plan",
    AuditAction.DIARY_RECORDED: "wrote in the home diary",
    AuditAction.DIARY_READ: "read the home diary",
    AuditAction.ALERT_RAISED: "raised an alert (diary)",
    AuditAction.CALENDAR_LINK_CHANGED: "changed the calendar link",
    AuditAction.CALENDAR_READ: "read the calendar feed",
    AuditAction.REMINDER_SENT: "was sent a reminder",
    AuditAction.RADIOGRAPH_STORED: "stored a radiograph",
    AuditAction.RADIOGRAPH_READ: "viewed a radiograph",
    AuditAction.RADIOGRAPH_MEASURED: "measured a radiograph",
    AuditAction.REFERRAL_RECORDED: "recorded a referral",
    AuditAction.REFERRAL_SEEN: "recorded a clinic visit for a referral",
    AuditAction.CARE_ITEM_UNTICKED: "undid a care-plan tick",
    AuditAction.OUTCOME_RECORDED: "recorded an operation outcome",
    AuditAction.OUTCOME_READ: "read an operation outcome",
    AuditAction.SITE_REPORT_READ: "read the site's outcomes report",
    AuditAction.ALERT_ROUTES_CHANGED: "changed the site's alert routes",
    AuditAction.ALERT_ROUTES_READ: "read the site's alert routes",
    AuditAction.AUDIT_LOG_READ: "read the audit log",
    AuditAction.OPERATION_DONE: "marked an operation done",
    AuditAction.USER_SIGNED_IN: "signed in with the hospital's single sign-on",
    AuditAction.USER_CREATED: "had an account made by single sign-on",
    AuditAction.USER_ACCESS_CHANGED: "had their role or sites changed by single sign-on",
    AuditAction.PACS_SEARCHED: "searched the PACS for a child's films",
    AuditAction.PACS_PULL_REFUSED: "was refused a film from the PACS (identity did not match)",
    AuditAction.STAFF_LISTED: "listed the staff",
    AuditAction.STAFF_INVITED: "invited a member of staff",
    AuditAction.STAFF_UPDATED: "changed a member of staff's role, sites or name",
    AuditAction.STAFF_DEACTIVATED: "deactivated a member of staff",
    AuditAction.STAFF_REACTIVATED: "reactivated a member of staff",
    AuditAction.PASSWORD_SET: "set a password from an emailed link",
    AuditAction.PASSWORD_CHANGED: "changed their password",
    AuditAction.PASSWORD_RESET_REQUESTED: "asked for a password reset email",
    AuditAction.PASSWORD_RESET: "reset their password from an emailed link",
    AuditAction.PASSWORD_REHASHED: "had their password hash renewed at sign-in",
    AuditAction.SECOND_FACTOR_ENROLLED: "set up a second factor (authenticator app)",
    AuditAction.SECOND_FACTOR_REFUSED: "gave a wrong second-factor code",
    AuditAction.RECOVERY_CODE_USED: "signed in with a recovery code",
    AuditAction.CARE_ITEM_REOPENED: "had a done care-plan step reopened by a postponement",
    AuditAction.POSTPONEMENT_EMAILED: "emailed the family that the surgery date changed",
    AuditAction.DAY_OF_SURGERY_SET: "set the day-of-surgery details",
    AuditAction.RADIOGRAPH_CONFIRMED: "confirmed a film's reading",
    AuditAction.CHILD_MERGED: "merged a duplicate child record",
    AuditAction.REGISTRY_EXPORTED: "exported the de-identified registry files",
    AuditAction.MESSAGE_POSTED: "wrote a message between the family and the care team",
    AuditAction.MESSAGES_READ: "read the messages between the family and the care team",
}
"""Every audit action in words (a test checks none is missing)."""

MAX_ROWS = 5000
"""The most entries one page or download lists (narrow the filters to see older ones)."""


@dataclass(frozen=True)
class NamedAuditEntry:
    """An audit entry with names: the user's display name and the child's name (None for an
    entry about the site itself)."""

    entry: AuditEntry
    actor_name: str
    child_id: int | None
    child_name: str | None

    @property
    def action_words(self) -> str:
        return ACTION_WORDS.get(self.entry.action, self.entry.action.value)


@dataclass(frozen=True)
class AuditLogView:
    """One read of a site's audit log: the entries (newest first), the filters used, and the
    choices for the filters (the site's staff and children, by name)."""

    site_id: str
    entries: list[NamedAuditEntry]
    filters: AuditFilter
    people: list[tuple[int, str]]
    children: list[tuple[int, str]]
    limit: int


def _whole(query: Mapping[str, str], name: str) -> int | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    if not text.isdigit() or len(text) > 19:
        raise InvalidInputError(name, "must be a record id (a whole number)")
    return int(text)


def _day(query: Mapping[str, str], name: str) -> date | None:
    text = query.get(name, "").strip()
    if not text:
        return None
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise InvalidInputError(name, "must be a date written YYYY-MM-DD") from error


def audit_filter_from_query(query: Mapping[str, str], *, timezone: str) -> AuditFilter:
    """The filters of the page's query (``who``, ``child``, ``action``, ``from``, ``to``: days
    in ``timezone``, both included); empty values mean any. Bad input names the field."""
    action_text = query.get("action", "").strip()
    action = None
    if action_text:
        try:
            action = AuditAction(action_text)
        except ValueError as error:
            raise InvalidInputError("action", f"{action_text!r} is not an audit action") from error
    zone = ZoneInfo(timezone)
    first, last = _day(query, "from"), _day(query, "to")
    if first is not None and last is not None and last < first:
        raise InvalidInputError("to", "is before 'from'")
    return AuditFilter(
        actor_id=_whole(query, "who"),
        child_id=_whole(query, "child"),
        action=action,
        since=None if first is None else datetime.combine(first, time(), zone),
        until=None if last is None else datetime.combine(last + timedelta(days=1), time(), zone),
    )


def read_site_audit_log(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    filters: AuditFilter,
    *,
    now: datetime,
    limit: int = MAX_ROWS,
) -> AuditLogView:
    """The site's audit log with names, for its site administrators; the read is audited."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_ROWS:
        raise InvalidInputError("limit", f"must be a whole number from 1 to {MAX_ROWS}")
    with uow:
        actor = find_actor(uow, actor_id)
        if actor.role is not Role.SITE_ADMINISTRATOR:
            raise PermissionDeniedError("audit", "only a site administrator reads the audit log")
        site = uow.sites.get(site_id)
        if site is None:
            raise InvalidInputError("site", f"no site {site_id!r} is known")
        if not actor.belongs_to(site_id):
            raise PermissionDeniedError(
                "audit", f"user {actor_id} is not an administrator of site {site_id!r}"
            )
        rows = list(uow.site_audit.search(site_id, filters, limit))
        staff = {user.id: user.display_name for user in uow.users.at_site(site_id) if user.id}
        children = {
            child.id: f"{child.given_name} {child.family_name}"
            for child in uow.children.at_site(site_id)
            if child.id is not None
        }
        for row in rows:  # someone of another site (refused) or a family member
            if row.entry.actor_id not in staff:
                other = uow.users.get(row.entry.actor_id)
                staff[row.entry.actor_id] = (
                    f"user {row.entry.actor_id}" if other is None else other.display_name
                )
        write_audit(uow, actor, AuditAction.AUDIT_LOG_READ, EntityType.SITE, site_id, now)
        uow.commit()
    named = [
        NamedAuditEntry(
            row.entry,
            staff[row.entry.actor_id],
            row.child_id,
            None if row.child_id is None else children.get(row.child_id),
        )
        for row in rows
    ]
    return AuditLogView(
        site_id=site_id,
        entries=named,
        filters=filters,
        people=sorted(staff.items(), key=lambda item: item[1].lower()),
        children=sorted(children.items(), key=lambda item: item[1].lower()),
        limit=limit,
    )
