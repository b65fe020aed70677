"""FHIR import: round trip into an empty hipcare, idempotence, and rejections with reasons."""

from __future__ import annotations

import dataclasses
from typing import Any

import pytest
from fhir_support import NOW, TODAY, OpenUnitOfWork

from hipcare.bootstrap import load_content
from hipcare.content.pathway import load_pathway
from hipcare.domain.records import Child, Profession, Role, Site, User, VisitRecord
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.mapping import bundle, child_resources, organization
from hipcare.interop.fhir.reading import read_bundle
from hipcare.services.fhir import ImportReport, children_to_export, export_child, import_records
from hipcare.services.fhir_demo import seed_demo
from hipcare.storage import SqlAlchemyUnitOfWork

CONTENT = load_content()

PATHWAY = load_pathway()
HARBOUR = "harbour-childrens"
NORTHERN = "northern-regional"
OTHER_SYSTEM = "https://emr.example.net/patient-id"
OTHER_OBSERVATIONS = "https://emr.example.net/observation-id"


def _staff(uow: SqlAlchemyUnitOfWork, *, role: Role = Role.CLINICIAN) -> int:
    with uow:
        uow.sites.add(Site(HARBOUR, "Harbour Children's Hospital"))
        uow.sites.add(Site(NORTHERN, "Northern Regional Kids Health"))
        user = uow.users.add(
            User(
                "importer@example.org",
                "Imp Orter",
                role,
                Profession.NURSE if role is Role.CLINICIAN else None,
                frozenset({HARBOUR, NORTHERN}),
            )
        )
        uow.commit()
    assert user.id is not None
    return user.id


def _export_all(uow: SqlAlchemyUnitOfWork, actor: int) -> dict[str, Any]:
    resources: list[dict[str, Any]] = []
    sites = {}
    for child_id in children_to_export(uow, actor, now=NOW):
        record = export_child(uow, actor, child_id, now=NOW)
        sites[record.site.id] = organization(record.site)
        resources += child_resources(record, PATHWAY)
    return bundle([*sites.values(), *resources])


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
        rules=CONTENT.surveillance_rules,
    )


def _records(uow: SqlAlchemyUnitOfWork, actor: int) -> list[tuple[Child, list[VisitRecord]]]:
    """Every child and visit, without hipcare's own ids and entry times (which differ)."""
    found = []
    for child_id in children_to_export(uow, actor, now=NOW):
        record = export_child(uow, actor, child_id, now=NOW)
        visits = [
            dataclasses.replace(visit, id=None, child_id=1, recorded_by=1, recorded_at=NOW)
            for visit in record.visits
        ]
        found.append((dataclasses.replace(record.child, id=None), visits))
    return sorted(found, key=lambda item: (item[0].family_name, item[0].given_name))


def test_an_export_imported_into_an_empty_hipcare_reproduces_children_and_measures(
    source_url: str, target_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    source = unit_of_work(source_url)
    source_actor = seed_demo(source, today=TODAY, children=4, content=CONTENT)
    exported = _export_all(source, source_actor)
    target = unit_of_work(target_url)
    actor = _staff(target)

    report = _import(target, actor, exported)

    assert report.rejected == []
    assert len(report.children_created) == 4
    assert _records(target, actor) == _records(source, source_actor)
    visits = sum(len(visits) for _, visits in _records(source, source_actor))
    assert len(report.visits_created) == visits


def test_importing_the_same_bundle_again_changes_nothing(
    source_url: str, target_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    source = unit_of_work(source_url)
    exported = _export_all(source, seed_demo(source, today=TODAY, children=2, content=CONTENT))
    target = unit_of_work(target_url)
    actor = _staff(target)
    first = _import(target, actor, exported)
    before = _records(target, actor)

    second = _import(target, actor, exported)

    assert second.children_created == second.children_updated == []
    assert second.visits_created == second.visits_updated == []
    assert sorted(second.children_unchanged) == sorted(first.children_created)
    assert sorted(second.visits_unchanged) == sorted(first.visits_created)
    assert _records(target, actor) == before


def _patient(key: str, **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Patient",
        "id": key,
        "identifier": [{"system": OTHER_SYSTEM, "value": key}],
        "name": [{"family": "Karimi", "given": ["Sara"]}],
        "birthDate": "2019-05-04",
        "managingOrganization": {"identifier": {"system": codes.IDENTIFIER_SITE, "value": HARBOUR}},
    }
    resource.update(changes)
    return resource


def _measure(key: str, patient: str, value: float, **changes: Any) -> dict[str, Any]:
    resource = {
        "resourceType": "Observation",
        "identifier": [{"system": OTHER_OBSERVATIONS, "value": key}],
        "status": "final",
        "code": {
            "coding": [{"system": codes.CODE_SYSTEM_MEASURES, "code": "migration-percentage"}]
        },
        "subject": {"reference": f"urn:uuid:{patient}"},
        "effectiveDateTime": "2026-10-01T10:15:00+11:00",
        "bodySite": {"coding": [{"system": codes.SNOMED, "code": "287679003"}]},
        "valueQuantity": {"value": value, "system": codes.UCUM, "code": "%"},
    }
    resource.update(changes)
    return resource


def _foreign_bundle(*resources: dict[str, Any]) -> dict[str, Any]:
    """A transaction-less collection as another system might send: urn:uuid addresses."""
    entries = []
    for resource in resources:
        address = resource.get("id", f"x-{len(entries)}")
        entries.append({"fullUrl": f"urn:uuid:{address}", "resource": resource})
    return {"resourceType": "Bundle", "type": "collection", "entry": entries}


def test_a_changed_measure_updates_the_visit_it_was_imported_into(
    tmp_path: Any, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    actor = _staff(uow)
    first = _import(uow, actor, _foreign_bundle(_patient("p1"), _measure("m1", "p1", 31.0)))
    (visit_id,) = first.visits_created

    second = _import(uow, actor, _foreign_bundle(_patient("p1"), _measure("m1", "p1", 35.0)))

    assert second.visits_updated == [visit_id]
    with uow:
        visit = uow.visits.get(visit_id)
    assert visit is not None
    assert visit.visit_date.isoformat() == "2026-10-01"  # the date as written, not shifted
    assert visit.hips[0].migration_percentage_reported == 35.0


def test_each_unusable_resource_is_rejected_with_its_index_and_reason(
    tmp_path: Any, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    actor = _staff(uow)
    document = _foreign_bundle(
        _patient("good"),  # 0
        _patient("no-id", identifier=[]),  # 1
        _measure("m-ok", "good", 28.0),  # 2
        _measure(
            "m-loinc",
            "good",
            5.0,
            code={"coding": [{"system": codes.LOINC, "code": "72514-3"}]},
        ),  # 3
        _measure("m-side", "good", 20.0, bodySite={"text": "hip"}),  # 4
        _measure(
            "m-unit", "good", 0.2, valueQuantity={"value": 0.2, "system": codes.UCUM, "code": "1"}
        ),  # 5
        _measure("m-range", "good", 130.0, effectiveDateTime="2026-09-01"),  # 6
        _measure("m-orphan", "no-id", 12.0),  # 7
        _measure("m-born", "good", 10.0, effectiveDateTime="2010-01-01"),  # 8
        {"resourceType": "Encounter", "status": "finished"},  # 9
    )

    report = _import(uow, actor, document)

    reasons = {item.index: item.reason for item in report.rejected}
    assert sorted(reasons) == [1, 3, 4, 5, 6, 7, 8]
    assert "identifier" in reasons[1]
    assert reasons[3].startswith("code:")
    assert reasons[4].startswith("bodySite:")
    assert "UCUM '%'" in reasons[5]
    assert "outside 0 to 100" in reasons[6]
    assert reasons[7] == "its Patient was rejected"
    assert "birth" in reasons[8]
    assert len(report.children_created) == 1
    assert len(report.visits_created) == 1
    with uow:
        (visit,) = uow.visits.for_child(report.children_created[0])
    assert visit.hips[0].migration_percentage_reported == 28.0


def test_a_patient_of_a_site_the_user_does_not_belong_to_is_rejected_whole(
    tmp_path: Any, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    actor = _staff(uow)
    with uow:
        uow.sites.add(Site("elsewhere", "Elsewhere Hospital"))
        uow.commit()
    elsewhere = {"identifier": {"system": codes.IDENTIFIER_SITE, "value": "elsewhere"}}
    document = _foreign_bundle(
        _patient("p1", managingOrganization=elsewhere), _measure("m1", "p1", 40.0)
    )

    report = _import(uow, actor, document)

    assert [(item.index, item.resource_type) for item in report.rejected] == [
        (0, "Patient"),
        (1, "Observation"),
    ]
    assert "does not belong" in report.rejected[0].reason
    with uow:
        assert uow.children.at_site("elsewhere") == []


def test_a_measure_may_name_a_child_hipcare_already_knows_by_identifier(
    tmp_path: Any, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    actor = _staff(uow)
    created = _import(uow, actor, _foreign_bundle(_patient("p9")))
    by_identifier = {"identifier": {"system": OTHER_SYSTEM, "value": "p9"}}

    report = _import(uow, actor, _foreign_bundle(_measure("m9", "p9", 33.0, subject=by_identifier)))

    assert report.rejected == []
    with uow:
        (visit,) = uow.visits.for_child(created.children_created[0])
    assert visit.hips[0].migration_percentage_reported == 33.0


def test_only_a_clinician_imports_measures(tmp_path: Any, unit_of_work: OpenUnitOfWork) -> None:
    uow = unit_of_work(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    actor = _staff(uow, role=Role.SITE_ADMINISTRATOR)

    report = _import(uow, actor, _foreign_bundle(_patient("p1"), _measure("m1", "p1", 40.0)))

    assert len(report.children_created) == 1
    assert [item.index for item in report.rejected] == [1]
    assert "clinician" in report.rejected[0].reason


@pytest.mark.parametrize(
    "document",
    [{"resourceType": "Patient"}, [], {"resourceType": "Bundle", "entry": {}}],
)
def test_a_file_that_is_not_a_bundle_is_refused(document: object) -> None:
    from hipcare.domain.errors import InvalidInputError

    with pytest.raises(InvalidInputError):
        read_bundle(document)


def test_a_changed_patient_updates_the_child_and_their_contacts(
    source_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    """On both databases: level and contacts replaced in place, no second child (a changed
    name is a conflict since issue 15: see test_fhir_identity_conflicts.py)."""
    uow = unit_of_work(source_url)
    actor = _staff(uow)
    mother = {
        "resourceType": "RelatedPerson",
        "id": "r1",
        "patient": {"reference": "urn:uuid:p1"},
        "relationship": [{"coding": [{"code": "MTH", "display": "mother"}]}],
        "name": [{"given": ["Leila"], "family": "Karimi"}],
        "telecom": [{"system": "phone", "value": "0400 555 010"}],
    }
    first = _import(uow, actor, _foreign_bundle(_patient("p1"), mother))
    (child_id,) = first.children_created
    carer = {
        **mother,
        "name": [{"text": "Omid Karimi"}],
        "relationship": [{"text": "father"}],
        "telecom": [{"system": "email", "value": "omid@example.org"}],
    }
    level = {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": codes.CODE_SYSTEM_MEASURES, "code": "gmfcs-level"}]},
        "subject": {"reference": "urn:uuid:p1"},
        "valueCodeableConcept": {"coding": [{"system": codes.CODE_SYSTEM_GMFCS, "code": "V"}]},
    }

    second = _import(
        uow,
        actor,
        _foreign_bundle(
            _patient("p1", name=[{"family": "KARIMI", "given": ["Sara"]}]), carer, level
        ),
    )

    assert second.children_updated == [child_id]
    assert second.rejected == []
    with uow:
        (child,) = uow.children.at_site(HARBOUR)
    assert child.family_name == "Karimi", "the spelling hipcare holds is kept"
    assert child.gmfcs is not None
    assert child.gmfcs.value == "V"
    assert [(c.name, c.relationship, c.email) for c in child.contacts] == [
        ("Omid Karimi", "father", "omid@example.org")
    ]


def test_a_contact_without_phone_or_email_is_rejected_and_the_child_kept(
    tmp_path: Any, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(f"sqlite:///{tmp_path / 'h.sqlite3'}")
    actor = _staff(uow)
    silent = {
        "resourceType": "RelatedPerson",
        "patient": {"reference": "urn:uuid:p1"},
        "relationship": [{"text": "aunt"}],
        "name": [{"text": "Nadia Karimi"}],
    }

    report = _import(uow, actor, _foreign_bundle(_patient("p1"), silent))

    assert [(item.index, item.resource_type) for item in report.rejected] == [(1, "RelatedPerson")]
    assert "phone" in report.rejected[0].reason
    with uow:
        (child,) = uow.children.at_site(HARBOUR)
    assert child.contacts == ()
