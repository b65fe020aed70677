"""The ``referrals`` table and its repository (issue 16): a child's referrals to the
orthopaedic clinic, each with the day it should be seen by and, once seen, the outcome."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from datetime import date, datetime

from sqlalchemy import Enum as SqlEnum
from sqlalchemy import ForeignKey, String, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.records import OperationStatus
from hipcare.domain.referral import ClinicOutcome, Referral
from hipcare.storage.tables import RECORD_ID, Base, OperationPlanRow

__all__ = ["ReferralRow", "SqlAlchemyReferralRepository", "referral_from_row"]


class ReferralRow(Base):
    """One referral (``hipcare.domain.referral.Referral``); ``seen_by`` is kept so the
    worklist's query finds an overdue referral by comparing one indexed date."""

    __tablename__ = "referrals"

    id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True)
    child_id: Mapped[int] = mapped_column(ForeignKey("children.id", ondelete="CASCADE"), index=True)
    referred_to: Mapped[str] = mapped_column(String(200))
    referred_on: Mapped[date]
    seen_by: Mapped[date]
    seen_on: Mapped[date | None]
    outcome: Mapped[ClinicOutcome | None] = mapped_column(
        SqlEnum(
            ClinicOutcome,
            name="outcome",
            native_enum=False,
            create_constraint=True,
            length=32,
            values_callable=lambda members: [str(member.value) for member in members],
            validate_strings=True,
        )
    )
    recorded_by: Mapped[int] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime]


def referral_from_row(row: ReferralRow) -> Referral:
    """The domain value of a stored row (an ORM row, or a Core row of the same names)."""
    return Referral(
        child_id=row.child_id,
        referred_to=row.referred_to,
        referred_on=row.referred_on,
        seen_by=row.seen_by,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        seen_on=row.seen_on,
        outcome=row.outcome,
        id=row.id,
    )


_COLUMNS = (
    "child_id",
    "referred_to",
    "referred_on",
    "seen_by",
    "seen_on",
    "outcome",
    "recorded_by",
    "recorded_at",
)


class SqlAlchemyReferralRepository:
    """Implements :class:`hipcare.services.ports.ReferralRepository` on an ORM session."""

    def __init__(self, session: Session) -> None:
        self._session = session

    def add(self, referral: Referral) -> Referral:
        row = ReferralRow(**{name: getattr(referral, name) for name in _COLUMNS})
        self._session.add(row)
        self._session.flush()
        return referral_from_row(row)

    def get(self, referral_id: int) -> Referral | None:
        row = self._session.get(ReferralRow, referral_id)
        return None if row is None else referral_from_row(row)

    def save(self, referral: Referral) -> Referral:
        row = None if referral.id is None else self._session.get(ReferralRow, referral.id)
        if row is None:
            raise InvalidInputError("referral_id", f"no referral {referral.id} is stored")
        for name in _COLUMNS:
            setattr(row, name, getattr(referral, name))
        self._session.flush()
        return referral_from_row(row)

    def for_child(self, child_id: int) -> Sequence[Referral]:
        rows = self._session.scalars(
            select(ReferralRow)
            .where(ReferralRow.child_id == child_id)
            .order_by(ReferralRow.referred_on, ReferralRow.id)
        )
        return [referral_from_row(row) for row in rows]

    def latest_for_children(self, child_ids: Collection[int]) -> dict[int, Referral]:
        ids = sorted(set(child_ids))
        if not ids:
            return {}
        rows = self._session.scalars(
            select(ReferralRow)
            .where(ReferralRow.child_id.in_(ids))
            .order_by(ReferralRow.referred_on, ReferralRow.id)
        )
        # Oldest first: the last one written per child is its latest.
        return {row.child_id: referral_from_row(row) for row in rows}

    def with_operation_planned(self, child_ids: Collection[int]) -> set[int]:
        ids = sorted(set(child_ids))
        if not ids:
            return set()
        return set(
            self._session.scalars(
                select(OperationPlanRow.child_id)
                .where(
                    OperationPlanRow.child_id.in_(ids),
                    OperationPlanRow.status != OperationStatus.CANCELLED,
                )
                .distinct()
            )
        )
