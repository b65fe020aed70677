"""The family's home diary as FHIR: a Questionnaire per kind of entry, a QuestionnaireResponse
per entry, and an Observation for each pain score.

Five Questionnaires (``{BASE}/Questionnaire/home-diary-{kind}``), one per
:class:`hipcare.domain.diary.DiaryKind`: r-FLACC (five categories 0-2 and the total, Malviya
2006), the child's own 0-10 rating (its item coded LOINC 72514-3), a skin check (plain-word
findings built on the NPIAP stages, from hipcare's ``skin-finding`` CodeSystem), a dose of pain
medicine, and "my child is unwell". Each entry becomes a QuestionnaireResponse (status
completed, ``authored`` = when the family wrote it); a pain score also becomes an Observation
derived from it: LOINC 72514-3 for the 0-10 rating, hipcare's local ``r-flacc-total`` for the
r-FLACC total (no verified LOINC code exists for FLACC; clinical spec section 6).

Pure: domain values in, JSON-shaped dicts out.
"""

from __future__ import annotations

from typing import Any

from hipcare.domain.diary import (
    R_FLACC_CATEGORIES,
    DiaryEntry,
    DiaryKind,
    MedicineGiven,
    NumericPain,
    RFlacc,
    SkinCheck,
    SkinFinding,
    Unwell,
)
from hipcare.interop.fhir import codes
from hipcare.interop.fhir.mapping import coding

__all__ = [
    "CODE_SYSTEM_SKIN_FINDING",
    "R_FLACC_TOTAL",
    "SKIN_FINDING_WORDS",
    "diary_questionnaires",
    "diary_resources",
    "questionnaire_url",
]

Resource = dict[str, Any]

CODE_SYSTEM_SKIN_FINDING = f"{codes.BASE_URL}/CodeSystem/skin-finding"
R_FLACC_TOTAL = ("r-flacc-total", "r-FLACC total score (0-10)")
_MIN = "http://hl7.org/fhir/StructureDefinition/minValue"
_MAX = "http://hl7.org/fhir/StructureDefinition/maxValue"
SKIN_FINDING_WORDS = {
    SkinFinding.NO_RED_AREAS: "No red areas",
    SkinFinding.RED_FADES: "A red area that fades when pressed",
    SkinFinding.RED_DOES_NOT_FADE: "A red area that does not fade when pressed (NPIAP stage 1)",
    SkinFinding.BROKEN_SKIN: "Broken skin or a blister (NPIAP stage 2)",
    SkinFinding.DEEP_WOUND: "A deep wound (NPIAP stage 3 or 4)",
    SkinFinding.DARK_PURPLE: "A dark purple or maroon area (NPIAP deep tissue injury)",
}


def questionnaire_url(kind: DiaryKind) -> str:
    return f"{codes.BASE_URL}/Questionnaire/home-diary-{kind.value}"


def _integer(link_id: str, text: str, high: int, **more: Any) -> Resource:
    return {
        "linkId": link_id,
        "text": text,
        "type": "integer",
        "required": True,
        "extension": [
            {"url": _MIN, "valueInteger": 0},
            {"url": _MAX, "valueInteger": high},
        ],
        **more,
    }


_NOTE = {"linkId": "note", "text": "Anything else you noticed", "type": "text"}


def _items(kind: DiaryKind) -> list[Resource]:
    if kind is DiaryKind.PAIN_R_FLACC:
        return [
            *(_integer(name, f"r-FLACC {name} (0-2)", 2) for name in R_FLACC_CATEGORIES),
            {**_integer("total", "r-FLACC total (0-10)", 10), "readOnly": True},
            _NOTE,
        ]
    if kind is DiaryKind.PAIN_NUMERIC:
        code, display = codes.LOINC_PAIN_SEVERITY_0_10
        return [
            _integer(
                "pain-score",
                "How much does it hurt, from 0 (no pain) to 10 (worst pain)?",
                10,
                code=[coding(codes.LOINC, code, display)],
            ),
            _NOTE,
        ]
    if kind is DiaryKind.SKIN:
        return [
            {
                "linkId": "finding",
                "text": "What did you see on your child's skin?",
                "type": "choice",
                "required": True,
                "answerOption": [
                    {"valueCoding": coding(CODE_SYSTEM_SKIN_FINDING, finding.value, words)}
                    for finding, words in SKIN_FINDING_WORDS.items()
                ],
            },
            {"linkId": "where", "text": "Where on the body?", "type": "string"},
            {"linkId": "has-photo", "text": "Photo added", "type": "boolean"},
            _NOTE,
        ]
    if kind is DiaryKind.MEDICINE:
        return [
            {
                "linkId": "given-at",
                "text": "When was it given?",
                "type": "dateTime",
                "required": True,
            },
            {"linkId": "medicine", "text": "Which medicine?", "type": "string", "required": True},
            _NOTE,
        ]
    return [
        {
            "linkId": "description",
            "text": "How is your child unwell?",
            "type": "text",
            "required": True,
        },
        _NOTE,
    ]


_TITLES = {
    DiaryKind.PAIN_R_FLACC: "Home diary: pain seen by the parent (r-FLACC)",
    DiaryKind.PAIN_NUMERIC: "Home diary: pain score given by the child (0-10)",
    DiaryKind.SKIN: "Home diary: skin check",
    DiaryKind.MEDICINE: "Home diary: pain medicine given",
    DiaryKind.UNWELL: "Home diary: my child is unwell",
}


def diary_questionnaires() -> list[Resource]:
    """One Questionnaire per kind of diary entry."""
    return [
        {
            "resourceType": "Questionnaire",
            "id": f"home-diary-{kind.value}",
            "url": questionnaire_url(kind),
            "name": "HomeDiary" + "".join(part.capitalize() for part in kind.value.split("-")),
            "title": _TITLES[kind],
            "status": "draft",
            "subjectType": ["Patient"],
            "item": _items(kind),
        }
        for kind in DiaryKind
    ]


def _answer(link_id: str, **value: Any) -> Resource:
    return {"linkId": link_id, "answer": [value]}


def _answers(entry: DiaryEntry) -> list[Resource]:
    measure = entry.measure
    if isinstance(measure, RFlacc):
        answers = [
            _answer(name, valueInteger=getattr(measure, name)) for name in R_FLACC_CATEGORIES
        ]
        answers.append(_answer("total", valueInteger=measure.total))
    elif isinstance(measure, NumericPain):
        answers = [_answer("pain-score", valueInteger=measure.score)]
    elif isinstance(measure, SkinCheck):
        finding = measure.finding
        answers = [
            _answer(
                "finding",
                valueCoding=coding(
                    CODE_SYSTEM_SKIN_FINDING, finding.value, SKIN_FINDING_WORDS[finding]
                ),
            )
        ]
        if measure.where:
            answers.append(_answer("where", valueString=measure.where))
        answers.append(_answer("has-photo", valueBoolean=measure.has_photo))
    elif isinstance(measure, MedicineGiven):
        answers = [
            _answer("given-at", valueDateTime=measure.given_at.isoformat()),
            _answer("medicine", valueString=measure.medicine),
        ]
    else:
        assert isinstance(measure, Unwell)  # noqa: S101 -- DiaryEntry admits these five only
        answers = [_answer("description", valueString=measure.description)]
    if entry.note:
        answers.append(_answer("note", valueString=entry.note))
    return answers


def diary_resources(entry: DiaryEntry, entry_id: int) -> list[Resource]:
    """The entry as a QuestionnaireResponse, plus an Observation when it is a pain score."""
    response_id = f"diary-{entry_id}"
    subject = {"reference": f"Patient/child-{entry.child_id}"}
    authored = entry.recorded_at.isoformat()
    resources: list[Resource] = [
        {
            "resourceType": "QuestionnaireResponse",
            "id": response_id,
            "questionnaire": questionnaire_url(entry.kind),
            "status": "completed",
            "subject": subject,
            "authored": authored,
            "item": _answers(entry),
        }
    ]
    measure = entry.measure
    if isinstance(measure, NumericPain | RFlacc):
        if isinstance(measure, NumericPain):
            code = coding(codes.LOINC, *codes.LOINC_PAIN_SEVERITY_0_10)
            value = measure.score
        else:
            code = coding(codes.CODE_SYSTEM_MEASURES, *R_FLACC_TOTAL)
            value = measure.total
        resources.append(
            {
                "resourceType": "Observation",
                "id": f"diary-{entry_id}-pain",
                "status": "final",
                "category": [
                    {
                        "coding": [coding(codes.OBSERVATION_CATEGORY, "survey", "Survey")],
                        "text": "Survey",
                    }
                ],
                "code": {"coding": [code], "text": code["display"]},
                "subject": subject,
                "effectiveDateTime": authored,
                "valueInteger": value,
                "derivedFrom": [{"reference": f"QuestionnaireResponse/{response_id}"}],
            }
        )
    return resources
