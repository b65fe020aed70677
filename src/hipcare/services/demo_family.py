"""The family side of the SYNTHETIC demo: a family account for some demo children (those
with a ``[child.family]`` table in ``content/demo/children.toml``), linked to the child, with
diary entries written through the family's own use case (so some raise care-team alerts,
as a real entry would).

Idempotent by email: a family account that exists already is left as it is, with its diary.
Each account signs in with the demo password (``content/demo/staff.toml``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from hipcare.domain.diary import DiaryRules
from hipcare.domain.records import Role, User, name_search_key
from hipcare.services.accounts import add_user
from hipcare.services.family.diary import record_diary_entry
from hipcare.services.ports import UnitOfWork

__all__ = ["DemoFamily", "seed_demo_families"]


@dataclass(frozen=True)
class DemoFamily:
    """A demo family sign-in to print: email, who it is, and whose family."""

    email: str
    display_name: str
    child_given_name: str
    added: bool


def _child_id(uow: UnitOfWork, entry: Mapping[str, Any]) -> int | None:
    key = name_search_key(f"{entry['given_name']} {entry['family_name']}")
    with uow:
        for child in uow.children.search(key, [entry["site"]], 5):
            if child.search_key == key:
                return child.id
    return None


def seed_demo_families(
    uow: UnitOfWork,
    children: Iterable[Mapping[str, Any]],
    password: str,
    rules: DiaryRules,
    *,
    now: datetime,
) -> tuple[DemoFamily, ...]:
    """Add the family accounts (and their diaries) of the demo ``children`` not there yet."""
    families = []
    for entry in children:
        family = entry.get("family")
        if family is None:
            continue
        child_id = _child_id(uow, entry)
        if child_id is None:  # pragma: no cover -- seeded with the children just before
            continue
        with uow:
            exists = uow.users.by_email(family["email"]) is not None
        if not exists:
            user = add_user(
                uow,
                User(
                    email=family["email"],
                    display_name=family["display_name"],
                    role=Role.FAMILY,
                    profession=None,
                ),
                password,
            )
            if user.id is None:  # pragma: no cover -- stored users have ids
                raise RuntimeError("a stored user has no id")
            with uow:
                uow.family.link(user.id, child_id, now - timedelta(days=7))
                uow.commit()
            for diary in family.get("diary", []):
                document = {key: value for key, value in diary.items() if key != "hours_ago"}
                written = now - timedelta(hours=diary["hours_ago"])
                record_diary_entry(uow, user.id, child_id, document, rules, now=written)
        families.append(
            DemoFamily(family["email"], family["display_name"], entry["given_name"], not exists)
        )
    return tuple(families)
