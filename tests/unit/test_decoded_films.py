"""The web app's decoded films: the last few kept, and one decode of a film at a time shared by
everyone who asks for it meanwhile (threads, or asyncio tasks awaiting the decode)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import pytest

from hipcare.web.decoded_films import DecodedFilms

WAIT_SECONDS = 10  # only reached when the code under test is broken


class _Films(DecodedFilms[object]):
    """Counts the callers that have joined a decode, so a fake decoder can wait for them all."""

    def __init__(self, max_films: int = 3) -> None:
        super().__init__(max_films)
        self.joined = 0
        self._joining = threading.Condition()

    def join(self, sha256: str) -> tuple[Future[object], bool]:
        answer = super().join(sha256)
        with self._joining:
            self.joined += 1
            self._joining.notify_all()
        return answer

    def wait_for_joins(self, count: int) -> None:
        with self._joining:
            assert self._joining.wait_for(lambda: self.joined >= count, WAIT_SECONDS)


class _Decoder:
    """A fake decoder: counts its calls, waits for ``callers`` to have joined the decode (so
    they all ask while it is in progress), then answers a new film or raises ``error``."""

    def __init__(self, films: _Films, callers: int, error: Exception | None = None) -> None:
        self.films, self.callers, self.error = films, callers, error
        self.calls = 0

    def __call__(self) -> object:
        self.calls += 1
        self.films.wait_for_joins(self.callers)
        if self.error is not None:
            raise self.error
        return object()


def _at_once(count: int, ask: Callable[[], object]) -> list[object]:
    """``ask`` from ``count`` threads started together: each one's film, or its exception."""
    answers: list[object] = [None] * count
    start = threading.Barrier(count)

    def one(index: int) -> None:
        start.wait()
        try:
            answers[index] = ask()
        except Exception as error:  # the answer under test
            answers[index] = error

    threads = [threading.Thread(target=one, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(WAIT_SECONDS)
    assert not any(thread.is_alive() for thread in threads)
    return answers


def test_ten_threads_asking_for_a_film_being_decoded_share_one_decode() -> None:
    films = _Films()
    decoder = _Decoder(films, callers=10)
    answers = _at_once(10, lambda: films.get_or_decode("film-a", decoder))
    assert decoder.calls == 1
    assert all(answer is answers[0] for answer in answers)
    assert films.get("film-a") is answers[0]
    assert films.decodes_started == 1


def test_a_failed_decode_reaches_every_waiter_is_not_kept_and_is_tried_again() -> None:
    films = _Films()
    failing = _Decoder(films, callers=10, error=ValueError("the pixel data cannot be decoded"))
    answers = _at_once(10, lambda: films.get_or_decode("film-a", failing))
    assert failing.calls == 1
    assert all(answer is failing.error for answer in answers)
    assert films.get("film-a") is None
    assert len(films) == 0
    working = _Decoder(films, callers=0)
    film = films.get_or_decode("film-a", working)
    assert working.calls == 1
    assert films.get("film-a") is film


def test_two_films_are_decoded_side_by_side() -> None:
    films: DecodedFilms[object] = DecodedFilms()
    both_started = threading.Barrier(2, timeout=WAIT_SECONDS)
    calls: list[str] = []

    def decoder(sha256: str) -> Callable[[], object]:
        def decode() -> object:
            calls.append(sha256)
            both_started.wait()  # each decode waits for the other: they run at once
            return sha256

        return decode

    keys = iter(["film-a", "film-b"])
    lock = threading.Lock()

    def ask() -> object:
        with lock:
            sha256 = next(keys)
        return films.get_or_decode(sha256, decoder(sha256))

    assert sorted(map(str, _at_once(2, ask))) == ["film-a", "film-b"]
    assert sorted(calls) == ["film-a", "film-b"]


def test_at_most_max_films_are_kept_the_least_recently_used_dropped_first() -> None:
    films: DecodedFilms[str] = DecodedFilms(max_films=2)
    films.get_or_decode("a", lambda: "film a")
    films.get_or_decode("b", lambda: "film b")
    assert films.get("a") == "film a"  # now "b" is the least recently used
    films.get_or_decode("c", lambda: "film c")
    assert (films.get("a"), films.get("b"), films.get("c")) == ("film a", None, "film c")
    assert len(films) == 2
    nothing_kept: DecodedFilms[str] = DecodedFilms(max_films=0)
    nothing_kept.get_or_decode("a", lambda: "film a")
    assert len(nothing_kept) == 0
    assert nothing_kept.get("a") is None


@pytest.mark.parametrize("size", [-1, 1.5, True, "3"])
def test_a_size_that_is_not_a_whole_number_is_refused(size: Any) -> None:
    with pytest.raises(ValueError, match="max_films"):
        DecodedFilms(size)


def test_tasks_awaiting_a_decode_share_it_and_one_going_away_leaves_it_to_the_others() -> None:
    films: DecodedFilms[str] = DecodedFilms()
    flight, mine = films.join("film-a")
    assert mine

    async def waiters() -> tuple[bool, str]:
        leaving = asyncio.ensure_future(asyncio.wrap_future(films.join("film-a")[0]))
        staying = asyncio.ensure_future(asyncio.wrap_future(films.join("film-a")[0]))
        await asyncio.sleep(0)
        leaving.cancel()
        decoding = asyncio.get_running_loop().run_in_executor(
            None, films.decode, "film-a", flight, lambda: "film a"
        )
        film = await staying
        await decoding
        return leaving.cancelled(), film

    assert asyncio.run(waiters()) == (True, "film a")
    assert films.get("film-a") == "film a"


def test_a_decode_given_up_before_it_ran_reaches_the_waiters_as_an_error_not_a_cancel() -> None:
    films: DecodedFilms[str] = DecodedFilms()
    flight, mine = films.join("film-a")
    waiter, waiter_decodes = films.join("film-a")
    assert mine
    assert not waiter_decodes
    films.abandon("film-a", flight, asyncio.CancelledError())
    with pytest.raises(RuntimeError, match="stopped before it finished"):
        waiter.result(WAIT_SECONDS)
    again, decodes = films.join("film-a")
    assert decodes
    assert again is not flight
