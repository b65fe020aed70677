"""The audit log's closed set of actions, revision by revision, for the Alembic migrations.

``audit_log.action`` carries a CHECK constraint (``ck_audit_log_action``) naming every action
the code may write. A migration that adds actions replaces that CHECK; it needs the list
before and after itself, which it reads here instead of copying the whole list:

    _ACTIONS_BEFORE = actions_before(revision)
    _ACTIONS_AFTER = actions_after(revision)

    def upgrade() -> None:
        replace_audit_action_check(_ACTIONS_BEFORE, _ACTIONS_AFTER)

    def downgrade() -> None:
        ...  # delete the rows holding the new actions first
        replace_audit_action_check(_ACTIONS_AFTER, _ACTIONS_BEFORE)

The order of the names is the order of the values in the CHECK's text, so the history is
kept in the order the revisions ran. ``tests/unit/test_audit_action_history.py`` checks it
against the Alembic chain, each migration's lists, and ``AuditAction`` at head.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

import sqlalchemy as sa
from alembic import op

__all__ = [
    "ADDED",
    "actions_after",
    "actions_before",
    "audit_action_type",
    "replace_audit_action_check",
]

# FROZEN HISTORY. The database of every site ran these revisions with exactly these names in
# exactly this order: never edit, reorder or remove an existing revision's names (that would
# make its CHECK differ from the one already in the databases, and its downgrade restore the
# wrong one). A new migration that adds actions adds one entry of its own, last, keyed by its
# revision id; a revision that adds none needs no entry.
ADDED: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {
        # The initial schema's set.
        "0001": (
            "child.registered",
            "child.read",
            "child.listed",
            "visit.recorded",
            "access.denied",
        ),
        "0003": ("child.updated", "visit.updated", "child.exported"),
        "0004": (
            "operation.planned",
            "operation.postponed",
            "pathway.started",
            "care-item.ticked",
            "alert.acknowledged",
        ),
        "0005": (
            "family.invited",
            "invitation.accepted",
            "care-plan.read",
            "diary.recorded",
            "diary.read",
            "alert.raised",
            "calendar-link.changed",
            "calendar.read",
            "reminder.sent",
        ),
        "0006": ("radiograph.stored", "radiograph.read", "radiograph.measured"),
        "0011_p2_referrals": ("referral.recorded", "referral.seen"),
        "0013_p4": ("care-item.unticked",),
        "0014_p7": ("outcome.recorded", "outcome.read", "site-report.read"),
        "0015_clinical": ("operation.done",),
        "0016_sso": ("user.signed-in", "user.created", "user.access-changed"),
        "0017_pacs": ("pacs.searched", "pacs.pull-refused"),
        "0018_alerts": ("alert-routes.changed", "alert-routes.read", "audit-log.read"),
        "0019_accounts": (
            "staff.listed",
            "staff.invited",
            "staff.updated",
            "staff.deactivated",
            "staff.reactivated",
            "password.set",
            "password.changed",
            "password.reset-requested",
            "password.reset",
            "password.rehashed",
            "second-factor.enrolled",
            "second-factor.refused",
            "recovery-code.used",
        ),
        "0020_family": ("care-item.reopened", "postponement.emailed", "day-of-surgery.set"),
        "0021_childpage": ("radiograph.confirmed",),
        "0022_fhir": ("child.merged", "registry.exported"),
        "0023_family2": ("message.posted", "messages.read"),
    }
)
"""Revision id -> the actions it added, in the order the revisions ran (0001: the initial set)."""


def _position(revision: str) -> int:
    revisions = list(ADDED)
    if revision not in ADDED:
        raise KeyError(
            f"revision {revision!r} added no audit actions to the history; "
            "a migration that adds some gives itself an entry in ADDED"
        )
    return revisions.index(revision)


def actions_after(revision: str) -> tuple[str, ...]:
    """Every action the CHECK allows once ``revision`` (an entry of ``ADDED``) has run."""
    last = _position(revision)
    return tuple(action for added in list(ADDED.values())[: last + 1] for action in added)


def actions_before(revision: str) -> tuple[str, ...]:
    """Every action the CHECK allows just before ``revision`` (an entry of ``ADDED``) runs:
    the set the previous entry left (revisions between them changed none)."""
    first = _position(revision)
    return tuple(action for added in list(ADDED.values())[:first] for action in added)


def audit_action_type(actions: Sequence[str]) -> sa.Enum:
    """``audit_log.action``'s type with the closed set ``actions``: a VARCHAR(32) and its CHECK
    named ``ck_audit_log_action``, as revision 0001 made it."""
    return sa.Enum(
        *actions,
        name=op.f("ck_audit_log_action"),
        native_enum=False,
        create_constraint=True,
        length=32,
    )


def replace_audit_action_check(old: Sequence[str], new: Sequence[str]) -> None:
    """Replace the CHECK that allows ``old`` by one that allows ``new``, inside a migration.

    PostgreSQL drops and adds the constraint; on SQLite batch mode rebuilds ``audit_log``
    (which has no triggers to lose). Delete the rows ``new`` no longer allows first.
    """
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "action",
            existing_type=audit_action_type(old),
            type_=audit_action_type(new),
            existing_nullable=False,
        )
