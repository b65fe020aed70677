"""An RFC 5545 calendar (``.ics``) of a child's care plan: one all-day VEVENT per item.

Recurring items carry an RRULE with an end (UNTIL, a date: the last day included). UIDs come
from the caller (stable across postponement: see ``hipcare.services.pathway.item_uid``);
DTSTAMP from a clock the caller passes in. Written with the ``icalendar`` library.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from hipcare.domain.calendar import CalendarEvent

__all__ = ["CalendarEvent", "render_calendar"]

PRODID = "-//hipcare//VDRO care pathway//EN"


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
        vevent.add("dtend", event.start + datetime.timedelta(days=1))
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
        calendar.add_component(vevent)
    return bytes(calendar.to_ical())
