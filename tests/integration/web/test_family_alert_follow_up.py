"""The family's diary says what happened to an alert (issue 16): what was sent and whom to
call until the care team acknowledges it, then "seen by the care team at HH:MM" in the
clinic's time zone; on SQLite and PostgreSQL."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import pytest
from clinical_flows import api_sign_in, family_session
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import PASSWORD, Clock, Staff

from hipcare.settings import Settings
from hipcare.web import create_app


@pytest.fixture
def sydney_client(
    settings: Settings, clock: Clock, staff: Staff
) -> Iterator[tuple[FastAPI, TestClient]]:
    """The app with the clinic in Sydney, and the synthetic staff (``staff``)."""
    application = create_app(
        dataclasses.replace(settings, timezone="Australia/Sydney"), clock=clock
    )
    with TestClient(application, follow_redirects=False) as test_client:
        yield application, test_client
    application.state.hipcare.engine.dispose()


def test_the_diary_says_whom_to_call_until_the_team_has_seen_the_alert(
    sydney_client: tuple[FastAPI, TestClient], password_hash: str, clock: Clock
) -> None:
    app, client = sydney_client
    child_id, csrf = family_session(app, client, password_hash)
    entry = client.post(
        f"/api/family/children/{child_id}/diary",
        json={"kind": "pain-numeric", "pain_score": 8},
        headers={"X-CSRF-Token": csrf},
    )
    assert entry.status_code == 201, entry.text
    alert_id = entry.json()["alert_id"]
    assert alert_id is not None
    page = client.get(f"/family/children/{child_id}/diary", params={"lang": "en"})
    assert "We have told the care team." in page.text
    assert "The care team has not seen it yet. If you are worried, call now:" in page.text
    assert 'href="tel:' in page.text
    assert "Seen by the care team" not in page.text

    clock.advance(minutes=22)  # 09:52 UTC is 20:52 in Sydney (daylight saving time)
    headers = api_sign_in(client, "nurse@example.org")
    acknowledged = client.post(
        f"/api/children/{child_id}/alerts/{alert_id}/acknowledge", headers=headers
    )
    assert acknowledged.status_code == 200, acknowledged.text
    child_page = client.get(f"/children/{child_id}")
    assert "Pain 8 of 10, written 20:30, raised" in child_page.text  # the clinic's clock
    client.cookies.clear()
    signed = client.post("/api/sign-in", json={"email": "parent@example.org", "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    page = client.get(f"/family/children/{child_id}/diary", params={"lang": "en"})
    assert "Seen by the care team at 20:52." in page.text
    assert "has not seen it yet" not in page.text
