"""Build the translation template from the content files, update catalogs, and check them.

Sources of family text (each string is an English msgid):

* ``pathway.toml`` — phase titles, item texts and their variants (the pathway engineer's file;
  read here as plain TOML so that this module does not depend on the pathway loader);
* ``sites.toml`` — contact labels and opening hours, the day-of-surgery arrival place and
  what to bring (site names are proper names, kept as is);
* ``booklet.toml`` — the booklet's headings, labels, warning signs and disclaimer;
* ``family.toml`` — the family web pages' words (``[ui]``);
* ``diary.toml`` — the diary rules' advice to the family.

Run ``python -m hipcare.content.catalog update`` after changing English text: it rewrites
``locale/hipcare.pot`` and merges it into every language's ``hipcare.po`` with Babel (a changed
string keeps its old translation marked *fuzzy*, which is not shown until someone checks it).
``hipcare catalog check`` (and a test) then reports what is left to translate.
"""

from __future__ import annotations

import io
import sys
import tomllib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING, Any

from hipcare.content.booklet import family_strings as booklet_strings
from hipcare.content.i18n import (
    CATALOG_DOMAIN,
    Language,
    catalog_path,
    languages,
    locale_directory,
    placeholders,
)

if TYPE_CHECKING:
    from babel.messages.catalog import Catalog

__all__ = [
    "LanguageReport",
    "SourceMessage",
    "build_template",
    "check_catalogs",
    "collect_messages",
    "main",
    "update_catalogs",
]

# Keys of pathway.toml whose string values are family text (phase titles, item, variant and
# bullet texts), and tables all of whose strings are. Everything else there (ids, owners,
# clinician notes, sources, conditions) is for clinicians or the engine and stays in English.
_PATHWAY_TEXT_KEYS = frozenset({"title", "text"})
_PATHWAY_TEXT_TABLES = frozenset({"notes"})
_PROJECT = "hipcare"
_HEADER = (
    "# hipcare family text ({language}).\n"
    "# English is the authored source. Other languages are DRAFT translations written by the\n"
    "# hipcare developers and NOT clinically reviewed (see languages.toml).\n"
    "# This file is distributed under the same license as the hipcare project.\n"
    "#"
)
_TRANSLATOR = "hipcare developers (draft, not clinically reviewed)"


@dataclass(frozen=True)
class SourceMessage:
    """One English family string and every place in the content files it comes from."""

    msgid: str
    locations: tuple[str, ...]


def _content_text(name: str) -> str | None:
    resource = resources.files("hipcare.content").joinpath(name)
    return resource.read_text("utf-8") if resource.is_file() else None


def _pathway_strings(value: Any, path: str) -> Iterator[tuple[str, str]]:
    if isinstance(value, dict):
        for key, child in value.items():
            child_path = f"{path}.{key}" if path else key
            if key in _PATHWAY_TEXT_TABLES and isinstance(child, dict):
                for note_key, note in child.items():
                    if isinstance(note, str) and note.strip():
                        yield f"{child_path}.{note_key}", note
            elif isinstance(child, str):
                if key in _PATHWAY_TEXT_KEYS and child.strip():
                    yield child_path, child
            else:
                yield from _pathway_strings(child, child_path)
    elif isinstance(value, list):
        for index, child in enumerate(value):
            label = child.get("id", index) if isinstance(child, dict) else index
            yield from _pathway_strings(child, f"{path}[{label}]")


def _sites_strings(text: str) -> Iterator[tuple[str, str]]:
    for site in tomllib.loads(text).get("site", []):
        for contact in site.get("contact", []):
            where = f"site[{site['id']}].contact[{contact['role']}]"
            yield f"{where}.label", contact["label"]
            yield f"{where}.hours", contact["hours"]
        day = site.get("day_of_surgery")
        if day is not None:
            where = f"site[{site['id']}].day_of_surgery"
            yield f"{where}.arrival_place", day["arrival_place"]
            for index, thing in enumerate(day.get("what_to_bring", [])):
                yield f"{where}.what_to_bring[{index}]", thing


def _sourced_strings() -> Iterator[tuple[str, str, str]]:
    pathway = _content_text("pathway.toml")
    if pathway is not None:
        for where, text in _pathway_strings(tomllib.loads(pathway), ""):
            yield "pathway.toml", where, text
    sites = _content_text("sites.toml")
    if sites is not None:
        for where, text in _sites_strings(sites):
            yield "sites.toml", where, text
    for where, text in booklet_strings():
        yield "booklet.toml", where, text
    family = _content_text("family.toml")
    if family is not None:
        for key, text in tomllib.loads(family).get("ui", {}).items():
            yield "family.toml", f"ui.{key}", text
    diary = _content_text("diary.toml")
    if diary is not None:
        for rule in tomllib.loads(diary).get("rule", []):
            yield "diary.toml", f"rule[{rule['id']}].advice", rule["advice"]


def collect_messages() -> tuple[SourceMessage, ...]:
    """Every family string in the content files, once each, in first-seen order."""
    found: dict[str, list[str]] = {}
    for file_name, where, text in _sourced_strings():
        found.setdefault(text, []).append(f"{file_name}:{where}")
    return tuple(SourceMessage(msgid, tuple(places)) for msgid, places in found.items())


def build_template(messages: Iterable[SourceMessage] | None = None) -> Catalog:
    """The ``.pot`` template as a Babel catalog (the key paths become ``#.`` comments)."""
    from babel.messages.catalog import Catalog

    template = Catalog(
        domain=CATALOG_DOMAIN,
        project=_PROJECT,
        header_comment=_HEADER.format(language="template"),
        fuzzy=False,
    )
    for message in messages if messages is not None else collect_messages():
        template.add(message.msgid, auto_comments=message.locations)
    return template


def _write(catalog: Catalog, path: Path) -> None:
    from babel.messages.pofile import write_po

    buffer = io.BytesIO()
    write_po(buffer, catalog, width=100, no_location=True, include_lineno=False)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(buffer.getvalue())


def _read(path: Path, lang: Language) -> Catalog:
    from babel.messages.catalog import Catalog
    from babel.messages.pofile import read_po

    if not path.is_file():
        return Catalog(
            locale=lang.babel_locale,
            domain=CATALOG_DOMAIN,
            project=_PROJECT,
            header_comment=_HEADER.format(language=lang.english_name),
            last_translator=_TRANSLATOR,
            language_team=_TRANSLATOR,
            fuzzy=False,
        )
    with path.open("rb") as handle:
        return read_po(handle, locale=lang.babel_locale, domain=CATALOG_DOMAIN)


def update_catalogs(
    directory: Path | None = None, messages: Sequence[SourceMessage] | None = None
) -> list[Path]:
    """Write ``hipcare.pot`` and merge it into every translated language's ``hipcare.po``.

    ``messages`` defaults to the strings in the content files (:func:`collect_messages`).
    """
    base = directory if directory is not None else locale_directory()
    template = build_template(messages)
    _write(template, base / f"{CATALOG_DOMAIN}.pot")
    written = []
    for lang in languages():
        if lang.is_source:
            continue
        path = catalog_path(lang, base)
        catalog = _read(path, lang)
        catalog.update(template)
        _write(catalog, path)
        written.append(path)
    return written


@dataclass(frozen=True)
class LanguageReport:
    """What one language's catalog lacks, measured against the current English text."""

    code: str
    native_name: str
    clinically_reviewed: bool
    is_source: bool
    total: int
    translated: int
    missing: tuple[str, ...]
    untranslated: tuple[str, ...]
    fuzzy: tuple[str, ...]
    placeholder_mismatch: tuple[str, ...]
    obsolete: tuple[str, ...]

    @property
    def complete(self) -> bool:
        """True when every English string has a usable translation (obsolete ones are harmless)."""
        return self.translated == self.total

    def as_json(self) -> dict[str, object]:
        return {
            "code": self.code,
            "native_name": self.native_name,
            "clinically_reviewed": self.clinically_reviewed,
            "source_language": self.is_source,
            "total": self.total,
            "translated": self.translated,
            "complete": self.complete,
            "missing": list(self.missing),
            "untranslated": list(self.untranslated),
            "fuzzy": list(self.fuzzy),
            "placeholder_mismatch": list(self.placeholder_mismatch),
            "obsolete": list(self.obsolete),
        }


def _report(lang: Language, msgids: Sequence[str], directory: Path | None) -> LanguageReport:
    if lang.is_source:
        return LanguageReport(
            code=lang.code,
            native_name=lang.native_name,
            clinically_reviewed=lang.clinically_reviewed,
            is_source=True,
            total=len(msgids),
            translated=len(msgids),
            missing=(),
            untranslated=(),
            fuzzy=(),
            placeholder_mismatch=(),
            obsolete=(),
        )
    catalog = _read(catalog_path(lang, directory), lang)
    entries = {m.id: m for m in catalog if m.id and isinstance(m.id, str)}
    missing, untranslated, fuzzy, mismatch = [], [], [], []
    for msgid in msgids:
        entry = entries.get(msgid)
        if entry is None:
            missing.append(msgid)
        elif not isinstance(entry.string, str) or not entry.string.strip():
            untranslated.append(msgid)
        elif entry.fuzzy:
            fuzzy.append(msgid)
        elif placeholders(entry.string) != placeholders(msgid):
            mismatch.append(msgid)
    wanted = set(msgids)
    obsolete = [m for m in entries if m not in wanted]
    obsolete += [m for m in catalog.obsolete if isinstance(m, str) and m not in wanted]
    gaps = len(missing) + len(untranslated) + len(fuzzy) + len(mismatch)
    return LanguageReport(
        code=lang.code,
        native_name=lang.native_name,
        clinically_reviewed=lang.clinically_reviewed,
        is_source=False,
        total=len(msgids),
        translated=len(msgids) - gaps,
        missing=tuple(missing),
        untranslated=tuple(untranslated),
        fuzzy=tuple(fuzzy),
        placeholder_mismatch=tuple(mismatch),
        obsolete=tuple(obsolete),
    )


def check_catalogs(
    codes: Sequence[str] | None = None,
    directory: Path | None = None,
    messages: Sequence[SourceMessage] | None = None,
) -> list[LanguageReport]:
    """One report per language (all, or ``codes``) against the English text in the content files."""
    msgids = [m.msgid for m in (messages if messages is not None else collect_messages())]
    chosen = [lang for lang in languages() if codes is None or lang.code in codes]
    return [_report(lang, msgids, directory) for lang in chosen]


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m hipcare.content.catalog update``: regenerate the template and catalogs."""
    args = list(argv if argv is not None else sys.argv[1:])
    if args != ["update"]:
        sys.stderr.write("usage: python -m hipcare.content.catalog update\n")
        return 2
    for path in update_catalogs():
        sys.stdout.write(f"updated {path}\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
