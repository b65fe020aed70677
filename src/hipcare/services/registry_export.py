"""A de-identified registry export of a site's outcomes: tables and their data dictionary.

What leaves the hospital: no name, contact, hospital number, record id or exact date. Ages
are whole months, times are intervals in days from the operation, and each child has a
random key drawn for this export only (``new_key``), so two exports cannot be linked by it.
Rows are sorted by those random keys, not by record id or date.

The entry point writes each :class:`RegistryTable` as a CSV file and the dictionary as
``data_dictionary.csv`` (docs/outcomes.md).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.outcomes import (
    OutcomeThresholds,
    SiteRecords,
    age_in_months,
    has_film_within,
    hip_outcomes,
    reached_migration_percentage,
)

__all__ = ["Column", "RegistryTable", "data_dictionary", "registry_tables"]

Cell = str | int | float | bool | None


@dataclass(frozen=True)
class Column:
    """One column of an export file: its name, meaning and unit ("" when it has none)."""

    name: str
    description: str
    unit: str = ""


@dataclass(frozen=True)
class RegistryTable:
    """One export file: ``<name>.csv`` with these columns and rows."""

    name: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]


_CHILDREN = (
    Column("child_key", "random key of the child, new in every export"),
    Column("gmfcs", "GMFCS level I-V, empty when not recorded"),
    Column("age_months", "age on the report date", "months"),
    Column("film_in_coverage_window", "a hip film in the surveillance coverage window (CPUP)"),
    Column(
        "reached_migration_percentage_threshold",
        "a hip's migration percentage was ever above the surgery threshold (40%)",
    ),
    Column("operations", "operations of the child in this export", "count"),
)
_OPERATIONS = (
    Column("operation_key", "random key of the operation, new in every export"),
    Column("child_key", "the child (children.csv)"),
    Column("procedure_group", "vdro-alone or vdro-with-pelvic-osteotomy"),
    Column("procedures", "procedures done in the same sitting, separated by ';'"),
    Column("sides", "operated hips: right, left or both"),
    Column("age_at_surgery_months", "age on the day of surgery", "months"),
    Column("length_of_stay_days", "discharge minus admission date, empty if unknown", "days"),
    Column("complications", "complications recorded (complications.csv)", "count"),
    Column("worst_complication_grade", "modified Clavien-Dindo-Sink grade (Dodwell 2018)"),
    Column("readmitted_within_window", "readmitted within the readmission window of discharge"),
    Column("return_to_theatre", "unplanned return to theatre, empty if unknown"),
    Column("reoperated", "a later operation on an operated hip"),
    Column("plate_removed_after_days", "plate removal, days after surgery; empty if not", "days"),
    Column("follow_up_days", "days from surgery to the report date", "days"),
)
_COMPLICATIONS = (
    Column("operation_key", "the operation (operations.csv)"),
    Column("grade", "modified Clavien-Dindo-Sink grade: I, II, III, IVa, IVb, V"),
    Column("days_after_surgery", "when it began, days after surgery", "days"),
)
_HIPS = (
    Column("operation_key", "the operation (operations.csv)"),
    Column("side", "right or left (the child's side)"),
    Column("migration_percentage_before", "last film on or before surgery", "%"),
    Column("migration_percentage_at_1_year", "film nearest 1 year after surgery", "%"),
    Column("migration_percentage_at_2_years", "film nearest 2 years after surgery", "%"),
    Column("failed", "hip failure: MP > 50% after surgery or re-operation (clinical spec §4)"),
    Column("failure_reason", "migration-percentage or reoperation; empty if not failed"),
    Column(
        "follow_up_days",
        "days to failure, or to the last film after surgery; empty without follow-up",
        "days",
    ),
)


def _fresh_keys(count: int, new_key: Callable[[], str]) -> list[str]:
    keys: list[str] = []
    seen: set[str] = set()
    while len(keys) < count:
        key = new_key()
        if not isinstance(key, str) or not key:
            raise InvalidInputError("new_key", "must give non-empty text")
        if key not in seen:
            seen.add(key)
            keys.append(key)
    return keys


def registry_tables(
    records: SiteRecords,
    thresholds: OutcomeThresholds,
    *,
    today: date,
    new_key: Callable[[], str],
) -> tuple[RegistryTable, ...]:
    """The site's children, operations, complications and hips, de-identified, on ``today``.

    Operations after ``today`` are left out, as in the report.
    """
    child_keys = dict(
        zip(
            (child.child_id for child in records.children),
            _fresh_keys(len(records.children), new_key),
            strict=True,
        )
    )
    operations = [op for op in records.operations if op.surgery_date <= today]
    operation_keys = dict(
        zip(
            (op.operation_id for op in operations),
            _fresh_keys(len(operations), new_key),
            strict=True,
        )
    )
    months = thresholds.surveillance_coverage_window_months
    threshold = thresholds.surgery_considered_migration_percentage
    children_rows = []
    for child in records.children:
        if child.date_of_birth > today:
            continue
        children_rows.append(
            (
                child_keys[child.child_id],
                None if child.gmfcs is None else child.gmfcs.value,
                age_in_months(child.date_of_birth, today),
                has_film_within(child, months=months, today=today),
                reached_migration_percentage(child, threshold, today=today),
                sum(1 for op in operations if op.child_id == child.child_id),
            )
        )
    operation_rows = []
    complication_rows = []
    hip_rows = []
    for op in operations:
        child = records.child(op.child_id)
        key = operation_keys[op.operation_id]
        worst = op.worst_complication
        operation_rows.append(
            (
                key,
                child_keys[op.child_id],
                op.procedure_group.value,
                ";".join(procedure.value for procedure in op.procedures),
                "both" if len(op.sides) == 2 else op.sides[0].value,
                age_in_months(child.date_of_birth, op.surgery_date),
                op.length_of_stay_days,
                len(op.complications),
                None if worst is None else worst.value,
                op.readmitted_within(thresholds.readmission_window_days),
                op.return_to_theatre,
                bool(op.reoperations),
                None
                if op.plate_removal_date is None or op.plate_removal_date > today
                else (op.plate_removal_date - op.surgery_date).days,
                (today - op.surgery_date).days,
            )
        )
        complication_rows += [
            (key, complication.grade.value, complication.days_after_surgery)
            for complication in op.complications
        ]
        hip_rows += [
            (
                key,
                hip.side.value,
                hip.migration_percentage_before,
                hip.migration_percentage_at_1_year,
                hip.migration_percentage_at_2_years,
                hip.failed,
                hip.failure_reason,
                hip.follow_up_days,
            )
            for hip in hip_outcomes(op, child, thresholds)
        ]
    return (
        RegistryTable(
            "children", "one row per child of the site", _CHILDREN, tuple(sorted(children_rows))
        ),
        RegistryTable(
            "operations",
            "one row per operation (a VDRO with any procedures of the same sitting)",
            _OPERATIONS,
            tuple(sorted(operation_rows, key=lambda row: str(row[0]))),
        ),
        RegistryTable(
            "complications",
            "one row per graded complication",
            _COMPLICATIONS,
            tuple(sorted(complication_rows, key=lambda row: (str(row[0]), str(row[2])))),
        ),
        RegistryTable(
            "hips",
            "one row per operated hip: migration percentage and survival",
            _HIPS,
            tuple(sorted(hip_rows, key=lambda row: (str(row[0]), str(row[1])))),
        ),
    )


def data_dictionary(tables: tuple[RegistryTable, ...]) -> RegistryTable:
    """``data_dictionary.csv``: every column of every file with its meaning and unit."""
    return RegistryTable(
        "data_dictionary",
        "the meaning and unit of every column of every file",
        (
            Column("file", "file name"),
            Column("column", "column"),
            Column("description", ""),
            Column("unit", ""),
        ),
        tuple(
            (f"{table.name}.csv", column.name, column.description, column.unit)
            for table in tables
            for column in table.columns
        ),
    )
