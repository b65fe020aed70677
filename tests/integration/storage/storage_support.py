"""Values the storage tests share (a plain module: test files import it by name).

Kept out of ``conftest.py`` on purpose: ``from storage_support import ...`` is ambiguous when pytest
collects several folders that each have a conftest (the web tests have one too).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)


@dataclass(frozen=True)
class Staff:
    """Ids of the synthetic staff every use-case test starts with."""

    surgeon: int  # Harbour only
    nurse: int  # both sites
    physiotherapist: int  # Northern only
    administrator: int  # Harbour, not a clinician


HARBOUR = "harbour-childrens"
NORTHERN = "northern-regional"
