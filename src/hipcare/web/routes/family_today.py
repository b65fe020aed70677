"""The family's busiest page, "today" (``GET /family/children/{id}``): today's steps, what is
still to do and what comes next, served from the page cache while the record is unchanged
(ADR 10).

The app tries this router right after the child page's, so a view is not first matched
against every other route (about 50 tried before it otherwise).
"""

from __future__ import annotations

import secrets
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hipcare.services import family as use
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import SignInRequiredError
from hipcare.web.context import SESSION_COOKIE, WebContext, web_context
from hipcare.web.models import RecordId
from hipcare.web.rendering import (
    family_language,
    family_page,
    render_family_page,
    respond_in_language,
    user_id,
)

__all__ = ["router"]

router = APIRouter(include_in_schema=False)


def _today_uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    """The "today" page's unit of work: one Core connection per view (ADR 10)."""
    return SqlAlchemyUnitOfWork(context.session_factory)


_CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_urlsafe(24)}"
"""Stands for the session's CSRF token in a cached page (random per process, so no child's
name or text can contain it); each response gets its own session's token put in."""


@router.get("/family/children/{child_id}")
async def today_page(request: Request, child_id: RecordId) -> Response:
    """The family's busiest page. With the page cache on (``HIPCARE_PAGE_CACHE``, ADR 10),
    one short transaction checks the session and the family link, audits the view and reads
    the record's version; the page is rendered only when no copy was kept under that version,
    day, member and language. With the cache off, that transaction also reads the plan."""
    # Not a dependency: FastAPI runs a plain-function dependency in a worker thread.
    context = web_context(request)
    now = context.now()
    today = context.today(now)
    token = request.cookies.get(SESSION_COOKIE)
    cache = context.page_cache
    if not cache.enabled:
        found = use.family_today_page(
            _today_uow(context),
            token,
            child_id,
            context.content.pathway_content,
            lambda child: family_language(request, child),
            today=today,
            now=now,
            policy=context.policy,
        )
        if found is None:
            raise SignInRequiredError
        user, view = found
        return family_page(
            request,
            "family/today.html",
            _today_values(context, view),
            user=user,
            words=view.words or context.content.words("en"),
        )
    access = use.open_family_today(
        _today_uow(context), token, child_id, now=now, policy=context.policy
    )
    if access is None:
        raise SignInRequiredError
    words = family_language(request, access.child)
    key = (
        "family/today",
        child_id,
        access.record_version,
        access.page_generation,
        today,
        user_id(access.user),
        words.code,
        access.has_calendar,
        request.url.path,
    )
    html = cache.get(key)
    if html is None:
        view = use.family_today_after_access(
            _today_uow(context),
            access,
            context.content.pathway_content,
            words,
            today=today,
            now=now,
        )
        html = render_family_page(
            request,
            "family/today.html",
            _today_values(context, view),
            user=access.user,
            csrf_token=_CSRF_PLACEHOLDER,
            words=words,
        )
        cache.put(key, html)
    return respond_in_language(
        request, html.replace(_CSRF_PLACEHOLDER, access.user.csrf_token), words
    )


def _today_values(context: WebContext, view: use.FamilyToday) -> dict[str, Any]:
    return {
        "child": view.child,
        "view": view,
        "site": context.content.sites_by_id.get(view.child.site_id),
        "has_calendar": view.has_calendar,
    }
