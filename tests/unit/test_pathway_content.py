"""The pathway and surgeon-profile loaders: what the shipped files hold and what they refuse."""

from __future__ import annotations

import pytest

from hipcare.content.pathway import (
    load_pathway,
    load_surgeons,
    parse_pathway,
    parse_surgeons,
    surgeon_by_id,
)
from hipcare.content.sites import load_sites
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import Phase, TimingStatus

MINIMAL = """
[pathway]
id = "vdro"
version = 1
title = "A plan"
source = "sheet"
default_expected_stay_days = 7
default_expected_stay_source = "sheet, After surgery"

[notes]
local_protocol_timing = "To be confirmed."
example_data = "Examples."

[[phase]]
id = "decision"
title = "Deciding"
[[phase]]
id = "preparing"
title = "Getting ready"
[[phase]]
id = "hospital"
title = "Hospital"
[[phase]]
id = "going-home"
title = "Going home"
[[phase]]
id = "recovery"
title = "At home"
[[phase]]
id = "follow-up"
title = "Check-ups"

[[item]]
id = "skin-check"
title = "Check the skin"
kind = "task"
phase = "recovery"
owner = "family"
when = { anchor = "discharge", offset_days = 0 }
timing_status = "fact-sheet"
fact_sheet_points = ["check-skin-for-red-areas"]
clinician_note = "Pressure areas."
source = "sheet"
text = "Check the skin every day."
"""


def test_minimal_pathway_loads() -> None:
    pathway = parse_pathway(MINIMAL)
    assert pathway.item("skin-check").phase is Phase.RECOVERY


@pytest.mark.parametrize(
    ("old", "new", "field"),
    [
        ('owner = "family"', 'owner = "family"\nowners = "x"', "item.skin-check"),
        ('anchor = "discharge"', 'anchor = "lunch"', "item.skin-check.when.anchor"),
        ('owner = "family"', 'owner = "uncle"', "item.skin-check.owner"),
        ('source = "sheet"\ntext', 'source = " "\ntext', "item.skin-check.source"),
        ("offset_days = 0 }", 'offset_days = 0, recurrence = "daily" }', "when.until"),
        ('"Check the skin every day."', '"Check on {visit_date}."', "variant.text"),
        (
            'timing_status = "fact-sheet"',
            'timing_status = "local-protocol"',
            "item.skin-check.clinician_note",
        ),
        ('id = "going-home"', 'id = "home"', "phase.id"),
    ],
)
def test_pathway_file_errors_name_where(old: str, new: str, field: str) -> None:
    assert old in MINIMAL
    with pytest.raises(InvalidInputError) as caught:
        parse_pathway(MINIMAL.replace(old, new, 1))
    assert caught.value.field == field


def test_shipped_pathway_has_all_phases_in_order_with_items_in_each() -> None:
    pathway = load_pathway()
    assert [p.phase for p in pathway.phases] == list(Phase)
    assert {item.phase for item in pathway.items} == set(Phase)


def test_sheet_timings_are_the_stay_and_the_two_year_plate_review() -> None:
    """Timings the fact sheet gives (not local protocol) cite the sheet in their source."""
    pathway = load_pathway()
    for item in pathway.items:
        if item.timing_status is TimingStatus.FACT_SHEET:
            assert item.source.startswith("Fact sheet"), item.id
    review = pathway.item("plate-removal-review")
    assert review.timing_status is TimingStatus.FACT_SHEET
    assert review.when.start.offset_days == 730
    assert pathway.item("postop-xray").timing_status is TimingStatus.LOCAL_PROTOCOL


def test_every_surgeon_works_at_a_shipped_site() -> None:
    sites = {site.id for site in load_sites()}
    assert {surgeon.site for surgeon in load_surgeons()} <= sites
    assert {s.id for s in load_surgeons()} >= {"dr-lee", "dr-okafor", "dr-nguyen"}


def test_unknown_surgeon_lists_the_known_ones() -> None:
    with pytest.raises(InvalidInputError, match="dr-lee"):
        surgeon_by_id("dr-who")


def test_surgeon_profiles_must_be_local_protocol() -> None:
    text = """
[[surgeon]]
id = "dr-x"
name = "X"
site = "harbour-childrens"
weight_bearing = "as-tolerated"
positioning_device = false
status = "guideline"
source = "made up"
"""
    with pytest.raises(InvalidInputError) as caught:
        parse_surgeons(text)
    assert caught.value.field == "surgeon.dr-x.status"


def test_every_item_is_documented_in_the_clinical_pathway_page() -> None:
    from pathlib import Path

    page = Path(__file__).resolve().parents[2] / "docs" / "clinical" / "pathway.md"
    text = page.read_text(encoding="utf-8")
    assert [item.id for item in load_pathway().items if f"`{item.id}`" not in text] == []
