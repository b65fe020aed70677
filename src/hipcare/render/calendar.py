"""An RFC 5545 calendar (``.ics``) of a child's care plan: one all-day VEVENT per item.

Every event carries a VALARM (RFC 5545 section 3.6.6, ACTION:DISPLAY): a to-do (an all-day
event) at 18:00 the evening before (``TRIGGER:-PT6H`` from its start at midnight), a timed
event 30 minutes before it starts.

Recurring items carry an RRULE with an end (UNTIL, a date: the last day included). UIDs come
from the caller (stable across postponement: see ``hipcare.services.pathway.item_uid``);
DTSTAMP from a clock the caller passes in. Written with the ``icalendar`` library.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from hipcare.domain.calendar import CalendarEvent

__all__ = [
    "ALL_DAY_ALARM_BEFORE",
    "TIMED_ALARM_BEFORE",
    "CalendarEvent",
    "alarm_before",
    "render_calendar",
]

PRODID = "-//hipcare//VDRO care pathway//EN"
ALL_DAY_ALARM_BEFORE = datetime.timedelta(hours=6)
"""An all-day event's reminder: 6 hours before its midnight start, 18:00 the evening before."""
TIMED_ALARM_BEFORE = datetime.timedelta(minutes=30)
"""A timed event's reminder: 30 minutes before it starts."""


def alarm_before(start: datetime.date) -> datetime.timedelta:
    """How long before ``start`` an event's reminder goes off (a datetime is a timed event)."""
    timed = isinstance(start, datetime.datetime)
    return TIMED_ALARM_BEFORE if timed else ALL_DAY_ALARM_BEFORE


def render_calendar(
    events: Sequence[CalendarEvent],
    *,
    dtstamp: datetime.datetime,
    name: str,
    language: str,
) -> bytes:
    """The calendar as ``.ics`` bytes (CRLF lines, folded at 75 octets by icalendar).

    ``language`` tags each event's text unless the event names its own (an event whose text
    fell back to English says ``en``).
    """
    import icalendar

    if dtstamp.tzinfo is None:
        raise ValueError("dtstamp must be timezone-aware (UTC)")
    calendar = icalendar.Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("x-wr-calname", name)
    stamp = dtstamp.astimezone(datetime.UTC)
    for event in events:
        vevent = icalendar.Event()
        vevent.add("uid", event.uid)
        vevent.add("dtstamp", stamp)
        text_language = {"LANGUAGE": event.language or language}
        vevent.add("summary", event.summary, parameters=text_language)
        vevent.add("description", event.description, parameters=text_language)
        vevent.add("dtstart", event.start)
        timed = isinstance(event.start, datetime.datetime)
        vevent.add("dtend", event.start + datetime.timedelta(hours=1 if timed else 24))
        vevent.add("transp", "TRANSPARENT")
        if event.categories:
            vevent.add("categories", list(event.categories))
        if event.interval_days is not None:
            if event.until is None:
                raise ValueError(f"recurring event {event.uid} needs an end date")
            rule: dict[str, object] = {"freq": "daily", "until": event.until}
            if event.interval_days != 1:
                rule["interval"] = event.interval_days
            vevent.add("rrule", rule)
        alarm = icalendar.Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", event.summary)
        alarm.add("trigger", -alarm_before(event.start))
        vevent.add_component(alarm)
        calendar.add_component(vevent)
    return bytes(calendar.to_ical())
