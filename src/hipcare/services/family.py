"""Use cases of the family side: invitations, today's steps, ticks, diary, calendar feed, reminders.

Who may do what (the security model, ``docs/family.md``):

* A **clinician of the child's site** invites a family member by email. The invitation is a
  random token (``secrets.token_urlsafe(32)``) sent in a link; the database keeps only its
  SHA-256, an expiry (7 days) and whether it was used. Accepting it once creates (or links) a
  user with role ``family`` and an argon2 password, and links that user to the child; a second
  use, an expired or an unknown token is refused.
* A **family member** reads and changes only the children they are linked to
  (``family_links``). Anyone else who asks — another family, staff of another site — is
  refused with an ``access.denied`` audit row. Staff of the child's site read the diary and
  its photos (they see the alerts).
* Every read and change writes an audit row (ids only), as on the clinician side.

The care plan a family sees and ticks is the one the care team started
(:func:`hipcare.services.operations.start_pathway`): a family tick writes the same stored
care-plan item state a clinician's tick does, so the clinician's view shows it.
"""

from __future__ import annotations

import dataclasses
import secrets
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, Protocol

from hipcare.content.i18n import Translator
from hipcare.domain.diary import (
    R_FLACC_CATEGORIES,
    Assessment,
    DiaryEntry,
    DiaryKind,
    DiaryRules,
    MedicineGiven,
    NumericPain,
    RFlacc,
    SkinCheck,
    SkinFinding,
    Unwell,
    Urgency,
    assess,
)
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import CarePlan, Owner
from hipcare.domain.records import (
    Alert,
    AuditAction,
    CarePlanItemState,
    Child,
    EntityType,
    OperationPlan,
    OperationStatus,
    Role,
    User,
    refuse_control_characters,
    utc_moment,
)
from hipcare.services.access import deny, find_actor, write_audit
from hipcare.services.accounts import (
    AccountsUnitOfWork,
    SessionPolicy,
    SessionUser,
    WebSession,
    account_key,
    client_key,
    hash_password,
    judge_session,
    password_matches,
    refuse_when_locked,
    session_user_in,
    token_digest,
)
from hipcare.services.operations import (
    PathwayContent,
    build_care_plan,
    build_care_plan_with_profile,
)
from hipcare.services.pathway import PlanEntry, plan_entries

__all__ = [
    "INVITATION_LIFETIME",
    "PHOTO_MAX_BYTES",
    "PHOTO_TYPES",
    "REMINDER_CLAIM_TIMEOUT",
    "CalendarFeed",
    "DiaryRecord",
    "DueReminder",
    "FamilyItem",
    "FamilyRepository",
    "FamilyToday",
    "FamilyUnitOfWork",
    "Invitation",
    "InvitationRefusedError",
    "LinkedChild",
    "StartedPlan",
    "StoredDiaryEntry",
    "TodayAccess",
    "accept_invitation",
    "audit_family_read",
    "calendar_feed_child",
    "child_care_plan",
    "child_for_family",
    "claim_reminder",
    "diary_entries",
    "diary_photo",
    "family_children",
    "family_plan",
    "family_today",
    "family_today_after_access",
    "family_today_page",
    "feed_plan",
    "has_calendar_link",
    "invitation_for",
    "invite_family",
    "mark_reminder_sent",
    "open_family_today",
    "pain_descriptors",
    "parse_diary_entry",
    "record_diary_entry",
    "regenerate_calendar_link",
    "reminders_due",
    "revoke_calendar_link",
    "save_pain_descriptors",
    "started_care_plan",
    "tick_family_item",
]

INVITATION_LIFETIME = timedelta(days=7)
PHOTO_MAX_BYTES = 5 * 1024 * 1024
PHOTO_TYPES: Mapping[str, bytes] = {
    "image/jpeg": b"\xff\xd8\xff",
    "image/png": b"\x89PNG\r\n\x1a\n",
}
"""Accepted photo types and the bytes each file must start with (the type is not trusted)."""
REMINDER_CLAIM_TIMEOUT = timedelta(minutes=15)
"""A reminder claim still 'sending' after this long was left by a crash and is retried."""


class InvitationRefusedError(InvalidInputError):
    """The invitation link is unknown, used or expired (one message for all three)."""


@dataclass(frozen=True)
class Invitation:
    token_digest: str
    child_id: int
    email: str
    invited_by: int
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None = None
    accepted_by: int | None = None


@dataclass(frozen=True)
class CalendarFeed:
    token_digest: str
    user_id: int
    child_id: int
    created_at: datetime
    revoked_at: datetime | None = None


@dataclass(frozen=True)
class StoredDiaryEntry:
    """A diary entry as stored: its id, who wrote it, the assessment and the alert raised."""

    id: int
    child_id: int
    recorded_by: int
    recorded_at: datetime
    kind: DiaryKind
    data: Mapping[str, Any]
    urgency: Urgency
    alert_id: int | None
    has_photo: bool


@dataclass(frozen=True)
class DiaryRecord:
    """What recording an entry did: the stored entry and what it means for the family."""

    entry: StoredDiaryEntry
    assessment: Assessment


@dataclass(frozen=True)
class DueReminder:
    """A care-plan item due on a day, and a family member to remind."""

    care_plan_item_id: int
    item_id: str
    due_date: date
    child_id: int
    recipient_id: int
    email: str
    language: str


@dataclass(frozen=True)
class LinkedChild:
    """A child as a linked family member's pages read it: the child (contacts left out) and
    whether this member has a live calendar link for it."""

    child: Child
    has_calendar: bool
    record_version: int
    """Moved up by the database on any change to the child's record (ADR 10)."""
    page_generation: int
    """Moved up by the database on any change to a user (a surgeon's profile shapes the plan)."""


@dataclass(frozen=True)
class StartedPlan:
    """The child's newest operation whose pathway was started, as the family pages need it:
    the operation, its surgeon's profile id, and which plan items are stored and done."""

    operation: OperationPlan
    surgeon_profile: str | None
    item_ids: frozenset[str]
    done_ids: frozenset[str]


class FamilyRepository(Protocol):
    def link(self, user_id: int, child_id: int, at: datetime) -> None: ...

    def children_of(self, user_id: int) -> Sequence[int]: ...

    def is_linked(self, user_id: int, child_id: int) -> bool: ...

    def linked_child(self, user_id: int, child_id: int) -> LinkedChild | None:
        """The child (contacts left out) when ``user_id`` is linked to it, else None."""
        ...

    def started_plan(self, child_id: int) -> StartedPlan | None:
        """The newest non-cancelled operation with stored plan items, or None."""
        ...

    def audit_plan_read(self, actor_id: int, child_id: int, at: datetime) -> None:
        """Write the ``care_plan.read`` audit row of ``actor_id`` viewing the child's plan."""
        ...

    def session_and_linked_child(
        self, token_digest: str, child_id: int
    ) -> tuple[WebSession, User, LinkedChild | None] | None:
        """The session, its user (site memberships not read) and the child if that user is
        linked to it, in one query; None for an unknown session."""
        ...

    def add_invitation(self, invitation: Invitation) -> None: ...

    def invitation(self, token_digest: str) -> Invitation | None: ...

    def use_invitation(self, token_digest: str, user_id: int, at: datetime) -> bool:
        """Mark the invitation used by ``user_id`` if nobody has: True when this call did."""
        ...

    def add_feed(self, feed: CalendarFeed) -> None: ...

    def feed(self, token_digest: str) -> CalendarFeed | None: ...

    def revoke_feeds(self, user_id: int, child_id: int, at: datetime) -> int: ...

    def live_feed_count(self, user_id: int, child_id: int) -> int: ...

    def add_diary_entry(
        self, entry: DiaryEntry, recorded_by: int, data: Mapping[str, Any], urgency: Urgency
    ) -> int: ...

    def set_diary_alert(self, entry_id: int, alert_id: int) -> None: ...

    def diary_for(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]: ...

    def add_photo(self, entry_id: int, content_type: str, content: bytes) -> None: ...

    def photo(self, entry_id: int) -> tuple[int, str, bytes] | None:
        """(child id, content type, bytes) of the entry's photo."""
        ...

    def descriptors(self, child_id: int) -> dict[str, str]: ...

    def set_descriptors(self, child_id: int, texts: Mapping[str, str], at: datetime) -> None: ...

    def due_reminders(self, day: date) -> Sequence[DueReminder]: ...

    def claim_delivery(
        self, care_plan_item_id: int, recipient_id: int, due_date: date, now: datetime
    ) -> int | None:
        """Insert a 'sending' claim; None when one exists (another run has it or sent it)."""
        ...

    def reclaim_stale(
        self,
        care_plan_item_id: int,
        recipient_id: int,
        due_date: date,
        now: datetime,
        stale_before: datetime,
    ) -> int | None:
        """Take over a claim left 'sending' since before ``stale_before`` (a crashed run)."""
        ...

    def mark_sent(self, delivery_id: int, at: datetime) -> None: ...


class FamilyUnitOfWork(AccountsUnitOfWork, Protocol):
    @property
    def family(self) -> FamilyRepository: ...


# --- access ----------------------------------------------------------------------------------


def _id(user: User) -> int:
    if user.id is None:  # pragma: no cover -- stored users have ids
        raise RuntimeError("a stored user has an id")
    return user.id


def _child(uow: FamilyUnitOfWork, child_id: int) -> Child:
    child = uow.children.get(child_id)
    if child is None:
        raise InvalidInputError("child_id", f"no child with id {child_id}")
    return child


def _readable_child(
    uow: FamilyUnitOfWork, actor: User, child_id: int, now: datetime, *, staff_too: bool
) -> Child:
    """The child, if ``actor`` is linked family (or, with ``staff_too``, staff of its site)."""
    child = uow.children.get(child_id)
    if actor.role is Role.FAMILY:
        if child is not None and uow.family.is_linked(_id(actor), child_id):
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
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, *, now: datetime, audit: bool = True
) -> Child:
    """The child, for a family member linked to it (else :class:`PermissionDeniedError`)."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = _readable_child(uow, actor, child_id, now, staff_too=False)
        if audit:
            write_audit(uow, actor, AuditAction.CHILD_READ, EntityType.CHILD, child_id, now)
            uow.commit()
    return child


def family_children(uow: FamilyUnitOfWork, actor_id: int) -> list[Child]:
    """The children a family member is linked to (none for anyone else)."""
    with uow:
        actor = find_actor(uow, actor_id)
        if actor.role is not Role.FAMILY:
            return []
        return [_child(uow, child_id) for child_id in uow.family.children_of(_id(actor))]


# --- invitations -------------------------------------------------------------------------------


def invite_family(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, email: object, *, now: datetime
) -> tuple[str, Invitation]:
    """A clinician of the child's site invites ``email``: returns the token (for the link only).

    The token is never stored; the database keeps its SHA-256.
    """
    now = utc_moment(now, "now")
    address = email.strip().lower() if isinstance(email, str) else ""
    try:
        User(email=address, display_name="x", role=Role.FAMILY, profession=None)
    except InvalidInputError:
        raise InvalidInputError("email", f"{address!r} is not an email address") from None
    with uow:
        actor = find_actor(uow, actor_id)
        child = _child(uow, child_id)
        if actor.role is not Role.CLINICIAN or not actor.belongs_to(child.site_id):
            deny(
                uow,
                actor,
                EntityType.CHILD,
                child_id,
                now,
                "only a clinician of the child's site invites a family member",
            )
        existing = uow.users.by_email(address)
        if existing is not None and existing.role is not Role.FAMILY:
            raise InvalidInputError("email", "this address belongs to a staff account")
        token = secrets.token_urlsafe(32)
        invitation = Invitation(
            token_digest=token_digest(token),
            child_id=child_id,
            email=address,
            invited_by=_id(actor),
            created_at=now,
            expires_at=now + INVITATION_LIFETIME,
        )
        uow.family.add_invitation(invitation)
        write_audit(uow, actor, AuditAction.FAMILY_INVITED, EntityType.CHILD, child_id, now)
        uow.commit()
    return token, invitation


def _usable(invitation: Invitation | None, now: datetime) -> Invitation:
    if invitation is None or invitation.accepted_at is not None or now >= invitation.expires_at:
        raise InvitationRefusedError(
            "invitation",
            "this invitation link is not valid: it was used already, has expired (links last "
            "7 days) or was mistyped. Ask the care team for a new one.",
        )
    return invitation


def invitation_for(uow: FamilyUnitOfWork, token: str, *, now: datetime) -> Invitation:
    """The usable invitation a link's token names (else :class:`InvitationRefusedError`)."""
    with uow:
        return _usable(uow.family.invitation(token_digest(token or "")), utc_moment(now, "now"))


def accept_invitation(
    uow: FamilyUnitOfWork,
    token: str,
    display_name: object,
    password: object,
    *,
    client_address: str,
    now: datetime,
    policy: SessionPolicy,
) -> User:
    """Use an invitation once: create the family account (or reuse the invitee's family
    account, checking its password) and link it to the child.

    Checking an existing account's password here is a sign-in: a wrong password counts as a
    failed sign-in of that account from ``client_address``, and while the account or the
    address is locked the invitation refuses even the right password
    (:class:`~hipcare.services.accounts.SignInRefusedError`, as :func:`sign_in` does), so
    an invitation link is no way round the failed-sign-in limit.
    """
    now = utc_moment(now, "now")
    if not isinstance(password, str):
        raise InvalidInputError("password", "is missing")
    with uow:
        invitation = _usable(uow.family.invitation(token_digest(token or "")), now)
        existing = uow.users.by_email(invitation.email)
        if existing is not None:
            key = account_key(invitation.email)
            address = client_key(client_address)
            refuse_when_locked(uow, key, address, now=now, policy=policy)
            if existing.role is not Role.FAMILY or not password_matches(
                existing.password_hash, password
            ):
                uow.sign_in_failures.add(key, address, now)
                uow.commit()
                raise InvalidInputError(
                    "password", "you already have an account: type its password to add this child"
                )
            uow.commit()
    if existing is None:
        hashed = hash_password(password)
        try:
            user = User(
                email=invitation.email,
                display_name=display_name if isinstance(display_name, str) else "",
                role=Role.FAMILY,
                profession=None,
                password_hash=hashed,
            )
        except InvalidInputError as error:
            raise InvalidInputError(error.field.removeprefix("user."), error.problem) from None
    else:
        user = existing
    with uow:
        if uow.users.by_email(invitation.email) is None:
            user = uow.users.add(user)
        stored = uow.users.by_email(invitation.email)
        if stored is None or stored.id is None:  # pragma: no cover -- just stored
            raise RuntimeError("the family account was not stored")
        # Single use even with two tabs at once: only one UPDATE finds it unused.
        if not uow.family.use_invitation(invitation.token_digest, stored.id, now):
            uow.rollback()
            _usable(None, now)
        if not uow.family.is_linked(stored.id, invitation.child_id):
            uow.family.link(stored.id, invitation.child_id, now)
        write_audit(
            uow, stored, AuditAction.INVITATION_ACCEPTED, EntityType.CHILD, invitation.child_id, now
        )
        uow.commit()
    return stored


# --- the care plan ---------------------------------------------------------------------------


def started_care_plan(
    uow: FamilyUnitOfWork, child_id: int
) -> tuple[OperationPlan, tuple[CarePlanItemState, ...]] | None:
    """The child's operation whose pathway was started (the newest), with its item states."""
    plans = [
        plan
        for plan in uow.operation_plans.for_child(child_id)
        if plan.id is not None and plan.status is not OperationStatus.CANCELLED
    ]
    for plan in sorted(plans, key=lambda plan: plan.id or 0, reverse=True):
        states = tuple(uow.care_plan_items.for_operation_plan(plan.id or 0))
        if states:
            return plan, states
    return None


def tick_family_item(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, item_id: str, *, now: datetime
) -> CarePlanItemState:
    """A family member ticks one item of their child's care plan (the same stored state a
    clinician's tick writes; ticking again changes nothing)."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=False)
        started = started_care_plan(uow, child_id)
        state = None
        if started is not None:
            state = next((s for s in started[1] if s.item_id == item_id), None)
        if state is None:
            raise InvalidInputError("item_id", f"your child's plan has no item {item_id!r}")
        if state.done:
            return state
        done = uow.care_plan_items.save(dataclasses.replace(state, done_at=now, done_by=actor.id))
        write_audit(uow, actor, AuditAction.CARE_ITEM_TICKED, EntityType.CHILD, child_id, now)
        uow.commit()
    return done


def audit_family_read(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, action: AuditAction, *, now: datetime
) -> Child:
    """Check a family member may read the child's pages, and audit the read as ``action``."""
    with uow:
        actor = find_actor(uow, actor_id)
        child = _readable_child(uow, actor, child_id, now, staff_too=False)
        write_audit(uow, actor, action, EntityType.CHILD, child_id, now)
        uow.commit()
    return child


# --- calendar feed ---------------------------------------------------------------------------


def regenerate_calendar_link(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> str:
    """Revoke the member's old feed links for the child and make a new one: the new token."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=False)
        uow.family.revoke_feeds(_id(actor), child_id, now)
        token = secrets.token_urlsafe(32)
        uow.family.add_feed(CalendarFeed(token_digest(token), _id(actor), child_id, now))
        write_audit(uow, actor, AuditAction.CALENDAR_LINK_CHANGED, EntityType.CHILD, child_id, now)
        uow.commit()
    return token


def revoke_calendar_link(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> int:
    """Stop every feed link of this member for this child; returns how many were live."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=False)
        count = uow.family.revoke_feeds(_id(actor), child_id, now)
        write_audit(uow, actor, AuditAction.CALENDAR_LINK_CHANGED, EntityType.CHILD, child_id, now)
        uow.commit()
    return count


def has_calendar_link(uow: FamilyUnitOfWork, actor_id: int, child_id: int) -> bool:
    with uow:
        return uow.family.live_feed_count(actor_id, child_id) > 0


def calendar_feed_child(uow: FamilyUnitOfWork, token: str, *, now: datetime) -> Child | None:
    """The child a live feed token is for (audited as a calendar read), or None."""
    now = utc_moment(now, "now")
    with uow:
        feed = uow.family.feed(token_digest(token or ""))
        if feed is None or feed.revoked_at is not None:
            return None
        user = uow.users.get(feed.user_id)
        if user is None or not uow.family.is_linked(feed.user_id, feed.child_id):
            return None
        child = _child(uow, feed.child_id)
        write_audit(uow, user, AuditAction.CALENDAR_READ, EntityType.CHILD, feed.child_id, now)
        uow.commit()
    return child


# --- diary -----------------------------------------------------------------------------------


def _int(value: object, field: str) -> object:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            raise InvalidInputError(field, "choose a score")
        try:
            return int(text)
        except ValueError:
            raise InvalidInputError(field, f"{text!r} is not a whole number") from None
    return value


def parse_diary_entry(
    child_id: int, document: Mapping[str, Any], *, now: datetime, has_photo: bool = False
) -> tuple[DiaryEntry, dict[str, Any]]:
    """A diary entry from a form or JSON: ``kind`` and that kind's fields; returns the entry
    and the JSON-shaped data stored with it."""
    try:
        kind = DiaryKind(str(document.get("kind", "")))
    except ValueError:
        choices = ", ".join(kind.value for kind in DiaryKind)
        raise InvalidInputError("kind", f"choose one of {choices}") from None
    measure: RFlacc | NumericPain | SkinCheck | MedicineGiven | Unwell
    data: dict[str, Any]
    if kind is DiaryKind.PAIN_R_FLACC:
        scores = {name: _int(document.get(name), name) for name in R_FLACC_CATEGORIES}
        measure = RFlacc(**scores)  # type: ignore[arg-type]  # checked by RFlacc itself
        data = {name: getattr(measure, name) for name in R_FLACC_CATEGORIES}
        data["total"] = measure.total
    elif kind is DiaryKind.PAIN_NUMERIC:
        measure = NumericPain(_int(document.get("pain_score"), "pain_score"))  # type: ignore[arg-type]  # checked by NumericPain
        data = {"pain_score": measure.score}
    elif kind is DiaryKind.SKIN:
        try:
            finding = SkinFinding(str(document.get("skin_finding", "")))
        except ValueError:
            raise InvalidInputError("skin_finding", "choose what you saw on the skin") from None
        measure = SkinCheck(finding, document.get("skin_where") or "", has_photo)
        data = {"skin_finding": finding.value, "skin_where": measure.where}
        if finding.npiap_stage is not None:
            data["npiap_stage"] = finding.npiap_stage
    elif kind is DiaryKind.MEDICINE:
        given = document.get("given_at")
        if isinstance(given, str) and given.strip():
            try:
                moment = datetime.fromisoformat(given.strip())
            except ValueError:
                raise InvalidInputError("given_at", "write the time as YYYY-MM-DDTHH:MM") from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=now.tzinfo)
        else:
            moment = now
        if moment > now + timedelta(minutes=5):
            raise InvalidInputError("given_at", "is in the future")
        measure = MedicineGiven(moment, document.get("medicine") or "")
        data = {"given_at": measure.given_at.isoformat(), "medicine": measure.medicine}
    else:
        measure = Unwell(document.get("description") or "")
        data = {"description": measure.description}
    entry = DiaryEntry(child_id, now, measure, document.get("note") or "")
    if entry.note:
        data["note"] = entry.note
    return entry, data


def _photo(photo: tuple[str, bytes] | None) -> tuple[str, bytes] | None:
    if photo is None or not photo[1]:
        return None
    content_type, content = photo
    if content_type not in PHOTO_TYPES:
        raise InvalidInputError("photo", "send a JPEG or PNG photo")
    if len(content) > PHOTO_MAX_BYTES:
        raise InvalidInputError("photo", f"is larger than {PHOTO_MAX_BYTES // (1024 * 1024)} MB")
    if not content.startswith(PHOTO_TYPES[content_type]):
        raise InvalidInputError("photo", f"is not a real {content_type.split('/')[1]} image")
    return content_type, content


def record_diary_entry(
    uow: FamilyUnitOfWork,
    actor_id: int,
    child_id: int,
    document: Mapping[str, Any],
    rules: DiaryRules,
    *,
    now: datetime,
    photo: tuple[str, bytes] | None = None,
) -> DiaryRecord:
    """Store a family diary entry; an entry past a threshold raises a care-team alert
    (kind ``diary-<entry kind>``) in the same transaction."""
    now = utc_moment(now, "now")
    checked_photo = _photo(photo)
    entry, data = parse_diary_entry(
        child_id, document, now=now, has_photo=checked_photo is not None
    )
    if checked_photo is not None and entry.kind is not DiaryKind.SKIN:
        raise InvalidInputError("photo", "a photo goes with a skin check")
    assessment = assess(entry, rules)
    data["rules"] = [rule.id for rule in assessment.fired]
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=False)
        entry_id = uow.family.add_diary_entry(entry, _id(actor), data, assessment.urgency)
        alert_id = None
        if assessment.raises_alert:
            alert = uow.alerts.add(Alert(child_id, f"diary-{entry.kind.value}", now))
            alert_id = alert.id
            if alert_id is not None:
                uow.family.set_diary_alert(entry_id, alert_id)
            write_audit(uow, actor, AuditAction.ALERT_RAISED, EntityType.CHILD, child_id, now)
        if checked_photo is not None:
            uow.family.add_photo(entry_id, *checked_photo)
        write_audit(uow, actor, AuditAction.DIARY_RECORDED, EntityType.CHILD, child_id, now)
        uow.commit()
    stored = StoredDiaryEntry(
        id=entry_id,
        child_id=child_id,
        recorded_by=_id(actor),
        recorded_at=now,
        kind=entry.kind,
        data=data,
        urgency=assessment.urgency,
        alert_id=alert_id,
        has_photo=checked_photo is not None,
    )
    return DiaryRecord(stored, assessment)


def diary_entries(
    uow: FamilyUnitOfWork,
    actor_id: int,
    child_id: int,
    *,
    now: datetime,
    limit: int = 50,
    audit: bool = True,
) -> list[StoredDiaryEntry]:
    """The child's newest diary entries, for linked family and staff of the child's site
    (``audit=False`` only where the page showing them is audited already)."""
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=True)
        entries = list(uow.family.diary_for(child_id, limit))
        if audit:
            write_audit(uow, actor, AuditAction.DIARY_READ, EntityType.CHILD, child_id, now)
            uow.commit()
    return entries


def diary_photo(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, entry_id: int, *, now: datetime
) -> tuple[str, bytes]:
    """A skin-check photo, for that child's family and the care team only."""
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=True)
        found = uow.family.photo(entry_id)
        if found is None or found[0] != child_id:
            raise InvalidInputError("entry_id", f"no photo for diary entry {entry_id}")
        write_audit(uow, actor, AuditAction.DIARY_READ, EntityType.CHILD, child_id, now)
        uow.commit()
    return found[1], found[2]


def pain_descriptors(
    uow: FamilyUnitOfWork, actor_id: int, child_id: int, *, now: datetime
) -> dict[str, str]:
    """The parent's own words for how their child shows pain, per r-FLACC category."""
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=True)
        return uow.family.descriptors(child_id)


def save_pain_descriptors(
    uow: FamilyUnitOfWork,
    actor_id: int,
    child_id: int,
    texts: Mapping[str, object],
    *,
    now: datetime,
) -> dict[str, str]:
    """Keep the parent's own descriptors (empty text removes one)."""
    now = utc_moment(now, "now")
    cleaned: dict[str, str] = {}
    for category in R_FLACC_CATEGORIES:
        value = texts.get(category, "")
        if isinstance(value, str):
            refuse_control_characters(value, category, multiline=True)
        text = " ".join(value.split()) if isinstance(value, str) else ""
        if len(text) > 500:
            raise InvalidInputError(category, "is longer than 500 characters; shorten it")
        cleaned[category] = text
    with uow:
        actor = find_actor(uow, actor_id)
        _readable_child(uow, actor, child_id, now, staff_too=False)
        uow.family.set_descriptors(child_id, cleaned, now)
        write_audit(uow, actor, AuditAction.DIARY_RECORDED, EntityType.CHILD, child_id, now)
        uow.commit()
    return {key: value for key, value in cleaned.items() if value}


# --- reminders -------------------------------------------------------------------------------


def reminders_due(uow: FamilyUnitOfWork, day: date) -> list[DueReminder]:
    """Every (family member, care-plan item not done) due on ``day``."""
    with uow:
        return list(uow.family.due_reminders(day))


def claim_reminder(
    uow: FamilyUnitOfWork,
    reminder: DueReminder,
    *,
    now: datetime,
    timeout: timedelta = REMINDER_CLAIM_TIMEOUT,
) -> int | None:
    """Claim one reminder before sending it (committed at once): the delivery id, or None
    when another run holds it or it was sent. A claim left 'sending' longer than
    ``timeout`` (a run that crashed between claiming and marking sent) is taken over."""
    now = utc_moment(now, "now")
    with uow:
        claimed = uow.family.claim_delivery(
            reminder.care_plan_item_id, reminder.recipient_id, reminder.due_date, now
        )
        if claimed is not None:
            uow.commit()
            return claimed
    with uow:
        claimed = uow.family.reclaim_stale(
            reminder.care_plan_item_id,
            reminder.recipient_id,
            reminder.due_date,
            now,
            now - timeout,
        )
        uow.commit()
    return claimed


def mark_reminder_sent(
    uow: FamilyUnitOfWork, delivery_id: int, reminder: DueReminder, *, now: datetime
) -> None:
    with uow:
        uow.family.mark_sent(delivery_id, now)
        recipient = uow.users.get(reminder.recipient_id)
        if recipient is not None:
            write_audit(
                uow, recipient, AuditAction.REMINDER_SENT, EntityType.CHILD, reminder.child_id, now
            )
        uow.commit()


# --- the "today" page ------------------------------------------------------------------------


@dataclass(frozen=True)
class FamilyItem:
    """One plan item as the family page shows it, with its stored state."""

    entry: PlanEntry
    done: bool
    tickable: bool
    """A family-owned, one-off item: the family ticks it (recurring ones are reminders)."""

    @property
    def id(self) -> str:
        return self.entry.id


@dataclass(frozen=True)
class FamilyToday:
    """What the family sees for one child on ``today``; ``plan`` is None before the care
    team has started the pathway."""

    child: Child
    today: date
    plan: CarePlan | None
    today_items: tuple[FamilyItem, ...] = ()
    still_to_do: tuple[FamilyItem, ...] = ()
    coming_next: tuple[FamilyItem, ...] = ()
    phases: tuple[tuple[str, tuple[FamilyItem, ...]], ...] = ()
    done_count: int = 0
    total_count: int = 0
    words: Translator | None = None
    has_calendar: bool = False

    @property
    def to_be_confirmed(self) -> bool:
        return any(item.entry.to_be_confirmed for _, items in self.phases for item in items)


_COMING_NEXT = 5


def child_care_plan(
    uow: FamilyUnitOfWork, child: Child, content: PathwayContent
) -> tuple[CarePlan, tuple[CarePlanItemState, ...]] | None:
    """The child's personalised plan (as the care team started it) and its item states."""
    started = started_care_plan(uow, child.id or 0)
    if started is None:
        return None
    operation, states = started
    # The same plan the care team started (hipcare.services.operations builds it).
    plan = build_care_plan(uow, child, operation, content)
    return plan, states


def _occurs_on(entry: PlanEntry, day: date) -> bool:
    if entry.recurrence is not None and entry.until is not None:
        return entry.date <= day <= entry.until
    return entry.date == day


def family_today(
    uow: FamilyUnitOfWork,
    actor: int | User,
    child_id: int,
    content: PathwayContent,
    words: Translator | Callable[[Child], Translator],
    *,
    today: date,
    now: datetime,
) -> FamilyToday:
    """Today's steps, what is still to do, what comes next, and the whole plan by phase.

    ``actor`` is the user's id, or the user as the session check already loaded them (saves a
    query on the busiest page); ``words`` the page's translator, or a function choosing it
    from the child (their preferred language). One unit of work, audited as a plan read.
    """
    now = utc_moment(now, "now")
    with uow:
        user = find_actor(uow, actor) if isinstance(actor, int) else actor
        linked, started = _today_reads(uow, user, child_id, now)
        _audit_plan_read(uow, user, child_id, now)
        uow.commit()
    return _today_view(linked, started, content, words, today)


def family_today_page(
    uow: FamilyUnitOfWork,
    session_token: str | None,
    child_id: int,
    content: PathwayContent,
    words: Callable[[Child], Translator],
    *,
    today: date,
    now: datetime,
    policy: SessionPolicy,
) -> tuple[SessionUser, FamilyToday] | None:
    """:func:`family_today` for the "today" page, with the session check in the same short
    transaction (session, family link and child, plan, item states, the audit row): the
    signed-in user and the view, or None when the session token is missing or not valid."""
    now = utc_moment(now, "now")
    with uow:
        found = _signed_in_and_linked(uow, session_token, child_id, now, policy)
        if found is None:
            return None
        signed, linked = found
        started = uow.family.started_plan(child_id)
        _audit_plan_read(uow, signed.user, child_id, now)
        uow.commit()
    return signed, _today_view(linked, started, content, words, today)


def _signed_in_and_linked(
    uow: FamilyUnitOfWork,
    session_token: str | None,
    child_id: int,
    now: datetime,
    policy: SessionPolicy,
) -> tuple[SessionUser, LinkedChild] | None:
    """The session (the accounts' policy: expired is None) and the linked child, read in one
    statement; anyone but linked family is refused (audited). None: not signed in."""
    if not session_token:
        return None
    digest = token_digest(session_token)
    found = uow.family.session_and_linked_child(digest, child_id)
    if found is None:
        return None
    session, user, linked = found
    if user.role is not Role.FAMILY:
        # Staff: the full session read (with site memberships), then the audited refusal.
        signed = session_user_in(uow, session_token, now=now, policy=policy)
        if signed is None:
            return None
        _linked(uow, signed.user, child_id, now)
    signed = judge_session(uow, digest, session, user, now=now, policy=policy)
    if signed is None:
        return None
    if linked is None:
        _linked(uow, signed.user, child_id, now)  # refuses, audited
        raise RuntimeError("not linked")  # pragma: no cover -- _linked just refused
    return signed, linked


@dataclass(frozen=True)
class TodayAccess:
    """A signed-in family member's view of a child's "today" page, checked and audited, with
    what a rendered copy of the page depends on in the database (the page cache's key)."""

    user: SessionUser
    child: Child
    has_calendar: bool
    record_version: int
    page_generation: int


def open_family_today(
    uow: FamilyUnitOfWork,
    session_token: str | None,
    child_id: int,
    *,
    now: datetime,
    policy: SessionPolicy,
) -> TodayAccess | None:
    """Check the session and the family link, audit the view (one ``care_plan.read`` row,
    as :func:`family_today_page`) and read the record's version, in one short transaction
    that does not read the plan: None when the session token is missing or not valid.

    The page cache keys a rendered page on what this returns; on a miss the page is built by
    :func:`family_today_after_access`. Anyone but linked family is refused (audited) here,
    before any cached copy is looked at."""
    now = utc_moment(now, "now")
    with uow:
        found = _signed_in_and_linked(uow, session_token, child_id, now, policy)
        if found is None:
            return None
        signed, linked = found
        _audit_plan_read(uow, signed.user, child_id, now)
        uow.commit()
    return TodayAccess(
        user=signed,
        child=linked.child,
        has_calendar=linked.has_calendar,
        record_version=linked.record_version,
        page_generation=linked.page_generation,
    )


def family_today_after_access(
    uow: FamilyUnitOfWork,
    access: TodayAccess,
    content: PathwayContent,
    words: Translator,
    *,
    today: date,
    now: datetime,
) -> FamilyToday:
    """The "today" view for a page :func:`open_family_today` admitted and audited (a cache
    miss): the child and plan read in one short read-only transaction, not audited again.

    Read after the version, so the view is never older than the version it is cached under."""
    now = utc_moment(now, "now")
    with uow:
        linked, started = _today_reads(uow, access.user.user, access.child.id or 0, now)
    return _today_view(linked, started, content, words, today)


def _linked(uow: FamilyUnitOfWork, user: User, child_id: int, now: datetime) -> LinkedChild:
    """The linked child; anyone but linked family is refused (with an access.denied row)."""
    linked = uow.family.linked_child(_id(user), child_id) if user.role is Role.FAMILY else None
    if linked is None:
        _readable_child(uow, user, child_id, now, staff_too=False)
        # Not reached: the same transaction found no link, so _readable_child refused.
        raise RuntimeError("not linked")  # pragma: no cover -- unreachable, see above
    return linked


def _today_reads(
    uow: FamilyUnitOfWork, user: User, child_id: int, now: datetime
) -> tuple[LinkedChild, StartedPlan | None]:
    """The linked child and its started plan; anyone but linked family is refused (audited)."""
    return _linked(uow, user, child_id, now), uow.family.started_plan(child_id)


def _audit_plan_read(uow: FamilyUnitOfWork, user: User, child_id: int, now: datetime) -> None:
    """The plan read's audit row (``care_plan.read``), as one Core insert by the family
    repository (the ORM's add and flush cost more than the rest of the page's reads)."""
    uow.family.audit_plan_read(_id(user), child_id, now)


def _today_view(
    linked: LinkedChild,
    started: StartedPlan | None,
    content: PathwayContent,
    words: Translator | Callable[[Child], Translator],
    today: date,
) -> FamilyToday:
    child, has_calendar = linked.child, linked.has_calendar
    translator = words if isinstance(words, Translator) else words(child)
    if started is None:
        return FamilyToday(child, today, None, words=translator, has_calendar=has_calendar)
    plan, entries = _plan_and_entries(child, started, content, translator)
    items = [
        FamilyItem(
            entry=entry,
            done=planned.id in started.done_ids,
            tickable=planned.owner is Owner.FAMILY and planned.recurrence is None,
        )
        for planned, entry in zip(plan.items, entries, strict=True)
        if planned.id in started.item_ids
    ]
    today_items = tuple(item for item in items if _occurs_on(item.entry, today))
    still = tuple(
        item for item in items if item.tickable and not item.done and item.entry.date < today
    )
    coming = tuple(item for item in items if item.entry.date > today and not item.done)
    phases = []
    for phase in plan.phases:
        in_phase = tuple(item for item in items if item.entry.phase == phase.phase.value)
        if in_phase:
            phases.append((translator.gettext(phase.title), in_phase))
    return FamilyToday(
        child=child,
        today=today,
        plan=plan,
        today_items=today_items,
        still_to_do=still,
        coming_next=coming[:_COMING_NEXT],
        phases=tuple(phases),
        done_count=sum(1 for item in items if item.done),
        total_count=len(items),
        words=translator,
        has_calendar=has_calendar,
    )


@dataclass(frozen=True)
class _BuiltPlan:
    content: PathwayContent
    plan: CarePlan
    entries: dict[str, tuple[PlanEntry, ...]]
    """The plan's entries by language code, translated the first time a page asks."""


_PLAN_CACHE: dict[tuple[object, ...], _BuiltPlan] = {}
_PLAN_CACHE_SIZE = 512


def _plan_and_entries(
    child: Child, started: StartedPlan, content: PathwayContent, words: Translator
) -> tuple[CarePlan, tuple[PlanEntry, ...]]:
    """The child's plan and its entries in one language, built once per process: a plan is a
    pure function of the stored operation, the surgeon's profile, the child's site, id and
    language and the pathway content, which make the key (the content by identity), so a
    family's requests reuse the plan and entries already built and translated."""
    key = (
        started.operation,
        started.surgeon_profile,
        child.id,
        child.site_id,
        child.preferred_language,
    )
    built = _PLAN_CACHE.get(key)
    if built is None or built.content is not content:
        if len(_PLAN_CACHE) >= _PLAN_CACHE_SIZE:
            _PLAN_CACHE.clear()
        plan = build_care_plan_with_profile(
            child, started.operation, started.surgeon_profile, content
        )
        built = _PLAN_CACHE[key] = _BuiltPlan(content, plan, {})
    entries = built.entries.get(words.code)
    if entries is None:
        entries = built.entries[words.code] = plan_entries(built.plan, words)
    return built.plan, entries


def family_plan(
    uow: FamilyUnitOfWork,
    actor_id: int,
    child_id: int,
    content: PathwayContent,
    action: AuditAction,
    *,
    now: datetime,
) -> CarePlan | None:
    """The child's plan for the booklet or the calendar, audited as ``action``."""
    now = utc_moment(now, "now")
    with uow:
        actor = find_actor(uow, actor_id)
        child = _readable_child(uow, actor, child_id, now, staff_too=False)
        found = child_care_plan(uow, child, content)
        write_audit(uow, actor, action, EntityType.CHILD, child_id, now)
        uow.commit()
    return None if found is None else found[0]


def feed_plan(
    uow: FamilyUnitOfWork, token: str, content: PathwayContent, *, now: datetime
) -> tuple[Child, CarePlan | None] | None:
    """The child and plan behind a live calendar-feed token (audited), or None."""
    child = calendar_feed_child(uow, token, now=now)
    if child is None:
        return None
    with uow:
        found = child_care_plan(uow, child, content)
    return child, None if found is None else found[0]
