"""Inviting a family member: a clinician invites on the child's page
(``POST /children/{id}/invite-family``) or through the API
(``POST /api/children/{id}/invitations``); hipcare emails the single-use link (SMTP, when
``HIPCARE_SMTP_HOST`` is set) and shows it to copy. The family opens it (``/invite/{token}``),
in the invitation's language, naming the child's first name and the hospital; chooses a name
and password (or, with an account already, signs in) and is then signed in. A used or
expired link says so and offers sign-in.

A wrong password counts as a failed sign-in (429 when locked, as on the sign-in page).
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections.abc import Mapping
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field

from hipcare.content.i18n import LANGUAGES, Translator
from hipcare.domain.errors import InvalidInputError
from hipcare.services import family as use
from hipcare.services.accounts import SessionUser, SignedIn, SignInRefusedError
from hipcare.services.accounts import sign_in as sign_in_use_case
from hipcare.services.family.reminders import smtp_sender
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import api_user, page_user_with_form
from hipcare.web.context import Context, WebContext
from hipcare.web.models import Problem, RecordId
from hipcare.web.rendering import (
    LANGUAGE_COOKIE,
    Words,
    family_page,
    invitation_email,
    set_session_cookie,
    site_timezone,
    user_id,
)

__all__ = ["api_router", "pages_router"]

_log = logging.getLogger("hipcare.web")

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(
    prefix="/api",
    tags=["family"],
    responses={
        400: {"model": Problem, "description": "the body could not be read as JSON"},
        401: {"model": Problem, "description": "not signed in"},
        403: {"model": Problem, "description": "not a clinician of the child's site, or no CSRF"},
        404: {"model": Problem, "description": "no such child"},
        422: {"model": Problem, "description": "the input is not valid; `field` says where"},
    },
)

FormUser = Annotated[SessionUser, Depends(page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(api_user)]


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


def _hospital(context: WebContext, site_id: str) -> str:
    site = context.content.sites_by_id.get(site_id)
    return site.name if site is not None else site_id


async def _invite_and_email(
    request: Request,
    context: WebContext,
    actor_id: int,
    child_id: int,
    email: object,
    language: object,
) -> tuple[str, use.OpenedInvitation, bool]:
    """Make the invitation and email its link: (link, what the page shows, whether sent)."""
    uow = _uow(context)
    now = context.now()
    token, _ = use.invite_family(uow, actor_id, child_id, email, now=now, language=language)
    opened = use.open_invitation(uow, token, now=now)
    # HIPCARE_PUBLIC_URL, never the Host header: a forged Host would send the family a link
    # to someone else's server carrying the invitation's token.
    link = f"{context.public_url()}/invite/{token}"
    if context.smtp is None:
        return link, opened, False
    message = invitation_email(
        opened.invitation,
        Words(context.content.words(opened.language), context.content.family_words),
        link,
        _hospital(context, opened.site_id),
        context.smtp.sender,
    )
    try:
        await run_in_threadpool(smtp_sender(context.smtp), message)
    except (OSError, smtplib.SMTPException) as error:
        _log.warning("invitation for child %d: email not sent (%s)", child_id, type(error).__name__)
        return link, opened, False
    return link, opened, True


@pages_router.post("/children/{child_id}/invite-family")
async def invite(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    """A clinician invites a family member: the email goes out, the page shows the link."""
    form = await request.form()
    link, opened, emailed = await _invite_and_email(
        request, context, user_id(user), child_id, form.get("email"), form.get("language")
    )
    return HTMLResponse(
        context.render(
            "family/invited.html",
            {
                "link": link,
                "invitation": opened.invitation,
                "emailed": emailed,
                "expires_local": opened.invitation.expires_at.astimezone(
                    ZoneInfo(site_timezone(context, opened.site_id))
                ),
                "timezone": site_timezone(context, opened.site_id),
                "smtp_configured": context.smtp is not None,
                "child_id": child_id,
                "user": user.user,
                "csrf_token": user.csrf_token,
                "request_path": request.url.path,
            },
        )
    )


class InvitationIn(BaseModel):
    email: str = Field(max_length=320, description="the family member's email address")
    language: str | None = Field(
        default=None,
        max_length=35,
        description="en, ar, fa, vi, zh-Hans or zh-Hant; default the child's language",
    )


class InvitationOut(BaseModel):
    link: str = Field(description="the single-use invitation link (shown once)")
    email: str
    language: str
    expires_at: dt.datetime
    emailed: bool = Field(description="whether the email left for the SMTP server")


@api_router.post("/children/{child_id}/invitations", status_code=201)
async def invite_api(
    request: Request, child_id: RecordId, body: InvitationIn, user: ApiUser, context: Context
) -> InvitationOut:
    """Invite a family member by email (a clinician of the child's site): emails the link."""
    link, opened, emailed = await _invite_and_email(
        request, context, user_id(user), child_id, body.email, body.language
    )
    return InvitationOut(
        link=link,
        email=opened.invitation.email,
        language=opened.language,
        expires_at=opened.invitation.expires_at,
        emailed=emailed,
    )


def _words(request: Request, context: WebContext, language: str | None) -> Translator:
    """``?lang=``, else the language cookie, else the invitation's language, else English."""
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    for code in (asked, language):
        if code in LANGUAGES:
            return context.content.words(str(code))
    return context.content.words("en")


def _invite_form(
    request: Request,
    context: WebContext,
    token: str,
    opened: use.OpenedInvitation,
    *,
    errors: Mapping[str, str],
    status: int = 200,
    name: str = "",
) -> HTMLResponse:
    values: dict[str, Any] = {
        "token": token,
        "errors": errors,
        "name": name,
        "existing": opened.has_account,
        "valid": True,
        "child_given_name": opened.child_given_name,
        "hospital": _hospital(context, opened.site_id),
    }
    return family_page(
        request,
        "family/invite.html",
        values,
        user=None,
        words=_words(request, context, opened.language),
        status=status,
    )


def _refused(request: Request, context: WebContext, token: str, reason: str) -> HTMLResponse:
    language = use.refused_invitation_language(_uow(context), token)
    return family_page(
        request,
        "family/invite.html",
        {"valid": False, "errors": {}, "reason": reason},
        user=None,
        words=_words(request, context, language),
        status=404,
    )


@pages_router.get("/invite/{token}")
async def invite_page(request: Request, token: str, context: Context) -> Response:
    try:
        opened = use.open_invitation(_uow(context), token, now=context.now())
    except use.InvitationRefusedError as refused:
        return _refused(request, context, token, refused.reason)
    return _invite_form(request, context, token, opened, errors={})


@pages_router.post("/invite/{token}")
async def accept(request: Request, token: str, context: Context) -> Response:
    form = await request.form()
    name = str(form.get("display_name", ""))[:200]
    password = str(form.get("password", ""))[:1024]
    uow = _uow(context)
    now = context.now()
    client_address = request.client.host if request.client else "unknown"
    try:
        opened = use.open_invitation(uow, token, now=now)
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
        # The invitee's account (or this computer) must wait after failed sign-ins: the
        # same refusal, status and Retry-After as the sign-in page.
        refusal = _invite_form(
            request,
            context,
            token,
            opened,
            errors={"password": refused.message},
            status=429,
            name=name,
        )
        if refused.retry_after_seconds is not None:
            refusal.headers["Retry-After"] = str(refused.retry_after_seconds)
        return refusal
    except use.InvitationRefusedError as refused:
        return _refused(request, context, token, refused.reason)
    except InvalidInputError as error:
        return _invite_form(
            request,
            context,
            token,
            opened,
            errors={error.field: error.problem},
            status=422,
            name=name,
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
    if not isinstance(signed, SignedIn):  # an account with TOTP signs in on the sign-in page
        return RedirectResponse("/sign-in?next=/family", status_code=303)
    response = RedirectResponse("/family", status_code=303)
    set_session_cookie(response, signed.token, context)
    # The family's pages stay in the language they were invited in (or chose here).
    chosen = _words(request, context, opened.language).code
    response.set_cookie(
        LANGUAGE_COOKIE,
        chosen,
        httponly=True,
        samesite="lax",
        path="/",
        secure=context.settings.secure_cookies,
    )
    return response
