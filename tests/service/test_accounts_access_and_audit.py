"""Who may read a site's audit log, and how sign-in refusals are counted, over every engine."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from tests.support.staff import HARBOUR, NORTHERN, NOW, TODAY, Staff

from hipcare.bootstrap import load_content
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Profession, Role, User
from hipcare.services.accounts import (
    SessionPolicy,
    SignInRefusal,
    SignInRefusedError,
    add_user,
    sign_in,
    sign_out,
    signed_in_user,
    site_audit_log,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.records import PermissionDeniedError, get_child, register_child

CONTENT = load_content()

PASSWORD = "correct horse battery"  # noqa: S105 -- a synthetic test password


def _register(uow: UnitOfWork, actor: int, site: str) -> int:
    form: dict[str, Any] = {
        "given_name": "Iris",
        "family_name": "Tanaka",
        "date_of_birth": "2019-08-30",
        "site": site,
        "contacts": [{"name": "Ken Tanaka", "relationship": "father", "phone": "0400 333 444"}],
    }
    child = register_child(uow, actor, form, today=TODAY, now=NOW, rules=CONTENT.surveillance_rules)
    assert child.id is not None
    return child.id


def test_a_site_administrator_reads_only_their_sites_entries_newest_first(
    uow: UnitOfWork, staff: Staff
) -> None:
    """Entries about Harbour's child are listed, newest first; Northern's child's are not."""
    harbour_child = _register(uow, staff.nurse, HARBOUR)
    northern_child = _register(uow, staff.nurse, NORTHERN)
    get_child(uow, staff.nurse, harbour_child, now=NOW + timedelta(minutes=1))
    get_child(uow, staff.nurse, northern_child, now=NOW + timedelta(minutes=1))

    entries = site_audit_log(uow, staff.administrator, HARBOUR)

    assert [(entry.action.value, entry.entity_id) for entry in entries] == [
        ("child.read", str(harbour_child)),
        ("child.registered", str(harbour_child)),
    ]


def test_a_clinician_may_not_read_a_sites_audit_log(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(PermissionDeniedError, match="only a site administrator"):
        site_audit_log(uow, staff.surgeon, HARBOUR)


def test_an_administrator_may_not_read_another_sites_audit_log(
    uow: UnitOfWork, staff: Staff
) -> None:
    with pytest.raises(PermissionDeniedError, match="not an administrator of site"):
        site_audit_log(uow, staff.administrator, NORTHERN)


def test_the_audit_log_of_an_unknown_site_names_it(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(InvalidInputError, match="no site 'nowhere' is known"):
        site_audit_log(uow, staff.administrator, "nowhere")


def test_failed_sign_ins_lock_the_account_and_a_session_ends_at_sign_out(
    uow: UnitOfWork, staff: Staff
) -> None:
    """Wrong passwords count until the account must wait; before that, the right one opens a
    session that signing out ends."""
    policy = SessionPolicy(free_failures_per_account=1)
    add_user(
        uow,
        User("lee@example.org", "Lee Clinician", Role.CLINICIAN, Profession.NURSE, frozenset()),
        PASSWORD,
    )
    with pytest.raises(SignInRefusedError) as first:
        sign_in(uow, "lee@example.org", "wrong password", "10.0.0.1", now=NOW, policy=policy)
    assert first.value.reason is SignInRefusal.WRONG_EMAIL_OR_PASSWORD

    opened = sign_in(uow, "LEE@example.org", PASSWORD, "10.0.0.1", now=NOW, policy=policy)
    found = signed_in_user(uow, opened.token, now=NOW, policy=policy)
    assert found is not None
    assert found.user.email == "lee@example.org"
    sign_out(uow, opened.token)
    assert signed_in_user(uow, opened.token, now=NOW, policy=policy) is None

    for _ in range(2):
        with pytest.raises(SignInRefusedError):
            sign_in(uow, "lee@example.org", "wrong password", "10.0.0.2", now=NOW, policy=policy)
    with pytest.raises(SignInRefusedError) as too_soon:
        sign_in(uow, "lee@example.org", PASSWORD, "10.0.0.2", now=NOW, policy=policy)
    assert too_soon.value.reason is SignInRefusal.ACCOUNT_WAIT
    assert too_soon.value.retry_after_seconds == 1
    later = NOW + timedelta(seconds=1)
    assert sign_in(uow, "lee@example.org", PASSWORD, "10.0.0.2", now=later, policy=policy)
