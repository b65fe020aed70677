"""An in-memory implementation of the services' ports, for use-case tests without a database.

Model: cosmicpython ``tests/unit/fakes.py`` (a fake repository and unit of work of plain
Python objects), made honest: a unit of work works on a copy of the committed tables, so
leaving its ``with`` block without ``commit()`` forgets what it wrote, as the SQL one does.

It covers the records (sites, staff, children, visits, operation plans, care-plan items,
alerts, other systems' identifiers), the audit trail and the site audit query, sign-in state
(sessions, failed sign-ins), radiographs, the stored surveillance judgements (``put``,
``to_judge``), and the family side's access rules: family links, the home diary (entries,
photos, pain descriptors). It leaves out what only SQL does: the Core worklist query
(``listed``, ``counted``, ``opened``), the family pages' and the child page's Core reads
(``linked_child``, ``started_plan``, ``session_and_linked_child``), invitations, calendar
feeds and reminders; a use case that needs them runs on a database (``tests/integration``).
The alert outbox and the sites' alert routes are here too (issue 16).
Asking for one of them fails with ``AttributeError``, never with a made-up answer.

ids come from counters that a rollback does not rewind (like PostgreSQL's sequences).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from types import TracebackType
from typing import Any, Self

from hipcare.domain.alert_routes import AlertRoutes
from hipcare.domain.diary import DiaryEntry, Urgency
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.messages import MessageSide
from hipcare.domain.records import (
    Alert,
    AuditAction,
    AuditEntry,
    CarePlanItemState,
    Child,
    EntityType,
    ExternalIdentifier,
    OperationPlan,
    OperationStatus,
    Role,
    Site,
    User,
    VisitRecord,
)
from hipcare.domain.referral import Referral
from hipcare.services.accounts import WebSession
from hipcare.services.ports import RecordedOutcome, StoredSurveillanceStatus
from hipcare.services.ports.accounts import AccountToken, SecondFactorSecret, TokenPurpose
from hipcare.services.ports.alert_outbox import AlertToSend, DeliveryState, SentAlert
from hipcare.services.ports.alert_routes import StoredAlertRoutes
from hipcare.services.ports.audit import AuditFilter, SiteAuditRow
from hipcare.services.ports.family import Carer, StoredDiaryEntry
from hipcare.services.ports.messages import MessageNotice, StoredMessage
from hipcare.services.ports.radiographs import OverlayImage
from hipcare.services.radiographs import Reading, StoredFilm

__all__ = ["InMemoryUnitOfWork", "MemoryDatabase", "MemoryTables", "WriteConflictError"]


class WriteConflictError(RuntimeError):
    """Another unit of work committed since this one began (SQL would serialise or refuse)."""


@dataclass
class MemoryTables:
    """The stored rows, one dict or list per table, keyed by id where the table has one."""

    sites: dict[str, Site] = field(default_factory=dict)
    users: dict[int, User] = field(default_factory=dict)
    children: dict[int, Child] = field(default_factory=dict)
    visits: dict[int, VisitRecord] = field(default_factory=dict)
    operation_plans: dict[int, OperationPlan] = field(default_factory=dict)
    care_plan_items: dict[int, CarePlanItemState] = field(default_factory=dict)
    alerts: dict[int, Alert] = field(default_factory=dict)
    audit_log: dict[int, AuditEntry] = field(default_factory=dict)
    external_identifiers: list[ExternalIdentifier] = field(default_factory=list)
    surveillance_status: dict[int, StoredSurveillanceStatus] = field(default_factory=dict)
    web_sessions: dict[str, WebSession] = field(default_factory=dict)
    sign_in_failures: list[tuple[str, str, datetime]] = field(default_factory=list)
    radiograph_files: dict[str, bytes] = field(default_factory=dict)
    radiographs: dict[int, StoredFilm] = field(default_factory=dict)
    radiograph_readings: dict[int, Reading] = field(default_factory=dict)
    radiograph_overlays: dict[int, OverlayImage] = field(default_factory=dict)
    family_links: dict[tuple[int, int], datetime] = field(default_factory=dict)
    # (user id, child id) -> the carer's own language (issue 17)
    family_link_languages: dict[tuple[int, int], str] = field(default_factory=dict)
    diary_entries: dict[int, StoredDiaryEntry] = field(default_factory=dict)
    diary_photos: dict[int, tuple[str, bytes]] = field(default_factory=dict)
    pain_descriptors: dict[tuple[int, str], str] = field(default_factory=dict)
    referrals: dict[int, Referral] = field(default_factory=dict)
    operation_outcomes: dict[int, RecordedOutcome] = field(default_factory=dict)
    sign_on_links: dict[tuple[str, str], int] = field(default_factory=dict)
    # alert_deliveries: (alert id, step) -> [id, recipient, sent?, claimed_at, sent_at]
    alert_deliveries: dict[tuple[int, int], tuple[int, str, bool, datetime, datetime | None]] = (
        field(default_factory=dict)
    )
    site_alert_routes: dict[str, StoredAlertRoutes] = field(default_factory=dict)
    account_tokens: dict[str, AccountToken] = field(default_factory=dict)
    second_factors: dict[int, SecondFactorSecret] = field(default_factory=dict)
    recovery_codes: dict[tuple[int, str], datetime | None] = field(default_factory=dict)
    child_messages: dict[int, StoredMessage] = field(default_factory=dict)
    # message id -> (notice claimed at, notice sent at)
    message_notices: dict[int, tuple[datetime | None, datetime | None]] = field(
        default_factory=dict
    )

    def copy(self) -> MemoryTables:
        """A copy whose tables can change without touching these (the values are frozen)."""
        return MemoryTables(
            **{
                table.name: type(getattr(self, table.name))(getattr(self, table.name))
                for table in dataclasses.fields(self)
            }
        )


@dataclass
class MemoryDatabase:
    """What the units of work share: the committed tables and the id counters."""

    tables: MemoryTables = field(default_factory=MemoryTables)
    version: int = 0
    _last_ids: dict[str, int] = field(default_factory=dict)

    def next_id(self, table: str) -> int:
        self._last_ids[table] = self._last_ids.get(table, 0) + 1
        return self._last_ids[table]


def _stored(record_id: int | None, rows: dict[int, Any], field: str, what: str) -> int:
    """The id of a stored record to overwrite; refuses what SQL's repositories refuse, in
    their words (``field``: the record's name in the message, ``what``: what it is)."""
    if record_id is None:
        raise InvalidInputError(f"{field}.id", "is missing; only a stored record can be saved")
    if record_id not in rows:
        raise InvalidInputError(f"{field}.id", f"no {what} {record_id} is stored")
    return record_id


class _Repository:
    def __init__(self, unit_of_work: InMemoryUnitOfWork) -> None:
        self._unit_of_work = unit_of_work

    @property
    def _tables(self) -> MemoryTables:
        return self._unit_of_work.working_tables()

    def _new_id(self, table: str) -> int:
        return self._unit_of_work.database.next_id(table)


class InMemorySiteRepository(_Repository):
    def add(self, site: Site) -> Site:
        if site.id in self._tables.sites:
            raise ValueError(f"site {site.id} is already stored")
        self._tables.sites[site.id] = site
        return site

    def get(self, site_id: str) -> Site | None:
        return self._tables.sites.get(site_id)

    def all(self) -> Sequence[Site]:
        return [self._tables.sites[site_id] for site_id in sorted(self._tables.sites)]


class InMemoryUserRepository(_Repository):
    def add(self, user: User) -> User:
        if any(stored.email == user.email for stored in self._tables.users.values()):
            raise ValueError("a user with that email is already stored")
        stored = dataclasses.replace(user, id=self._new_id("users"))
        self._tables.users[stored.id or 0] = stored
        return stored

    def get(self, user_id: int) -> User | None:
        return self._tables.users.get(user_id)

    def by_email(self, email: str) -> User | None:
        wanted = email.strip().lower()
        return next((user for user in self._tables.users.values() if user.email == wanted), None)

    def at_site(self, site_id: str) -> Sequence[User]:
        members = [user for user in self._tables.users.values() if site_id in user.site_ids]
        return sorted(members, key=lambda user: (user.display_name, user.id or 0))

    def by_sign_on(self, issuer: str, subject: str) -> User | None:
        user_id = self._tables.sign_on_links.get((issuer, subject))
        return None if user_id is None else self._tables.users[user_id]

    def link_sign_on(self, user_id: int, issuer: str, subject: str) -> None:
        if user_id not in self._tables.users:
            raise InvalidInputError("user.id", f"no user {user_id} is stored")
        if (issuer, subject) in self._tables.sign_on_links:
            raise ValueError("that sign-on is already linked to a user")
        for link, linked in list(self._tables.sign_on_links.items()):
            if linked == user_id:
                del self._tables.sign_on_links[link]
        self._tables.sign_on_links[(issuer, subject)] = user_id

    def save(self, user: User) -> User:
        user_id = _stored(user.id, self._tables.users, "user", "user")
        if any(
            stored.email == user.email and stored_id != user_id
            for stored_id, stored in self._tables.users.items()
        ):
            raise ValueError("a user with that email is already stored")
        stored = dataclasses.replace(user, password_hash=self._tables.users[user_id].password_hash)
        self._tables.users[user_id] = stored
        return stored


class InMemoryChildRepository(_Repository):
    def add(self, child: Child) -> Child:
        stored = dataclasses.replace(child, id=self._new_id("children"))
        self._tables.children[stored.id or 0] = stored
        return stored

    def get(self, child_id: int) -> Child | None:
        return self._tables.children.get(child_id)

    def save(self, child: Child) -> Child:
        self._tables.children[_stored(child.id, self._tables.children, "child", "child")] = child
        return child

    def search(self, name_key: str, site_ids: Collection[str], limit: int) -> Sequence[Child]:
        found = [
            child
            for child in self._tables.children.values()
            if child.site_id in site_ids and name_key in child.search_key
        ]
        return sorted(found, key=lambda child: (child.search_key, child.id or 0))[:limit]

    def at_site(self, site_id: str) -> Sequence[Child]:
        return [
            self._tables.children[child_id]
            for child_id in sorted(self._tables.children)
            if self._tables.children[child_id].site_id == site_id
        ]

    def born_on(self, site_id: str, date_of_birth: date) -> Sequence[Child]:
        return [child for child in self.at_site(site_id) if child.date_of_birth == date_of_birth]

    def move_records(self, from_child_id: int, to_child_id: int) -> None:
        tables = self._tables

        def moved(rows: dict[int, Any]) -> None:
            for key, row in list(rows.items()):
                if row.child_id == from_child_id:
                    rows[key] = dataclasses.replace(row, child_id=to_child_id)

        for rows in (
            tables.visits,
            tables.operation_plans,
            tables.alerts,
            tables.radiographs,
            tables.diary_entries,
            tables.referrals,
        ):
            moved(rows)
        for user_id, child_id in list(tables.family_links):
            if child_id == from_child_id:
                at = tables.family_links.pop((user_id, child_id))
                tables.family_links.setdefault((user_id, to_child_id), at)
        for child_id, category in list(tables.pain_descriptors):
            if child_id == from_child_id:
                text = tables.pain_descriptors.pop((child_id, category))
                tables.pain_descriptors.setdefault((to_child_id, category), text)
        tables.external_identifiers[:] = [
            dataclasses.replace(item, entity_id=to_child_id)
            if item.entity_type is EntityType.CHILD and item.entity_id == from_child_id
            else item
            for item in tables.external_identifiers
        ]

    def with_hospital_number(self, site_id: str, system: str, value: str) -> Sequence[Child]:
        return [
            child
            for child in self.at_site(site_id)
            if any(
                (number.system, number.value) == (system, value)
                for number in child.hospital_numbers
            )
        ]


class InMemoryVisitRepository(_Repository):
    def add(self, visit: VisitRecord) -> VisitRecord:
        stored = dataclasses.replace(visit, id=self._new_id("visits"))
        self._tables.visits[stored.id or 0] = stored
        return stored

    def get(self, visit_id: int) -> VisitRecord | None:
        return self._tables.visits.get(visit_id)

    def save(self, visit: VisitRecord) -> VisitRecord:
        self._tables.visits[_stored(visit.id, self._tables.visits, "visit", "visit")] = visit
        return visit

    def for_child(self, child_id: int) -> Sequence[VisitRecord]:
        return self.for_children([child_id]).get(child_id, [])

    def for_children(self, child_ids: Collection[int]) -> dict[int, list[VisitRecord]]:
        visits: dict[int, list[VisitRecord]] = {}
        wanted = set(child_ids)
        in_order = sorted(
            self._tables.visits.values(),
            key=lambda visit: (visit.child_id, visit.visit_date, visit.id or 0),
        )
        for visit in in_order:
            if visit.child_id in wanted:
                visits.setdefault(visit.child_id, []).append(visit)
        return visits


class InMemoryOperationPlanRepository(_Repository):
    def add(self, plan: OperationPlan) -> OperationPlan:
        stored = dataclasses.replace(plan, id=self._new_id("operation_plans"))
        self._tables.operation_plans[stored.id or 0] = stored
        return stored

    def get(self, plan_id: int) -> OperationPlan | None:
        return self._tables.operation_plans.get(plan_id)

    def for_child(self, child_id: int) -> Sequence[OperationPlan]:
        plans = self._tables.operation_plans
        return [plans[plan_id] for plan_id in sorted(plans) if plans[plan_id].child_id == child_id]

    def done_for_children(self, child_ids: Collection[int]) -> dict[int, list[OperationPlan]]:
        done: dict[int, list[OperationPlan]] = {}
        plans = self._tables.operation_plans
        for plan_id in sorted(plans):
            plan = plans[plan_id]
            if plan.child_id in child_ids and plan.status is OperationStatus.DONE:
                done.setdefault(plan.child_id, []).append(plan)
        return done

    def save(self, plan: OperationPlan) -> OperationPlan:
        plans = self._tables.operation_plans
        plans[_stored(plan.id, plans, "operation", "operation plan")] = plan
        return plan

    def save_if_unchanged(self, plan: OperationPlan, was: OperationPlan) -> OperationPlan | None:
        stored = self._tables.operation_plans.get(plan.id or 0)
        if stored is None or (stored.surgery_date, stored.status) != (
            was.surgery_date,
            was.status,
        ):
            return None
        return self.save(plan)


class InMemoryCarePlanItemRepository(_Repository):
    def add(self, item: CarePlanItemState) -> CarePlanItemState:
        stored = dataclasses.replace(item, id=self._new_id("care_plan_items"))
        self._tables.care_plan_items[stored.id or 0] = stored
        return stored

    def for_operation_plan(self, operation_plan_id: int) -> Sequence[CarePlanItemState]:
        items = [
            item
            for item in self._tables.care_plan_items.values()
            if item.operation_plan_id == operation_plan_id
        ]
        return sorted(items, key=lambda item: (item.due_date, item.id or 0))

    def save(self, item: CarePlanItemState) -> CarePlanItemState:
        items = self._tables.care_plan_items
        items[_stored(item.id, items, "care_plan_item", "care-plan item")] = item
        return item

    def mark_done(self, item_id: int, done_at: datetime, done_by: int) -> CarePlanItemState | None:
        stored = self._tables.care_plan_items.get(item_id)
        if stored is None or stored.done:
            return None
        done = dataclasses.replace(stored, done_at=done_at, done_by=done_by)
        self._tables.care_plan_items[item_id] = done
        return done


class InMemoryAlertRepository(_Repository):
    def add(self, alert: Alert) -> Alert:
        stored = dataclasses.replace(alert, id=self._new_id("alerts"))
        self._tables.alerts[stored.id or 0] = stored
        return stored

    def for_child(self, child_id: int) -> Sequence[Alert]:
        alerts = [alert for alert in self._tables.alerts.values() if alert.child_id == child_id]
        return sorted(alerts, key=lambda alert: (alert.raised_at, alert.id or 0))

    def save(self, alert: Alert) -> Alert:
        alerts = self._tables.alerts
        alerts[_stored(alert.id, alerts, "alert", "alert")] = alert
        return alert

    def acknowledge(self, alert_id: int, acknowledged_by: int, at: datetime) -> Alert | None:
        stored = self._tables.alerts.get(alert_id)
        if stored is None or stored.acknowledged_at is not None:
            return None
        done = dataclasses.replace(stored, acknowledged_by=acknowledged_by, acknowledged_at=at)
        self._tables.alerts[alert_id] = done
        return done


class InMemoryExternalIdentifierRepository(_Repository):
    def add(self, identifier: ExternalIdentifier) -> ExternalIdentifier:
        self._tables.external_identifiers.append(identifier)
        return identifier

    def find(self, entity_type: EntityType, system: str, value: str) -> int | None:
        return next(
            (
                known.entity_id
                for known in self._tables.external_identifiers
                if (known.entity_type, known.system, known.value) == (entity_type, system, value)
            ),
            None,
        )

    def for_entity(self, entity_type: EntityType, entity_id: int) -> Sequence[ExternalIdentifier]:
        return [
            known
            for known in self._tables.external_identifiers
            if (known.entity_type, known.entity_id) == (entity_type, entity_id)
        ]


def _newest_last(entries: Collection[AuditEntry]) -> list[AuditEntry]:
    return sorted(entries, key=lambda entry: (entry.at, entry.id or 0))


class InMemoryAuditLog(_Repository):
    def add(self, entry: AuditEntry) -> AuditEntry:
        stored = dataclasses.replace(entry, id=self._new_id("audit_log"))
        self._tables.audit_log[stored.id or 0] = stored
        return stored

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        for entry in entries:
            self.add(entry)

    def add_for_each(
        self,
        actor_id: int,
        action: AuditAction,
        entity_type: EntityType,
        entity_ids: Sequence[str],
        at: datetime,
    ) -> None:
        self.add_many([AuditEntry(actor_id, action, entity_type, each, at) for each in entity_ids])

    def for_entity(self, entity_type: EntityType, entity_id: str) -> Sequence[AuditEntry]:
        return _newest_last(
            [
                entry
                for entry in self._tables.audit_log.values()
                if (entry.entity_type, entry.entity_id) == (entity_type, entity_id)
            ]
        )

    def by_actor(self, actor_id: int) -> Sequence[AuditEntry]:
        return _newest_last(
            [entry for entry in self._tables.audit_log.values() if entry.actor_id == actor_id]
        )


class InMemorySiteAuditQuery(_Repository):
    def for_site(self, site_id: str, limit: int) -> Sequence[AuditEntry]:
        tables = self._tables
        children = {
            child_id for child_id, child in tables.children.items() if child.site_id == site_id
        }
        owned = {
            EntityType.SITE: {site_id},
            EntityType.CHILD: {str(child_id) for child_id in children},
            EntityType.VISIT: {
                str(visit_id)
                for visit_id, visit in tables.visits.items()
                if visit.child_id in children
            },
            EntityType.RADIOGRAPH: {
                str(film_id)
                for film_id, film in tables.radiographs.items()
                if film.child_id in children
            },
            EntityType.USER: {
                str(user_id) for user_id, user in tables.users.items() if site_id in user.site_ids
            },
        }
        about_site = [
            entry
            for entry in tables.audit_log.values()
            if entry.entity_id in owned.get(entry.entity_type, set())
        ]
        return _newest_last(about_site)[::-1][:limit]

    def search(self, site_id: str, filters: AuditFilter, limit: int) -> Sequence[SiteAuditRow]:
        tables = self._tables
        children = {
            child_id for child_id, child in tables.children.items() if child.site_id == site_id
        }
        owner: dict[tuple[EntityType, str], int] = {
            (EntityType.CHILD, str(child_id)): child_id for child_id in children
        }
        owner.update(
            ((EntityType.VISIT, str(visit_id)), visit.child_id)
            for visit_id, visit in tables.visits.items()
            if visit.child_id in children
        )
        owner.update(
            ((EntityType.RADIOGRAPH, str(film_id)), film.child_id)
            for film_id, film in tables.radiographs.items()
            if film.child_id in children
        )
        found = []
        for entry in _newest_last(list(tables.audit_log.values()))[::-1]:
            child_id = owner.get((entry.entity_type, entry.entity_id))
            if child_id is None and not (
                entry.entity_type is EntityType.SITE and entry.entity_id == site_id
            ):
                continue
            if filters.actor_id is not None and entry.actor_id != filters.actor_id:
                continue
            if filters.child_id is not None and child_id != filters.child_id:
                continue
            if filters.action is not None and entry.action is not filters.action:
                continue
            if filters.since is not None and entry.at < filters.since:
                continue
            if filters.until is not None and entry.at >= filters.until:
                continue
            found.append(SiteAuditRow(entry, child_id))
        return found[:limit]


class InMemorySurveillanceStatusRepository(_Repository):
    """Stores judgements and finds stale ones; the worklist listing itself is SQL only."""

    def put(self, statuses: Sequence[StoredSurveillanceStatus]) -> None:
        for status in statuses:
            self._tables.surveillance_status[status.child_id] = status

    def to_judge(self, site_id: str, today: date, rules_version: str) -> Sequence[int]:
        stored = self._tables.surveillance_status
        stale = {
            child_id
            for child_id, child in self._tables.children.items()
            if child.site_id == site_id and child_id not in stored
        }
        stale.update(
            status.child_id
            for status in stored.values()
            if status.site_id == site_id
            and (
                status.rules_version != rules_version
                or status.computed_on > today
                or (status.judge_again_on is not None and status.judge_again_on <= today)
            )
        )
        return sorted(stale)


class InMemorySessionRepository(_Repository):
    def add(self, web_session: WebSession) -> None:
        self._tables.web_sessions[web_session.token_digest] = web_session

    def signed_in(self, token_digest: str) -> tuple[WebSession, User] | None:
        web_session = self._tables.web_sessions.get(token_digest)
        if web_session is None:
            return None
        return web_session, self._tables.users[web_session.user_id]

    def touch(self, token_digest: str, at: datetime) -> None:
        web_session = self._tables.web_sessions.get(token_digest)
        if web_session is not None:
            self._tables.web_sessions[token_digest] = dataclasses.replace(
                web_session, last_seen_at=at
            )

    def delete(self, token_digest: str) -> None:
        self._tables.web_sessions.pop(token_digest, None)


class InMemoryAccountRepository(_Repository):
    def _user(self, user_id: int) -> User:
        user = self._tables.users.get(user_id)
        if user is None:
            raise InvalidInputError("user.id", f"no user {user_id} is stored")
        return user

    def save_user(self, user: User) -> User:
        stored = self._user(_stored(user.id, self._tables.users, "user", "user"))
        saved = dataclasses.replace(
            stored,
            display_name=user.display_name,
            role=user.role,
            profession=user.profession,
            surgeon_profile=user.surgeon_profile,
            site_ids=user.site_ids,
            deactivated_at=user.deactivated_at,
        )
        self._tables.users[stored.id or 0] = saved
        return saved

    def set_password_hash(self, user_id: int, password_hash: str | None) -> None:
        user = self._user(user_id)
        self._tables.users[user_id] = dataclasses.replace(user, password_hash=password_hash)

    def end_sessions(self, user_id: int, keep_token_digest: str | None = None) -> int:
        ending = [
            digest
            for digest, web_session in self._tables.web_sessions.items()
            if web_session.user_id == user_id and digest != keep_token_digest
        ]
        for digest in ending:
            del self._tables.web_sessions[digest]
        return len(ending)

    def add_token(self, token: AccountToken) -> None:
        self._user(token.user_id)
        self._tables.account_tokens[token.token_digest] = token

    def token(self, token_digest: str) -> AccountToken | None:
        return self._tables.account_tokens.get(token_digest)

    def save_token(self, token: AccountToken) -> None:
        stored = self._tables.account_tokens.get(token.token_digest)
        if stored is not None:
            self._tables.account_tokens[token.token_digest] = dataclasses.replace(
                stored, used_at=token.used_at, attempts=token.attempts
            )

    def void_tokens(self, user_id: int, purposes: frozenset[TokenPurpose], at: datetime) -> None:
        for digest, token in list(self._tables.account_tokens.items()):
            if token.user_id == user_id and token.purpose in purposes and token.used_at is None:
                self._tables.account_tokens[digest] = dataclasses.replace(token, used_at=at)

    def staff_invitation_open(self, user_id: int, now: datetime) -> bool:
        return any(
            token.user_id == user_id
            and token.purpose is TokenPurpose.STAFF_INVITATION
            and token.usable(now)
            for token in self._tables.account_tokens.values()
        )

    def second_factor(self, user_id: int) -> SecondFactorSecret | None:
        self._user(user_id)
        return self._tables.second_factors.get(user_id)

    def set_second_factor(self, user_id: int, secret: SecondFactorSecret | None) -> None:
        user = self._user(user_id)
        if secret is None:
            self._tables.second_factors.pop(user_id, None)
        else:
            self._tables.second_factors[user_id] = secret
        confirmed = secret is not None and secret.confirmed_at is not None
        self._tables.users[user_id] = dataclasses.replace(user, second_factor=confirmed)

    def replace_recovery_codes(self, user_id: int, code_digests: frozenset[str]) -> None:
        for key in [key for key in self._tables.recovery_codes if key[0] == user_id]:
            del self._tables.recovery_codes[key]
        for digest in code_digests:
            self._tables.recovery_codes[(user_id, digest)] = None

    def use_recovery_code(self, user_id: int, code_digest: str, at: datetime) -> bool:
        key = (user_id, code_digest)
        if key not in self._tables.recovery_codes or self._tables.recovery_codes[key] is not None:
            return False
        self._tables.recovery_codes[key] = at
        return True

    def recovery_codes_left(self, user_id: int) -> int:
        return sum(
            1
            for (owner, _), used_at in self._tables.recovery_codes.items()
            if owner == user_id and used_at is None
        )


class InMemorySignInFailureRepository(_Repository):
    def add(self, account_key: str, client_address: str, at: datetime) -> None:
        self._tables.sign_in_failures.append((account_key, client_address, at))

    def count_for_account(self, account_key: str, since: datetime) -> int:
        failures = self._tables.sign_in_failures
        return sum(1 for key, _, at in failures if key == account_key and at > since)

    def count_for_address(self, client_address: str, since: datetime) -> int:
        failures = self._tables.sign_in_failures
        return sum(1 for _, address, at in failures if address == client_address and at > since)

    def latest_for_account(self, account_key: str) -> datetime | None:
        failures = self._tables.sign_in_failures
        return max((at for key, _, at in failures if key == account_key), default=None)

    def latest_for_address(self, client_address: str) -> datetime | None:
        failures = self._tables.sign_in_failures
        return max((at for _, address, at in failures if address == client_address), default=None)

    def clear_account(self, account_key: str) -> None:
        failures = self._tables.sign_in_failures
        failures[:] = [failure for failure in failures if failure[0] != account_key]

    def delete_before(self, moment: datetime) -> None:
        failures = self._tables.sign_in_failures
        failures[:] = [failure for failure in failures if failure[2] > moment]


class InMemoryRadiographRepository(_Repository):
    def add_file(self, sha256: str, content: bytes) -> None:
        self._tables.radiograph_files.setdefault(sha256, content)

    def file(self, sha256: str) -> bytes | None:
        return self._tables.radiograph_files.get(sha256)

    def add(self, film: StoredFilm) -> StoredFilm:
        stored = dataclasses.replace(film, id=self._new_id("radiographs"))
        self._tables.radiographs[stored.id or 0] = stored
        return stored

    def get(self, film_id: int) -> StoredFilm | None:
        return self._tables.radiographs.get(film_id)

    def for_child(self, child_id: int) -> Sequence[StoredFilm]:
        films = [film for film in self._tables.radiographs.values() if film.child_id == child_id]
        return sorted(films, key=lambda film: (film.film_date, film.id or 0), reverse=True)

    def add_reading(self, reading: Reading) -> Reading:
        stored = dataclasses.replace(reading, id=self._new_id("radiograph_readings"))
        self._tables.radiograph_readings[stored.id or 0] = stored
        return stored

    def confirm_reading(self, reading: Reading) -> Reading:
        self._tables.radiograph_readings[reading.id or 0] = reading
        return reading

    def put_overlay(self, reading_id: int, overlay: OverlayImage) -> None:
        self._tables.radiograph_overlays[reading_id] = overlay

    def overlay(self, reading_id: int) -> OverlayImage | None:
        return self._tables.radiograph_overlays.get(reading_id)

    def hold(self, film_id: int) -> None:
        """Nothing to hold: the fake serves one caller at a time."""

    def readings(self, film_id: int) -> Sequence[Reading]:
        readings = [
            reading
            for reading in self._tables.radiograph_readings.values()
            if reading.radiograph_id == film_id
        ]
        return sorted(readings, key=lambda reading: (reading.measured_at, reading.id or 0))


class InMemoryFamilyRepository(_Repository):
    """The family side's links and home diary (the Core page reads are left to SQL)."""

    def link(self, user_id: int, child_id: int, at: datetime, language: str | None = None) -> None:
        if (user_id, child_id) in self._tables.family_links:
            raise ValueError(f"user {user_id} is already linked to child {child_id}")
        self._tables.family_links[user_id, child_id] = at
        if language is not None:
            self._tables.family_link_languages[user_id, child_id] = language

    def carers(self, child_id: int) -> Sequence[Carer]:
        tables = self._tables
        found = [
            Carer(
                user_id,
                tables.users[user_id].display_name,
                tables.users[user_id].email,
                tables.family_link_languages.get((user_id, linked)),
                at,
            )
            for (user_id, linked), at in tables.family_links.items()
            if linked == child_id and tables.users[user_id].role is Role.FAMILY
        ]
        return sorted(found, key=lambda carer: (carer.linked_at, carer.user_id))

    def carer_language(self, user_id: int) -> str | None:
        tables = self._tables
        chosen = [
            (tables.family_links[key], language)
            for key, language in tables.family_link_languages.items()
            if key[0] == user_id
        ]
        return max(chosen)[1] if chosen else None

    def set_carer_language(self, user_id: int, language: str) -> int:
        tables = self._tables
        changed = 0
        for key in tables.family_links:
            if key[0] == user_id and tables.family_link_languages.get(key) != language:
                tables.family_link_languages[key] = language
                changed += 1
        return changed

    def members(self, child_id: int) -> Sequence[int]:
        return sorted(user for user, child in self._tables.family_links if child == child_id)

    def children_of(self, user_id: int) -> Sequence[int]:
        return sorted(child for user, child in self._tables.family_links if user == user_id)

    def is_linked(self, user_id: int, child_id: int) -> bool:
        return (user_id, child_id) in self._tables.family_links

    def add_diary_entry(
        self, entry: DiaryEntry, recorded_by: int, data: Mapping[str, Any], urgency: Urgency
    ) -> int:
        entry_id = self._new_id("diary_entries")
        self._tables.diary_entries[entry_id] = StoredDiaryEntry(
            id=entry_id,
            child_id=entry.child_id,
            recorded_by=recorded_by,
            recorded_at=entry.recorded_at,
            kind=entry.kind,
            data=dict(data),
            urgency=urgency,
            alert_id=None,
            has_photo=False,
        )
        return entry_id

    def set_diary_alert(self, entry_id: int, alert_id: int) -> None:
        entries = self._tables.diary_entries
        entries[entry_id] = dataclasses.replace(entries[entry_id], alert_id=alert_id)

    def diary_for(self, child_id: int, limit: int) -> Sequence[StoredDiaryEntry]:
        found = [
            dataclasses.replace(entry, has_photo=entry.id in self._tables.diary_photos)
            for entry in self._tables.diary_entries.values()
            if entry.child_id == child_id
        ]
        found.sort(key=lambda entry: (entry.recorded_at, entry.id), reverse=True)
        return found[:limit]

    def add_photo(self, entry_id: int, content_type: str, content: bytes) -> None:
        if entry_id in self._tables.diary_photos:
            raise ValueError(f"diary entry {entry_id} already has a photo")
        self._tables.diary_photos[entry_id] = (content_type, bytes(content))

    def photo(self, entry_id: int) -> tuple[int, str, bytes] | None:
        found = self._tables.diary_photos.get(entry_id)
        if found is None:
            return None
        return self._tables.diary_entries[entry_id].child_id, found[0], found[1]

    def descriptors(self, child_id: int) -> dict[str, str]:
        return {
            category: text
            for (child, category), text in self._tables.pain_descriptors.items()
            if child == child_id
        }

    def set_descriptors(self, child_id: int, texts: Mapping[str, str], at: datetime) -> None:
        kept = self._tables.pain_descriptors
        for key in [key for key in kept if key[0] == child_id]:
            del kept[key]
        kept.update({(child_id, category): text for category, text in texts.items() if text})


class InMemoryReferralRepository(_Repository):
    def add(self, referral: Referral) -> Referral:
        stored = dataclasses.replace(referral, id=self._new_id("referrals"))
        self._tables.referrals[stored.id or 0] = stored
        return stored

    def get(self, referral_id: int) -> Referral | None:
        return self._tables.referrals.get(referral_id)

    def save(self, referral: Referral) -> Referral:
        self._tables.referrals[
            _stored(referral.id, self._tables.referrals, "referral", "referral")
        ] = referral
        return referral

    def for_child(self, child_id: int) -> Sequence[Referral]:
        found = [r for r in self._tables.referrals.values() if r.child_id == child_id]
        return sorted(found, key=lambda r: (r.referred_on, r.id or 0))

    def latest_for_children(self, child_ids: Collection[int]) -> dict[int, Referral]:
        return {
            child_id: found[-1] for child_id in child_ids if (found := self.for_child(child_id))
        }

    def with_operation_planned(self, child_ids: Collection[int]) -> set[int]:
        return {
            plan.child_id
            for plan in self._tables.operation_plans.values()
            if plan.child_id in child_ids and plan.status is not OperationStatus.CANCELLED
        }


class InMemoryOutcomeRepository(_Repository):
    def get(self, operation_plan_id: int) -> RecordedOutcome | None:
        return self._tables.operation_outcomes.get(operation_plan_id)

    def save(self, outcome: RecordedOutcome) -> RecordedOutcome:
        self._tables.operation_outcomes[outcome.operation_plan_id] = outcome
        return outcome


class InMemoryAlertOutbox(_Repository):
    def to_send(self, raised_since: datetime) -> Sequence[AlertToSend]:
        tables = self._tables
        urgency = {
            entry.alert_id: entry.urgency.value
            for entry in tables.diary_entries.values()
            if entry.alert_id is not None
        }
        found = []
        for alert in sorted(tables.alerts.values(), key=lambda a: (a.raised_at, a.id or 0)):
            if alert.id is None or alert.acknowledged_at is not None:
                continue
            if alert.raised_at < raised_since:
                continue
            deliveries = tuple(
                DeliveryState(step, sent, claimed_at)
                for (alert_id, step), (_, _, sent, claimed_at, _) in sorted(
                    tables.alert_deliveries.items()
                )
                if alert_id == alert.id
            )
            site_id = tables.children[alert.child_id].site_id
            found.append(
                AlertToSend(
                    alert.id,
                    alert.child_id,
                    site_id,
                    alert.raised_at,
                    urgency.get(alert.id),
                    deliveries,
                )
            )
        return found

    def claim(self, alert_id: int, step: int, recipient: str, now: datetime) -> int | None:
        if (alert_id, step) in self._tables.alert_deliveries:
            return None
        delivery_id = self._new_id("alert_deliveries")
        self._tables.alert_deliveries[(alert_id, step)] = (delivery_id, recipient, False, now, None)
        return delivery_id

    def reclaim_stale(
        self, alert_id: int, step: int, now: datetime, stale_before: datetime
    ) -> int | None:
        found = self._tables.alert_deliveries.get((alert_id, step))
        if found is None or found[2] or found[3] >= stale_before:
            return None
        self._tables.alert_deliveries[(alert_id, step)] = (found[0], found[1], False, now, None)
        return found[0]

    def mark_sent(self, delivery_id: int, at: datetime) -> None:
        deliveries = self._tables.alert_deliveries
        for key, (found_id, recipient, _, claimed_at, _) in list(deliveries.items()):
            if found_id == delivery_id:
                deliveries[key] = (found_id, recipient, True, claimed_at, at)

    def sent_for_child(self, child_id: int) -> Sequence[SentAlert]:
        tables = self._tables
        return [
            SentAlert(alert_id, recipient, sent_at, step)
            for (alert_id, step), (_, recipient, sent, _, sent_at) in sorted(
                tables.alert_deliveries.items()
            )
            if sent and sent_at is not None and tables.alerts[alert_id].child_id == child_id
        ]


class InMemoryAlertRouteRepository(_Repository):
    def get(self, site_id: str, timezone: str) -> StoredAlertRoutes | None:
        stored = self._tables.site_alert_routes.get(site_id)
        if stored is None:
            return None
        routes = dataclasses.replace(stored.routes, timezone=timezone)
        return StoredAlertRoutes(routes, stored.updated_by, stored.updated_at)

    def save(self, routes: AlertRoutes, updated_by: int, at: datetime) -> None:
        if routes.site_id not in self._tables.sites:
            raise InvalidInputError("site", f"no site {routes.site_id!r} is stored")
        self._tables.site_alert_routes[routes.site_id] = StoredAlertRoutes(routes, updated_by, at)


class InMemoryMessageRepository(_Repository):
    def add(self, child_id: int, author_id: int, side: MessageSide, body: str, at: datetime) -> int:
        tables = self._tables
        if child_id not in tables.children:
            raise InvalidInputError("child_id", f"no child with id {child_id}")
        message_id = self._new_id("child_messages")
        author = tables.users[author_id]
        tables.child_messages[message_id] = StoredMessage(
            message_id, child_id, author_id, side, body, at, author.display_name
        )
        tables.message_notices[message_id] = (None, None)
        return message_id

    def thread(self, child_id: int, limit: int) -> Sequence[StoredMessage]:
        found = sorted(
            (m for m in self._tables.child_messages.values() if m.child_id == child_id),
            key=lambda m: (m.sent_at, m.id),
        )
        return found[-limit:] if limit > 0 else []

    def mark_read(self, child_id: int, written_by: MessageSide, at: datetime) -> int:
        messages = self._tables.child_messages
        marked = 0
        for message_id, message in list(messages.items()):
            if message.child_id == child_id and message.side is written_by and not message.read_at:
                messages[message_id] = dataclasses.replace(message, read_at=at)
                marked += 1
        return marked

    def unread(self, child_id: int, written_by: MessageSide) -> int:
        return sum(
            1
            for m in self._tables.child_messages.values()
            if m.child_id == child_id and m.side is written_by and m.read_at is None
        )

    def notices_to_send(
        self, sent_since: datetime, side: MessageSide = MessageSide.FAMILY
    ) -> Sequence[MessageNotice]:
        tables = self._tables

        def told(message: StoredMessage) -> bool:
            return any(
                other.child_id == message.child_id
                and other.side is side
                and other.id < message.id
                and other.read_at is None
                and tables.message_notices[other.id][1] is not None
                for other in tables.child_messages.values()
            )

        return [
            MessageNotice(
                m.id,
                m.child_id,
                tables.children[m.child_id].site_id,
                m.sent_at,
                claimed,
                told(m),
                m.read_at is not None,
            )
            for m in sorted(tables.child_messages.values(), key=lambda m: (m.sent_at, m.id))
            for claimed, sent in [tables.message_notices[m.id]]
            if m.side is side and m.sent_at >= sent_since and sent is None
        ]

    def claim_notice(self, message_id: int, now: datetime, stale_before: datetime) -> bool:
        claimed, sent = self._tables.message_notices[message_id]
        if sent is not None or (claimed is not None and claimed >= stale_before):
            return False
        self._tables.message_notices[message_id] = (now, None)
        return True

    def mark_notice_sent(self, message_id: int, at: datetime) -> None:
        claimed, _ = self._tables.message_notices[message_id]
        self._tables.message_notices[message_id] = (claimed, at)


class InMemoryUnitOfWork:
    """Implements :class:`hipcare.services.ports.UnitOfWork` (the parts listed in the module
    docstring) over a :class:`MemoryDatabase`.

    ``with uow:`` takes a copy of the committed tables; the repositories read and write the
    copy; ``commit()`` makes it the committed tables (refusing when another unit of work
    committed in between) and takes a fresh copy; ``rollback()`` and leaving the block throw
    the copy away.
    """

    def __init__(self, database: MemoryDatabase | None = None) -> None:
        self.database = database if database is not None else MemoryDatabase()
        self._working: MemoryTables | None = None
        self._began_at_version = 0
        self.sites = InMemorySiteRepository(self)
        self.users = InMemoryUserRepository(self)
        self.children = InMemoryChildRepository(self)
        self.visits = InMemoryVisitRepository(self)
        self.operation_plans = InMemoryOperationPlanRepository(self)
        self.care_plan_items = InMemoryCarePlanItemRepository(self)
        self.alerts = InMemoryAlertRepository(self)
        self.audit = InMemoryAuditLog(self)
        self.external_identifiers = InMemoryExternalIdentifierRepository(self)
        self.surveillance_status = InMemorySurveillanceStatusRepository(self)
        self.web_sessions = InMemorySessionRepository(self)
        self.sign_in_failures = InMemorySignInFailureRepository(self)
        self.accounts = InMemoryAccountRepository(self)
        self.site_audit = InMemorySiteAuditQuery(self)
        self.radiographs = InMemoryRadiographRepository(self)
        self.family = InMemoryFamilyRepository(self)
        self.referrals = InMemoryReferralRepository(self)
        self.operation_outcomes = InMemoryOutcomeRepository(self)
        self.alert_outbox = InMemoryAlertOutbox(self)
        self.alert_routes = InMemoryAlertRouteRepository(self)
        self.messages = InMemoryMessageRepository(self)

    def __enter__(self) -> Self:
        if self._working is not None:
            raise RuntimeError("this unit of work is already in use; nest a new one instead")
        self._begin()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._working = None

    def _begin(self) -> None:
        self._working = self.database.tables.copy()
        self._began_at_version = self.database.version

    def working_tables(self) -> MemoryTables:
        """The tables as this unit of work sees them (its own writes included)."""
        if self._working is None:
            raise RuntimeError("use the unit of work in a 'with' block")
        return self._working

    def commit(self) -> None:
        working = self.working_tables()
        if self.database.version != self._began_at_version:
            raise WriteConflictError("another unit of work committed since this one began")
        self.database.tables = working
        self.database.version += 1
        self._begin()

    def rollback(self) -> None:
        self.working_tables()
        self._begin()
