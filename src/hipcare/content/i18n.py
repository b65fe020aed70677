"""Family text in the family's language: gettext catalogs read at run time, with English fallback.

The English text written in the content files (``pathway.toml``, ``sites.toml``,
``booklet.toml``) is the gettext *msgid*. Each other language has one catalog,
``locale/<babel_locale>/LC_MESSAGES/hipcare.po``, read with Babel's ``read_po`` when a
:class:`Translator` for that language is first asked for (see
``docs/adr/0004-i18n-gettext-catalogs.md``).

A translation is used only when it is present, not empty, not fuzzy, and carries exactly the
same ``{placeholders}`` as the English; otherwise the English text is shown, so a family never
sees a half-filled sentence. ``hipcare catalog check`` reports every such gap.
"""

from __future__ import annotations

import datetime
import re
import string
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any, Literal

from hipcare.domain.errors import InvalidInputError

__all__ = [
    "CATALOG_DOMAIN",
    "LANGUAGES",
    "OPTIONAL_MARKS",
    "Language",
    "Translator",
    "catalog_path",
    "language",
    "languages",
    "locale_directory",
    "placeholders",
    "read_catalog",
    "translator",
]

#: The language codes hipcare serves, in the order menus list them (a contract).
LANGUAGES: tuple[str, ...] = ("en", "ar", "zh-Hans", "zh-Hant", "vi", "fa")

#: The gettext domain: every catalog file is called ``hipcare.po``.
CATALOG_DOMAIN = "hipcare"

#: Optional Arabic-script marks: harakat, tanwin, shadda, sukun (U+064B-U+0652), superscript
#: alef (U+0670) and the hamza above (U+0654) that CLDR writes on Persian month names.
OPTIONAL_MARKS = re.compile("[\u064b-\u0652\u0654\u0670]")

Direction = Literal["ltr", "rtl"]


@dataclass(frozen=True)
class Language:
    """One language a family can read hipcare in, from ``languages.toml``."""

    code: str
    english_name: str
    native_name: str
    direction: Direction
    babel_locale: str
    font_family: str
    clinically_reviewed: bool
    is_source: bool
    reviewed_by: str
    drop_optional_marks: bool = False

    def __post_init__(self) -> None:
        if self.direction not in ("ltr", "rtl"):
            raise InvalidInputError(
                f"languages.{self.code}.direction",
                f"{self.direction!r} is not a text direction; use 'ltr' or 'rtl'",
            )
        if self.clinically_reviewed and not self.reviewed_by.strip():
            raise InvalidInputError(
                f"languages.{self.code}.reviewed_by",
                "a language marked clinically reviewed must name its reviewer",
            )


@cache
def languages() -> tuple[Language, ...]:
    """Every language in ``languages.toml``, in :data:`LANGUAGES` order."""
    text = resources.files("hipcare.content").joinpath("languages.toml").read_text("utf-8")
    tables: list[dict[str, Any]] = tomllib.loads(text)["language"]
    found = {table["code"]: Language(**table) for table in tables}
    if tuple(found) != LANGUAGES:
        raise InvalidInputError(
            "languages.toml",
            f"lists {', '.join(found)}; expected exactly {', '.join(LANGUAGES)} in that order",
        )
    return tuple(found.values())


def _unknown(code: str) -> InvalidInputError:
    return InvalidInputError(
        "lang", f"unknown language {code!r}; choose one of: {', '.join(LANGUAGES)}"
    )


def language(code: str) -> Language:
    """The language with this code, or an error that lists the codes that exist."""
    for candidate in languages():
        if candidate.code == code:
            return candidate
    raise _unknown(code)


def locale_directory() -> Path:
    """The folder that holds ``hipcare.pot`` and one ``<locale>/LC_MESSAGES`` per language."""
    return Path(str(resources.files("hipcare.content").joinpath("locale")))


def catalog_path(lang: Language, directory: Path | None = None) -> Path:
    """Where the ``.po`` catalog for ``lang`` lives (it may not exist yet)."""
    base = directory if directory is not None else locale_directory()
    return base / lang.babel_locale / "LC_MESSAGES" / f"{CATALOG_DOMAIN}.po"


def placeholders(text: str) -> frozenset[str]:
    """The named fields of a ``str.format`` text: ``{surgery_date}`` -> ``surgery_date``.

    A text whose braces do not parse has no usable placeholders; it yields ``{"<malformed>"}``
    so that it can never match a well-formed English text.
    """
    try:
        return frozenset(
            name for _, name, _, _ in string.Formatter().parse(text) if name is not None
        )
    except ValueError:
        return frozenset({"<malformed>"})


def read_catalog(path: Path) -> dict[str, str]:
    """The usable translations in one ``.po`` file: msgid -> translated text.

    Left out (so they fall back to English): the header, empty and fuzzy entries, plural
    entries (hipcare writes none), and entries whose placeholders differ from the msgid's.
    A missing file gives an empty catalog.
    """
    from babel.messages.pofile import read_po

    if not path.is_file():
        return {}
    with path.open("rb") as handle:
        catalog = read_po(handle, domain=CATALOG_DOMAIN)
    usable: dict[str, str] = {}
    for message in catalog:
        if not message.id or message.fuzzy:
            continue
        if not isinstance(message.id, str) or not isinstance(message.string, str):
            continue
        if not message.string.strip():
            continue
        if placeholders(message.string) != placeholders(message.id):
            continue
        usable[message.id] = message.string
    return usable


@dataclass(frozen=True)
class Translator:
    """Turns English family text into one language; falls back to English for any gap."""

    language: Language
    messages: Mapping[str, str] = field(repr=False)

    @classmethod
    def load(cls, code: str, directory: Path | None = None) -> Translator:
        """A translator for ``code`` reading its catalog from ``directory`` (default: shipped)."""
        lang = language(code)
        if lang.is_source:
            return cls(language=lang, messages={})
        return cls(language=lang, messages=read_catalog(catalog_path(lang, directory)))

    @property
    def code(self) -> str:
        return self.language.code

    @property
    def native_name(self) -> str:
        return self.language.native_name

    @property
    def direction(self) -> Direction:
        return self.language.direction

    @property
    def clinically_reviewed(self) -> bool:
        return self.language.clinically_reviewed

    def has_translation(self, msgid: str) -> bool:
        """True when ``msgid`` is shown in this language (always true for the source, English)."""
        return self.language.is_source or msgid in self.messages

    def gettext(self, msgid: str) -> str:
        """The text in this language, or the English ``msgid`` when no usable translation exists."""
        return self.messages.get(msgid, msgid)

    def format(self, msgid: str, /, **params: object) -> str:
        """Translate ``msgid``, then fill its ``{placeholders}`` from ``params``.

        A placeholder with no value is an error of the caller, reported as such rather than
        printed as ``{name}`` to a family.
        """
        text = self.gettext(msgid)
        missing = placeholders(msgid) - params.keys()
        if missing:
            raise InvalidInputError(
                "params",
                f"no value for {', '.join(sorted(missing))} in the text {msgid[:60]!r}",
            )
        return text.format(**params)

    def format_date(self, day: datetime.date) -> str:
        """``day`` as this language writes dates: ``9 March 2026``, ``2026年3月9日``."""
        from babel.dates import format_date

        text = format_date(day, format="long", locale=self.language.babel_locale)
        return OPTIONAL_MARKS.sub("", text) if self.language.drop_optional_marks else text


@cache
def translator(code: str) -> Translator:
    """The cached translator for ``code``; ``InvalidInputError("lang", ...)`` if unknown."""
    if code not in LANGUAGES:
        raise _unknown(code)
    return Translator.load(code)
