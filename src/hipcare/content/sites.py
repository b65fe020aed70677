"""Load the sites (hospitals of one network) and their contacts from ``sites.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.alert_routes import (
    DAY_NAMES,
    AlertRoutes,
    check_timezone,
    parse_clock_time,
    parse_working_days,
)
from hipcare.domain.day_of_surgery import DayOfSurgeryDefaults
from hipcare.domain.errors import InvalidInputError

__all__ = [
    "Contact",
    "Site",
    "alert_routes_from_table",
    "load_sites",
    "site_by_id",
]


@dataclass(frozen=True)
class Contact:
    """One number a family can call: who answers, the number, and when."""

    role: str
    label: str
    phone: str
    hours: str


@dataclass(frozen=True)
class Site:
    """A hospital or health service that runs the pathway, with its own contacts and colour."""

    id: str
    name: str
    short_name: str
    kind: str
    brand_colour: str
    contacts: tuple[Contact, ...]
    example_data: bool
    timezone: str
    alert_routes: AlertRoutes
    """The alert routes as shipped (the site's routes page may override them)."""
    day_of_surgery: DayOfSurgeryDefaults | None = None
    """The site's day-of-surgery defaults (local protocol), if it ships them."""

    def contact(self, role: str) -> Contact | None:
        """The contact with this role (``orthopaedic-nurse``, ``ward``, ``emergency``), if any."""
        return next((c for c in self.contacts if c.role == role), None)


def _site_from_table(table: dict[str, Any]) -> Site:
    contacts = tuple(
        Contact(role=c["role"], label=c["label"], phone=c["phone"], hours=c["hours"])
        for c in table.get("contact", [])
    )
    site_id = table["id"]
    timezone = check_timezone(table.get("timezone"), f"site.{site_id}.timezone")
    return Site(
        id=site_id,
        name=table["name"],
        short_name=table["short_name"],
        kind=table["kind"],
        brand_colour=table["brand_colour"],
        contacts=contacts,
        example_data=bool(table.get("example_data", False)),
        timezone=timezone,
        alert_routes=alert_routes_from_table(site_id, timezone, table.get("alert_routes", {})),
        day_of_surgery=_day_of_surgery(table["id"], table.get("day_of_surgery")),
    )


def alert_routes_from_table(site_id: str, timezone: str, table: dict[str, Any]) -> AlertRoutes:
    """A site's ``[site.alert_routes]`` table as :class:`AlertRoutes` (missing keys: Monday
    to Friday, 08:00 to 17:00, no addresses)."""
    prefix = f"site.{site_id}.alert_routes"
    return AlertRoutes(
        site_id=site_id,
        timezone=timezone,
        working_days=parse_working_days(
            table.get("working_days", list(DAY_NAMES[:5])), f"{prefix}.working_days"
        ),
        start=parse_clock_time(
            table.get("working_hours_start", "08:00"), f"{prefix}.working_hours_start"
        ),
        end=parse_clock_time(
            table.get("working_hours_end", "17:00"), f"{prefix}.working_hours_end"
        ),
        working_hours_address=table.get("working_hours_address"),
        after_hours_address=table.get("after_hours_address"),
        administrators_address=table.get("administrators_address"),
    )


_DAY_KEYS = frozenset(
    {
        "arrival_time",
        "arrival_place",
        "food_hours_before",
        "milk_hours_before",
        "clear_fluids_hours_before",
        "what_to_bring",
        "source",
        "status",
    }
)


def _day_of_surgery(site_id: str, table: dict[str, Any] | None) -> DayOfSurgeryDefaults | None:
    if table is None:
        return None
    where = f"site.{site_id}.day_of_surgery"
    unknown = set(table) - _DAY_KEYS
    if unknown:
        raise InvalidInputError(where, f"unknown key(s) {', '.join(sorted(unknown))}")
    if table.get("status") != "local-protocol":
        raise InvalidInputError(
            f"{where}.status", "day-of-surgery defaults are 'local-protocol' until confirmed"
        )
    return DayOfSurgeryDefaults(
        arrival_time=table["arrival_time"],
        arrival_place=table["arrival_place"],
        food_hours_before=table["food_hours_before"],
        milk_hours_before=table["milk_hours_before"],
        clear_fluids_hours_before=table["clear_fluids_hours_before"],
        what_to_bring=tuple(table.get("what_to_bring", ())),
        source=table["source"],
    )


@cache
def load_sites() -> tuple[Site, ...]:
    """Every site shipped in ``hipcare/content/sites.toml``, in file order."""
    text = resources.files("hipcare.content").joinpath("sites.toml").read_text(encoding="utf-8")
    return tuple(_site_from_table(table) for table in tomllib.loads(text)["site"])


def site_by_id(site_id: str, field: str = "site") -> Site:
    """The site with this id, or an error that lists the ids that exist."""
    sites = load_sites()
    for site in sites:
        if site.id == site_id:
            return site
    known = ", ".join(site.id for site in sites)
    raise InvalidInputError(field, f"unknown site {site_id!r}; known sites: {known}")
