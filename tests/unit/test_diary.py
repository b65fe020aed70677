"""The home diary's values and rules: r-FLACC and 0-10 scores, skin choices on the NPIAP stages,
thresholds from diary.toml with their sources, and the assessment of an entry."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.content.diary import DiaryContentError, load_diary_rules, parse_diary_rules
from hipcare.domain.diary import (
    R_FLACC_CATEGORIES,
    DiaryEntry,
    DiaryKind,
    DiaryRule,
    DiaryRules,
    MedicineGiven,
    NumericPain,
    RFlacc,
    RuleStatus,
    SkinCheck,
    SkinFinding,
    Unwell,
    Urgency,
    assess,
)
from hipcare.domain.errors import InvalidInputError

NOW = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
SCORE = st.integers(min_value=0, max_value=2)


def _entry(measure: object) -> DiaryEntry:
    return DiaryEntry(1, NOW, measure)  # type: ignore[arg-type]  # each test passes a measure


@given(SCORE, SCORE, SCORE, SCORE, SCORE)
def test_r_flacc_total_is_the_sum_of_five_categories_from_0_to_10(
    face: int, legs: int, activity: int, cry: int, consolability: int
) -> None:
    score = RFlacc(face, legs, activity, cry, consolability)
    assert score.total == face + legs + activity + cry + consolability
    assert 0 <= score.total <= 10


@given(SCORE, SCORE, SCORE, SCORE, SCORE)
def test_r_flacc_calls_the_team_exactly_from_7(
    face: int, legs: int, activity: int, cry: int, consolability: int
) -> None:
    """The local-protocol cut-off (diary.toml: r-flacc-severe, at_least = 7)."""
    score = RFlacc(face, legs, activity, cry, consolability)
    assessment = assess(_entry(score), load_diary_rules())
    assert assessment.raises_alert is (score.total >= 7)
    if score.total >= 7:
        assert assessment.to_be_confirmed, "a local-protocol cut-off says so"
        assert assessment.contact_roles == ("orthopaedic-nurse", "ward")
    elif score.total >= 4:
        assert assessment.urgency is Urgency.WATCH
    else:
        assert assessment.urgency is Urgency.NONE


@given(st.integers(min_value=0, max_value=10))
def test_numeric_pain_bands(score: int) -> None:
    urgency = assess(_entry(NumericPain(score)), load_diary_rules()).urgency
    expected = Urgency.CALL_TEAM if score >= 7 else Urgency.WATCH if score >= 4 else Urgency.NONE
    assert urgency is expected


@pytest.mark.parametrize(
    ("value", "field"),
    [
        (3, "r_flacc.face"),
        (-1, "r_flacc.face"),
        (1.5, "r_flacc.face"),
        (math.nan, "r_flacc.face"),
        (True, "r_flacc.face"),
        ("2", "r_flacc.face"),
    ],
)
def test_an_impossible_r_flacc_score_names_the_category(value: object, field: str) -> None:
    with pytest.raises(InvalidInputError) as error:
        RFlacc(value, 0, 0, 0, 0)  # type: ignore[arg-type]  # the point of the test
    assert error.value.field == field


@pytest.mark.parametrize("value", [11, -1, math.inf, 2.5, None])
def test_an_impossible_numeric_score_is_refused(value: object) -> None:
    with pytest.raises(InvalidInputError) as error:
        NumericPain(value)  # type: ignore[arg-type]  # the point of the test
    assert error.value.field == "pain_score"


def test_skin_findings_map_to_npiap_stages_and_alert_from_stage_1() -> None:
    rules = load_diary_rules()
    expected = {
        SkinFinding.NO_RED_AREAS: (None, False),
        SkinFinding.RED_FADES: (None, False),
        SkinFinding.RED_DOES_NOT_FADE: ("stage 1", True),
        SkinFinding.BROKEN_SKIN: ("stage 2", True),
        SkinFinding.DEEP_WOUND: ("stage 3 or 4", True),
        SkinFinding.DARK_PURPLE: ("deep tissue injury", True),
    }
    for finding, (stage, alert) in expected.items():
        assessment = assess(_entry(SkinCheck(finding)), rules)
        assert finding.npiap_stage == stage
        assert assessment.raises_alert is alert, finding
        if alert:
            assert not assessment.to_be_confirmed, "skin rules are read in the sources"


def test_unwell_alerts_and_medicine_does_not() -> None:
    rules = load_diary_rules()
    assert assess(_entry(Unwell("fever")), rules).raises_alert
    given = MedicineGiven(NOW - timedelta(hours=1), "paracetamol")
    assert assess(_entry(given), rules).urgency is Urgency.NONE


def test_entries_refuse_naive_times_and_empty_text() -> None:
    with pytest.raises(InvalidInputError) as naive:
        MedicineGiven(datetime(2026, 3, 2, 8, 0), "paracetamol")  # noqa: DTZ001 -- the point
    assert naive.value.field == "given_at"
    with pytest.raises(InvalidInputError) as empty:
        Unwell("   ")
    assert empty.value.field == "description"
    with pytest.raises(InvalidInputError) as long:
        Unwell("x" * 501)
    assert long.value.field == "description"
    local = MedicineGiven(datetime(2026, 3, 2, 19, 0, tzinfo=timezone(timedelta(hours=11))), "x")
    assert local.given_at == datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def test_every_shipped_rule_cites_its_source_and_local_ones_say_why() -> None:
    rules = load_diary_rules().rules
    assert {rule.kind for rule in rules} >= {
        DiaryKind.PAIN_R_FLACC,
        DiaryKind.PAIN_NUMERIC,
        DiaryKind.SKIN,
        DiaryKind.UNWELL,
    }
    for rule in rules:
        assert rule.source
        assert rule.section
        if rule.status is RuleStatus.LOCAL_PROTOCOL:
            assert rule.note
    r_flacc = next(rule for rule in rules if rule.id == "r-flacc-severe")
    assert "Malviya" in r_flacc.source
    assert "Pedersen" in r_flacc.source
    numeric = next(rule for rule in rules if rule.id == "numeric-severe")
    assert "72514-3" in numeric.source


def test_the_rules_file_refuses_a_rule_without_its_source() -> None:
    text = """
[[rule]]
id = "x"
kind = "pain-numeric"
at_least = 7
urgency = "call-team"
contact_roles = ["ward"]
advice = "Call."
section = "s"
status = "guideline"
"""
    with pytest.raises(DiaryContentError, match="source"):
        parse_diary_rules(text)
    with pytest.raises(DiaryContentError, match="note"):
        parse_diary_rules(
            text.replace('section = "s"', 'section = "s"\nsource = "y"').replace(
                "guideline", "local-protocol"
            )
        )
    with pytest.raises(DiaryContentError, match="contact_roles"):
        parse_diary_rules(
            text.replace('section = "s"', 'section = "s"\nsource = "y"').replace(
                'contact_roles = ["ward"]\n', ""
            )
        )


def test_r_flacc_categories_are_the_five_of_the_scale() -> None:
    assert R_FLACC_CATEGORIES == ("face", "legs", "activity", "cry", "consolability")


@pytest.mark.parametrize(
    ("build", "field"),
    [
        (lambda: MedicineGiven("2026-03-02T08:00Z", "paracetamol"), "given_at"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: DiaryEntry(1, NOW.date(), Unwell("fever")), "recorded_at"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: Unwell(38.5), "description"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: Unwell(None), "description"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: SkinCheck(SkinFinding.RED_FADES, where=["hip"]), "skin_where"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: SkinCheck("red-fades"), "skin_finding"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: DiaryEntry(0, NOW, Unwell("fever")), "child_id"),
        (lambda: DiaryEntry(True, NOW, Unwell("fever")), "child_id"),
        (lambda: DiaryEntry("1", NOW, Unwell("fever")), "child_id"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: DiaryEntry(1, NOW, "unwell"), "kind"),  # type: ignore[arg-type]  # the mistake under test
        (lambda: DiaryEntry(1, NOW, Unwell("fever"), note=7), "note"),  # type: ignore[arg-type]  # the mistake under test
    ],
)
def test_an_impossible_diary_entry_is_refused_naming_the_field(build: Any, field: str) -> None:
    with pytest.raises(InvalidInputError) as caught:
        build()
    assert caught.value.field == field


def test_an_entry_without_a_note_or_place_keeps_empty_text() -> None:
    """A missing (None) note or skin place is kept as empty text, not refused."""
    entry = DiaryEntry(1, NOW, SkinCheck(SkinFinding.RED_FADES, where=None), note=None)  # type: ignore[arg-type]  # None is what a form without the field hands in
    assert entry.note == ""
    assert isinstance(entry.measure, SkinCheck)
    assert entry.measure.where == ""


def test_a_skin_finding_is_refused_with_the_choices() -> None:
    """Refusing a finding that is not a SkinFinding lists the plain-language choices."""
    with pytest.raises(InvalidInputError) as caught:
        SkinCheck("red")  # type: ignore[arg-type]  # the mistake under test
    assert caught.value.field == "skin_finding"
    assert all(finding.value in caught.value.problem for finding in SkinFinding)


def _rule(**changes: Any) -> DiaryRule:
    values: dict[str, Any] = {
        "id": "numeric-moderate",
        "kind": DiaryKind.PAIN_NUMERIC,
        "urgency": Urgency.WATCH,
        "advice": "Give pain medicine and score again in an hour.",
        "source": "LOINC 72514-3",
        "section": "clinical spec 5",
        "status": RuleStatus.GUIDELINE,
        "at_least": 4,
    }
    values.update(changes)
    return DiaryRule(**values)


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"id": ""}, "diary rule ''.id"),
        ({"id": None}, "diary rule None.id"),
        ({"advice": "  "}, "diary rule 'numeric-moderate'.advice"),
        ({"source": ""}, "diary rule 'numeric-moderate'.source"),
        ({"section": 5}, "diary rule 'numeric-moderate'.section"),
        ({"at_least": None}, "diary rule 'numeric-moderate'.at_least"),
        ({"at_least": 11}, "diary rule 'numeric-moderate'.at_least"),
        ({"at_least": -1}, "diary rule 'numeric-moderate'.at_least"),
        (
            {"kind": DiaryKind.PAIN_R_FLACC, "at_least": 11},
            "diary rule 'numeric-moderate'.at_least",
        ),
        ({"kind": DiaryKind.SKIN, "at_least": None}, "diary rule 'numeric-moderate'.findings"),
    ],
)
def test_an_impossible_diary_rule_is_refused_naming_the_field(
    changes: dict[str, Any], field: str
) -> None:
    with pytest.raises(InvalidInputError) as caught:
        _rule(**changes)
    assert caught.value.field == field


def test_diary_rules_refuse_two_rules_with_one_id() -> None:
    with pytest.raises(InvalidInputError) as caught:
        DiaryRules((_rule(), _rule(at_least=5)))
    assert caught.value.field == "diary rules"
    assert "share an id" in caught.value.problem
    assert len(DiaryRules((_rule(), _rule(id="numeric-mild", at_least=2))).rules) == 2
