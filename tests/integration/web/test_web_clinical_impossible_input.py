"""Clinician pages and API with numbers no record can have (non-ASCII digits, numbers past a
64-bit id or a float) and with a family session: the documented refusal, never a 500; on
SQLite and PostgreSQL."""

from __future__ import annotations

import io
import json
import re
from datetime import date
from pathlib import Path

import pytest
from clinical_flows import (
    IMPOSSIBLE_IDS,
    add_lee,
    api_sign_in,
    family_session,
    operation_document,
    register,
)
from fastapi import FastAPI
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from web_support import HARBOUR, Staff, sign_in

from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.web.models import RECORD_ID_MAX
from hipcare.web.routes import dashboard, fhir, operations, visits, worklist

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "sample_film.json").read_text()
)


@pytest.fixture
def lee(uow: SqlAlchemyUnitOfWork, password_hash: str, staff: Staff) -> int:
    """A Harbour surgeon whose preference profile is dr-lee (surgeons.toml)."""
    return add_lee(uow, password_hash)


def _listed(html: str) -> list[str]:
    return re.findall(r'href="/children/(\d+)"', html)


@pytest.mark.parametrize("show", [*IMPOSSIBLE_IDS, str(RECORD_ID_MAX)])
def test_the_worklist_reads_an_impossible_show_count_as_one_page(
    client: TestClient, show: str
) -> None:
    """A ``show`` that is no count (or too large) shows the first page, like ``show=abc``."""
    token = sign_in(client, "nurse")
    register(client, token)
    first_page = client.get(f"/sites/{HARBOUR}/worklist")
    response = client.get(f"/sites/{HARBOUR}/worklist", params={"show": show})
    assert response.status_code == first_page.status_code == 200
    assert _listed(response.text) == _listed(first_page.text)


@pytest.mark.parametrize("surgeon_id", IMPOSSIBLE_IDS)
def test_the_operation_form_asks_for_the_surgeon_when_the_id_is_impossible(
    client: TestClient, lee: int, surgeon_id: str
) -> None:
    """The form comes back (422) with the message next to the surgeon field."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    response = client.post(
        f"/children/{child_id}/operations",
        data={
            "csrf_token": token,
            "sides": "right",
            "procedures": ["vdro"],
            "implant": "Plate",
            "surgeon_id": surgeon_id,
            "surgery_date": "2026-04-20",
        },
    )
    assert response.status_code == 422
    assert '<p class="field-error" id="surgeon_id-error">choose the surgeon</p>' in response.text


@pytest.mark.parametrize("surgeon_id", [10**29, RECORD_ID_MAX + 1])
def test_the_operation_api_refuses_a_surgeon_id_past_the_largest_record_id(
    client: TestClient, lee: int, surgeon_id: int
) -> None:
    """``surgeon_id`` is bounded like every record id: 422 naming the field."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    headers = api_sign_in(client, "nurse@example.org")
    response = client.post(
        f"/api/children/{child_id}/operations",
        json=operation_document(child_id, surgeon_id),
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == "surgeon_id"
    assert set(response.json()) == {"field", "problem"}


def _film(client: TestClient) -> int:
    """A synthetic DICOM film of a newly registered child, uploaded by the nurse; its id."""
    token = sign_in(client, "nurse")
    child_id = register(client, token)
    dataset = dicom_dataset(
        pelvis_pixels(*SMALL),
        identifiers={
            "patient_id": "SYN-1",
            "patient_name": "Nguyen^Ngoc Anh",
            "birth_date": date(2022, 5, 14),
            "study_date": date(2026, 2, 20),
        },
    )
    buffer = io.BytesIO()
    dataset.save_as(buffer, enforce_file_format=True)
    uploaded = client.post(
        f"/children/{child_id}/radiographs",
        data={"csrf_token": token, "film_date": ""},
        files={"file": ("film.dcm", buffer.getvalue(), "application/octet-stream")},
    )
    assert uploaded.status_code == 303, uploaded.text
    return int(uploaded.headers["location"].rsplit("/", 1)[1])


@pytest.mark.parametrize(
    ("path", "axis"),
    [(("triradiate_right",), 0), (("right", "head_lateral"), 1), (("iliac_crest_left",), 0)],
)
def test_a_landmark_coordinate_too_large_for_a_float_is_refused_by_name(
    client: TestClient, path: tuple[str, ...], axis: int
) -> None:
    """A 400-digit JSON integer as a coordinate is a 422 naming the landmark."""
    film_id = _film(client)
    headers = api_sign_in(client, "nurse@example.org")
    landmarks = json.loads(json.dumps(SAMPLE["landmarks"]))
    point = landmarks
    for key in path:
        point = point[key]
    point[axis] = "HUGE"
    body = json.dumps({"landmarks": landmarks}).replace('"HUGE"', "1" + "0" * 400)
    response = client.post(
        f"/api/radiographs/{film_id}/readings",
        content=body,
        headers={**headers, "content-type": "application/json"},
    )
    assert response.status_code == 422, response.text
    assert response.json() == {
        "field": "landmarks." + ".".join(path),
        "problem": f"{'xy'[axis]} is far too large a number for an image pixel",
    }


# --- a family session on the clinician side ----------------------------------------------


def _clinician_routes() -> list[tuple[str, str]]:
    """Every (method, path) of the clinical pages and API and of /fhir (but its metadata)."""
    clinical = (visits, worklist, operations, dashboard)
    routers = (
        *(module.pages_router for module in clinical),
        *(module.api_router for module in clinical),
        fhir.router,
    )
    return [
        (method, route.path)
        for router in routers
        for route in router.routes
        if isinstance(route, APIRoute) and route.path != "/fhir/metadata"
        for method in sorted(route.methods)
        if method != "HEAD"
    ]


def test_the_clinician_routes_are_enumerated() -> None:
    """The list the refusal test walks holds the routes the review found open to families."""
    routes = _clinician_routes()
    assert ("GET", "/worklist") in routes
    assert ("GET", "/dashboard") in routes
    assert ("GET", "/fhir/Patient") in routes
    assert ("GET", "/fhir/PlanDefinition/{definition_id}") in routes
    assert len(routes) >= 25


@pytest.mark.parametrize(("method", "path"), _clinician_routes())
def test_a_family_account_is_refused_on_every_clinician_route(
    app: FastAPI, client: TestClient, password_hash: str, method: str, path: str
) -> None:
    """Even for its own child, a family session gets 403 (docs/web.md, "Roles")."""
    child_id, token = family_session(app, client, password_hash)
    url = re.sub(
        r"\{(\w+)\}",
        lambda found: {
            "child_id": str(child_id),
            "site_id": HARBOUR,
            "patient_id": f"child-{child_id}",
            "definition_id": "vdro-pathway",
            "item_id": "item",
        }.get(found.group(1), "1"),
        path,
    )
    if method == "GET":
        response = client.get(url, params={"name": "Ngoc"})
    elif path.startswith("/api/"):
        response = client.request(method, url, json={}, headers={"X-CSRF-Token": token})
    else:
        response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 403, response.text
    if path.startswith(("/api/", "/fhir/")):
        assert response.json()["field"] == "role"
    else:
        assert "This form has expired" not in response.text
    assert "Ngoc" not in response.text
