"""The clinician's page of one child: its view models, its body fragment and the page cache.

Every view calls :func:`hipcare.services.journey.open_child_page` (or, for the page's own
route, :func:`hipcare.services.journey.child_page_for_session`), which authorises the viewer,
audits the read and reads the record's versions in one short transaction. The body
(everything inside ``<main>``) is looked up in the process's :class:`PageCache` under (page,
child, record version, staff generation, day, viewer id, viewer role); only on a miss is the
journey read (in that same transaction) and the body rendered. The body is rendered with a
per-process placeholder where the session's CSRF token goes, replaced per request, and the
shell (``base.html``: the viewer's name, navigation, sign-out form) is rendered per request.
Nothing in the body depends on the time of day: the status is judged for ``today``, which
is in the key. ADR 10.
"""

from __future__ import annotations

import secrets
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse
from markupsafe import Markup

from hipcare.domain.alert_title import alert_kind_in_words, alert_title
from hipcare.domain.pathway import Pathway, Procedure
from hipcare.domain.records import CarePlanItemState, OperationPlan, OperationStatus, VisitRecord
from hipcare.domain.referral import ClinicOutcome, ReferralState, referral_state
from hipcare.domain.surveillance import SurveillanceRules, months_between
from hipcare.render.trend_chart import trend_chart_svg
from hipcare.services.accounts import SessionUser
from hipcare.services.hip_trend import HipTrend, hip_trend
from hipcare.services.journey import (
    ChildJourney,
    ChildPageHeader,
    child_page_for_session,
    open_child_page,
)
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import SignInRequiredError, refuse_until_enrolled
from hipcare.web.context import SESSION_COOKIE, WebContext, web_context
from hipcare.web.page_cache import PageCache
from hipcare.web.rendering.family import staff_diary
from hipcare.web.rendering.shell import (
    page,
    rule_status,
    site_timezone,
    user_id,
)

__all__ = [
    "CSRF_PLACEHOLDER",
    "PROCEDURE_NAMES",
    "CareItemView",
    "ChildSummary",
    "OperationView",
    "child_page_response",
    "operation_views",
    "render_child_page",
]


PROCEDURE_NAMES = {
    Procedure.VDRO: "VDRO (varus derotation osteotomy)",
    Procedure.DEGA: "Dega pelvic osteotomy",
    Procedure.ADDUCTOR_RELEASE: "Adductor release",
    Procedure.PSOAS_RELEASE: "Psoas release",
    Procedure.OPEN_REDUCTION: "Open reduction",
}
CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_hex(16)}"
"""Stands for the session's CSRF token in a rendered body; new in every process, and never
sent: it is replaced by the viewer's own token before the page leaves."""


@dataclass(frozen=True)
class CareItemView:
    state: CarePlanItemState
    title: str
    owner: str
    done_by_name: str | None
    to_be_confirmed: bool
    information: bool = False
    """Read by the family, not done on a day (issue 17): no date, no tick."""


@dataclass(frozen=True)
class OperationView:
    plan: OperationPlan
    surgeon_name: str
    procedure_names: tuple[str, ...]
    started: bool
    phases: tuple[tuple[str, tuple[CareItemView, ...]], ...]


def operation_views(journey: ChildJourney, content: Pathway) -> list[OperationView]:
    """The operation plans, newest first, each with its care plan by phase of the pathway
    ``content`` (names from the journey: one query for everyone named)."""
    by_id = {item.id: item for item in content.items}
    names = journey.names
    views = []
    for plan in sorted(journey.operation_plans, key=lambda plan: plan.id or 0, reverse=True):
        items = journey.care_plan_items.get(plan.id or 0, ())
        phases = []
        for phase in content.phases:
            rows = tuple(
                CareItemView(
                    state=item,
                    title=by_id[item.item_id].title,
                    owner=by_id[item.item_id].owner.value.replace("-", " "),
                    done_by_name=None
                    if item.done_by is None
                    else names.get(item.done_by, f"user {item.done_by}"),
                    to_be_confirmed=by_id[item.item_id].timing_status.value == "local-protocol"
                    and not by_id[item.item_id].is_information,
                    information=by_id[item.item_id].is_information,
                )
                for item in sorted(items, key=lambda item: (item.due_date, item.item_id))
                if item.item_id in by_id and by_id[item.item_id].phase is phase.phase
            )
            if rows:
                phases.append((phase.title, rows))
        views.append(
            OperationView(
                plan=plan,
                surgeon_name=names.get(plan.surgeon_id, f"user {plan.surgeon_id}"),
                procedure_names=tuple(PROCEDURE_NAMES[p] for p in plan.procedures),
                started=bool(items),
                phases=tuple(phases),
            )
        )
    return views


@dataclass(frozen=True)
class LatestHip:
    """One hip's latest migration percentage as the record holds it, with its film's date
    and whether it is provisional (a reading not yet confirmed, :mod:`hipcare.domain.readings`)."""

    side: str
    percent: float
    film_date: date
    provisional: bool


@dataclass(frozen=True)
class ChildSummary:
    """What the first screen of the child's page says (issue 16): who, how old, the
    surveillance status and next review, open alerts, latest MP per hip, referral and the
    operation's phase."""

    age: str
    open_alerts: tuple[str, ...]
    latest_hips: tuple[LatestHip, ...]
    plan_phase: str


def _age(born: date, today: date) -> str:
    months = max(0, months_between(born, today))
    years, rest = divmod(months, 12)
    if years == 0:
        return f"{rest} month{'s' if rest != 1 else ''}"
    return f"{years} year{'s' if years != 1 else ''} {rest} month{'s' if rest != 1 else ''}"


def _latest_hips(journey: ChildJourney) -> tuple[LatestHip, ...]:
    """Per hip, the newest visit with a migration percentage: the visits are what the
    surveillance engine judges, so the summary shows what it used."""
    provisional = {
        film.visit_id
        for film in journey.films
        if film.visit_id is not None and film.record is not None and film.record.provisional
    }
    found = []
    for side in ("right", "left"):
        for visit in sorted(journey.visits, key=lambda item: item.visit_date, reverse=True):
            hip = next((hip for hip in visit.hips if hip.side.value == side), None)
            if hip is not None and hip.migration_percentage_reported is not None:
                found.append(
                    LatestHip(
                        side=side,
                        percent=hip.migration_percentage_reported,
                        film_date=visit.visit_date,
                        provisional=visit.id in provisional,
                    )
                )
                break
    return tuple(found)


def _plan_phase(
    operations: Sequence[OperationView], journey: ChildJourney, pathway: Pathway
) -> str:
    """The newest live operation plan's phase: the phase of its earliest item not done."""
    live = [view for view in operations if view.plan.status is not OperationStatus.CANCELLED]
    if not live:
        return "no operation planned"
    view = live[0]
    status = view.plan.status.value
    if not view.started:
        return f"operation {status}; care pathway not started"
    items = journey.care_plan_items.get(view.plan.id or 0, ())
    open_items = sorted(
        (item for item in items if item.done_at is None), key=lambda item: item.due_date
    )
    if not open_items:
        return f"operation {status}; every care plan item done"
    titles = {phase.phase: phase.title for phase in pathway.phases}
    by_id = {item.id: item for item in pathway.items}
    first = by_id.get(open_items[0].item_id)
    phase = titles.get(first.phase) if first is not None else None
    return f"operation {status}; care pathway phase: {phase or 'not known'}"


def _summary(
    journey: ChildJourney,
    operations: Sequence[OperationView],
    alert_titles: dict[int, str],
    pathway: Pathway,
) -> ChildSummary:
    open_alerts = tuple(
        alert_titles.get(alert.id or 0) or alert_kind_in_words(alert.kind)
        for alert in journey.alerts
        if alert.acknowledged_at is None
    )
    return ChildSummary(
        age=_age(journey.child.date_of_birth, journey.today),
        open_alerts=open_alerts,
        latest_hips=_latest_hips(journey),
        plan_phase=_plan_phase(operations, journey, pathway),
    )


def _trend(visits: Sequence[VisitRecord], rules: SurveillanceRules) -> HipTrend:
    return hip_trend(visits, rules, chart=trend_chart_svg)


def _review_rule_status(journey: ChildJourney, rules: SurveillanceRules) -> str | None:
    """ "guideline" or "local protocol" for the rule that set the next review."""
    plan = journey.surveillance.plan
    if plan is None or plan.review is None:
        return None
    return rule_status(rules, plan.review.rule_id)


def _alert_titles(journey: ChildJourney, timezone: str) -> dict[int, str]:
    """Titles in words with the value ("Pain 8 of 10, written 19:34", the clinic's clock)
    of the alerts raised by the diary entries the page holds."""
    zone = ZoneInfo(timezone)
    return {
        entry.alert_id: alert_title(
            entry.kind, entry.data, entry.recorded_at.astimezone(zone).strftime("%H:%M")
        )
        for entry in journey.diary or ()
        if entry.alert_id is not None
    }


def _referral_state(journey: ChildJourney) -> ReferralState | None:
    """Where the child's latest referral stands on the page's day."""
    planned = any(plan.status is not OperationStatus.CANCELLED for plan in journey.operation_plans)
    latest = journey.referrals[-1] if journey.referrals else None
    return referral_state(latest, operation_planned=planned, today=journey.today)


def _body(
    context: WebContext,
    user: SessionUser,
    journey: ChildJourney,
    *,
    operation_problem: str | None = None,
) -> str:
    """The page's body for this viewer, with :data:`CSRF_PLACEHOLDER` for the token."""
    child = journey.child
    content = context.content
    operations = operation_views(journey, content.pathway)
    language_names = {language.code: language.english_name for language in content.languages}
    diary = (
        None
        if journey.diary is None
        else staff_diary(journey.diary, journey.pain_descriptors, content.family_words)
    )
    alert_titles = _alert_titles(journey, site_timezone(context, child.site_id))
    return context.render(
        "child/_body.html",
        {
            "journey": journey,
            "child": child,
            "site": content.sites_by_id.get(child.site_id),
            "language_name": language_names.get(child.preferred_language),
            "invite_languages": sorted(language_names.items()),
            "language_names": language_names,
            "user": user.user,
            "csrf_token": CSRF_PLACEHOLDER,
            "trend": _trend(journey.visits, content.surveillance_rules),
            "review_rule_status": _review_rule_status(journey, content.surveillance_rules),
            "operations": operations,
            "started_operations": [view for view in operations if view.started],
            "films": [(film.film, film.readings, film.hidden) for film in journey.films],
            "diary": diary,
            "operation_problem": operation_problem,
            "referral_state": _referral_state(journey),
            "alert_titles": alert_titles,
            "child_summary": _summary(journey, operations, alert_titles, content.pathway),
            "film_records": {film.film.id: film.record for film in journey.films},
            "zone": site_timezone(context, child.site_id),
            "alert_kind_in_words": alert_kind_in_words,
            "referral_protocol": content.referral_protocol,
            "clinic_outcomes": [outcome.value for outcome in ClinicOutcome],
            "pacs_enabled": context.pacs is not None,
        },
    )


def _response(
    request: Request, user: SessionUser, header: ChildPageHeader, body: str, status: int = 200
) -> HTMLResponse:
    return page(
        request,
        "child/page.html",
        {
            "title": f"{header.given_name} {header.family_name}",
            "body": Markup(body.replace(CSRF_PLACEHOLDER, user.csrf_token)),  # noqa: S704 -- rendered by our autoescaping templates
        },
        user=user,
        status=status,
    )


def _key(header: ChildPageHeader, today: date) -> tuple[Hashable, ...]:
    return (
        "child",
        header.child_id,
        header.record_version,
        header.generation,
        today,
        header.actor_id,
        header.actor_role,
    )


class _Lookup:
    """``have_page`` for the use case: looks the body up and keeps what it found."""

    def __init__(self, cache: PageCache, today: date, *, use: bool = True) -> None:
        self.cache = cache
        self.today = today
        self.use = use and cache.enabled
        self.body: str | None = None

    def __call__(self, header: ChildPageHeader) -> bool:
        if self.use:
            self.body = self.cache.get(_key(header, self.today))
        return self.body is not None


def _finish(
    request: Request,
    context: WebContext,
    user: SessionUser,
    lookup: _Lookup,
    header: ChildPageHeader,
    journey: ChildJourney | None,
    *,
    operation_problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    if journey is None:
        if lookup.body is None:  # pragma: no cover -- the use case reads it on a miss
            raise RuntimeError("the child page's journey was not read")
        return _response(request, user, header, lookup.body, status)
    body = _body(context, user, journey, operation_problem=operation_problem)
    if operation_problem is None:
        context.page_cache.put(_key(header, lookup.today), body)
    return _response(request, user, header, body, status)


def render_child_page(
    request: Request,
    user: SessionUser,
    context: WebContext,
    child_id: int,
    *,
    operation_problem: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    """The child's page for ``user`` (signed in already), from the page cache when the record
    is unchanged. With ``operation_problem`` (a refused change, said at the top of the
    operation section) the page is rendered afresh and not cached."""
    now = context.now()
    lookup = _Lookup(context.page_cache, context.today(now), use=operation_problem is None)
    header, journey = open_child_page(
        SqlAlchemyUnitOfWork(context.session_factory),
        user_id(user),
        child_id,
        context.content.surveillance_rules,
        today=lookup.today,
        now=now,
        have_page=lookup,
    )
    return _finish(
        request,
        context,
        user,
        lookup,
        header,
        journey,
        operation_problem=operation_problem,
        status=status,
    )


def child_page_response(request: Request, child_id: int) -> HTMLResponse:
    """The page: the session check, authorisation, audit row and versions in one short
    transaction (and the journey, on a miss). Anyone signed in may ask; the use case refuses,
    and audits, anyone not of the child's care team."""
    context = web_context(request)
    now = context.now()
    lookup = _Lookup(context.page_cache, context.today(now))
    opened = child_page_for_session(
        SqlAlchemyUnitOfWork(context.session_factory),
        request.cookies.get(SESSION_COOKIE),
        child_id,
        context.content.surveillance_rules,
        today=lookup.today,
        now=now,
        policy=context.policy,
        have_page=lookup,
    )
    if opened is None:
        raise SignInRequiredError
    user, header, journey = opened
    refuse_until_enrolled(request, context, user)
    return _finish(request, context, user, lookup, header, journey)
