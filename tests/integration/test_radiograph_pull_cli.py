"""``hipcare radiograph pull`` (issue 18 item 4) against a real Orthanc with its DICOMweb
plugin: films found by the child's hospital number and date, pulled onto the record as JSON;
another patient's film refused (exit 1); bad input one line and exit 2. Synthetic films."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from pydicom.dataset import Dataset
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from tests.support.orthanc import Orthanc, running_orthanc

from hipcare.bootstrap import load_content
from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.domain.records import AuditAction, EntityType, Profession, Role, Site, User
from hipcare.services.records import register_child
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)

MRN = "NRK-7781"
_UID_ROOT = "1.2.826.0.1.3680043.8.498.8"
IDENTIFIERS = {
    "patient_id": MRN,
    "patient_name": "Okafor^Chidi",
    "birth_date": date(2020, 8, 1),
    "study_date": date(2026, 10, 14),
}


def _film(identifiers: dict[str, Any], number: int) -> Dataset:
    ds = dicom_dataset(
        pelvis_pixels(*SMALL),
        identifiers={**identifiers, "study_instance_uid": f"{_UID_ROOT}.1.{number}"},
    )
    ds.SeriesInstanceUID = f"{_UID_ROOT}.2.{number}"
    ds.SOPInstanceUID = ds.file_meta.MediaStorageSOPInstanceUID = f"{_UID_ROOT}.3.{number}"
    return ds


@pytest.fixture(scope="module")
def orthanc(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Orthanc]:
    with running_orthanc(tmp_path_factory.mktemp("orthanc")) as server:
        yield server


@pytest.fixture
def environ(tmp_path: Path, orthanc: Orthanc) -> dict[str, str]:
    """A database with one clinician and one child (hospital number MRN); the PACS emptied."""
    orthanc.clear()
    url = f"sqlite:///{tmp_path / 'hipcare.sqlite3'}"
    upgrade_to_head(url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(create_database_engine(url)))
    with uow:
        uow.sites.add(Site("northern", "Northern Regional Kids Health"))
        clinician = uow.users.add(
            User("ortho@example.org", "Ola Ortho", Role.CLINICIAN, Profession.SURGEON, {"northern"})
        )
        uow.users.add(
            User("admin@example.org", "Ada Admin", Role.SITE_ADMINISTRATOR, None, {"northern"})
        )
        uow.commit()
    assert clinician.id is not None
    register_child(
        uow,
        clinician.id,
        {
            "given_name": "Chidi",
            "family_name": "Okafor",
            "date_of_birth": "2020-08-01",
            "site": "northern",
            "gmfcs": "IV",
            "hospital_numbers": [{"system": "Northern Regional", "value": MRN}],
        },
        today=date(2026, 11, 1),
        now=datetime(2026, 11, 1, 9, tzinfo=UTC),
        rules=load_content().surveillance_rules,
    )
    return {
        "HIPCARE_DATABASE_URL": url,
        "HIPCARE_DATA_DIR": str(tmp_path),
        "HIPCARE_DICOMWEB_URL": orthanc.dicomweb_url,
        "HIPCARE_DICOMWEB_USER": orthanc.username,
        "HIPCARE_DICOMWEB_PASSWORD": orthanc.password,
        "HIPCARE_ACTOR": "ortho@example.org",
    }


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


def _uow(environ: dict[str, str]) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(
        create_session_factory(create_database_engine(environ["HIPCARE_DATABASE_URL"]))
    )


def test_pull_by_date_keeps_the_childs_films_of_that_day_only(
    environ: dict[str, str], orthanc: Orthanc
) -> None:
    orthanc.store(_film(IDENTIFIERS, 1))
    orthanc.store(_film({**IDENTIFIERS, "study_date": date(2026, 9, 1)}, 2))
    orthanc.store(_film({**IDENTIFIERS, "patient_id": "NRK-0001"}, 3))
    status, out, err = _run(["radiograph", "pull", "--child", "1", "--date", "2026-10-14"], environ)
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert document["child_id"] == 1
    [series] = document["series"]
    assert (series["study_uid"], series["series_uid"]) == (f"{_UID_ROOT}.1.1", f"{_UID_ROOT}.2.1")
    assert (series["study_date"], series["modality"], series["refused"]) == ("2026-10-14", "DX", [])
    [stored] = series["stored"]
    assert stored["film_date"] == "2026-10-14"
    uow = _uow(environ)
    with uow:
        films = uow.radiographs.for_child(1)
        assert [film.id for film in films] == [stored["radiograph_id"]]
        actions = [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, "1")]
    assert AuditAction.PACS_SEARCHED in actions


def test_pull_of_a_named_series_of_another_patient_exits_1_and_keeps_nothing(
    environ: dict[str, str], orthanc: Orthanc
) -> None:
    """The Patient ID is the child's, the name and birth date in the file are not."""
    orthanc.store(
        _film({**IDENTIFIERS, "patient_name": "Doe^Jane", "birth_date": date(2015, 2, 2)}, 4)
    )
    argv = ["radiograph", "pull", "--child", "1", "--study", f"{_UID_ROOT}.1.4"]
    status, out, err = _run([*argv, "--series", f"{_UID_ROOT}.2.4"], environ)
    assert (status, err) == (1, "")
    [series] = json.loads(out)["series"]
    assert series["stored"] == []
    [refusal] = series["refused"]
    assert refusal["reason"].startswith("the patient in the file is not this child")
    assert [warning.split(":")[0] for warning in refusal["warnings"]] == [
        "PatientName",
        "PatientBirthDate",
    ]
    uow = _uow(environ)
    with uow:
        assert list(uow.radiographs.for_child(1)) == []


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--child", "1"], "hipcare radiograph: error: --date: give --date, or --study"),
        (["--child", "1", "--series", "1.2"], "--series: give --study too"),
        (
            ["--child", "1", "--date", "2026-13-01"],
            "--date: '2026-13-01' is not a real calendar date",
        ),
        (["--child", "1", "--study", "1.2.abc"], "--study: '1.2.abc' is not a DICOM UID"),
        (["--child", "x", "--date", "2026-10-14"], "expected a record id"),
        (["--child", "99", "--date", "2026-10-14"], "child_id: no child with id 99"),
        (["--child", "1", "--date", "2026-10-15"], "--date: the PACS holds no such series"),
        (
            ["--child", "1", "--date", "2026-10-14", "--as", "x@example.org"],
            "--as: no hipcare user",
        ),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    environ: dict[str, str], argv: list[str], message: str
) -> None:
    status, out, err = _run(["radiograph", "pull", *argv], environ)
    assert (status, out) == (2, "")
    assert message in err
    assert err.count("\n") == 1


def test_no_pacs_or_an_administrator_is_refused(environ: dict[str, str]) -> None:
    argv = ["radiograph", "pull", "--child", "1", "--date", "2026-10-14"]
    without = {key: value for key, value in environ.items() if "DICOMWEB" not in key}
    status, _, err = _run(argv, without)
    assert status == 2
    assert "HIPCARE_DICOMWEB_URL: is not set" in err
    status, _, err = _run([*argv, "--as", "admin@example.org"], environ)
    assert status == 2
    assert "only a clinician pulls films from the PACS" in err
