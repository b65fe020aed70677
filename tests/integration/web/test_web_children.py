"""Children through the pages and the API: register, search, a child's page, scoping, audit."""

from __future__ import annotations

import logging

import pytest
from fastapi.testclient import TestClient
from web_support import CHILD_FORM, EMAILS, HARBOUR, NORTHERN, PASSWORD, Staff, sign_in

from hipcare.domain.records import AuditAction, EntityType, Role, User
from hipcare.storage import SqlAlchemyUnitOfWork


def _register(client: TestClient, csrf: str, **changes: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": csrf})
    assert response.status_code == 303, response.text
    location = response.headers["location"]
    assert location.startswith("/children/")
    return int(location.rsplit("/", 1)[1])


def test_registering_a_child_leads_to_their_page(
    client: TestClient, staff: Staff, uow: SqlAlchemyUnitOfWork
) -> None:
    csrf = sign_in(client, "nurse")
    child_id = _register(client, csrf)
    page = client.get(f"/children/{child_id}")
    assert page.status_code == 200
    assert "<h1>Ngoc Anh Nguyễn</h1>" in page.text
    assert "2022-05-14" in page.text
    assert "Vietnamese" in page.text
    assert "Thi Lan Nguyen (mother)" in page.text
    assert "31 weeks" in page.text
    for section in ("surveillance", "films", "operation", "care-plan"):
        assert f'id="{section}"' in page.text
    assert "Next review" in page.text, "the surveillance engine's answer is shown"
    with uow:
        actions = [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))]
    assert actions == [AuditAction.CHILD_REGISTERED, AuditAction.CHILD_READ]


def test_a_form_with_a_mistake_comes_back_with_the_message_by_the_field(
    client: TestClient,
) -> None:
    csrf = sign_in(client, "nurse")
    response = client.post(
        "/children", data={**CHILD_FORM, "date_of_birth": "2099-01-01", "csrf_token": csrf}
    )
    assert response.status_code == 422
    assert 'id="date_of_birth-error"' in response.text
    assert "is after today" in response.text
    assert 'aria-invalid="true" aria-describedby="date_of_birth-error"' in response.text
    assert 'value="Ngoc Anh"' in response.text, "what was typed is kept"
    assert 'value="0400 555 001"' in response.text


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"gestation_weeks": "thirty"}, "gestation_weeks"),
        ({"gestation_weeks": "50"}, "gestation_weeks"),
        ({"contact_1_phone": "call me"}, "contact_1_phone"),
        ({"contact_1_phone": "", "contact_1_email": ""}, "contact_1_phone"),
        ({"given_name": "  "}, "given_name"),
        ({"site": "nowhere"}, "site"),
    ],
)
def test_each_mistake_is_shown_next_to_its_own_field(
    client: TestClient, changes: dict[str, str], field: str
) -> None:
    csrf = sign_in(client, "nurse")
    response = client.post("/children", data={**CHILD_FORM, **changes, "csrf_token": csrf})
    assert response.status_code in (403, 422)
    if response.status_code == 422:
        assert f'id="{field}-error"' in response.text


def test_search_finds_children_whatever_the_accents_and_case(client: TestClient) -> None:
    csrf = sign_in(client, "nurse")
    child_id = _register(client, csrf)
    response = client.get("/children", params={"name": "NGUYEN"})
    assert response.status_code == 200
    assert f'href="/children/{child_id}"' in response.text
    assert "1 child found" in response.text
    nothing = client.get("/children", params={"name": "zzzz"})
    assert "0 children found" in nothing.text


def test_a_one_letter_search_asks_for_more(client: TestClient) -> None:
    sign_in(client, "nurse")
    response = client.get("/children", params={"name": "n"})
    assert response.status_code == 422
    assert "type at least 2 letters" in response.text


def test_another_sites_child_is_refused_and_the_attempt_audited(
    client: TestClient, staff: Staff, uow: SqlAlchemyUnitOfWork
) -> None:
    csrf = sign_in(client, "surgeon")  # Harbour only
    child_id = _register(client, csrf)
    client.cookies.clear()
    sign_in(client, "physiotherapist")  # Northern only
    page = client.get(f"/children/{child_id}")
    assert page.status_code == 403
    assert "Nguy" not in page.text
    api = client.get(f"/api/children/{child_id}")
    assert api.status_code == 403
    search = client.get("/children", params={"name": "nguyen"})
    assert "0 children found" in search.text
    with uow:
        denied = [
            entry
            for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))
            if entry.action is AuditAction.ACCESS_DENIED
        ]
    assert [entry.actor_id for entry in denied] == [staff.physiotherapist] * 2


def test_registering_at_a_site_you_do_not_belong_to_is_refused(client: TestClient) -> None:
    csrf = sign_in(client, "surgeon")
    response = client.post("/children", data={**CHILD_FORM, "site": NORTHERN, "csrf_token": csrf})
    assert response.status_code == 403


def test_an_unknown_child_is_not_found(client: TestClient) -> None:
    sign_in(client, "nurse")
    assert client.get("/children/999999").status_code == 404
    assert client.get("/api/children/999999").status_code == 404


def test_the_api_registers_searches_and_reads_children(client: TestClient) -> None:
    signed = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": PASSWORD})
    headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
    body = {
        "given_name": "Ali",
        "family_name": "Haddad",
        "date_of_birth": "2021-01-02",
        "site": "harbour-childrens",
        "preferred_language": "ar",
        "gmfcs": "III",
        "contacts": [{"name": "Omar Haddad", "relationship": "father", "phone": "0400 555 002"}],
    }
    created = client.post("/api/children", json=body, headers=headers)
    assert created.status_code == 201
    child = created.json()
    assert child["gmfcs"] == "III"
    assert child["contacts"][0]["phone"] == "0400 555 002"
    found = client.get("/api/children", params={"name": "hadd"}).json()
    assert [entry["id"] for entry in found] == [child["id"]]
    read = client.get(f"/api/children/{child['id']}").json()
    assert read["family_name"] == "Haddad"
    assert read["visits"] == []
    bad = client.post(
        "/api/children", json={**body, "date_of_birth": "2021-02-30"}, headers=headers
    )
    assert bad.status_code == 422
    assert bad.json() == {
        "field": "date_of_birth",
        "problem": "'2021-02-30' is not a real calendar date",
    }


def test_site_administrators_read_their_sites_audit_log(client: TestClient, staff: Staff) -> None:
    csrf = sign_in(client, "nurse")
    child_id = _register(client, csrf)
    client.get(f"/children/{child_id}")
    client.cookies.clear()
    sign_in(client, "administrator")
    page = client.get("/sites/harbour-childrens/audit")
    assert page.status_code == 200
    # In words with names for the site's administrators (issue 16); the table keeps ids.
    assert "Registered a child" in page.text
    assert "Opened a child&#39;s record" in page.text
    assert "Ben Nurse" in page.text
    assert f'<a href="/children/{child_id}">Ngoc Anh Nguyễn</a>' in page.text
    entries = client.get("/api/sites/harbour-childrens/audit").json()
    assert {entry["action"] for entry in entries} >= {"child.registered", "child.read"}
    reads = [entry for entry in entries if entry["action"] == "audit-log.read"]
    assert [entry["actor_id"] for entry in reads] == [staff.administrator], "the read is audited"
    # The page names the site's children, so the administrator's view also lists them.
    by_administrator = {e["action"] for e in entries if e["actor_id"] == staff.administrator}
    assert by_administrator <= {"audit-log.read", "child.listed", "password.rehashed"}
    assert all(
        entry["actor_id"] == staff.nurse
        for entry in entries
        if entry["actor_id"] != staff.administrator
    )
    assert client.get("/sites/northern-regional/audit").status_code == 403


def test_clinicians_cannot_read_the_audit_log(client: TestClient) -> None:
    sign_in(client, "nurse")
    assert client.get("/sites/harbour-childrens/audit").status_code == 403
    assert client.get("/api/sites/harbour-childrens/audit").status_code == 403


def test_logs_never_hold_names_or_birth_dates(
    client: TestClient, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    csrf = sign_in(client, "nurse")
    child_id = _register(client, csrf)
    client.get(f"/children/{child_id}")
    client.get("/children", params={"name": "Nguyễn"})
    client.post("/children", data={**CHILD_FORM, "date_of_birth": "2099-01-01", "csrf_token": csrf})
    logged = "\n".join(
        record.getMessage() for record in caplog.records if record.name.startswith("hipcare")
    )
    assert f"GET /children/{child_id} 200" in logged, "requests are logged"
    for secret in ("Nguy", "Ngoc", "2022-05-14", "2099", "0400", "nurse@example.org"):
        assert secret not in logged


def test_a_family_account_cannot_use_the_clinician_side(
    client: TestClient, uow: SqlAlchemyUnitOfWork, password_hash: str
) -> None:
    """Even a family account wrongly linked to a site gets 403, never a child's record."""
    csrf = sign_in(client, "nurse")
    child_id = _register(client, csrf)
    client.cookies.clear()
    with uow:
        uow.users.add(
            User(
                "parent@example.org",
                "A Parent",
                Role.FAMILY,
                None,
                frozenset({HARBOUR}),
                password_hash=password_hash,
            )
        )
        uow.commit()
    signed = client.post("/api/sign-in", json={"email": "parent@example.org", "password": PASSWORD})
    assert signed.status_code == 200
    assert signed.json()["user"]["role"] == "family"
    assert client.get(f"/children/{child_id}").status_code == 403
    assert client.get(f"/api/children/{child_id}").status_code == 403
    assert client.get("/api/children", params={"name": "nguyen"}).status_code == 403
    assert client.get("/api/me").status_code == 200
    headers = {"X-CSRF-Token": signed.json()["csrf_token"]}
    assert client.post("/api/sign-out", headers=headers).status_code == 204
