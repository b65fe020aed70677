"""The films-from-PACS use cases over every storage engine, with a hand-written fake PACS (the
real one, Orthanc, is in tests/integration/web/test_web_pacs.py): what is asked of the PACS,
what is refused before anything is fetched, the order of the results and the audit."""

from __future__ import annotations

import io
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

import pytest
from tests.fixtures.radiographs import SMALL, dicom_dataset, pelvis_pixels
from tests.support.staff import HARBOUR, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import ExternalSystemError, InvalidInputError
from hipcare.domain.records import AuditAction, EntityType
from hipcare.interop.radiograph.upload import read_uploaded_film
from hipcare.services.access import PermissionDeniedError
from hipcare.services.pacs import MAX_SERIES_IMAGES, pull_series, search_pacs
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import register_child

CONTENT = load_content()
FILM_DATE = date(2026, 2, 20)


@dataclass(frozen=True)
class Series:
    study_uid: str
    series_uid: str
    study_date: date | None
    modality: str = "DX"
    description: str = "AP pelvis"
    image_count: int | None = 1
    patient_id: str = "H100"


@dataclass
class FakePacs:
    """Answers from a list of series and their files; records every question it was asked."""

    series: list[Series] = field(default_factory=list)
    files: dict[str, list[bytes]] = field(default_factory=dict)
    asked: list[tuple[str, Any]] = field(default_factory=list)
    down: bool = False

    def search_series(
        self, *, patient_id: str, study_date: date | None, study_uid: str | None = None
    ) -> Sequence[Series]:
        self.asked.append(("search", (patient_id, study_date, study_uid)))
        if self.down:
            raise ExternalSystemError("pacs", "the PACS could not be reached to search")
        return [
            one
            for one in self.series
            if one.patient_id == patient_id
            and study_date in (None, one.study_date)
            and study_uid in (None, one.study_uid)
        ]

    def retrieve_series(self, *, study_uid: str, series_uid: str) -> Sequence[bytes]:
        self.asked.append(("retrieve", series_uid))
        return self.files.get(series_uid, [])


def _film(**identifiers: Any) -> bytes:
    ids = {
        "patient_id": "H100",
        "patient_name": "Nguyen^Zoe",
        "birth_date": date(2021, 5, 17),
        "study_date": FILM_DATE,
        **identifiers,
    }
    buffer = io.BytesIO()
    dicom_dataset(pelvis_pixels(*SMALL), identifiers=ids).save_as(buffer, enforce_file_format=True)
    return buffer.getvalue()


def _child(uow: UnitOfWork, actor: int, numbers: Sequence[str] = ("H100",)) -> int:
    child = register_child(
        uow,
        actor,
        {
            "given_name": "Zoë",
            "family_name": "Nguyễn",
            "date_of_birth": "2021-05-17",
            "site": HARBOUR,
            "hospital_numbers": [{"system": f"mrn-{n}", "value": n} for n in numbers],
        },
        today=TODAY,
        now=NOW,
        rules=CONTENT.surveillance_rules,
    )
    assert child.id is not None
    return child.id


def _actions(uow: UnitOfWork, child_id: int) -> list[AuditAction]:
    with uow:
        return [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, str(child_id))]


def _pull(uow: UnitOfWork, actor: int, child_id: int, pacs: FakePacs, series: str) -> Any:
    return pull_series(
        uow,
        actor,
        child_id,
        study_uid="1.1",
        series_uid=series,
        today=TODAY,
        now=NOW,
        pacs=pacs,
        read=read_uploaded_film,
    )


def test_every_hospital_number_is_searched_and_the_series_come_newest_first(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff.nurse, ("H100", "OLD-7"))
    pacs = FakePacs(
        [
            Series("1.1", "2.1", date(2025, 1, 1)),
            Series("1.2", "2.2", date(2026, 2, 1), patient_id="OLD-7"),
            Series("1.3", "2.3", date(2026, 2, 2), patient_id="SOMEONE-ELSE"),
        ]
    )
    found = search_pacs(uow, staff.nurse, child_id, study_date="", now=NOW, pacs=pacs)
    assert [one.series_uid for one in found.series] == ["2.2", "2.1"]
    assert found.hospital_numbers == ("H100", "OLD-7")
    assert [question for question, _ in pacs.asked] == ["search", "search"]
    assert _actions(uow, child_id).count(AuditAction.PACS_SEARCHED) == 1


def test_a_search_is_audited_even_when_the_pacs_does_not_answer(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff.nurse)
    with pytest.raises(ExternalSystemError, match="could not be reached"):
        search_pacs(uow, staff.nurse, child_id, study_date=None, now=NOW, pacs=FakePacs(down=True))
    assert AuditAction.PACS_SEARCHED in _actions(uow, child_id)


def test_a_matching_film_is_kept_as_an_upload_is(uow: UnitOfWork, staff: Staff) -> None:
    child_id = _child(uow, staff.nurse)
    pacs = FakePacs([Series("1.1", "2.1", FILM_DATE)], {"2.1": [_film()]})
    pulled = _pull(uow, staff.nurse, child_id, pacs, "2.1")
    assert pulled.refused == ()
    [film] = pulled.stored
    assert (film.child_id, film.film_date, film.identifier_warnings) == (child_id, FILM_DATE, ())
    with uow:
        assert [one.id for one in uow.radiographs.for_child(child_id)] == [film.id]


def test_another_patients_film_is_refused_with_each_differing_identifier(
    uow: UnitOfWork, staff: Staff
) -> None:
    """The Patient ID in the header differs from every hospital number the child carries."""
    child_id = _child(uow, staff.nurse)
    pacs = FakePacs([Series("1.1", "2.1", FILM_DATE)], {"2.1": [_film(patient_id="H999")]})
    pulled = _pull(uow, staff.nurse, child_id, pacs, "2.1")
    assert pulled.stored == ()
    [refusal] = pulled.refused
    assert refusal.image == 1
    assert [warning.split(":")[0] for warning in refusal.warnings] == ["PatientID"]
    assert "'H999' differs from the record's 'H100'" in refusal.warnings[0]
    with uow:
        assert list(uow.radiographs.for_child(child_id)) == []
    assert AuditAction.PACS_PULL_REFUSED in _actions(uow, child_id)


def test_a_series_not_listed_under_the_child_or_too_long_is_never_fetched(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff.nurse)
    pacs = FakePacs(
        [
            Series("1.1", "2.1", FILM_DATE, patient_id="SOMEONE-ELSE"),
            Series("1.1", "2.2", FILM_DATE, image_count=MAX_SERIES_IMAGES + 1),
        ],
        {"2.1": [_film()], "2.2": [_film()]},
    )
    with pytest.raises(InvalidInputError, match="lists no such series"):
        _pull(uow, staff.nurse, child_id, pacs, "2.1")
    with pytest.raises(InvalidInputError, match=f"holds {MAX_SERIES_IMAGES + 1} images"):
        _pull(uow, staff.nurse, child_id, pacs, "2.2")
    assert [question for question, _ in pacs.asked] == ["search", "search"]


def test_a_child_without_a_hospital_number_or_an_administrator_cannot_search(
    uow: UnitOfWork, staff: Staff
) -> None:
    child_id = _child(uow, staff.nurse, ())
    pacs = FakePacs([Series("1.1", "2.1", FILM_DATE)])
    with pytest.raises(InvalidInputError, match="no hospital number"):
        search_pacs(uow, staff.nurse, child_id, study_date=None, now=NOW, pacs=pacs)
    with pytest.raises(PermissionDeniedError):
        search_pacs(uow, staff.administrator, child_id, study_date=None, now=NOW, pacs=pacs)
    assert pacs.asked == []
