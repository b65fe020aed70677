"""The iCalendar renderer, read back with vobject (an independent parser)."""

from __future__ import annotations

import datetime
import warnings
from typing import Any

import pytest

from hipcare.render.calendar import CalendarEvent, render_calendar

STAMP = datetime.datetime(2027, 1, 2, 3, 4, 5, tzinfo=datetime.UTC)


def parse(data: bytes) -> Any:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # vobject 0.9.9 may warn on import with newer Pythons
        import vobject
    return vobject.readOne(data.decode("utf-8"))


def test_weekly_event_repeats_every_seven_days_through_its_last_day() -> None:
    event = CalendarEvent(
        uid="a@hipcare",
        summary="Weekly",
        description="كل أسبوع",
        start=datetime.date(2027, 3, 1),
        interval_days=7,
        until=datetime.date(2027, 3, 29),
        language="ar",
    )
    calendar = parse(render_calendar([event], dtstamp=STAMP, name="Plan", language="en"))
    vevent = calendar.vevent
    days = [when.date() for when in vevent.getrruleset()]
    assert days == [datetime.date(2027, 3, d) for d in (1, 8, 15, 22, 29)]
    assert vevent.description.value == "كل أسبوع"
    assert vevent.description.params["LANGUAGE"] == ["ar"]
    assert vevent.dtstamp.value == STAMP
    assert vevent.dtend.value == datetime.date(2027, 3, 2)


def test_one_off_event_has_no_repeat_rule() -> None:
    event = CalendarEvent("b@hipcare", "Once", "Text", datetime.date(2027, 3, 1))
    vevent = parse(render_calendar([event], dtstamp=STAMP, name="Plan", language="vi")).vevent
    assert not hasattr(vevent, "rrule")
    assert vevent.summary.params["LANGUAGE"] == ["vi"]


def test_recurring_event_without_an_end_is_refused() -> None:
    event = CalendarEvent("c@hipcare", "Forever", "Text", datetime.date(2027, 3, 1), 1, None)
    with pytest.raises(ValueError, match="end date"):
        render_calendar([event], dtstamp=STAMP, name="Plan", language="en")


def test_a_timestamp_without_a_time_zone_is_refused() -> None:
    with pytest.raises(ValueError, match="timezone"):
        render_calendar(
            [],
            dtstamp=datetime.datetime(2027, 1, 2),  # noqa: DTZ001 -- the naive clock value under test
            name="Plan",
            language="en",
        )


def test_every_event_reminds_the_evening_before_or_half_an_hour_before_a_timed_one() -> None:
    """An all-day to-do alarms at 18:00 the day before; a timed event 30 minutes before."""
    all_day = CalendarEvent(uid="d@hipcare", summary="Pack", description="", start=STAMP.date())
    timed = CalendarEvent(
        uid="t@hipcare",
        summary="Arrive",
        description="",
        start=datetime.datetime(2027, 3, 1, 7, 30, tzinfo=datetime.UTC),
    )
    calendar = parse(render_calendar([all_day, timed], dtstamp=STAMP, name="Plan", language="en"))
    alarms = {event.uid.value: event.valarm for event in calendar.contents["vevent"]}
    assert alarms["d@hipcare"].trigger.value == -datetime.timedelta(hours=6)
    assert alarms["t@hipcare"].trigger.value == -datetime.timedelta(minutes=30)
    assert alarms["t@hipcare"].description.value == "Arrive"
    assert alarms["d@hipcare"].action.value == "DISPLAY"
    [timed_event] = [e for e in calendar.contents["vevent"] if e.uid.value == "t@hipcare"]
    assert timed_event.dtend.value - timed_event.dtstart.value == datetime.timedelta(hours=1)
