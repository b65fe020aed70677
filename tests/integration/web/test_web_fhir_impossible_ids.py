"""``/fhir`` with ids no record can have (non-ASCII digits, numbers past a 64-bit id) and
with a family session: answered like an unknown id, or refused, never a 500; on SQLite and
PostgreSQL."""

from __future__ import annotations

import pytest
from clinical_flows import IMPOSSIBLE_IDS, family_session
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import sign_in

from hipcare.interop.fhir import codes

FHIR_JSON = "application/fhir+json"
UNKNOWN_ID = "424242"


@pytest.mark.parametrize("number", IMPOSSIBLE_IDS)
@pytest.mark.parametrize(
    "template", ["/fhir/Patient/child-{}", "/fhir/Patient/child-{}/$everything"]
)
def test_reading_a_patient_by_an_impossible_id_is_not_found_like_an_unknown_id(
    client: TestClient, template: str, number: str
) -> None:
    """The read (and $everything) answers 404 with a not-found OperationOutcome."""
    sign_in(client, "nurse")
    unknown = client.get(template.format(UNKNOWN_ID))
    response = client.get(template.format(number))
    assert response.status_code == unknown.status_code == 404
    assert response.headers["content-type"].startswith(FHIR_JSON)
    outcome = response.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == unknown.json()["issue"][0]["code"] == "not-found"


@pytest.mark.parametrize("number", IMPOSSIBLE_IDS)
@pytest.mark.parametrize(
    ("path", "parameter", "template"),
    [
        ("/fhir/Observation", "patient", "Patient/child-{}"),
        ("/fhir/Observation", "subject", "Patient/child-{}"),
        ("/fhir/Patient", "identifier", codes.IDENTIFIER_CHILD + "|{}"),
    ],
)
def test_searching_by_an_impossible_id_finds_nothing_like_an_unknown_id(
    client: TestClient, path: str, parameter: str, template: str, number: str
) -> None:
    """A search naming an impossible child gets the empty searchset an unknown child gets."""
    sign_in(client, "nurse")
    unknown = client.get(path, params={parameter: template.format(UNKNOWN_ID)})
    response = client.get(path, params={parameter: template.format(number)})
    assert response.status_code == unknown.status_code == 200
    assert response.headers["content-type"].startswith(FHIR_JSON)
    assert response.json() == unknown.json()
    assert response.json()["total"] == 0


@pytest.mark.parametrize(
    "path",
    [
        "/fhir/Patient?name=Ngoc",
        "/fhir/Patient?identifier=" + codes.IDENTIFIER_CHILD + "|{child}",
        "/fhir/Patient/child-{child}",
        "/fhir/Patient/child-{child}/$everything",
        "/fhir/Observation?patient=Patient/child-{child}",
        "/fhir/PlanDefinition/vdro-pathway",
    ],
)
def test_a_family_account_is_refused_under_fhir_even_for_its_own_child(
    app: FastAPI, client: TestClient, password_hash: str, path: str
) -> None:
    """/fhir is the care team's: a family session gets the role refusal (403), no record."""
    child_id, _ = family_session(app, client, password_hash)
    response = client.get(path.format(child=child_id))
    assert response.status_code == 403, response.text
    assert response.json()["field"] == "role"
    assert "Ngoc" not in response.text
