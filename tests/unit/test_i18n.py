"""The translator: language metadata, English fallback, placeholders, dates per language."""

from __future__ import annotations

import datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hipcare.content.i18n import (
    LANGUAGES,
    Translator,
    catalog_path,
    language,
    languages,
    placeholders,
    translator,
)
from hipcare.domain.errors import InvalidInputError

_PO_HEADER = """\
msgid ""
msgstr ""
"Content-Type: text/plain; charset=UTF-8\\n"
"Language: {locale}\\n"

"""


def _write_catalog(directory: Path, code: str, entries: str) -> None:
    path = catalog_path(language(code), directory)
    path.parent.mkdir(parents=True)
    path.write_text(_PO_HEADER.format(locale=language(code).babel_locale) + entries, "utf-8")


def test_languages_are_the_contract_codes_in_order() -> None:
    assert tuple(lang.code for lang in languages()) == LANGUAGES
    assert LANGUAGES == ("en", "ar", "zh-Hans", "zh-Hant", "vi", "fa")


def test_arabic_and_persian_are_right_to_left_and_the_rest_left_to_right() -> None:
    rtl = {code for code in LANGUAGES if translator(code).direction == "rtl"}
    assert rtl == {"ar", "fa"}


def test_no_language_claims_a_clinical_review_nobody_did() -> None:
    """Translations are drafts by the developers; the status must say so until a reviewer signs."""
    assert [code for code in LANGUAGES if translator(code).clinically_reviewed] == []


def test_unknown_language_names_the_codes_that_exist() -> None:
    with pytest.raises(InvalidInputError) as caught:
        translator("xx")
    assert caught.value.field == "lang"
    assert "'xx'" in caught.value.problem
    assert "en, ar, zh-Hans, zh-Hant, vi, fa" in caught.value.problem


def test_translator_is_cached() -> None:
    assert translator("vi") is translator("vi")


def test_english_is_the_source_and_returns_its_msgid() -> None:
    assert translator("en").gettext("Hello {name}") == "Hello {name}"


def test_gettext_falls_back_to_english_when_missing_fuzzy_empty_or_placeholders_differ(
    tmp_path: Path,
) -> None:
    _write_catalog(
        tmp_path,
        "vi",
        'msgid "Good"\nmsgstr "Tốt"\n\n'
        '#, fuzzy\nmsgid "Fuzzy"\nmsgstr "Mờ"\n\n'
        'msgid "Empty"\nmsgstr ""\n\n'
        'msgid "See you on {surgery_date}"\nmsgstr "Hẹn gặp vào {ngay}"\n',
    )
    vi = Translator.load("vi", tmp_path)
    assert vi.gettext("Good") == "Tốt"
    assert vi.gettext("Fuzzy") == "Fuzzy"
    assert vi.gettext("Empty") == "Empty"
    assert vi.gettext("See you on {surgery_date}") == "See you on {surgery_date}"
    assert vi.gettext("Not in the catalog") == "Not in the catalog"
    assert vi.has_translation("Good")
    assert not vi.has_translation("Fuzzy")


def test_format_translates_then_fills_placeholders(tmp_path: Path) -> None:
    _write_catalog(
        tmp_path, "ar", 'msgid "Surgery on {surgery_date}."\nmsgstr "العملية يوم {surgery_date}."\n'
    )
    ar = Translator.load("ar", tmp_path)
    assert ar.format("Surgery on {surgery_date}.", surgery_date="9 مارس 2026") == (
        "العملية يوم 9 مارس 2026."
    )


def test_format_refuses_a_missing_placeholder_value() -> None:
    with pytest.raises(InvalidInputError) as caught:
        translator("en").format("Surgery on {surgery_date}.")
    assert "surgery_date" in caught.value.problem


def test_missing_catalog_file_means_everything_falls_back(tmp_path: Path) -> None:
    fa = Translator.load("fa", tmp_path)
    assert fa.gettext("Warning signs") == "Warning signs"
    assert fa.direction == "rtl"


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("en", "9 March 2026"),
        ("zh-Hans", "2026年3月9日"),
        ("zh-Hant", "2026年3月9日"),
        ("vi", "9 tháng 3, 2026"),
        ("ar", "9 مارس 2026"),
    ],
)
def test_format_date_writes_the_date_the_language_way(code: str, expected: str) -> None:
    assert translator(code).format_date(datetime.date(2026, 3, 9)) == expected


@given(st.dates(min_value=datetime.date(2000, 1, 1), max_value=datetime.date(2100, 12, 31)))
def test_every_language_writes_the_year_of_every_date(day: datetime.date) -> None:
    for code in LANGUAGES:
        assert str(day.year) in translator(code).format_date(day)


def test_placeholders_finds_named_fields_and_flags_malformed_braces() -> None:
    assert placeholders("On {surgery_date} at {site_name}.") == {"surgery_date", "site_name"}
    assert placeholders("No fields.") == frozenset()
    assert placeholders("Broken {brace") == {"<malformed>"}


def test_persian_dates_drop_the_optional_hamza_of_the_month_name() -> None:
    """CLDR writes May as 'مهٔ'; the booklet prints 'مه', as everyday Persian does."""
    assert translator("fa").format_date(datetime.date(2027, 5, 17)) == "17 مه 2027"
