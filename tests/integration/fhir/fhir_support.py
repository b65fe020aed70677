"""Constants and types the FHIR tests share (a module with a unique name: several test
folders have a ``conftest`` module, so tests import shared names from here instead)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime

from hipcare.storage import SqlAlchemyUnitOfWork

TODAY = date(2026, 11, 25)
NOW = datetime(2026, 11, 25, 9, 30, tzinfo=UTC)

OpenUnitOfWork = Callable[[str], SqlAlchemyUnitOfWork]
"""The ``unit_of_work`` fixture: opens a unit of work on a database URL."""
