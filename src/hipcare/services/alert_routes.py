"""A site's alert routes (issue 16): read and set by the site's administrators (audited), and
the routes in force for the alert sender: what an administrator saved, else ``sites.toml``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from hipcare.domain.alert_routes import (
    AlertRoutes,
    check_address,
    parse_clock_time,
    parse_working_days,
)
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, EntityType, Role, User
from hipcare.services.access import deny, find_actor, write_audit
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.content import Site

__all__ = [
    "SiteAlertRoutes",
    "routes_in_force",
    "set_site_alert_routes",
    "site_alert_routes",
]

_FIELDS = (
    "working_days",
    "working_hours_start",
    "working_hours_end",
    "working_hours_address",
    "after_hours_address",
    "administrators_address",
)


@dataclass(frozen=True)
class SiteAlertRoutes:
    """A site's routes in force, whether an administrator set them (who, when) or they are
    the shipped defaults, and the shipped defaults."""

    routes: AlertRoutes
    defaults: AlertRoutes
    updated_by: int | None
    updated_at: datetime | None


def _defaults(site_id: str, sites: Mapping[str, Site]) -> AlertRoutes:
    site = sites.get(site_id)
    # A site in the database but not in sites.toml: no addresses (the fallback setting only).
    return AlertRoutes(site_id, "UTC") if site is None else site.alert_routes


def routes_in_force(uow: UnitOfWork, site_id: str, sites: Mapping[str, Site]) -> AlertRoutes:
    """The routes an alert of ``site_id`` follows (inside the caller's unit of work): those a
    site administrator saved, else the shipped ones."""
    defaults = _defaults(site_id, sites)
    stored = uow.alert_routes.get(site_id, defaults.timezone)
    return defaults if stored is None else stored.routes


def _administrator(
    uow: UnitOfWork, actor_id: int, site_id: str, sites: Mapping[str, Site], now: datetime
) -> User:
    actor = find_actor(uow, actor_id)
    if uow.sites.get(site_id) is None or site_id not in sites:
        raise InvalidInputError("site", f"no site {site_id!r} is known")
    if actor.role is not Role.SITE_ADMINISTRATOR or not actor.belongs_to(site_id):
        deny(
            uow,
            actor,
            EntityType.SITE,
            site_id,
            now,
            f"only an administrator of site {site_id!r} sees and sets its alert routes",
        )
    return actor


def site_alert_routes(
    uow: UnitOfWork, actor_id: int, site_id: str, *, sites: Mapping[str, Site], now: datetime
) -> SiteAlertRoutes:
    """The site's routes, for its administrators (the read is audited)."""
    with uow:
        actor = _administrator(uow, actor_id, site_id, sites, now)
        defaults = _defaults(site_id, sites)
        stored = uow.alert_routes.get(site_id, defaults.timezone)
        write_audit(uow, actor, AuditAction.ALERT_ROUTES_READ, EntityType.SITE, site_id, now)
        uow.commit()
    if stored is None:
        return SiteAlertRoutes(defaults, defaults, None, None)
    return SiteAlertRoutes(stored.routes, defaults, stored.updated_by, stored.updated_at)


def _text(form: Mapping[str, object], name: str) -> object:
    value = form.get(name)
    if value is not None and not isinstance(value, str | list):
        raise InvalidInputError(name, "must be text")
    return value


def set_site_alert_routes(
    uow: UnitOfWork,
    actor_id: int,
    site_id: str,
    form: Mapping[str, object],
    *,
    sites: Mapping[str, Site],
    now: datetime,
) -> SiteAlertRoutes:
    """Save the site's routes from ``form`` (keys: ``working_days`` as day names,
    ``working_hours_start`` and ``_end`` as HH:MM, and the three addresses, empty for none);
    site administrators only; audited. Bad input: ``InvalidInputError`` naming the field."""
    unknown = sorted(set(form) - set(_FIELDS))
    if unknown:
        raise InvalidInputError(unknown[0], f"is not a field of the alert routes: {_FIELDS}")
    with uow:
        actor = _administrator(uow, actor_id, site_id, sites, now)
        defaults = _defaults(site_id, sites)
        days = parse_working_days(_text(form, "working_days") or "", "working_days")
        if not days:
            raise InvalidInputError("working_days", "choose at least one working day")
        routes = AlertRoutes(
            site_id=site_id,
            timezone=defaults.timezone,
            working_days=days,
            start=parse_clock_time(_text(form, "working_hours_start"), "working_hours_start"),
            end=parse_clock_time(_text(form, "working_hours_end"), "working_hours_end"),
            working_hours_address=check_address(
                _text(form, "working_hours_address"), "working_hours_address"
            ),
            after_hours_address=check_address(
                _text(form, "after_hours_address"), "after_hours_address"
            ),
            administrators_address=check_address(
                _text(form, "administrators_address"), "administrators_address"
            ),
        )
        uow.alert_routes.save(routes, actor_id, now)
        write_audit(uow, actor, AuditAction.ALERT_ROUTES_CHANGED, EntityType.SITE, site_id, now)
        uow.commit()
    return SiteAlertRoutes(routes, defaults, actor_id, now)
