"""Alembic, driven from Python: bring a database to the newest schema, or write a revision.

The app calls :func:`upgrade_to_head` on start (it is safe to call on every start: an
up-to-date database is left as it is). Developers add a revision after changing
``storage/tables.py`` with :func:`write_revision` (see ``docs/storage.md``).
"""

from __future__ import annotations

import os
from importlib import resources
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import Script, ScriptDirectory

from hipcare.storage.engine import create_database_engine

__all__ = [
    "alembic_config",
    "current_revision",
    "head_revision",
    "upgrade_to_head",
    "write_revision",
]


def _script_location() -> str:
    return str(Path(str(resources.files("hipcare.storage") / "migrations")))


def alembic_config(url: str) -> Config:
    """An Alembic configuration for the database at ``url``, with no ``alembic.ini``.

    The URL travels in ``config.attributes`` rather than the ini options, where ``%``
    (as in an escaped PostgreSQL ``options`` query) would be read as interpolation.
    """
    config = Config()
    config.set_main_option("script_location", _script_location())
    config.attributes["database_url"] = url
    return config


def upgrade_to_head(url: str) -> None:
    """Apply every migration the database at ``url`` has not had yet."""
    command.upgrade(alembic_config(url), "head")


def head_revision() -> str | None:
    """The newest revision shipped with hipcare."""
    return ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


def current_revision(url: str) -> str | None:
    """The revision the database at ``url`` is at (None for an empty database)."""
    engine = create_database_engine(url)
    try:
        with engine.connect() as connection:
            return MigrationContext.configure(connection).get_current_revision()
    finally:
        engine.dispose()


def write_revision(url: str, message: str, version_path: Path | None = None) -> Path:
    """Autogenerate a revision from the difference between ``url``'s schema and the tables.

    Point ``url`` at a database upgraded to head; review the file before committing it.
    The file goes to ``storage/migrations/versions`` unless ``version_path`` says otherwise;
    its path is returned.
    """
    config = alembic_config(url)
    if version_path is not None:
        versions = Path(_script_location()) / "versions"
        config.set_main_option("path_separator", "os")
        config.set_main_option(
            "version_locations", os.pathsep.join([str(versions), str(version_path)])
        )
    script = command.revision(
        config,
        message=message,
        autogenerate=True,
        version_path=None if version_path is None else str(version_path),
    )
    if not isinstance(script, Script):  # pragma: no cover -- one revision, not a list
        raise TypeError("expected one revision script")
    return Path(script.path)
