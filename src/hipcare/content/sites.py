"""Load the sites (hospitals of one network) and their contacts from ``sites.toml``."""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from hipcare.domain.day_of_surgery import DayOfSurgeryDefaults
from hipcare.domain.errors import InvalidInputError

__all__ = ["Contact", "Site", "load_sites", "site_by_id"]


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
    return Site(
        id=table["id"],
        name=table["name"],
        short_name=table["short_name"],
        kind=table["kind"],
        brand_colour=table["brand_colour"],
        contacts=contacts,
        example_data=bool(table.get("example_data", False)),
        day_of_surgery=_day_of_surgery(table["id"], table.get("day_of_surgery")),
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
