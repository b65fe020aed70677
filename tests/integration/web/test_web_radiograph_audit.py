"""The audit of films: every image served (preview, overlay; cached answers and 304s too) is
a ``radiograph.read`` row, refusals are ``access.denied`` rows, and the site administrator
finds every film row in the site's audit log; on SQLite and PostgreSQL. Films are synthetic
(tests/fixtures/radiographs.py), never a real patient."""

from __future__ import annotations

import io
import json
from datetime import date
from pathlib import Path
from typing import Any

from fastapi.testclient import TestClient
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from web_support import CHILD_FORM, EMAILS, HARBOUR, NORTHERN, PASSWORD, Staff, sign_in

from hipcare.domain.records import AuditAction, EntityType
from hipcare.storage import SqlAlchemyUnitOfWork

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "sample_film.json").read_text()
)
MATCHING = {
    "patient_id": "SYN-1",
    "patient_name": "Nguyen^Ngoc Anh",
    "birth_date": date(2022, 5, 14),
    "study_date": date(2026, 2, 20),
}
READ = AuditAction.RADIOGRAPH_READ.value
DENIED = AuditAction.ACCESS_DENIED.value


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {key: _scaled(item, factor) for key, item in value.items()}
    return [round(value[0] * factor, 2), round(value[1] * factor, 2)]


LANDMARKS = _scaled(SAMPLE["landmarks"], SMALL[1] / 2500)  # the small film is a fifth


def _switch_to(client: TestClient, who: str) -> str:
    client.cookies.clear()
    return sign_in(client, who)


def _api_headers(client: TestClient, who: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": EMAILS[who], "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _measured_film(client: TestClient) -> tuple[int, int]:
    """A Harbour child's matching DICOM film stored and measured by the nurse: (film, reading)."""
    token = _switch_to(client, "nurse")
    registered = client.post("/children", data={**CHILD_FORM, "csrf_token": token})
    assert registered.status_code == 303, registered.text
    child_id = int(registered.headers["location"].rsplit("/", 1)[1])
    buffer = io.BytesIO()
    dicom_dataset(pelvis_pixels(*SMALL), identifiers=MATCHING).save_as(
        buffer, enforce_file_format=True
    )
    stored = client.post(
        f"/children/{child_id}/radiographs",
        data={"csrf_token": token, "film_date": ""},
        files={"file": ("film.dcm", buffer.getvalue(), "application/octet-stream")},
    )
    assert stored.status_code == 303, stored.text
    film_id = int(stored.headers["location"].rsplit("/", 1)[1])
    saved = client.post(
        f"/api/radiographs/{film_id}/readings",
        json={"landmarks": LANDMARKS},
        headers=_api_headers(client, "nurse"),
    )
    assert saved.status_code == 201, saved.text
    return film_id, int(saved.json()["reading_id"])


def _film_rows(uow: SqlAlchemyUnitOfWork, film_id: int) -> list[tuple[int, str]]:
    with uow:
        entries = uow.audit.for_entity(EntityType.RADIOGRAPH, str(film_id))
        return [(entry.actor_id, entry.action.value) for entry in entries]


def _fetch_three_times(client: TestClient, path: str) -> None:
    """Fetch an image, fetch it again (answered from the app's cache), then revalidate (304)."""
    first = client.get(path)
    assert first.status_code == 200, first.text
    assert client.get(path).content == first.content
    revalidated = client.get(path, headers={"If-None-Match": first.headers["etag"]})
    assert revalidated.status_code == 304


def test_a_preview_fetched_directly_is_audited_as_a_read_every_time(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """No viewer page opened: each preview answer, cached or 304, writes one read row."""
    film_id, _ = _measured_film(client)
    before = len(_film_rows(uow, film_id))
    _switch_to(client, "surgeon")
    _fetch_three_times(client, f"/radiographs/{film_id}/preview.jpg?max_size=2048")
    assert _film_rows(uow, film_id)[before:] == [(staff.surgeon, READ)] * 3

    _switch_to(client, "physiotherapist")  # Northern only; the child is at Harbour
    assert client.get(f"/radiographs/{film_id}/preview.jpg?max_size=2048").status_code == 403
    assert _film_rows(uow, film_id)[before + 3 :] == [(staff.physiotherapist, DENIED)]


def test_an_overlay_fetched_directly_is_audited_as_a_read_every_time(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """Each overlay answer, 304 included, writes one read row; a missing reading writes none."""
    film_id, reading_id = _measured_film(client)
    before = len(_film_rows(uow, film_id))
    _switch_to(client, "surgeon")
    _fetch_three_times(client, f"/radiographs/{film_id}/readings/{reading_id}/overlay.png")
    assert client.get(f"/radiographs/{film_id}/readings/999999/overlay.png").status_code == 404
    assert _film_rows(uow, film_id)[before:] == [(staff.surgeon, READ)] * 3

    _switch_to(client, "physiotherapist")
    refused = client.get(f"/radiographs/{film_id}/readings/{reading_id}/overlay.png")
    assert refused.status_code == 403
    assert _film_rows(uow, film_id)[before + 3 :] == [(staff.physiotherapist, DENIED)]


def test_the_site_audit_log_shows_every_row_of_the_sites_films(
    client: TestClient, staff: Staff
) -> None:
    """Stored, measured, read and another site's refused attempt reach the film's site only."""
    film_id, _ = _measured_film(client)
    _switch_to(client, "surgeon")
    assert client.get(f"/radiographs/{film_id}/preview.jpg").status_code == 200
    _switch_to(client, "physiotherapist")
    assert client.get(f"/radiographs/{film_id}").status_code == 403

    _switch_to(client, "administrator")
    entries = client.get(f"/api/sites/{HARBOUR}/audit").json()
    film_rows = {
        (entry["actor_id"], entry["action"])
        for entry in entries
        if entry["entity_type"] == EntityType.RADIOGRAPH.value
        and entry["entity_id"] == str(film_id)
    }
    assert film_rows == {
        (staff.nurse, AuditAction.RADIOGRAPH_STORED.value),
        (staff.nurse, AuditAction.RADIOGRAPH_MEASURED.value),
        (staff.surgeon, READ),
        (staff.physiotherapist, DENIED),
    }
    page = client.get(f"/sites/{HARBOUR}/audit")
    assert page.status_code == 200
    assert f"radiograph {film_id}" in page.text
    for words in ("Stored a radiograph", "Measured a radiograph", "Viewed a radiograph"):
        assert words in page.text
    assert "Was refused access" in page.text

    _switch_to(client, "northern_administrator")
    northern = client.get(f"/api/sites/{NORTHERN}/audit").json()
    assert all(entry["entity_type"] != EntityType.RADIOGRAPH.value for entry in northern)
