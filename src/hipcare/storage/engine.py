"""Database engines: SQLite (a file, WAL mode, foreign keys on) or PostgreSQL (psycopg 3).

Entry points build :class:`hipcare.settings.Settings` from the environment and call
:func:`create_database_engine` with its ``database_url``; nothing here reads the
environment or opens a connection at import time.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from hipcare.domain.errors import InvalidInputError

__all__ = ["create_database_engine", "create_session_factory", "sqlite_url_for"]

_SUPPORTED_BACKENDS = ("sqlite", "postgresql")


def sqlite_url_for(path: Path) -> str:
    """The SQLAlchemy URL of the SQLite database file at ``path`` (made absolute)."""
    return f"sqlite:///{path.absolute()}"


def _parse(url: str) -> URL:
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as error:
        raise InvalidInputError(
            "HIPCARE_DATABASE_URL", f"is not a database URL ({error})"
        ) from None
    if parsed.get_backend_name() not in _SUPPORTED_BACKENDS:
        raise InvalidInputError(
            "HIPCARE_DATABASE_URL",
            f"backend {parsed.get_backend_name()!r} is not supported; use sqlite:///PATH or "
            "postgresql+psycopg://USER@HOST/DATABASE",
        )
    if parsed.get_backend_name() == "postgresql" and parsed.get_driver_name() != "psycopg":
        raise InvalidInputError(
            "HIPCARE_DATABASE_URL",
            "use the psycopg 3 driver: postgresql+psycopg://USER@HOST/DATABASE",
        )
    return parsed


def _on_sqlite_connect(dbapi_connection: Any, connection_record: Any) -> None:
    """Turn on what SQLite leaves off: foreign keys (per connection) and WAL journaling
    (with ``synchronous = NORMAL``, the setting SQLite recommends for WAL).

    WAL lets readers carry on while one process writes; it is a property of the file, set
    again harmlessly on every connection. An in-memory database stays in its own mode.
    """
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA foreign_keys = ON")
        cursor.execute("PRAGMA journal_mode = WAL")
        # In WAL mode NORMAL never corrupts the file; a power cut may lose the last
        # transactions, and commits skip an fsync each (SQLite docs, "PRAGMA synchronous").
        cursor.execute("PRAGMA synchronous = NORMAL")
        cursor.execute("PRAGMA busy_timeout = 5000")
    finally:
        cursor.close()


def create_database_engine(url: str, **options: Any) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    For a SQLite file the folder is created when missing. ``options`` go to
    :func:`sqlalchemy.create_engine` (for example ``poolclass`` in tests).
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, **options)
        event.listen(engine, "connect", _on_sqlite_connect)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **options)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit (no lazy reloads)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
