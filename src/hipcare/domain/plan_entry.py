"""One care-plan item as a family reads it: translated, placeholders filled, dates known.

Built by :func:`hipcare.services.pathway.plan_entries`; read by the family pages, the
booklet, the calendar feed and the FHIR PlanDefinition mapping.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

__all__ = ["PlanEntry"]


@dataclass(frozen=True)
class PlanEntry:
    """One plan item as a family reads it: translated, placeholders filled."""

    id: str
    phase: str
    phase_title: str
    date: datetime.date
    recurrence: str | None
    until: datetime.date | None
    owner: str
    title: str
    text: str
    bullets: tuple[str, ...]
    status: str
    timing_status: str
    to_be_confirmed: bool
    kind: str = "task"
    """``"information"`` (read, not ticked, shown without a date) or ``"task"`` (dated)."""

    @property
    def is_information(self) -> bool:
        return self.kind == "information"

    @property
    def full_text(self) -> str:
        """The text, then one ``- `` line per bullet."""
        return "\n".join([self.text, *(f"- {bullet}" for bullet in self.bullets)])
