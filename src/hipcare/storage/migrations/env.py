"""Alembic environment for hipcare: the package's table metadata, batch mode for SQLite.

Run through ``hipcare.storage.migrate`` (no ``alembic.ini``): the database URL arrives in
``config.attributes["database_url"]``.
"""

from __future__ import annotations

from typing import Any, Literal

from alembic import context
from sqlalchemy import Connection

from hipcare.storage.engine import create_database_engine
from hipcare.storage.tables import Base, UtcDateTime

target_metadata = Base.metadata


def _render_item(type_: str, item: object, autogen_context: Any) -> str | Literal[False]:
    """Write hipcare's column types as plain SQLAlchemy types, so revisions never import app code.

    A revision must keep working after ``tables.py`` changes; what the database holds for a
    :class:`UtcDateTime` is simply a timezone-aware timestamp.
    """
    if type_ == "type" and isinstance(item, UtcDateTime):
        return "sa.DateTime(timezone=True)"
    return False


def _run_migrations_offline(url: str) -> None:
    context.configure(
        url=url,
        target_metadata=target_metadata,
        literal_binds=True,
        render_as_batch=True,
        compare_type=True,
        render_item=_render_item,
    )
    with context.begin_transaction():
        context.run_migrations()


def _outside_transaction(connection: Connection, pragma: str) -> None:
    """Run ``pragma`` on the SQLite driver connection itself, outside any transaction."""
    connection.connection.driver_connection.execute(pragma)  # type: ignore[union-attr]  # a pysqlite connection here


def _run_migrations_online(url: str) -> None:
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            sqlite = connection.dialect.name == "sqlite"
            if sqlite:
                # Batch mode rebuilds a table by copying it and dropping the old one; with
                # foreign keys on, dropping a table other rows point at fails (or cascades).
                # Off for the migration (outside any transaction, where SQLite honours it),
                # then every reference is checked (Alembic docs, "Running batch migrations
                # for SQLite": dealing with referencing foreign keys).
                # Straight to the driver: SQLAlchemy would begin a transaction first
                # (BEGIN IMMEDIATE, hipcare.storage.engine), inside which the pragma is ignored.
                _outside_transaction(connection, "PRAGMA foreign_keys = OFF")
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                # SQLite cannot ALTER most things; batch mode copies the table instead.
                render_as_batch=True,
                compare_type=True,
                render_item=_render_item,
            )
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
                connection.commit()
                _outside_transaction(connection, "PRAGMA foreign_keys = ON")
    finally:
        engine.dispose()


def _run() -> None:
    config = context.config
    url = config.attributes.get("database_url") or config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("no database URL given to the hipcare migrations")
    if context.is_offline_mode():
        _run_migrations_offline(url)
    else:
        _run_migrations_online(url)


# Alembic runs this file with its context set up; a plain import (a test that imports every
# module of the package) must do nothing.
if hasattr(context, "config"):
    _run()
