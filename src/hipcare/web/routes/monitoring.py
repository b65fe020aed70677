"""For the people who run hipcare: ``/readyz`` for a load balancer, ``/metrics`` for Prometheus,
and a request id and latency observation around every request.

- ``/healthz`` (in :mod:`hipcare.web.app`) says the process is alive and reaches its database;
  ``/readyz`` says it should get traffic: the database answers **and** its schema is at the
  newest migration this hipcare ships (503 with a reason otherwise, never patient data).
- ``/metrics`` (Prometheus text format) only for a scraper that sends
  ``Authorization: Bearer <HIPCARE_METRICS_TOKEN>`` or a signed-in site administrator:
  request latency by route template, open alerts, reminder emails not sent and failed.
  Latency is kept per server process (each uvicorn worker counts its own requests); the
  database counts are the same from any worker.
"""

from __future__ import annotations

import hmac
import time
from typing import Literal

from fastapi import APIRouter, FastAPI, Request
from fastapi.responses import JSONResponse, Response
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Gauge, Histogram
from prometheus_client.exposition import generate_latest
from pydantic import BaseModel, Field
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from hipcare.domain.records import Role
from hipcare.services.accounts import signed_in_user
from hipcare.services.family import REMINDER_CLAIM_TIMEOUT
from hipcare.storage.migrate import head_revision
from hipcare.storage.monitoring import operational_counts, readiness
from hipcare.web.context import SESSION_COOKIE, Context, WebContext
from hipcare.web.request_log import REQUEST_ID, request_id_from_header

__all__ = ["Metrics", "ReadinessOut", "install", "router"]

router = APIRouter()

_UNMATCHED = "unmatched"
"""The route label of a request no route matched (so a scan of random paths adds no series)."""


class ReadinessOut(BaseModel):
    status: Literal["ready", "not ready"]
    reason: str | None = Field(description="why not, for an operator; null when ready")


class Metrics:
    """One app's Prometheus registry: request latency, and the database counts set at scrape."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.request_duration = Histogram(
            "hipcare_http_request_duration_seconds",
            "Time from a request's arrival to its response's end, by route template.",
            ("method", "route", "status"),
            registry=self.registry,
        )
        self.open_alerts = Gauge(
            "hipcare_open_alerts", "Alerts not yet acknowledged.", registry=self.registry
        )
        self.reminders_unsent = Gauge(
            "hipcare_reminders_unsent",
            "Reminder emails claimed but not yet sent (the reminder outbox).",
            registry=self.registry,
        )
        self.reminders_failed = Gauge(
            "hipcare_reminders_failed",
            "Unsent reminder emails tried more than once or claimed longer than the claim "
            "timeout ago (a refused or interrupted send; the next run retries them).",
            registry=self.registry,
        )
        self.up_to_date = Gauge(
            "hipcare_ready",
            "1 when the database answers and is at the newest migration, else 0.",
            registry=self.registry,
        )


def _route_template(scope: Scope) -> str:
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else _UNMATCHED


class _RequestObserver:
    """Gives each request an id (``X-Request-ID``, also in every log line it causes) and
    records its latency by route template, never by concrete path (ids stay out of labels)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        header = None
        for name, value in scope["headers"]:
            if name == b"x-request-id":
                header = value.decode("latin-1")
                break
        request_id = request_id_from_header(header)
        token = REQUEST_ID.set(request_id)
        status = 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [
                    *message.get("headers", []),
                    (b"x-request-id", request_id.encode("ascii")),
                ]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            self.metrics.request_duration.labels(
                scope["method"], _route_template(scope), str(status)
            ).observe(time.perf_counter() - started)
            REQUEST_ID.reset(token)


def install(app: FastAPI) -> None:
    """Add /readyz, /metrics and the request observer to the app (call it last: the observer
    then wraps every other middleware, so their log lines carry the request id)."""
    metrics = Metrics()
    app.state.operations_metrics = metrics
    app.state.schema_head = head_revision()
    app.include_router(router)
    app.add_middleware(_RequestObserver, metrics=metrics)


@router.get(
    "/readyz",
    response_model=ReadinessOut,
    responses={503: {"model": ReadinessOut, "description": "not ready, and why"}},
    tags=["health"],
)
async def readyz(request: Request, context: Context) -> Response:
    """Whether this process should get traffic: the database answers and its schema is at
    the newest migration (no sign-in needed; says nothing about any record)."""
    state = readiness(context.engine, request.app.state.schema_head)
    body = ReadinessOut(status="ready" if state.ready else "not ready", reason=state.reason)
    return JSONResponse(body.model_dump(), status_code=200 if state.ready else 503)


def _may_scrape(request: Request, context: WebContext) -> int:
    """200 for the configured scraper or a site administrator; 401 or 403 otherwise."""
    expected = context.settings.metrics_token
    authorization = request.headers.get("authorization", "")
    scheme, _, presented = authorization.partition(" ")
    if expected is not None and scheme.lower() == "bearer":
        if hmac.compare_digest(presented.strip().encode(), expected.encode()):
            return 200
        return 401
    user = signed_in_user(
        context.unit_of_work(),
        request.cookies.get(SESSION_COOKIE),
        now=context.now(),
        policy=context.policy,
    )
    if user is None:
        return 401
    return 200 if user.user.role is Role.SITE_ADMINISTRATOR else 403


@router.get("/metrics", include_in_schema=False)
async def metrics(request: Request, context: Context) -> Response:
    """Prometheus metrics, for the configured scraper token or a site administrator."""
    status = _may_scrape(request, context)
    if status != 200:
        return Response(
            "metrics need the scraper's token (HIPCARE_METRICS_TOKEN) or a site administrator\n",
            status_code=status,
            media_type="text/plain",
            headers={"www-authenticate": "Bearer"} if status == 401 else {},
        )
    registry: Metrics = request.app.state.operations_metrics
    state = readiness(context.engine, request.app.state.schema_head)
    registry.up_to_date.set(1 if state.ready else 0)
    if state.ready:
        counts = operational_counts(
            context.engine, now=context.now(), claim_timeout=REMINDER_CLAIM_TIMEOUT
        )
        registry.open_alerts.set(counts.open_alerts)
        registry.reminders_unsent.set(counts.reminders_unsent)
        registry.reminders_failed.set(counts.reminders_failed)
    return Response(generate_latest(registry.registry), media_type=CONTENT_TYPE_LATEST)
