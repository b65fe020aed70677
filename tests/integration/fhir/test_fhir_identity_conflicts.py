"""FHIR import never moves one child's identity onto another: conflicts (issue 15)."""

from __future__ import annotations

from typing import Any

from fhir_support import NOW, TODAY, OpenUnitOfWork

from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.records import Child, Profession, Role, Site, User
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.reading import read_bundle
from hipcare.services.fhir import ImportReport, import_records
from hipcare.storage import SqlAlchemyUnitOfWork

HARBOUR = "harbour-childrens"
SHARED_SYSTEM = f"{codes.BASE_URL}/sid/child-id"
"""The identifier system two installations both minted before it became a setting."""

CHILDREN = [("Karimi", "Sara", "2019-05-04"), ("Haddad", "Ali", "2020-02-11")]


def _staff(uow: SqlAlchemyUnitOfWork) -> int:
    with uow:
        uow.sites.add(Site(HARBOUR, "Harbour Children's Hospital"))
        user = uow.users.add(
            User(
                "importer@example.org",
                "Imp Orter",
                Role.CLINICIAN,
                Profession.NURSE,
                frozenset({HARBOUR}),
            )
        )
        uow.commit()
    assert user.id is not None
    return user.id


def _patient(key: str, number: int, family: str, given: str, born: str) -> dict[str, Any]:
    return {
        "resourceType": "Patient",
        "id": key,
        "identifier": [{"system": SHARED_SYSTEM, "value": str(number)}],
        "name": [{"family": family, "given": [given]}],
        "birthDate": born,
        "managingOrganization": {"identifier": {"system": codes.IDENTIFIER_SITE, "value": HARBOUR}},
    }


def _bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    entries = [{"fullUrl": f"urn:uuid:{r['id']}", "resource": r} for r in resources]
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def _import(uow: SqlAlchemyUnitOfWork, actor: int, document: object) -> ImportReport:
    contents = read_bundle(document)
    return import_records(
        uow,
        actor,
        contents.patients,
        contents.contacts,
        contents.measures,
        contents.rejected,
        today=TODAY,
        now=NOW,
        rules=load_surveillance_rules(),
    )


def _children(uow: SqlAlchemyUnitOfWork) -> list[Child]:
    with uow:
        return list(uow.children.at_site(HARBOUR))


def test_a_second_installation_numbering_the_same_children_differently_changes_no_one(
    source_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    """Site A imports B's export, then C's export of the same children numbered one higher."""
    uow = unit_of_work(source_url)
    actor = _staff(uow)
    from_b = _bundle(*(_patient(f"b{n}", n, *child) for n, child in enumerate(CHILDREN, start=1)))
    first = _import(uow, actor, from_b)
    assert len(first.children_created) == 2
    before = _children(uow)
    from_c = _bundle(
        *(_patient(f"c{n}", n + 1, *child) for n, child in enumerate(CHILDREN, start=1))
    )

    second = _import(uow, actor, from_c)

    assert _children(uow) == before, "no child's name or birth date changed"
    assert second.children_updated == []
    conflict = second.conflicts[0]
    assert (conflict.index, conflict.resource_type, conflict.id) == (0, "Patient", "c1")
    assert "family name, given name, birth date differ" in conflict.reason
    assert second.as_document()["conflicts"][0]["id"] == "c1"


def test_two_patients_of_one_bundle_claiming_one_identifier_are_both_conflicts(
    source_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(source_url)
    actor = _staff(uow)
    report = _import(
        uow,
        actor,
        _bundle(_patient("p1", 7, *CHILDREN[0]), _patient("p2", 7, *CHILDREN[1])),
    )
    assert [(item.index, item.id) for item in report.conflicts] == [(0, "p1"), (1, "p2")]
    assert report.children_created == report.children_updated == []
    assert _children(uow) == []


def test_a_patient_agreeing_up_to_case_and_accents_updates_without_renaming(
    source_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(source_url)
    actor = _staff(uow)
    _import(uow, actor, _bundle(_patient("p1", 1, "Nguyễn", "Zoë", "2019-05-04")))
    report = _import(uow, actor, _bundle(_patient("p1", 1, "NGUYEN", "zoe", "2019-05-04")))
    assert report.conflicts == []
    ((child),) = _children(uow)
    assert (child.family_name, child.given_name) == ("Nguyễn", "Zoë")


def _measure(key: str, patient: str, value: float, body_site: str) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "id": key,
        "identifier": [{"system": "https://emr.example.net/observation-id", "value": key}],
        "status": "final",
        "code": {
            "coding": [{"system": codes.CODE_SYSTEM_MEASURES, "code": "migration-percentage"}]
        },
        "subject": {"reference": f"urn:uuid:{patient}"},
        "effectiveDateTime": "2026-10-01T10:15:00+11:00",
        "bodySite": {"coding": [{"system": codes.SNOMED, "code": body_site}]},
        "valueQuantity": {"value": value, "system": codes.UCUM, "code": "%"},
    }


RIGHT_HIP, LEFT_HIP = "287579007", "287679003"


def test_each_measure_of_one_day_stands_or_falls_on_its_own(
    source_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    """A bad right MP rejects only itself; a second right MP that day is listed, not lost."""
    uow = unit_of_work(source_url)
    actor = _staff(uow)
    report = _import(
        uow,
        actor,
        _bundle(
            _patient("p1", 1, *CHILDREN[0]),
            _measure("m1", "p1", 150, RIGHT_HIP),
            _measure("m2", "p1", 35, LEFT_HIP),
            _measure("m3", "p1", 30, LEFT_HIP),
        ),
    )
    assert len(report.visits_created) == 1
    reasons = {item.index: item.reason for item in report.rejected}
    assert sorted(reasons) == [1, 3]
    assert "150" in reasons[1]
    assert "entry 2" in reasons[3]
    with uow:
        (visit,) = uow.visits.for_child(report.children_created[0])
    (left,) = visit.hips
    assert left.migration_percentage_reported == 35
