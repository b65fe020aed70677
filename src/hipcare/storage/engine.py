"""Database engines: SQLite (a file, WAL mode, foreign keys on) or PostgreSQL (psycopg 3).

Entry points build :class:`hipcare.settings.Settings` from the environment and call
:func:`create_database_engine` with its ``database_url``; nothing here reads the
environment or opens a connection at import time.
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError
from sqlalchemy.orm import Session, sessionmaker

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "WalCheckpointer",
    "create_database_engine",
    "create_session_factory",
    "sqlite_url_for",
]

_log = logging.getLogger("hipcare.storage")

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

    The driver's own transaction handling is turned off (``isolation_level = None``): pysqlite
    begins a transaction only at the first write, so a use case's reads ran outside it and a
    concurrent writer could slip in between. :func:`_begin_immediate` begins instead.
    """
    dbapi_connection.isolation_level = None
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


def _begin_immediate(connection: Any) -> None:
    """Begin every transaction with ``BEGIN IMMEDIATE``: it takes the write lock before the
    first read, so a use case reads and writes one consistent state (a second worker waits,
    up to ``busy_timeout``) and never fails to upgrade a read lock half-way (SQLAlchemy docs,
    "Serializable isolation / Savepoints / Transactional DDL" for pysqlite). Almost every
    request writes (an audit row at least), so nothing is lost by taking the lock at once.
    """
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def _no_automatic_checkpoints(dbapi_connection: Any, connection_record: Any) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA wal_autocheckpoint = 0")
    finally:
        cursor.close()


def create_database_engine(
    url: str, *, background_checkpoints: bool = False, **options: Any
) -> Engine:
    """An engine for ``url`` (``sqlite:///...`` or ``postgresql+psycopg://...``).

    For a SQLite file the folder is created when missing. ``background_checkpoints`` (SQLite
    files only) turns off the automatic WAL checkpoint on the engine's connections: the
    caller must then run a :class:`WalCheckpointer` for as long as it uses the engine (the web
    app does). ``options`` go to :func:`sqlalchemy.create_engine` (for example ``poolclass``
    in tests).

    Every engine hides SQL parameters (``hide_parameters``): a database error's message and
    traceback would otherwise print the values, and those are names, birth dates, emails,
    password hashes and measures, which never go into a log.
    """
    parsed = _parse(url)
    if parsed.get_backend_name() == "sqlite":
        database = parsed.database
        if database and database != ":memory:" and not database.startswith("file:"):
            Path(database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(parsed, hide_parameters=True, **options)
        event.listen(engine, "connect", _on_sqlite_connect)
        event.listen(engine, "begin", _begin_immediate)
        if background_checkpoints and _sqlite_file(engine) is not None:
            event.listen(engine, "connect", _no_automatic_checkpoints)
        return engine
    return create_engine(parsed, pool_pre_ping=True, hide_parameters=True, **options)


def _sqlite_file(engine: Engine) -> str | None:
    """The path of the engine's SQLite file, or None (another backend, or in memory)."""
    if engine.dialect.name != "sqlite":
        return None
    database = engine.url.database
    if not database or database == ":memory:" or database.startswith("file:"):
        return None
    return database


class WalCheckpointer:
    """Runs SQLite's WAL checkpoints on a thread of their own, so no request waits for one.

    In WAL mode with ``synchronous = NORMAL`` a commit does not sync the disk; the checkpoint
    that copies the log back into the database file does, and SQLite runs it automatically
    inside whichever commit crosses 1,000 pages of log. In the web app that commit belongs to
    a request: measured on the family today page, one view in seven took over 5 ms while
    that request waited on the disk, and every request queued behind it waited too (the
    event loop runs the short database work inline, ADR 7). With ``background_checkpoints``
    engines and this running, the same work happens here instead, every ``interval_s``
    seconds, as a PASSIVE checkpoint (it never blocks readers or writers; SQLite docs,
    "wal_checkpoint"). ``stop`` runs a last checkpoint. For PostgreSQL or an in-memory
    database it does nothing.
    """

    def __init__(self, engine: Engine, *, interval_s: float = 1.0) -> None:
        if not interval_s > 0:
            raise InvalidInputError("interval_s", "must be more than 0 seconds")
        self._path = _sqlite_file(engine)
        self._interval_s = interval_s
        self._stopping = threading.Event()
        self._thread: threading.Thread | None = None
        self.checkpoints = 0
        """Checkpoints run so far (for tests and diagnostics)."""

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> None:
        """Start the thread (once; a second call does nothing)."""
        if self._path is None or self._thread is not None:
            return
        self._thread = threading.Thread(
            target=self._run, name="hipcare-wal-checkpoints", daemon=True
        )
        self._thread.start()

    def stop(self) -> None:
        """Stop the thread after a last checkpoint (waits up to 10 s)."""
        if self._thread is None:
            return
        self._stopping.set()
        self._thread.join(timeout=10)
        self._thread = None

    def checkpoint(self) -> tuple[int, int, int]:
        """One PASSIVE checkpoint now: (busy, log pages, pages checkpointed), as SQLite says."""
        if self._path is None:
            return (0, 0, 0)
        connection = sqlite3.connect(self._path, timeout=5)
        try:
            connection.execute("PRAGMA busy_timeout = 5000")
            row = connection.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        finally:
            connection.close()
        self.checkpoints += 1
        return (int(row[0]), int(row[1]), int(row[2]))

    def _run(self) -> None:
        while not self._stopping.wait(self._interval_s):
            self._checkpoint_logging_failures()
        self._checkpoint_logging_failures()

    def _checkpoint_logging_failures(self) -> None:
        try:
            self.checkpoint()
        except sqlite3.Error as error:
            # The next round tries again; a failed checkpoint loses nothing (the log keeps it).
            _log.warning("WAL checkpoint failed (%s); trying again", type(error).__name__)


def create_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions bound to ``engine``; objects stay readable after commit (no lazy reloads)."""
    return sessionmaker(bind=engine, expire_on_commit=False)
