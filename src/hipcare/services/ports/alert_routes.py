"""A site's alert routes as a site administrator set them (the override of ``sites.toml``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hipcare.domain.alert_routes import AlertRoutes

__all__ = ["AlertRouteRepository", "StoredAlertRoutes"]


@dataclass(frozen=True)
class StoredAlertRoutes:
    """The routes saved for a site, who saved them and when."""

    routes: AlertRoutes
    updated_by: int
    updated_at: datetime


class AlertRouteRepository(Protocol):
    def get(self, site_id: str, timezone: str) -> StoredAlertRoutes | None:
        """The saved routes of ``site_id``, their hours read in ``timezone`` (the site's, from
        ``sites.toml``), or None when nobody has set them."""
        ...

    def save(self, routes: AlertRoutes, updated_by: int, at: datetime) -> None:
        """Insert or replace the site's saved routes."""
        ...
