"""Compiled pixel loops for ``hipcare radiograph preview`` (ADR 0011).

Two loops over a film's stored words that Python and Pillow cannot run fast enough in a
process that lives a tenth of a second: the words' range, and the rounded block means
looked up in a display table. Both read the words where they lie (a mapped file) and check
every size and offset against the buffer first; a bad argument raises ``ValueError``.
"""

from hipcare_pixels._pixels import extrema, fit_greys, window_block_means

__all__ = ["extrema", "fit_greys", "window_block_means"]
