"""The day of the operation as a family needs it: when to stop food, milk and clear fluids,
when and where to arrive, and what to bring.

Clock times are the site's local time on the surgery day. A stop time later than the
arrival time is on the evening before (a "no food after 22:00" for a 07:00 arrival).

Defaults come from content (``sites.toml``, a surgeon may override them in
``surgeons.toml``); the fasting hours are counted back from the arrival time. The figures
(food 6 h, milk 6 h, clear fluids 1 h before the anaesthetic) are those of the paediatric
fasting table in Lerman J, Eur J Anaesthesiol 2013;30:645-650; counting them back from the
arrival rather than the anaesthetic, and the default arrival, are local protocol ("to be
confirmed by the clinical lead"). Neither the fact sheet nor the clinical spec gives them.
"""

from __future__ import annotations

import datetime
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hipcare.domain.errors import InvalidInputError

__all__ = ["DayOfSurgery", "DayOfSurgeryDefaults", "parse_clock_time"]

_CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
_MAX_PLACE = 300
_MAX_THINGS = 12
_MAX_THING = 200


def parse_clock_time(value: object, field_name: str) -> datetime.time:
    """``HH:MM`` (24-hour clock) as a :class:`datetime.time`."""
    if isinstance(value, datetime.time):
        return value.replace(second=0, microsecond=0)
    if not isinstance(value, str) or not (found := _CLOCK.match(value.strip())):
        raise InvalidInputError(field_name, f"{value!r} is not a time written HH:MM, e.g. 07:30")
    hour, minute = int(found.group(1)), int(found.group(2))
    return datetime.time.min.replace(hour=hour, minute=minute)


def _text(value: object, field_name: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, "must not be empty")
    text = " ".join(value.split())
    if any(char < " " or char == "\x7f" for char in text):
        raise InvalidInputError(field_name, "holds an invisible control character; retype it")
    if len(text) > limit:
        raise InvalidInputError(field_name, f"is longer than {limit} characters; shorten it")
    return text


def _things(value: object, field_name: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [line for line in value.splitlines() if line.strip()]
    if not isinstance(value, list | tuple):
        raise InvalidInputError(field_name, "must be a list of things to bring")
    if len(value) > _MAX_THINGS:
        raise InvalidInputError(field_name, f"lists more than {_MAX_THINGS} things")
    return tuple(
        _text(item, f"{field_name}[{index}]", _MAX_THING) for index, item in enumerate(value)
    )


@dataclass(frozen=True)
class DayOfSurgery:
    """What the family does on the day: arrival, fasting stops, what to bring."""

    arrival_time: datetime.time
    arrival_place: str
    food_stop_time: datetime.time
    milk_stop_time: datetime.time
    clear_fluids_stop_time: datetime.time
    what_to_bring: tuple[str, ...] = ()
    to_be_confirmed: bool = True
    """Local protocol (the defaults, not a clinician's own entry): say so to the family."""

    def __post_init__(self) -> None:
        for name in ("arrival_time", "food_stop_time", "milk_stop_time", "clear_fluids_stop_time"):
            object.__setattr__(self, name, parse_clock_time(getattr(self, name), name))
        object.__setattr__(
            self, "arrival_place", _text(self.arrival_place, "arrival_place", _MAX_PLACE)
        )
        object.__setattr__(self, "what_to_bring", _things(self.what_to_bring, "what_to_bring"))
        if not isinstance(self.to_be_confirmed, bool):
            raise InvalidInputError("to_be_confirmed", "must be true or false")

    def moment(self, surgery_date: datetime.date, clock: datetime.time) -> datetime.datetime:
        """``clock`` on the surgery day, or the evening before when later than the arrival
        (naive: the site's local time)."""
        day = surgery_date
        if clock > self.arrival_time:
            day -= datetime.timedelta(days=1)
        return datetime.datetime.combine(day, clock)

    def steps(self, surgery_date: datetime.date) -> tuple[tuple[str, datetime.datetime], ...]:
        """The timed steps in order: ``food``, ``milk``, ``clear-fluids``, ``arrival``."""
        steps = (
            ("food", self.moment(surgery_date, self.food_stop_time)),
            ("milk", self.moment(surgery_date, self.milk_stop_time)),
            ("clear-fluids", self.moment(surgery_date, self.clear_fluids_stop_time)),
            ("arrival", datetime.datetime.combine(surgery_date, self.arrival_time)),
        )
        return tuple(sorted(steps, key=lambda step: step[1]))

    def to_json(self) -> dict[str, Any]:
        return {
            "arrival_time": self.arrival_time.strftime("%H:%M"),
            "arrival_place": self.arrival_place,
            "food_stop_time": self.food_stop_time.strftime("%H:%M"),
            "milk_stop_time": self.milk_stop_time.strftime("%H:%M"),
            "clear_fluids_stop_time": self.clear_fluids_stop_time.strftime("%H:%M"),
            "what_to_bring": list(self.what_to_bring),
            "to_be_confirmed": self.to_be_confirmed,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DayOfSurgery:
        return cls(
            arrival_time=data["arrival_time"],
            arrival_place=data["arrival_place"],
            food_stop_time=data["food_stop_time"],
            milk_stop_time=data["milk_stop_time"],
            clear_fluids_stop_time=data["clear_fluids_stop_time"],
            what_to_bring=tuple(data.get("what_to_bring", ())),
            to_be_confirmed=bool(data.get("to_be_confirmed", True)),
        )


@dataclass(frozen=True)
class DayOfSurgeryDefaults:
    """A site's (or surgeon's) defaults: arrival, fasting hours before arrival, what to bring,
    with their source. Always local protocol until the clinical lead confirms them."""

    arrival_time: datetime.time
    arrival_place: str
    food_hours_before: int
    milk_hours_before: int
    clear_fluids_hours_before: int
    what_to_bring: tuple[str, ...]
    source: str

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "arrival_time", parse_clock_time(self.arrival_time, "day_of_surgery.arrival_time")
        )
        for name in ("food_hours_before", "milk_hours_before", "clear_fluids_hours_before"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 12:
                raise InvalidInputError(f"day_of_surgery.{name}", "must be 0 to 12 hours")
        if not isinstance(self.source, str) or not self.source.strip():
            raise InvalidInputError("day_of_surgery.source", "cite the source of the defaults")
        _things(self.what_to_bring, "day_of_surgery.what_to_bring")
        _text(self.arrival_place, "day_of_surgery.arrival_place", _MAX_PLACE)

    def _before(self, hours: int) -> datetime.time:
        arrival = datetime.datetime.combine(datetime.date(2000, 1, 2), self.arrival_time)
        return (arrival - datetime.timedelta(hours=hours)).time()

    def day(self, overrides: Mapping[str, object] | None = None) -> DayOfSurgery:
        """The day's plan from these defaults, with a clinician's ``overrides`` (keys as
        :meth:`DayOfSurgery.to_json`; an empty value keeps the default). With an arrival
        time given, the fasting stops not given are counted back from it. Marked to be
        confirmed unless the clinician gave every fasting time themselves."""
        given = {key: value for key, value in (overrides or {}).items() if value not in (None, "")}
        arrival = parse_clock_time(given.get("arrival_time", self.arrival_time), "arrival_time")
        base = DayOfSurgeryDefaults(
            arrival,
            self.arrival_place,
            self.food_hours_before,
            self.milk_hours_before,
            self.clear_fluids_hours_before,
            self.what_to_bring,
            self.source,
        )
        fasting = ("food_stop_time", "milk_stop_time", "clear_fluids_stop_time")
        return DayOfSurgery(
            arrival_time=arrival,
            arrival_place=given.get("arrival_place", self.arrival_place),  # type: ignore[arg-type]  # checked by DayOfSurgery
            food_stop_time=given.get("food_stop_time", base._before(self.food_hours_before)),  # type: ignore[arg-type]  # checked by DayOfSurgery
            milk_stop_time=given.get("milk_stop_time", base._before(self.milk_hours_before)),  # type: ignore[arg-type]  # checked by DayOfSurgery
            clear_fluids_stop_time=given.get(  # type: ignore[arg-type]  # checked by DayOfSurgery
                "clear_fluids_stop_time", base._before(self.clear_fluids_hours_before)
            ),
            what_to_bring=given.get("what_to_bring", self.what_to_bring),  # type: ignore[arg-type]  # checked by DayOfSurgery
            to_be_confirmed=not all(key in given for key in fasting),
        )
