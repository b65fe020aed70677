"""The family side's pages: the language switch, the family's home, the whole plan and its
checklist ticks, the booklet (HTML and PDF) and the private calendar feed
(``/calendar/{token}.ics``: the token is the only key, no session, so a phone's calendar app
can subscribe). "Today" is :mod:`hipcare.web.routes.family_today`, the diary
:mod:`hipcare.web.routes.family_diary`, invitations :mod:`hipcare.web.routes.invitations`,
the JSON API :mod:`hipcare.web.routes.family_api`.

Every page is in the family's language (:mod:`hipcare.web.rendering.family`). The use cases
(``hipcare.services.family``) decide who may see what and audit every read and change; this
module only turns requests into calls and results into pages.
"""

from __future__ import annotations

from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hipcare.content.i18n import LANGUAGES
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, Role
from hipcare.services import family as use
from hipcare.services.accounts import SessionUser, signed_in_user
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import SignInRequiredError, page_user, page_user_with_form
from hipcare.web.context import SESSION_COOKIE, Context, WebContext, web_context
from hipcare.web.models import RecordId
from hipcare.web.rendering import (
    LANGUAGE_COOKIE,
    Words,
    family_language,
    family_page,
    render_family_page,
    user_id,
)

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)

User = Annotated[SessionUser, Depends(page_user)]
FormUser = Annotated[SessionUser, Depends(page_user_with_form)]


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


@pages_router.get("/family/language")
async def switch_language(request: Request, lang: str = "en", next: str = "/family") -> Response:
    """Remember the family's language (a cookie) and go back to the page."""
    local = next.startswith(("/family", "/invite/")) and "//" not in next and "\\" not in next
    target = next if local else "/family"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        context = web_context(request)
        # A signed-in carer keeps it as their own (issue 17): their reminders and their pages
        # on another phone follow it.
        signed = await run_in_threadpool(
            signed_in_user,
            context.unit_of_work(),
            request.cookies.get(SESSION_COOKIE),
            now=context.now(),
            policy=context.policy,
        )
        if signed is not None:
            await run_in_threadpool(
                use.choose_carer_language,
                _uow(context),
                user_id(signed),
                lang,
                languages=set(LANGUAGES),
            )
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            httponly=True,
            samesite="lax",
            path="/",
            secure=context.settings.secure_cookies,
        )
    return response


@pages_router.get("/family/sw.js")
def service_worker() -> Response:
    """The family app's service worker (``static/family-sw.js``), served under /family so it
    may look after the family pages only (``Service-Worker-Allowed``: /family); never cached
    by the browser, so a new version is picked up at the next visit. A plain ``def``: the
    file is read on Starlette's threadpool, not on the event loop."""
    script = resources.files("hipcare.web").joinpath("static/family-sw.js").read_bytes()
    return Response(
        script,
        media_type="text/javascript",
        headers={"service-worker-allowed": "/family", "cache-control": "no-cache"},
    )


@pages_router.get("/family/offline")
async def offline_page(request: Request) -> Response:
    """The "No signal" page the family app's service worker shows for a page not kept on the
    phone, in the language asked (``?lang=``, else the language cookie, else English). It
    holds no user and no record, so it needs no sign-in; the worker fetches it in the
    language of each page it keeps (``static/family-sw.js``) and keeps it too. The language
    is not remembered in a cookie (the worker asks, not the family)."""
    words = family_language(request)
    html = render_family_page(
        request, "family/offline.html", {}, user=None, csrf_token=None, words=words
    )
    return HTMLResponse(html, headers={"content-language": words.code})


@pages_router.get("/family")
async def family_home(request: Request, user: User, context: Context) -> Response:
    children = use.family_children(_uow(context), user_id(user), now=context.now())
    if user.user.role is Role.FAMILY and len(children) == 1:
        return RedirectResponse(f"/family/children/{children[0].id}", status_code=303)
    words = family_language(request, children[0] if children else None)
    return family_page(request, "family/home.html", {"children": children}, user=user, words=words)


@pages_router.get("/family/children/{child_id}/plan")
async def plan_page(request: Request, child_id: RecordId) -> Response:
    """The whole plan by phase: the session check, reads and audit row in one transaction."""
    context = web_context(request)
    now = context.now()
    found = use.family_today_page(
        _uow(context),
        request.cookies.get(SESSION_COOKIE),
        child_id,
        context.content.pathway_content,
        lambda child: family_language(request, child),
        today=context.today(now),
        now=now,
        policy=context.policy,
    )
    if found is None:
        raise SignInRequiredError
    user, view = found
    return family_page(
        request,
        "family/plan.html",
        {"child": view.child, "view": view},
        user=user,
        words=view.words or context.content.words("en"),
    )


@pages_router.post("/family/children/{child_id}/items/{item_id}/tick")
async def tick(
    request: Request, child_id: RecordId, item_id: str, user: FormUser, context: Context
) -> Response:
    use.tick_family_item(
        _uow(context),
        user_id(user),
        child_id,
        item_id,
        context.content.pathway_content,
        now=context.now(),
    )
    form = await request.form()
    back = str(form.get("back", ""))
    target = (
        back if back.startswith(f"/family/children/{child_id}") else f"/family/children/{child_id}"
    )
    return RedirectResponse(f"{target}#item-{item_id}", status_code=303)


@pages_router.post("/family/children/{child_id}/items/{item_id}/untick")
async def untick(
    request: Request, child_id: RecordId, item_id: str, user: FormUser, context: Context
) -> Response:
    """Undo the family's tick of a step (audited); back to where it was asked from."""
    use.untick_family_item(_uow(context), user_id(user), child_id, item_id, now=context.now())
    form = await request.form()
    back = str(form.get("back", ""))
    target = (
        back if back.startswith(f"/family/children/{child_id}") else f"/family/children/{child_id}"
    )
    return RedirectResponse(f"{target}#item-{item_id}", status_code=303)


def _booklet_view(request: Request, child_id: int, user: SessionUser, context: WebContext) -> Any:
    from hipcare.services.booklet import build_booklet_view

    uow = _uow(context)
    now = context.now()
    child = use.child_for_family(uow, user_id(user), child_id, now=now, audit=False)
    plan = use.family_plan(
        uow,
        user_id(user),
        child_id,
        context.content.pathway_content,
        AuditAction.CARE_PLAN_READ,
        now=now,
    )
    if plan is None:
        raise InvalidInputError("plan", "the care team has not started the plan yet")
    return build_booklet_view(
        plan.facts,
        family_language(request, child),
        context.today(now),
        content=context.content,
        starts_on=plan.starts_on,
        day_of_surgery=use.day_of_surgery_of(uow, child_id),
    )


@pages_router.get("/family/children/{child_id}/booklet")
async def booklet_html(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    from hipcare.render.booklet_html import render_html

    view = _booklet_view(request, child_id, user, context)
    stylesheet = f"/booklet.css?lang={quote(view.lang)}&accent={quote(view.accent_colour)}"
    back = Words(context.content.words(view.lang), context.content.family_words)("back_today")
    return HTMLResponse(
        render_html(
            view,
            stylesheet_url=stylesheet,
            back_url=f"/family/children/{child_id}",
            back_label=back,
        )
    )


@pages_router.get("/booklet.css")
async def booklet_stylesheet(
    context: Context, lang: str = "en", accent: str = "#1b5e8c"
) -> Response:
    """The booklet's stylesheet for a language's font and a site's accent colour: a file of
    this site, so the Content-Security-Policy (``style-src 'self'``) lets the page use it.
    It holds no patient data (cached like the static files)."""
    from hipcare.render.booklet_html import render_stylesheet

    code = lang if lang in LANGUAGES else "en"
    font_family = next(
        known.font_family for known in context.content.languages if known.code == code
    )
    return Response(
        render_stylesheet(font_family, accent),
        media_type="text/css",
        headers={"cache-control": "public, max-age=3600"},
    )


@pages_router.get("/family/children/{child_id}/booklet.pdf")
async def booklet_pdf(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    from hipcare.render.booklet_pdf import default_pdf_renderer

    view = _booklet_view(request, child_id, user, context)
    pdf = await run_in_threadpool(default_pdf_renderer().render, view)
    return Response(
        pdf,
        media_type="application/pdf",
        headers={"content-disposition": f'attachment; filename="booklet-{view.lang}.pdf"'},
    )


def _calendar_urls(context: WebContext, token: str) -> tuple[str, str]:
    """The feed's https link and its ``webcal:`` twin (calendar apps subscribe to that), on
    ``HIPCARE_PUBLIC_URL``: never from the page's address or its Host header."""
    url = f"{context.public_url()}/calendar/{token}.ics"
    return url, "webcal" + url.removeprefix("https").removeprefix("http")


@pages_router.get("/family/children/{child_id}/calendar")
async def calendar_page(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    """The member's calendar link: "Add to my calendar" (webcal), the link to copy, and
    making a new link or stopping it (secondary actions that ask first)."""
    now = context.now()
    uow = _uow(context)
    child = use.child_for_family(uow, user_id(user), child_id, now=now, audit=False)
    feed = use.calendar_link(uow, user_id(user), child_id, now=now)
    urls = None if feed is None or feed.token is None else _calendar_urls(context, feed.token)
    return family_page(
        request,
        "family/calendar.html",
        {
            "child": child,
            "has_calendar": feed is not None,
            "calendar_url": None if urls is None else urls[0],
            "webcal_url": None if urls is None else urls[1],
        },
        user=user,
        words=family_language(request, child),
    )


@pages_router.post("/family/children/{child_id}/calendar-link")
async def make_calendar_link(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    """A new link in the language of the page it was asked from (the old one stops)."""
    form = await request.form()
    asked = form.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    use.regenerate_calendar_link(
        _uow(context),
        user_id(user),
        child_id,
        now=context.now(),
        language=asked if isinstance(asked, str) and asked in LANGUAGES else None,
    )
    return RedirectResponse(f"/family/children/{child_id}/calendar", status_code=303)


@pages_router.post("/family/children/{child_id}/calendar-link/revoke")
async def revoke_calendar_link(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    use.revoke_calendar_link(_uow(context), user_id(user), child_id, now=context.now())
    return RedirectResponse(f"/family/children/{child_id}/calendar", status_code=303)


@pages_router.get("/calendar/{token}.ics")
async def calendar_feed(request: Request, token: str, context: Context) -> Response:
    """The RFC 5545 feed behind a private link, in the language the member chose when making
    it; an unknown or revoked link is 404."""
    from hipcare.render.calendar import render_calendar
    from hipcare.services.pathway import plan_calendar

    now = context.now()
    found = use.feed_plan(_uow(context), token, context.content.pathway_content, now=now)
    if found is None or found.plan is None:
        return Response("no such calendar\n", status_code=404, media_type="text/plain")
    body = plan_calendar(
        found.plan,
        context.content.words(found.language),
        now,
        write=render_calendar,
        content=context.content,
        day_of_surgery=found.day_of_surgery,
        zone=ZoneInfo(context.settings.timezone),
    )
    return Response(body, media_type="text/calendar; charset=utf-8")
