"""An alert's title in words, with the value the family wrote (issue 16): "Pain 8 of 10,
written 19:34" instead of the code ``diary-pain-numeric``.

Pure: the clock time is passed in already written in the clinic's time zone.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hipcare.domain.diary import DiaryKind

__all__ = ["alert_kind_in_words", "alert_title"]

_KIND_WORDS = {
    "diary-pain-r-flacc": "Pain (r-FLACC)",
    "diary-pain-numeric": "Pain",
    "diary-skin": "Skin problem",
    "diary-medicine": "Medicine",
    "diary-unwell": "Unwell",
}


def alert_kind_in_words(kind: str) -> str:
    """An alert kind code in words ("diary-pain-numeric" -> "Pain"); an unknown code with
    its hyphens as spaces."""
    return _KIND_WORDS.get(kind, kind.replace("-", " ").capitalize())


def alert_title(kind: DiaryKind, data: Mapping[str, Any], written_at: str) -> str:
    """The title of the alert a diary entry raised: what, the value, and when it was
    written (``written_at``: a clock time such as "19:34"). No free text the family typed."""
    if kind is DiaryKind.PAIN_NUMERIC and isinstance(data.get("pain_score"), int):
        what = f"Pain {data['pain_score']} of 10"
    elif kind is DiaryKind.PAIN_R_FLACC and isinstance(data.get("total"), int):
        what = f"Pain (r-FLACC) {data['total']} of 10"
    elif kind is DiaryKind.SKIN and isinstance(data.get("skin_finding"), str):
        what = f"Skin: {data['skin_finding'].replace('-', ' ')}"
    else:
        what = alert_kind_in_words(f"diary-{kind.value}")
    return f"{what}, written {written_at}"
