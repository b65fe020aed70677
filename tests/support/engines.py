"""The storage engines the service tests run over: in memory, SQLite and PostgreSQL.

Model: ehrql ``tests/conftest.py`` (``QUERY_ENGINE_NAMES``, ``engine_factory``): every test of a
use case's rules (who may see or change what, what is audited) runs once per engine, so the
fake in ``tests/support/memory.py`` and the SQL unit of work are held to the same answers.
Each engine gives new units of work on one store and reads back what was written, in the
shape of the database's rows (``audit_rows``: the ``audit_log`` table's columns).
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy import Engine, text
from tests.support.databases import DATABASE_KINDS
from tests.support.memory import InMemoryUnitOfWork, MemoryDatabase

from hipcare.services.ports import UnitOfWork
from hipcare.storage import SqlAlchemyUnitOfWork, create_session_factory

__all__ = ["ENGINE_NAMES", "MemoryEngine", "SqlEngine", "StorageEngine"]

ENGINE_NAMES = ("memory", *DATABASE_KINDS)
"""The parameters of every fixture that runs a service test once per engine."""

_AUDIT_COLUMNS = ("id", "actor_id", "action", "entity_type", "entity_id", "at", "command")


class StorageEngine(Protocol):
    name: str

    def unit_of_work(self) -> UnitOfWork:
        """A new unit of work on this engine's store."""
        ...

    def audit_rows(self) -> list[dict[str, Any]]:
        """Every audit row, oldest id first, as the ``audit_log`` table holds it."""
        ...

    def count(self, table: str) -> int:
        """How many rows ``table`` (a table name of ``hipcare.storage.tables``) holds."""
        ...


class MemoryEngine:
    name = "memory"

    def __init__(self) -> None:
        self.database = MemoryDatabase()

    def unit_of_work(self) -> InMemoryUnitOfWork:
        return InMemoryUnitOfWork(self.database)

    def audit_rows(self) -> list[dict[str, Any]]:
        entries = self.database.tables.audit_log
        return [
            {
                column: value.value if column in ("action", "entity_type") else value
                for column in _AUDIT_COLUMNS
                for value in [getattr(entries[entry_id], column)]
            }
            for entry_id in sorted(entries)
        ]

    def count(self, table: str) -> int:
        return len(getattr(self.database.tables, table))


class SqlEngine:
    def __init__(self, name: str, engine: Engine) -> None:
        self.name = name
        self.engine = engine

    def unit_of_work(self) -> SqlAlchemyUnitOfWork:
        return SqlAlchemyUnitOfWork(create_session_factory(self.engine))

    def audit_rows(self) -> list[dict[str, Any]]:
        with self.engine.connect() as connection:
            rows = connection.execute(text("SELECT * FROM audit_log ORDER BY id"))
            return [dict(row._mapping) for row in rows]

    def count(self, table: str) -> int:
        with self.engine.connect() as connection:
            # The table name is one of the test's own literals, never input.
            found = connection.execute(text(f"SELECT count(*) FROM {table}")).scalar()  # noqa: S608 -- a test's literal table name
        return int(found or 0)
