"""Radiograph films, their files and clinicians' readings."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    # The values stay beside their use cases; annotations only, so no import at run time.
    from hipcare.services.radiographs import Reading, StoredFilm

__all__ = ["RadiographRepository"]


class RadiographRepository(Protocol):
    def add_file(self, sha256: str, content: bytes) -> None:
        """Keep the file's bytes once (a second upload of the same bytes adds nothing)."""
        ...

    def file(self, sha256: str) -> bytes | None: ...

    def add(self, film: StoredFilm) -> StoredFilm: ...

    def get(self, film_id: int) -> StoredFilm | None: ...

    def for_child(self, child_id: int) -> Sequence[StoredFilm]:
        """The child's films, newest film date first."""
        ...

    def add_reading(self, reading: Reading) -> Reading: ...

    def readings(self, film_id: int) -> Sequence[Reading]:
        """The film's readings, oldest first."""
        ...
