"""The last few radiographs decoded, by their file's SHA-256, each decoded once at a time.

Moving the window slider re-windows a film already in memory instead of reading it from the
database again (measured: about 95 ms a preview with the read, against ~20-40 ms without).
Requests that ask for a film while it is being decoded wait for that one decode and share
its film (single flight): twenty previews of a 4096-px film asked at once decoded it twenty
times, 32 MB each, before one had finished. A decode that fails is not kept: everyone waiting
gets its error, and the next request decodes again.

Memory: at most ``max_films`` decoded films are kept (least recently used dropped first);
films being decoded are not kept until they are done, and how many are decoded at once is
bounded by the caller (the web app's pool of heavy threads).
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from concurrent.futures import Future
from typing import Generic, TypeVar

__all__ = ["DecodedFilms"]

FilmT = TypeVar("FilmT")


class DecodedFilms(Generic[FilmT]):
    """At most ``max_films`` decoded films; thread-safe; one decode of a film at a time.

    A caller :meth:`join`\\ s the film's decode: a future already done when the film is in
    memory or being decoded by someone else, or a new one that the caller alone must settle
    with :meth:`decode` (or :meth:`abandon`, when it gives up before decoding). The future may
    be awaited (``asyncio.wrap_future``) or waited on (``Future.result``).
    :meth:`get_or_decode` does all of it for a thread.
    """

    def __init__(self, max_films: int = 3) -> None:
        if isinstance(max_films, bool) or not isinstance(max_films, int) or max_films < 0:
            raise ValueError(f"max_films must be a whole number >= 0, not {max_films!r}")
        self.max_films = max_films
        self._films: OrderedDict[str, FilmT] = OrderedDict()
        self._decoding: dict[str, Future[FilmT]] = {}
        # One lock over both: a film leaves ``_decoding`` as it enters ``_films``, so no
        # caller sees it in neither and decodes it again.
        self._lock = threading.Lock()
        self.decodes_started = 0

    def __len__(self) -> int:
        with self._lock:
            return len(self._films)

    def get(self, sha256: str) -> FilmT | None:
        """The film if it is in memory (now the most recently used), or None; never waits."""
        with self._lock:
            film = self._films.get(sha256)
            if film is not None:
                self._films.move_to_end(sha256)
            return film

    def join(self, sha256: str) -> tuple[Future[FilmT], bool]:
        """The film's decode, and True when the caller is the one to run it (:meth:`decode`)."""
        with self._lock:
            film = self._films.get(sha256)
            if film is not None:
                self._films.move_to_end(sha256)
                done: Future[FilmT] = Future()
                done.set_result(film)
                return done, False
            flight = self._decoding.get(sha256)
            if flight is not None:
                return flight, False
            flight = self._decoding[sha256] = Future()
            # Running futures cannot be cancelled: a waiter that goes away (asyncio cancels
            # the future it wrapped) leaves the decode to the others.
            flight.set_running_or_notify_cancel()
            self.decodes_started += 1
            return flight, True

    def decode(self, sha256: str, flight: Future[FilmT], work: Callable[[], FilmT]) -> FilmT:
        """Run ``work`` for the decode :meth:`join` gave the caller, keep its film and hand it
        to everyone waiting; if it raises, nothing is kept and they all get its error."""
        try:
            film = work()
        except BaseException as error:
            self.abandon(sha256, flight, error)
            raise
        with self._lock:
            self._forget(sha256, flight)
            if self.max_films:
                self._films[sha256] = film
                self._films.move_to_end(sha256)
                while len(self._films) > self.max_films:
                    self._films.popitem(last=False)
        flight.set_result(film)
        return film

    def abandon(self, sha256: str, flight: Future[FilmT], error: BaseException) -> None:
        """The decode :meth:`join` gave the caller ends with ``error`` for everyone waiting
        (nothing when it has ended already); the next :meth:`join` starts a new one.

        An error that is not an ``Exception`` (the caller's task cancelled, the process
        exiting) reaches the waiters as a ``RuntimeError``: they were not cancelled."""
        with self._lock:
            self._forget(sha256, flight)
        if not flight.done():
            if not isinstance(error, Exception):
                error = RuntimeError("the film's decode stopped before it finished")
            flight.set_exception(error)

    def get_or_decode(self, sha256: str, work: Callable[[], FilmT]) -> FilmT:
        """The film: from memory, from the decode in progress (waiting for it), or from
        ``work`` run here; a thread's way to :meth:`join`."""
        flight, mine = self.join(sha256)
        if mine:
            return self.decode(sha256, flight, work)
        return flight.result()

    def _forget(self, sha256: str, flight: Future[FilmT]) -> None:
        if self._decoding.get(sha256) is flight:
            del self._decoding[sha256]
