"""TOTP second factor (RFC 6238) with single-use recovery codes (issue 18).

- **Enrolment**: :func:`start_enrolment` makes a new secret (160 bits, ``pyotp.random_base32``)
  that counts for nothing until :func:`confirm_enrolment` is given a right code from the
  authenticator app; confirming makes 10 recovery codes, shown once and stored as SHA-256
  digests (each is 48 random bits: a slow hash adds nothing against guessing a random code).
- **Sign-in**: after a right password, an account with a confirmed secret gets a
  second-factor step (:func:`hipcare.services.accounts.sign_in`); :func:`complete_sign_in`
  takes a TOTP code or a recovery code. Codes of the previous, current and next 30-second
  step are accepted (RFC 6238 section 5.2: one step either way for clock drift); a code whose
  step is not newer than the last accepted one is refused, so no code works twice. After
  :data:`CODE_ATTEMPTS` wrong codes the step ends and the password is needed again.
- Site administrators must have it (the web app sends one without it to enrolment); every
  other member of staff is offered it.

The secret is stored in the database (``users.totp_secret``) and never logged, never shown
again after enrolment. Every change and every refused code is audited (ids only).
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime

import pyotp

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import AuditAction, AuditEntry, EntityType, Role, User, utc_moment
from hipcare.services.account_tokens import usable_token
from hipcare.services.accounts import (
    SignedIn,
    SignInRefusal,
    SignInRefusedError,
    open_session,
)
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import SecondFactorSecret, TokenPurpose

__all__ = [
    "CODE_ATTEMPTS",
    "ISSUER",
    "RECOVERY_CODE_COUNT",
    "Enrolment",
    "complete_sign_in",
    "confirm_enrolment",
    "pending_enrolment",
    "recovery_codes_left",
    "second_factor_required",
    "start_enrolment",
]

ISSUER = "hipcare"
"""The name authenticator apps show beside the account."""
RECOVERY_CODE_COUNT = 10
CODE_ATTEMPTS = 5
"""Wrong codes one sign-in may type before it must start again with the password."""
_VALID_WINDOW = 1
"""Time steps accepted either side of now (RFC 6238 section 5.2)."""


def second_factor_required(user: User) -> bool:
    """Whether the account must have a TOTP authenticator: site administrators must."""
    return user.role is Role.SITE_ADMINISTRATOR


def _audit(uow: UnitOfWork, user_id: int, action: AuditAction, now: datetime) -> None:
    uow.audit.add(AuditEntry(user_id, action, EntityType.USER, str(user_id), now))


def _code_text(code: object, field: str = "code") -> str:
    if not isinstance(code, str) or not code.strip():
        raise InvalidInputError(field, "type the 6-digit code from your authenticator app")
    return "".join(code.split()).replace("-", "").lower()[:64]


def _matching_step(secret: SecondFactorSecret, code: str, now: datetime) -> int | None:
    """The time step ``code`` belongs to (now, or one step either side), when newer than
    the last accepted step; else None."""
    if not (len(code) == 6 and code.isdigit()):
        return None
    totp = pyotp.TOTP(secret.secret)
    current = totp.timecode(now)
    for step in range(current - _VALID_WINDOW, current + _VALID_WINDOW + 1):
        if secret.last_step is not None and step <= secret.last_step:
            continue
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step
    return None


def _recovery_digest(code: str) -> str:
    return hashlib.sha256(code.encode("utf-8")).hexdigest()


def _new_recovery_codes() -> list[str]:
    codes = {secrets.token_hex(6) for _ in range(RECOVERY_CODE_COUNT)}
    while len(codes) < RECOVERY_CODE_COUNT:  # pragma: no cover -- 48-bit codes colliding
        codes.add(secrets.token_hex(6))
    return sorted(f"{code[:4]}-{code[4:8]}-{code[8:]}" for code in codes)


@dataclass(frozen=True)
class Enrolment:
    """A secret to put into an authenticator app: ``uri`` for the QR code, ``secret`` to
    type by hand. Shown once, on the enrolment page only."""

    secret: str
    uri: str


def start_enrolment(uow: UnitOfWork, user_id: int, *, now: datetime) -> Enrolment:
    """A new, unconfirmed secret for the account (refused when one is confirmed already)."""
    utc_moment(now, "now")
    with uow:
        user = uow.users.get(user_id)
        if user is None or not user.active:
            raise InvalidInputError("user", "no such account")
        if user.second_factor:
            raise InvalidInputError("second_factor", "an authenticator is set up already")
        secret = pyotp.random_base32()
        uow.accounts.set_second_factor(user_id, SecondFactorSecret(secret=secret))
        uow.commit()
    uri = pyotp.TOTP(secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=secret, uri=uri)


def pending_enrolment(uow: UnitOfWork, user_id: int) -> Enrolment | None:
    """The unconfirmed secret being set up, to show its QR code again (None when there is
    none or it is confirmed)."""
    with uow:
        user = uow.users.get(user_id)
        stored = uow.accounts.second_factor(user_id)
    if user is None or stored is None or stored.confirmed_at is not None:
        return None
    uri = pyotp.TOTP(stored.secret).provisioning_uri(name=user.email, issuer_name=ISSUER)
    return Enrolment(secret=stored.secret, uri=uri)


def confirm_enrolment(uow: UnitOfWork, user_id: int, code: object, *, now: datetime) -> list[str]:
    """Confirm the new secret with a code from the app; returns the 10 recovery codes (shown
    once: only their digests are kept)."""
    now = utc_moment(now, "now")
    typed = _code_text(code)
    with uow:
        stored = uow.accounts.second_factor(user_id)
        if stored is None or stored.confirmed_at is not None:
            raise InvalidInputError("second_factor", "start setting up an authenticator first")
        step = _matching_step(stored, typed, now)
        if step is None:
            raise InvalidInputError(
                "code", "is not right: check the app shows hipcare and type the newest code"
            )
        uow.accounts.set_second_factor(
            user_id, SecondFactorSecret(secret=stored.secret, confirmed_at=now, last_step=step)
        )
        codes = _new_recovery_codes()
        uow.accounts.replace_recovery_codes(
            user_id, frozenset(_recovery_digest(_code_text(code)) for code in codes)
        )
        _audit(uow, user_id, AuditAction.SECOND_FACTOR_ENROLLED, now)
        uow.commit()
    return codes


def recovery_codes_left(uow: UnitOfWork, user_id: int) -> int:
    with uow:
        return uow.accounts.recovery_codes_left(user_id)


def _refused(reason: SignInRefusal, message: str) -> SignInRefusedError:
    return SignInRefusedError(reason, message)


def complete_sign_in(
    uow: UnitOfWork, pending_token: object, code: object, *, now: datetime
) -> SignedIn:
    """The second step of a sign-in: a TOTP code (6 digits) or a recovery code opens the
    session. Raises :class:`SignInRefusedError`: ``wrong-code`` (audited; the step ends
    after :data:`CODE_ATTEMPTS`), ``sign-in-expired`` (start again with the password)."""
    now = utc_moment(now, "now")
    expired = _refused(
        SignInRefusal.SIGN_IN_EXPIRED,
        "This sign-in has expired. Please sign in again with your password.",
    )
    with uow:
        pending = usable_token(uow, pending_token, frozenset({TokenPurpose.SECOND_FACTOR}), now)
        user = None if pending is None else uow.users.get(pending.user_id)
        stored = None if pending is None else uow.accounts.second_factor(pending.user_id)
        if pending is None or user is None or user.id is None or not user.active:
            raise expired
        if stored is None or stored.confirmed_at is None:
            raise expired
        typed = _code_text(code)
        step = _matching_step(stored, typed, now)
        used_recovery = False
        if step is None and len(typed) == 12:
            used_recovery = uow.accounts.use_recovery_code(user.id, _recovery_digest(typed), now)
        if step is None and not used_recovery:
            attempts = pending.attempts + 1
            uow.accounts.save_token(
                dataclasses.replace(
                    pending, attempts=attempts, used_at=now if attempts >= CODE_ATTEMPTS else None
                )
            )
            _audit(uow, user.id, AuditAction.SECOND_FACTOR_REFUSED, now)
            uow.commit()
            if attempts >= CODE_ATTEMPTS:
                raise expired
            raise _refused(
                SignInRefusal.WRONG_CODE,
                "That code is not right or was used already. Type the newest code from your "
                "authenticator app, or one of your recovery codes.",
            )
        if step is not None:
            uow.accounts.set_second_factor(
                user.id,
                SecondFactorSecret(
                    secret=stored.secret, confirmed_at=stored.confirmed_at, last_step=step
                ),
            )
        else:
            _audit(uow, user.id, AuditAction.RECOVERY_CODE_USED, now)
        uow.accounts.save_token(dataclasses.replace(pending, used_at=now))
        signed = open_session(uow, user, now)
        uow.commit()
    return signed
