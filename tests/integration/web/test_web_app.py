"""The app around the pages: /healthz, /openapi.json, static files, the demo, ``hipcare serve``."""

from __future__ import annotations

import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import Clock

from hipcare.bootstrap import load_content
from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.content.sites import load_sites
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.records import OperationStatus
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.demo_seed import demo_accounts, seed_demo
from hipcare.services.worklist import site_worklist
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork, create_database_engine, upgrade_to_head
from hipcare.storage.tables import ChildRow, UserRow, VisitRow
from hipcare.web import create_app

CONTENT = load_content()

ROOT = Path(__file__).resolve().parents[3]
HIPCARE = ROOT / ".venv" / "bin" / "hipcare"


def test_healthz_reports_the_database(client: TestClient, database_url: str) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    dialect = "sqlite" if database_url.startswith("sqlite") else "postgresql"
    assert response.json() == {"status": "ok", "database": "ok", "dialect": dialect}


def test_healthz_answers_503_when_the_database_is_unreachable(tmp_path: Path) -> None:
    settings = Settings(
        database_url="postgresql+psycopg://nobody@127.0.0.1:9/none?connect_timeout=1",
        data_dir=tmp_path,
    )
    app = create_app(settings)
    with TestClient(app) as client:
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "unreachable",
        "dialect": "postgresql",
    }


def test_openapi_describes_the_api_and_not_the_pages(client: TestClient) -> None:
    response = client.get("/openapi.json")
    assert response.status_code == 200
    document = json.loads(response.text)
    assert document["openapi"].startswith("3.")
    paths = set(document["paths"])
    assert {
        "/api/sign-in",
        "/api/children",
        "/api/children/{child_id}",
        "/api/sites/{site_id}/audit",
        "/healthz",
    } <= paths
    assert not any(path.startswith(("/children", "/sign-in")) for path in paths)
    schemas = document["components"]["schemas"]
    assert "ChildOut" in schemas
    assert "Problem" in schemas


def test_the_stylesheet_is_served(client: TestClient) -> None:
    response = client.get("/static/hipcare.css")
    assert response.status_code == 200
    assert ":focus-visible" in response.text


def test_demo_seeding_is_idempotent_and_covers_the_stages(
    uow: SqlAlchemyUnitOfWork, database_url: str, tmp_path: Path
) -> None:
    today = date(2026, 11, 25)
    now = datetime(2026, 11, 25, 9, tzinfo=UTC)
    first = seed_demo(uow, today=today, now=now, content=CONTENT)
    assert first.sites_added == len(load_sites()) == 2
    assert first.users_added == len(demo_accounts())
    assert first.children_added >= 12
    with uow:
        session = uow.orm_session()
        counts = [
            session.scalar(select(func.count()).select_from(table))
            for table in (UserRow, ChildRow, VisitRow)
        ]
    second = seed_demo(uow, today=today, now=now, content=CONTENT)
    assert (second.sites_added, second.users_added, second.children_added) == (0, 0, 0)
    assert second.children_present == first.children_added
    with uow:
        session = uow.orm_session()
        assert [
            session.scalar(select(func.count()).select_from(table))
            for table in (UserRow, ChildRow, VisitRow)
        ] == counts
        statuses = {
            plan.status
            for child_id in session.scalars(select(ChildRow.id))
            for plan in uow.operation_plans.for_child(child_id)
        }
        nurse = uow.users.by_email("nurse@harbour.example.org")
    # The postponed operation is scheduled on its new date, with the date it moved from.
    assert statuses == {OperationStatus.SCHEDULED, OperationStatus.DONE}
    assert nurse is not None
    assert nurse.id is not None
    worklist = site_worklist(
        uow, nurse.id, "harbour-childrens", load_surveillance_rules(), today=today, now=now
    )
    assert {entry.status for entry in worklist} >= {
        WorklistStatus.NEEDS_REFERRAL,
        WorklistStatus.OVERDUE,
        WorklistStatus.DUE,
    }
    account = demo_accounts()[0]
    app = create_app(Settings(database_url, tmp_path, secure_cookies=False), clock=Clock())
    with TestClient(app) as client:
        signed = client.post(
            "/api/sign-in", json={"email": account.email, "password": account.password}
        )
        assert signed.status_code == 200, "the demo sign-ins work"
        found = client.get("/api/children", params={"name": "tran"})
        assert [child["family_name"] for child in found.json()] == ["Tran"]
    app.state.hipcare.engine.dispose()


def test_serve_refuses_a_bad_port_in_one_line() -> None:
    stderr = io.StringIO()
    status = main(
        ["serve", "--port", "70000"],
        {},
        io=CommandIO(io.StringIO(), io.StringIO(), stderr, {}),
    )
    assert status == 2
    assert stderr.getvalue() == (
        "hipcare serve: error: --port: 70000 is not a port number (1-65535)\n"
    )


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@pytest.mark.slow
def test_hipcare_serve_demo_answers_healthz_as_a_real_process(tmp_path: Path) -> None:
    """``hipcare serve --demo`` migrates, seeds, prints the sign-ins and serves /healthz."""
    port = _free_port()
    environ = {**os.environ, "HIPCARE_DATA_DIR": str(tmp_path)}
    environ.pop("HIPCARE_DATABASE_URL", None)
    process = subprocess.Popen(
        [
            str(HIPCARE),
            "serve",
            "--demo",
            "--port",
            str(port),
        ],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 60
        body = None
        while time.monotonic() < deadline and body is None:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as reply:
                    body = json.loads(reply.read())
            except OSError:
                assert process.poll() is None, "hipcare serve stopped early"
                time.sleep(0.3)
        assert body == {"status": "ok", "database": "ok", "dialect": "sqlite"}
    finally:
        process.terminate()
        output, _ = process.communicate(timeout=20)
    assert (tmp_path / "demo.sqlite3").exists()
    assert "nurse@harbour.example.org" in output
    assert "hipcare-demo-2026" in output
    assert f"http://127.0.0.1:{port}/" in output
    assert "Traceback" not in output


def test_sqlite_runs_in_wal_mode_with_synchronous_normal(tmp_path: Path) -> None:
    """Every page writes an audit row: WAL + NORMAL spares an fsync per commit, safely."""
    engine = create_database_engine(f"sqlite:///{tmp_path / 'hipcare.sqlite3'}")
    with engine.connect() as connection:
        assert connection.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert connection.exec_driver_sql("PRAGMA synchronous").scalar() == 1  # NORMAL
    engine.dispose()


def test_app_on_its_own_sqlite_engine_checkpoints_in_the_background(tmp_path: Path) -> None:
    """No request runs a WAL checkpoint (its disk sync would hold up every request queued on
    the event loop): the app's connections leave it to a thread, which stops with the app."""
    settings = Settings.from_environ({"HIPCARE_DATA_DIR": str(tmp_path)})
    upgrade_to_head(settings.database_url)
    app = create_app(settings)
    checkpointer = app.state.wal_checkpointer
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        assert checkpointer.running
        with app.state.hipcare.engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
    assert not checkpointer.running
    assert checkpointer.checkpoints >= 1  # the last one, at shutdown
    app.state.hipcare.engine.dispose()


def test_server_workers_freeze_what_the_app_loaded_and_collect_young_objects_less_often(
    tmp_path: Path,
) -> None:
    """The worker entry point (``hipcare serve``) tunes the garbage collector once the app
    is built; run in a process of its own, since the tuning is process-wide."""
    settings = Settings.from_environ({"HIPCARE_DATA_DIR": str(tmp_path)})
    upgrade_to_head(settings.database_url)
    script = (
        "import gc\n"
        "from hipcare.web.asgi import GC_YOUNG_THRESHOLD, app_from_environ\n"
        "app_from_environ()\n"
        "print(gc.get_threshold()[0] == GC_YOUNG_THRESHOLD, gc.get_freeze_count() > 1000)\n"
    )
    environ = {k: v for k, v in os.environ.items() if not k.startswith("HIPCARE_")}
    environ["HIPCARE_DATA_DIR"] = str(tmp_path)
    printed = subprocess.run(
        [sys.executable, "-c", script],
        env=environ,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    assert printed.split() == ["True", "True"]
