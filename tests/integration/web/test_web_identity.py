"""Hospital numbers, sex and likely duplicates through the API and the pages (issue 15)."""

from __future__ import annotations

from fastapi.testclient import TestClient
from web_support import CHILD_FORM, EMAILS, HARBOUR, PASSWORD, sign_in

BODY = {
    "given_name": "Zoë",
    "family_name": "Nguyễn",
    "date_of_birth": "2021-05-17",
    "site": HARBOUR,
    "administrative_sex": "female",
    "hospital_numbers": [{"system": "harbour-mrn", "value": "H100"}],
}


def _api(client: TestClient) -> dict[str, str]:
    signed = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": PASSWORD})
    return {"X-CSRF-Token": signed.json()["csrf_token"]}


def test_the_api_refuses_a_likely_duplicate_with_409_and_lists_it(client: TestClient) -> None:
    headers = _api(client)
    first = client.post("/api/children", json=BODY, headers=headers)
    assert first.status_code == 201, first.text
    assert first.json()["hospital_numbers"] == [{"system": "harbour-mrn", "value": "H100"}]
    assert first.json()["administrative_sex"] == "female"
    again = {**BODY, "given_name": "ZOE", "family_name": "NGUYEN", "hospital_numbers": []}
    refused = client.post("/api/children", json=again, headers=headers)
    assert refused.status_code == 409
    (duplicate,) = refused.json()["duplicates"]
    assert duplicate["id"] == first.json()["id"]
    assert (duplicate["family_name"], duplicate["given_name"]) == ("Nguyễn", "Zoë")
    assert duplicate["date_of_birth"] == "2021-05-17"


def test_the_api_registers_a_second_child_when_told_it_is_not_a_duplicate(
    client: TestClient,
) -> None:
    headers = _api(client)
    assert client.post("/api/children", json=BODY, headers=headers).status_code == 201
    confirmed = client.post(
        "/api/children", json={**BODY, "confirm_not_duplicate": True}, headers=headers
    )
    assert confirmed.status_code == 201
    found = client.get("/api/children", params={"name": "zoe"}).json()
    assert len(found) == 2
    assert {entry["hospital_numbers"][0]["value"] for entry in found} == {"H100"}


def test_the_page_shows_the_candidates_and_asks_before_registering_again(
    client: TestClient,
) -> None:
    csrf = sign_in(client, "nurse")
    form = {
        **CHILD_FORM,
        "administrative_sex": "male",
        "hospital_number_system": "harbour-mrn",
        "hospital_number_value": "H7",
        "csrf_token": csrf,
    }
    first = client.post("/children", data=form)
    assert first.status_code == 303
    child_page = client.get(first.headers["location"])
    assert "MRN H7 (harbour-mrn)" in child_page.text
    assert "<dt>Sex</dt><dd>male</dd>" in child_page.text
    asked = client.post("/children", data={**form, "hospital_number_value": ""})
    assert asked.status_code == 409
    assert "This child may be registered already" in asked.text
    assert f'href="{first.headers["location"]}"' in asked.text
    assert 'name="confirm_not_duplicate"' in asked.text
    confirmed = client.post(
        "/children", data={**form, "hospital_number_value": "", "confirm_not_duplicate": "yes"}
    )
    assert confirmed.status_code == 303
    listed = client.get("/children", params={"name": "ngoc"})
    assert "MRN H7" in listed.text
    assert "sex male" in listed.text
