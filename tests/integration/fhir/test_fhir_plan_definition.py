"""The pathway as a PlanDefinition, and $apply agreeing with ``hipcare plan``."""

from __future__ import annotations

import base64
import datetime
import io
import json
from pathlib import Path
from typing import Any

import pytest
from fhir_checks import validate, validate_bundle
from hypothesis import given, settings
from hypothesis import strategies as st

from hipcare.bootstrap import load_content
from hipcare.cli import main
from hipcare.cli.command_io import CommandIO
from hipcare.content.pathway import load_pathway
from hipcare.interop.fhir.mapping import bundle
from hipcare.interop.fhir.plan_definition import (
    activity_definitions,
    apply_plan,
    plan_definition,
)
from hipcare.services.pathway import (
    make_plan,
    parse_facts,
    plan_entries,
    plan_identity,
    plan_language,
)

CONTENT = load_content()

FIXTURES = Path(__file__).resolve().parents[2] / "fixtures"
FACTS = ["facts_demo.json", "facts_both_dega_nwb.json", "facts_surgeon_defaults.json"]
PATHWAY = load_pathway()


def _run(*argv: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    status = main(list(argv), {}, io=CommandIO(io.StringIO(), out, err, {}))
    return status, out.getvalue(), err.getvalue()


def _applied(facts_document: dict[str, Any], lang: str | None = None) -> list[dict[str, Any]]:
    facts = parse_facts(facts_document, content=CONTENT)
    plan = make_plan(facts, content=CONTENT)
    words = plan_language(plan, lang, content=CONTENT)
    return apply_plan(
        PATHWAY,
        plan_entries(plan, words),
        patient_reference="Patient/child-1",
        plan_identity=plan_identity(facts),
        language=words.code,
        surgery_date=plan.surgery_date,
    )


def _with_patient(resources: list[dict[str, Any]]) -> dict[str, Any]:
    patient = {"resourceType": "Patient", "id": "child-1"}
    return bundle([patient, *resources])


def test_the_plan_definition_and_every_activity_definition_validate() -> None:
    definition = plan_definition(PATHWAY)
    validate(definition)
    activities = activity_definitions(PATHWAY)
    for activity in activities:
        validate(activity)
    urls = {activity["url"] for activity in activities}
    items = [action for phase in definition["action"] for action in phase.get("action", [])]
    assert sorted(action["id"] for action in items) == sorted(item.id for item in PATHWAY.items)
    assert {action["definitionCanonical"] for action in items} == urls


@pytest.mark.parametrize("name", FACTS)
def test_the_plan_definitions_timing_gives_each_items_date_in_the_plan(name: str) -> None:
    """Reading the offsets back from the PlanDefinition reproduces the engine's dates."""
    plan = make_plan(
        parse_facts(json.loads((FIXTURES / name).read_text(encoding="utf-8")), content=CONTENT),
        content=CONTENT,
    )
    anchors = {f"anchor-{anchor.value}": day for anchor, day in plan.anchors.items()}
    actions = {
        action["id"]: action
        for phase in plan_definition(PATHWAY)["action"]
        for action in phase.get("action", [])
    }
    sign = {"before-start": -1, "after-start": 1, "concurrent-with-start": 0}
    for item in plan.items:
        related = actions[item.id]["relatedAction"][0]
        offset = sign[related["relationship"]] * related["offsetDuration"]["value"]
        assert anchors[related["actionId"]] + datetime.timedelta(days=offset) == item.date


@pytest.mark.parametrize("name", FACTS)
def test_apply_gives_the_same_items_and_dates_as_hipcare_plan(name: str) -> None:
    path = str(FIXTURES / name)
    status, out, _ = _run("plan", "--facts", path, "--json")
    assert status == 0
    planned = json.loads(out)["items"]
    status, out, err = _run("fhir", "apply", "--facts", path, "--patient", "Patient/child-1")
    assert status == 0, err
    applied = json.loads(out)
    care_plan = applied["entry"][0]["resource"]
    tasks = [entry["resource"] for entry in applied["entry"][1:]]
    assert care_plan["resourceType"] == "CarePlan"
    assert [task["code"]["coding"][0]["code"] for task in tasks] == [i["id"] for i in planned]
    for task, item in zip(tasks, planned, strict=True):
        assert task["restriction"]["period"]["start"] == item["date"]
        assert task["restriction"]["period"]["end"] == (item["until"] or item["date"])
        assert item["title"] in task["description"]
        assert ("note" in task) == item["to_be_confirmed_by_clinical_lead"]
    validate_bundle(_with_patient([care_plan, *tasks]))


def test_apply_writes_the_tasks_in_the_childs_language() -> None:
    facts = json.loads((FIXTURES / "facts_surgeon_defaults.json").read_text(encoding="utf-8"))
    english = _applied(facts, "en")
    vietnamese = _applied(facts, "vi")
    assert vietnamese[0]["language"] == "vi"
    assert [t["restriction"] for t in vietnamese[1:]] == [t["restriction"] for t in english[1:]]
    assert vietnamese[1]["description"] != english[1]["description"]


@settings(max_examples=25, deadline=None)
@given(st.dates(min_value=datetime.date(2026, 1, 1), max_value=datetime.date(2032, 12, 31)))
def test_moving_the_surgery_moves_every_task_by_the_same_days(surgery: datetime.date) -> None:
    facts = json.loads((FIXTURES / "facts_demo.json").read_text(encoding="utf-8"))
    before = _applied(facts)
    moved = _applied({**facts, "surgery_date": surgery.isoformat()})
    shift = surgery - datetime.date.fromisoformat(facts["surgery_date"])
    assert [t["id"] for t in moved] == [t["id"] for t in before]
    for old, new in zip(before[1:], moved[1:], strict=True):
        old_start = datetime.date.fromisoformat(old["restriction"]["period"]["start"])
        assert new["restriction"]["period"]["start"] == (old_start + shift).isoformat()


@pytest.mark.slow
def test_apply_with_booklet_adds_the_pdf_as_a_document_reference_in_the_childs_language() -> None:
    status, out, err = _run(
        "fhir",
        "apply",
        "--facts",
        str(FIXTURES / "facts_demo.json"),
        "--patient",
        "Patient/child-1",
        "--lang",
        "ar",
        "--booklet",
    )
    assert status == 0, err
    document = json.loads(out)["entry"][-1]["resource"]
    assert document["resourceType"] == "DocumentReference"
    attachment = document["content"][0]["attachment"]
    assert attachment["language"] == "ar"
    assert attachment["contentType"] == "application/pdf"
    assert base64.b64decode(attachment["data"]).startswith(b"%PDF-")
    validate(document)
