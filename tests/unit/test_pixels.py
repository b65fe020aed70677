"""hipcare_pixels, the compiled loops of the preview command (ADR 0011), against the references
they must equal: numpy's block mean and lookup (``hipcare.interop.radiograph.preview``, the
server's path), Python's min/max, and Pillow's own bilinear resize. Also that every bad size or
offset is refused in words before a byte is read."""

from __future__ import annotations

import struct
import subprocess
import sys
from random import Random

import numpy as np
import pytest
from hipcare_pixels import display_table, extrema, fit_greys, window_block_means
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import Image

from hipcare.interop.radiograph.preview import _block_mean


@st.composite
def films(draw: st.DrawFn, max_side: int = 40) -> tuple[bytes, int, int, int, int, int]:
    """(buffer, offset, rows, columns, word_bytes, bits_stored): words after a few bytes of
    something else, so that they are not always aligned."""
    word_bytes = draw(st.sampled_from([1, 2]))
    bits_stored = draw(st.integers(1, 8 * word_bytes))
    rows, columns = draw(st.integers(1, max_side)), draw(st.integers(1, max_side))
    offset = draw(st.integers(0, 3))
    # The words as bytes, cut to bits_stored: Hypothesis draws a block of bytes many times
    # faster than a list of up to 1,600 integers. Films all at the top of the range (where
    # the extrema sit) come from a drawn fill byte.
    size = rows * columns * word_bytes
    raw = draw(
        st.binary(min_size=size, max_size=size)
        | st.binary(min_size=1, max_size=1).map(lambda b: b * size)
    )
    dtype = np.uint8 if word_bytes == 1 else np.dtype("<u2")
    packed = (np.frombuffer(raw, dtype=dtype) & ((1 << bits_stored) - 1)).astype(dtype).tobytes()
    return (
        b"\x7f" * offset + packed + b"\xff" * draw(st.integers(0, 3)),
        offset,
        rows,
        columns,
        (word_bytes),
        bits_stored,
    )


def words_of(film: tuple[bytes, int, int, int, int, int]) -> np.ndarray:
    buffer, offset, rows, columns, word_bytes, _ = film
    dtype = np.uint8 if word_bytes == 1 else np.dtype("<u2")
    return np.frombuffer(buffer, dtype=dtype, count=rows * columns, offset=offset).reshape(
        rows, columns
    )


@settings(max_examples=300, deadline=None)
@given(films())
def test_extrema_are_the_smallest_and_largest_word(
    film: tuple[bytes, int, int, int, int, int],
) -> None:
    buffer, offset, rows, columns, word_bytes, _ = film
    words = words_of(film)
    assert extrema(buffer, offset, rows, columns, word_bytes) == (words.min(), words.max())


@settings(max_examples=300, deadline=None)
@given(films(), st.integers(1, 9), st.randoms(use_true_random=False))
def test_block_means_are_the_numpy_block_means_looked_up(
    film: tuple[bytes, int, int, int, int, int], factor: int, random: Random
) -> None:
    """Rounded half up, edge rows and columns dropped, as the server's numpy path; with the
    range of all the words, dropped ones too."""
    buffer, offset, rows, columns, word_bytes, bits_stored = film
    factor = min(factor, rows, columns)
    entries = 1 << (8 * word_bytes)
    table = random.getrandbits(8 * entries).to_bytes(entries, "little")
    words = words_of(film)
    expected = np.take(
        np.frombuffer(table, dtype=np.uint8), _block_mean(words, factor, bits_stored)
    )
    greys, smallest, largest = window_block_means(
        buffer, offset, rows, columns, word_bytes, factor, table
    )
    assert greys == expected.tobytes()
    assert (smallest, largest) == (words.min(), words.max())


def test_block_means_of_the_full_film_size_are_numpy_block_means() -> None:
    """The film the command is for: 2500 x 3000 14-bit words in 2 x 2 and 3 x 3 blocks."""
    generator = np.random.default_rng(7)
    words = generator.integers(0, 1 << 14, size=(3000, 2500), dtype=np.uint16)
    table = generator.integers(0, 256, size=1 << 16, dtype=np.uint8).tobytes()
    for factor in (2, 3):
        greys, smallest, largest = window_block_means(
            b"\0" + words.tobytes(), 1, 3000, 2500, 2, factor, table
        )
        expected = np.take(np.frombuffer(table, np.uint8), _block_mean(words, factor, 14))
        assert greys == expected.tobytes()
        assert (smallest, largest) == (words.min(), words.max())


@settings(max_examples=250, deadline=None)
@given(
    st.integers(1, 70),
    st.integers(1, 70),
    st.integers(1, 90),
    st.integers(1, 90),
    st.randoms(use_true_random=False),
    st.booleans(),
)
def test_the_fit_is_pillows_bilinear_resize(
    width: int, height: int, new_width: int, new_height: int, random: Random, stark: bool
) -> None:
    """Byte for byte, shrinking or growing either way (Pillow 13 runs the passes in an order
    that depends on the sizes, and the order changes the rounding)."""
    count = width * height
    drawn = np.frombuffer(random.getrandbits(8 * count).to_bytes(count, "little"), np.uint8)
    # Stark: only black and white, the hardest case for the rounding.
    greys = ((drawn & 1) * 255).astype(np.uint8).tobytes() if stark else drawn.tobytes()
    expected = Image.frombytes("L", (width, height), greys).resize(
        (new_width, new_height), Image.Resampling.BILINEAR
    )
    assert fit_greys(greys, width, height, new_width, new_height) == expected.tobytes()


def test_the_fit_of_the_commands_picture_is_pillows() -> None:
    """The command's case: block means of 1250 x 1500 fitted to 853 x 1024."""
    greys = np.random.default_rng(3).integers(0, 256, size=1250 * 1500, dtype=np.uint8).tobytes()
    expected = Image.frombytes("L", (1250, 1500), greys).resize(
        (853, 1024), Image.Resampling.BILINEAR
    )
    assert fit_greys(greys, 1250, 1500, 853, 1024) == expected.tobytes()


WORDS = bytes(2 * 6 * 4)  # 6 rows x 4 columns of 16-bit words


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((WORDS, 0, 6, 4, 3), "word_bytes must be 1 or 2, not 3"),
        ((WORDS, 0, 0, 4, 2), "rows and columns must be at least 1, not 0 x 4"),
        ((WORDS, -1, 6, 4, 2), "offset -1 is outside the buffer of 48 bytes"),
        ((WORDS, 49, 6, 4, 2), "offset 49 is outside the buffer of 48 bytes"),
        ((WORDS, 1, 6, 4, 2), "6 x 4 words of 2 bytes need more than the 47 bytes after offset 1"),
        ((WORDS, 0, 1 << 40, 1 << 40, 2), "need more than the 48 bytes after offset 0"),
    ],
)
def test_extrema_refuse_a_film_the_buffer_does_not_hold(
    arguments: tuple[bytes, int, int, int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        extrema(*arguments)


@pytest.mark.parametrize(
    ("factor", "table", "message"),
    [
        (0, bytes(65536), "factor must be 1 to 256 and at most the rows and columns, not 0"),
        (5, bytes(65536), "factor must be 1 to 256 and at most the rows and columns, not 5"),
        (257, bytes(65536), "not 257"),
        (2, b"", "the table is empty"),
    ],
)
def test_block_means_refuse_a_bad_factor_or_table(factor: int, table: bytes, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        window_block_means(WORDS, 0, 6, 4, 2, factor, table)


def test_block_means_refuse_a_table_too_short_for_the_means() -> None:
    words = struct.pack("<4H", 300, 300, 300, 300)
    with pytest.raises(ValueError, match="a block mean is beyond the table of 256 entries"):
        window_block_means(words, 0, 2, 2, 2, 2, bytes(256))


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((bytes(12), 0, 4, 2, 2), "sizes must be 1 to 1,048,576 pixels, not 0 x 4 to 2 x 2"),
        ((bytes(12), 3, 4, 2, 1 << 21), "not 3 x 4 to 2 x 2097152"),
        ((bytes(11), 3, 4, 2, 2), "3 x 4 greys need more than the 11 bytes given"),
    ],
)
def test_the_fit_refuses_sizes_the_buffer_does_not_hold(
    arguments: tuple[bytes, int, int, int, int], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        fit_greys(*arguments)


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        ((12, 10, 1.0, 0.0, 100.0, 50.0, False, False), "not 10 and 12"),
        ((0, 16, 1.0, 0.0, 100.0, 50.0, False, False), "not 16 and 0"),
        ((12, 16, float("nan"), 0.0, 100.0, 50.0, False, False), "must be finite"),
        ((12, 16, 1.0, 0.0, 100.0, 0.0, False, False), "the width above 0"),
        ((12, 16, 1.0, 0.0, float("inf"), 50.0, True, False), "must be finite"),
    ],
)
def test_the_display_table_refuses_impossible_settings(
    arguments: tuple[int, int, float, float, float, float, bool, bool], message: str
) -> None:
    with pytest.raises(ValueError, match=message):
        display_table(*arguments)


def test_the_display_table_repeats_for_words_above_bits_stored() -> None:
    """Bits above Bits Stored are masked: word 4096 + w shows as word w (12 of 16 bits)."""
    table = display_table(12, 16, 1.0, 0.0, 2048.0, 4096.0, False, True)
    assert len(table) == 65536
    assert table[:4096] * 16 == table
    assert (table[0], table[4095]) == (255, 0)  # inverted: MONOCHROME1


_ALLOCATION_FAILURES = """
import gc, sys, _testcapi
from hipcare_pixels import display_table, extrema, fit_greys, window_block_means
film = bytes(range(256)) * 32
calls = [
    lambda: extrema(film, 0, 64, 64, 2),
    lambda: window_block_means(film, 0, 64, 64, 2, 3, bytes(65536)),
    lambda: fit_greys(film, 64, 64, 30, 50),
    lambda: fit_greys(film, 64, 64, 60, 10),
    lambda: fit_greys(film, 64, 64, 30, 64),
    lambda: display_table(12, 16, 1.0, 0.0, 100.0, 50.0, False, True),
]
outcomes = []
for call in calls:
    call()
    for start in range(12):
        gc.collect()
        _testcapi.set_nomemory(start, start + 1)
        try:
            call()
            outcome = "ok"
        except MemoryError:
            outcome = "MemoryError"
        finally:
            _testcapi.remove_mem_hooks()
        outcomes.append(outcome)
print(" ".join(sorted(set(outcomes))))
"""


def test_every_failed_allocation_is_a_memory_error_not_a_crash() -> None:
    """Each allocation of each function made to fail in turn (CPython's test hooks), in a
    process of its own: a double free once crashed fit_greys here when an allocation of its
    weights failed (found by an AddressSanitizer build)."""
    result = subprocess.run(
        [sys.executable, "-c", _ALLOCATION_FAILURES], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.split() == ["MemoryError", "ok"]


def test_the_fit_refuses_a_picture_too_large_to_hold() -> None:
    with pytest.raises(ValueError, match="at most 268,435,456 pixels, not 1 x 1 to 1048576 x 1024"):
        fit_greys(b"\0", 1, 1, 1 << 20, 1 << 10)
