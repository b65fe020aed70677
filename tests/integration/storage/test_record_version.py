"""children.record_version and page_generation follow every change (migration 0008, ADR 10).

The web page cache serves a child's page while these two numbers are unchanged, so a table
that holds part of a child's record without a trigger would serve stale pages. These tests
find the tables from the metadata (any table whose foreign keys lead to ``children``), so a
new table fails here until it is given triggers or listed below with its reason.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from sqlalchemy import (
    JSON,
    Boolean,
    Connection,
    Date,
    Engine,
    Enum,
    Float,
    Integer,
    LargeBinary,
    String,
    Table,
    delete,
    insert,
    select,
    text,
    update,
)

from hipcare.storage import Base

NOT_PART_OF_THE_RECORD = {
    "surveillance_status": "a judgement derived from the record, re-judged lazily by the "
    "worklist; the child page judges surveillance afresh and never reads it",
    "reminder_deliveries": "a log of reminder emails sent to the family; no page shows it",
    **dict.fromkeys(
        (
            "operation_outcomes",
            "operation_complications",
            "operation_readmissions",
            "operation_reoperations",
        ),
        "an operation's outcome (issue 19): shown on its own outcome page and the site report, "
        "which are never cached; the child page does not show it",
    ),
    "radiograph_overlays": "a reading's overlay image (issue 16), drawn after the reading is "
    "saved (which moved the version): the page links it by the reading's id and never says "
    "whether it exists, so the rendered page does not change with it",
}
"""Tables linked to children that deliberately do not move the record version."""

_CHECKED_STRINGS = {
    ("radiographs", "image_format"): "png",
    ("reminder_deliveries", "status"): "sent",
    ("alert_deliveries", "status"): "sent",
}


def _linked_to_children() -> set[str]:
    """Every table whose foreign keys lead (directly or through others) to ``children``."""
    linked = {"children"}
    grew = True
    while grew:
        grew = False
        for table in Base.metadata.sorted_tables:
            if table.name in linked:
                continue
            if any(key.column.table.name in linked for key in table.foreign_keys):
                linked.add(table.name)
                grew = True
    return linked - {"children"}


def _tables_with_record_version_triggers(connection: Connection) -> set[str]:
    if connection.dialect.name == "sqlite":
        query = (
            "SELECT tbl_name FROM sqlite_master WHERE type = 'trigger' "
            "AND name LIKE 'trg_%_record_version%'"
        )
    else:
        query = (
            "SELECT event_object_table FROM information_schema.triggers "
            "WHERE trigger_schema = current_schema() AND trigger_name LIKE 'trg_%_record_version'"
        )
    return set(connection.execute(text(query)).scalars())


def test_every_table_linked_to_children_moves_the_record_version(engine: Engine) -> None:
    """A table holding part of a child's record has a trigger, or a reason not to."""
    with engine.connect() as connection:
        triggered = _tables_with_record_version_triggers(connection)
    linked = _linked_to_children()
    assert linked - triggered - NOT_PART_OF_THE_RECORD.keys() == set()
    assert triggered & NOT_PART_OF_THE_RECORD.keys() == set()
    assert "children" in triggered
    assert {"visits", "hip_measures", "care_plan_items", "radiograph_readings"} <= triggered


def _value(table: Table, column: Any, parents: dict[str, Any], serial: int) -> Any:
    """A valid value for ``column`` of a new row: the parent's key for a foreign key."""
    for key in column.foreign_keys:
        if key.column.table.name == table.name:
            return None  # a row's link to another of its kind (a merged child): none yet
        return parents[key.column.table.name]
    if (table.name, column.name) in _CHECKED_STRINGS:
        return _CHECKED_STRINGS[(table.name, column.name)]
    kind = column.type
    if isinstance(kind, Enum):
        return kind.enums[0]
    if column.nullable:
        return None
    if isinstance(kind, Boolean):
        return False
    if isinstance(kind, Integer):
        return serial
    if isinstance(kind, Float):
        return 1.0
    if isinstance(kind, Date):
        return date(2020, 1, 1)
    if isinstance(kind, JSON):
        return []
    if isinstance(kind, LargeBinary):
        return b"x"
    if isinstance(kind, String):
        return f"{table.name[:40]}-{serial}"
    return datetime(2026, 1, 1, tzinfo=UTC)


def _insert(connection: Connection, table: Table, parents: dict[str, Any], serial: int) -> Any:
    values = {
        column.name: _value(table, column, parents, serial)
        for column in table.columns
        if not (column.primary_key and column.autoincrement is True and not column.foreign_keys)
        and column.name != "record_version"
    }
    if table.name == "page_generation":
        return 1
    result = connection.execute(insert(table).values(values).returning(*table.primary_key))
    return result.scalar_one()


def _version(connection: Connection, child_id: int) -> int:
    return connection.execute(
        text("SELECT record_version FROM children WHERE id = :id"), {"id": child_id}
    ).scalar_one()


def _generation(connection: Connection) -> int:
    return connection.execute(text("SELECT generation FROM page_generation")).scalar_one()


def test_each_record_table_moves_the_version_on_insert_update_and_delete(engine: Engine) -> None:
    """One row in every table, changed and deleted in turn; the version moves each time, and
    only for that child; the audit log and sessions move nothing."""
    linked = _linked_to_children() - NOT_PART_OF_THE_RECORD.keys()
    tables = [
        table
        for table in Base.metadata.sorted_tables
        if table.name in linked | {"sites", "users", "children", "radiograph_files"}
    ]
    with engine.begin() as connection:
        parents: dict[str, Any] = {}
        for serial, table in enumerate(tables, start=1):
            if table.name == "children":
                other = _insert(connection, table, parents, serial + 100)
            parents[table.name] = _insert(connection, table, parents, serial)
            if table.name == "children":
                child = parents["children"]
                seen = _version(connection, child)
                assert seen == 0
            elif table.name in linked:
                assert _version(connection, child) > seen, ("adding a row to", table.name)
                seen = _version(connection, child)
        assert _version(connection, other) == 0

        for table in tables:
            if table.name not in linked | {"children"}:
                continue
            where = [next(iter(table.primary_key)) == parents[table.name]]
            if table.name in ("family_links", "pain_descriptors"):
                where = [table.c.child_id == child]
            column = next(c for c in table.columns if not c.primary_key and not c.foreign_keys)
            connection.execute(update(table).where(*where).values({column.name: column}))
            assert _version(connection, child) > seen, ("changing a row of", table.name)
            seen = _version(connection, child)

        connection.execute(
            text(
                "INSERT INTO audit_log (actor_id, action, entity_type, entity_id, at) "
                "VALUES (1, 'child.read', 'child', :id, :at)"
            ),
            {"id": str(child), "at": datetime(2026, 1, 1, tzinfo=UTC)},
        )
        assert _version(connection, child) == seen, "reading the record is no change"

        for table in reversed(tables):
            if table.name not in linked:
                continue
            key = next(iter(table.primary_key))
            where = (
                table.c.child_id == child if key.name == "user_id" else key == parents[table.name]
            )
            if table.name == "pain_descriptors":
                where = table.c.child_id == child
            connection.execute(delete(table).where(where))
            assert _version(connection, child) > seen, ("deleting a row of", table.name)
            seen = _version(connection, child)
        assert _version(connection, other) == 0


def test_a_user_added_changed_or_removed_moves_the_page_generation(engine: Engine) -> None:
    """Staff names are on pages but in no child's record: they have their own counter."""
    users = Base.metadata.tables["users"]
    with engine.begin() as connection:
        before = _generation(connection)
        user_id = connection.execute(
            insert(users)
            .values(email="g@example.org", display_name="G", role="clinician")
            .returning(users.c.id)
        ).scalar_one()
        added = _generation(connection)
        connection.execute(update(users).where(users.c.id == user_id).values(display_name="H"))
        renamed = _generation(connection)
        connection.execute(delete(users).where(users.c.id == user_id))
        removed = _generation(connection)
        assert before < added < renamed < removed


def test_the_record_version_is_never_written_by_the_app_but_only_by_triggers(
    engine: Engine,
) -> None:
    """A child changed through the ORM mapping keeps a version the database moved."""
    children = Base.metadata.tables["children"]
    with engine.begin() as connection:
        connection.execute(text("INSERT INTO sites (id, name) VALUES ('s', 'S')"))
        child = connection.execute(
            insert(children)
            .values(
                site_id="s",
                given_name="A",
                family_name="B",
                search_key="a b",
                date_of_birth=date(2020, 1, 1),
                preferred_language="en",
            )
            .returning(children.c.id)
        ).scalar_one()
        assert _version(connection, child) == 0
        connection.execute(update(children).where(children.c.id == child).values(gmfcs="IV"))
        assert _version(connection, child) == 1
        versions = select(children.c.record_version).where(children.c.id == child)
        assert connection.execute(versions).scalar_one() == 1


@pytest.mark.parametrize("table", sorted(NOT_PART_OF_THE_RECORD))
def test_the_exempt_tables_are_still_linked_to_children(table: str) -> None:
    """An exemption for a table that no longer exists or no longer links is stale."""
    assert table in _linked_to_children()
