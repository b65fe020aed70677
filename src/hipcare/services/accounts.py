"""Use cases of staff accounts: passwords, sign-in, sessions, the failed-sign-in limit, audit.

Everything the web app knows about who is signed in lives in the database (through the
repositories declared here), never in a server process: any number of app processes on one
database serve the same users.

- **Passwords** are hashed with argon2id (``argon2-cffi``'s defaults, RFC 9106 low-memory
  profile); hipcare never stores or logs a password.
- **Sessions**: a random token (``secrets.token_urlsafe(32)``, 256 bits) goes to the browser;
  the database keeps only its SHA-256. A session ends after ``idle`` without use or
  ``absolute`` after sign-in, whichever comes first (OWASP Session Management Cheat Sheet,
  "Session Expiration"). Each session carries its own CSRF token.
- **Failed sign-ins slow the next try, never lock an account.** Failures are counted per
  account (the email as typed) and per client address within a window (15 minutes). After a
  few free failures (3 per account, 10 per address) each further one makes the next try wait
  twice as long: 1, 2, 4, 8 ... seconds, up to a ceiling (60 seconds per account, 15 minutes
  per address). A try during the wait is refused with when to try again (HTTP 429 with
  ``Retry-After``) and not counted; the right password after the wait signs in. So a
  stranger typing wrong passwords for a named surgeon costs the surgeon at most a minute,
  never a quarter of an hour, while one address guessing is held to a few tries an hour
  (OWASP Authentication Cheat Sheet, "Login Throttling": an exponential delay rather than
  an account lockout, which lets an attacker deny a user service).

As everywhere in the services, time is handed in (``now``) and nothing here reads the clock.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from functools import cache

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.records import AuditAction, AuditEntry, EntityType, Role, User, utc_moment
from hipcare.services.access import PermissionDeniedError
from hipcare.services.account_tokens import SECOND_FACTOR_STEP_VALID_FOR, issue_token
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import TokenPurpose, WebSession

__all__ = [
    "SecondFactorNeeded",
    "SessionPolicy",
    "SessionUser",
    "SignInRefusal",
    "SignInRefusedError",
    "SignedIn",
    "WebSession",
    "account_key",
    "add_user",
    "client_key",
    "hash_password",
    "judge_session",
    "open_session",
    "password_matches",
    "refuse_while_waiting",
    "rehash_when_needed",
    "session_user_in",
    "sign_in",
    "sign_in_delay",
    "sign_out",
    "signed_in_user",
    "site_audit_log",
    "token_digest",
    "wait_message",
]

_HASHER = PasswordHasher()
_MINIMUM_PASSWORD_LENGTH = 10
_TOUCH_EVERY = timedelta(seconds=60)
"""A session's last use is written at most this often, so reading a page is not a write."""


# --- values ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SessionPolicy:
    """How long sessions last and how failed sign-ins slow the next try.

    Defaults: 30 minutes idle, 12 hours at most (a clinic day); failures are remembered for
    15 minutes; 3 free failures per account and 10 per address, then a delay doubling from
    1 second up to 60 seconds per account and 15 minutes per address (local choices after
    the OWASP Authentication Cheat Sheet, "Login Throttling").
    """

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    failure_window: timedelta = timedelta(minutes=15)
    free_failures_per_account: int = 3
    free_failures_per_address: int = 10
    longest_delay_per_account: timedelta = timedelta(seconds=60)
    longest_delay_per_address: timedelta = timedelta(minutes=15)

    def __post_init__(self) -> None:
        for name in (
            "idle",
            "absolute",
            "failure_window",
            "longest_delay_per_account",
            "longest_delay_per_address",
        ):
            value = getattr(self, name)
            if not isinstance(value, timedelta) or value <= timedelta(0):
                raise InvalidInputError(f"session.{name}", "must be a positive length of time")
        for name in ("free_failures_per_account", "free_failures_per_address"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise InvalidInputError(f"session.{name}", "must be a whole number >= 1")


def sign_in_delay(failures: int, free: int, longest: timedelta) -> timedelta:
    """How long to wait after the last of ``failures`` recent failures: none up to ``free``,
    then 1 second, doubling with each further failure, never past ``longest``."""
    if failures <= free:
        return timedelta(0)
    # min() on the exponent first: 2 ** a thousand failures would be a needlessly big number.
    doublings = min(failures - free - 1, 40)
    return min(timedelta(seconds=2**doublings), longest)


class SignInRefusal(StrEnum):
    """Why a sign-in was refused (the page says it in words; the API returns the code)."""

    WRONG_EMAIL_OR_PASSWORD = "wrong-email-or-password"  # noqa: S105 -- a reason code, not a password
    ACCOUNT_WAIT = "account-wait"
    ADDRESS_WAIT = "address-wait"
    WRONG_CODE = "wrong-code"
    SIGN_IN_EXPIRED = "sign-in-expired"


class SignInRefusedError(HipcareError):
    """A sign-in was refused; ``reason`` says why and ``message`` says it to the person;
    ``retry_after_seconds`` (for a try too soon after failures) says when to try again."""

    def __init__(
        self, reason: SignInRefusal, message: str, retry_after_seconds: int | None = None
    ) -> None:
        self.reason = reason
        self.message = message
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"sign-in: {message}")


@dataclass(frozen=True)
class SignedIn:
    """A new session: ``token`` goes into the browser's cookie, and only there."""

    token: str
    csrf_token: str
    user: User


@dataclass(frozen=True)
class SecondFactorNeeded:
    """The password was right and the account has a TOTP authenticator: ``pending_token``
    (a cookie, and only there) carries the sign-in to the code step
    (:func:`hipcare.services.second_factor.complete_sign_in`)."""

    pending_token: str
    user_id: int


# --- passwords and tokens ----------------------------------------------------------------------


def hash_password(password: str) -> str:
    """An argon2id hash of ``password`` (at least 10 characters)."""
    if not isinstance(password, str) or len(password) < _MINIMUM_PASSWORD_LENGTH:
        raise InvalidInputError(
            "password", f"must be at least {_MINIMUM_PASSWORD_LENGTH} characters long"
        )
    return _HASHER.hash(password)


@cache
def _dummy_hash() -> str:
    """A hash of a random password, checked when the email is unknown, so that an unknown
    account takes as long to refuse as a wrong password (no timing hint about who exists)."""
    return _HASHER.hash(secrets.token_urlsafe(16))


def password_matches(password_hash: str | None, password: str) -> bool:
    try:
        return (
            _HASHER.verify(password_hash or _dummy_hash(), password) and password_hash is not None
        )
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def rehash_when_needed(uow: UnitOfWork, user: User, password: str, now: datetime) -> None:
    """After a right ``password``: store a new hash when the stored one was made with other
    argon2 parameters than today's (``check_needs_rehash``), audited; the caller commits."""
    if user.id is None or user.password_hash is None:
        return
    try:
        stale = _HASHER.check_needs_rehash(user.password_hash)
    except InvalidHashError:
        stale = True
    if stale:
        uow.accounts.set_password_hash(user.id, _HASHER.hash(password))
        uow.audit.add(
            AuditEntry(user.id, AuditAction.PASSWORD_REHASHED, EntityType.USER, str(user.id), now)
        )


def token_digest(token: str) -> str:
    """The SHA-256 (hex) of a session token: what the database keeps instead of the token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def account_key(email: str) -> str:
    # No stored email holds a control character (the domain refuses them), and PostgreSQL
    # cannot even compare text with a NUL: one typed in becomes U+FFFD, an unknown account.
    key = email.strip().lower()[:320]
    return "".join("\ufffd" if char < " " or char == "\x7f" else char for char in key)


def client_key(client_address: str) -> str:
    return (client_address or "unknown")[:64]


def refuse_while_waiting(
    uow: UnitOfWork, key: str, address: str, *, now: datetime, policy: SessionPolicy
) -> None:
    """Raise :class:`SignInRefusedError` (with when to try again) while the account ``key``
    or the client ``address`` must still wait after its recent failed sign-ins (inside the
    caller's unit of work; forgets failures older than the policy's window). A refused try
    is not a failure: it neither counts nor lengthens the wait."""
    since = now - policy.failure_window
    uow.sign_in_failures.delete_before(since)
    checks = (
        (
            SignInRefusal.ACCOUNT_WAIT,
            uow.sign_in_failures.count_for_account(key, since),
            policy.free_failures_per_account,
            policy.longest_delay_per_account,
            uow.sign_in_failures.latest_for_account,
            key,
        ),
        (
            SignInRefusal.ADDRESS_WAIT,
            uow.sign_in_failures.count_for_address(address, since),
            policy.free_failures_per_address,
            policy.longest_delay_per_address,
            uow.sign_in_failures.latest_for_address,
            address,
        ),
    )
    for reason, failures, free, longest, latest_for, subject in checks:
        delay = sign_in_delay(failures, free, longest)
        if not delay:
            continue
        latest = latest_for(subject)
        if latest is None:
            continue
        wait = utc_moment(latest, "latest") + delay - now
        if wait > timedelta(0):
            seconds = math.ceil(wait.total_seconds())
            uow.commit()
            raise SignInRefusedError(reason, wait_message(reason, seconds), seconds)


def wait_message(reason: SignInRefusal, seconds: int) -> str:
    """How long to wait, in plain words (the sign-in page and the API say it)."""
    if seconds == 1:
        when = "1 second"
    elif seconds < 120:
        when = f"{seconds} seconds"
    else:
        when = f"{math.ceil(seconds / 60)} minutes"
    if reason is SignInRefusal.ACCOUNT_WAIT:
        return f"There were several wrong passwords for this account. Wait {when}, then try again."
    return f"There were many wrong sign-ins from this computer. Wait {when}, then try again."


def add_user(uow: UnitOfWork, user: User, password: str) -> User:
    """Store a new member of staff with a hashed password; returns the stored user."""
    hashed = hash_password(password)
    with uow:
        if uow.users.by_email(user.email) is not None:
            raise InvalidInputError("email", f"{user.email} already has an account")
        stored = uow.users.add(
            User(
                email=user.email,
                display_name=user.display_name,
                role=user.role,
                profession=user.profession,
                site_ids=user.site_ids,
                password_hash=hashed,
                surgeon_profile=user.surgeon_profile,
            )
        )
        uow.commit()
    return stored


# --- sign-in and sessions ----------------------------------------------------------------------


def sign_in(
    uow: UnitOfWork,
    email: str,
    password: str,
    client_address: str,
    *,
    now: datetime,
    policy: SessionPolicy,
) -> SignedIn | SecondFactorNeeded:
    """Check the email and password and open a session, or raise :class:`SignInRefusedError`.

    Refused, with when to try again, while the account or the client address must wait
    after recent failures (:func:`refuse_while_waiting`); otherwise a wrong email or password
    is counted as a failure. A success forgets the account's failures. A deactivated account
    is refused as a wrong password is (no hint). A hash made with older argon2 parameters is
    replaced. An account with a TOTP authenticator gets :class:`SecondFactorNeeded` instead
    of a session.
    """
    now = utc_moment(now, "now")
    key = account_key(email if isinstance(email, str) else "")
    address = client_key(client_address)
    with uow:
        refuse_while_waiting(uow, key, address, now=now, policy=policy)
        user = uow.users.by_email(key) if key else None
        # Checked even for an unknown email, so both refusals take as long (no timing hint).
        matches = password_matches(None if user is None else user.password_hash, password)
        if user is None or user.id is None or not matches or not user.active:
            uow.sign_in_failures.add(key, address, now)
            uow.commit()
            raise SignInRefusedError(
                SignInRefusal.WRONG_EMAIL_OR_PASSWORD,
                "The email or the password is not right. Check both and try again.",
            )
        rehash_when_needed(uow, user, password, now)
        uow.sign_in_failures.clear_account(key)
        if user.second_factor:
            pending = issue_token(
                uow,
                user.id,
                TokenPurpose.SECOND_FACTOR,
                now=now,
                valid_for=SECOND_FACTOR_STEP_VALID_FOR,
            )
            uow.commit()
            return SecondFactorNeeded(pending_token=pending, user_id=user.id)
        signed = open_session(uow, user, now)
        uow.commit()
    return signed


def open_session(uow: UnitOfWork, user: User, now: datetime) -> SignedIn:
    """A new session for ``user`` (inside the caller's unit of work; the caller commits)."""
    if user.id is None:
        raise InvalidInputError("user.id", "is missing; only a stored user signs in")
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    uow.web_sessions.add(
        WebSession(
            token_digest=token_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            last_seen_at=now,
        )
    )
    return SignedIn(token=token, csrf_token=csrf, user=user)


@dataclass(frozen=True)
class SessionUser:
    """Who a request comes from: the user and their session's CSRF token."""

    user: User
    csrf_token: str
    token_digest: str

    def csrf_matches(self, presented: str | None) -> bool:
        """Whether ``presented`` is this session's CSRF token (compared in constant time)."""
        return isinstance(presented, str) and hmac.compare_digest(
            presented.encode("utf-8"), self.csrf_token.encode("utf-8")
        )


def signed_in_user(
    uow: UnitOfWork, token: str | None, *, now: datetime, policy: SessionPolicy
) -> SessionUser | None:
    """The user whose session ``token`` is, or None when it is unknown or has expired.

    An expired session is deleted. The last use is written at most once a minute.
    """
    if not token:
        return None
    with uow:
        return session_user_in(uow, token, now=now, policy=policy)


def session_user_in(
    uow: UnitOfWork, token: str | None, *, now: datetime, policy: SessionPolicy
) -> SessionUser | None:
    """:func:`signed_in_user` inside a unit of work the caller has open, so that a page can
    check the session and read what it shows in one transaction (deleting an expired session
    or writing the last use commits what the caller did so far)."""
    if not token:
        return None
    digest = token_digest(token)
    found = uow.web_sessions.signed_in(digest)
    if found is None:
        return None
    return judge_session(uow, digest, *found, now=now, policy=policy)


def judge_session(
    uow: UnitOfWork,
    digest: str,
    session: WebSession,
    user: User,
    *,
    now: datetime,
    policy: SessionPolicy,
) -> SessionUser | None:
    """The session policy of :func:`signed_in_user` on a session the caller read (with what
    else its page needs): None when it has expired (it is then deleted); the last use is
    written at most once a minute."""
    now = utc_moment(now, "now")
    if (
        now - session.last_seen_at > policy.idle
        or now - session.created_at > policy.absolute
        or not user.active
    ):
        uow.web_sessions.delete(digest)
        uow.commit()
        return None
    if now - session.last_seen_at >= _TOUCH_EVERY:
        uow.web_sessions.touch(digest, now)
        uow.commit()
    return SessionUser(user=user, csrf_token=session.csrf_token, token_digest=digest)


def sign_out(uow: UnitOfWork, token: str | None) -> None:
    """End the session ``token`` (nothing happens when there is none)."""
    if not token:
        return
    with uow:
        uow.web_sessions.delete(token_digest(token))
        uow.commit()


# --- the site audit log ------------------------------------------------------------------------


def site_audit_log(
    uow: UnitOfWork, actor_id: int, site_id: str, *, limit: int = 200
) -> list[AuditEntry]:
    """The newest audit entries about ``site_id``'s records, for its site administrators."""
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= 1000:
        raise InvalidInputError("limit", "must be a whole number from 1 to 1000")
    with uow:
        actor = uow.users.get(actor_id)
        if actor is None or actor.role is not Role.SITE_ADMINISTRATOR:
            raise PermissionDeniedError("audit", "only a site administrator reads the audit log")
        if uow.sites.get(site_id) is None:
            raise InvalidInputError("site", f"no site {site_id!r} is known")
        if not actor.belongs_to(site_id):
            raise PermissionDeniedError(
                "audit", f"user {actor_id} is not an administrator of site {site_id!r}"
            )
        return list(uow.site_audit.for_site(site_id, limit))
