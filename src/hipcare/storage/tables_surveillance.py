"""The stored surveillance judgement of each child, so the worklist is a query.

On the one ``Base.metadata`` of ``hipcare.storage.tables_base``; re-exported by
``hipcare.storage.tables``.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    String,
)
from sqlalchemy.orm import Mapped, mapped_column

from hipcare.storage.tables_base import RECORD_ID, Base

__all__ = [
    "SurveillanceStatusRow",
]


class SurveillanceStatusRow(Base):
    """A child's surveillance judgement as of ``computed_on``, kept so the worklist is a query.

    Written by the use cases that change what the judgement depends on (child registered or
    changed, visit recorded or imported); ``hipcare.services.surveillance_status`` says when a
    row is judged again (rules changed, judged after the day asked, ``judge_again_on``
    reached). The status on a given day is derived from the stored dates (docs/storage.md).

    ``(child_id, site_id)`` refers to the child's ``(id, site_id)`` with ON UPDATE CASCADE:
    the row moves with its child, so a site's rows are exactly its children's judgements and
    two counts tell whether one is missing.
    """

    __tablename__ = "surveillance_status"
    __table_args__ = (
        ForeignKeyConstraint(
            ["child_id", "site_id"],
            ["children.id", "children.site_id"],
            onupdate="CASCADE",
            ondelete="CASCADE",
        ),
        Index("ix_surveillance_status_site_id_due_from", "site_id", "due_from"),
        Index("ix_surveillance_status_site_id_needs_referral", "site_id", "needs_referral"),
        # The stale-row check: a few index seeks that find nothing in the steady state.
        Index(
            "ix_surveillance_status_site_id_rules_version_computed_on",
            "site_id",
            "rules_version",
            "computed_on",
        ),
        Index("ix_surveillance_status_site_id_judge_again_on", "site_id", "judge_again_on"),
    )

    child_id: Mapped[int] = mapped_column(RECORD_ID, primary_key=True, autoincrement=False)
    site_id: Mapped[str] = mapped_column(ForeignKey("sites.id"))
    computed_on: Mapped[date]
    rules_version: Mapped[str] = mapped_column(String(64))
    next_review_rule: Mapped[str | None] = mapped_column(String(64))
    due_from: Mapped[date | None]
    due_by: Mapped[date | None]
    xray_at_next_review: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="xray_at_next_review")
    )
    needs_referral: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="needs_referral")
    )
    discharged: Mapped[bool] = mapped_column(Boolean(create_constraint=True, name="discharged"))
    outside_guideline: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="outside_guideline")
    )
    local_protocol: Mapped[bool] = mapped_column(
        Boolean(create_constraint=True, name="local_protocol")
    )
    # The rules' age limit, when the judgement was made before it.
    valid_until: Mapped[date | None]
    # The first day a fresh judgement could differ without a new record: the age limit or
    # the day after the review window closed (the plan then says "overdue"), if sooner.
    judge_again_on: Mapped[date | None]
    problem: Mapped[str | None] = mapped_column(String(1000))
    computed_at: Mapped[datetime]
