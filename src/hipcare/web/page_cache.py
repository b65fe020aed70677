"""A bounded, thread-safe LRU of rendered HTML fragments, validated by the database (ADR 10).

The cache never decides on its own that a page is still right. A caller looks a fragment up
under a key that holds every version it depends on, read from the database in the same
request (a child's ``record_version``, the ``page_generation``, the day, the viewer): a
change anywhere gives a new key, and the old entry simply ages out. So the app stays
stateless in the sense that matters: two processes on one database never disagree, and a
restart only costs the first views again.

Fragments are page bodies without the per-user shell (name, navigation, CSRF token).
``HIPCARE_PAGE_CACHE`` sets the number of entries; 0 turns the cache off.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Hashable

__all__ = ["PageCache"]


class PageCache:
    """At most ``max_entries`` fragments, the least recently used dropped first."""

    def __init__(self, max_entries: int) -> None:
        if isinstance(max_entries, bool) or not isinstance(max_entries, int) or max_entries < 0:
            raise ValueError(f"max_entries must be a whole number >= 0, not {max_entries!r}")
        self.max_entries = max_entries
        self._entries: OrderedDict[tuple[Hashable, ...], str] = OrderedDict()
        self._lock = threading.Lock()
        self.hits = 0
        self.misses = 0

    @property
    def enabled(self) -> bool:
        return self.max_entries > 0

    def get(self, key: tuple[Hashable, ...]) -> str | None:
        """The fragment stored under ``key`` (now the most recently used), or None."""
        with self._lock:
            html = self._entries.get(key)
            if html is None:
                self.misses += 1
                return None
            self._entries.move_to_end(key)
            self.hits += 1
            return html

    def put(self, key: tuple[Hashable, ...], html: str) -> None:
        """Keep ``html`` under ``key``; the least recently used entry goes when full."""
        if not self.enabled:
            return
        with self._lock:
            self._entries[key] = html
            self._entries.move_to_end(key)
            while len(self._entries) > self.max_entries:
                self._entries.popitem(last=False)

    def __len__(self) -> int:
        with self._lock:
            return len(self._entries)
