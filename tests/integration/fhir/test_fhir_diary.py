"""Home-diary entries as QuestionnaireResponses of their Questionnaire, validated with R4B."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from fhir_checks import validate

from hipcare.domain.diary import (
    DiaryEntry,
    DiaryKind,
    MedicineGiven,
    NumericPain,
    RFlacc,
    SkinCheck,
    SkinFinding,
    Unwell,
)
from hipcare.interop.fhir.diary import diary_questionnaires, diary_resources, questionnaire_url

AT = datetime(2026, 11, 20, 18, 45, tzinfo=UTC)
ENTRIES = [
    DiaryEntry(3, AT, RFlacc(face=1, legs=2, activity=1, cry=0, consolability=1), "tense"),
    DiaryEntry(3, AT, NumericPain(7)),
    DiaryEntry(3, AT, SkinCheck(SkinFinding.RED_DOES_NOT_FADE, "left heel", has_photo=True)),
    DiaryEntry(3, AT, MedicineGiven(AT, "paracetamol")),
    DiaryEntry(3, AT, Unwell("fever since this morning")),
]
_TYPES = {
    "valueInteger": "integer",
    "valueString": ("string", "text"),
    "valueCoding": "choice",
    "valueBoolean": "boolean",
    "valueDateTime": "dateTime",
}


def test_every_questionnaire_validates_and_there_is_one_per_kind() -> None:
    questionnaires = diary_questionnaires()
    for questionnaire in questionnaires:
        validate(questionnaire)
    assert {q["url"] for q in questionnaires} == {questionnaire_url(kind) for kind in DiaryKind}


@pytest.mark.parametrize("entry", ENTRIES, ids=lambda entry: entry.kind.value)
def test_each_entry_answers_its_own_questionnaire(entry: DiaryEntry) -> None:
    """Every answered linkId is an item of the Questionnaire, with an answer of its type."""
    response, *rest = diary_resources(entry, 41)
    validate(response)
    (questionnaire,) = [q for q in diary_questionnaires() if q["url"] == response["questionnaire"]]
    items = {item["linkId"]: item for item in questionnaire["item"]}
    for answered in response["item"]:
        item = items[answered["linkId"]]
        (answer,) = answered["answer"]
        (kind,) = answer
        expected = _TYPES[kind]
        assert item["type"] in (expected if isinstance(expected, tuple) else (expected,))
    required = {link for link, item in items.items() if item.get("required")}
    assert required <= {answered["linkId"] for answered in response["item"]}
    for resource in rest:
        validate(resource)


def test_a_childs_pain_score_becomes_a_loinc_observation_derived_from_the_response() -> None:
    response, observation = diary_resources(ENTRIES[1], 8)
    assert observation["code"]["coding"][0] == {
        "system": "http://loinc.org",
        "code": "72514-3",
        "display": "Pain severity - 0-10 verbal numeric rating [Score] - Reported",
    }
    assert observation["valueInteger"] == 7
    assert observation["derivedFrom"] == [{"reference": f"QuestionnaireResponse/{response['id']}"}]


def test_an_r_flacc_total_is_a_local_code_and_the_sum_of_its_categories() -> None:
    response, observation = diary_resources(ENTRIES[0], 9)
    assert observation["code"]["coding"][0]["code"] == "r-flacc-total"
    assert observation["valueInteger"] == 5
    total = next(item for item in response["item"] if item["linkId"] == "total")
    assert total["answer"] == [{"valueInteger": 5}]


def test_entries_without_a_score_have_no_observation() -> None:
    assert [len(diary_resources(entry, 1)) for entry in ENTRIES[2:]] == [1, 1, 1]
