"""The audit trail: who did what to which record, when (ids only, never patient data)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Protocol

from hipcare.domain.records import AuditAction, AuditEntry, EntityType

__all__ = ["AuditLog", "SiteAuditQuery"]


class AuditLog(Protocol):
    def add(self, entry: AuditEntry) -> AuditEntry: ...

    def add_many(self, entries: Sequence[AuditEntry]) -> None:
        """Store several entries in one statement."""
        ...

    def add_for_each(
        self,
        actor_id: int,
        action: AuditAction,
        entity_type: EntityType,
        entity_ids: Sequence[str],
        at: datetime,
    ) -> None:
        """One entry per id in ``entity_ids``, the rest alike, stored in one statement (a
        worklist audits every child it lists)."""
        ...

    def for_entity(self, entity_type: EntityType, entity_id: str) -> Sequence[AuditEntry]:
        """Every entry about one record, oldest first."""
        ...

    def by_actor(self, actor_id: int) -> Sequence[AuditEntry]: ...


class SiteAuditQuery(Protocol):
    def for_site(self, site_id: str, limit: int) -> Sequence[AuditEntry]:
        """The newest audit entries about the site, its children, their visits and their films."""
        ...
