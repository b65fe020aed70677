"""The synthetic sites and staff every use-case test starts with (invented names, no real people).

Shared by the storage tests (``tests/integration/storage``) and the service tests that run over
every engine (``tests/service``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

from hipcare.domain.records import Profession, Role, Site, User
from hipcare.services.ports import UnitOfWork

__all__ = ["HARBOUR", "NORTHERN", "NOW", "TODAY", "Staff", "add_staff"]

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)
HARBOUR = "harbour-childrens"
NORTHERN = "northern-regional"


@dataclass(frozen=True)
class Staff:
    """Ids of the synthetic staff every use-case test starts with."""

    surgeon: int  # Harbour only
    nurse: int  # both sites
    physiotherapist: int  # Northern only
    administrator: int  # Harbour, not a clinician


def add_staff(uow: UnitOfWork) -> Staff:
    """Store two sites and four users, committed; their ids."""
    with uow:
        uow.sites.add(Site(HARBOUR, "Harbour Children's Hospital"))
        uow.sites.add(Site(NORTHERN, "Northern Regional Kids Health"))
        people = [
            User(
                "surgeon@example.org",
                "Dr Ada Surgeon",
                Role.CLINICIAN,
                Profession.SURGEON,
                frozenset({HARBOUR}),
            ),
            User(
                "nurse@example.org",
                "Ben Nurse",
                Role.CLINICIAN,
                Profession.NURSE,
                frozenset({HARBOUR, NORTHERN}),
            ),
            User(
                "physio@example.org",
                "Cai Physio",
                Role.CLINICIAN,
                Profession.PHYSIOTHERAPIST,
                frozenset({NORTHERN}),
            ),
            User(
                "admin@example.org",
                "Dee Admin",
                Role.SITE_ADMINISTRATOR,
                None,
                frozenset({HARBOUR}),
            ),
        ]
        ids = [uow.users.add(person).id for person in people]
        uow.commit()
    assert all(isinstance(user_id, int) for user_id in ids)
    return Staff(*(user_id for user_id in ids if user_id is not None))
