"""The FastAPI application: :func:`create_app` wires settings, storage, templates and routes.

Routes are ``async def`` and call the (synchronous, short) use cases directly: on this
stack that measured more than twice the throughput of ``def`` routes run in the thread
pool (ADR 7). The one slow step, checking an argon2 password, runs in the thread pool.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager, suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import (
    http_exception_handler,
    request_validation_exception_handler,
)
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hipcare import __version__
from hipcare.bootstrap import LoadedContent, load_content
from hipcare.domain.errors import InvalidInputError, OutsideRuleError
from hipcare.interop.dicomweb import DicomWebPacs
from hipcare.interop.oidc import OpenIdClient
from hipcare.services.access import ConflictError, PermissionDeniedError
from hipcare.services.accounts import SessionPolicy
from hipcare.services.family.reminders import SmtpSettings
from hipcare.services.ports.pacs import Pacs
from hipcare.settings import Settings, public_host
from hipcare.storage import create_database_engine, create_session_factory
from hipcare.storage.engine import WalCheckpointer
from hipcare.web.alert_sender import alert_sender_for
from hipcare.web.auth import (
    ENROLMENT_PATH,
    CsrfRefusedError,
    SecondFactorEnrolmentRequiredError,
    SignInRequiredError,
)
from hipcare.web.context import WebContext, web_context
from hipcare.web.models import Health, Problem
from hipcare.web.page_cache import PageCache
from hipcare.web.rendering import error_page, sign_in_url, template_environment
from hipcare.web.routes import (
    account,
    child_page,
    children,
    dashboard,
    family,
    family_api,
    family_diary,
    family_today,
    fhir,
    invitations,
    messages,
    monitoring,
    operations,
    outcomes,
    pacs,
    radiographs,
    referrals,
    sign_in,
    sites,
    sso,
    staff,
    visits,
    worklist,
)

__all__ = ["create_app"]

_log = logging.getLogger("hipcare.web")

_SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        b"frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]


_API_DOCS_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>hipcare API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/static/swagger-ui/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="/static/swagger-ui/swagger-ui-bundle.js"></script>
<script src="/static/swagger-ui/docs.js"></script>
</body>
</html>
"""

_LOCAL_HOSTS = ("localhost", "127.0.0.1", "[::1]")

_TOKEN_PATHS = ("/invite/", "/calendar/", "/set-password/")
"""Paths whose next segment is a bearer token (an invitation, calendar or password link)."""


def _loggable_path(scope: Scope) -> str:
    """The request's path for the log, without a bearer token: a route whose path holds a
    ``{token}`` is logged as its template (``/calendar/{token}.ics``), and an unmatched path
    under a token prefix is cut after the prefix. The token alone reads a child's plan."""
    template = getattr(scope.get("route"), "path", None)
    if isinstance(template, str) and "{token}" in template:
        return template
    path: str = scope["path"]
    for prefix in _TOKEN_PATHS:
        if path.startswith(prefix):
            return prefix + "{token}"
    return path


_HSTS = (b"strict-transport-security", b"max-age=31536000")
"""One year (OWASP HTTP Strict Transport Security Cheat Sheet); sent when cookies are Secure."""


class _SecurityHeaders:
    """Adds security headers (with ``hsts``, Strict-Transport-Security) and
    ``Cache-Control: no-store`` (pages hold patient records), and logs each request as
    method, path and status: never the query string, which can hold a searched name."""

    def __init__(self, app: ASGIApp, hsts: bool = False) -> None:
        self.app = app
        self.headers = [*_SECURITY_HEADERS, _HSTS] if hsts else list(_SECURITY_HEADERS)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.extend(self.headers)
                # A response that set its own caching (a content-addressed radiograph
                # preview) keeps it; everything else holds patient records: no-store.
                if not static and not any(name == b"cache-control" for name, _ in headers):
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)
        path = _loggable_path(scope)
        duration_ms = round((time.perf_counter() - started) * 1000, 1)
        _log.info(
            "%s %s %d %.1fms",
            scope["method"],
            path,
            status,
            duration_ms,
            extra={
                "method": scope["method"],
                "path": path,
                "status": status,
                "duration_ms": duration_ms,
            },
        )


def _is_api(request: Request) -> bool:
    return request.url.path.startswith(("/api/", "/fhir/"))


def _pacs(settings: Settings) -> Pacs | None:
    """The DICOMweb adapter for ``HIPCARE_DICOMWEB_URL``, or None when no PACS is set."""
    found = settings.dicomweb
    if found is None:
        return None
    return DicomWebPacs(
        found.url,
        username=found.username,
        password=found.password,
        token=found.token,
        timeout_seconds=found.timeout_seconds,
    )


def create_app(
    settings: Settings,
    *,
    clock: Callable[[], datetime] | None = None,
    engine: Engine | None = None,
    policy: SessionPolicy | None = None,
    content: LoadedContent | None = None,
    smtp: SmtpSettings | None = None,
) -> FastAPI:
    """The hipcare web app on the database ``settings.database_url`` names.

    The database must already be at the newest migration (``hipcare serve`` runs them).
    ``clock`` (default: the system clock in UTC) lets tests move time; ``engine`` lets a
    caller share one; ``policy`` replaces the session and sign-in limits that ``settings``
    give; ``content`` (default: :func:`hipcare.bootstrap.load_content`, the shipped content)
    is handed to the routes and through them to the services; ``smtp``
    (:func:`hipcare.services.family.reminders.web_smtp_settings`) is where invitation emails
    go (None: the link is only shown). The app keeps no user state in its process.

    On an engine of its own over a SQLite file, the app runs SQLite's WAL checkpoints on a
    background thread (:class:`hipcare.storage.engine.WalCheckpointer`), so no request
    waits for the disk sync a checkpoint needs; the thread stops when the server shuts down.
    """
    checkpointer: WalCheckpointer | None = None
    if engine is None:
        engine = create_database_engine(settings.database_url, background_checkpoints=True)
        checkpointer = WalCheckpointer(engine)
        checkpointer.start()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        sender = alert_sender_for(
            settings,
            context.session_factory,
            context.clock,
            sites=context.content.sites_by_id,
            escalation=context.content.alert_escalation,
            translate=context.content.words,
        )
        task = None if sender is None else asyncio.create_task(sender.run())
        yield
        if task is not None:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
        if checkpointer is not None:
            checkpointer.stop()

    content = content or load_content()
    context = WebContext(
        settings=settings,
        engine=engine,
        session_factory=create_session_factory(engine),
        templates=template_environment(content.surveillance_rules),
        policy=policy
        or SessionPolicy(
            idle=timedelta(minutes=settings.session_idle_minutes),
            absolute=timedelta(hours=settings.session_max_hours),
        ),
        clock=clock or (lambda: datetime.now(UTC)),
        page_cache=PageCache(settings.page_cache_entries),
        content=content,
        smtp=smtp,
        openid=None
        if settings.oidc is None
        else OpenIdClient(
            settings.oidc.issuer,
            settings.oidc.client_id,
            settings.oidc.client_secret,
            group_claim=settings.oidc.group_claim,
        ),
        pacs=_pacs(settings),
    )
    app = FastAPI(
        title="hipcare",
        version=__version__,
        summary="Hip surveillance and the VDRO care pathway: the clinician side's JSON API.",
        description=(
            "Sign in with `POST /api/sign-in` (a session cookie is set); send the returned "
            "`csrf_token` in the `X-CSRF-Token` header with every POST. hipcare informs "
            "clinicians; it does not decide."
        ),
        docs_url=None,  # served below from our own files, under the CSP
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.hipcare = context
    app.state.wal_checkpointer = checkpointer
    app.add_middleware(_SecurityHeaders, hsts=settings.secure_cookies)
    host = public_host(settings)
    if host is not None:
        # Added last, so it runs first: a request naming another host is refused (400)
        # before anything reads it. The server's own names stay allowed for local checks.
        allowed = sorted({host, *_LOCAL_HOSTS})
        app.add_middleware(TrustedHostMiddleware, allowed_hosts=allowed, www_redirect=False)
    app.mount("/static", StaticFiles(packages=[("hipcare.web", "static")]), name="static")
    _add_error_handlers(app)

    @app.get("/api/docs", include_in_schema=False)
    async def api_docs() -> Response:
        """Swagger UI on ``/openapi.json`` from self-hosted files (swagger-ui-dist 5.36.0 in
        ``static/swagger-ui/``): FastAPI's own page loads them from a CDN and starts them with
        an inline script, both refused by the CSP."""
        return HTMLResponse(_API_DOCS_PAGE)

    @app.get(
        "/healthz",
        response_model=Health,
        responses={503: {"model": Health, "description": "the database is unreachable"}},
        tags=["health"],
    )
    async def healthz(request: Request) -> Response:
        """Whether the app and its database answer (no sign-in needed)."""
        context = web_context(request)
        dialect = context.engine.dialect.name
        try:
            with context.engine.connect() as connection:
                connection.execute(text("SELECT 1"))
        except Exception as error:
            _log.warning("health check: database unreachable (%s)", type(error).__name__)
            body = Health(status="unavailable", database="unreachable", dialect=dialect)
            return JSONResponse(body.model_dump(), status_code=503)
        return JSONResponse(Health(status="ok", database="ok", dialect=dialect).model_dump())

    # First: the busiest page is matched before every other route is tried ("{child_id:int}"
    # leaves /children/new to the children routes).
    app.include_router(child_page.router)
    # The family's busiest page likewise (only family routes start with /family).
    app.include_router(family_today.router)
    # The rest in the order they had before they were split into feature modules (so the
    # JSON API's paths keep their order in /openapi.json).
    for module in (sign_in, children, sites):
        app.include_router(module.api_router)
    app.include_router(fhir.router)
    for module in (sign_in, sites, children):
        app.include_router(module.pages_router)
    app.include_router(sso.router)
    for module in (visits, worklist, operations, dashboard):
        app.include_router(module.api_router)
    for module in (visits, worklist, operations, dashboard):
        app.include_router(module.pages_router)
    app.include_router(family_api.api_router)
    app.include_router(invitations.api_router)
    app.include_router(messages.api_router)
    for module in (family, family_diary, invitations, messages):
        app.include_router(module.pages_router)
    app.include_router(radiographs.api_router)
    app.include_router(radiographs.pages_router)
    app.include_router(pacs.pages_router)
    app.include_router(outcomes.api_router)
    app.include_router(outcomes.pages_router)
    monitoring.install(app)
    app.include_router(referrals.api_router)
    app.include_router(referrals.pages_router)
    for module in (account, staff):
        app.include_router(module.api_router)
        app.include_router(module.pages_router)
    return app


def _problem(status: int, field: str, problem: str) -> JSONResponse:
    return JSONResponse(Problem(field=field, problem=problem).model_dump(), status_code=status)


def _add_error_handlers(app: FastAPI) -> None:
    async def sign_in_required(request: Request, error: Exception) -> Response:
        if _is_api(request):
            return _problem(401, "session", "sign in first (POST /api/sign-in)")
        target = request.url.path
        if request.url.query:
            target += "?" + request.url.query
        return RedirectResponse(sign_in_url(target), status_code=303)

    async def enrolment_required(request: Request, error: Exception) -> Response:
        if _is_api(request):
            return _problem(
                403, "second_factor", f"a site administrator sets up TOTP first ({ENROLMENT_PATH})"
            )
        return RedirectResponse(ENROLMENT_PATH, status_code=303)

    async def csrf_refused(request: Request, error: Exception) -> Response:
        if _is_api(request):
            return _problem(403, "X-CSRF-Token", "missing or wrong; send the session's token")
        return error_page(
            request,
            403,
            "This form has expired",
            "Go back, reload the page and try again. Nothing was changed.",
        )

    async def permission_denied(request: Request, error: Exception) -> Response:
        assert isinstance(error, PermissionDeniedError)  # noqa: S101 -- registered for it
        if _is_api(request):
            return _problem(403, error.field, error.problem)
        return error_page(
            request,
            403,
            "You cannot see this record",
            "It belongs to a site you are not a member of, or your role does not allow it.",
        )

    async def conflict(request: Request, error: Exception) -> Response:
        assert isinstance(error, ConflictError)  # noqa: S101 -- registered for it
        if _is_api(request):
            return _problem(409, error.field, error.problem)
        return error_page(
            request,
            409,
            "Someone else changed this first",
            "Nothing was changed. Reload the page to see what is there now.",
        )

    async def integrity_refused(request: Request, error: Exception) -> Response:
        """A write the database refused (a unique or foreign key, usually two requests at
        once): 409, nothing changed. The error's text is never logged or answered: it holds
        the statement, and without ``hide_parameters`` would hold names and hashes."""
        _log.warning(
            "%s %s refused by the database (%s)",
            request.method,
            _loggable_path(request.scope),
            type(error).__name__,
        )
        if _is_api(request):
            return _problem(
                409, "record", "another change was made at the same moment; nothing was changed"
            )
        return error_page(
            request,
            409,
            "Someone else changed this at the same moment",
            "Nothing was changed. Reload the page and try again.",
        )

    async def invalid_input(request: Request, error: Exception) -> Response:
        assert isinstance(error, InvalidInputError | OutsideRuleError)  # noqa: S101 -- as above
        status = 404 if error.field in ("child_id", "site") else 422
        if _is_api(request):
            return _problem(status, error.field, error.problem)
        if status == 404:
            return error_page(request, 404, "Not found", "There is no such record.")
        return error_page(request, 422, "That did not work", f"{error.field}: {error.problem}")

    async def request_invalid(request: Request, error: Exception) -> Response:
        """A request FastAPI could not parse: under /api a ``Problem`` (as the schema says),
        on a page an error page; /fhir keeps FastAPI's own answer (its schema declares it)."""
        assert isinstance(error, RequestValidationError)  # noqa: S101 -- registered for it
        if request.url.path.startswith("/fhir/"):
            return await request_validation_exception_handler(request, error)
        first = error.errors()[0] if error.errors() else {}
        location = [str(part) for part in first.get("loc", ())]
        field = ".".join(location[1:]) or (location[0] if location else "request")
        problem = str(first.get("msg", "is not valid"))
        if request.url.path.startswith("/api/"):
            return _problem(422, field, problem)
        if location[:1] == ["path"]:
            return error_page(request, 404, "Not found", "There is no such page.")
        return error_page(request, 422, "That did not work", f"{field}: {problem}")

    async def http_error(request: Request, error: Exception) -> Response:
        """Starlette's own refusals (a body that is not JSON, no such route): under /api a
        ``Problem`` as the schema says; elsewhere FastAPI's answer."""
        assert isinstance(error, StarletteHTTPException)  # noqa: S101 -- registered for it
        if not request.url.path.startswith("/api/"):
            return await http_exception_handler(request, error)
        field = "body" if error.status_code == 400 else "path"
        response = _problem(error.status_code, field, str(error.detail))
        response.headers.update(error.headers or {})
        return response

    handlers: dict[type[Exception], Any] = {
        StarletteHTTPException: http_error,
        RequestValidationError: request_invalid,
        SignInRequiredError: sign_in_required,
        CsrfRefusedError: csrf_refused,
        SecondFactorEnrolmentRequiredError: enrolment_required,
        PermissionDeniedError: permission_denied,
        ConflictError: conflict,
        IntegrityError: integrity_refused,
        InvalidInputError: invalid_input,
        OutsideRuleError: invalid_input,
    }
    for kind, handler in handlers.items():
        app.add_exception_handler(kind, handler)
