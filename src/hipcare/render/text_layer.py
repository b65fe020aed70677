"""How faithfully a document's text layer carries the words it was given (a quality measure).

A tagged PDF is read aloud by screen readers and searched and copied from its text layer, so
hipcare checks that the text extracted from a booklet (``pdftotext``) holds the words that were
typeset. :func:`word_recall` is that check, used by the tests and the benchmark.

Tokens: a Chinese character counts as one word (Chinese has no spaces between words); any other
run of letters and digits is a word. Before comparing, both texts are NFKC-normalised (Arabic
presentation forms such as the lam-alef ligature become plain letters), bidirectional control
characters that extractors insert become spaces, and zero-width non-joiners and tatweel
(layout-only characters) are dropped. Vowel marks are kept: a word that loses them counts as
missed.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

__all__ = ["word_recall", "words"]

_BIDI_CONTROLS = re.compile("[\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_LAYOUT_ONLY = re.compile("[\u200c\u200d\u0640]")
_CJK = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
_TOKEN = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")


def words(text: str) -> list[str]:
    """The words of ``text`` after the normalisation described in the module docstring."""
    normal = unicodedata.normalize("NFKC", text)
    normal = _LAYOUT_ONLY.sub("", _BIDI_CONTROLS.sub(" ", normal))
    return _TOKEN.findall(normal)


def word_recall(expected: str, extracted: str) -> float:
    """Share (0 to 1) of the words of ``expected`` found in ``extracted``, counting repeats."""
    wanted = words(expected)
    if not wanted:
        return 1.0
    available = Counter(words(extracted))
    found = 0
    for word in wanted:
        if available[word] > 0:
            available[word] -= 1
            found += 1
    return found / len(wanted)
