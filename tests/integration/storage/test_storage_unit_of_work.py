"""The unit of work (one connection per ``with`` block, ADR 10 and 12): Core statements and a
lazily made ORM session share ONE transaction, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import Engine
from storage_support import NOW, Staff

from hipcare.domain.records import AuditAction, AuditEntry, EntityType
from hipcare.storage import SqlAlchemyUnitOfWork, create_session_factory

CHILD = 4242  # an audit row names its entity by id; no child row is needed


def _audited(uow: SqlAlchemyUnitOfWork) -> list[tuple[AuditAction, int]]:
    with uow:
        return [
            (entry.action, entry.actor_id)
            for entry in uow.audit.for_entity(EntityType.CHILD, str(CHILD))
        ]


def _refusal(actor_id: int, at_offset_s: int = 0) -> AuditEntry:
    return AuditEntry(
        actor_id,
        AuditAction.ACCESS_DENIED,
        EntityType.CHILD,
        str(CHILD),
        NOW + timedelta(seconds=at_offset_s),
    )


@pytest.fixture
def pages(engine: Engine) -> SqlAlchemyUnitOfWork:
    return SqlAlchemyUnitOfWork(create_session_factory(engine))


def test_core_and_orm_writes_commit_together(
    pages: SqlAlchemyUnitOfWork, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with pages:
        pages.child_pages.audit_read(staff.surgeon, CHILD, NOW)
        pages.audit.add(_refusal(staff.nurse))
        pages.commit()
    assert sorted(_audited(uow)) == sorted(
        [(AuditAction.CHILD_READ, staff.surgeon), (AuditAction.ACCESS_DENIED, staff.nurse)]
    )


def test_leaving_without_commit_rolls_back_core_and_orm_writes(
    pages: SqlAlchemyUnitOfWork, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with pages:
        pages.audit.add(_refusal(staff.nurse))
        pages.child_pages.audit_read(staff.surgeon, CHILD, NOW)
    assert _audited(uow) == []


def test_rollback_discards_core_and_orm_writes_and_the_work_goes_on(
    pages: SqlAlchemyUnitOfWork, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with pages:
        pages.child_pages.audit_read(staff.surgeon, CHILD, NOW)
        pages.audit.add(_refusal(staff.nurse))
        pages.rollback()
        pages.audit.add(_refusal(staff.physiotherapist, 1))
        pages.commit()
    assert _audited(uow) == [(AuditAction.ACCESS_DENIED, staff.physiotherapist)]


def test_after_a_commit_a_new_transaction_holds_core_and_orm_writes(
    pages: SqlAlchemyUnitOfWork, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """As a session touch commits before the view's audit row: the second transaction's
    ORM and Core writes are still one (left uncommitted here, neither stays)."""
    with pages:
        pages.audit.add(_refusal(staff.nurse))
        pages.commit()
        pages.audit.add(_refusal(staff.physiotherapist, 1))
        pages.child_pages.audit_read(staff.surgeon, CHILD, NOW)
    assert _audited(uow) == [(AuditAction.ACCESS_DENIED, staff.nurse)]


def test_a_view_that_needs_no_orm_repository_makes_no_orm_session(
    pages: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with pages:
        pages.child_pages.audit_read(staff.surgeon, CHILD, NOW)
        pages.commit()
        assert pages._session is None  # the hot path's point: Core statements only


def test_the_unit_of_work_refuses_to_be_nested(pages: SqlAlchemyUnitOfWork) -> None:
    with pages, pytest.raises(RuntimeError, match="already in use"):
        pages.__enter__()
