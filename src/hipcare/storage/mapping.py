"""Rows <-> domain values. Each ``*_from_row`` rebuilds (and so re-validates) a domain value;
each ``*_row`` / ``update_*_row`` writes one into a row. Nothing else knows both shapes."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hipcare.domain.day_of_surgery import DayOfSurgery
from hipcare.domain.identity import HospitalNumber
from hipcare.domain.pathway import Procedure
from hipcare.domain.records import (
    Alert,
    AuditEntry,
    CarePlanItemState,
    Child,
    FamilyContact,
    HipMeasures,
    OperationPlan,
    Site,
    User,
    VisitRecord,
)
from hipcare.storage.tables import (
    AlertRow,
    AuditRow,
    CarePlanItemRow,
    ChildRow,
    FamilyContactRow,
    HipMeasuresRow,
    HospitalNumberRow,
    OperationPlanRow,
    SiteMembershipRow,
    SiteRow,
    UserRow,
    VisitRow,
)

__all__ = [
    "alert_from_row",
    "alert_row",
    "audit_from_row",
    "audit_row",
    "care_plan_item_from_row",
    "care_plan_item_row",
    "child_from_row",
    "child_row",
    "operation_plan_from_row",
    "operation_plan_row",
    "site_from_row",
    "site_row",
    "update_alert_row",
    "update_care_plan_item_row",
    "update_operation_plan_row",
    "user_from_row",
    "user_row",
    "visit_from_row",
    "visit_row",
]


def site_row(site: Site) -> SiteRow:
    return SiteRow(id=site.id, name=site.name)


def site_from_row(row: SiteRow) -> Site:
    return Site(id=row.id, name=row.name)


def user_row(user: User) -> UserRow:
    return UserRow(
        email=user.email,
        display_name=user.display_name,
        role=user.role,
        profession=user.profession,
        password_hash=user.password_hash,
        surgeon_profile=user.surgeon_profile,
        deactivated_at=user.deactivated_at,
        memberships=[SiteMembershipRow(site_id=site_id) for site_id in sorted(user.site_ids)],
    )


def user_from_row(row: UserRow) -> User:
    return User(
        id=row.id,
        email=row.email,
        display_name=row.display_name,
        role=row.role,
        profession=row.profession,
        password_hash=row.password_hash,
        surgeon_profile=row.surgeon_profile,
        site_ids=frozenset(membership.site_id for membership in row.memberships),
        deactivated_at=row.deactivated_at,
        second_factor=row.totp_confirmed_at is not None,
    )


def child_row(child: Child) -> ChildRow:
    return ChildRow(
        site_id=child.site_id,
        given_name=child.given_name,
        family_name=child.family_name,
        search_key=child.search_key,
        date_of_birth=child.date_of_birth,
        gestation_weeks=child.gestation_weeks,
        gmfcs=child.gmfcs,
        preferred_language=child.preferred_language,
        administrative_sex=child.administrative_sex,
        merged_into_id=child.merged_into,
        hospital_numbers=[
            HospitalNumberRow(position=position, system=number.system, value=number.value)
            for position, number in enumerate(child.hospital_numbers)
        ],
        contacts=[
            FamilyContactRow(
                position=position,
                name=contact.name,
                relationship=contact.relationship,
                phone=contact.phone,
                email=contact.email,
            )
            for position, contact in enumerate(child.contacts)
        ],
    )


def child_from_row(row: ChildRow) -> Child:
    return Child(
        id=row.id,
        site_id=row.site_id,
        given_name=row.given_name,
        family_name=row.family_name,
        date_of_birth=row.date_of_birth,
        gestation_weeks=row.gestation_weeks,
        gmfcs=row.gmfcs,
        preferred_language=row.preferred_language,
        administrative_sex=row.administrative_sex,
        merged_into=row.merged_into_id,
        hospital_numbers=tuple(
            HospitalNumber(system=number.system, value=number.value)
            for number in row.hospital_numbers
        ),
        contacts=tuple(
            FamilyContact(
                name=contact.name,
                relationship=contact.relationship,
                phone=contact.phone,
                email=contact.email,
            )
            for contact in row.contacts
        ),
    )


def visit_row(visit: VisitRecord) -> VisitRow:
    return VisitRow(
        child_id=visit.child_id,
        visit_date=visit.visit_date,
        xray=visit.xray,
        recorded_by=visit.recorded_by,
        recorded_at=visit.recorded_at,
        film=None if visit.film is None else _plain(visit.film),
        examination=None if visit.examination is None else _plain(visit.examination),
        hips=[
            HipMeasuresRow(
                side=hip.side,
                migration_percentage_raw=hip.migration_percentage_raw,
                migration_percentage_reported=hip.migration_percentage_reported,
                acetabular_index_deg=hip.acetabular_index_deg,
                neck_shaft_angle_deg=hip.neck_shaft_angle_deg,
                head_shaft_angle_deg=hip.head_shaft_angle_deg,
            )
            for hip in visit.hips
        ],
    )


def _plain(document: Any) -> Any:
    """A JSON-ready copy of ``document`` (mappings to dicts, sequences to lists)."""
    if isinstance(document, Mapping):
        return {str(key): _plain(value) for key, value in document.items()}
    if isinstance(document, list | tuple):
        return [_plain(value) for value in document]
    return document


def visit_from_row(row: VisitRow) -> VisitRecord:
    return VisitRecord(
        id=row.id,
        child_id=row.child_id,
        visit_date=row.visit_date,
        xray=row.xray,
        recorded_by=row.recorded_by,
        recorded_at=row.recorded_at,
        film=row.film,
        examination=row.examination,
        hips=tuple(
            HipMeasures(
                side=hip.side,
                migration_percentage_raw=hip.migration_percentage_raw,
                migration_percentage_reported=hip.migration_percentage_reported,
                acetabular_index_deg=hip.acetabular_index_deg,
                neck_shaft_angle_deg=hip.neck_shaft_angle_deg,
                head_shaft_angle_deg=hip.head_shaft_angle_deg,
            )
            for hip in row.hips
        ),
    )


def operation_plan_row(plan: OperationPlan) -> OperationPlanRow:
    row = OperationPlanRow()
    update_operation_plan_row(row, plan)
    return row


def update_operation_plan_row(row: OperationPlanRow, plan: OperationPlan) -> None:
    row.child_id = plan.child_id
    row.sides = plan.sides
    row.procedures = [procedure.value for procedure in plan.procedures]
    row.implant = plan.implant
    row.plate_angle_deg = plan.plate_angle_deg
    row.surgeon_id = plan.surgeon_id
    row.weight_bearing = plan.weight_bearing
    row.positioning_device = plan.positioning_device
    row.surgery_date = plan.surgery_date
    row.status = plan.status
    row.wheelchair_user = plan.wheelchair_user
    row.attends_school = plan.attends_school
    row.sees_therapists = plan.sees_therapists
    row.pathway_started_on = plan.pathway_started_on
    row.postponed_from = plan.postponed_from
    row.postponed_at = plan.postponed_at
    row.day_of_surgery = None if plan.day_of_surgery is None else plan.day_of_surgery.to_json()


def operation_plan_from_row(row: OperationPlanRow) -> OperationPlan:
    return OperationPlan(
        id=row.id,
        child_id=row.child_id,
        sides=row.sides,
        procedures=tuple(Procedure(value) for value in row.procedures),
        implant=row.implant,
        plate_angle_deg=row.plate_angle_deg,
        surgeon_id=row.surgeon_id,
        weight_bearing=row.weight_bearing,
        positioning_device=row.positioning_device,
        surgery_date=row.surgery_date,
        status=row.status,
        wheelchair_user=row.wheelchair_user,
        attends_school=row.attends_school,
        sees_therapists=row.sees_therapists,
        pathway_started_on=row.pathway_started_on,
        postponed_from=row.postponed_from,
        postponed_at=row.postponed_at,
        day_of_surgery=None
        if row.day_of_surgery is None
        else DayOfSurgery.from_json(row.day_of_surgery),
    )


def care_plan_item_row(item: CarePlanItemState) -> CarePlanItemRow:
    row = CarePlanItemRow()
    update_care_plan_item_row(row, item)
    return row


def update_care_plan_item_row(row: CarePlanItemRow, item: CarePlanItemState) -> None:
    row.operation_plan_id = item.operation_plan_id
    row.item_id = item.item_id
    row.due_date = item.due_date
    row.done_at = item.done_at
    row.done_by = item.done_by


def care_plan_item_from_row(row: CarePlanItemRow) -> CarePlanItemState:
    return CarePlanItemState(
        id=row.id,
        operation_plan_id=row.operation_plan_id,
        item_id=row.item_id,
        due_date=row.due_date,
        done_at=row.done_at,
        done_by=row.done_by,
    )


def alert_row(alert: Alert) -> AlertRow:
    row = AlertRow()
    update_alert_row(row, alert)
    return row


def update_alert_row(row: AlertRow, alert: Alert) -> None:
    row.child_id = alert.child_id
    row.kind = alert.kind
    row.raised_at = alert.raised_at
    row.acknowledged_by = alert.acknowledged_by
    row.acknowledged_at = alert.acknowledged_at


def alert_from_row(row: AlertRow) -> Alert:
    return Alert(
        id=row.id,
        child_id=row.child_id,
        kind=row.kind,
        raised_at=row.raised_at,
        acknowledged_by=row.acknowledged_by,
        acknowledged_at=row.acknowledged_at,
    )


def audit_row(entry: AuditEntry) -> AuditRow:
    return AuditRow(
        actor_id=entry.actor_id,
        action=entry.action,
        entity_type=entry.entity_type,
        entity_id=entry.entity_id,
        at=entry.at,
        command=entry.command,
    )


def audit_from_row(row: AuditRow) -> AuditEntry:
    return AuditEntry(
        id=row.id,
        actor_id=row.actor_id,
        action=row.action,
        entity_type=row.entity_type,
        entity_id=row.entity_id,
        at=row.at,
        command=row.command,
    )
