"""Which hipcare role and sites a member of staff has, from their groups at the hospital.

A hospital that signs its staff in with its own identity provider names, for each of its
groups (or roles), the hipcare role and the site that group gives (``HIPCARE_OIDC_ROLE_MAP``):

    hip-surgeons-north=surgeon@north, hip-nurses=nurse@north, hip-nurses=nurse@south,
    hipcare-admins=site-administrator@north

The words are ``site-administrator`` and the clinicians' professions (``surgeon``, ``nurse``,
``physiotherapist``, ``occupational-therapist``). A person's access is what all their mapped
groups give together: one role (hipcare gives each person one role and, for a clinician, one
profession), and the sites of every mapped group. Groups that give different roles are a
conflict the hospital's IT team resolves in its mapping: the person is refused rather than
given the wider role at every site. A group not in the mapping gives nothing; a family
account is never made this way.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import Profession, Role

__all__ = ["ROLE_WORDS", "AccessGrant", "GroupMap", "StaffAccess"]

ROLE_WORDS: dict[str, tuple[Role, Profession | None]] = {
    "site-administrator": (Role.SITE_ADMINISTRATOR, None),
    **{profession.value: (Role.CLINICIAN, profession) for profession in Profession},
}
"""The words a mapping may give a group, and the role (and profession) each one means."""

_SITE = re.compile(r"[a-z0-9]+(?:-[a-z0-9]+)*")
_MAX_GROUP_LENGTH = 256


@dataclass(frozen=True)
class StaffAccess:
    """A role (and a clinician's profession) at a set of sites."""

    role: Role
    profession: Profession | None
    site_ids: frozenset[str]

    @property
    def role_word(self) -> str:
        """The mapping's word for this role: the profession of a clinician."""
        return self.profession.value if self.profession else self.role.value


@dataclass(frozen=True)
class AccessGrant:
    """What one group gives: a role word at a site."""

    group: str
    role: Role
    profession: Profession | None
    site_id: str

    @classmethod
    def parse(cls, group: str, target: str, field: str) -> AccessGrant:
        """``group`` and ``role@site`` as a mapping holds them; errors name ``field``."""
        group = group.strip()
        if not group or len(group) > _MAX_GROUP_LENGTH or not group.isprintable():
            raise InvalidInputError(field, f"{group!r} is not a group name")
        word, at, site = target.strip().partition("@")
        word, site = word.strip(), site.strip()
        if not at or word not in ROLE_WORDS:
            raise InvalidInputError(
                field,
                f"group {group!r}: {target.strip()!r} is not ROLE@SITE with ROLE one of "
                + ", ".join(ROLE_WORDS),
            )
        if not _SITE.fullmatch(site):
            raise InvalidInputError(
                field, f"group {group!r}: {site!r} is not a site id (lower-case words and dashes)"
            )
        role, profession = ROLE_WORDS[word]
        return cls(group=group, role=role, profession=profession, site_id=site)


@dataclass(frozen=True)
class GroupMap:
    """The hospital's groups and what each gives (a group may give several sites)."""

    grants: tuple[AccessGrant, ...]

    def __post_init__(self) -> None:
        if not self.grants:
            raise InvalidInputError("group_map", "maps no group to a role")

    @classmethod
    def parse(cls, text: str, field: str) -> GroupMap:
        """A map from ``text``: either ``group=role@site`` pairs separated by commas or new
        lines (a group may repeat), or a JSON object whose values are ``"role@site"`` or a
        list of them (for group names holding commas, such as LDAP distinguished names).
        Errors name ``field`` (the setting) and the group."""
        text = text.strip()
        pairs: list[tuple[str, str]] = []
        if text.startswith("{"):
            try:
                document = json.loads(text)
            except json.JSONDecodeError as error:
                raise InvalidInputError(field, f"is not valid JSON ({error.msg})") from None
            for group, targets in document.items():
                for target in [targets] if isinstance(targets, str) else targets:
                    if not isinstance(target, str):
                        raise InvalidInputError(field, f"group {group!r}: {target!r} is not text")
                    pairs.append((group, target))
        else:
            for item in re.split(r"[,\n]", text):
                if not item.strip():
                    continue
                group, equals, target = item.rpartition("=")
                if not equals:
                    raise InvalidInputError(field, f"{item.strip()!r} is not group=role@site")
                pairs.append((group, target))
        if not pairs:
            raise InvalidInputError(field, "maps no group to a role: write group=role@site")
        return cls(tuple(AccessGrant.parse(group, target, field) for group, target in pairs))

    @property
    def site_ids(self) -> frozenset[str]:
        """Every site the map names."""
        return frozenset(grant.site_id for grant in self.grants)

    def grants_for(self, groups: Collection[str]) -> tuple[AccessGrant, ...]:
        """The grants of the person's ``groups`` (in the map's order)."""
        held = set(groups)
        return tuple(grant for grant in self.grants if grant.group in held)

    def roles_for(self, groups: Collection[str]) -> frozenset[tuple[Role, Profession | None]]:
        """The distinct roles the person's mapped groups give (more than one: a conflict)."""
        return frozenset((grant.role, grant.profession) for grant in self.grants_for(groups))

    def access_for(self, groups: Collection[str]) -> StaffAccess | None:
        """The person's access, or None when no group of theirs is mapped or their groups
        give different roles (:meth:`roles_for` tells which)."""
        grants = self.grants_for(groups)
        roles = {(grant.role, grant.profession) for grant in grants}
        if len(roles) != 1:
            return None
        ((role, profession),) = roles
        return StaffAccess(role, profession, frozenset(grant.site_id for grant in grants))
