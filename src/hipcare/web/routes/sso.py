"""Single sign-on for staff with the hospital's OpenID Connect provider (ADR 16).

- ``GET /sign-in/oidc?next=PATH`` sends the browser to the provider with a new state, nonce
  and PKCE code challenge; the state, nonce, code verifier and ``next`` wait in a short-lived
  cookie of this browser (HttpOnly, SameSite=Lax, only sent to ``/sign-in/oidc``; 10 minutes).
- ``GET /sign-in/oidc/callback`` is where the provider sends the browser back: the answer's
  state must be this browser's, the code is exchanged with the code verifier, the ID token
  is checked (``hipcare.interop.oidc``), and the account rules (``hipcare.services.
  single_sign_on``) create or update the account and open a session, or refuse with a page
  that says why.

Without ``HIPCARE_OIDC_ISSUER`` both answer 404 and the sign-in page shows only the password
form. The log gets reason codes and ids only, never a claim, a name or an email.
"""

from __future__ import annotations

import base64
import binascii
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import RedirectResponse, Response

from hipcare.interop.oidc import OpenIdClient, OpenIdError, PendingSignIn
from hipcare.services.accounts import sign_out
from hipcare.services.single_sign_on import SignOnIdentity, SignOnRefusedError, sign_on
from hipcare.web.context import SESSION_COOKIE, Context, WebContext
from hipcare.web.rendering import error_page, set_session_cookie

__all__ = ["PENDING_COOKIE", "router"]

_log = logging.getLogger("hipcare.web.sso")

router = APIRouter(include_in_schema=False)

PENDING_COOKIE = "hipcare_oidc"
"""Holds a sign-in in progress: state, nonce, code verifier, where to go after, when begun."""
_PENDING_PATH = "/sign-in/oidc"
_PENDING_SECONDS = 600
_CALLBACK_PATH = "/sign-in/oidc/callback"
_START_AGAIN = "Go back to the sign-in page and start again."


def _safe_target(target: str | None) -> str:
    """Only a path on this site (never another host) may follow sign-in."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    parts = urlsplit(target)
    return "/" if parts.scheme or parts.netloc else target


def _redirect_uri(request: Request, context: WebContext) -> str:
    """The callback's absolute address, registered at the provider: on ``HIPCARE_PUBLIC_URL``
    when it is set (behind a proxy), else on the address this request came to."""
    public = dict(context.settings.mail_environ).get("HIPCARE_PUBLIC_URL", "").strip()
    if public:
        return public.rstrip("/") + _CALLBACK_PATH
    return str(request.url_for("oidc_callback"))


def _encode(pending: PendingSignIn, target: str, started: float) -> str:
    body = {
        "state": pending.state,
        "nonce": pending.nonce,
        "verifier": pending.code_verifier,
        "next": target,
        "started": started,
    }
    return base64.urlsafe_b64encode(json.dumps(body).encode()).decode()


def _decode(cookie: str | None, now: float) -> tuple[PendingSignIn, str] | None:
    """The sign-in this browser began, or None (no cookie, unreadable, or too old)."""
    if not cookie:
        return None
    try:
        body: Any = json.loads(base64.urlsafe_b64decode(cookie.encode()))
        pending = PendingSignIn(
            state=str(body["state"]), nonce=str(body["nonce"]), code_verifier=str(body["verifier"])
        )
        started = float(body["started"])
        target = _safe_target(str(body["next"]))
    except (ValueError, TypeError, KeyError, binascii.Error):
        return None
    if not 0 <= now - started <= _PENDING_SECONDS:
        return None
    return pending, target


def _client(context: WebContext) -> OpenIdClient | None:
    return context.openid if context.settings.oidc is not None else None


def _not_set_up(request: Request) -> Response:
    return error_page(
        request,
        404,
        "Single sign-on is not set up here",
        "Sign in with your email and hipcare password instead.",
    )


@router.get("/sign-in/oidc")
async def oidc_start(request: Request, context: Context, next: str = "/") -> Response:
    """Send the browser to the hospital's provider to sign in."""
    client = _client(context)
    if client is None:
        return _not_set_up(request)
    try:
        url, pending = await client.start(_redirect_uri(request, context))
    except OpenIdError as error:
        _log.warning("single sign-on could not start (%s)", error.reason)
        return error_page(
            request,
            502,
            "Your hospital's sign-in did not answer",
            "Try again in a minute. If it keeps happening, tell your IT team "
            "(hipcare could not read the identity provider's settings).",
        )
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(
        PENDING_COOKIE,
        _encode(pending, _safe_target(next), context.now().timestamp()),
        max_age=_PENDING_SECONDS,
        httponly=True,
        # Lax: the provider sends the browser back with a top-level GET, which carries it.
        samesite="lax",
        secure=context.settings.secure_cookies,
        path=_PENDING_PATH,
    )
    return response


@router.get(_CALLBACK_PATH, name="oidc_callback")
async def oidc_callback(request: Request, context: Context) -> Response:
    """The provider's answer: check it, then sign the person in or say why not."""
    client = _client(context)
    oidc = context.settings.oidc
    if client is None or oidc is None:
        return _not_set_up(request)
    began = _decode(request.cookies.get(PENDING_COOKIE), context.now().timestamp())
    if began is None:
        _log.info("single sign-on refused (no-pending-sign-in)")
        return _refused(
            request,
            400,
            "This sign-in has expired",
            "It was not started in this browser, or more than 10 minutes ago. " + _START_AGAIN,
        )
    pending, target = began
    try:
        verified = await client.finish(
            _redirect_uri(request, context), pending, dict(request.query_params)
        )
    except OpenIdError as error:
        _log.warning("single sign-on refused (%s)", error.reason)
        if error.reason == "provider-refused":
            return _refused(
                request,
                403,
                "Your hospital did not sign you in",
                "Your hospital's sign-in page did not let you in. " + _START_AGAIN,
            )
        return _refused(
            request,
            400,
            "This sign-in could not be checked",
            "hipcare could not confirm this answer came from your hospital for this sign-in. "
            + _START_AGAIN,
        )
    identity = SignOnIdentity(
        issuer=verified.issuer,
        subject=verified.subject,
        email=verified.email,
        name=verified.name,
        groups=verified.groups,
    )
    try:
        signed = await run_in_threadpool(
            sign_on, context.unit_of_work(), identity, oidc.group_map, now=context.now()
        )
    except SignOnRefusedError as refused:
        _log.info(
            "single sign-on refused (%s), user %s",
            refused.reason.value,
            refused.user_id if refused.user_id is not None else "none",
        )
        return _refused(request, 403, "hipcare cannot let you in", refused.message)
    if signed.user.id is not None:
        _log.info("single sign-on: user %d signed in", signed.user.id)
    # A session the browser held before (another user's, or an old one) ends here.
    sign_out(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, signed.token, context)
    response.delete_cookie(PENDING_COOKIE, path=_PENDING_PATH)
    return response


def _refused(request: Request, status: int, title: str, message: str) -> Response:
    response = error_page(request, status, title, message)
    response.delete_cookie(PENDING_COOKIE, path=_PENDING_PATH)
    return response
