"""Compiled pixel loops for ``hipcare radiograph preview`` (ADR 0011).

The loops of a preview that Python and Pillow cannot run fast enough in a process that
lives a tenth of a second: the display table (word -> grey), the rounded block means of a
film's stored words looked up in it (with the words' range, in the same pass), the words'
range alone, and Pillow's bilinear fit of the result, byte for byte. They read the words
where they lie (a mapped file) and check every size and offset against the buffer first: a
size, offset or setting they cannot use raises ``ValueError``; an argument of the wrong kind
raises what CPython's argument parsing raises (``TypeError``, ``OverflowError`` for an
integer beyond 64 bits, ``BufferError`` for a non-contiguous buffer); ``MemoryError`` when
memory runs out.
"""

from hipcare_pixels._pixels import display_table, extrema, fit_greys, window_block_means

__all__ = ["display_table", "extrema", "fit_greys", "window_block_means"]
