"""The single sign-on account rules over every engine: an account follows the provider's
person (issuer + subject), the mapped groups give its role and sites, and every change is
audited per site."""

from __future__ import annotations

import dataclasses
from datetime import timedelta

import pytest
from tests.support.staff import HARBOUR, NORTHERN, NOW, Staff

from hipcare.domain.records import AuditAction, EntityType, Profession, Role
from hipcare.domain.staff_access import GroupMap
from hipcare.services.ports import UnitOfWork
from hipcare.services.single_sign_on import (
    SignOnIdentity,
    SignOnRefusal,
    SignOnRefusedError,
    sign_on,
)

ISSUER = "https://login.example-hospital.org"
GROUPS = GroupMap.parse(
    f"nurses=nurse@{HARBOUR}, nurses=nurse@{NORTHERN}, admins=site-administrator@{HARBOUR}, "
    "ghosts=nurse@no-such-site",
    "HIPCARE_OIDC_ROLE_MAP",
)


def _person(*groups: str, email: str = "new.nurse@example.org") -> SignOnIdentity:
    return SignOnIdentity(ISSUER, "subject-1", email, "Nia Nurse", tuple(groups))


def _actions(uow: UnitOfWork, user_id: int) -> list[tuple[AuditAction, str]]:
    with uow:
        return [
            (entry.action, entry.entity_id)
            for site in (HARBOUR, NORTHERN)
            for entry in reversed(uow.site_audit.for_site(site, 100))
            if entry.actor_id == user_id and entry.entity_type is EntityType.SITE
        ]


def test_first_sign_on_creates_a_linked_account_with_the_groups_role_and_sites(
    uow: UnitOfWork, staff: Staff
) -> None:
    signed = sign_on(uow, _person("nurses", "unmapped"), GROUPS, now=NOW)
    assert signed.user.id is not None
    with uow:
        stored = uow.users.by_sign_on(ISSUER, "subject-1")
        assert uow.users.by_sign_on("https://other.example.org", "subject-1") is None
        assert uow.web_sessions.signed_in(signed.token) is None  # only the digest is stored
    assert stored is not None
    assert (stored.id, stored.role, stored.profession) == (
        signed.user.id,
        Role.CLINICIAN,
        Profession.NURSE,
    )
    assert stored.site_ids == {HARBOUR, NORTHERN}
    assert stored.password_hash is None
    assert sorted(_actions(uow, signed.user.id)) == [
        (AuditAction.USER_CREATED, HARBOUR),
        (AuditAction.USER_CREATED, NORTHERN),
        (AuditAction.USER_SIGNED_IN, HARBOUR),
        (AuditAction.USER_SIGNED_IN, NORTHERN),
    ]


def test_a_changed_role_is_audited_at_every_site_it_touches(uow: UnitOfWork, staff: Staff) -> None:
    first = sign_on(uow, _person("nurses"), GROUPS, now=NOW)
    second = sign_on(uow, _person("admins"), GROUPS, now=NOW + timedelta(hours=1))
    assert second.user.id == first.user.id
    assert (second.user.role, second.user.site_ids) == (Role.SITE_ADMINISTRATOR, {HARBOUR})
    assert first.user.id is not None
    changed = [
        site
        for action, site in _actions(uow, first.user.id)
        if action is AuditAction.USER_ACCESS_CHANGED
    ]
    assert sorted(changed) == [HARBOUR, NORTHERN]


@pytest.mark.parametrize(
    ("groups", "reason"),
    [
        ((), SignOnRefusal.NO_MAPPED_GROUP),
        (("cafeteria",), SignOnRefusal.NO_MAPPED_GROUP),
        (("nurses", "admins"), SignOnRefusal.CONFLICTING_ROLES),
        (("ghosts",), SignOnRefusal.UNKNOWN_SITE),
    ],
)
def test_a_refused_person_loses_every_site_of_an_existing_account(
    uow: UnitOfWork, staff: Staff, groups: tuple[str, ...], reason: SignOnRefusal
) -> None:
    first = sign_on(uow, _person("nurses"), GROUPS, now=NOW)
    with pytest.raises(SignOnRefusedError) as refused:
        sign_on(uow, _person(*groups), GROUPS, now=NOW)
    assert refused.value.reason is reason
    assert refused.value.user_id == first.user.id
    with uow:
        stored = uow.users.by_sign_on(ISSUER, "subject-1")
    assert stored is not None
    assert stored.site_ids == frozenset()


def test_an_unlinked_account_with_the_same_email_is_refused_not_taken_over(
    uow: UnitOfWork, staff: Staff
) -> None:
    with pytest.raises(SignOnRefusedError) as refused:
        sign_on(uow, _person("admins", email="NURSE@example.org"), GROUPS, now=NOW)
    assert refused.value.reason is SignOnRefusal.EMAIL_TAKEN
    with uow:
        nurse = uow.users.get(staff.nurse)
        assert uow.users.by_sign_on(ISSUER, "subject-1") is None
    assert nurse is not None
    assert nurse.role is Role.CLINICIAN


def test_a_first_sign_on_without_an_email_is_refused(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(SignOnRefusedError) as refused:
        sign_on(uow, _person("nurses", email=""), GROUPS, now=NOW)
    assert refused.value.reason is SignOnRefusal.NO_EMAIL


def test_a_deactivated_account_is_refused_and_the_groups_do_not_switch_it_on(
    uow: UnitOfWork, staff: Staff
) -> None:
    """A leaver deactivated by a site administrator stays out, whatever the hospital's groups."""
    first = sign_on(uow, _person("nurses"), GROUPS, now=NOW)
    assert first.user.id is not None
    with uow:
        stored = uow.users.get(first.user.id)
        assert stored is not None
        uow.accounts.save_user(dataclasses.replace(stored, deactivated_at=NOW))
        uow.commit()
    with pytest.raises(SignOnRefusedError) as refused:
        sign_on(uow, _person("nurses"), GROUPS, now=NOW + timedelta(hours=1))
    assert refused.value.reason is SignOnRefusal.DEACTIVATED
    with uow:
        again = uow.users.get(first.user.id)
    assert again is not None
    assert not again.active
