"""The surveillance rules file: every rule cited, local protocol flagged, bad files refused."""

from __future__ import annotations

import tomllib
from datetime import date
from importlib import resources
from pathlib import Path

import pytest

from hipcare.content.surveillance import (
    SurveillanceContentError,
    load_surveillance_rules,
    parse_surveillance_rules,
)
from hipcare.domain.gmfcs import GMFCS
from hipcare.domain.surveillance import (
    HipPair,
    RuleKind,
    RuleStatus,
    SurveillanceInput,
    Visit,
    plan_surveillance,
)


def shipped_text() -> str:
    return (
        resources.files("hipcare.content").joinpath("surveillance.toml").read_text(encoding="utf-8")
    )


def test_every_shipped_rule_has_source_section_and_status() -> None:
    for table in tomllib.loads(shipped_text())["rule"]:
        for key in ("id", "kind", "source", "section", "status"):
            assert isinstance(table.get(key), str), (table.get("id"), key)
            assert table[key].strip(), (table.get("id"), key)
        assert table["status"] in {"guideline", "local-protocol"}


def test_every_local_protocol_rule_says_the_clinical_lead_confirms_it() -> None:
    rules = load_surveillance_rules()
    local = [rule for rule in rules.rules if rule.citation.status is RuleStatus.LOCAL_PROTOCOL]
    assert local, "the [U] rows of the clinical spec must ship as local protocol"
    for rule in local:
        assert "to be confirmed by the clinical lead" in (rule.citation.note or "").lower()


def test_unverified_rows_of_the_clinical_spec_ship_as_local_protocol() -> None:
    """Instability (MP rise >= 10 in 12 months) and the GMFCS IV-V intervals are marked [U]."""
    rules = load_surveillance_rules()
    assert rules.single(RuleKind.INSTABILITY).is_local_protocol
    for kind in (RuleKind.INTERVAL_WHILE_UNSETTLED, RuleKind.INTERVAL_WHILE_STABLE):
        for level in (GMFCS.IV, GMFCS.V):
            assert all(rule.is_local_protocol for rule in rules.of_kind(kind, level))


def test_shipped_thresholds_are_the_clinical_spec_numbers() -> None:
    rules = load_surveillance_rules()
    assert rules.single(RuleKind.REFER_THRESHOLD).threshold_percent == 30
    assert rules.single(RuleKind.SURGERY_THRESHOLD).threshold_percent == 40
    instability = rules.single(RuleKind.INSTABILITY)
    assert (instability.rise_percent, instability.over_months) == (10, 12)
    initial = rules.single(RuleKind.INITIAL_REVIEW)
    assert (initial.window_from_age_months, initial.window_to_age_months) == (12, 24)
    assert initial.gmfcs == frozenset(GMFCS)


def test_every_level_has_a_way_forward_after_the_initial_review() -> None:
    """Each GMFCS level has at least one interval or age review after the initial one."""
    rules = load_surveillance_rules()
    for level in GMFCS:
        follow_on = [
            rule
            for kind in (
                RuleKind.FIRST_FOLLOW_UP,
                RuleKind.INTERVAL_WHILE_UNSETTLED,
                RuleKind.INTERVAL_WHILE_STABLE,
                RuleKind.AGE_REVIEW,
            )
            for rule in rules.of_kind(kind, level)
        ]
        assert follow_on, level


def _without(key: str) -> str:
    """The shipped file with ``key`` removed from the first rule that has it."""
    lines = shipped_text().splitlines()
    for index, line in enumerate(lines):
        if line.startswith(f"{key} = "):
            del lines[index]
            return "\n".join(lines)
    raise AssertionError(f"no {key} in the shipped file")  # pragma: no cover -- fixture guard


@pytest.mark.parametrize("key", ["source", "section", "status", "id", "kind"])
def test_loader_refuses_a_rule_without_its_citation_or_identity(key: str) -> None:
    with pytest.raises(SurveillanceContentError, match=key):
        parse_surveillance_rules(_without(key))


def test_loader_refuses_a_local_protocol_rule_without_a_note() -> None:
    with pytest.raises(SurveillanceContentError, match="note"):
        parse_surveillance_rules(_without("note"))


def test_loader_refuses_an_unknown_status() -> None:
    text = shipped_text().replace('\nstatus = "guideline"', '\nstatus = "folklore"', 1)
    with pytest.raises(SurveillanceContentError, match="status must be"):
        parse_surveillance_rules(text)


def test_loader_refuses_a_rule_missing_a_parameter_its_kind_needs() -> None:
    with pytest.raises(SurveillanceContentError, match="interval_months"):
        parse_surveillance_rules(_without("interval_months"))


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        ('kind = "age-review"', 'kind = "horoscope"', "unknown kind"),
        ('gmfcs = ["I"]', 'gmfcs = ["VI"]', "unknown GMFCS level"),
        ('gmfcs = ["I"]', 'gmfcs = "I"', "must be a list"),
        ("interval_months = 12", "interval_months = 12.5", "whole number"),
        ("threshold_percent = 30", 'threshold_percent = "thirty"', "must be a number"),
        ("xray = true", 'xray = "yes"', "true or false"),
        ('after_review = "ausacpdm', 'after_review = 3\nx_review = "ausacpdm', "must be text"),
        ("xray = true", "xray = true\ncolour = 1", "unknown key"),
        ("interval_months = 12", "interval_months = 0", "at least 1"),
        ("window_to_age_months = 24", "window_to_age_months = 6", "ends before"),
        ("\nto_age_months = 60", "\nto_age_months = 60\nfrom_age_months = 70", "must be after"),
        ("limit_age_months = 240", "limit_age_months = -1", "negative"),
        (
            'after_review = "ausacpdm-2014-gmfcs-i-review-5-years"',
            'after_review = "ausacpdm-2014-refer-mp-30"',
            "not an age-review rule",
        ),
        ("xray = false\nsource", "xray = false\nthreshold_percent = 3\nsource", "does not belong"),
        ('gmfcs = ["I"]', "gmfcs = []", "is empty"),
        ("window_before_age_months = 48", "window_before_age_months = 36", "must be after"),
        ("pair_to_months = 24", "pair_to_months = 4", "must be after pair_from_months"),
    ],
)
def test_loader_refuses_malformed_rules(old: str, new: str, message: str) -> None:
    text = shipped_text()
    assert old in text
    with pytest.raises(SurveillanceContentError, match=message):
        parse_surveillance_rules(text.replace(old, new, 1))


def test_loader_refuses_duplicate_ids_and_missing_singletons() -> None:
    text = shipped_text()
    duplicated = text.replace(
        'id = "ausacpdm-2014-gmfcs-i-review-5-years"', 'id = "ausacpdm-2014-gmfcs-i-review-3-years"'
    )
    with pytest.raises(SurveillanceContentError, match="used twice"):
        parse_surveillance_rules(duplicated)
    two_thresholds = text.replace('kind = "abnormal-threshold"', 'kind = "refer-threshold"')
    with pytest.raises(SurveillanceContentError, match="exactly one"):
        parse_surveillance_rules(two_thresholds)


@pytest.mark.parametrize(
    ("text", "message"),
    [("rule = [", "not valid TOML"), ("title = 'no rules'", "no \\[\\[rule\\]\\]")],
)
def test_loader_refuses_a_file_that_is_not_a_rule_list(text: str, message: str) -> None:
    with pytest.raises(SurveillanceContentError, match=message):
        parse_surveillance_rules(text)


def test_rules_edited_in_the_file_change_the_schedule_without_code_changes() -> None:
    """A service that moves GMFCS I's 3-year review to a 30-42 month window gets that window."""
    text = shipped_text().replace(
        "window_from_age_months = 36\nwindow_before_age_months = 48",
        "window_from_age_months = 30\nwindow_before_age_months = 43",
    )
    child = SurveillanceInput(
        date(2021, 1, 15),
        GMFCS.I,
        date(2022, 10, 1),
        (Visit(date(2022, 9, 1), True, HipPair(8, 9)),),
    )
    result = plan_surveillance(child, parse_surveillance_rules(text))
    assert result.review is not None
    # The window runs to the day before 43 months (issue 14 worded windows).
    assert (result.review.due_from, result.review.due_by) == (date(2023, 7, 15), date(2024, 8, 14))
    assert "Review at 30-42 months of age" in result.actions[0].text


def test_every_shipped_rule_is_documented_with_its_status() -> None:
    """docs/clinical/surveillance.md has a table row for each rule id, with the rule's status."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "clinical" / "surveillance.md"
    rows = {
        line.split("|")[1].strip().strip("`"): line.split("|")[-2].strip()
        for line in docs.read_text(encoding="utf-8").splitlines()
        if line.startswith("| `")
    }
    for rule in load_surveillance_rules().rules:
        assert rows.get(rule.id) == rule.citation.status.value, rule.id


def test_the_corrected_age_note_carries_the_flag_only_while_it_is_local_protocol() -> None:
    child = SurveillanceInput(date(2025, 1, 15), GMFCS.IV, date(2026, 1, 15), gestation_weeks=30)
    shipped = plan_surveillance(child, load_surveillance_rules())
    assert "to be confirmed by the clinical lead" in shipped.notes[0]
    confirmed_text = shipped_text().replace(
        'status = "local-protocol"\nnote = "To be confirmed by the clinical lead: corrected age',
        'status = "guideline"\nnote = "Confirmed locally: corrected age',
    )
    confirmed = plan_surveillance(child, parse_surveillance_rules(confirmed_text))
    assert confirmed.notes[0].endswith("corrected by 70 days.")


def test_every_rule_from_the_2014_australian_guideline_says_it_is_superseded() -> None:
    """Issue 14: the 2014 AusACPDM text is the 2014 standard, superseded by the 2020 guideline."""
    cited = [
        rule
        for rule in load_surveillance_rules().rules
        if (
            "2014" in rule.citation.source and "Australian Hip Surveillance" in rule.citation.source
        )
        or "(AusACPDM), 2014" in rule.citation.source
    ]
    assert len(cited) >= 10
    for rule in cited:
        assert "superseded by the 2020 AusACPDM guideline" in rule.citation.source, rule.id


def test_every_rule_added_for_issue_14_is_local_protocol() -> None:
    """None of the new rules was read in a guideline: each is flagged for the clinical lead."""
    rules = load_surveillance_rules()
    for kind in (
        RuleKind.CHANGE_ERROR,
        RuleKind.ACCELERATION,
        RuleKind.INTERVAL_WHILE_RISING,
        RuleKind.DEFAULT_REVIEW,
        RuleKind.INTERVAL_AFTER_SURGERY,
        RuleKind.POST_OPERATIVE_FAILURE,
        RuleKind.CONTINUE_AFTER_MATURITY,
    ):
        assert rules.single(kind).is_local_protocol, kind
    assert rules.single(RuleKind.CHANGE_ERROR).change_error_points == 8.3
    instability = rules.single(RuleKind.INSTABILITY)
    assert (instability.pair_from_months, instability.pair_to_months) == (4, 24)
