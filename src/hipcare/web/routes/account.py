"""A person's own account: the TOTP code step of a sign-in, changing the password, setting up
the second factor, and password reset by email (issue 18).

Pages: ``/sign-in/second-factor`` (the code after a right password), ``/account`` (change the
password; the second factor's state), ``/account/second-factor`` (set up TOTP with a QR code,
then the 10 recovery codes once), ``/password-reset`` (ask for a link: the same answer
whether or not an account has the address; the work and the email happen after the answer),
``/set-password/{token}`` (a reset or staff invitation link). API: ``POST /api/me/password``,
``POST /api/password-reset``.

Reset links are built on ``HIPCARE_PUBLIC_URL`` only, never on the request's Host header (a
forged Host would otherwise put the token in a link to another site); without it no reset
email is sent, and the log says so (ids only).
"""

from __future__ import annotations

import hmac
import logging
import secrets
import smtplib
from typing import Annotated, Any

from fastapi import APIRouter, BackgroundTasks, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from markupsafe import Markup
from pydantic import BaseModel, ConfigDict, Field

from hipcare.domain.errors import InvalidInputError
from hipcare.services.accounts import SessionUser, SignInRefusal, SignInRefusedError
from hipcare.services.accounts import sign_out as sign_out_use_case
from hipcare.services.family.reminders import smtp_sender
from hipcare.services.passwords import (
    change_password,
    open_password_link,
    password_reset_email,
    request_password_reset,
    set_password_from_link,
)
from hipcare.services.ports.accounts import TokenPurpose
from hipcare.services.second_factor import (
    complete_sign_in,
    confirm_enrolment,
    pending_enrolment,
    recovery_codes_left,
    second_factor_required,
    start_enrolment,
)
from hipcare.web.auth import CSRF_FIELD, api_user, page_user, page_user_with_form
from hipcare.web.context import (
    SECOND_FACTOR_COOKIE,
    SESSION_COOKIE,
    SIGN_IN_COOKIE,
    Context,
    WebContext,
    web_context,
)
from hipcare.web.models import API_ERRORS
from hipcare.web.rendering import page, set_session_cookie, user_id
from hipcare.web.rendering.second_factor import qr_code_svg

__all__ = ["api_router", "pages_router"]

_log = logging.getLogger("hipcare.web")

pages_router = APIRouter(include_in_schema=False)
api_router = APIRouter(prefix="/api", tags=["api"], responses=API_ERRORS)

PageUser = Annotated[SessionUser, Depends(page_user)]
FormUser = Annotated[SessionUser, Depends(page_user_with_form)]
ApiUser = Annotated[SessionUser, Depends(api_user)]

_RESET_ANSWER = (
    "If a hipcare account has this email address, we have sent it a link to set a new "
    "password. The link works once, for 30 minutes. Check your inbox and spam folder."
)
_FORM_COOKIE_PATHS = ("/sign-in", "/password-reset", "/set-password")


def _safe_target(target: str | None) -> str:
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/"
    return target


def _anonymous_form(
    request: Request,
    template: str,
    values: dict[str, Any],
    *,
    cookie_path: str,
    status: int = 200,
) -> HTMLResponse:
    """A page with a form for someone not signed in: its CSRF token is double-submitted
    (a cookie on ``cookie_path`` and a hidden field)."""
    token = secrets.token_urlsafe(32)
    response = page(request, template, {**values, "form_token": token}, status=status)
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=web_context(request).settings.secure_cookies,
        path=cookie_path,
    )
    return response


def _form_token_matches(request: Request, form: Any) -> bool:
    presented = str(form.get(CSRF_FIELD, ""))
    expected = request.cookies.get(SIGN_IN_COOKIE, "")
    return bool(expected) and hmac.compare_digest(presented.encode(), expected.encode())


# --- the code step of a sign-in --------------------------------------------------------------


def _code_form(
    request: Request,
    target: str,
    *,
    message: str | None = None,
    expired: bool = False,
    status: int = 200,
) -> HTMLResponse:
    return _anonymous_form(
        request,
        "account/second_factor_step.html",
        {"next": target, "message": message, "expired": expired},
        cookie_path="/sign-in",
        status=status,
    )


@pages_router.get("/sign-in/second-factor")
async def second_factor_step(request: Request, next: str = "/") -> Response:
    if not request.cookies.get(SECOND_FACTOR_COOKIE):
        return RedirectResponse("/sign-in", status_code=303)
    return _code_form(request, _safe_target(next))


@pages_router.post("/sign-in/second-factor")
async def second_factor_step_done(request: Request, context: Context) -> Response:
    form = await request.form()
    target = _safe_target(str(form.get("next", "/")))
    if not _form_token_matches(request, form):
        return _code_form(
            request,
            target,
            message="This form had expired. Please type the code again.",
            status=400,
        )
    try:
        signed = await run_in_threadpool(
            complete_sign_in,
            context.unit_of_work(),
            request.cookies.get(SECOND_FACTOR_COOKIE),
            str(form.get("code", ""))[:64],
            now=context.now(),
        )
    except InvalidInputError as error:
        return _code_form(request, target, message=error.problem, status=422)
    except SignInRefusedError as refused:
        expired = refused.reason is SignInRefusal.SIGN_IN_EXPIRED
        return _code_form(request, target, message=refused.message, expired=expired, status=401)
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, signed.token, context)
    response.delete_cookie(SECOND_FACTOR_COOKIE, path="/sign-in")
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


# --- my account: the password and the second factor ----------------------------------------


def _account_page(
    request: Request,
    context: Context,
    user: SessionUser,
    *,
    message: str | None = None,
    errors: dict[str, str] | None = None,
    status: int = 200,
) -> HTMLResponse:
    codes_left = (
        recovery_codes_left(context.unit_of_work(), user_id(user)) if user.user.second_factor else 0
    )
    return page(
        request,
        "account/account.html",
        {
            "message": message,
            "errors": errors or {},
            "codes_left": codes_left,
            "second_factor_required": second_factor_required(user.user)
            and context.settings.admin_second_factor_required,
        },
        user=user,
        status=status,
    )


@pages_router.get("/account")
async def account(request: Request, user: PageUser, context: Context) -> Response:
    return _account_page(request, context, user)


@pages_router.post("/account/password")
async def account_password(request: Request, user: FormUser, context: Context) -> Response:
    form = await request.form()
    new_password = str(form.get("new_password", ""))[:1024]
    if new_password != str(form.get("new_password_again", ""))[:1024]:
        return _account_page(
            request,
            context,
            user,
            errors={"new_password_again": "The two new passwords are not the same."},
            status=422,
        )
    try:
        ended = await run_in_threadpool(
            change_password,
            context.unit_of_work(),
            user_id(user),
            str(form.get("current_password", ""))[:1024],
            new_password,
            keep_token_digest=user.token_digest,
            now=context.now(),
        )
    except InvalidInputError as error:
        return _account_page(
            request, context, user, errors={error.field: error.problem}, status=422
        )
    signed_out = f" You were signed out on {ended} other device(s)." if ended else ""
    return _account_page(request, context, user, message=f"Your password is changed.{signed_out}")


def _enrolment_page(
    request: Request,
    context: WebContext,
    user: SessionUser,
    *,
    codes: list[str] | None = None,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    pending = (
        None
        if user.user.second_factor
        else pending_enrolment(context.unit_of_work(), user_id(user))
    )
    values: dict[str, Any] = {
        "enrolled": user.user.second_factor or codes is not None,
        "recovery_codes": codes,
        "pending": pending,
        "qr_code": Markup(qr_code_svg(pending.uri)) if pending is not None else None,  # noqa: S704 -- segno's own SVG, no user text
        "error": error,
        "required": second_factor_required(user.user)
        and context.settings.admin_second_factor_required,
    }
    return page(request, "account/second_factor.html", values, user=user, status=status)


@pages_router.get("/account/second-factor")
async def second_factor(request: Request, user: PageUser, context: Context) -> Response:
    return _enrolment_page(request, context, user)


@pages_router.post("/account/second-factor/start")
async def second_factor_start(request: Request, user: FormUser, context: Context) -> Response:
    start_enrolment(context.unit_of_work(), user_id(user), now=context.now())
    return RedirectResponse("/account/second-factor", status_code=303)


@pages_router.post("/account/second-factor/confirm")
async def second_factor_confirm(request: Request, user: FormUser, context: Context) -> Response:
    form = await request.form()
    try:
        codes = confirm_enrolment(
            context.unit_of_work(), user_id(user), str(form.get("code", ""))[:64], now=context.now()
        )
    except InvalidInputError as error:
        return _enrolment_page(request, context, user, error=error.problem, status=422)
    return _enrolment_page(request, context, user, codes=codes)


# --- password reset and the links that set a password ---------------------------------------


def _send_reset(context: WebContext, email: str) -> None:
    """After the answer: make the token and email the link (or nothing, for an address no
    account has). Runs after the response, so every request is answered alike."""
    requested = request_password_reset(context.unit_of_work(), email, now=context.now())
    if requested is None:
        return
    smtp = context.smtp
    if smtp is None or not smtp.public_url:
        _log.warning("password reset: not emailed (HIPCARE_SMTP_HOST or HIPCARE_PUBLIC_URL unset)")
        return
    link = f"{smtp.public_url}/set-password/{requested.token}"
    try:
        smtp_sender(smtp)(password_reset_email(requested, link, smtp.sender))
    except (OSError, smtplib.SMTPException) as error:
        _log.warning("password reset: email not sent (%s)", type(error).__name__)


@pages_router.get("/password-reset")
async def password_reset(request: Request) -> Response:
    return _anonymous_form(
        request, "account/password_reset.html", {"answer": None}, cookie_path="/password-reset"
    )


@pages_router.post("/password-reset")
async def password_reset_asked(
    request: Request, context: Context, background: BackgroundTasks
) -> Response:
    form = await request.form()
    if not _form_token_matches(request, form):
        return _anonymous_form(
            request,
            "account/password_reset.html",
            {"answer": None, "message": "This form had expired. Please type your email again."},
            cookie_path="/password-reset",
            status=400,
        )
    background.add_task(_send_reset, context, str(form.get("email", ""))[:320])
    return page(request, "account/password_reset.html", {"answer": _RESET_ANSWER})


class PasswordResetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    email: str = Field(max_length=320)


class PasswordResetOut(BaseModel):
    message: str


@api_router.post("/password-reset", status_code=202)
async def api_password_reset(
    body: PasswordResetIn, context: Context, background: BackgroundTasks
) -> PasswordResetOut:
    """Ask for a password reset link: the same answer whether or not an account has the
    address; the link (30 minutes, single use) is emailed after the answer."""
    background.add_task(_send_reset, context, body.email)
    return PasswordResetOut(message=_RESET_ANSWER)


def _set_password_form(
    request: Request,
    context: WebContext,
    token: str,
    *,
    error: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    link = open_password_link(context.unit_of_work(), token, now=context.now())
    return _anonymous_form(
        request,
        "account/set_password.html",
        {
            "token": token,
            "valid": link is not None,
            "invitation": link is not None and link.purpose is TokenPurpose.STAFF_INVITATION,
            "email": None if link is None else link.user.email,
            "error": error,
            "done": False,
        },
        cookie_path="/set-password",
        status=status if link is not None else 410,
    )


@pages_router.get("/set-password/{token}")
async def set_password(request: Request, token: str, context: Context) -> Response:
    return _set_password_form(request, context, token[:128])


@pages_router.post("/set-password/{token}")
async def set_password_done(request: Request, token: str, context: Context) -> Response:
    token = token[:128]
    form = await request.form()
    if not _form_token_matches(request, form):
        return _set_password_form(
            request, context, token, error="This form had expired. Please try again.", status=400
        )
    new_password = str(form.get("new_password", ""))[:1024]
    if new_password != str(form.get("new_password_again", ""))[:1024]:
        return _set_password_form(
            request, context, token, error="The two passwords are not the same.", status=422
        )
    try:
        await run_in_threadpool(
            set_password_from_link, context.unit_of_work(), token, new_password, now=context.now()
        )
    except InvalidInputError as error:
        return _set_password_form(request, context, token, error=error.problem, status=422)
    response = page(
        request, "account/set_password.html", {"done": True, "valid": True, "token": token}
    )
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


class PasswordChangeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    current_password: str = Field(max_length=1024)
    new_password: str = Field(max_length=1024, description="at least 10 characters")


@api_router.post("/me/password", status_code=204)
async def api_change_password(body: PasswordChangeIn, user: ApiUser, context: Context) -> Response:
    """Change the password (the current one first); the account's other sessions end."""
    await run_in_threadpool(
        change_password,
        context.unit_of_work(),
        user_id(user),
        body.current_password,
        body.new_password,
        keep_token_digest=user.token_digest,
        now=context.now(),
    )
    return Response(status_code=204)
