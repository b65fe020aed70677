"""children.administrative_sex and hospital_numbers (issue 15: right patient)

Revision ID: 0010_p3_identity
Revises: 0009
Create Date: 2026-12-06 21:50:00

Written by hand. A child gains an administrative sex (FHIR ``AdministrativeGender`` codes,
``unknown`` for every child registered before) and any number of hospital numbers, each with
the system that issued it. Both are part of the child's record, so they move
``children.record_version`` like the tables of migration 0008: ``hospital_numbers`` gets the
same triggers, and on SQLite the ``UPDATE OF`` trigger on ``children`` is made again with the
new column. ``children`` is not rebuilt (SQLite adds the column, with its CHECK, in place),
so its other triggers stay.
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010_p3_identity"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_SEXES = ("male", "female", "other", "unknown")
_CHILD_COLUMNS_BEFORE = (
    "site_id",
    "given_name",
    "family_name",
    "search_key",
    "date_of_birth",
    "gestation_weeks",
    "gmfcs",
    "preferred_language",
)
_CHILD_COLUMNS_AFTER = (*_CHILD_COLUMNS_BEFORE, "administrative_sex")
_BUMP = "UPDATE children SET record_version = record_version + 1 WHERE id"


def _sqlite_children_trigger(columns: Sequence[str]) -> str:
    return (
        "CREATE TRIGGER trg_children_record_version_update "
        f"AFTER UPDATE OF {', '.join(columns)} ON children "
        f"BEGIN {_BUMP} = NEW.id; END"
    )


def _sqlite_triggers() -> list[str]:
    return [
        "CREATE TRIGGER trg_hospital_numbers_record_version_insert AFTER INSERT ON "
        f"hospital_numbers BEGIN {_BUMP} = NEW.child_id; END",
        "CREATE TRIGGER trg_hospital_numbers_record_version_update AFTER UPDATE ON "
        f"hospital_numbers BEGIN {_BUMP} IN (OLD.child_id, NEW.child_id); END",
        "CREATE TRIGGER trg_hospital_numbers_record_version_delete AFTER DELETE ON "
        f"hospital_numbers BEGIN {_BUMP} = OLD.child_id; END",
        "DROP TRIGGER trg_children_record_version_update",
        _sqlite_children_trigger(_CHILD_COLUMNS_AFTER),
    ]


def _postgresql_triggers() -> list[str]:
    return [
        "CREATE FUNCTION hipcare_hospital_numbers_record_version() RETURNS trigger "
        "LANGUAGE plpgsql AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {_BUMP} = NEW.child_id; "
        f"ELSIF TG_OP = 'UPDATE' THEN {_BUMP} IN (OLD.child_id, NEW.child_id); "
        f"ELSE {_BUMP} = OLD.child_id; END IF; "
        "RETURN NULL; END $$",
        "CREATE TRIGGER trg_hospital_numbers_record_version "
        "AFTER INSERT OR UPDATE OR DELETE ON hospital_numbers "
        "FOR EACH ROW EXECUTE FUNCTION hipcare_hospital_numbers_record_version()",
    ]


def upgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.add_column(
            "children",
            sa.Column(
                "administrative_sex",
                sa.Enum(
                    *_SEXES,
                    name=op.f("ck_children_administrative_sex"),
                    native_enum=False,
                    create_constraint=True,
                    length=32,
                ),
                server_default="unknown",
                nullable=False,
            ),
        )
    else:
        # SQLite's ADD COLUMN takes a CHECK in place; Alembic's add_column would drop it.
        allowed = ", ".join(f"'{sex}'" for sex in _SEXES)
        op.execute(
            "ALTER TABLE children ADD COLUMN administrative_sex VARCHAR(32) "
            "DEFAULT 'unknown' NOT NULL CONSTRAINT ck_children_administrative_sex "
            f"CHECK (administrative_sex IN ({allowed}))"
        )
    op.create_table(
        "hospital_numbers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("child_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("system", sa.String(length=255), nullable=False),
        sa.Column("value", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["child_id"],
            ["children.id"],
            name=op.f("fk_hospital_numbers_child_id_children"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hospital_numbers")),
        sa.UniqueConstraint(
            "child_id", "position", name=op.f("uq_hospital_numbers_child_id_position")
        ),
    )
    op.create_index(
        "ix_hospital_numbers_system_value", "hospital_numbers", ["system", "value"], unique=False
    )
    for statement in _postgresql_triggers() if postgresql else _sqlite_triggers():
        op.execute(statement)


def downgrade() -> None:
    postgresql = op.get_bind().dialect.name == "postgresql"
    if postgresql:
        op.execute("DROP TRIGGER trg_hospital_numbers_record_version ON hospital_numbers")
        op.execute("DROP FUNCTION hipcare_hospital_numbers_record_version()")
    else:
        for event in ("insert", "update", "delete"):
            op.execute(f"DROP TRIGGER trg_hospital_numbers_record_version_{event}")
        op.execute("DROP TRIGGER trg_children_record_version_update")
    op.drop_index("ix_hospital_numbers_system_value", table_name="hospital_numbers")
    op.drop_table("hospital_numbers")
    if postgresql:
        op.drop_column("children", "administrative_sex")
        return
    # SQLite cannot drop a column its CHECK names in place: batch mode rebuilds ``children``
    # (foreign keys are off while migrating), which drops the table's triggers, so the
    # record-version trigger of revision 0008 is made again afterwards. The legacy rename
    # leaves the other tables' triggers (which name ``children``) as they are: the rebuilt
    # table ends up with the same name.
    op.execute("PRAGMA legacy_alter_table = ON")
    with op.batch_alter_table("children", schema=None) as batch_op:
        batch_op.drop_constraint(op.f("ck_children_administrative_sex"), type_="check")
        batch_op.drop_column("administrative_sex")
    op.execute("PRAGMA legacy_alter_table = OFF")
    op.execute(_sqlite_children_trigger(_CHILD_COLUMNS_BEFORE))
