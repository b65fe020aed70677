"""Alert titles in words with the value (hipcare.domain.alert_title)."""

from __future__ import annotations

import pytest

from hipcare.domain.alert_title import alert_kind_in_words, alert_title
from hipcare.domain.diary import DiaryKind


@pytest.mark.parametrize(
    ("kind", "data", "title"),
    [
        (DiaryKind.PAIN_NUMERIC, {"pain_score": 8}, "Pain 8 of 10, written 19:34"),
        (DiaryKind.PAIN_R_FLACC, {"total": 7}, "Pain (r-FLACC) 7 of 10, written 19:34"),
        (DiaryKind.SKIN, {"skin_finding": "broken-skin"}, "Skin: broken skin, written 19:34"),
        (DiaryKind.UNWELL, {"description": "private words"}, "Unwell, written 19:34"),
        (DiaryKind.PAIN_NUMERIC, {}, "Pain, written 19:34"),
    ],
)
def test_an_alert_title_says_what_with_the_value_and_when(
    kind: DiaryKind, data: dict[str, object], title: str
) -> None:
    """Free text the family typed never reaches the title."""
    assert alert_title(kind, data, "19:34") == title


def test_alert_kinds_read_as_words() -> None:
    assert alert_kind_in_words("diary-pain-numeric") == "Pain"
    assert alert_kind_in_words("red-skin") == "Red skin"
