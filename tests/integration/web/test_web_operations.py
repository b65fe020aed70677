"""For the people who run hipcare (issue 18): /readyz, /metrics behind a token or an
administrator, and JSON log lines with a request id and no patient data."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import insert
from web_support import CHILD_FORM, Clock, Staff, sign_in

from hipcare.domain.pathway import Sides, WeightBearing
from hipcare.domain.records import OperationStatus
from hipcare.settings import Settings
from hipcare.storage import create_database_engine
from hipcare.storage.tables import (
    AlertRow,
    CarePlanItemRow,
    OperationPlanRow,
    ReminderDeliveryRow,
)
from hipcare.web import create_app
from hipcare.web.request_log import JsonFormatter

SCRAPER_TOKEN = "scraper-token-for-tests-0123456789"  # noqa: S105 -- a synthetic test token


@pytest.fixture
def scraped_app(settings: Settings, clock: Clock, staff: Staff) -> Iterator[FastAPI]:
    application = create_app(
        dataclasses.replace(settings, metrics_token=SCRAPER_TOKEN), clock=clock
    )
    yield application
    application.state.hipcare.engine.dispose()


@pytest.fixture
def scraped(scraped_app: FastAPI) -> Iterator[TestClient]:
    with TestClient(scraped_app, follow_redirects=False) as test_client:
        yield test_client


def _register(client: TestClient, csrf: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _metric(text: str, name: str) -> float:
    (line,) = [line for line in text.splitlines() if line.split(" ")[0] == name]
    return float(line.split(" ")[1])


def test_readyz_is_ready_on_a_database_at_the_newest_migration(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.json() == {"status": "ready", "reason": None}


def test_readyz_is_503_with_a_reason_on_a_database_without_the_schema(tmp_path: Path) -> None:
    """Alive (/healthz 200) but not ready: the migrations have not run."""
    app = create_app(Settings.from_environ({"HIPCARE_DATA_DIR": str(tmp_path)}))
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        response = client.get("/readyz")
    app.state.hipcare.engine.dispose()
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": "database has no schema: run `hipcare migrate`",
    }


def test_readyz_is_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1",
        data_dir=tmp_path,
    )
    with TestClient(create_app(settings)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "not ready",
        "reason": "database unreachable (OperationalError)",
    }


def test_metrics_need_the_scraper_token_or_a_site_administrator(
    scraped: TestClient,
) -> None:
    refused = scraped.get("/metrics")
    assert refused.status_code == 401
    assert refused.headers["www-authenticate"] == "Bearer"
    wrong = scraped.get("/metrics", headers={"Authorization": "Bearer not-the-token-at-all"})
    assert wrong.status_code == 401
    sign_in(scraped, "nurse")
    assert scraped.get("/metrics").status_code == 403
    scraped.cookies.clear()
    sign_in(scraped, "administrator")
    assert scraped.get("/metrics").status_code == 200
    scraped.cookies.clear()
    allowed = scraped.get("/metrics", headers={"Authorization": f"Bearer {SCRAPER_TOKEN}"})
    assert allowed.status_code == 200
    assert allowed.headers["content-type"].startswith("text/plain; version=")


def test_metrics_without_a_configured_token_refuse_every_bearer(client: TestClient) -> None:
    response = client.get("/metrics", headers={"Authorization": "Bearer anything-at-all-here"})
    assert response.status_code == 401


def test_metrics_count_open_alerts_unsent_and_failed_reminders_and_latency_by_route(
    scraped: TestClient, settings: Settings, clock: Clock, staff: Staff
) -> None:
    """Counts come from the database; latency is labelled by route template, not by id."""
    csrf = sign_in(scraped, "nurse")
    child_id = _register(scraped, csrf)
    assert scraped.get(f"/children/{child_id}").status_code == 200
    bearer = {"Authorization": f"Bearer {SCRAPER_TOKEN}"}
    before = _metric(scraped.get("/metrics", headers=bearer).text, "hipcare_open_alerts")
    engine = create_database_engine(settings.database_url)
    now = clock()
    with engine.begin() as connection:
        connection.execute(
            insert(AlertRow),
            [
                {
                    "child_id": child_id,
                    "kind": "test",
                    "raised_at": now,
                    "acknowledged_by": None,
                    "acknowledged_at": None,
                },
                {
                    "child_id": child_id,
                    "kind": "test",
                    "raised_at": now,
                    "acknowledged_by": None,
                    "acknowledged_at": None,
                },
                {
                    "child_id": child_id,
                    "kind": "test",
                    "raised_at": now,
                    "acknowledged_by": staff.nurse,
                    "acknowledged_at": now,
                },
            ],
        )
        plan_id = connection.scalar(
            insert(OperationPlanRow)
            .values(
                child_id=child_id,
                sides=Sides.BOTH,
                procedures=["vdro"],
                implant="test plate",
                surgeon_id=staff.surgeon,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                status=OperationStatus.SCHEDULED,
            )
            .returning(OperationPlanRow.id)
        )
        item_ids = [
            connection.scalar(
                insert(CarePlanItemRow)
                .values(operation_plan_id=plan_id, item_id=f"test-{n}", due_date=now.date())
                .returning(CarePlanItemRow.id)
            )
            for n in range(3)
        ]
        claims = [
            ("sending", now - timedelta(minutes=1), 1),  # in flight
            ("sending", now - timedelta(hours=1), 1),  # left by a stopped run
            ("sending", now - timedelta(minutes=1), 2),  # a refused send, retried
        ]
        connection.execute(
            insert(ReminderDeliveryRow),
            [
                {
                    "care_plan_item_id": item_id,
                    "recipient_id": staff.nurse,
                    "due_date": now.date(),
                    "status": status,
                    "claimed_at": claimed_at,
                    "attempts": attempts,
                }
                for item_id, (status, claimed_at, attempts) in zip(item_ids, claims, strict=True)
            ],
        )
    engine.dispose()
    scraped.cookies.clear()
    text = scraped.get("/metrics", headers=bearer).text
    assert _metric(text, "hipcare_open_alerts") == before + 2
    assert _metric(text, "hipcare_reminders_unsent") == 3
    assert _metric(text, "hipcare_reminders_failed") == 2
    assert _metric(text, "hipcare_ready") == 1
    route_count = (
        'hipcare_http_request_duration_seconds_count{method="GET",'
        'route="/children/{child_id:int}",status="200"}'
    )
    assert _metric(text, route_count) >= 1
    assert f"/children/{child_id}" not in text


def test_every_response_carries_a_request_id_and_keeps_a_plain_one_from_the_proxy(
    client: TestClient,
) -> None:
    generated = client.get("/healthz").headers["x-request-id"]
    assert len(generated) == 32
    assert client.get("/healthz").headers["x-request-id"] != generated
    kept = client.get("/healthz", headers={"X-Request-ID": "proxy-7f3a.1"})
    assert kept.headers["x-request-id"] == "proxy-7f3a.1"
    odd = client.get("/healthz", headers={"X-Request-ID": "a name\nwith lines"})
    assert odd.headers["x-request-id"] != "a name\nwith lines"


def test_json_log_lines_carry_the_request_id_and_no_patient_data(client: TestClient) -> None:
    """Every hipcare line during the requests is JSON with a request id; a scan finds no name,
    birth date, phone number or email."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter())
    logger = logging.getLogger("hipcare")
    logger.addHandler(handler)
    previous_level = logger.level
    logger.setLevel(logging.DEBUG)
    try:
        csrf = sign_in(client, "nurse")
        child_id = _register(client, csrf)
        client.get(f"/children/{child_id}", headers={"X-Request-ID": "trace-42"})
        client.get("/children", params={"name": "Nguyễn"})
        client.post(
            "/children", data={**CHILD_FORM, "date_of_birth": "2099-01-01", "csrf_token": csrf}
        )
    finally:
        logger.removeHandler(handler)
        logger.setLevel(previous_level)
    lines = [json.loads(line) for line in stream.getvalue().splitlines()]
    assert lines, "requests are logged"
    assert all(line["request_id"] for line in lines)
    page = [line for line in lines if line.get("path") == f"/children/{child_id}"]
    assert page[0]["request_id"] == "trace-42"
    assert (page[0]["method"], page[0]["status"]) == ("GET", 200)
    # Every field but the random request ids (hex, which may hold "0400" by chance).
    logged = json.dumps(
        [{k: v for k, v in line.items() if k != "request_id"} for line in lines],
        ensure_ascii=False,
    )
    for secret in ("Nguy", "Ngoc", "2022-05-14", "2099", "0400", "nurse@example.org", "Thi Lan"):
        assert secret not in logged


def test_an_exception_is_logged_as_its_type_and_places_never_its_message() -> None:
    """A database error's message can quote a row's values: only its type and frames go out."""
    record: logging.LogRecord | None = None
    try:
        raise ValueError("Nguyễn 2022-05-14")
    except ValueError:
        record = logging.getLogger("hipcare.test").makeRecord(
            "hipcare.test", logging.ERROR, __file__, 1, "failed", (), exc_info=_exc_info()
        )
    line = json.loads(JsonFormatter().format(record))
    assert line["exception"]["type"] == "ValueError"
    assert "Nguy" not in json.dumps(line, ensure_ascii=False)
    assert line["exception"]["frames"][0].endswith(
        "test_an_exception_is_logged_as_its_type_and_places_never_its_message"
    )


def _exc_info() -> tuple[type[BaseException], BaseException, object]:
    import sys

    kind, value, trace = sys.exc_info()
    assert kind is not None
    assert value is not None
    return kind, value, trace
