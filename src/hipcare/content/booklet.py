"""Load the booklet's own family text (headings, labels, warning signs, disclaimer).

The text lives in ``booklet.toml`` beside this module; each string is an English gettext
msgid that the booklet service translates with :mod:`hipcare.content.i18n`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

from hipcare.domain.errors import InvalidInputError

__all__ = ["BookletText", "WarningSigns", "family_strings", "load_booklet_text"]

_REQUIRED: Mapping[str, tuple[str, ...]] = {
    "headings": ("title", "key_dates", "checklist", "warning_signs", "contacts", "about"),
    "labels": (
        "intro",
        "intro_no_site",
        "checklist_hint",
        "column_date",
        "column_task",
        "column_who",
        "column_done",
        "column_phone",
        "operation",
        "operation_sides_left",
        "operation_sides_right",
        "operation_sides_both",
        "key_date_surgery",
        "key_date_admission",
        "key_date_discharge",
        "repeats_until",
        "to_confirm",
        "interpreter",
        "contact_hours",
    ),
    "about": (
        "disclaimer",
        "reviewed_yes",
        "reviewed_no",
        "example_contacts",
        "no_site_contacts",
        "printed_on",
    ),
}


@dataclass(frozen=True)
class WarningSigns:
    """When to call: the red flags after the operation ("call now"), skin, illness before
    and after surgery, the emergency number."""

    after_surgery_intro: str
    after_surgery: tuple[str, ...]
    skin: str
    sick_before_surgery: str
    sick_after_surgery: str
    very_unwell: str


@dataclass(frozen=True)
class BookletText:
    """Every English string of the booklet, grouped as in ``booklet.toml``."""

    headings: Mapping[str, str]
    labels: Mapping[str, str]
    procedures: Mapping[str, str]
    owners: Mapping[str, str]
    recurrences: Mapping[str, str]
    warning_signs: WarningSigns
    about: Mapping[str, str]


def _strings(table: dict[str, Any], section: str) -> Mapping[str, str]:
    for key in _REQUIRED.get(section, ()):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise InvalidInputError(f"booklet.toml.{section}.{key}", "missing or empty text")
    return MappingProxyType({k: v for k, v in table.items() if isinstance(v, str)})


@cache
def load_booklet_text() -> BookletText:
    """The booklet text shipped in ``hipcare/content/booklet.toml``."""
    text = resources.files("hipcare.content").joinpath("booklet.toml").read_text("utf-8")
    data = tomllib.loads(text)
    signs = data["warning_signs"]
    after_surgery = signs.get("after_surgery")
    if not isinstance(after_surgery, list) or not after_surgery:
        raise InvalidInputError(
            "booklet.toml.warning_signs.after_surgery", "list the signs to call now after surgery"
        )
    return BookletText(
        headings=_strings(data["headings"], "headings"),
        labels=_strings(data["labels"], "labels"),
        procedures=_strings(data["procedures"], "procedures"),
        owners=_strings(data["owners"], "owners"),
        recurrences=_strings(data["recurrences"], "recurrences"),
        warning_signs=WarningSigns(
            after_surgery_intro=signs["after_surgery_intro"],
            after_surgery=tuple(after_surgery),
            skin=signs["skin"],
            sick_before_surgery=signs["sick_before_surgery"],
            sick_after_surgery=signs["sick_after_surgery"],
            very_unwell=signs["very_unwell"],
        ),
        about=_strings(data["about"], "about"),
    )


def family_strings() -> Iterator[tuple[str, str]]:
    """Every family-facing string as ``(key path, English text)``, for the catalog template.

    Keys ending in ``_source`` are citations for clinicians, not family text.
    """
    text = resources.files("hipcare.content").joinpath("booklet.toml").read_text("utf-8")
    for section, table in tomllib.loads(text).items():
        for key, value in table.items():
            if key.endswith("_source"):
                continue
            if isinstance(value, str):
                yield f"{section}.{key}", value
            elif isinstance(value, list):
                for index, item in enumerate(value):
                    yield f"{section}.{key}[{index}]", item
