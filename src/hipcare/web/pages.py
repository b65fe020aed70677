"""Server-rendered pages for clinicians: sign-in, home, children, a child's journey, audit.

Forms work without JavaScript. A form with a mistake comes back with what was typed and a
message next to the field at fault; nothing typed is lost.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote, urlsplit

from fastapi import APIRouter, Depends, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from hipcare.content.i18n import languages
from hipcare.content.sites import load_sites
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Role
from hipcare.services.accounts import (
    SessionUser,
    SignInRefusal,
    SignInRefusedError,
    signed_in_user,
    site_audit_log,
)
from hipcare.services.accounts import sign_in as sign_in_use_case
from hipcare.services.accounts import sign_out as sign_out_use_case
from hipcare.services.journey import staff_sites
from hipcare.services.records import MINIMUM_SEARCH_LENGTH, find_children, register_child
from hipcare.web.api import set_session_cookie
from hipcare.web.auth import (
    CSRF_FIELD,
    page_user,
    page_user_with_form,
    staff_page_user,
    staff_page_user_with_form,
)
from hipcare.web.context import SESSION_COOKIE, SIGN_IN_COOKIE, WebContext, web_context

__all__ = ["error_page", "router", "sign_in_url"]

router = APIRouter(include_in_schema=False)

User = Annotated[SessionUser, Depends(staff_page_user)]
FormUser = Annotated[SessionUser, Depends(staff_page_user_with_form)]
AnyUser = Annotated[SessionUser, Depends(page_user)]
"""Any signed-in account (the home page sends a family account on to /family)."""
AnyFormUser = Annotated[SessionUser, Depends(page_user_with_form)]
"""Signing out is for everyone signed in, the family side's accounts too."""
Context = Annotated[WebContext, Depends(web_context)]

GMFCS_CHOICES = ("I", "II", "III", "IV", "V")
CONTACT_SLOTS = 2
"""Family contacts the registration form offers (more can be added through the API)."""


def sign_in_url(target: str) -> str:
    return "/sign-in?next=" + quote(target, safe="/")


def _safe_target(target: str | None) -> str:
    """Only a path on this site (never another host) may follow sign-in."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or "\\" in target:
        return "/"
    return target


def _page(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    user: SessionUser | None = None,
    status: int = 200,
) -> HTMLResponse:
    context = web_context(request)
    page_values = {
        "request_path": request.url.path,
        "user": None if user is None else user.user,
        "csrf_token": None if user is None else user.csrf_token,
        "is_administrator": user is not None and user.user.role is Role.SITE_ADMINISTRATOR,
        **values,
    }
    return HTMLResponse(context.render(template, page_values), status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A page that explains a refusal in words (never a traceback)."""
    context = web_context(request)
    user = signed_in_user(
        context.unit_of_work(),
        request.cookies.get(SESSION_COOKIE),
        now=context.now(),
        policy=context.policy,
    )
    return _page(
        request, "error.html", {"title": title, "message": message}, user=user, status=status
    )


def _user_id(user: SessionUser) -> int:
    if user.user.id is None:  # pragma: no cover -- a signed-in user is stored
        raise ValueError("a signed-in user has an id")
    return user.user.id


# --- sign-in -----------------------------------------------------------------------------------


def _sign_in_form(
    request: Request,
    *,
    email: str = "",
    target: str = "/",
    message: str | None = None,
    status: int = 200,
) -> HTMLResponse:
    token = secrets.token_urlsafe(32)
    response = _page(
        request,
        "sign_in.html",
        {"email": email, "next": target, "message": message, "form_token": token},
        status=status,
    )
    context = web_context(request)
    response.set_cookie(
        SIGN_IN_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=context.settings.secure_cookies,
        path="/sign-in",
    )
    return response


@router.get("/sign-in")
async def sign_in_page(request: Request, context: Context, next: str = "/") -> Response:
    if signed_in_user(
        context.unit_of_work(),
        request.cookies.get(SESSION_COOKIE),
        now=context.now(),
        policy=context.policy,
    ):
        return RedirectResponse(_safe_target(next), status_code=303)
    return _sign_in_form(request, target=_safe_target(next))


@router.post("/sign-in")
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
            request.client.host if request.client else "unknown",
            now=context.now(),
            policy=context.policy,
        )
    except SignInRefusedError as refused:
        status = 401 if refused.reason is SignInRefusal.WRONG_EMAIL_OR_PASSWORD else 429
        return _sign_in_form(
            request, email=email, target=target, message=refused.message, status=status
        )
    # A session the browser held before (another user's, or an old one) ends here.
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse(target, status_code=303)
    set_session_cookie(response, signed.token, context)
    response.delete_cookie(SIGN_IN_COOKIE, path="/sign-in")
    return response


@router.post("/sign-out")
async def sign_out(request: Request, user: AnyFormUser, context: Context) -> Response:
    sign_out_use_case(context.unit_of_work(), request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# --- home --------------------------------------------------------------------------------------


@router.get("/")
async def home(request: Request, user: AnyUser, context: Context) -> Response:
    if user.user.role is Role.FAMILY:  # a family's home is their own child's pages
        return RedirectResponse("/family", status_code=303)
    sites = staff_sites(context.unit_of_work(), _user_id(user))
    details = {site.id: site for site in load_sites()}
    return _page(
        request,
        "home.html",
        {"sites": [(site, details.get(site.id)) for site in sites]},
        user=user,
    )


# --- children ----------------------------------------------------------------------------------


@router.get("/children")
async def search(request: Request, user: User, context: Context, name: str = "") -> Response:
    found = None
    error = None
    if name.strip():
        try:
            found = find_children(context.unit_of_work(), _user_id(user), name, now=context.now())
        except InvalidInputError as problem:
            error = problem.problem
    return _page(
        request,
        "child/search.html",
        {"name": name, "found": found, "error": error, "minimum": MINIMUM_SEARCH_LENGTH},
        user=user,
        status=422 if error else 200,
    )


def _register_values(
    context: WebContext, user: SessionUser, form: Mapping[str, str], errors: Mapping[str, str]
) -> dict[str, Any]:
    sites = staff_sites(context.unit_of_work(), _user_id(user))
    return {
        "form": form,
        "errors": errors,
        "sites": sites,
        "languages": languages(),
        "gmfcs_choices": GMFCS_CHOICES,
        "contact_slots": range(1, CONTACT_SLOTS + 1),
        "today": context.today().isoformat(),
    }


@router.get("/children/new")
async def register_form(request: Request, user: User, context: Context, site: str = "") -> Response:
    form = {"site": site} if site else {}
    return _page(
        request, "child/register.html", _register_values(context, user, form, {}), user=user
    )


_FORM_FIELDS = (
    "given_name",
    "family_name",
    "date_of_birth",
    "site",
    "preferred_language",
    "gmfcs",
    "gestation_weeks",
)
_CONTACT_FIELDS = ("name", "relationship", "phone", "email")


def _registration_document(form: Mapping[str, str]) -> dict[str, Any]:
    """The registration form as the JSON-shaped document ``register_child`` reads."""
    document: dict[str, Any] = {}
    for key in ("given_name", "family_name", "date_of_birth", "site", "preferred_language"):
        if form.get(key, "").strip():
            document[key] = form[key]
    document["gmfcs"] = form.get("gmfcs", "").strip() or "unknown"
    weeks = form.get("gestation_weeks", "").strip()
    if weeks:
        try:
            document["gestation_weeks"] = float(weeks)
        except ValueError:
            raise InvalidInputError(
                "gestation_weeks", f"{weeks!r} is not a number of weeks (such as 38 or 32.5)"
            ) from None
    contacts = []
    for slot in range(1, CONTACT_SLOTS + 1):
        contact = {
            key: form.get(f"contact_{slot}_{key}", "").strip() or None for key in _CONTACT_FIELDS
        }
        if any(contact.values()):
            contacts.append(contact)
    document["contacts"] = contacts
    return document


def _form_field(field: str) -> str:
    """The form control a service's field name points at ("contacts[0].phone" -> its input)."""
    if field.startswith("contacts["):
        index, _, rest = field.removeprefix("contacts[").partition("]")
        name = rest.removeprefix(".") or "name"
        if index.isascii() and index.isdigit():
            return f"contact_{int(index) + 1}_{name}"
    return field if field in _FORM_FIELDS else "given_name"


@router.post("/children")
async def register(request: Request, user: FormUser, context: Context) -> Response:
    raw = await request.form()
    form = {key: value for key, value in raw.items() if isinstance(value, str)}
    now = context.now()
    try:
        child = register_child(
            context.unit_of_work(),
            _user_id(user),
            _registration_document(form),
            today=context.today(now),
            now=now,
        )
    except InvalidInputError as error:
        errors = {_form_field(error.field): error.problem}
        return _page(
            request,
            "child/register.html",
            _register_values(context, user, form, errors),
            user=user,
            status=422,
        )
    return RedirectResponse(f"/children/{child.id}", status_code=303)


# --- audit -------------------------------------------------------------------------------------


@router.get("/sites/{site_id}/audit")
async def audit(request: Request, site_id: str, user: User, context: Context) -> Response:
    entries = site_audit_log(context.unit_of_work(), _user_id(user), site_id)
    return _page(request, "audit.html", {"site_id": site_id, "entries": entries}, user=user)
