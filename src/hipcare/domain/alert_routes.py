"""Where a diary alert's email goes, and when it escalates (issue 16).

Each site has **alert routes**: an address for working hours, one for after hours (on call)
and one for the site's administrators; working hours are days of the week and a start and end
clock time in the site's own time zone. The route in force when the alert is raised gets the
first email (step 0); an alert still unacknowledged after the times of its level's
:class:`EscalationLevel` goes to the next route of :meth:`AlertRoutes.chain`, once per step.

Pure: moments are passed in; ``zoneinfo`` is the standard library's time-zone database.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "DAY_NAMES",
    "AlertEscalation",
    "AlertRoutes",
    "EscalationLevel",
    "RouteStep",
    "check_address",
    "check_timezone",
    "parse_clock_time",
    "parse_working_days",
]

DAY_NAMES = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
"""Days of the week as written in ``sites.toml`` and the routes page; Monday is day 0."""

# One address: something@domain.tld, no spaces, no list (one route, one mailbox).
_ADDRESS = re.compile(r"[^@\s,;<>]+@[^@\s,;<>]+\.[^@\s,;<>]+")


def check_address(value: object, field_name: str) -> str | None:
    """An email address, or None for an empty or missing one."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise InvalidInputError(field_name, "must be an email address (text) or empty")
    text = value.strip()
    if not text:
        return None
    if len(text) > 320 or not _ADDRESS.fullmatch(text):
        raise InvalidInputError(field_name, f"{text!r} is not one email address (name@domain)")
    return text


def check_timezone(value: object, field_name: str) -> str:
    """An IANA time-zone name such as ``Australia/Sydney``."""
    if not isinstance(value, str) or not value.strip():
        raise InvalidInputError(field_name, "must be a time-zone name such as Australia/Sydney")
    try:
        ZoneInfo(value.strip())
    except (ZoneInfoNotFoundError, ValueError) as error:
        raise InvalidInputError(field_name, f"{value!r} is not a known time zone") from error
    return value.strip()


def parse_clock_time(value: object, field_name: str) -> time:
    """A clock time written ``HH:MM`` (24-hour)."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str) or not re.fullmatch(r"\d{1,2}:\d{2}", value.strip()):
        raise InvalidInputError(field_name, "must be a clock time written HH:MM, such as 08:00")
    hours, minutes = (int(part) for part in value.strip().split(":"))
    if hours > 23 or minutes > 59:
        raise InvalidInputError(field_name, f"{value!r} is not a time of day (00:00 to 23:59)")
    return time(hours, minutes)


def parse_working_days(value: object, field_name: str) -> frozenset[int]:
    """Day names (``["mon", "tue"]`` or ``"mon tue"``) as weekday numbers (0 = Monday)."""
    names = value.replace(",", " ").split() if isinstance(value, str) else value
    if not isinstance(names, list | tuple) or not all(isinstance(n, str) for n in names):
        raise InvalidInputError(field_name, f"must list days of the week: {' '.join(DAY_NAMES)}")
    days = set()
    for name in names:
        key = name.strip().lower()[:3]
        if key not in DAY_NAMES:
            raise InvalidInputError(field_name, f"{name!r} is not a day: use {' '.join(DAY_NAMES)}")
        days.add(DAY_NAMES.index(key))
    return frozenset(days)


@dataclass(frozen=True)
class RouteStep:
    """One step of an alert's emails: its number (0 = the first email) and the address."""

    step: int
    address: str
    route: str
    """Which route: ``working-hours``, ``after-hours``, ``administrators`` or ``fallback``."""


@dataclass(frozen=True)
class AlertRoutes:
    """A site's alert routes and working hours (``start`` inclusive, ``end`` exclusive, in
    ``timezone`` on ``working_days``: 0 = Monday)."""

    site_id: str
    timezone: str
    working_days: frozenset[int] = frozenset(range(5))
    start: time = time(8, 0)
    end: time = time(17, 0)
    working_hours_address: str | None = None
    after_hours_address: str | None = None
    administrators_address: str | None = None

    def __post_init__(self) -> None:
        check_timezone(self.timezone, "timezone")
        if not self.working_days <= frozenset(range(7)):
            raise InvalidInputError("working_days", "days are 0 (Monday) to 6 (Sunday)")
        if self.end <= self.start:
            raise InvalidInputError(
                "working_hours_end", "must be later than the start of working hours"
            )
        for name in ("working_hours_address", "after_hours_address", "administrators_address"):
            object.__setattr__(self, name, check_address(getattr(self, name), name))

    def in_working_hours(self, moment: datetime) -> bool:
        """Whether ``moment`` (timezone-aware) falls in the site's working hours."""
        if moment.tzinfo is None:
            raise InvalidInputError("moment", "must carry its time zone")
        local = moment.astimezone(ZoneInfo(self.timezone))
        return local.weekday() in self.working_days and self.start <= local.time() < self.end

    def chain(self, raised_at: datetime, fallback: str | None) -> tuple[RouteStep, ...]:
        """The addresses an alert raised at ``raised_at`` goes to, step by step: the route in
        force (working hours or after hours; ``fallback`` when the site has none), then the
        after-hours (on-call) address, then the site's administrators. An address already
        used is not repeated; an empty route is left out."""
        working = self.in_working_hours(raised_at)
        first_route = "working-hours" if working else "after-hours"
        first = self.working_hours_address if working else self.after_hours_address
        if first is None:
            first_route, first = "fallback", fallback
        candidates = [
            (first_route, first),
            ("after-hours", self.after_hours_address),
            ("administrators", self.administrators_address),
        ]
        steps: list[RouteStep] = []
        for route, address in candidates:
            if address is None or any(step.address == address for step in steps):
                continue
            steps.append(RouteStep(len(steps), address, route))
        return tuple(steps)

    @property
    def working_days_text(self) -> str:
        """The working days as written on the routes page: ``mon tue wed thu fri``."""
        return " ".join(DAY_NAMES[day] for day in sorted(self.working_days))


@dataclass(frozen=True)
class EscalationLevel:
    """For one alert level (a diary rule's urgency such as ``call-team``): how long after
    the alert is raised each further step is sent while nobody has acknowledged it."""

    level: str
    after_minutes: tuple[int, ...]

    def __post_init__(self) -> None:
        if not self.after_minutes or any(
            isinstance(m, bool) or not isinstance(m, int) or m < 1 for m in self.after_minutes
        ):
            raise InvalidInputError(
                f"escalation.{self.level}.after_minutes", "must be whole minutes, at least 1"
            )
        if list(self.after_minutes) != sorted(set(self.after_minutes)):
            raise InvalidInputError(
                f"escalation.{self.level}.after_minutes", "must rise from step to step"
            )


@dataclass(frozen=True)
class AlertEscalation:
    """The escalation times of every alert level, with their source (local protocol)."""

    levels: Mapping[str, EscalationLevel]
    default_level: str
    source: str
    status: str
    note: str = ""

    def __post_init__(self) -> None:
        if self.default_level not in self.levels:
            raise InvalidInputError("escalation.default_level", "must be one of the levels")

    @property
    def to_be_confirmed(self) -> bool:
        return self.status == "local-protocol"

    def due_at(self, level: str | None, raised_at: datetime, step: int) -> datetime | None:
        """When step ``step`` of an alert of ``level`` raised at ``raised_at`` is due: the
        first email (step 0) at once, step ``n`` after the level's ``n``-th time; None when
        the level has no such step. An unknown level escalates as the default level."""
        if step == 0:
            return raised_at
        known = self.levels.get(level or "") or self.levels[self.default_level]
        if step > len(known.after_minutes):
            return None
        return raised_at + timedelta(minutes=known.after_minutes[step - 1])
