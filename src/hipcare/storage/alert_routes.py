"""The ``site_alert_routes`` table: a site's alert routes as a site administrator set them
(``hipcare.services.ports.alert_routes.AlertRouteRepository``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
from sqlalchemy.orm import Mapped, Session, mapped_column

from hipcare.domain.alert_routes import AlertRoutes, parse_clock_time, parse_working_days
from hipcare.services.ports.alert_routes import StoredAlertRoutes
from hipcare.storage.tables import Base

__all__ = ["SiteAlertRouteRow", "SqlAlchemyAlertRouteRepository"]


class SiteAlertRouteRow(Base):
    """One site's routes: working days (``mon tue ...``), hours (``HH:MM``, the site's time
    zone) and the three addresses (empty: not set)."""

    __tablename__ = "site_alert_routes"

    site_id: Mapped[str] = mapped_column(
        String(64), ForeignKey("sites.id", ondelete="CASCADE"), primary_key=True
    )
    working_days: Mapped[str] = mapped_column(String(32))
    working_hours_start: Mapped[str] = mapped_column(String(5))
    working_hours_end: Mapped[str] = mapped_column(String(5))
    working_hours_address: Mapped[str | None] = mapped_column(String(320))
    after_hours_address: Mapped[str | None] = mapped_column(String(320))
    administrators_address: Mapped[str | None] = mapped_column(String(320))
    updated_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime]


class SqlAlchemyAlertRouteRepository:
    def __init__(self, session: Session) -> None:
        self._session = session

    def get(self, site_id: str, timezone: str) -> StoredAlertRoutes | None:
        row = self._session.get(SiteAlertRouteRow, site_id)
        if row is None:
            return None
        routes = AlertRoutes(
            site_id=site_id,
            timezone=timezone,
            working_days=parse_working_days(row.working_days, "working_days"),
            start=parse_clock_time(row.working_hours_start, "working_hours_start"),
            end=parse_clock_time(row.working_hours_end, "working_hours_end"),
            working_hours_address=row.working_hours_address,
            after_hours_address=row.after_hours_address,
            administrators_address=row.administrators_address,
        )
        return StoredAlertRoutes(routes, row.updated_by, row.updated_at)

    def save(self, routes: AlertRoutes, updated_by: int, at: datetime) -> None:
        row = self._session.get(SiteAlertRouteRow, routes.site_id)
        if row is None:
            row = SiteAlertRouteRow(site_id=routes.site_id)
            self._session.add(row)
        row.working_days = routes.working_days_text
        row.working_hours_start = routes.start.strftime("%H:%M")
        row.working_hours_end = routes.end.strftime("%H:%M")
        row.working_hours_address = routes.working_hours_address
        row.after_hours_address = routes.after_hours_address
        row.administrators_address = routes.administrators_address
        row.updated_by = updated_by
        row.updated_at = at
        self._session.flush()
