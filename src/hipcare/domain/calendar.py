"""A calendar event as hipcare hands it to a calendar writer: an all-day event, maybe repeating.

Built from a care plan by :func:`hipcare.services.pathway.plan_calendar`; written as
iCalendar by :mod:`hipcare.render.calendar`.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

__all__ = ["CalendarEvent"]


@dataclass(frozen=True)
class CalendarEvent:
    """One all-day event: ``start`` day, optional repeat every ``interval_days`` to ``until``."""

    uid: str
    summary: str
    description: str
    start: datetime.date
    interval_days: int | None = None
    until: datetime.date | None = None
    categories: tuple[str, ...] = ()
    language: str | None = None
