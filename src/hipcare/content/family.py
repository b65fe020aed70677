"""Load the family web pages' words (``family.toml``'s ``[ui]`` table).

Each string is an English gettext msgid, found by its key (``t("save")`` in a template) and
translated with :mod:`hipcare.content.i18n` like the booklet's text.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from functools import cache
from importlib import resources

__all__ = ["load_family_words"]


@cache
def load_family_words() -> Mapping[str, str]:
    """The family pages' English strings by key (``content/family.toml``, read once)."""
    text = resources.files("hipcare.content").joinpath("family.toml").read_text("utf-8")
    strings: dict[str, str] = tomllib.loads(text)["ui"]
    return strings
