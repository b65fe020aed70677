"""FHIR export of stored records, validated with fhir.resources (R4B) and FHIRPath invariants."""

from __future__ import annotations

import copy
from collections.abc import Iterator
from typing import Any

import pytest
from fhir_checks import fhirpath, validate, validate_bundle
from fhir_support import NOW, TODAY
from pydantic import ValidationError

from hipcare.bootstrap import load_content
from hipcare.content.pathway import load_pathway
from hipcare.domain.records import AuditAction, EntityType, Role, Site, User
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.mapping import bundle, child_bundle, child_resources, organization
from hipcare.interop.fhir.plan_definition import activity_definitions, plan_definition
from hipcare.services.access import PermissionDeniedError
from hipcare.services.fhir import children_to_export, export_child
from hipcare.services.fhir_demo import seed_demo
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)

CONTENT = load_content()

PATHWAY = load_pathway()


@pytest.fixture(scope="module")
def demo(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[SqlAlchemyUnitOfWork, int]]:
    """Six synthetic children on SQLite (the seed goes through the use cases)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('demo') / 'demo.sqlite3'}"
    upgrade_to_head(url)
    engine = create_database_engine(url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    yield uow, seed_demo(uow, today=TODAY, children=6, content=CONTENT)
    engine.dispose()


def _bundles(demo: tuple[SqlAlchemyUnitOfWork, int]) -> list[dict[str, Any]]:
    uow, actor = demo
    return [
        child_bundle(
            export_child(uow, actor, child_id, now=NOW), PATHWAY, timestamp=NOW.isoformat()
        )
        for child_id in children_to_export(uow, actor, now=NOW)
    ]


def test_every_resource_of_the_demo_export_validates(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    """Each child's Bundle, every entry, and every reference resolving inside it."""
    seen: set[str] = set()
    for child in _bundles(demo):
        validate_bundle(child)
        seen |= {entry["resource"]["resourceType"] for entry in child["entry"]}
    for resource in [plan_definition(PATHWAY), *activity_definitions(PATHWAY)]:
        validate(resource)
    assert seen == {
        "Organization",
        "Patient",
        "RelatedPerson",
        "Condition",
        "Observation",
        "Procedure",
        "CarePlan",
        "Task",
    }


def test_the_validator_refuses_a_broken_resource(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    """The independent validator is not a rubber stamp: a wrong status or element fails."""
    patient = copy.deepcopy(_bundles(demo)[0]["entry"][1]["resource"])
    assert patient["resourceType"] == "Patient"
    patient["birthDate"] = "25/11/2020"
    with pytest.raises(ValidationError):
        validate(patient)
    observation = next(
        entry["resource"]
        for entry in _bundles(demo)[0]["entry"]
        if entry["resource"]["resourceType"] == "Observation"
    )
    observation["dataAbsentReason"] = {"text": "not measured"}
    with pytest.raises(AssertionError, match="obs-6"):
        validate(observation)


def test_observations_carry_each_stored_measure_with_its_side_and_unit(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    uow, actor = demo
    record = export_child(uow, actor, 1, now=NOW)
    bundle = child_bundle(record, PATHWAY)
    observations = {
        entry["resource"]["id"]: entry["resource"]
        for entry in bundle["entry"]
        if entry["resource"]["resourceType"] == "Observation"
    }
    for visit in record.visits:
        right = visit.hips[1] if visit.hips[0].side.value == "left" else visit.hips[0]
        observation = observations[f"visit-{visit.id}-right-migration-percentage"]
        assert observation["valueQuantity"]["value"] == right.migration_percentage_reported
        assert observation["valueQuantity"]["code"] == "%"
        assert observation["effectiveDateTime"] == visit.visit_date.isoformat()
        assert observation["bodySite"]["coding"][0]["code"] == "287579007"
        (raw,) = fhirpath(observation, "component.valueQuantity.value")
        assert float(raw) == right.migration_percentage_raw
        angle = observations[f"visit-{visit.id}-right-head-shaft-angle"]
        assert angle["valueQuantity"] == {
            "value": right.head_shaft_angle_deg,
            "unit": "°",
            "system": codes.UCUM,
            "code": "deg",
        }
    gmfcs = observations["child-1-gmfcs"]
    assert record.child.gmfcs is not None
    assert gmfcs["valueCodeableConcept"]["coding"][0]["code"] == record.child.gmfcs.value


def test_tasks_are_completed_exactly_for_the_items_the_family_ticked(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    uow, actor = demo
    record = export_child(uow, actor, 1, now=NOW)
    (operation,) = record.operations
    tasks = {
        entry["resource"]["code"]["coding"][0]["code"]: entry["resource"]
        for entry in child_bundle(record, PATHWAY)["entry"]
        if entry["resource"]["resourceType"] == "Task"
    }
    assert set(tasks) == {item.item_id for item in operation.items}
    for item in operation.items:
        assert tasks[item.item_id]["status"] == ("completed" if item.done else "requested")
        assert tasks[item.item_id]["restriction"]["period"]["start"] == item.due_date.isoformat()
    assert {task["status"] for task in tasks.values()} == {"completed", "requested"}


def test_the_cerebral_palsy_condition_uses_the_verified_snomed_code(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    bundle = _bundles(demo)[0]
    codings = fhirpath(bundle, "entry.resource.where(resourceType = 'Condition').code.coding.code")
    assert "128188000" in codings
    assert "157265008" not in codings  # displacement is not dislocation (codes.py)


def test_exporting_twice_gives_the_same_resources(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    assert _bundles(demo) == _bundles(demo)


def test_each_export_is_audited_with_ids_only(demo: tuple[SqlAlchemyUnitOfWork, int]) -> None:
    uow, actor = demo
    export_child(uow, actor, 2, now=NOW)
    with uow:
        entries = uow.audit.for_entity(EntityType.CHILD, "2")
    assert any(
        entry.action is AuditAction.CHILD_EXPORTED and entry.actor_id == actor for entry in entries
    )


def test_a_user_of_another_site_may_not_export_and_the_attempt_is_audited(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    uow, _ = demo
    with uow:
        outsider = uow.users.add(
            User("outsider@example.org", "Out Sider", Role.SITE_ADMINISTRATOR, None, frozenset())
        )
        uow.commit()
    assert outsider.id is not None
    with pytest.raises(PermissionDeniedError):
        export_child(uow, outsider.id, 1, now=NOW)
    with pytest.raises(PermissionDeniedError):
        children_to_export(uow, outsider.id, site_id="harbour-childrens", now=NOW)
    assert children_to_export(uow, outsider.id, now=NOW) == []
    with uow:
        actions = [entry.action for entry in uow.audit.by_actor(outsider.id)]
    assert actions == [AuditAction.ACCESS_DENIED, AuditAction.ACCESS_DENIED]


def test_the_site_becomes_an_organization_with_hipcares_site_identifier() -> None:
    resource = organization(Site("harbour-childrens", "Harbour Children's Hospital"))
    validate(resource)
    assert resource["identifier"] == [
        {"system": codes.IDENTIFIER_SITE, "value": "harbour-childrens"}
    ]


def test_an_operation_with_a_started_pathway_exports_the_facts_its_care_plan_came_from(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    """The stored items are exactly what the pathway engine plans for the exported facts."""
    from hipcare.services.pathway import make_plan

    uow, actor = demo
    (operation,) = export_child(uow, actor, 1, now=NOW).operations
    assert operation.facts is not None
    planned = [(item.id, item.date) for item in make_plan(operation.facts, content=CONTENT).items]
    stored = [(item.item_id, item.due_date) for item in operation.items]
    assert sorted(stored) == sorted(planned)


def test_diary_entries_export_as_responses_to_their_questionnaires_and_pain_observations(
    demo: tuple[SqlAlchemyUnitOfWork, int],
) -> None:
    """Read through the family side's use case (audited ``diary.read``), oldest first."""
    from hipcare.interop.fhir.diary import diary_questionnaires, diary_resources
    from hipcare.services.fhir import export_diary

    uow, actor = demo
    entries = export_diary(uow, actor, 1, now=NOW)
    assert [entry.kind.value for _, entry in entries] == ["skin", "pain-r-flacc", "pain-numeric"]
    resources = [r for entry_id, entry in entries for r in diary_resources(entry, entry_id)]
    record = export_child(uow, actor, 1, now=NOW)
    document = bundle(
        [
            organization(record.site),
            *child_resources(record, PATHWAY),
            *resources,
            *diary_questionnaires(),
        ]
    )
    validate_bundle(document)
    kinds = [r["resourceType"] for r in resources]
    assert kinds.count("QuestionnaireResponse") == 3
    assert kinds.count("Observation") == 2  # the two pain scores
    with uow:
        actions = [entry.action for entry in uow.audit.for_entity(EntityType.CHILD, "1")]
    assert AuditAction.DIARY_READ in actions
