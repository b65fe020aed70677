"""Inviting a family member: a clinician asks for a single-use link on the child's page
(``POST /children/{id}/invite-family``); the family opens it (``/invite/{token}``), chooses a
name and password (or, with an account already, signs in) and is then signed in.

A wrong password counts as a failed sign-in (429 when locked, as on the sign-in page).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hipcare.domain.errors import InvalidInputError
from hipcare.services import family as use
from hipcare.services.accounts import SessionUser, SignInRefusedError
from hipcare.services.accounts import sign_in as sign_in_use_case
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.auth import page_user_with_form
from hipcare.web.context import WebContext, web_context
from hipcare.web.models import RecordId
from hipcare.web.rendering import family_language, family_page, set_session_cookie, user_id

__all__ = ["pages_router"]

pages_router = APIRouter(include_in_schema=False)

FormUser = Annotated[SessionUser, Depends(page_user_with_form)]
Context = Annotated[WebContext, Depends(web_context)]


def _uow(context: WebContext) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(context.session_factory)


@pages_router.post("/children/{child_id}/invite-family")
async def invite(
    request: Request, child_id: RecordId, user: FormUser, context: Context
) -> Response:
    """A clinician invites a family member; the page shows the single-use link to send."""
    form = await request.form()
    token, invitation = use.invite_family(
        _uow(context), user_id(user), child_id, form.get("email"), now=context.now()
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
    return family_page(
        request,
        "family/invite.html",
        {"token": token, "errors": errors, "name": name, "existing": existing, "valid": True},
        user=None,
        words=family_language(request),
        status=status,
    )


@pages_router.get("/invite/{token}")
async def invite_page(request: Request, token: str, context: Context) -> Response:
    uow = _uow(context)
    try:
        invitation = use.invitation_for(uow, token, now=context.now())
    except use.InvitationRefusedError:
        return family_page(
            request,
            "family/invite.html",
            {"valid": False, "errors": {}},
            user=None,
            words=family_language(request),
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
        return family_page(
            request,
            "family/invite.html",
            {"valid": False, "errors": {}},
            user=None,
            words=family_language(request),
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
