"""The pathway carries every point of the family fact sheet, in our own plain words.

``SHEET_POINTS`` is the fact sheet (``/work/shared/seed/000_e1fb8ed0517e8fce.txt``, "Varus
Derotation Osteotomy (VDRO)") cut into its points, each with a short paraphrase and the sheet
section it comes from. It is written here, by reading the sheet, independently of
``pathway.toml``: a point that no pathway item carries fails the test.
"""

from __future__ import annotations

import re
import warnings
from pathlib import Path
from typing import Any

import pytest

from hipcare.content.pathway import load_pathway

# (point id, sheet section, paraphrase)
SHEET_POINTS: tuple[tuple[str, str, str], ...] = (
    ("disclaimer", "header", "education only; check with your doctor"),
    ("languages", "header", "printable in several languages"),
    ("sites", "header", "shared by a children's hospital and a regional health service"),
    ("procedure-cut-femur", "What are the procedures?", "cut through the upper femur"),
    ("procedure-tip-ball-into-socket", "What are the procedures?", "tip the head into the socket"),
    ("procedure-derotation", "What are the procedures?", "may correct inward turning of femur"),
    ("procedure-plate-and-screws", "What are the procedures?", "plate and screws until healed"),
    ("plate-removal-about-2-years", "What are the procedures?", "removal about 2 years later"),
    ("why-hips-move-out", "Why is it necessary?", "spastic/weak, non-walking -> hips displace"),
    ("why-vdro-when-unstable", "Why is it necessary?", "unstable hip: VDRO treatment of choice"),
    ("may-combine-with-socket-operation", "Why is it necessary?", "may add a Dega osteotomy"),
    ("sign-pain", "If the hip dislocates", "pain or discomfort"),
    ("sign-sitting-standing", "If the hip dislocates", "difficulty sitting and standing"),
    ("sign-less-movement", "If the hip dislocates", "less hip range of movement"),
    ("sign-dressing-changing", "If the hip dislocates", "difficulty dressing and changing"),
    ("sign-skin-folds", "If the hip dislocates", "skin breakdown / infection in folds"),
    ("sign-leg-length", "If the hip dislocates", "leg-length difference"),
    ("asleep-for-the-operation", "Pain management", "general anaesthetic"),
    ("pain-medicine-and-muscle-relaxants", "Pain management", "pain medicine, maybe relaxants"),
    ("pain-relief-methods", "Pain management", "nerve block, drip or oral medicine"),
    ("weight-bearing-options", "After surgery", "straight away in pain limits, or non-weight"),
    ("weight-bearing-depends-on", "After surgery", "bone strength, other surgery, surgeon"),
    ("positioning-legs-apart", "After surgery", "legs apart in a device, surgeon's choice"),
    ("seating-adjustment", "After surgery", "wheelchair seating adjusted by the OT"),
    ("stay-5-to-7-days", "After surgery", "usually 5-7 days in hospital"),
    ("equipment-wheelchair-commode", "Caring at home", "wheelchair and commode"),
    ("ot-advice", "Caring at home", "OT gives further recommendations and help"),
    ("regular-pain-medicine-at-home", "Caring at home", "regular pain medicine at home"),
    ("pain-medicine-before-care", "Caring at home", "before showering, transfers, toileting"),
    ("pain-medicine-sent-home", "Caring at home", "hospital supplies pain medicine home"),
    ("therapists-help-walk-or-wheel", "Caring at home", "physio/OT: walking or wheelchair"),
    ("home-exercises", "Caring at home", "physio gives home exercises"),
    ("tell-local-therapists", "Before surgery list", "local therapists know about surgery"),
    ("join-waiting-list-now", "Before surgery list", "no OT/physio: join waiting list now"),
    ("tell-school", "Before surgery list", "tell school; off several weeks"),
    ("tell-own-work", "Before surgery list", "think about telling your own work"),
    ("family-and-friends-help", "Before surgery list", "family and friends who can help"),
    ("expect-pain-give-regular-medicine", "Important", "some pain; give regular medicine"),
    ("more-help-moving-showering-transfers", "Important", "more help moving, showering"),
    ("tell-us-if-sick", "Important", "sick before surgery: tell us, may postpone"),
    ("check-skin-for-red-areas", "Important", "check skin for red pressure areas"),
)

CONTRACT_ITEM_IDS = (
    "notify-local-therapists",
    "join-therapy-waiting-list",
    "notify-school",
    "notify-parent-work",
    "arrange-family-help",
    "report-illness-before-surgery",
    "prepare-equipment",
    "pain-plan-in-hospital",
    "weight-bearing",
    "positioning-device",
    "seating-adjustment",
    "expected-length-of-stay",
    "pain-medicine-before-care",
    "skin-check",
    "home-exercises",
    "postop-xray",
    "plate-removal-review",
    "dislocation-warning-signs",
)

FACT_SHEET = Path("/work/shared/seed/000_e1fb8ed0517e8fce.txt")

# Sample values for the placeholders, so readability counts real words, not field names.
_SAMPLE_PARAMS = {
    "surgery_date": "1 March 2027",
    "admission_date": "1 March 2027",
    "discharge_date": "8 March 2027",
    "site_name": "Harbour Children's Hospital",
    "stay_days": "6",
}


def _family_text() -> str:
    """All English family strings, each ending as a sentence, placeholders filled."""
    parts = []
    for text in load_pathway().msgids:
        filled = text.format(**_SAMPLE_PARAMS)
        parts.append(filled if filled.rstrip().endswith((".", "?", "!")) else f"{filled}.")
    return "\n".join(parts)


def _words(text: str) -> list[str]:
    return re.findall(r"[a-z0-9']+", text.lower().replace("\u2019", "'"))


def _textstat() -> Any:  # textstat ships no type information
    with warnings.catch_warnings():
        # textstat 0.7.3 imports pkg_resources, which warns that it is deprecated.
        warnings.simplefilter("ignore")
        import textstat
    return textstat


def test_every_sheet_point_is_carried_by_a_pathway_item() -> None:
    carried = {point for item in load_pathway().items for point in item.fact_sheet_points}
    missing = [point for point, _, _ in SHEET_POINTS if point not in carried]
    assert missing == []


def test_every_item_names_only_points_of_the_sheet() -> None:
    known = {point for point, _, _ in SHEET_POINTS}
    unknown = {
        item.id: sorted(set(item.fact_sheet_points) - known)
        for item in load_pathway().items
        if set(item.fact_sheet_points) - known
    }
    assert unknown == {}


def test_sheet_point_ids_are_unique() -> None:
    ids = [point for point, _, _ in SHEET_POINTS]
    assert len(ids) == len(set(ids))


def test_every_item_carries_at_least_one_sheet_point() -> None:
    assert [item.id for item in load_pathway().items if not item.fact_sheet_points] == []


@pytest.mark.parametrize("item_id", CONTRACT_ITEM_IDS)
def test_contract_item_exists(item_id: str) -> None:
    assert load_pathway().item(item_id).id == item_id


def test_family_text_reads_at_smog_grade_8_or_lower() -> None:
    """SMOG (textstat 0.7.3) of all English family text joined; measured 7.3 at commit."""
    grade = _textstat().smog_index(_family_text())
    assert grade <= 8.0, f"SMOG grade {grade}"


def test_family_text_reads_at_flesch_kincaid_grade_8_or_lower() -> None:
    """Flesch-Kincaid grade of the same text; measured 3.8 at commit."""
    grade = _textstat().flesch_kincaid_grade(_family_text())
    assert grade <= 8.0, f"Flesch-Kincaid grade {grade}"


def _copied_runs(texts: tuple[str, ...], sheet_text: str, length: int = 8) -> list[str]:
    """Every run of ``length`` words of ``texts`` that also occurs in ``sheet_text``."""
    sheet = _words(sheet_text)
    runs = {tuple(sheet[i : i + length]) for i in range(len(sheet) - length + 1)}
    return [
        " ".join(words[i : i + length])
        for text in texts
        for words in [_words(text)]
        for i in range(len(words) - length + 1)
        if tuple(words[i : i + length]) in runs
    ]


needs_sheet = pytest.mark.skipif(
    not FACT_SHEET.is_file(), reason="the fact sheet is kept outside the repository"
)


@needs_sheet
def test_no_family_string_copies_eight_words_in_a_row_from_the_sheet() -> None:
    sheet = FACT_SHEET.read_text(encoding="utf-8")
    assert _copied_runs(load_pathway().msgids, sheet) == []


@needs_sheet
def test_copy_check_catches_a_sheet_sentence_with_other_case_and_apostrophes() -> None:
    sheet = FACT_SHEET.read_text(encoding="utf-8")
    copied = "PLEASE ADVISE YOUR CHILD'S SCHOOL that your child will be having surgery."
    assert _copied_runs((copied,), sheet) != []
