"""The worklist page's opening statement (the user and site checks, the stale check and the
counts read at once), on SQLite and PostgreSQL: each check still refuses, and stale rows
are judged again before the page counts."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, text
from storage_support import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.surveillance import WorklistStatus
from hipcare.services.access import PermissionDeniedError
from hipcare.services.records import register_child
from hipcare.services.surveillance_status import rules_version
from hipcare.services.worklist import WorklistCounts, site_worklist, site_worklist_page
from hipcare.storage import SqlAlchemyUnitOfWork

CONTENT = load_content()


def _audited(engine: Engine, action: str) -> list[tuple[int, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            text(
                "SELECT actor_id, entity_type, entity_id FROM audit_log "
                "WHERE action = :action ORDER BY id"
            ),
            {"action": action},
        )
        return [(actor, kind, entity) for actor, kind, entity in rows]


def _children(uow: SqlAlchemyUnitOfWork, staff: Staff) -> list[int]:
    """Four Harbour children on TODAY: two overdue (never filmed), two due, one not yet."""
    ids = []
    for given_name, born, gmfcs in (
        ("Zara", "2023-01-10", "III"),
        ("Adam", "2023-01-10", "III"),
        ("Omar", "2024-09-01", "III"),
        ("Bea", "2024-09-01", "III"),
        ("Yuki", "2025-06-01", "I"),
    ):
        child = register_child(
            uow,
            staff.nurse,
            {
                "given_name": given_name,
                "family_name": "Rahman",
                "date_of_birth": born,
                "site": HARBOUR,
                "gmfcs": gmfcs,
            },
            today=TODAY,
            now=NOW,
            rules=CONTENT.surveillance_rules,
        )
        assert child.id is not None
        ids.append(child.id)
    return ids


def test_a_worklist_page_of_another_site_is_refused_and_the_refusal_audited(
    engine: Engine, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    _children(uow, staff)
    with pytest.raises(PermissionDeniedError, match="does not belong to site"):
        site_worklist_page(
            uow, staff.physiotherapist, HARBOUR, load_surveillance_rules(), today=TODAY, now=NOW
        )
    assert _audited(engine, "access.denied") == [(staff.physiotherapist, "site", HARBOUR)]
    assert _audited(engine, "child.listed") == []


def test_a_worklist_page_of_a_site_the_user_belongs_to_is_not_refused_for_another(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """The membership asked about is the site's, not any of the user's."""
    _children(uow, staff)
    page = site_worklist_page(
        uow, staff.physiotherapist, NORTHERN, load_surveillance_rules(), today=TODAY, now=NOW
    )
    assert page.entries == []
    assert page.counts == WorklistCounts(needs_referral=0, overdue=0, due=0, total=0)


def test_a_worklist_page_for_an_unknown_site_names_it(
    uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with pytest.raises(InvalidInputError, match="no site 'atlantis' is known"):
        site_worklist_page(
            uow, staff.nurse, "atlantis", load_surveillance_rules(), today=TODAY, now=NOW
        )


def test_a_worklist_page_for_an_unknown_user_is_refused(
    engine: Engine, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    with pytest.raises(PermissionDeniedError, match="user 999 is not known"):
        site_worklist_page(uow, 999, HARBOUR, load_surveillance_rules(), today=TODAY, now=NOW)
    assert _audited(engine, "child.listed") == []


def test_a_worklist_page_judges_missing_and_stale_rows_before_it_counts(
    engine: Engine, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    """One row gone, one judged with other rules, one judged after the day asked: the page
    judges them again and its counts are the whole list's, not the stored rows' before."""
    ids = _children(uow, staff)
    rules = load_surveillance_rules()
    with engine.begin() as connection:
        connection.execute(
            text("DELETE FROM surveillance_status WHERE child_id = :id"), {"id": ids[0]}
        )
        connection.execute(
            text("UPDATE surveillance_status SET rules_version = 'older' WHERE child_id = :id"),
            {"id": ids[2]},
        )
        connection.execute(
            text(
                "UPDATE surveillance_status SET needs_referral = true, rules_version = :version "
                "WHERE child_id = :id"
            ),
            {"id": ids[3], "version": "0" * 32},
        )
    with uow:
        assert set(uow.surveillance_status.to_judge(HARBOUR, TODAY, rules_version(rules))) == {
            ids[0],
            ids[2],
            ids[3],
        }
    page = site_worklist_page(uow, staff.nurse, HARBOUR, rules, today=TODAY, now=NOW)
    assert page.counts == WorklistCounts(needs_referral=0, overdue=2, due=2, total=4)
    # By review date, then name: Adam, Zara; Bea, Omar.
    assert [entry.child_id for entry in page.entries] == [ids[1], ids[0], ids[3], ids[2]]
    assert [entry.status for entry in page.entries] == [WorklistStatus.OVERDUE] * 2 + [
        WorklistStatus.DUE
    ] * 2
    assert page.entries == site_worklist(uow, staff.nurse, HARBOUR, rules, today=TODAY, now=NOW)
    with uow:
        assert list(uow.surveillance_status.to_judge(HARBOUR, TODAY, rules_version(rules))) == []
