"""The JSON API under ``/api``: the same use cases as the pages, described by OpenAPI.

Every route checks who is asking (401 without a session) and every POST needs the session's
CSRF token in ``X-CSRF-Token`` (403 without it). Errors are ``{"field", "problem"}``.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse, Response

from hipcare.services.accounts import SessionUser, SignInRefusal, SignInRefusedError, site_audit_log
from hipcare.services.accounts import sign_in as sign_in_use_case
from hipcare.services.accounts import sign_out as sign_out_use_case
from hipcare.services.records import find_children, get_child, register_child
from hipcare.web.auth import api_user, staff_api_user
from hipcare.web.context import SESSION_COOKIE, WebContext, web_context
from hipcare.web.models import (
    AuditEntryOut,
    ChildIn,
    ChildOut,
    ChildSummary,
    Problem,
    RecordId,
    SignInIn,
    SignInOut,
    audit_entry_out,
    child_out,
    child_summary,
    me_out,
    signed_in_out,
)

__all__ = ["router", "set_session_cookie"]

_ERRORS: dict[int | str, dict[str, Any]] = {
    400: {"model": Problem, "description": "the body could not be read as JSON"},
    401: {"model": Problem, "description": "not signed in"},
    403: {"model": Problem, "description": "not allowed, or the CSRF token is missing"},
    422: {"model": Problem, "description": "the input is not valid; `field` says where"},
}
_NOT_FOUND: dict[int | str, dict[str, Any]] = {
    404: {"model": Problem, "description": "no such record"}
}

router = APIRouter(prefix="/api", tags=["api"], responses=_ERRORS)

User = Annotated[SessionUser, Depends(staff_api_user)]
AnyUser = Annotated[SessionUser, Depends(api_user)]
"""Signing out and asking who is signed in are for every account, the family's too."""
Context = Annotated[WebContext, Depends(web_context)]


def set_session_cookie(response: Response, token: str, context: WebContext) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when served over https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=context.settings.secure_cookies,
        path="/",
    )


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


@router.post(
    "/sign-in",
    response_model=SignInOut,
    responses={
        401: {"model": Problem, "description": "wrong email or password"},
        429: {"model": Problem, "description": "too many failed sign-ins: locked for a while"},
    },
)
async def sign_in(body: SignInIn, request: Request, context: Context) -> Response:
    """Open a session (cookie) and return the CSRF token to send with every POST."""
    try:
        signed = await run_in_threadpool(
            sign_in_use_case,
            context.unit_of_work(),
            body.email,
            body.password,
            _client(request),
            now=context.now(),
            policy=context.policy,
        )
    except SignInRefusedError as refused:
        status = 401 if refused.reason is SignInRefusal.WRONG_EMAIL_OR_PASSWORD else 429
        return JSONResponse(
            Problem(field=refused.reason.value, problem=refused.message).model_dump(),
            status_code=status,
        )
    body_out = SignInOut(user=me_out(signed.user), csrf_token=signed.csrf_token)
    response = JSONResponse(body_out.model_dump(mode="json"))
    set_session_cookie(response, signed.token, context)
    return response


@router.post("/sign-out", status_code=204)
async def sign_out(user: AnyUser, request: Request, context: Context) -> Response:
    """End this session."""
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@router.get("/me", response_model=SignInOut)
async def me(user: AnyUser) -> SignInOut:
    """Who is signed in, with the session's CSRF token."""
    return signed_in_out(user)


@router.get("/children", response_model=list[ChildSummary])
async def search_children(
    user: User,
    context: Context,
    name: Annotated[str, Query(min_length=1, max_length=200)],
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> list[ChildSummary]:
    """Children of your sites whose names contain ``name`` (accents and case ignored)."""
    found = find_children(context.unit_of_work(), _id(user), name, now=context.now(), limit=limit)
    return [child_summary(child) for child in found]


@router.post("/children", response_model=ChildOut, status_code=201)
async def register(body: ChildIn, user: User, context: Context) -> ChildOut:
    """Register a child at one of your sites."""
    now = context.now()
    child = register_child(
        context.unit_of_work(),
        _id(user),
        body.model_dump(exclude_none=True),
        today=context.today(now),
        now=now,
    )
    return child_out(child, ())


@router.get("/children/{child_id}", response_model=ChildOut, responses=_NOT_FOUND)
async def read_child(child_id: RecordId, user: User, context: Context) -> ChildOut:
    """A child's record with their visits and measures (the read is audited)."""
    record = get_child(context.unit_of_work(), _id(user), child_id, now=context.now())
    return child_out(record.child, record.visits)


@router.get("/sites/{site_id}/audit", response_model=list[AuditEntryOut], responses=_NOT_FOUND)
async def site_audit(
    site_id: str,
    user: User,
    context: Context,
    limit: Annotated[int, Query(ge=1, le=1000)] = 200,
) -> list[AuditEntryOut]:
    """The newest audit entries of a site's records (site administrators only)."""
    entries = site_audit_log(context.unit_of_work(), _id(user), site_id, limit=limit)
    return [audit_entry_out(entry) for entry in entries]


def _id(user: SessionUser) -> int:
    if user.user.id is None:  # pragma: no cover -- a signed-in user is stored
        raise ValueError("a signed-in user has an id")
    return user.user.id
