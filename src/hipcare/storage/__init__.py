"""Storage: SQLAlchemy tables, repositories, the unit of work, and Alembic migrations.

An adapter: it implements the repository and unit-of-work protocols that
``hipcare.services.ports`` declares, and only entry points construct it::

    engine = create_database_engine(settings.database_url)
    upgrade_to_head(settings.database_url)
    uow = SqlAlchemyUnitOfWork(create_session_factory(engine))

SQLite (a file in WAL mode, foreign keys on) by default; PostgreSQL through psycopg 3 when
``HIPCARE_DATABASE_URL`` says ``postgresql+psycopg://...``. See ``docs/storage.md``.
"""

from __future__ import annotations

from hipcare.storage.engine import create_database_engine, create_session_factory, sqlite_url_for
from hipcare.storage.migrate import current_revision, head_revision, upgrade_to_head
from hipcare.storage.tables import Base
from hipcare.storage.unit_of_work import SqlAlchemyUnitOfWork

__all__ = [
    "Base",
    "SqlAlchemyUnitOfWork",
    "create_database_engine",
    "create_session_factory",
    "current_revision",
    "head_revision",
    "sqlite_url_for",
    "upgrade_to_head",
]
