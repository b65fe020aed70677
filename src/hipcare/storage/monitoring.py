"""What an operator asks of the database: is it ready to serve, and the counts for monitoring.

Readiness (``/readyz``): the database answers and its schema is at the newest migration
shipped with this hipcare (``hipcare migrate`` brings it there). The counts (``/metrics``)
are of rows, never their contents: open alerts, and reminder emails claimed but not sent
(the reminder outbox, ``services/reminders.py``), of which those older than the claim
timeout or tried more than once count as failed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, func, or_, select
from sqlalchemy.exc import SQLAlchemyError

from hipcare.storage.migrate import head_revision
from hipcare.storage.tables import AlertRow, ReminderDeliveryRow

__all__ = ["OperationalCounts", "Readiness", "operational_counts", "readiness"]


@dataclass(frozen=True)
class Readiness:
    """Whether the app can serve; ``reason`` says why not, for an operator (no patient data)."""

    ready: bool
    reason: str | None
    revision: str | None
    head: str | None


def readiness(engine: Engine, head: str | None = None) -> Readiness:
    """Whether the database behind ``engine`` answers and is at the newest migration.

    ``head`` is the newest revision shipped (looked up when not given; callers that ask
    often pass it once).
    """
    expected = head if head is not None else head_revision()
    try:
        with engine.connect() as connection:
            revision = MigrationContext.configure(connection).get_current_revision()
    except SQLAlchemyError as error:
        return Readiness(False, f"database unreachable ({type(error).__name__})", None, expected)
    if revision is None:
        return Readiness(False, "database has no schema: run `hipcare migrate`", None, expected)
    if revision != expected:
        return Readiness(
            False,
            f"database schema is at {revision}, not {expected}: run `hipcare migrate`",
            revision,
            expected,
        )
    return Readiness(True, None, revision, expected)


@dataclass(frozen=True)
class OperationalCounts:
    """Counts for monitoring (rows, never their contents)."""

    open_alerts: int
    reminders_unsent: int
    reminders_failed: int


def operational_counts(
    engine: Engine, *, now: datetime, claim_timeout: timedelta
) -> OperationalCounts:
    """Alerts not yet acknowledged; reminder claims still ``sending`` (the outbox), and of
    them those claimed more than ``claim_timeout`` before ``now`` or tried more than once
    (a refused or crashed send, retried by the next run)."""
    sending = ReminderDeliveryRow.status == "sending"
    with engine.connect() as connection:
        open_alerts = connection.scalar(
            select(func.count()).select_from(AlertRow).where(AlertRow.acknowledged_at.is_(None))
        )
        unsent = connection.scalar(
            select(func.count()).select_from(ReminderDeliveryRow).where(sending)
        )
        failed = connection.scalar(
            select(func.count())
            .select_from(ReminderDeliveryRow)
            .where(
                sending,
                or_(
                    ReminderDeliveryRow.claimed_at < now - claim_timeout,
                    ReminderDeliveryRow.attempts > 1,
                ),
            )
        )
    return OperationalCounts(int(open_alerts or 0), int(unsent or 0), int(failed or 0))
