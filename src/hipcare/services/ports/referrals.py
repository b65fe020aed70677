"""A child's referrals to the orthopaedic clinic (issue 16)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Protocol

from hipcare.domain.referral import Referral

__all__ = ["ReferralRepository"]


class ReferralRepository(Protocol):
    def add(self, referral: Referral) -> Referral:
        """Store a new referral; returns it with its id."""
        ...

    def get(self, referral_id: int) -> Referral | None: ...

    def save(self, referral: Referral) -> Referral:
        """Overwrite a stored referral (the clinic visit recorded)."""
        ...

    def for_child(self, child_id: int) -> Sequence[Referral]:
        """The child's referrals, oldest first."""
        ...

    def latest_for_children(self, child_ids: Collection[int]) -> dict[int, Referral]:
        """Each child's latest referral (by referral date, then as recorded); children
        without one are left out."""
        ...

    def with_operation_planned(self, child_ids: Collection[int]) -> set[int]:
        """Those of the children with an operation plan that is not cancelled."""
        ...
