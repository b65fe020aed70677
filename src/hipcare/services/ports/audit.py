"""The audit trail: who did what to which record, when (ids only, never patient data)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from hipcare.domain.records import AuditAction, AuditEntry, EntityType

__all__ = ["AuditFilter", "AuditLog", "SiteAuditQuery", "SiteAuditRow"]


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


@dataclass(frozen=True)
class AuditFilter:
    """Which entries of a site's audit log to list: by whom, about which child, which action,
    from ``since`` (inclusive) to ``until`` (exclusive); None: any."""

    actor_id: int | None = None
    child_id: int | None = None
    action: AuditAction | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class SiteAuditRow:
    """An entry of a site's audit log and the child whose record it is about (None for an
    entry about the site itself)."""

    entry: AuditEntry
    child_id: int | None


class SiteAuditQuery(Protocol):
    def for_site(self, site_id: str, limit: int) -> Sequence[AuditEntry]:
        """The newest audit entries about the site, its children, their visits and their films."""
        ...

    def search(self, site_id: str, filters: AuditFilter, limit: int) -> Sequence[SiteAuditRow]:
        """As :meth:`for_site`, newest first, narrowed by ``filters``, each with its child."""
        ...
