"""What every request handler of the web app is given: storage, the clock, templates, policy,
and the shipped content (rules, pathway, sites, translations; read once by ``create_app``).

One :class:`WebContext` is built by :func:`hipcare.web.create_app` and kept on
``app.state``. It holds configuration and connections only — nothing about a user or a
child that is trusted without the database — so any number of app processes on one database
behave as one. Its ``page_cache`` keeps rendered page bodies, but a body is served only
under the versions the database gives in the same request (ADR 10).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Request
from jinja2 import Environment
from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from hipcare.bootstrap import LoadedContent
from hipcare.interop.oidc import OpenIdClient
from hipcare.services.accounts import SessionPolicy
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports.pacs import Pacs
from hipcare.settings import FALLBACK_PUBLIC_URL, Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.page_cache import PageCache

__all__ = [
    "SECOND_FACTOR_COOKIE",
    "SESSION_COOKIE",
    "SIGN_IN_COOKIE",
    "Context",
    "WebContext",
    "context_dependency",
    "web_context",
]

SESSION_COOKIE = "hipcare_session"
SIGN_IN_COOKIE = "hipcare_sign_in"
"""Holds the sign-in form's CSRF token before there is a session (a double-submit cookie)."""
SECOND_FACTOR_COOKIE = "hipcare_second_factor"
"""Carries a sign-in from a right password to the TOTP code step (a single-use token)."""


@dataclass(frozen=True)
class WebContext:
    """Configuration and connections shared by every request (no per-user state)."""

    settings: Settings
    engine: Engine
    session_factory: sessionmaker[Session]
    templates: Environment
    policy: SessionPolicy
    clock: Callable[[], datetime]
    page_cache: PageCache
    content: LoadedContent
    smtp: SmtpSettings | None = None
    """Where invitation emails go (``HIPCARE_SMTP_*``); None: shown to copy, not emailed."""
    openid: OpenIdClient | None = None
    """The hospital's identity provider for staff single sign-on (``HIPCARE_OIDC_*``)."""
    pacs: Pacs | None = None
    """The hospital's PACS over DICOMweb (``HIPCARE_DICOMWEB_URL``); None: not configured."""

    def public_url(self) -> str:
        """Where links point (``HIPCARE_PUBLIC_URL``, no trailing slash); never built from
        a request's ``Host`` header, which the sender chooses."""
        if self.settings.public_url:
            return self.settings.public_url
        if self.smtp is not None and self.smtp.public_url:
            return self.smtp.public_url
        return FALLBACK_PUBLIC_URL

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        """A fresh unit of work for one use case of one request."""
        return SqlAlchemyUnitOfWork(self.session_factory)

    def now(self) -> datetime:
        return self.clock()

    def today(self, now: datetime | None = None) -> date:
        """The clinic's calendar day (in ``HIPCARE_TIMEZONE``), for what belongs to no one
        site; a page about one site or one child takes :meth:`site_today`."""
        return (now or self.clock()).astimezone(ZoneInfo(self.settings.timezone)).date()

    def site_timezone(self, site_id: str | None) -> str:
        """The site's time zone (``sites.toml``); ``HIPCARE_TIMEZONE`` for an unknown site."""
        site = None if site_id is None else self.content.sites_by_id.get(site_id)
        return self.settings.timezone if site is None else site.timezone

    def site_today(self, site_id: str | None, now: datetime | None = None) -> date:
        """The site's calendar day, in its own time zone (``sites.toml``; ``HIPCARE_TIMEZONE``
        for an unknown site): what "due today" and "overdue" are judged against for its
        children, so a site in another zone turns the day at its own midnight."""
        zone = ZoneInfo(self.site_timezone(site_id))
        return (now or self.clock()).astimezone(zone).date()

    def render(self, template: str, values: Mapping[str, Any]) -> str:
        return self.templates.get_template(template).render(**values)


def web_context(request: Request) -> WebContext:
    """The app's :class:`WebContext`."""
    context: WebContext = request.app.state.hipcare
    return context


async def context_dependency(request: Request) -> WebContext:
    """:func:`web_context` as a FastAPI dependency. ``async`` on purpose: FastAPI runs a
    plain ``def`` dependency on its threadpool, a thread hop per request for one attribute
    read."""
    return web_context(request)


Context = Annotated[WebContext, Depends(context_dependency)]
"""The app's context, as a route or dependency parameter's type."""
