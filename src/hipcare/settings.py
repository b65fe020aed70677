"""Settings for an entry point, built from an environment mapping (never at import time).

- ``HIPCARE_DATABASE_URL``: the SQLAlchemy URL of the database, ``sqlite:///PATH`` or
  ``postgresql+psycopg://USER@HOST/DATABASE``; default ``sqlite:///<data dir>/hipcare.sqlite3``.
- ``HIPCARE_DATA_DIR``: the folder for hipcare's own files (the default SQLite database);
  default ``./var/``.

``docs/storage.md`` documents the same variables; a test fails if the two drift apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

__all__ = ["DEFAULT_DATA_DIR", "ENVIRONMENT_VARIABLES", "SQLITE_FILE_NAME", "Settings"]

DEFAULT_DATA_DIR = Path("var")
SQLITE_FILE_NAME = "hipcare.sqlite3"
ENVIRONMENT_VARIABLES = ("HIPCARE_DATABASE_URL", "HIPCARE_DATA_DIR")
"""Every variable :meth:`Settings.from_environ` reads."""


@dataclass(frozen=True)
class Settings:
    """Where hipcare keeps its data. Build it with :meth:`from_environ` in an entry point."""

    database_url: str
    data_dir: Path

    @classmethod
    def from_environ(cls, environ: Mapping[str, str]) -> Settings:
        """Settings from ``environ`` (pass ``os.environ`` or a plain dict in tests).

        Without ``HIPCARE_DATABASE_URL`` the database is the SQLite file
        ``<data dir>/hipcare.sqlite3``; the data folder is ``HIPCARE_DATA_DIR`` or ``./var/``
        (relative to the working directory), made absolute here.
        """
        data_dir = Path(environ.get("HIPCARE_DATA_DIR", "").strip() or DEFAULT_DATA_DIR)
        data_dir = data_dir.expanduser().absolute()
        url = environ.get("HIPCARE_DATABASE_URL", "").strip()
        if not url:
            url = f"sqlite:///{data_dir / SQLITE_FILE_NAME}"
        return cls(database_url=url, data_dir=data_dir)
