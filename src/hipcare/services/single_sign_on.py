"""Single sign-on for staff: the account rules once the hospital's provider has said who it is.

The entry point's OpenID Connect client (``hipcare.interop.oidc``) checks the provider's
signed ID token and hands in a :class:`SignOnIdentity`; :func:`sign_on` then

- finds the account linked to the provider's ``issuer`` and ``subject`` (never the email
  alone: an account with the same email but no link is refused, not taken over);
- gives it the role and sites the person's groups give (``GroupMap``, the setting
  ``HIPCARE_OIDC_ROLE_MAP``): on the first sign-in it creates the account; later it adds and
  removes sites and changes the role to follow the groups;
- refuses a person none of whose groups is mapped, or whose groups give different roles,
  and then takes away every site an existing account had (its open sessions see no record
  from then on, because every request reads the account again);
- opens a session.

Every sign-in, account created and change of access is audited, one row for each site it
touches (entity ``site``, so each site's administrators see them in their audit log), with
the user as the actor. A refused person without an account has no id to audit: the entry
point logs the reason code only.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime
from enum import StrEnum
from typing import NoReturn

from hipcare.domain.errors import HipcareError, InvalidInputError
from hipcare.domain.records import AuditAction, EntityType, Profession, User, utc_moment
from hipcare.domain.staff_access import GroupMap, StaffAccess
from hipcare.services.access import write_audit
from hipcare.services.accounts import SignedIn, open_session
from hipcare.services.ports import UnitOfWork
from hipcare.services.ports.accounts import SignOnIdentity

__all__ = ["SignOnIdentity", "SignOnRefusal", "SignOnRefusedError", "sign_on"]

_NAME_LENGTH = 200


class SignOnRefusal(StrEnum):
    """Why a single sign-on was refused (a code for the log; the page says it in words)."""

    NO_MAPPED_GROUP = "no-mapped-group"
    CONFLICTING_ROLES = "conflicting-roles"
    UNKNOWN_SITE = "unknown-site"
    NO_EMAIL = "no-email"
    EMAIL_TAKEN = "email-taken"
    BAD_DETAILS = "bad-details"
    DEACTIVATED = "deactivated"


class SignOnRefusedError(HipcareError):
    """The provider signed the person in, but hipcare does not let them in."""

    def __init__(self, reason: SignOnRefusal, message: str, user_id: int | None) -> None:
        self.reason = reason
        self.message = message
        self.user_id = user_id
        super().__init__(f"single sign-on: {reason.value}")


def sign_on(
    uow: UnitOfWork, identity: SignOnIdentity, group_map: GroupMap, *, now: datetime
) -> SignedIn:
    """Create or update the account of the person ``identity`` names and open a session, or
    raise :class:`SignOnRefusedError` (after taking away an existing account's sites)."""
    now = utc_moment(now, "now")
    with uow:
        user = uow.users.by_sign_on(identity.issuer, identity.subject)
        if user is not None and not user.active:
            # A site administrator switched the account off: the hospital's groups do not
            # switch it on again (the administrator reactivates it in hipcare).
            raise SignOnRefusedError(
                SignOnRefusal.DEACTIVATED,
                "Your hipcare account has been switched off by a site administrator. Ask them "
                "if you need hipcare again.",
                user.id,
            )
        access = group_map.access_for(identity.groups)
        if access is None:
            roles = group_map.roles_for(identity.groups)
            if roles:
                words = sorted(
                    StaffAccess(role, profession, frozenset()).role_word
                    for role, profession in roles
                )
                _refuse(
                    uow,
                    user,
                    now,
                    SignOnRefusal.CONFLICTING_ROLES,
                    "Your groups at the hospital give you more than one hipcare role "
                    f"({', '.join(words)}). hipcare gives each person one role: ask your IT "
                    "team to change your groups or hipcare's group mapping.",
                )
            _refuse(
                uow,
                user,
                now,
                SignOnRefusal.NO_MAPPED_GROUP,
                "Your hospital account is not in any group that uses hipcare. If you need "
                "hipcare, ask your IT team to add you to the right group.",
            )
        unknown = sorted(site for site in access.site_ids if uow.sites.get(site) is None)
        if unknown:
            _refuse(
                uow,
                user,
                now,
                SignOnRefusal.UNKNOWN_SITE,
                f"hipcare's group mapping names a site it does not know ({', '.join(unknown)}). "
                "Ask your IT team to correct HIPCARE_OIDC_ROLE_MAP.",
            )
        email = _email(identity, user)
        taken = uow.users.by_email(email)
        if taken is not None and (user is None or taken.id != user.id):
            _refuse(
                uow,
                user,
                now,
                SignOnRefusal.EMAIL_TAKEN,
                "hipcare already has an account with your email that is not linked to your "
                "hospital account. Ask your site administrator to link or remove it.",
            )
        wanted = _user_with(user, identity, access, email)
        if user is None:
            stored = uow.users.add(wanted)
            if stored.id is None:  # pragma: no cover -- a stored user has an id
                raise ValueError("a stored user has an id")
            uow.users.link_sign_on(stored.id, identity.issuer, identity.subject)
            _audit(uow, stored, AuditAction.USER_CREATED, stored.site_ids, now)
        else:
            stored = uow.users.save(wanted)
            _audit(uow, stored, AuditAction.USER_ACCESS_CHANGED, _changed_sites(user, stored), now)
        _audit(uow, stored, AuditAction.USER_SIGNED_IN, stored.site_ids, now)
        signed = open_session(uow, stored, now=now)
        uow.commit()
    return signed


def _refuse(
    uow: UnitOfWork, user: User | None, now: datetime, reason: SignOnRefusal, message: str
) -> NoReturn:
    """Take every site away from an existing account (audited), commit, then refuse."""
    if user is not None and user.site_ids:
        stripped = uow.users.save(dataclasses.replace(user, site_ids=frozenset()))
        _audit(uow, stripped, AuditAction.USER_ACCESS_CHANGED, user.site_ids, now)
        uow.commit()
    raise SignOnRefusedError(reason, message, None if user is None else user.id)


def _email(identity: SignOnIdentity, user: User | None) -> str:
    if identity.email:
        return identity.email.strip().lower()
    if user is not None:
        return user.email
    raise SignOnRefusedError(
        SignOnRefusal.NO_EMAIL,
        "Your hospital account did not give hipcare your email address. Ask your IT team to "
        "release the email claim to hipcare.",
        None,
    )


def _user_with(
    user: User | None, identity: SignOnIdentity, access: StaffAccess, email: str
) -> User:
    name = (identity.name or "").strip()[:_NAME_LENGTH] or (
        user.display_name if user is not None else email.partition("@")[0]
    )
    profile = user.surgeon_profile if user is not None else None
    try:
        return User(
            id=None if user is None else user.id,
            email=email,
            display_name=name,
            role=access.role,
            profession=access.profession,
            site_ids=access.site_ids,
            password_hash=None if user is None else user.password_hash,
            surgeon_profile=profile if access.profession is Profession.SURGEON else None,
        )
    except InvalidInputError as error:
        raise SignOnRefusedError(
            SignOnRefusal.BAD_DETAILS,
            f"Your hospital account's details cannot be used ({error.field}: {error.problem}). "
            "Ask your IT team.",
            None if user is None else user.id,
        ) from None


def _changed_sites(before: User, after: User) -> frozenset[str]:
    """The sites whose access changed: those gained or lost, and all of them when the role
    or profession changed."""
    if (before.role, before.profession) != (after.role, after.profession):
        return before.site_ids | after.site_ids
    return before.site_ids ^ after.site_ids


def _audit(
    uow: UnitOfWork, user: User, action: AuditAction, site_ids: Iterable[str], now: datetime
) -> None:
    for site_id in sorted(site_ids):
        write_audit(uow, user, action, EntityType.SITE, site_id, now)
