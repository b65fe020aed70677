"""Referrals (issue 16): the API call and the child page's forms, and the worklist's
"needs referral" answered by a referral or an operation plan, back as overdue when a
referral is not seen in time; on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from clinical_flows import add_lee, api_sign_in, film, operation_document, register
from fastapi.testclient import TestClient
from web_support import HARBOUR, Clock, Staff, sign_in

from hipcare.domain.records import AuditAction, EntityType
from hipcare.storage import SqlAlchemyUnitOfWork


@pytest.fixture
def rising(client: TestClient) -> int:
    """A Harbour child whose latest film crossed the referral threshold."""
    token = sign_in(client, "nurse")
    child_id = register(client, token, given_name="Rising")
    film(client, token, child_id, "2025-09-01", "29", "14")
    film(client, token, child_id, "2026-02-20", "43", "15")
    return child_id


def _status(client: TestClient, child_id: int) -> str | None:
    entries = {e["child_id"]: e for e in client.get(f"/api/sites/{HARBOUR}/worklist").json()}
    return entries[child_id]["status"] if child_id in entries else None


def test_a_referral_recorded_through_the_api_answers_needs_referral(
    client: TestClient, rising: int, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """201 with the referral; the worklist no longer says "needs referral"; one audit row."""
    headers = api_sign_in(client, "nurse@example.org")
    assert _status(client, rising) == "needs referral"
    response = client.post(
        f"/api/children/{rising}/referrals",
        json={"referred_to": "Dr Ada Surgeon, hip clinic", "referred_on": "2026-02-25"},
        headers=headers,
    )
    assert response.status_code == 201, response.text
    body = response.json()
    assert body["referred_to"] == "Dr Ada Surgeon, hip clinic"
    assert body["referred_on"] == "2026-02-25"
    assert body["seen_by"] == "2026-05-20"
    assert body["state"] == "referred"
    assert body["to_be_confirmed_by_clinical_lead"] is True
    assert _status(client, rising) != "needs referral"
    with uow:
        rows = uow.audit.for_entity(EntityType.CHILD, str(rising))
    assert [row.action for row in rows].count(AuditAction.REFERRAL_RECORDED) == 1
    assert all(row.actor_id == staff.nurse for row in rows)


def test_a_referral_not_seen_in_time_comes_back_as_overdue_until_seen_in_clinic(
    client: TestClient, clock: Clock, rising: int
) -> None:
    headers = api_sign_in(client, "nurse@example.org")
    referral = client.post(
        f"/api/children/{rising}/referrals",
        json={"referred_to": "Hip clinic", "referred_on": "2026-03-01"},
        headers=headers,
    ).json()
    clock.advance(weeks=13)
    headers = api_sign_in(client, "nurse@example.org")  # the session ended meanwhile
    assert _status(client, rising) == "overdue"
    only_overdue = client.get(f"/api/sites/{HARBOUR}/worklist", params={"status": "overdue"})
    assert rising in [entry["child_id"] for entry in only_overdue.json()]
    seen = client.post(
        f"/api/children/{rising}/referrals/{referral['id']}/seen",
        json={"seen_on": "2026-05-30", "outcome": "watch and wait"},
        headers=headers,
    )
    assert seen.status_code == 200, seen.text
    assert seen.json()["state"] == "seen in clinic"
    assert _status(client, rising) is None


def test_an_operation_plan_answers_needs_referral(
    client: TestClient, rising: int, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    lee = add_lee(uow, password_hash)
    headers = api_sign_in(client, "nurse@example.org")
    planned = client.post(
        f"/api/children/{rising}/operations",
        json=operation_document(rising, lee),
        headers=headers,
    )
    assert planned.status_code == 201, planned.text
    assert _status(client, rising) != "needs referral"


@pytest.mark.parametrize(
    ("document", "field"),
    [
        ({"referred_on": "2026-02-25"}, "referred_to"),
        ({"referred_to": "Hip clinic"}, "referred_on"),
        ({"referred_to": "Hip clinic", "referred_on": "25/02/2026"}, "referred_on"),
        ({"referred_to": "Hip clinic", "referred_on": "2026-12-25"}, "referred_on"),
        ({"referred_to": "Hip clinic", "referred_on": "2020-01-01"}, "referred_on"),
        ({"referred_to": "   ", "referred_on": "2026-02-25"}, "referred_to"),
    ],
)
def test_bad_referral_input_is_refused_naming_the_field(
    client: TestClient, rising: int, document: dict[str, str], field: str
) -> None:
    headers = api_sign_in(client, "nurse@example.org")
    response = client.post(f"/api/children/{rising}/referrals", json=document, headers=headers)
    assert response.status_code == 422, response.text
    assert response.json()["field"] == field


def test_another_sites_clinician_is_refused_and_an_unknown_child_not_found(
    client: TestClient, rising: int
) -> None:
    document = {"referred_to": "Hip clinic", "referred_on": "2026-02-25"}
    headers = api_sign_in(client, "physio@example.org")  # Northern only
    refused = client.post(f"/api/children/{rising}/referrals", json=document, headers=headers)
    assert refused.status_code == 403
    missing = client.post("/api/children/999999/referrals", json=document, headers=headers)
    assert missing.status_code == 404


def test_the_child_page_records_a_referral_and_the_clinic_visit(
    client: TestClient, rising: int
) -> None:
    client.cookies.clear()
    token = sign_in(client, "nurse")
    page = client.get(f"/children/{rising}")
    assert 'id="referral"' in page.text
    assert "to be confirmed by the clinical lead" in page.text
    recorded = client.post(
        f"/children/{rising}/referrals",
        data={"csrf_token": token, "referred_to": "Hip clinic", "referred_on": "2026-02-26"},
    )
    assert recorded.status_code == 303, recorded.text
    page = client.get(f"/children/{rising}")
    assert "Referral: <strong>referred</strong>" in page.text
    assert "Hip clinic" in page.text
    action = page.text.split(f'action="/children/{rising}/referrals/', 1)[1].split('"', 1)[0]
    seen = client.post(
        f"/children/{rising}/referrals/{action}",
        data={"csrf_token": token, "seen_on": "2026-03-01", "outcome": "surgery planned"},
    )
    assert seen.status_code == 303, seen.text
    page = client.get(f"/children/{rising}")
    assert "Referral: <strong>seen in clinic</strong>" in page.text
    assert "surgery planned" in page.text
