"""The export against HL7's R4 JSON schema, with the definitions of its local codes, on the
installation's own base URL; trusted identifier systems on import; ``apply --patient``
(issue 15)."""

from __future__ import annotations

import copy
import io
import json
from collections.abc import Iterable, Iterator, Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from fhir_checks import schema_errors, validate, validate_bundle
from fhir_support import NOW, TODAY, OpenUnitOfWork

from hipcare.bootstrap import load_content
from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.domain.pathway import Procedure, Sides, WeightBearing
from hipcare.domain.records import (
    Child,
    EntityType,
    OperationPlan,
    OperationStatus,
    Profession,
    Role,
    Site,
    User,
)
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.definitions import definition_resources
from hipcare.interop.fhir.mapping import child_bundle, patient
from hipcare.interop.fhir.reading import read_bundle
from hipcare.services.fhir import ImportReport, export_child, import_records
from hipcare.services.fhir_demo import seed_demo
from hipcare.services.operation_outcomes import record_operation_outcome
from hipcare.services.records import record_visit
from hipcare.storage import (
    SqlAlchemyUnitOfWork,
    create_database_engine,
    create_session_factory,
    upgrade_to_head,
)

NORTH = "https://hipcare.north-hospital.example/fhir"
SOUTH = "https://hipcare.south-hospital.example/fhir"
HARBOUR = "harbour-childrens"


def _run(argv: list[str], environ: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(argv, environ, io=CommandIO(io.StringIO(), out, err, environ))
    return status, out.getvalue(), err.getvalue()


@pytest.fixture(scope="module")
def north_export(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``hipcare fhir export --demo`` on the north installation's base URL."""
    output = tmp_path_factory.mktemp("north") / "export"
    status, _, err = _run(
        ["fhir", "export", "--demo", "--output", str(output)], {"HIPCARE_FHIR_BASE_URL": NORTH}
    )
    assert status == 0, err
    return output


def _bundle(folder: Path) -> dict[str, Any]:
    document: dict[str, Any] = json.loads((folder / "bundle.json").read_text(encoding="utf-8"))
    return document


def _resources(document: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [entry["resource"] for entry in document["entry"]]


def _codings(value: object) -> Iterator[tuple[str, str]]:
    """Every (system, code) of a Coding anywhere inside ``value``."""
    if isinstance(value, Mapping):
        if isinstance(value.get("system"), str) and isinstance(value.get("code"), str):
            yield value["system"], value["code"]
        for item in value.values():
            yield from _codings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _codings(item)


def _extension_urls(value: object) -> Iterator[str]:
    if isinstance(value, Mapping):
        for extension in value.get("extension", []):
            yield extension["url"]
        for item in value.values():
            yield from _extension_urls(item)
    elif isinstance(value, list):
        for item in value:
            yield from _extension_urls(item)


def test_the_demo_export_is_valid_against_hl7s_r4_json_schema(north_export: Path) -> None:
    """Every resource and the Bundle around them: no error from HL7's own schema."""
    document = _bundle(north_export)
    assert schema_errors(document) == []
    types = {resource["resourceType"] for resource in _resources(document)}
    assert {"PlanDefinition", "CodeSystem", "StructureDefinition", "Patient"} <= types


def test_the_schema_is_no_rubber_stamp_it_refuses_r5s_cql_expression(north_export: Path) -> None:
    """The check that failed the export before (issue 15) fails a copy with the old value."""
    (plan,) = [
        r for r in _resources(_bundle(north_export)) if r["resourceType"] == "PlanDefinition"
    ]
    conditions = [c for action in plan["action"] for c in _actions_conditions(action)]
    assert conditions, "the pathway has conditions"
    assert {condition["expression"]["language"] for condition in conditions} == {"text/cql"}
    broken = copy.deepcopy(plan)
    first = next(c for action in broken["action"] for c in _actions_conditions(action))
    first["expression"]["language"] = "text/cql-expression"
    assert any("text/cql-expression" in error for error in schema_errors(broken))


def _actions_conditions(action: Mapping[str, Any]) -> Iterator[Any]:
    yield from action.get("condition", [])
    for nested in action.get("action", []):
        yield from _actions_conditions(nested)


def test_every_local_code_and_extension_is_defined_in_the_export(north_export: Path) -> None:
    """A CodeSystem for each local system used (holding each code used) and a
    StructureDefinition for each local extension."""
    resources = _resources(_bundle(north_export))
    defined = {
        r["url"]: {concept["code"] for concept in r["concept"]}
        for r in resources
        if r["resourceType"] == "CodeSystem"
    }
    used: dict[str, set[str]] = {}
    for system, code in _codings(resources):
        if system.startswith(codes.BASE_URL + "/CodeSystem/"):
            used.setdefault(system, set()).add(code)
    assert len(used) >= 7
    for system, used_codes in used.items():
        assert system in defined, f"no CodeSystem {system}"
        assert used_codes <= defined[system], f"{system}: {used_codes - defined[system]}"
    structure_definitions = {
        r["url"] for r in resources if r["resourceType"] == "StructureDefinition"
    }
    local_extensions = {url for url in _extension_urls(resources) if url.startswith(codes.BASE_URL)}
    assert codes.EXTENSION_GESTATION_AT_BIRTH in structure_definitions
    assert local_extensions <= structure_definitions


def test_the_definitions_validate_with_the_r4b_models_too() -> None:
    for resource in definition_resources(load_content().pathway):
        validate(resource)


def test_identifiers_full_urls_and_the_manifest_request_use_the_base_url(
    north_export: Path,
) -> None:
    document = _bundle(north_export)
    assert all(entry["fullUrl"].startswith(NORTH + "/") for entry in document["entry"])
    patients = [r for r in _resources(document) if r["resourceType"] == "Patient"]
    assert patients
    for resource in patients:
        assert resource["identifier"][0]["system"] == f"{NORTH}/sid/child-id"
    assert codes.IDENTIFIER_CHILD not in json.dumps(document)
    manifest = json.loads((north_export / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["request"] == f"{NORTH}/Patient/$export"


def test_two_installations_never_mint_the_same_identifier() -> None:
    child = Child(
        site_id=HARBOUR,
        given_name="Sara",
        family_name="Karimi",
        date_of_birth=TODAY - timedelta(days=2000),
        id=12,
    )
    north = patient(child, (), codes.LocalIdentifiers.from_base_url(NORTH))["identifier"]
    south = patient(child, (), codes.LocalIdentifiers.from_base_url(SOUTH))["identifier"]
    assert {(i["system"], i["value"]) for i in north}.isdisjoint(
        (i["system"], i["value"]) for i in south
    )


@pytest.mark.parametrize(
    ("value", "problem"),
    [("ftp://x.example/fhir", "absolute http(s) URL"), ("https://x.example/fhir?a=1", "query")],
)
def test_a_base_url_that_is_no_http_url_exits_2_naming_the_setting(
    tmp_path: Path, value: str, problem: str
) -> None:
    status, out, err = _run(
        ["fhir", "export", "--demo", "--output", str(tmp_path / "o")],
        {"HIPCARE_FHIR_BASE_URL": value},
    )
    assert status == 2
    assert out == ""
    assert err.startswith("hipcare fhir: error: HIPCARE_FHIR_BASE_URL: ")
    assert problem in err
    assert err.count("\n") == 1


@pytest.mark.parametrize(
    ("reference", "problem"),
    [("Patient/", "names no Patient id"), ("Patient/child 12", "is not a FHIR id")],
)
def test_apply_refuses_a_patient_reference_without_a_valid_id(
    tmp_path: Path, reference: str, problem: str
) -> None:
    facts = Path(__file__).resolve().parents[2] / "fixtures/facts_demo.json"
    status, out, err = _run(["fhir", "apply", "--facts", str(facts), "--patient", reference], {})
    assert status == 2
    assert out == ""
    assert err.startswith("hipcare fhir: error: --patient: ")
    assert problem in err


def test_apply_uses_the_base_url_for_full_urls() -> None:
    facts = Path(__file__).resolve().parents[2] / "fixtures/facts_demo.json"
    status, out, err = _run(
        ["fhir", "apply", "--facts", str(facts), "--patient", "Patient/child-12"],
        {"HIPCARE_FHIR_BASE_URL": SOUTH + "/"},
    )
    assert status == 0, err
    document = json.loads(out)
    assert all(entry["fullUrl"].startswith(SOUTH + "/") for entry in document["entry"])
    assert schema_errors(document) == []


# --- a postponed operation and an operation's outcome ----------------------------------------


@pytest.fixture
def seeded(tmp_path: Path) -> Iterator[tuple[str, SqlAlchemyUnitOfWork, int]]:
    """Two generated children in a SQLite file: (database URL, unit of work, clinician)."""
    url = f"sqlite:///{tmp_path / 'h.sqlite3'}"
    upgrade_to_head(url)
    engine = create_database_engine(url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))
    clinician = seed_demo(uow, today=TODAY, children=2, content=load_content())
    yield url, uow, clinician
    engine.dispose()


def _add_plan(uow: SqlAlchemyUnitOfWork, clinician: int, **fields: Any) -> int:
    with uow:
        plan = uow.operation_plans.add(
            OperationPlan(
                child_id=1,
                sides=fields.pop("sides", Sides.RIGHT),
                procedures=fields.pop("procedures", (Procedure.VDRO,)),
                implant="90 degree paediatric blade plate",
                surgeon_id=clinician,
                weight_bearing=WeightBearing.AS_TOLERATED,
                positioning_device=False,
                **fields,
            )
        )
        uow.commit()
    assert plan.id is not None
    return plan.id


def test_no_booklet_for_a_postponed_operation_without_a_care_plan(
    seeded: tuple[str, SqlAlchemyUnitOfWork, int], tmp_path: Path
) -> None:
    url, uow, clinician = seeded
    with uow:
        email = uow.users.get(clinician).email  # type: ignore[union-attr] -- seeded just now
        started = [
            plan.id
            for plan in uow.operation_plans.for_child(1)
            if plan.id is not None and uow.care_plan_items.for_operation_plan(plan.id)
        ]
    postponed = _add_plan(
        uow,
        clinician,
        status=OperationStatus.POSTPONED,
        surgery_date=TODAY + timedelta(days=40),
        wheelchair_user=True,
        attends_school=True,
        sees_therapists=True,
    )
    output = tmp_path / "export"
    status, _, err = _run(
        ["fhir", "export", "--child", "1", "--booklets", "--output", str(output), "--as", email],
        {"HIPCARE_DATABASE_URL": url},
    )
    assert status == 0, err
    resources = _resources(_bundle(output))
    documents = {r["id"] for r in resources if r["resourceType"] == "DocumentReference"}
    care_plans = {r["id"] for r in resources if r["resourceType"] == "CarePlan"}
    # The started care plans have their booklet; the postponed operation has neither.
    assert {f"operation-{plan}-care-plan" for plan in started} == care_plans
    assert {document.rsplit("-booklet-", 1)[0] for document in documents} == {
        f"operation-{plan}" for plan in started
    }
    (procedure,) = [r for r in resources if r["id"] == f"operation-{postponed}-vdro"]
    assert procedure["status"] == "on-hold"


def test_outcomes_are_procedures_encounters_and_migration_observations(
    seeded: tuple[str, SqlAlchemyUnitOfWork, int],
) -> None:
    """Issue 19: the stay, return to theatre, a re-operation, the plate removal, and the
    migration percentage before and about 1 year after, all valid and all linked."""
    _, uow, clinician = seeded
    surgery = TODAY - timedelta(days=400)
    with uow:
        born = uow.children.get(1).date_of_birth  # type: ignore[union-attr] -- seeded
    assert born < surgery - timedelta(days=60)
    for offset, migration in ((-30, 62.0), (370, 18.0)):
        record_visit(
            uow,
            clinician,
            1,
            {
                "visit_date": (surgery + timedelta(days=offset)).isoformat(),
                "xray": True,
                "right": {"migration_percentage_reported": migration},
            },
            today=TODAY,
            now=NOW,
            rules=load_content().surveillance_rules,
        )
    operation = _add_plan(
        uow,
        clinician,
        procedures=(Procedure.VDRO, Procedure.DEGA),
        status=OperationStatus.DONE,
        surgery_date=surgery,
    )
    day = lambda offset: (surgery + timedelta(days=offset)).isoformat()  # noqa: E731 -- a one-line date helper
    record_operation_outcome(
        uow,
        clinician,
        operation,
        {
            "admission_date": day(-1),
            "discharge_date": day(5),
            "complications": [{"grade": "III", "description": "screw loose", "date": day(3)}],
            "return_to_theatre": True,
            "reoperations": [{"side": "right", "date": day(200)}],
            "plate_removal_date": day(390),
        },
        NOW,
    )
    record = export_child(
        uow, clinician, 1, now=NOW, thresholds=load_content().outcome_content.thresholds
    )
    document = child_bundle(record, load_content().pathway, timestamp=NOW.isoformat())
    validate_bundle(document)
    by_id = {r["id"]: r for r in _resources(document)}
    vdro = f"Procedure/operation-{operation}-vdro"
    assert by_id[f"operation-{operation}-stay"]["resourceType"] == "Encounter"
    assert by_id[f"operation-{operation}-vdro"]["complication"][0]["coding"][0]["code"] == "III"
    theatre = by_id[f"operation-{operation}-return-to-theatre"]
    assert theatre["partOf"] == [{"reference": vdro}]
    reoperation = by_id[f"operation-{operation}-reoperation-1"]
    assert reoperation["performedDateTime"] == day(200)
    assert reoperation["code"]["coding"][0]["code"] == "reoperation"
    assert by_id[f"operation-{operation}-plate-removal"]["performedDateTime"] == day(390)
    before = by_id[f"operation-{operation}-right-migration-before"]
    after = by_id[f"operation-{operation}-right-migration-1-year"]
    assert before["valueQuantity"]["value"] == 62.0
    assert after["valueQuantity"]["value"] == 18.0
    assert before["partOf"] == [{"reference": vdro}]
    assert f"operation-{operation}-right-migration-2-years" not in by_id
    assert "screw loose" not in json.dumps(document)


# --- trusted identifier systems on import ----------------------------------------------------


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


def _patient_bundle(*identifiers: tuple[str, str]) -> dict[str, Any]:
    resource = {
        "resourceType": "Patient",
        "id": "p1",
        "identifier": [{"system": system, "value": value} for system, value in identifiers],
        "name": [{"family": "Karimi", "given": ["Sara"]}],
        "birthDate": "2019-05-04",
    }
    return {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [{"fullUrl": "urn:uuid:p1", "resource": resource}],
    }


def _import(
    uow: SqlAlchemyUnitOfWork, actor: int, document: object, trusted: Iterable[str] | None
) -> ImportReport:
    contents = read_bundle(document, default_site=HARBOUR)
    return import_records(
        uow,
        actor,
        contents.patients,
        contents.contacts,
        contents.measures,
        contents.rejected,
        today=TODAY,
        now=NOW,
        rules=load_content().surveillance_rules,
        trusted_systems=None if trusted is None else frozenset(trusted),
    )


def test_only_trusted_identifier_systems_find_or_are_kept_for_a_child(
    source_url: str, unit_of_work: OpenUnitOfWork
) -> None:
    uow = unit_of_work(source_url)
    actor = _staff(uow)
    hospital = ("urn:oid:1.2.36.146.595.217.0.1", "MRN-77")
    other = (f"{SOUTH}/sid/child-id", "5")
    first = _import(uow, actor, _patient_bundle(hospital, other), trusted=[hospital[0]])
    assert len(first.children_created) == 1
    (child_id,) = first.children_created
    with uow:
        kept = {
            (i.system, i.value)
            for i in uow.external_identifiers.for_entity(EntityType.CHILD, child_id)
        }
    assert kept == {hospital}
    # The untrusted identifier alone finds nobody: refused, and the child is unchanged.
    second = _import(uow, actor, _patient_bundle(other), trusted=[hospital[0]])
    assert second.children_created == second.children_updated == []
    (refusal,) = second.rejected
    assert refusal.index == 0
    assert "HIPCARE_FHIR_TRUSTED_SYSTEMS" in refusal.reason
    # The trusted one finds the child again: unchanged.
    third = _import(uow, actor, _patient_bundle(hospital), trusted=[hospital[0]])
    assert third.children_unchanged == [child_id]
