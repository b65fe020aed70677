"""Load the home diary's thresholds (``diary.toml``) into :class:`hipcare.domain.diary.DiaryRules`.

A rule without ``id``, ``kind``, ``urgency``, ``advice``, ``source``, ``section`` or
``status`` — or a local-protocol rule without its ``note`` — makes the file refuse to load.
"""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.diary import (
    DiaryKind,
    DiaryRule,
    DiaryRules,
    RuleStatus,
    SkinFinding,
    SurgeryPhase,
    Urgency,
)
from hipcare.domain.errors import InvalidInputError

__all__ = ["DiaryContentError", "load_diary_rules", "parse_diary_rules"]

_KEYS = frozenset(
    {
        "id",
        "kind",
        "urgency",
        "advice",
        "source",
        "section",
        "status",
        "note",
        "contact_roles",
        "at_least",
        "findings",
        "phase",
    }
)


class DiaryContentError(ValueError):
    """``diary.toml`` is incomplete or malformed (a packaging fault, not input)."""


def _rule(table: dict[str, Any], position: int) -> DiaryRule:
    where = f"diary rule {table.get('id', f'#{position + 1}')!r}"
    unknown = sorted(set(table) - _KEYS)
    if unknown:
        raise DiaryContentError(f"{where}: unknown keys {', '.join(unknown)}")
    for key in ("id", "kind", "urgency", "advice", "source", "section", "status"):
        if not isinstance(table.get(key), str) or not table[key].strip():
            raise DiaryContentError(f"{where}: missing '{key}'")
    try:
        return DiaryRule(
            id=table["id"],
            kind=DiaryKind(table["kind"]),
            urgency=Urgency(table["urgency"]),
            advice=table["advice"],
            source=table["source"],
            section=table["section"],
            status=RuleStatus(table["status"]),
            contact_roles=tuple(table.get("contact_roles", ())),
            at_least=table.get("at_least"),
            findings=frozenset(SkinFinding(value) for value in table.get("findings", ())),
            note=table.get("note", ""),
            phase=SurgeryPhase(table["phase"]) if "phase" in table else None,
        )
    except ValueError as error:
        raise DiaryContentError(f"{where}: {error}") from None
    except InvalidInputError as error:
        raise DiaryContentError(f"{error.field}: {error.problem}") from None


def parse_diary_rules(text: str) -> DiaryRules:
    document = tomllib.loads(text)
    tables = document.get("rule", [])
    if not isinstance(tables, list) or not tables:
        raise DiaryContentError("diary.toml has no [[rule]] tables")
    return DiaryRules(tuple(_rule(table, position) for position, table in enumerate(tables)))


@cache
def load_diary_rules() -> DiaryRules:
    """The shipped diary rules (read once)."""
    text = resources.files("hipcare.content").joinpath("diary.toml").read_text("utf-8")
    return parse_diary_rules(text)
