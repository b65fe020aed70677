"""The family side of the web app: invitation, "today", checklist, diary, booklet, calendar feed.

Pages live under ``/family``, the JSON API under ``/api/family``; the invitation link is
``/invite/{token}`` and the calendar feed ``/calendar/{token}.ics`` (the token is the only key:
no session, so a phone's calendar app can subscribe). Every page is in the family's language
(``?lang=`` or the language cookie, else the child's preferred language), right-to-left for
Arabic and Persian, from the same gettext catalogs as the booklet.

The use cases (``hipcare.services.family``) decide who may see what and audit every read and
change; this module only turns requests into calls and results into pages.
"""

from __future__ import annotations

import datetime as dt
import secrets
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache, lru_cache
from importlib import resources
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from starlette.datastructures import UploadFile

from hipcare.content.diary import load_diary_rules
from hipcare.content.i18n import LANGUAGES, Translator, languages, translator
from hipcare.content.sites import Site, load_sites
from hipcare.domain.diary import R_FLACC_CATEGORIES, Assessment, SkinFinding
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, Child, Role
from hipcare.services import family as use
from hipcare.services.accounts import SessionUser, SignInRefusedError
from hipcare.services.accounts import sign_in as sign_in_use_case
from hipcare.services.operations import PathwayContent
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.api import set_session_cookie
from hipcare.web.auth import (
    CSRF_FIELD,
    SignInRequiredError,
    api_user,
    page_user,
    page_user_with_form,
)
from hipcare.web.context import SESSION_COOKIE, WebContext, web_context
from hipcare.web.models import Problem, RecordId

__all__ = ["LANGUAGE_COOKIE", "api_router", "install", "pages_router", "today_router"]

LANGUAGE_COOKIE = "hipcare_lang"

pages_router = APIRouter(include_in_schema=False)
today_router = APIRouter(include_in_schema=False)
"""Only the family's busiest page, "today": the app tries it right after the child page, so
a view is not first matched against every other route (about 50 tried before it otherwise)."""
_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not this family's child, or no CSRF token"},
    404: {"model": Problem, "description": "no such child or entry"},
    422: {"model": Problem, "description": "the input is not valid; `field` says where"},
}
api_router = APIRouter(prefix="/api/family", tags=["family"], responses=_ERRORS)

User = Annotated[SessionUser, Depends(page_user)]
FormUser = Annotated[SessionUser, Depends(page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(api_user)]
Context = Annotated[WebContext, Depends(web_context)]

_SKIN_CHOICES = (
    (SkinFinding.NO_RED_AREAS, "skin_no_red"),
    (SkinFinding.RED_FADES, "skin_red_fades"),
    (SkinFinding.RED_DOES_NOT_FADE, "skin_red_stays"),
    (SkinFinding.BROKEN_SKIN, "skin_broken"),
    (SkinFinding.DEEP_WOUND, "skin_deep"),
    (SkinFinding.DARK_PURPLE, "skin_dark"),
)


@cache
def ui_strings() -> Mapping[str, str]:
    """The family pages' English strings by key (``content/family.toml``)."""
    text = resources.files("hipcare.content").joinpath("family.toml").read_text("utf-8")
    strings: dict[str, str] = tomllib.loads(text)["ui"]
    return strings


@cache
def _sites() -> Mapping[str, Site]:
    return {site.id: site for site in load_sites()}


def _pathway_content() -> PathwayContent:
    from hipcare.web.clinical import pathway_content

    return pathway_content()


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


def _today_uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    """The "today" page's unit of work: one Core connection per view (ADR 10)."""
    return SqlAlchemyUnitOfWork(context.session_factory)


def _user_id(user: SessionUser) -> int:
    if user.user.id is None:  # pragma: no cover -- a signed-in user is stored
        raise ValueError("a signed-in user has an id")
    return user.user.id


class Words:
    """The page's translator, with the family strings by key: ``t("save")``."""

    def __init__(self, words: Translator) -> None:
        self.words = words

    def __call__(self, key: str, **params: object) -> str:
        msgid = ui_strings()[key]
        return self.words.format(msgid, **params) if params else self.words.gettext(msgid)

    def text(self, msgid: str) -> str:
        return self.words.gettext(msgid)

    def date(self, day: dt.date) -> str:
        return _long_date(self.words.code, day)


@lru_cache(maxsize=8192)
def _long_date(code: str, day: dt.date) -> str:
    """``day`` as the language writes it (Babel's CLDR formatting is slow; a page shows a
    dozen dates, the same ones all day). The format depends on the language only."""
    return translator(code).format_date(day)


def _language(request: Request, child: Child | None = None) -> Translator:
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if asked in LANGUAGES:
        return translator(asked)
    if child is not None and child.preferred_language in LANGUAGES:
        return translator(child.preferred_language)
    return translator("en")


def _page(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    user: SessionUser | None,
    words: Translator,
    status: int = 200,
) -> HTMLResponse:
    html = _render(
        request,
        template,
        values,
        user=user,
        csrf_token=None if user is None else user.csrf_token,
        words=words,
    )
    return _respond(request, html, words, status)


def _render(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    user: SessionUser | None,
    csrf_token: str | None,
    words: Translator,
) -> str:
    """A family page's HTML: the template with the shell's values (language, direction,
    language menu, the request path for navigation, the user and their CSRF token)."""
    context = web_context(request)
    path = request.url.path
    page_values = {
        "t": Words(words),
        "lang": words.code,
        "dir": words.direction,
        "languages": [(language.code, language.native_name) for language in languages()],
        "request_path": path,
        "switch_url": lambda code: f"/family/language?lang={code}&next={quote(path, safe='/')}",
        "user": None if user is None else user.user,
        "csrf_token": csrf_token,
        "csrf_field": CSRF_FIELD,
        **values,
    }
    return context.render(template, page_values)


def _respond(request: Request, html: str, words: Translator, status: int = 200) -> HTMLResponse:
    """The page, remembering a language asked for with ``?lang=`` in a cookie."""
    context = web_context(request)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            words.code,
            httponly=True,
            samesite="lax",
            path="/",
            secure=context.settings.secure_cookies,
        )
    return response


def _contacts(child: Child, roles: tuple[str, ...]) -> list[Any]:
    site = _sites().get(child.site_id)
    if site is None:
        return []
    contacts = [site.contact(role) for role in roles]
    return [contact for contact in contacts if contact is not None]


def _outcome(child: Child, assessment: Assessment, words: Translator) -> dict[str, Any]:
    """What the family is told at once after saving an entry."""
    site = _sites().get(child.site_id)
    return {
        "urgency": assessment.urgency.value,
        "raises_alert": assessment.raises_alert,
        "advice": [words.gettext(advice) for advice in assessment.advice],
        "contacts": [
            {
                "label": words.gettext(contact.label),
                "phone": contact.phone,
                "hours": words.gettext(contact.hours),
            }
            for contact in _contacts(child, assessment.contact_roles)
        ],
        "to_be_confirmed": assessment.to_be_confirmed,
        "example_contacts": bool(site and site.example_data),
    }


# --- language and home -------------------------------------------------------------------------


@pages_router.get("/family/language")
async def switch_language(request: Request, lang: str = "en", next: str = "/family") -> Response:
    """Remember the family's language (a cookie) and go back to the page."""
    local = next.startswith(("/family", "/invite/")) and "//" not in next and "\\" not in next
    target = next if local else "/family"
    response = RedirectResponse(target, status_code=303)
    if lang in LANGUAGES:
        context = web_context(request)
        response.set_cookie(
            LANGUAGE_COOKIE,
            lang,
            httponly=True,
            samesite="lax",
            path="/",
            secure=context.settings.secure_cookies,
        )
    return response


@pages_router.get("/family")
async def family_home(request: Request, user: User, context: Context) -> Response:
    children = use.family_children(_uow(context), _user_id(user))
    if user.user.role is Role.FAMILY and len(children) == 1:
        return RedirectResponse(f"/family/children/{children[0].id}", status_code=303)
    words = _language(request, children[0] if children else None)
    return _page(request, "family/home.html", {"children": children}, user=user, words=words)


# --- today -------------------------------------------------------------------------------------


_CSRF_PLACEHOLDER = f"csrf-placeholder-{secrets.token_urlsafe(24)}"
"""Stands for the session's CSRF token in a cached page (random per process, so no child's
name or text can contain it); each response gets its own session's token put in."""


@today_router.get("/family/children/{child_id}")
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
    if not cache.enabled or request.query_params.get("calendar"):
        found = use.family_today_page(
            _today_uow(context),
            token,
            child_id,
            _pathway_content(),
            lambda child: _language(request, child),
            today=today,
            now=now,
            policy=context.policy,
        )
        if found is None:
            raise SignInRequiredError
        user, view = found
        return _page(
            request,
            "family/today.html",
            _today_values(request, view),
            user=user,
            words=view.words or translator("en"),
        )
    access = use.open_family_today(
        _today_uow(context), token, child_id, now=now, policy=context.policy
    )
    if access is None:
        raise SignInRequiredError
    words = _language(request, access.child)
    key = (
        "family/today",
        child_id,
        access.record_version,
        access.page_generation,
        today,
        _user_id(access.user),
        words.code,
        access.has_calendar,
        request.url.path,
    )
    html = cache.get(key)
    if html is None:
        view = use.family_today_after_access(
            _today_uow(context), access, _pathway_content(), words, today=today, now=now
        )
        html = _render(
            request,
            "family/today.html",
            _today_values(request, view),
            user=access.user,
            csrf_token=_CSRF_PLACEHOLDER,
            words=words,
        )
        cache.put(key, html)
    return _respond(request, html.replace(_CSRF_PLACEHOLDER, access.user.csrf_token), words)


def _today_values(request: Request, view: use.FamilyToday) -> dict[str, Any]:
    return {
        "child": view.child,
        "view": view,
        "site": _sites().get(view.child.site_id),
        "has_calendar": view.has_calendar,
        "new_calendar_url": request.query_params.get("calendar"),
    }


@pages_router.get("/family/children/{child_id}/plan")
async def plan_page(request: Request, child_id: RecordId) -> Response:
    """The whole plan by phase: the session check, reads and audit row in one transaction."""
    context = web_context(request)
    now = context.now()
    found = use.family_today_page(
        _uow(context),
        request.cookies.get(SESSION_COOKIE),
        child_id,
        _pathway_content(),
        lambda child: _language(request, child),
        today=context.today(now),
        now=now,
        policy=context.policy,
    )
    if found is None:
        raise SignInRequiredError
    user, view = found
    return _page(
        request,
        "family/plan.html",
        {"child": view.child, "view": view},
        user=user,
        words=view.words or translator("en"),
    )


@pages_router.post("/family/children/{child_id}/items/{item_id}/tick")
async def tick(
    request: Request, child_id: RecordId, item_id: str, user: FormUser, context: Context
) -> Response:
    use.tick_family_item(_uow(context), _user_id(user), child_id, item_id, now=context.now())
    form = await request.form()
    back = str(form.get("back", ""))
    target = (
        back if back.startswith(f"/family/children/{child_id}") else f"/family/children/{child_id}"
    )
    return RedirectResponse(f"{target}#item-{item_id}", status_code=303)


# --- booklet -----------------------------------------------------------------------------------


def _booklet_view(request: Request, child_id: int, user: SessionUser, context: WebContext) -> Any:
    from hipcare.services.booklet import build_booklet_view

    uow = _uow(context)
    now = context.now()
    child = use.child_for_family(uow, _user_id(user), child_id, now=now, audit=False)
    plan = use.family_plan(
        uow, _user_id(user), child_id, _pathway_content(), AuditAction.CARE_PLAN_READ, now=now
    )
    if plan is None:
        raise InvalidInputError("plan", "the care team has not started the plan yet")
    return build_booklet_view(plan.facts, _language(request, child), context.today(now))


@pages_router.get("/family/children/{child_id}/booklet")
async def booklet_html(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    from hipcare.render.booklet_html import render_html

    view = _booklet_view(request, child_id, user, context)
    return HTMLResponse(render_html(view))


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


# --- calendar ----------------------------------------------------------------------------------


@pages_router.post("/family/children/{child_id}/calendar-link")
async def make_calendar_link(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    token = use.regenerate_calendar_link(_uow(context), _user_id(user), child_id, now=context.now())
    url = f"{request.base_url}calendar/{token}.ics"
    return RedirectResponse(
        f"/family/children/{child_id}?calendar={quote(url, safe='')}#calendar", status_code=303
    )


@pages_router.post("/family/children/{child_id}/calendar-link/revoke")
async def revoke_calendar_link(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    use.revoke_calendar_link(_uow(context), _user_id(user), child_id, now=context.now())
    return RedirectResponse(f"/family/children/{child_id}#calendar", status_code=303)


@pages_router.get("/calendar/{token}.ics")
async def calendar_feed(request: Request, token: str, context: Context) -> Response:
    """The RFC 5545 feed behind a private link; an unknown or revoked link is 404."""
    from hipcare.render.calendar import render_calendar
    from hipcare.services.pathway import plan_calendar

    now = context.now()
    found = use.feed_plan(_uow(context), token, _pathway_content(), now=now)
    child, plan = found if found is not None else (None, None)
    if child is None or plan is None:
        return Response("no such calendar\n", status_code=404, media_type="text/plain")
    words = translator(child.preferred_language if child.preferred_language in LANGUAGES else "en")
    body = plan_calendar(plan, words, now, write=render_calendar)
    return Response(body, media_type="text/calendar; charset=utf-8")


# --- diary -------------------------------------------------------------------------------------


def _diary_values(
    context: WebContext, user: SessionUser, child: Child, words: Translator
) -> dict[str, Any]:
    uow = _uow(context)
    now = context.now()
    return {
        "child": child,
        "entries": use.diary_entries(uow, _user_id(user), child.id or 0, now=now, limit=20),
        "descriptors": use.pain_descriptors(uow, _user_id(user), child.id or 0, now=now),
        "categories": R_FLACC_CATEGORIES,
        "skin_choices": _SKIN_CHOICES,
        "skin_labels": {choice.value: key for choice, key in _SKIN_CHOICES},
        "outcome": None,
        "errors": {},
        "form": {},
    }


@pages_router.get("/family/children/{child_id}/diary")
async def diary_page(
    request: Request, child_id: RecordId, user: User, context: Context
) -> Response:
    child = use.child_for_family(
        _uow(context), _user_id(user), child_id, now=context.now(), audit=False
    )
    words = _language(request, child)
    return _page(
        request,
        "family/diary.html",
        _diary_values(context, user, child, words),
        user=user,
        words=words,
    )


@pages_router.post("/family/children/{child_id}/diary")
async def diary_add(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    uow = _uow(context)
    now = context.now()
    child = use.child_for_family(uow, _user_id(user), child_id, now=now, audit=False)
    words = _language(request, child)
    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    upload = raw.get("photo")
    photo = None
    try:
        if isinstance(upload, UploadFile) and upload.filename:
            content = await upload.read(use.PHOTO_MAX_BYTES + 1)
            photo = (upload.content_type or "", content)
    finally:
        await raw.close()
    try:
        record = use.record_diary_entry(
            uow, _user_id(user), child_id, form, load_diary_rules(), now=now, photo=photo
        )
    except InvalidInputError as error:
        values = _diary_values(context, user, child, words)
        values.update(errors={error.field: error.problem}, form=form)
        return _page(request, "family/diary.html", values, user=user, words=words, status=422)
    values = _diary_values(context, user, child, words)
    values["outcome"] = _outcome(child, record.assessment, words)
    return _page(request, "family/diary.html", values, user=user, words=words)


@pages_router.post("/family/children/{child_id}/pain-words")
async def pain_words(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    form = await request.form()
    use.save_pain_descriptors(
        _uow(context),
        _user_id(user),
        child_id,
        {key: form.get(key, "") for key in R_FLACC_CATEGORIES},
        now=context.now(),
    )
    return RedirectResponse(f"/family/children/{child_id}/diary#my-words", status_code=303)


@pages_router.get("/family/children/{child_id}/diary/{entry_id}/photo")
async def diary_photo(
    request: Request, child_id: RecordId, entry_id: RecordId, user: User, context: Context
) -> Response:
    content_type, content = use.diary_photo(
        _uow(context), _user_id(user), child_id, entry_id, now=context.now()
    )
    return Response(content, media_type=content_type, headers={"x-content-type-options": "nosniff"})


# --- invitations -------------------------------------------------------------------------------


@pages_router.post("/children/{child_id}/invite-family")
async def invite(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    """A clinician invites a family member; the page shows the single-use link to send."""
    form = await request.form()
    token, invitation = use.invite_family(
        _uow(context), _user_id(user), child_id, form.get("email"), now=context.now()
    )
    link = f"{request.base_url}invite/{token}"
    return HTMLResponse(
        context.render(
            "family/invited.html",
            {
                "link": link,
                "invitation": invitation,
                "child_id": child_id,
                "user": user.user,
                "csrf_token": user.csrf_token,
                "request_path": request.url.path,
            },
        )
    )


def _invite_form(
    request: Request,
    token: str,
    *,
    errors: Mapping[str, str],
    status: int = 200,
    name: str = "",
    existing: bool = False,
) -> HTMLResponse:
    return _page(
        request,
        "family/invite.html",
        {"token": token, "errors": errors, "name": name, "existing": existing, "valid": True},
        user=None,
        words=_language(request),
        status=status,
    )


@pages_router.get("/invite/{token}")
async def invite_page(request: Request, token: str, context: Context) -> Response:
    uow = _uow(context)
    try:
        invitation = use.invitation_for(uow, token, now=context.now())
    except use.InvitationRefusedError:
        return _page(
            request,
            "family/invite.html",
            {"valid": False, "errors": {}},
            user=None,
            words=_language(request),
            status=404,
        )
    with uow:
        existing = uow.users.by_email(invitation.email) is not None
    return _invite_form(request, token, errors={}, existing=existing)


@pages_router.post("/invite/{token}")
async def accept(request: Request, token: str, context: Context) -> Response:
    form = await request.form()
    name = str(form.get("display_name", ""))[:200]
    password = str(form.get("password", ""))[:1024]
    uow = _uow(context)
    now = context.now()
    client_address = request.client.host if request.client else "unknown"
    try:
        user = await run_in_threadpool(
            use.accept_invitation,
            uow,
            token,
            name,
            password,
            client_address=client_address,
            now=now,
            policy=context.policy,
        )
    except SignInRefusedError as refused:
        # The invitee's account (or this computer) is locked after failed sign-ins: the
        # same refusal and status as the sign-in page.
        return _invite_form(
            request,
            token,
            errors={"password": refused.message},
            status=429,
            name=name,
            existing=True,
        )
    except use.InvitationRefusedError:
        return _page(
            request,
            "family/invite.html",
            {"valid": False, "errors": {}},
            user=None,
            words=_language(request),
            status=404,
        )
    except InvalidInputError as error:
        return _invite_form(
            request, token, errors={error.field: error.problem}, status=422, name=name
        )
    try:
        signed = await run_in_threadpool(
            sign_in_use_case,
            context.unit_of_work(),
            user.email,
            password,
            client_address,
            now=now,
            policy=context.policy,
        )
    except SignInRefusedError:
        return RedirectResponse("/sign-in?next=/family", status_code=303)
    response = RedirectResponse("/family", status_code=303)
    set_session_cookie(response, signed.token, context)
    return response


# --- JSON API ----------------------------------------------------------------------------------


class FamilyChildOut(BaseModel):
    id: int
    given_name: str
    preferred_language: str


class FamilyItemOut(BaseModel):
    id: str
    date: dt.date
    title: str
    phase: str
    owner: str
    done: bool
    tickable: bool
    to_be_confirmed_by_clinical_lead: bool


class FamilyTodayOut(BaseModel):
    child_id: int
    today: dt.date
    language: str
    plan_started: bool
    today_items: list[FamilyItemOut]
    still_to_do: list[FamilyItemOut]
    coming_next: list[FamilyItemOut]
    done_count: int
    total_count: int


class DiaryEntryIn(BaseModel):
    kind: str = Field(description="pain-r-flacc, pain-numeric, skin, medicine or unwell")
    face: int | None = None
    legs: int | None = None
    activity: int | None = None
    cry: int | None = None
    consolability: int | None = None
    pain_score: int | None = None
    skin_finding: str | None = None
    skin_where: str | None = None
    medicine: str | None = None
    given_at: str | None = None
    description: str | None = None
    note: str | None = None


class DiaryEntryOut(BaseModel):
    id: int
    kind: str
    recorded_at: dt.datetime
    urgency: str
    alert_id: int | None
    data: dict[str, Any]
    advice: list[str] = []
    contacts: list[dict[str, str]] = []
    to_be_confirmed_by_clinical_lead: bool = False


def _item_out(item: use.FamilyItem) -> FamilyItemOut:
    return FamilyItemOut(
        id=item.id,
        date=item.entry.date,
        title=item.entry.title,
        phase=item.entry.phase,
        owner=item.entry.owner,
        done=item.done,
        tickable=item.tickable,
        to_be_confirmed_by_clinical_lead=item.entry.to_be_confirmed,
    )


@api_router.get("/children", response_model=list[FamilyChildOut])
async def api_children(user: ApiUser, context: Context) -> list[FamilyChildOut]:
    """The children this family member is linked to."""
    return [
        FamilyChildOut(
            id=child.id or 0,
            given_name=child.given_name,
            preferred_language=child.preferred_language,
        )
        for child in use.family_children(_uow(context), _user_id(user))
    ]


@api_router.get("/children/{child_id}/today", response_model=FamilyTodayOut)
async def api_today(
    request: Request, child_id: RecordId, user: ApiUser, context: Context
) -> FamilyTodayOut:
    """Today's steps, what is still to do and what comes next."""
    now = context.now()
    view = use.family_today(
        _uow(context),
        user.user,
        child_id,
        _pathway_content(),
        lambda child: _language(request, child),
        today=context.today(now),
        now=now,
    )
    words = view.words or translator("en")
    return FamilyTodayOut(
        child_id=child_id,
        today=view.today,
        language=words.code,
        plan_started=view.plan is not None,
        today_items=[_item_out(item) for item in view.today_items],
        still_to_do=[_item_out(item) for item in view.still_to_do],
        coming_next=[_item_out(item) for item in view.coming_next],
        done_count=view.done_count,
        total_count=view.total_count,
    )


class TickOut(BaseModel):
    item_id: str
    done: bool
    done_at: dt.datetime | None


@api_router.post("/children/{child_id}/items/{item_id}/tick", response_model=TickOut)
async def api_tick(child_id: RecordId, item_id: str, user: ApiUser, context: Context) -> TickOut:
    """Tick one of the family's care-plan items (the care team sees it ticked)."""
    state = use.tick_family_item(
        _uow(context), _user_id(user), child_id, item_id, now=context.now()
    )
    return TickOut(item_id=state.item_id, done=state.done, done_at=state.done_at)


def _diary_out(entry: use.StoredDiaryEntry) -> DiaryEntryOut:
    return DiaryEntryOut(
        id=entry.id,
        kind=entry.kind.value,
        recorded_at=entry.recorded_at,
        urgency=entry.urgency.value,
        alert_id=entry.alert_id,
        data=dict(entry.data),
    )


@api_router.post("/children/{child_id}/diary", response_model=DiaryEntryOut, status_code=201)
async def api_diary_add(
    request: Request, child_id: RecordId, body: DiaryEntryIn, user: ApiUser, context: Context
) -> DiaryEntryOut:
    """Add a diary entry; past a threshold it raises a care-team alert and says whom to call."""
    uow = _uow(context)
    now = context.now()
    child = use.child_for_family(uow, _user_id(user), child_id, now=now, audit=False)
    document = body.model_dump(exclude_none=True)
    record = use.record_diary_entry(
        uow, _user_id(user), child_id, document, load_diary_rules(), now=now
    )
    outcome = _outcome(child, record.assessment, _language(request, child))
    out = _diary_out(record.entry)
    out.advice = outcome["advice"]
    out.contacts = outcome["contacts"]
    out.to_be_confirmed_by_clinical_lead = outcome["to_be_confirmed"]
    return out


@api_router.get("/children/{child_id}/diary", response_model=list[DiaryEntryOut])
async def api_diary(child_id: RecordId, user: ApiUser, context: Context) -> list[DiaryEntryOut]:
    """The child's newest diary entries (the family and the child's care team)."""
    entries = use.diary_entries(_uow(context), _user_id(user), child_id, now=context.now())
    return [_diary_out(entry) for entry in entries]


@dataclass(frozen=True)
class StaffDiary:
    """The family diary as the child's care team reads it on the child's page."""

    entries: list[use.StoredDiaryEntry]
    descriptors: dict[str, str]
    skin_labels: Mapping[str, str]


def staff_diary(
    entries: Sequence[use.StoredDiaryEntry], descriptors: Mapping[str, str]
) -> StaffDiary:
    """The child page's diary section for a clinician of the child's site, from what the
    child page's use case read (``hipcare.services.journey.open_child_page``, which audits
    the page's read as ``child.read``)."""
    english = {choice.value: ui_strings()[key] for choice, key in _SKIN_CHOICES}
    return StaffDiary(entries=list(entries), descriptors=dict(descriptors), skin_labels=english)


def install(app: Any) -> None:
    """Add the family routes to the app (one line in :func:`hipcare.web.create_app`)."""
    app.include_router(api_router)
    app.include_router(pages_router)
