"""The demo shows the family side (issue 17): ``seed_demo`` with the diary rules adds a family
account for some demo children, linked, with diary entries (some raising alerts), that sign
in with the demo password; ``hipcare serve --demo`` prints them."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime
from pathlib import Path

from fastapi.testclient import TestClient
from sqlalchemy import func, select
from web_support import Clock

from hipcare.bootstrap import load_content
from hipcare.cli.command_io import CommandIO
from hipcare.cli.serve import seed_demo_and_report
from hipcare.content.diary import load_diary_rules
from hipcare.services.demo_seed import demo_accounts, seed_demo
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.storage.tables import AlertRow, DiaryEntryRow, UserRow
from hipcare.web import create_app

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, tzinfo=UTC)


def _count(uow: SqlAlchemyUnitOfWork, table: type) -> int:
    with uow:
        return int(uow.orm_session().scalar(select(func.count()).select_from(table)) or 0)


def test_demo_families_sign_in_with_the_demo_password_and_see_a_started_plan_and_diary(
    uow: SqlAlchemyUnitOfWork, database_url: str, tmp_path: Path
) -> None:
    first = seed_demo(
        uow, today=TODAY, now=NOW, content=load_content(), diary_rules=load_diary_rules()
    )
    assert len(first.families) >= 3
    assert all(family.added for family in first.families)
    counts = [_count(uow, table) for table in (UserRow, DiaryEntryRow, AlertRow)]
    second = seed_demo(
        uow, today=TODAY, now=NOW, content=load_content(), diary_rules=load_diary_rules()
    )
    assert [family.email for family in second.families] == [
        family.email for family in first.families
    ]
    assert not any(family.added for family in second.families), "idempotent"
    assert [_count(uow, table) for table in (UserRow, DiaryEntryRow, AlertRow)] == counts
    with uow:
        diary_alerts = [
            alert
            for alert in uow.orm_session().scalars(select(AlertRow))
            if alert.kind.startswith("diary-")
        ]
    assert len(diary_alerts) >= 2, "some diary entries raised alerts"
    password = demo_accounts()[0].password
    app = create_app(Settings(database_url, tmp_path, secure_cookies=False), clock=Clock(NOW))
    with TestClient(app) as client:
        for family in first.families:
            client.cookies.clear()
            signed = client.post("/api/sign-in", json={"email": family.email, "password": password})
            assert signed.status_code == 200, family.email
            [child] = client.get("/api/family/children").json()
            assert child["given_name"] == family.child_given_name
            today = client.get(f"/api/family/children/{child['id']}/today").json()
            assert today["plan_started"] is True
            diary = client.get(f"/family/children/{child['id']}/diary")
            assert diary.status_code == 200
    app.state.hipcare.engine.dispose()


def test_serve_demo_prints_the_family_accounts(database_url: str, tmp_path: Path) -> None:
    out = io.StringIO()
    seed_demo_and_report(
        Settings(database_url, tmp_path, secure_cookies=False),
        CommandIO(io.StringIO(), out, io.StringIO(), {}),
    )
    printed = out.getvalue()
    assert "Family accounts" in printed
    assert "jing.wang@family.example.org" in printed
    assert "family of Lucas" in printed
    assert f"password for all: {demo_accounts()[0].password}" in printed
