"""local accounts done properly: deactivation, TOTP, recovery codes, single-use tokens (issue 18)

Revision ID: 0019_accounts
Revises: 0018_alerts
Create Date: 2026-12-06 23:50:00

Written from hipcare/storage/tables.py as autogenerate would, then given the CHECK changes
autogenerate does not see: the audit log's actions grow by the staff, password and
second-factor actions, and its entity types (and the external identifiers', which share the
enum) by ``user``. Batch mode rebuilds the tables on SQLite.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from hipcare.storage.audit_action_history import (
    ADDED,
    actions_after,
    actions_before,
    audit_action_type,
)

revision: str = "0019_accounts"
down_revision: str | None = "0018_alerts"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The ids' type as ``hipcare.storage.tables.RECORD_ID`` declares it (64-bit on PostgreSQL, 0012_p1).
_RECORD_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

_ACTIONS_BEFORE = actions_before(revision)
_ACTIONS_AFTER = actions_after(revision)
_ENTITY_TYPES_BEFORE = ("child", "visit", "site", "radiograph")
_ENTITY_TYPES_AFTER = (*_ENTITY_TYPES_BEFORE, "user")


def _user_columns() -> tuple[sa.Column[object], ...]:
    """New every time: a Column joins the table it is added to."""
    return (
        sa.Column("deactivated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_secret", sa.String(length=64), nullable=True),
        sa.Column("totp_confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
    )


def _choice(values: Sequence[str], name: str) -> sa.Enum:
    return sa.Enum(*values, name=op.f(name), native_enum=False, create_constraint=True, length=32)


def _closed_sets(actions: Sequence[str], entity_types: Sequence[str]) -> None:
    growing = actions is _ACTIONS_AFTER
    old_actions = _ACTIONS_BEFORE if growing else _ACTIONS_AFTER
    old_types = _ENTITY_TYPES_BEFORE if growing else _ENTITY_TYPES_AFTER
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.alter_column(
            "action",
            existing_type=audit_action_type(old_actions),
            type_=audit_action_type(actions),
            existing_nullable=False,
        )
        batch_op.alter_column(
            "entity_type",
            existing_type=_choice(old_types, "ck_audit_log_entity_type"),
            type_=_choice(entity_types, "ck_audit_log_entity_type"),
            existing_nullable=False,
        )
    with op.batch_alter_table("external_identifiers", schema=None) as batch_op:
        batch_op.alter_column(
            "entity_type",
            existing_type=_choice(old_types, "ck_external_identifiers_entity_type"),
            type_=_choice(entity_types, "ck_external_identifiers_entity_type"),
            existing_nullable=False,
        )


def upgrade() -> None:
    _closed_sets(_ACTIONS_AFTER, _ENTITY_TYPES_AFTER)
    # Plain ALTER TABLE, not batch mode: a SQLite batch rebuild would drop the
    # page-generation triggers revision 0008 put on users.
    for column in _user_columns():
        op.add_column("users", column)
    op.create_table(
        "account_tokens",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("user_id", _RECORD_ID, nullable=False),
        sa.Column(
            "purpose",
            sa.Enum(
                "staff-invitation",
                "password-reset",
                "second-factor",
                name=op.f("ck_account_tokens_purpose"),
                native_enum=False,
                create_constraint=True,
                length=32,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_account_tokens_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_account_tokens")),
    )
    with op.batch_alter_table("account_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_account_tokens_user_id"), ["user_id"], unique=False)
    op.create_table(
        "recovery_codes",
        sa.Column("id", _RECORD_ID, nullable=False),
        sa.Column("user_id", _RECORD_ID, nullable=False),
        sa.Column("code_digest", sa.String(length=64), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_recovery_codes_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_recovery_codes")),
    )
    with op.batch_alter_table("recovery_codes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recovery_codes_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    for name in ("recovery_codes", "account_tokens"):
        with op.batch_alter_table(name, schema=None) as batch_op:
            batch_op.drop_index(batch_op.f(f"ix_{name}_user_id"))
        op.drop_table(name)
    # ALTER TABLE ... DROP COLUMN: PostgreSQL, and SQLite from 3.35 (no rebuild, as above).
    for column in reversed(_user_columns()):
        op.execute(f"ALTER TABLE users DROP COLUMN {column.name}")
    quoted = ", ".join(f"'{action}'" for action in ADDED[revision])
    op.execute(sa.text(f"DELETE FROM audit_log WHERE action IN ({quoted})"))  # noqa: S608 -- the frozen history's names
    op.execute(sa.text("DELETE FROM audit_log WHERE entity_type = 'user'"))
    _closed_sets(_ACTIONS_BEFORE, _ENTITY_TYPES_BEFORE)
