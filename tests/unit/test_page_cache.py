"""The web page cache: a bounded LRU of rendered fragments (ADR 10), and its setting."""

from __future__ import annotations

import threading

import pytest

from hipcare.domain.errors import InvalidInputError
from hipcare.settings import Settings
from hipcare.web.page_cache import PageCache


def test_a_fragment_put_under_a_key_is_found_under_that_key_only() -> None:
    cache = PageCache(4)
    cache.put(("child", 1, 7), "<p>seven</p>")
    assert cache.get(("child", 1, 7)) == "<p>seven</p>"
    assert cache.get(("child", 1, 8)) is None
    assert (cache.hits, cache.misses) == (1, 1)


def test_the_least_recently_used_fragment_goes_first_when_full() -> None:
    cache = PageCache(2)
    cache.put(("a",), "A")
    cache.put(("b",), "B")
    assert cache.get(("a",)) == "A"  # now "b" is the least recently used
    cache.put(("c",), "C")
    assert cache.get(("b",)) is None
    assert cache.get(("a",)) == "A"
    assert cache.get(("c",)) == "C"
    assert len(cache) == 2


def test_a_cache_of_zero_entries_keeps_nothing() -> None:
    cache = PageCache(0)
    cache.put(("a",), "A")
    assert not cache.enabled
    assert cache.get(("a",)) is None
    assert len(cache) == 0


@pytest.mark.parametrize("size", [-1, 1.5, True, "3"])
def test_a_size_that_is_not_a_whole_number_is_refused(size: object) -> None:
    with pytest.raises(ValueError, match="max_entries"):
        PageCache(size)  # type: ignore[arg-type]  # the refusal of a wrong type is the test


def test_threads_putting_and_getting_at_once_never_exceed_the_bound() -> None:
    cache = PageCache(50)
    failures: list[str] = []

    def work(worker: int) -> None:
        for number in range(2000):
            key = ("page", worker, number % 80)
            cache.put(key, f"{worker}-{number % 80}")
            found = cache.get(key)
            if found is not None and found != f"{worker}-{number % 80}":
                failures.append(found)

    threads = [threading.Thread(target=work, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert failures == []
    assert len(cache) == 50


def test_the_page_cache_setting_defaults_to_512_and_0_turns_it_off() -> None:
    assert Settings.from_environ({}).page_cache_entries == 512
    assert Settings.from_environ({"HIPCARE_PAGE_CACHE": "0"}).page_cache_entries == 0
    assert Settings.from_environ({"HIPCARE_PAGE_CACHE": " 64 "}).page_cache_entries == 64
    with pytest.raises(InvalidInputError, match="HIPCARE_PAGE_CACHE"):
        Settings.from_environ({"HIPCARE_PAGE_CACHE": "-1"})


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("HIPCARE_PAGE_CACHE", "²"),
        ("HIPCARE_SESSION_IDLE_MINUTES", "²"),
        ("HIPCARE_SESSION_MAX_HOURS", "٣"),
    ],
)
def test_a_whole_number_setting_written_with_other_digits_is_refused_in_words(
    name: str, value: str
) -> None:
    """str.isdigit() accepts "²" and "٣", which int() refuses: a sentence, not a traceback."""
    with pytest.raises(InvalidInputError, match=f"{name}: {value!r} is not a whole number"):
        Settings.from_environ({name: value})
