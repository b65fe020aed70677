"""The radiograph viewer's server side: upload (confirm, refuse), preview caching, saving a
reading, the blind second reading, overlays, authorisation and audit; on SQLite and
PostgreSQL. Films are synthetic (tests/fixtures/radiographs.py), never a real patient."""

from __future__ import annotations

import io
import json
import re
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from PIL import Image
from tests.fixtures.radiographs import (
    SMALL,
    dicom_dataset,
    not_an_image_bytes,
    pelvis_pixels,
    png_photo_bytes,
    truncated_dicom_bytes,
)
from web_support import CHILD_FORM, EMAILS, PASSWORD, Staff, form_token, sign_in

from hipcare.domain.records import AuditAction, EntityType
from hipcare.services.radiograph import measure_radiograph
from hipcare.services.radiographs import MAX_UPLOAD_BYTES
from hipcare.storage import SqlAlchemyUnitOfWork

SAMPLE = json.loads(
    (Path(__file__).resolve().parents[2] / "fixtures" / "sample_film.json").read_text()
)
SCALE = SMALL[1] / 2500  # the small film is the sample film at a fifth of its size
SPACING = [0.15, 0.15]
MATCHING = {
    "patient_id": "SYN-1",
    "patient_name": "Nguyen^Ngoc Anh",
    "birth_date": date(2022, 5, 14),
    "study_date": date(2026, 2, 20),
}


def _scaled(value: Any, factor: float) -> Any:
    if isinstance(value, dict):
        return {key: _scaled(item, factor) for key, item in value.items()}
    return [round(value[0] * factor, 2), round(value[1] * factor, 2)]


LANDMARKS = _scaled(SAMPLE["landmarks"], SCALE)


def _dicom(identifiers: dict[str, Any]) -> bytes:
    ds = dicom_dataset(pelvis_pixels(*SMALL), identifiers=identifiers)
    buffer = io.BytesIO()
    ds.save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _register(client: TestClient, token: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _upload(
    client: TestClient,
    token: str,
    child_id: int,
    data: bytes,
    *,
    name: str = "film.dcm",
    film_date: str = "",
    confirm: bool = False,
) -> Any:
    fields = {"csrf_token": token, "film_date": film_date}
    if confirm:
        fields["confirm_identifiers"] = "yes"
    return client.post(
        f"/children/{child_id}/radiographs",
        data=fields,
        files={"file": (name, data, "application/octet-stream")},
    )


def _film_id(response: Any) -> int:
    assert response.status_code == 303, response.text
    found = re.fullmatch(r"/radiographs/(\d+)", response.headers["location"])
    assert found, response.headers["location"]
    return int(found.group(1))


def _api_token(client: TestClient, who: str) -> dict[str, str]:
    client.cookies.clear()
    response = client.post("/api/sign-in", json={"email": EMAILS[who], "password": PASSWORD})
    assert response.status_code == 200, response.text
    return {"X-CSRF-Token": response.json()["csrf_token"]}


def _stored_film(client: TestClient) -> tuple[int, int]:
    """A child registered by the nurse and a matching DICOM film of theirs: (child, film)."""
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    return child_id, _film_id(_upload(client, token, child_id, _dicom(MATCHING)))


def _audit_actions(uow: SqlAlchemyUnitOfWork, kind: EntityType, entity: int) -> list[str]:
    with uow:
        return [entry.action.value for entry in uow.audit.for_entity(kind, str(entity))]


def test_a_matching_dicom_film_is_stored_read_and_audited(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    child_id, film_id = _stored_film(client)
    viewer = client.get(f"/radiographs/{film_id}")
    assert viewer.status_code == 200
    assert 'data-columns="500" data-rows="600"' in viewer.text
    assert "pixel spacing 0.15 × 0.15 mm (PixelSpacing)" in viewer.text
    page = client.get(f"/children/{child_id}")
    assert f'href="/radiographs/{film_id}"' in page.text
    assert 'Film of <time datetime="2026-02-20">' in page.text  # the study date was used
    assert _audit_actions(uow, EntityType.RADIOGRAPH, film_id) == [
        AuditAction.RADIOGRAPH_STORED.value,
        AuditAction.RADIOGRAPH_READ.value,
    ]


def test_mismatching_identifiers_are_shown_and_nothing_is_kept_until_confirmed(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    sibling = {**MATCHING, "patient_name": "Nguyen^Minh", "birth_date": date(2020, 1, 2)}
    refused = _upload(client, token, child_id, _dicom(sibling))
    assert refused.status_code == 422
    assert "Check whose film this is" in refused.text
    assert "PatientName: the file&#39;s name &#39;Nguyen^Minh&#39; does not match" in refused.text
    assert "2020-01-02 differs from the record" in refused.text
    assert "No radiograph file added yet." in client.get(f"/children/{child_id}").text

    film_id = _film_id(_upload(client, token, child_id, _dicom(sibling), confirm=True))
    viewer = client.get(f"/radiographs/{film_id}")
    assert "Stored after the clinician confirmed: PatientName:" in viewer.text


@pytest.mark.parametrize(
    ("data", "problem"),
    [
        (not_an_image_bytes(), "not a DICOM or PNG/JPEG file"),
        (truncated_dicom_bytes(), "pixel data truncated"),
        (b"", "choose the radiograph file"),
    ],
)
def test_a_file_that_is_not_a_readable_film_is_refused_and_nothing_kept(
    client: TestClient, uow: SqlAlchemyUnitOfWork, data: bytes, problem: str
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    response = _upload(client, token, child_id, data, confirm=True, film_date="2026-02-01")
    assert response.status_code == 422
    assert problem in response.text
    assert 'id="file-error"' in response.text
    assert "No radiograph file added yet." in client.get(f"/children/{child_id}").text


def test_a_photo_needs_a_date_and_a_confirmation_then_is_stored_without_spacing(
    client: TestClient,
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    unconfirmed = _upload(client, token, child_id, png_photo_bytes(), name="film.png")
    assert unconfirmed.status_code == 422
    assert "the file has no patient name" in unconfirmed.text
    undated = _upload(client, token, child_id, png_photo_bytes(), name="film.png", confirm=True)
    assert undated.status_code == 422
    assert "does not say when the film was taken" in undated.text
    film_id = _film_id(
        _upload(client, token, child_id, png_photo_bytes(), confirm=True, film_date="2026-01-15")
    )
    viewer = client.get(f"/radiographs/{film_id}")
    assert "no pixel spacing (a photo)" in viewer.text
    assert "data-spacing='null'" in viewer.text


def test_the_preview_is_a_windowed_jpeg_with_an_etag_and_private_caching(
    client: TestClient,
) -> None:
    _, film_id = _stored_film(client)
    first = client.get(f"/radiographs/{film_id}/preview.jpg?max_size=300")
    assert first.status_code == 200
    assert first.headers["content-type"] == "image/jpeg"
    assert first.headers["cache-control"] == "private, max-age=86400, immutable"
    assert Image.open(io.BytesIO(first.content)).size == (250, 300)
    etag = first.headers["etag"]
    again = client.get(
        f"/radiographs/{film_id}/preview.jpg?max_size=300", headers={"If-None-Match": etag}
    )
    assert again.status_code == 304
    assert again.content == b""
    windowed = client.get(
        f"/radiographs/{film_id}/preview.jpg?max_size=300&window_centre=9000&window_width=2000"
    )
    assert windowed.status_code == 200
    assert windowed.headers["etag"] != etag
    assert windowed.content != first.content
    pages = client.get(f"/radiographs/{film_id}")
    assert pages.headers["cache-control"] == "no-store"


def test_previews_of_one_film_asked_at_once_decode_it_once_and_answer_as_if_asked_alone(
    client: TestClient, app: FastAPI, uow: SqlAlchemyUnitOfWork
) -> None:
    """Eight previews of a film not yet in memory, asked together, each with its own window:
    one decode shared by all; every answer the one it is asked alone, every read audited."""
    _, film_id = _stored_film(client)
    urls = [
        f"/radiographs/{film_id}/preview.jpg?max_size=300"
        f"&window_centre={1000 + 500 * number}&window_width=2000"
        for number in range(8)
    ]
    start = threading.Barrier(len(urls))

    def ask(url: str) -> Any:
        start.wait()
        return client.get(url)

    with ThreadPoolExecutor(len(urls)) as pool:
        together = list(pool.map(ask, urls))
    assert [answer.status_code for answer in together] == [200] * len(urls)
    assert app.state.radiograph_recent_films.decodes_started == 1
    reads = _audit_actions(uow, EntityType.RADIOGRAPH, film_id)
    assert reads.count(AuditAction.RADIOGRAPH_READ.value) == len(urls)
    app.state.radiograph_previews = app.state.radiograph_recent_films = None  # a new process
    for url, answer in zip(urls, together, strict=True):
        alone = client.get(url)
        assert (alone.content, alone.headers["etag"]) == (answer.content, answer.headers["etag"])


def test_images_and_the_viewer_are_refused_to_another_site_and_to_no_session(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    _, film_id = _stored_film(client)
    etag = client.get(f"/radiographs/{film_id}/preview.jpg").headers["etag"]
    client.cookies.clear()
    assert client.get(f"/radiographs/{film_id}/preview.jpg").status_code == 303
    sign_in(client, "physiotherapist")  # Northern only; the child is at Harbour
    for path in (f"/radiographs/{film_id}", f"/radiographs/{film_id}/preview.jpg"):
        assert client.get(path).status_code == 403
    cached = client.get(f"/radiographs/{film_id}/preview.jpg", headers={"If-None-Match": etag})
    assert cached.status_code == 403  # a cached image is still checked
    headers = _api_token(client, "physiotherapist")
    saved = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS}, headers=headers
    )
    assert saved.status_code == 403
    denied = _audit_actions(uow, EntityType.RADIOGRAPH, film_id)
    assert denied.count(AuditAction.ACCESS_DENIED.value) == 4
    assert client.get("/radiographs/999999").status_code == 404


def test_a_saved_reading_keeps_the_landmarks_and_the_servers_measures_and_adds_to_the_trend(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    child_id, film_id = _stored_film(client)
    headers = _api_token(client, "nurse")
    response = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS}, headers=headers
    )
    assert response.status_code == 201, response.text
    expected = measure_radiograph({"landmarks": LANDMARKS, "pixel_spacing_mm": SPACING})
    body = response.json()
    assert body["measures"] == expected
    assert body["measures"]["right"]["migration_percentage"] == pytest.approx(45.0, abs=0.01)
    record = client.get(f"/api/children/{child_id}").json()
    visit = next(v for v in record["visits"] if v["visit_date"] == "2026-02-20")
    right = next(hip for hip in visit["hips"] if hip["side"] == "right")
    assert right["migration_percentage_reported"] == expected["right"]["migration_percentage"]
    with uow:
        stored = uow.visits.get(body["visit_id"])
        assert stored is not None
        assert stored.film is not None
        assert stored.film["landmarks"] == LANDMARKS
        assert stored.recorded_by == staff.nurse
    assert _audit_actions(uow, EntityType.RADIOGRAPH, film_id)[-1] == "radiograph.measured"
    assert _audit_actions(uow, EntityType.VISIT, body["visit_id"]) == ["visit.recorded"]
    viewer = client.get(f"/radiographs/{film_id}")
    assert "Saved readings (the server's values)" in viewer.text
    assert f'data-value="{expected["right"]["migration_percentage"]}"' in viewer.text


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"iliac_crest_right": [140, -20]}, "landmarks.iliac_crest_right"),
        (
            {"right": {**LANDMARKS["right"], "head_lateral": [-3, 212]}},
            "landmarks.right.head_lateral",
        ),
        ({"right": {"head_medial": [166, 212]}}, "landmarks.right.acetabulum_lateral"),
    ],
)
def test_landmarks_off_the_film_or_missing_are_refused_by_name(
    client: TestClient, change: dict[str, Any], field: str
) -> None:
    _, film_id = _stored_film(client)
    headers = _api_token(client, "nurse")
    response = client.post(
        f"/api/radiographs/{film_id}/readings",
        json={"landmarks": {**LANDMARKS, **change}},
        headers=headers,
    )
    assert response.status_code == 422
    assert response.json()["field"] == field


def test_saving_needs_the_csrf_token_and_a_clinician(client: TestClient) -> None:
    _, film_id = _stored_film(client)
    _api_token(client, "nurse")
    no_token = client.post(f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS})
    assert no_token.status_code == 403
    assert no_token.json()["field"] == "X-CSRF-Token"
    headers = _api_token(client, "administrator")
    by_administrator = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS}, headers=headers
    )
    assert by_administrator.status_code == 403


def test_a_second_clinician_measures_blind_then_sees_the_difference_against_the_error(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    child_id, film_id = _stored_film(client)
    nurse = _api_token(client, "nurse")
    first = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS}, headers=nurse
    )
    assert first.status_code == 201

    client.cookies.clear()
    sign_in(client, "surgeon")
    blind = client.get(f"/radiographs/{film_id}")
    assert "Blind reading:" in blind.text
    assert "Saved readings" not in blind.text
    assert "data-document='null'" in blind.text
    assert 'data-editable="true"' in blind.text
    child_page = client.get(f"/children/{child_id}").text
    assert "(the record's measure)" in child_page  # the record's reading stays visible

    moved = json.loads(json.dumps(LANDMARKS))
    moved["right"]["head_lateral"] = [moved["right"]["head_lateral"][0] - 8, 212]  # wider head
    moved["left"]["acetabulum_lateral"] = [362, 170]
    surgeon = _api_token(client, "surgeon")
    second = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": moved}, headers=surgeon
    )
    assert second.status_code == 201, second.text
    assert second.json()["visit_id"] is None  # one trend point per film
    again = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": moved}, headers=surgeon
    )
    assert again.status_code == 422
    assert again.json()["field"] == "reading"

    client.cookies.clear()
    sign_in(client, "surgeon")
    page = client.get(f"/radiographs/{film_id}").text
    one = first.json()["measures"]
    two = second.json()["measures"]
    difference = round(
        two["right"]["migration_percentage"] - one["right"]["migration_percentage"], 2
    )
    row = re.search(
        r'<tr data-side="right" data-measure="migration_percentage">(.*?)</tr>', page, re.S
    )
    assert row, page
    assert f'data-value="{difference}"' in row.group(1)
    assert ("within ±5.8" in row.group(1)) == (abs(difference) <= 5.8)
    assert abs(difference) > 5.8  # this change was chosen to exceed the published error
    assert "beyond ±5.8 points" in row.group(1)
    ai_row = re.search(
        r'<tr data-side="left" data-measure="acetabular_index_deg">(.*?)</tr>', page, re.S
    )
    assert ai_row
    ai_difference = two["left"]["acetabular_index_deg"] - one["left"]["acetabular_index_deg"]
    assert ("within ±2.6" in ai_row.group(1)) == (abs(ai_difference) <= 2.6)
    record = client.get(f"/api/children/{child_id}").json()
    assert len([v for v in record["visits"] if v["visit_date"] == "2026-02-20"]) == 1


def test_the_overlay_of_a_reading_is_kept_when_saved_and_shown_on_the_childs_page(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    """Saving a reading draws its small WebP overlay once; the page shows the kept image."""
    child_id, film_id = _stored_film(client)
    headers = _api_token(client, "nurse")
    reading = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": LANDMARKS}, headers=headers
    ).json()["reading_id"]
    with uow:
        kept = uow.radiographs.overlay(reading)
    assert kept is not None
    assert kept.media_type == "image/webp"
    assert max(kept.width, kept.height) <= 1024
    client.cookies.clear()
    sign_in(client, "nurse")
    page = client.get(f"/children/{child_id}").text
    path = f"/radiographs/{film_id}/readings/{reading}/overlay"
    assert f'src="{path}"' in page
    assert "right hip migration percentage 45.0%" in page
    assert "Print the films" in page
    overlay = client.get(path)
    assert overlay.status_code == 200
    assert overlay.headers["content-type"] == "image/webp"
    assert overlay.content == kept.content
    assert Image.open(io.BytesIO(overlay.content)).size == (500, 600)
    assert client.get(path, headers={"If-None-Match": overlay.headers["etag"]}).status_code == 304
    assert client.get(f"{path}.png").content == kept.content
    assert client.get(f"/radiographs/{film_id}/readings/999/overlay").status_code == 404


def test_the_upload_form_is_labelled_and_posts_with_the_csrf_token(client: TestClient) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    form = client.get(f"/children/{child_id}/radiographs/new")
    assert form.status_code == 200
    assert '<label for="file">' in form.text
    assert 'enctype="multipart/form-data"' in form.text
    assert form_token(form.text) == token
    refused = client.post(
        f"/children/{child_id}/radiographs",
        data={"csrf_token": "wrong"},
        files={"file": ("film.dcm", _dicom(MATCHING), "application/octet-stream")},
    )
    assert refused.status_code == 403


def test_a_file_larger_than_60_mb_is_refused_before_it_is_read(client: TestClient) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    response = _upload(client, token, child_id, b"\0" * (MAX_UPLOAD_BYTES + 1024 * 1024))
    assert response.status_code == 422
    assert "file: is larger than 60 MB" in response.text
    assert "No radiograph file added yet." in client.get(f"/children/{child_id}").text


def _moved(dx: float) -> Any:
    """The sample landmarks with each femoral head's lateral edge moved ``dx`` pixels
    towards the midline: 2 moves the MPs by 2.2 and 3.4 points, 6 by 7.2 and 11.1."""
    moved = json.loads(json.dumps(LANDMARKS))
    moved["right"]["head_lateral"][0] += dx
    moved["left"]["head_lateral"][0] -= dx
    return moved


def _save(client: TestClient, who: str, film_id: int, landmarks: Any) -> int:
    headers = _api_token(client, who)
    response = client.post(
        f"/api/radiographs/{film_id}/readings", json={"landmarks": landmarks}, headers=headers
    )
    assert response.status_code == 201, response.text
    return int(response.json()["reading_id"])


def _visit_mp(client: TestClient, child_id: int) -> float:
    record = client.get(f"/api/children/{child_id}").json()
    (visit,) = [v for v in record["visits"] if v["visit_date"] == "2026-02-20"]
    right = next(hip for hip in visit["hips"] if hip["side"] == "right")
    return float(right["migration_percentage_reported"])


def test_a_first_reading_is_provisional_and_surveillance_uses_it_marked_so(
    client: TestClient,
) -> None:
    """One reading: the record's measure, provisional, used by the engine, said on the page."""
    child_id, film_id = _stored_film(client)
    _save(client, "nurse", film_id, LANDMARKS)
    client.cookies.clear()
    sign_in(client, "nurse")
    page = client.get(f"/children/{child_id}").text
    summary = page[page.index('id="summary"') : page.index('aria-label="On this page"')]
    assert "Right <strong>45%</strong>" in summary
    assert "2026-02-20" in summary
    assert "provisional" in summary
    assert "(uses a provisional reading)" in summary
    assert "The latest film's measure is provisional" in page
    assert '(the record\'s measure), <span class="provisional">provisional</span>' in page


def test_an_agreeing_second_reading_confirms_the_first(
    client: TestClient, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """A second clinician's reading within 8.3 MP points per hip confirms the first
    (audited radiograph.confirmed); the record keeps the first reading's measure."""
    child_id, film_id = _stored_film(client)
    first = _save(client, "nurse", film_id, LANDMARKS)
    _save(client, "surgeon", film_id, _moved(2))
    with uow:
        readings = {reading.id: reading for reading in uow.radiographs.readings(film_id)}
    assert readings[first].confirmation is not None
    assert readings[first].confirmation.value == "second-reading"
    assert readings[first].confirmed_by == staff.surgeon
    assert AuditAction.RADIOGRAPH_CONFIRMED.value in _audit_actions(
        uow, EntityType.RADIOGRAPH, film_id
    )
    assert _visit_mp(client, child_id) == 45.0
    viewer = client.get(f"/radiographs/{film_id}").text
    assert "confirmed by Ada Surgeon's agreeing second reading" in viewer
    page = client.get(f"/children/{child_id}").text
    summary = page[page.index('id="summary"') : page.index('aria-label="On this page"')]
    assert "provisional" not in summary


def test_disagreeing_readings_stay_provisional_until_a_surgeon_confirms_one(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    """Readings more than 8.3 points apart confirm nothing; the surgeon confirms the nurse's
    reading, which becomes the visit's measure (audited), and the page says by whom."""
    child_id, film_id = _stored_film(client)
    _save(client, "surgeon", film_id, LANDMARKS)
    second = _save(client, "nurse", film_id, _moved(6))
    with uow:
        assert all(reading.provisional for reading in uow.radiographs.readings(film_id))
    headers = _api_token(client, "nurse")
    refused = client.post(
        f"/api/radiographs/{film_id}/readings/{second}/confirmation", headers=headers
    )
    assert refused.status_code == 403
    assert "only a surgeon confirms" in refused.json()["problem"]
    headers = _api_token(client, "surgeon")
    own = client.post(
        f"/api/radiographs/{film_id}/readings/{second - 1}/confirmation", headers=headers
    )
    assert own.status_code == 422
    assert own.json()["field"] == "reading"
    viewer = client.get(f"/radiographs/{film_id}").text
    assert f'action="/radiographs/{film_id}/readings/{second}/confirmation"' in viewer
    # On the child's page the surgeon may confirm the record's (first) reading only: their own.
    page = client.get(f"/children/{child_id}").text
    assert "Confirm this reading as the record" not in page
    confirmed = client.post(
        f"/radiographs/{film_id}/readings/{second}/confirmation",
        data={"csrf_token": headers["X-CSRF-Token"]},
    )
    assert confirmed.status_code == 303
    assert _visit_mp(client, child_id) == 37.83
    actions = _audit_actions(uow, EntityType.RADIOGRAPH, film_id)
    assert actions.count(AuditAction.RADIOGRAPH_CONFIRMED.value) == 1
    again = client.post(
        f"/api/radiographs/{film_id}/readings/{second}/confirmation", headers=headers
    )
    assert again.status_code == 422
    assert "already confirmed" in again.json()["problem"]
    client.cookies.clear()
    sign_in(client, "nurse")
    page = client.get(f"/children/{child_id}").text
    assert "confirmed by Ada Surgeon (surgeon)" in page
    assert "Right <strong>38%</strong>" in page
    with uow:
        (confirmed,) = [r for r in uow.radiographs.readings(film_id) if r.id == second]
    angle = confirmed.measures["right"]["neck_shaft_angle_deg"]
    form = client.get(f"/children/{child_id}/operations/new").text
    assert f"right hip {angle:g}° (film of 2026-02-20)" in form
    assert (
        'name="planner_neck_shaft_angle_deg" data-planner-field="neck_shaft_angle_deg" '
        f'inputmode="decimal" value="{angle:g}"' in form
    )


def test_a_surgeon_confirms_the_records_reading_from_the_childs_page(
    client: TestClient,
) -> None:
    """The surgeon who has not read the film sees the record's reading on the child's page
    with a button to confirm it; the nurse who made it does not."""
    child_id, film_id = _stored_film(client)
    reading = _save(client, "nurse", film_id, LANDMARKS)
    client.cookies.clear()
    sign_in(client, "nurse")
    assert "Confirm this reading as the record" not in client.get(f"/children/{child_id}").text
    client.cookies.clear()
    token = sign_in(client, "surgeon")
    page = client.get(f"/children/{child_id}").text
    assert f'action="/radiographs/{film_id}/readings/{reading}/confirmation"' in page
    confirmed = client.post(
        f"/radiographs/{film_id}/readings/{reading}/confirmation",
        data={"csrf_token": token, "child_id": str(child_id)},
    )
    assert confirmed.status_code == 303
    assert confirmed.headers["location"] == f"/children/{child_id}#radiographs"
    page = client.get(f"/children/{child_id}").text
    assert "confirmed by Ada Surgeon (surgeon)" in page
    assert "Confirm this reading as the record" not in page
