"""What the family side's storage classes share: the unit of work's two ways to the database.

:class:`hipcare.storage.family.SqlAlchemyFamilyRepository` is made of
:class:`hipcare.storage.family_diary.SqlAlchemyFamilyDiary` and
:class:`hipcare.storage.family_reminders.SqlAlchemyFamilyReminders`, each built on this.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import Connection
from sqlalchemy.orm import Session

__all__ = ["FamilyStorageBase"]


class FamilyStorageBase:
    """Holds the ORM session ``orm_session()`` (which a connection unit of work makes only
    when it is first needed) and the Core connection ``connection()``."""

    def __init__(
        self, orm_session: Callable[[], Session], connection: Callable[[], Connection]
    ) -> None:
        self._orm_session = orm_session
        self._connection = connection

    @property
    def _session(self) -> Session:
        return self._orm_session()
