"""The background WAL checkpointer: requests never run a checkpoint, the thread does."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from sqlalchemy import text

from hipcare.domain.errors import InvalidInputError
from hipcare.storage import create_database_engine
from hipcare.storage.engine import WalCheckpointer


def test_background_engines_leave_checkpoints_to_the_checkpointer(tmp_path: Path) -> None:
    """With ``background_checkpoints`` the connections never checkpoint on their own: the log
    grows past SQLite's automatic 1,000 pages until the checkpointer copies it back."""
    path = tmp_path / "db.sqlite3"
    url = f"sqlite:///{path}"
    engine = create_database_engine(url, background_checkpoints=True)
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 0
            connection.execute(text("CREATE TABLE filler (body TEXT)"))
            connection.commit()
            for _ in range(60):
                connection.execute(
                    text("INSERT INTO filler (body) VALUES (:body)"), [{"body": "x" * 1000}] * 100
                )
                connection.commit()
        log_pages = os.path.getsize(str(path) + "-wal") // 4096
        assert log_pages > 1000  # automatic checkpoints would have reset the log by now
        checkpointer = WalCheckpointer(engine)
        busy, in_log, copied = checkpointer.checkpoint()
        assert (busy, copied) == (0, in_log)
        with engine.connect() as connection:
            assert connection.exec_driver_sql("SELECT count(*) FROM filler").scalar() == 6000
    finally:
        engine.dispose()


def test_plain_engines_keep_sqlites_automatic_checkpoints(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    try:
        with engine.connect() as connection:
            assert connection.exec_driver_sql("PRAGMA wal_autocheckpoint").scalar() == 1000
    finally:
        engine.dispose()


def test_the_thread_checkpoints_until_stopped_and_once_more_at_stop(tmp_path: Path) -> None:
    path = tmp_path / "db.sqlite3"
    engine = create_database_engine(f"sqlite:///{path}", background_checkpoints=True)
    checkpointer = WalCheckpointer(engine, interval_s=0.01)
    try:
        checkpointer.start()
        checkpointer.start()  # a second start does nothing
        assert checkpointer.running
        with engine.begin() as connection:
            connection.execute(text("CREATE TABLE t (n INTEGER)"))
            connection.execute(text("INSERT INTO t VALUES (1)"))
        checkpointer.stop()
        assert not checkpointer.running
        assert checkpointer.checkpoints >= 1
        # Everything committed is in the database file itself now.
        assert checkpointer.checkpoint()[0] == 0
    finally:
        checkpointer.stop()
        engine.dispose()


def test_checkpointer_does_nothing_for_an_in_memory_database() -> None:
    engine = create_database_engine("sqlite://", background_checkpoints=True)
    checkpointer = WalCheckpointer(engine)
    checkpointer.start()
    assert not checkpointer.running
    assert checkpointer.checkpoint() == (0, 0, 0)
    checkpointer.stop()
    engine.dispose()


def test_checkpointer_refuses_a_zero_interval(tmp_path: Path) -> None:
    engine = create_database_engine(f"sqlite:///{tmp_path / 'db.sqlite3'}")
    with pytest.raises(InvalidInputError, match="interval_s"):
        WalCheckpointer(engine, interval_s=0)
    engine.dispose()
