"""Load the alert escalation times (``alert_escalation.toml``), with their source."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from hipcare.domain.alert_routes import AlertEscalation, EscalationLevel
from hipcare.domain.errors import InvalidInputError

__all__ = ["load_alert_escalation"]

_STATUSES = ("guideline", "local-protocol")


@cache
def load_alert_escalation() -> AlertEscalation:
    """The packaged escalation times; refuses a file without a source, a known status, or
    (local protocol) a note, and a level without rising whole minutes."""
    text = resources.files("hipcare.content").joinpath("alert_escalation.toml").read_text("utf-8")
    table = tomllib.loads(text)
    status = table.get("status")
    if status not in _STATUSES:
        raise InvalidInputError("status", f"must be one of {', '.join(_STATUSES)}")
    if not str(table.get("source", "")).strip():
        raise InvalidInputError("source", "the escalation times need a source")
    if status == "local-protocol" and not str(table.get("note", "")).strip():
        raise InvalidInputError("note", "a local-protocol number needs a note")
    levels = {}
    for entry in table.get("level", []):
        name = entry.get("level")
        if not isinstance(name, str) or not name:
            raise InvalidInputError("level", "each [[level]] needs a level name")
        minutes = entry.get("after_minutes")
        if not isinstance(minutes, list):
            raise InvalidInputError(f"level.{name}.after_minutes", "must be a list of minutes")
        levels[name] = EscalationLevel(name, tuple(minutes))
    return AlertEscalation(
        levels=levels,
        default_level=str(table.get("default_level", "")),
        source=str(table["source"]),
        status=str(status),
        note=str(table.get("note", "")),
    )
