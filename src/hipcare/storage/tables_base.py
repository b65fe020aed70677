"""What every table shares: the declarative :class:`Base` with one ``MetaData`` and its
constraint names, the UTC moment type, closed choices as checked VARCHARs, the id type.

Table classes live in ``hipcare.storage.tables`` and its ``tables_<area>`` modules, all on
this one ``Base.metadata`` (``hipcare.storage.tables`` imports every one, so importing it
registers the whole schema).
"""

from __future__ import annotations

import enum
from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    BigInteger,
    Date,
    DateTime,
    Dialect,
    Integer,
    MetaData,
    TypeDecorator,
)
from sqlalchemy import Enum as SqlEnum
from sqlalchemy.orm import DeclarativeBase

__all__ = [
    "NAMING_CONVENTION",
    "RECORD_ID",
    "Base",
    "UtcDateTime",
    "choice_type",
]


NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UtcDateTime(TypeDecorator[datetime]):
    """A timezone-aware moment, stored and returned in UTC; a naive datetime is refused.

    SQLite has no time-zone type and hands back naive values, so they are read as UTC (the
    only zone ever written); PostgreSQL's ``timestamptz`` comes back in the session's zone
    and is converted.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError("naive datetime refused: hipcare stores timezone-aware UTC times")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def choice_type(enum_class: type[enum.Enum], name: str) -> SqlEnum:
    """A closed set stored as its values in a VARCHAR with a named CHECK constraint."""
    return SqlEnum(
        enum_class,
        name=name,
        native_enum=False,
        create_constraint=True,
        # Room to grow: a longer new value then needs only a new CHECK, not a wider column.
        length=max(32, *(len(str(member.value)) for member in enum_class)),
        values_callable=lambda members: [str(member.value) for member in members],
        validate_strings=True,
    )


RECORD_ID = BigInteger().with_variant(Integer(), "sqlite")
"""The type of every id and every column that refers to one: 64 bits on PostgreSQL, as the
paths accept (migration 0010_p1); on SQLite an INTEGER primary key is the 64-bit rowid
already, and a BIGINT one would not number itself."""


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    # ``Mapped[int]`` without a type: the foreign keys, which must match the ids they name.
    type_annotation_map: ClassVar[dict[Any, Any]] = {
        datetime: UtcDateTime(),
        date: Date(),
        int: RECORD_ID,
    }
