"""Merging a duplicate through the API and the child page (site administrators only), and a
family language hipcare lacks shown as such (issue 15)."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi.testclient import TestClient
from web_support import EMAILS, HARBOUR, PASSWORD, sign_in

from hipcare.domain.records import Child
from hipcare.storage import SqlAlchemyUnitOfWork

BODY = {
    "given_name": "Zoë",
    "family_name": "Nguyễn",
    "date_of_birth": "2021-05-17",
    "site": HARBOUR,
    "hospital_numbers": [{"system": "harbour-mrn", "value": "H100"}],
    "confirm_not_duplicate": True,
}


def _api(client: TestClient, who: str) -> dict[str, str]:
    signed = client.post("/api/sign-in", json={"email": EMAILS[who], "password": PASSWORD})
    assert signed.status_code == 200, signed.text
    return {"X-CSRF-Token": signed.json()["csrf_token"]}


def _pair(client: TestClient, **duplicate: Any) -> tuple[int, int]:
    headers = _api(client, "nurse")
    original = client.post("/api/children", json=BODY, headers=headers)
    second = {**BODY, "hospital_numbers": [{"system": "harbour-mrn", "value": "H200"}]}
    copy = client.post("/api/children", json={**second, **duplicate}, headers=headers)
    assert (original.status_code, copy.status_code) == (201, 201)
    visit = {
        "visit_date": "2025-02-01",
        "xray": True,
        "right": {"migration_percentage_reported": 30},
    }
    recorded = client.post(f"/api/children/{copy.json()['id']}/visits", json=visit, headers=headers)
    assert recorded.status_code == 201, recorded.text
    client.post("/api/sign-out", headers=headers)
    return original.json()["id"], copy.json()["id"]


def test_a_site_administrator_merges_through_the_api_with_confirmation(
    client: TestClient,
) -> None:
    original, duplicate = _pair(client)
    headers = _api(client, "administrator")
    url = f"/api/children/{duplicate}/merge-into/{original}"
    unconfirmed = client.post(url, json={}, headers=headers)
    assert unconfirmed.status_code == 422
    assert unconfirmed.json()["field"] == "confirm"
    merged = client.post(url, json={"confirm": True}, headers=headers)
    assert merged.status_code == 200, merged.text
    assert merged.json() == {"child_id": duplicate, "merged_into": original}
    again = client.post(url, json={"confirm": True}, headers=headers)
    assert again.status_code == 422
    headers = _api(client, "nurse")
    record = client.get(f"/api/children/{original}").json()
    assert [visit["visit_date"] for visit in record["visits"]] == ["2025-02-01"]
    assert {number["value"] for number in record["hospital_numbers"]} == {"H100", "H200"}


def test_a_clinician_may_not_merge_and_another_sites_administrator_is_refused(
    client: TestClient,
) -> None:
    original, duplicate = _pair(client)
    url = f"/api/children/{duplicate}/merge-into/{original}"
    refused = client.post(url, json={"confirm": True}, headers=_api(client, "surgeon"))
    assert refused.status_code == 403
    elsewhere = client.post(
        url, json={"confirm": True}, headers=_api(client, "northern_administrator")
    )
    assert elsewhere.status_code == 403


def test_the_page_offers_the_merge_to_administrators_and_then_shows_merged_into(
    client: TestClient,
) -> None:
    original, duplicate = _pair(client)
    csrf = sign_in(client, "administrator")
    page = client.get(f"/children/{duplicate}")
    assert "Merge a duplicate" in page.text
    done = client.post(
        f"/children/{duplicate}/merge",
        data={"original_id": str(original), "confirm": "yes", "csrf_token": csrf},
    )
    assert done.status_code == 303
    assert done.headers["location"] == f"/children/{original}"
    after = client.get(f"/children/{duplicate}")
    assert f'Merged into <a href="/children/{original}">child #{original}</a>' in after.text
    assert "Merge a duplicate" not in after.text
    client.post("/sign-out", data={"csrf_token": csrf})
    sign_in(client, "nurse")
    assert "Merge a duplicate" not in client.get(f"/children/{original}").text
    worklist = client.get(f"/sites/{HARBOUR}/worklist?status=&sort=name")
    assert worklist.status_code == 200
    assert f'href="/children/{duplicate}#' not in worklist.text
    assert f'href="/children/{original}#' in worklist.text


def test_a_language_hipcare_lacks_is_kept_and_shown_as_not_available(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    """As an import keeps it (Quechua, ``qu``: hipcare has no text in it)."""
    with uow:
        child = uow.children.add(
            Child("Inti", "Mamani", date(2020, 3, 4), HARBOUR, preferred_language="qu")
        )
        uow.commit()
    sign_in(client, "nurse")
    page = client.get(f"/children/{child.id}")
    assert "qu (not available: English used)" in page.text
    with uow:
        assert uow.children.get(child.id or 0).preferred_language == "qu"  # type: ignore[union-attr] -- stored
