"""``/worklist`` and ``/dashboard``: straight on to the only site, or a page to choose one;
on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from web_support import HARBOUR, NORTHERN, sign_in


@pytest.mark.parametrize("what", ["worklist", "dashboard"])
def test_a_clinician_of_one_site_is_sent_straight_to_its_page(
    client: TestClient, what: str
) -> None:
    sign_in(client, "surgeon")
    response = client.get(f"/{what}")
    assert response.status_code == 303
    assert response.headers["location"] == f"/sites/{HARBOUR}/{what}"


@pytest.mark.parametrize(
    ("what", "title"),
    [("worklist", "Surveillance worklist"), ("dashboard", "Care-team dashboard")],
)
def test_a_clinician_of_two_sites_chooses_one(client: TestClient, what: str, title: str) -> None:
    sign_in(client, "nurse")
    response = client.get(f"/{what}")
    assert response.status_code == 200
    assert title in response.text
    for site in (HARBOUR, NORTHERN):
        assert f'href="/sites/{site}/{what}"' in response.text
