"""Signing in and out: the sign-in page (a double-submit CSRF cookie before there is a
session) and ``POST /api/sign-in``, ``/api/sign-out``, ``GET /api/me``.

The page's form works without JavaScript; a refused sign-in comes back with the email typed
and a message (401 wrong email or password; 429 with ``Retry-After`` for a try too soon after
failed ones).
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated
from urllib.parse import quote, urlencode, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response

from hipcare.domain.records import Role, User
from hipcare.services.accounts import (
    SecondFactorNeeded,
    SessionUser,
    SignInRefusal,
    SignInRefusedError,
    signed_in_user,
)
from hipcare.services.accounts import sign_in as sign_in_use_case
from hipcare.services.accounts import sign_out as sign_out_use_case
from hipcare.services.family import carer_language
from hipcare.services.second_factor import complete_sign_in
from hipcare.web.auth import CSRF_FIELD, api_user, page_user_with_form
from hipcare.web.context import (
    SECOND_FACTOR_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Context,
    WebContext,
    web_context,
)
from hipcare.web.models import API_ERRORS, Problem, SignInIn, SignInOut, me_out, signed_in_out
from hipcare.web.rendering import LANGUAGE_COOKIE, page, set_session_cookie

__all__ = ["api_router", "pages_router"]

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

AnyFormUser = Annotated[SessionUser, Depends(page_user_with_form)]
"""Signing out is for everyone signed in, the family side's accounts too."""
AnyApiUser = Annotated[SessionUser, Depends(api_user)]
"""Signing out and asking who is signed in are for every account, the family's too."""
_LOCKED = frozenset({SignInRefusal.ACCOUNT_WAIT, SignInRefusal.ADDRESS_WAIT})


def _safe_target(target: str | None) -> str:
    """Only a path on this site (never another host) may follow sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


def _client(request: Request) -> str:
    """The connecting address: a trusted proxy's X-Forwarded-For only when
    ``HIPCARE_TRUSTED_PROXIES`` names the proxy (``hipcare serve`` sets uvicorn so)."""
    return request.client.host if request.client else "unknown"


def retry_after(refused: SignInRefusedError) -> dict[str, str]:
    """The ``Retry-After`` header (RFC 9110, section 10.2.3) for a try made too soon."""
    if refused.retry_after_seconds is None:
        return {}
    return {"Retry-After": str(refused.retry_after_seconds)}


# --- pages -------------------------------------------------------------------------------------


def _sign_in_form(
    request: Request,
    *,
    email: str = "",
    target: str = "/",
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    context = web_context(request)
    oidc = context.settings.oidc
    response = page(
        request,
        "sign_in.html",
        {
            "email": email,
            "next": target,
            "message": message,
            "form_token": token,
            # "Sign in with <hospital>" where single sign-on is set up (ADR 16).
            "sso_name": None if oidc is None else oidc.display_name,
            "sso_url": "/sign-in/oidc?" + urlencode({"next": target}),
        },
        status=status,
    )
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=context.settings.secure_cookies,
        path="/sign-in",
    )
    return response


@pages_router.get("/sign-in")
async def sign_in_page(request: Request, context: Context, next: str = "/") -> Response:
    if signed_in_user(
        context.unit_of_work(),
        request.cookies.get(SESSION_COOKIE),
        now=context.now(),
        policy=context.policy,
    ):
        return RedirectResponse(_safe_target(next), status_code=303)
    return _sign_in_form(request, target=_safe_target(next))


@pages_router.post("/sign-in")
async def sign_in(request: Request, context: Context) -> Response:
    form = await request.form()
    email = str(form.get("email", ""))[:320]
    password = str(form.get("password", ""))[:1024]
    target = _safe_target(str(form.get("next", "/")))
    presented = str(form.get(CSRF_FIELD, ""))
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    if not expected or not hmac.compare_digest(presented.encode(), expected.encode()):
        return _sign_in_form(
            request,
            email=email,
            target=target,
            message="This sign-in form had expired. Please type your password again.",
            status=400,
        )
    try:
        signed = await run_in_threadpool(
            sign_in_use_case,
            context.unit_of_work(),
            email,
            password,
            _client(request),
            now=context.now(),
            policy=context.policy,
        )
    except SignInRefusedError as refused:
        status = 401 if refused.reason is SignInRefusal.WRONG_EMAIL_OR_PASSWORD else 429
        refusal = _sign_in_form(
            request, email=email, target=target, message=refused.message, status=status
        )
        refusal.headers.update(retry_after(refused))
        return refusal
    if isinstance(signed, SecondFactorNeeded):
        # The code step (hipcare.web.routes.account) takes the sign-in from here.
        response = RedirectResponse(f"/sign-in/second-factor?next={quote(target)}", 303)
        response.set_cookie(
            SECOND_FACTOR_COOKIE,
            signed.pending_token,
            httponly=True,
            samesite="lax",
            secure=context.settings.secure_cookies,
            path="/sign-in",
        )
        return response
    # A session the browser held before (another user's, or an old one) ends here.
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, signed.token, context)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    _carer_language_cookie(response, signed.user, context)
    return response


def _carer_language_cookie(response: Response, user: User, context: WebContext) -> None:
    """A carer's own language (issue 17) follows them to a new phone: their pages open in
    it until they choose another."""
    if user.role is not Role.FAMILY or user.id is None:
        return
    language = carer_language(context.unit_of_work(), user.id)
    if language is not None:
        response.set_cookie(
            LANGUAGE_COOKIE,
            language,
            httponly=True,
            samesite="lax",
            path="/",
            secure=context.settings.secure_cookies,
        )


@pages_router.post("/sign-out")
async def sign_out(request: Request, user: AnyFormUser, context: Context) -> Response:
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    # The family app keeps pages and unsent diary entries on the phone (issue 17): signing
    # out leaves nothing private behind (the page's script also clears them first).
    response.headers["clear-site-data"] = '"cache", "storage"'
    return response


# --- JSON API ----------------------------------------------------------------------------------
# The API's functions keep the route names (and so the OpenAPI operation ids) they had
# before they shared a module with the pages' ``sign_in`` and ``sign_out``.


@api_router.post(
    "/sign-in",
    name="sign_in",
    response_model=SignInOut,
    responses={
        401: {"model": Problem, "description": "wrong email, password or second-factor code"},
        429: {
            "model": Problem,
            "description": "too soon after failed sign-ins: try again after Retry-After seconds",
            "headers": {
                "Retry-After": {
                    "description": "seconds to wait before the next try",
                    "schema": {"type": "integer"},
                }
            },
        },
    },
)
async def api_sign_in(body: SignInIn, request: Request, context: Context) -> Response:
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
        if isinstance(signed, SecondFactorNeeded):
            if body.code is None:
                return JSONResponse(
                    Problem(
                        field="code", problem="this account has a second factor: send its code"
                    ).model_dump(),
                    status_code=401,
                )
            signed = await run_in_threadpool(
                complete_sign_in,
                context.unit_of_work(),
                signed.pending_token,
                body.code,
                now=context.now(),
            )
    except SignInRefusedError as refused:
        status = 429 if refused.reason in _LOCKED else 401
        return JSONResponse(
            Problem(field=refused.reason.value, problem=refused.message).model_dump(),
            status_code=status,
            headers=retry_after(refused),
        )
    body_out = SignInOut(user=me_out(signed.user), csrf_token=signed.csrf_token)
    response = JSONResponse(body_out.model_dump(mode="json"))
    set_session_cookie(response, signed.token, context)
    return response


@api_router.post("/sign-out", name="sign_out", status_code=204)
async def api_sign_out(user: AnyApiUser, request: Request, context: Context) -> Response:
    """End this session."""
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


@api_router.get("/me", response_model=SignInOut)
async def me(user: AnyApiUser) -> SignInOut:
    """Who is signed in, with the session's CSRF token."""
    return signed_in_out(user)
