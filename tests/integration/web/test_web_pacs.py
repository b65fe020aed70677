"""Films from PACS end to end (issue 18 item 4): a real Orthanc with its DICOMweb plugin,
loaded through its REST API with synthetic films the test makes, searched (QIDO-RS) and
pulled (WADO-RS) through the child's page; another patient's film refused; on SQLite and
PostgreSQL. Never a real patient."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from pydicom.dataset import Dataset
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from tests.support.orthanc import Orthanc, running_orthanc
from web_support import CHILD_FORM, form_token, sign_in

from hipcare.domain.records import AuditAction, EntityType
from hipcare.settings import DicomWebSettings, Settings
from hipcare.storage import SqlAlchemyUnitOfWork

MRN = "HCH-0042"
CHILD = {
    "patient_id": MRN,
    "patient_name": "Nguyen^Ngoc Anh",
    "birth_date": date(2022, 5, 14),
    "study_date": date(2026, 2, 20),
}
_UID_ROOT = "1.2.826.0.1.3680043.8.498.7"


def _film(identifiers: dict[str, Any], number: int, *, description: str = "AP pelvis") -> Dataset:
    """A small synthetic AP pelvis film in study/series/instance ``number`` of its own."""
    ds = dicom_dataset(
        pelvis_pixels(*SMALL),
        identifiers={**identifiers, "study_instance_uid": f"{_UID_ROOT}.1.{number}"},
    )
    ds.SeriesInstanceUID = f"{_UID_ROOT}.2.{number}"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{_UID_ROOT}.3.{number}"
    ds.SeriesDescription = description
    return ds


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    with running_orthanc(tmp_path_factory.mktemp("orthanc")) as server:
        yield server


@pytest.fixture
def pacs(orthanc: Orthanc) -> Orthanc:
    """The running Orthanc, emptied before the test."""
    orthanc.clear()
    return orthanc


@pytest.fixture
def settings(database_url: str, tmp_path: Path, pacs: Orthanc) -> Settings:
    return Settings(
        database_url=database_url,
        data_dir=tmp_path,
        dicomweb=DicomWebSettings(pacs.dicomweb_url, pacs.username, pacs.password),
        secure_cookies=False,  # the test client speaks plain http
        public_url="http://testserver",
        admin_second_factor_required=False,
    )


def _register(client: TestClient, token: str, **extra: str) -> int:
    response = client.post("/children", data={**CHILD_FORM, **extra, "csrf_token": token})
    assert response.status_code == 303, response.text
    return int(response.headers["location"].rsplit("/", 1)[1])


def _child_with_mrn(client: TestClient) -> tuple[str, int]:
    token = sign_in(client, "nurse")
    child_id = _register(
        client, token, hospital_number_system="Harbour Children's", hospital_number_value=MRN
    )
    return token, child_id


def _rows(html: str) -> list[list[str]]:
    body = html.split("<tbody>", 1)[1].split("</tbody>", 1)[0] if "<tbody>" in html else ""
    return [
        [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td>(.*?)</td>", row, re.S)]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def _pull_fields(html: str) -> list[dict[str, str]]:
    return [
        dict(re.findall(r'name="(study_uid|series_uid)" value="([^"]+)"', form))
        for form in re.findall(
            r'<form method="post" action="[^"]*/pacs/pull">(.*?)</form>', html, re.S
        )
    ]


def _actions(uow: SqlAlchemyUnitOfWork, kind: EntityType, entity: int) -> list[str]:
    with uow:
        return [entry.action.value for entry in uow.audit.for_entity(kind, str(entity))]


def test_the_childs_series_are_found_by_hospital_number_and_date_and_pulled_onto_the_record(
    client: TestClient, uow: SqlAlchemyUnitOfWork, pacs: Orthanc
) -> None:
    """QIDO finds only the child's series of the day; WADO brings one onto the record."""
    pacs.store(_film(CHILD, 1))
    pacs.store(_film({**CHILD, "study_date": date(2026, 1, 5)}, 2, description="Earlier"))
    pacs.store(_film({**CHILD, "patient_id": "HCH-0043", "patient_name": "Other^Child"}, 3))
    token, child_id = _child_with_mrn(client)
    page = client.get(f"/children/{child_id}")
    assert f'action="/children/{child_id}/pacs"' in page.text  # the From PACS panel

    found = client.get(f"/children/{child_id}/pacs", params={"study_date": "2026-02-20"})
    assert found.status_code == 200, found.text
    assert _rows(found.text) == [["2026-02-20", "DX", "AP pelvis", "1", "Pull"]]
    every = client.get(f"/children/{child_id}/pacs")
    assert [row[:3] for row in _rows(every.text)] == [
        ["2026-02-20", "DX", "AP pelvis"],
        ["2026-01-05", "DX", "Earlier"],
    ]
    fields = _pull_fields(found.text)
    assert fields == [{"study_uid": f"{_UID_ROOT}.1.1", "series_uid": f"{_UID_ROOT}.2.1"}]

    pulled = client.post(
        f"/children/{child_id}/pacs/pull", data={**fields[0], "csrf_token": form_token(found.text)}
    )
    assert pulled.status_code == 200, pulled.text
    film_id = int(re.findall(r'href="/radiographs/(\d+)"', pulled.text)[0])
    viewer = client.get(f"/radiographs/{film_id}")
    assert 'data-columns="500" data-rows="600"' in viewer.text
    with uow:
        films = uow.radiographs.for_child(child_id)
        assert [(film.id, film.film_date, film.identifier_warnings) for film in films] == [
            (film_id, date(2026, 2, 20), ())
        ]
    assert _actions(uow, EntityType.CHILD, child_id).count(AuditAction.PACS_SEARCHED.value) == 2
    assert _actions(uow, EntityType.RADIOGRAPH, film_id)[0] == AuditAction.RADIOGRAPH_STORED.value
    del token


def test_a_film_of_another_patient_under_the_childs_hospital_number_is_refused_with_the_reason(
    client: TestClient, uow: SqlAlchemyUnitOfWork, pacs: Orthanc
) -> None:
    """The PACS's Patient ID matches, the name and birth date in the file do not: not kept."""
    pacs.store(_film({**CHILD, "patient_name": "Smith^John", "birth_date": date(2019, 1, 1)}, 4))
    _, child_id = _child_with_mrn(client)
    found = client.get(f"/children/{child_id}/pacs")
    fields = _pull_fields(found.text)
    assert len(fields) == 1
    refused = client.post(
        f"/children/{child_id}/pacs/pull", data={**fields[0], "csrf_token": form_token(found.text)}
    )
    assert refused.status_code == 422
    assert "the patient in the file is not this child" in refused.text
    assert "PatientName: the file&#39;s name &#39;Smith^John&#39; does not match" in refused.text
    assert "PatientBirthDate: the file&#39;s birth date 2019-01-01 differs" in refused.text
    with uow:
        assert list(uow.radiographs.for_child(child_id)) == []
    assert AuditAction.PACS_PULL_REFUSED.value in _actions(uow, EntityType.CHILD, child_id)


def test_a_series_not_listed_under_the_childs_hospital_number_is_not_fetched(
    client: TestClient, uow: SqlAlchemyUnitOfWork, pacs: Orthanc
) -> None:
    """Naming another patient's series by its UIDs is refused before any image is fetched."""
    pacs.store(_film({**CHILD, "patient_id": "HCH-0043"}, 5))
    token, child_id = _child_with_mrn(client)
    refused = client.post(
        f"/children/{child_id}/pacs/pull",
        data={
            "study_uid": f"{_UID_ROOT}.1.5",
            "series_uid": f"{_UID_ROOT}.2.5",
            "csrf_token": token,
        },
    )
    assert refused.status_code == 422
    assert "the PACS lists no such series under the child&#39;s hospital number" in refused.text
    with uow:
        assert list(uow.radiographs.for_child(child_id)) == []
    bad = client.post(
        f"/children/{child_id}/pacs/pull",
        data={"study_uid": "1.2.x", "series_uid": f"{_UID_ROOT}.2.5", "csrf_token": token},
    )
    assert bad.status_code == 422
    assert "is not a DICOM UID" in bad.text


def test_pulling_needs_the_csrf_token_and_a_clinician(
    client: TestClient, uow: SqlAlchemyUnitOfWork, pacs: Orthanc
) -> None:
    pacs.store(_film(CHILD, 6))
    _, child_id = _child_with_mrn(client)
    fields = {"study_uid": f"{_UID_ROOT}.1.6", "series_uid": f"{_UID_ROOT}.2.6"}
    assert client.post(f"/children/{child_id}/pacs/pull", data=fields).status_code == 403
    client.cookies.clear()
    token = sign_in(client, "administrator")
    assert client.get(f"/children/{child_id}/pacs").status_code == 403
    response = client.post(f"/children/{child_id}/pacs/pull", data={**fields, "csrf_token": token})
    assert response.status_code == 403
    with uow:
        assert list(uow.radiographs.for_child(child_id)) == []
    assert AuditAction.ACCESS_DENIED.value in _actions(uow, EntityType.CHILD, child_id)


def test_a_child_without_a_hospital_number_and_a_bad_date_are_told_so(
    client: TestClient, pacs: Orthanc
) -> None:
    token = sign_in(client, "nurse")
    child_id = _register(client, token)
    response = client.get(f"/children/{child_id}/pacs")
    assert response.status_code == 422
    assert "the child has no hospital number" in response.text
    with_number = _register(
        client,
        token,
        given_name="Minh",
        hospital_number_system="Harbour Children's",
        hospital_number_value=MRN,
    )
    bad = client.get(f"/children/{with_number}/pacs", params={"study_date": "2026-02-30"})
    assert bad.status_code == 422
    assert "is not a real calendar date" in bad.text


def test_a_pacs_that_refuses_the_credentials_is_reported_not_a_traceback(
    client: TestClient, settings: Settings, pacs: Orthanc
) -> None:
    from hipcare.web import create_app

    wrong = Settings(
        database_url=settings.database_url,
        data_dir=settings.data_dir,
        dicomweb=DicomWebSettings(pacs.dicomweb_url, pacs.username, "not-the-password"),
        secure_cookies=False,
        public_url="http://testserver",
        admin_second_factor_required=False,
    )
    _, child_id = _child_with_mrn(client)
    app = create_app(wrong)
    try:
        with TestClient(app, follow_redirects=False) as other:
            sign_in(other, "nurse")
            response = other.get(f"/children/{child_id}/pacs")
    finally:
        app.state.hipcare.engine.dispose()
    assert response.status_code == 502
    assert "the PACS refused hipcare&#39;s credentials" in response.text
