"""The worklist judges "today" in its site's own time zone, not ``HIPCARE_TIMEZONE``: the
page, the JSON API and the CSV alike (SQLite and PostgreSQL)."""

from __future__ import annotations

import csv
import dataclasses
import io
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest
from clinical_flows import register
from fastapi.testclient import TestClient
from web_support import HARBOUR, Clock, sign_in

from hipcare.bootstrap import load_content
from hipcare.settings import Settings

CONTENT = load_content()
SYDNEY_MIDNIGHT_PAST = datetime(2026, 3, 2, 13, 30, tzinfo=UTC)
"""00:30 on 3 March in Sydney (Harbour's zone, sites.toml); still 2 March in London."""


@pytest.fixture
def settings(settings: Settings) -> Settings:
    """``HIPCARE_TIMEZONE`` half a world away from the site."""
    return dataclasses.replace(settings, timezone="Europe/London")


def test_the_worklist_turns_the_day_at_the_sites_own_midnight(
    client: TestClient, clock: Clock
) -> None:
    """Just after midnight at the site, a child whose first review is due from that local
    day is due (not "not yet due"), and one whose window closed the local day before is
    overdue by one day, though it is still the day before in ``HIPCARE_TIMEZONE``."""
    zone = ZoneInfo(CONTENT.sites_by_id[HARBOUR].timezone)
    clock.now = SYDNEY_MIDNIGHT_PAST
    assert clock.now.astimezone(zone).date() == date(2026, 3, 3)
    assert clock.now.astimezone(ZoneInfo("Europe/London")).date() == date(2026, 3, 2)
    token = sign_in(client, "nurse")
    # First review from 12 to 24 months of age (born at term: no corrected age).
    turning = register(
        client, token, given_name="Turning", date_of_birth="2025-03-03", gestation_weeks="40"
    )
    lapsed = register(
        client, token, given_name="Lapsed", date_of_birth="2024-03-02", gestation_weeks="40"
    )

    rows = {row["child_id"]: row for row in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    assert rows[turning]["status"] == "due"
    assert rows[turning]["days_overdue"] == 0
    assert rows[lapsed]["status"] == "overdue"
    assert rows[lapsed]["days_overdue"] == 1

    download = client.get(f"/sites/{HARBOUR}/worklist.csv")
    by_child = {int(row["child_id"]): row for row in csv.DictReader(io.StringIO(download.text))}
    assert by_child[turning]["status"] == "due"
    assert by_child[lapsed]["status"] == "overdue"
    assert by_child[lapsed]["days_overdue"] == "1"

    page = client.get(f"/sites/{HARBOUR}/worklist")
    assert page.status_code == 200
    assert f'href="/children/{turning}#surveillance"' in page.text
    assert "Overdue (1)" in page.text
    assert "Due (1)" in page.text
