"""Local accounts over every engine (issue 18): staff administration by site administrators,
password change and reset, the TOTP second factor with recovery codes, rehash on sign-in."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta

import pyotp
import pytest
from argon2 import PasswordHasher
from tests.support.staff import HARBOUR, NORTHERN, NOW, Staff

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, EntityType, Role
from hipcare.services.access import PermissionDeniedError
from hipcare.services.accounts import (
    SecondFactorNeeded,
    SessionPolicy,
    SignedIn,
    SignInRefusal,
    SignInRefusedError,
    sign_in,
    signed_in_user,
    site_audit_log,
)
from hipcare.services.passwords import (
    change_password,
    open_password_link,
    request_password_reset,
    set_password_from_link,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import TokenPurpose
from hipcare.services.second_factor import (
    complete_sign_in,
    confirm_enrolment,
    recovery_codes_left,
    start_enrolment,
)
from hipcare.services.staff import invite_staff, list_staff, update_staff

PASSWORD = "correct horse battery"  # noqa: S105 -- a synthetic test password
NEW_PASSWORD = "a brand new passphrase"  # noqa: S105 -- a synthetic test password
POLICY = SessionPolicy()
_CHEAP = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


def _give_password(uow: UnitOfWork, user_id: int, hasher: PasswordHasher = _CHEAP) -> None:
    with uow:
        uow.accounts.set_password_hash(user_id, hasher.hash(PASSWORD))
        uow.commit()


def _email(uow: UnitOfWork, user_id: int) -> str:
    with uow:
        user = uow.users.get(user_id)
    assert user is not None
    return user.email


def _signed_in(
    uow: UnitOfWork, email: str, password: str = PASSWORD, *, now: datetime = NOW
) -> SignedIn:
    result = sign_in(uow, email, password, "10.0.0.1", now=now, policy=POLICY)
    assert isinstance(result, SignedIn)
    return result


def _actions(uow: UnitOfWork, user_id: int, *, rehashes: bool = False) -> list[AuditAction]:
    """The audit actions about the account, oldest first (without the rehash of the cheap
    test hash at the first sign-in, unless ``rehashes``)."""
    with uow:
        entries = uow.audit.for_entity(EntityType.USER, str(user_id))
    return [
        entry.action
        for entry in entries
        if rehashes or entry.action is not AuditAction.PASSWORD_REHASHED
    ]


# --- staff administration ------------------------------------------------------------------


def _invite(uow: UnitOfWork, staff: Staff, **changes: object) -> tuple[int, str]:
    body: dict[str, object] = {
        "email": "new.nurse@example.org",
        "display_name": "Noor Nurse",
        "role": "clinician",
        "profession": "nurse",
        "site_ids": [HARBOUR],
        **changes,
    }
    invitation = invite_staff(uow, staff.administrator, body, now=NOW)
    assert invitation.user.id is not None
    return invitation.user.id, invitation.token


def test_an_invited_member_of_staff_sets_a_password_through_the_link_once(
    uow: UnitOfWork, staff: Staff
) -> None:
    user_id, token = _invite(uow, staff)
    link = open_password_link(uow, token, now=NOW)
    assert link is not None
    assert link.purpose is TokenPurpose.STAFF_INVITATION
    with pytest.raises(SignInRefusedError):  # no password yet
        sign_in(uow, "new.nurse@example.org", PASSWORD, "10.0.0.1", now=NOW, policy=POLICY)

    set_password_from_link(uow, token, NEW_PASSWORD, now=NOW + timedelta(hours=1))

    assert _signed_in(uow, "new.nurse@example.org", NEW_PASSWORD).user.id == user_id
    assert open_password_link(uow, token, now=NOW + timedelta(hours=1)) is None
    with pytest.raises(InvalidInputError, match="token"):
        set_password_from_link(uow, token, "another passphrase", now=NOW + timedelta(hours=2))
    assert _actions(uow, user_id) == [AuditAction.STAFF_INVITED, AuditAction.PASSWORD_SET]


def test_an_administrator_invites_only_to_their_own_sites(uow: UnitOfWork, staff: Staff) -> None:
    with pytest.raises(PermissionDeniedError, match="not an administrator of"):
        _invite(uow, staff, site_ids=[NORTHERN])
    with pytest.raises(InvalidInputError, match="already has an account"):
        _invite(uow, staff, email="surgeon@example.org")
    with pytest.raises(InvalidInputError) as refused:
        _invite(uow, staff, role="family")
    assert refused.value.field == "role"
    with pytest.raises(PermissionDeniedError):
        invite_staff(uow, staff.surgeon, {"email": "x@example.org"}, now=NOW)


def test_the_staff_list_holds_the_administrators_sites_only_and_is_audited(
    uow: UnitOfWork, staff: Staff
) -> None:
    members = list_staff(uow, staff.administrator, now=NOW)
    ids = {member.user.id for member in members}
    assert staff.surgeon in ids
    assert staff.nurse in ids
    assert staff.physiotherapist not in ids
    with uow:
        reads = uow.audit.for_entity(EntityType.SITE, HARBOUR)
    assert [entry.action for entry in reads] == [AuditAction.STAFF_LISTED]


def test_a_deactivated_member_of_staff_cannot_sign_in_and_their_sessions_end(
    uow: UnitOfWork, staff: Staff
) -> None:
    _give_password(uow, staff.surgeon)
    signed = _signed_in(uow, "surgeon@example.org")

    update_staff(uow, staff.administrator, staff.surgeon, {"active": False}, now=NOW)

    assert signed_in_user(uow, signed.token, now=NOW, policy=POLICY) is None
    with pytest.raises(SignInRefusedError) as refused:
        sign_in(uow, "surgeon@example.org", PASSWORD, "10.0.0.1", now=NOW, policy=POLICY)
    assert refused.value.reason is SignInRefusal.WRONG_EMAIL_OR_PASSWORD
    assert request_password_reset(uow, "surgeon@example.org", now=NOW) is None

    update_staff(uow, staff.administrator, staff.surgeon, {"active": True}, now=NOW)
    assert _signed_in(uow, "surgeon@example.org").user.id == staff.surgeon
    assert _actions(uow, staff.surgeon) == [
        AuditAction.STAFF_DEACTIVATED,
        AuditAction.STAFF_REACTIVATED,
    ]


def test_an_administrator_changes_role_and_sites_within_their_own_sites_only(
    uow: UnitOfWork, staff: Staff
) -> None:
    changed = update_staff(
        uow,
        staff.administrator,
        staff.surgeon,
        {"role": "site-administrator", "display_name": "Ada Admin"},
        now=NOW,
    )
    assert changed.role is Role.SITE_ADMINISTRATOR
    assert changed.profession is None
    assert _actions(uow, staff.surgeon) == [AuditAction.STAFF_UPDATED]
    # The nurse also works at Northern: Harbour's administrator alone may not change them.
    with pytest.raises(PermissionDeniedError):
        update_staff(uow, staff.administrator, staff.nurse, {"active": False}, now=NOW)
    assert _actions(uow, staff.nurse) == [AuditAction.ACCESS_DENIED]
    with pytest.raises(InvalidInputError) as refused:
        update_staff(uow, staff.administrator, staff.administrator, {"active": False}, now=NOW)
    assert refused.value.field == "active"
    with pytest.raises(InvalidInputError) as unknown:
        update_staff(uow, staff.administrator, staff.surgeon, {"password": "x"}, now=NOW)
    assert unknown.value.field == "password"


# --- passwords -------------------------------------------------------------------------------


def test_changing_the_password_needs_the_current_one_and_ends_the_other_sessions(
    uow: UnitOfWork, staff: Staff
) -> None:
    _give_password(uow, staff.nurse)
    here = _signed_in(uow, "nurse@example.org")
    elsewhere = _signed_in(uow, "nurse@example.org")
    here_digest = signed_in_user(uow, here.token, now=NOW, policy=POLICY)
    assert here_digest is not None

    with pytest.raises(InvalidInputError) as refused:
        change_password(
            uow, staff.nurse, "not it at all", NEW_PASSWORD, keep_token_digest=None, now=NOW
        )
    assert refused.value.field == "current_password"

    ended = change_password(
        uow,
        staff.nurse,
        PASSWORD,
        NEW_PASSWORD,
        keep_token_digest=here_digest.token_digest,
        now=NOW,
    )

    assert ended == 1
    assert signed_in_user(uow, here.token, now=NOW, policy=POLICY) is not None
    assert signed_in_user(uow, elsewhere.token, now=NOW, policy=POLICY) is None
    assert _signed_in(uow, "nurse@example.org", NEW_PASSWORD).user.id == staff.nurse
    assert _actions(uow, staff.nurse) == [AuditAction.PASSWORD_CHANGED]


def test_a_reset_link_works_once_for_30_minutes_and_ends_every_session(
    uow: UnitOfWork, staff: Staff
) -> None:
    _give_password(uow, staff.nurse)
    session = _signed_in(uow, "nurse@example.org")
    late = request_password_reset(uow, " Nurse@Example.org ", now=NOW)
    assert late is not None
    with pytest.raises(InvalidInputError, match="expired"):
        set_password_from_link(uow, late.token, NEW_PASSWORD, now=NOW + timedelta(minutes=30))

    first = request_password_reset(uow, "nurse@example.org", now=NOW)
    second = request_password_reset(uow, "nurse@example.org", now=NOW + timedelta(minutes=1))
    assert first is not None
    assert second is not None
    assert open_password_link(uow, first.token, now=NOW) is None  # only the newest link works
    set_password_from_link(uow, second.token, NEW_PASSWORD, now=NOW + timedelta(minutes=29))

    assert (
        signed_in_user(uow, session.token, now=NOW + timedelta(minutes=29), policy=POLICY) is None
    )
    assert _signed_in(uow, "nurse@example.org", NEW_PASSWORD).user.id == staff.nurse
    with pytest.raises(InvalidInputError):
        set_password_from_link(uow, second.token, PASSWORD, now=NOW + timedelta(minutes=29))
    assert AuditAction.PASSWORD_RESET in _actions(uow, staff.nurse)


def test_a_reset_for_an_unknown_address_makes_nothing(uow: UnitOfWork, staff: Staff) -> None:
    assert request_password_reset(uow, "nobody@example.org", now=NOW) is None
    assert request_password_reset(uow, "", now=NOW) is None
    assert request_password_reset(uow, None, now=NOW) is None


def test_a_hash_with_old_argon2_parameters_is_replaced_at_sign_in(
    uow: UnitOfWork, staff: Staff
) -> None:
    _give_password(uow, staff.surgeon)  # cheap parameters: not today's defaults
    _signed_in(uow, "surgeon@example.org")
    with uow:
        user = uow.users.get(staff.surgeon)
    assert user is not None
    assert user.password_hash is not None
    assert not PasswordHasher().check_needs_rehash(user.password_hash)
    assert _actions(uow, staff.surgeon, rehashes=True) == [AuditAction.PASSWORD_REHASHED]
    _signed_in(uow, "surgeon@example.org")  # today's parameters: kept as is
    assert _actions(uow, staff.surgeon, rehashes=True) == [AuditAction.PASSWORD_REHASHED]


# --- second factor ---------------------------------------------------------------------------


def _enrol(uow: UnitOfWork, user_id: int, now: datetime = NOW) -> tuple[pyotp.TOTP, list[str]]:
    enrolment = start_enrolment(uow, user_id, now=now)
    totp = pyotp.TOTP(enrolment.secret)
    assert enrolment.uri.startswith("otpauth://totp/hipcare:")
    with pytest.raises(InvalidInputError) as wrong:
        confirm_enrolment(uow, user_id, "000000" if totp.at(now) != "000000" else "111111", now=now)
    assert wrong.value.field == "code"
    codes = confirm_enrolment(uow, user_id, totp.at(now), now=now)
    return totp, codes


def _pending(uow: UnitOfWork, email: str, now: datetime) -> str:
    result = sign_in(uow, email, PASSWORD, "10.0.0.1", now=now, policy=POLICY)
    assert isinstance(result, SecondFactorNeeded)
    return result.pending_token


def test_with_totp_a_sign_in_needs_a_code_and_a_code_works_only_once(
    uow: UnitOfWork, staff: Staff
) -> None:
    _give_password(uow, staff.administrator)
    totp, codes = _enrol(uow, staff.administrator)
    assert len(codes) == 10 == len(set(codes))
    later = NOW + timedelta(minutes=2)

    pending = _pending(uow, "admin@example.org", later)
    signed = complete_sign_in(uow, pending, totp.at(later), now=later)
    assert signed.user.id == staff.administrator
    with pytest.raises(SignInRefusedError):  # the pending step is used up
        complete_sign_in(uow, pending, totp.at(later), now=later)

    again = _pending(uow, "admin@example.org", later + timedelta(seconds=10))
    with pytest.raises(SignInRefusedError) as reused:
        complete_sign_in(uow, again, totp.at(later), now=later + timedelta(seconds=10))
    assert reused.value.reason is SignInRefusal.WRONG_CODE
    # One step either way is accepted (clock drift); two are not.
    step = later + timedelta(seconds=60)
    assert complete_sign_in(uow, again, totp.at(step + timedelta(seconds=30)), now=step)
    far = _pending(uow, "admin@example.org", step)
    with pytest.raises(SignInRefusedError):
        complete_sign_in(uow, far, totp.at(step + timedelta(seconds=90)), now=step)
    assert AuditAction.SECOND_FACTOR_REFUSED in _actions(uow, staff.administrator)


def test_a_recovery_code_signs_in_once(uow: UnitOfWork, staff: Staff) -> None:
    _give_password(uow, staff.administrator)
    _, codes = _enrol(uow, staff.administrator)
    pending = _pending(uow, "admin@example.org", NOW)
    assert complete_sign_in(uow, pending, codes[3].upper(), now=NOW).user.id == staff.administrator
    assert recovery_codes_left(uow, staff.administrator) == 9
    again = _pending(uow, "admin@example.org", NOW)
    with pytest.raises(SignInRefusedError) as refused:
        complete_sign_in(uow, again, codes[3], now=NOW)
    assert refused.value.reason is SignInRefusal.WRONG_CODE
    assert AuditAction.RECOVERY_CODE_USED in _actions(uow, staff.administrator)


def test_the_second_step_ends_after_five_wrong_codes_and_after_five_minutes(
    uow: UnitOfWork, staff: Staff
) -> None:
    _give_password(uow, staff.administrator)
    totp, _ = _enrol(uow, staff.administrator)
    pending = _pending(uow, "admin@example.org", NOW)
    wrong = "123456" if totp.at(NOW) != "123456" else "654321"
    reasons = []
    for _ in range(5):
        with pytest.raises(SignInRefusedError) as refused:
            complete_sign_in(uow, pending, wrong, now=NOW)
        reasons.append(refused.value.reason)
    assert reasons == [SignInRefusal.WRONG_CODE] * 4 + [SignInRefusal.SIGN_IN_EXPIRED]
    late = _pending(uow, "admin@example.org", NOW)
    moment = NOW + timedelta(minutes=5)
    with pytest.raises(SignInRefusedError) as expired:
        complete_sign_in(uow, late, totp.at(moment), now=moment)
    assert expired.value.reason is SignInRefusal.SIGN_IN_EXPIRED


def test_an_authenticator_is_enrolled_once(uow: UnitOfWork, staff: Staff) -> None:
    _enrol(uow, staff.nurse)
    with uow:
        user = uow.users.get(staff.nurse)
    assert user is not None
    assert user.second_factor
    with pytest.raises(InvalidInputError, match="set up already"):
        start_enrolment(uow, staff.nurse, now=NOW)
    assert _actions(uow, staff.nurse) == [AuditAction.SECOND_FACTOR_ENROLLED]


def test_a_saved_user_keeps_their_second_factor_and_password(uow: UnitOfWork, staff: Staff) -> None:
    _give_password(uow, staff.surgeon)
    _enrol(uow, staff.surgeon)
    with uow:
        before = uow.users.get(staff.surgeon)
        assert before is not None
        uow.accounts.save_user(dataclasses.replace(before, display_name="Ada S"))
        uow.commit()
    with uow:
        after = uow.users.get(staff.surgeon)
    assert after is not None
    assert after.second_factor
    assert after.password_hash == before.password_hash
    assert after.display_name == "Ada S"


def test_the_site_audit_log_holds_the_changes_to_its_staffs_accounts(
    uow: UnitOfWork, staff: Staff
) -> None:
    user_id, _ = _invite(uow, staff)
    update_staff(uow, staff.administrator, staff.surgeon, {"active": False}, now=NOW)
    _give_password(uow, staff.physiotherapist)  # Northern only: not Harbour's business
    change_password(
        uow, staff.physiotherapist, PASSWORD, NEW_PASSWORD, keep_token_digest=None, now=NOW
    )
    entries = site_audit_log(uow, staff.administrator, HARBOUR)
    about_users = {(entry.action, entry.entity_id) for entry in entries}
    assert (AuditAction.STAFF_INVITED, str(user_id)) in about_users
    assert (AuditAction.STAFF_DEACTIVATED, str(staff.surgeon)) in about_users
    assert (AuditAction.PASSWORD_CHANGED, str(staff.physiotherapist)) not in about_users
