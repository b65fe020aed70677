"""Who is asking: session cookies, CSRF checks, and the refusals pages and the API turn into.

Pages and API calls use the same session cookie. A page that needs a signed-in user sends
the browser to the sign-in page (303); an API call answers 401 JSON. Every state-changing
request must carry the session's CSRF token: forms in a hidden ``csrf_token`` field, API
calls in the ``X-CSRF-Token`` header.

A site administrator without a TOTP authenticator (``HIPCARE_ADMIN_SECOND_FACTOR=required``,
the default) is sent to set one up (pages: 303 to ``/account/second-factor``; API: 403)
before anything but their own account pages, ``/api/me`` and signing out.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from hipcare.domain.records import Role
from hipcare.services.access import PermissionDeniedError
from hipcare.services.accounts import SessionUser, signed_in_user
from hipcare.services.second_factor import second_factor_required
from hipcare.web.context import SESSION_COOKIE, Context, WebContext

__all__ = [
    "CSRF_FIELD",
    "CSRF_HEADER",
    "ENROLMENT_PATH",
    "CsrfRefusedError",
    "SecondFactorEnrolmentRequiredError",
    "SignInRequiredError",
    "api_user",
    "page_user",
    "page_user_with_form",
    "refuse_until_enrolled",
    "staff_api_user",
    "staff_page_user",
    "staff_page_user_with_form",
]

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_STAFF_ROLES = frozenset({Role.CLINICIAN, Role.SITE_ADMINISTRATOR})


class SignInRequiredError(Exception):
    """No valid session: pages redirect to sign-in, the API answers 401."""


class CsrfRefusedError(Exception):
    """A state-changing request without the session's CSRF token: 403."""


class SecondFactorEnrolmentRequiredError(Exception):
    """A site administrator without TOTP asked for something else than setting it up."""


ENROLMENT_PATH = "/account/second-factor"
_OPEN_BEFORE_ENROLMENT = ("/account/", "/sign-out", "/api/sign-out", "/api/me")


def refuse_until_enrolled(request: Request, context: WebContext, user: SessionUser) -> None:
    """Raise :class:`SecondFactorEnrolmentRequiredError` for a site administrator without an
    authenticator asking for anything but their account pages (when the setting requires)."""
    if (
        context.settings.admin_second_factor_required
        and second_factor_required(user.user)
        and not user.user.second_factor
        and not request.url.path.startswith(_OPEN_BEFORE_ENROLMENT)
    ):
        raise SecondFactorEnrolmentRequiredError


def _session_user(request: Request, context: WebContext) -> SessionUser:
    user = signed_in_user(
        context.unit_of_work(),
        request.cookies.get(SESSION_COOKIE),
        now=context.now(),
        policy=context.policy,
    )
    if user is None:
        raise SignInRequiredError
    refuse_until_enrolled(request, context, user)
    return user


async def page_user(request: Request, context: Context) -> SessionUser:
    """The signed-in user of a page that only reads (GET)."""
    return _session_user(request, context)


async def page_user_with_form(request: Request, context: Context) -> SessionUser:
    """The signed-in user of a form post, whose hidden CSRF token must match the session's."""
    user = _session_user(request, context)
    form = await request.form()
    presented = form.get(CSRF_FIELD)
    if not user.csrf_matches(presented if isinstance(presented, str) else None):
        raise CsrfRefusedError
    return user


async def api_user(request: Request, context: Context) -> SessionUser:
    """The signed-in user of an API call; a changing call must send ``X-CSRF-Token``."""
    user = _session_user(request, context)
    if request.method not in _SAFE_METHODS and not user.csrf_matches(
        request.headers.get(CSRF_HEADER)
    ):
        raise CsrfRefusedError
    return user


def _staff(user: SessionUser) -> SessionUser:
    """Only the care team uses the clinician side; a family account is refused (403)."""
    if user.user.role not in _STAFF_ROLES:
        raise PermissionDeniedError("role", "this part of hipcare is for the care team")
    return user


async def staff_page_user(user: Annotated[SessionUser, Depends(page_user)]) -> SessionUser:
    """:func:`page_user`, for the care team only."""
    return _staff(user)


async def staff_page_user_with_form(
    user: Annotated[SessionUser, Depends(page_user_with_form)],
) -> SessionUser:
    """:func:`page_user_with_form`, for the care team only."""
    return _staff(user)


async def staff_api_user(user: Annotated[SessionUser, Depends(api_user)]) -> SessionUser:
    """:func:`api_user`, for the care team only."""
    return _staff(user)
