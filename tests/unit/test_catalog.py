"""Translation catalogs: every family string extracted, every language complete, gaps reported."""

from __future__ import annotations

import shutil
import tomllib
from importlib import resources
from pathlib import Path

import pytest

from hipcare.content.catalog import build_template, check_catalogs, collect_messages
from hipcare.content.i18n import LANGUAGES, Translator, catalog_path, language, locale_directory


def _pathway() -> dict[str, object]:
    text = resources.files("hipcare.content").joinpath("pathway.toml").read_text("utf-8")
    return tomllib.loads(text)


def test_every_language_translates_every_english_family_string() -> None:
    """A new English string without a translation fails here (run `hipcare catalog check`)."""
    gaps = {
        report.code: report.total - report.translated
        for report in check_catalogs()
        if not report.complete
    }
    assert gaps == {}


def test_no_catalog_keeps_obsolete_or_fuzzy_entries() -> None:
    reports = check_catalogs()
    assert {r.code: r.obsolete for r in reports if r.obsolete} == {}
    assert {r.code: r.fuzzy for r in reports if r.fuzzy} == {}


def test_committed_template_holds_exactly_the_current_english_strings() -> None:
    """Regenerate with `python -m hipcare.content.catalog update` when this fails."""
    from babel.messages.pofile import read_po

    with (locale_directory() / "hipcare.pot").open("rb") as handle:
        committed = {m.id for m in read_po(handle) if m.id}
    assert committed == {m.msgid for m in collect_messages()}


def test_extraction_takes_every_item_text_variant_bullet_and_title_from_the_pathway() -> None:
    msgids = {m.msgid for m in collect_messages()}
    pathway = _pathway()
    for phase in pathway["phase"]:  # type: ignore[attr-defined]
        assert phase["title"] in msgids
    for item in pathway["item"]:  # type: ignore[attr-defined]
        texts = [item.get("text"), item.get("title")]
        texts += [v["text"] for v in item.get("variant", [])]
        texts += [b["text"] for b in item.get("bullet", [])]
        for text in filter(None, texts):
            assert text in msgids, item["id"]


def test_extraction_leaves_clinician_notes_sources_and_conditions_in_english() -> None:
    msgids = {m.msgid for m in collect_messages()}
    for item in _pathway()["item"]:  # type: ignore[attr-defined]
        assert item["clinician_note"] not in msgids
        assert item["source"] not in msgids
    assert "as-tolerated" not in msgids
    assert "dega" not in msgids


def test_extraction_takes_contact_labels_and_hours_but_not_phone_numbers() -> None:
    msgids = {m.msgid for m in collect_messages()}
    assert "Orthopaedic ward (day and night)" in msgids
    assert "Monday to Friday, 8am to 4pm" in msgids
    assert "02 5550 1240" not in msgids


def test_template_lists_where_each_string_comes_from() -> None:
    template = build_template()
    message = template["Key dates"]
    assert message is not None
    assert message.auto_comments == ["booklet.toml:headings.key_dates"]


@pytest.fixture
def incomplete_locale(tmp_path: Path) -> Path:
    """A copy of the shipped catalogs with one Vietnamese entry blanked and one made fuzzy."""
    from babel.messages.pofile import read_po, write_po

    copy = tmp_path / "locale"
    shutil.copytree(locale_directory(), copy)
    path = catalog_path(language("vi"), copy)
    with path.open("rb") as handle:
        catalog = read_po(handle)
    catalog["Key dates"].string = ""
    catalog["Who to call"].flags.add("fuzzy")
    with path.open("wb") as handle:
        write_po(handle, catalog)
    return copy


def test_check_reports_untranslated_and_fuzzy_strings(incomplete_locale: Path) -> None:
    (vi,) = check_catalogs(["vi"], incomplete_locale)
    assert vi.untranslated == ("Key dates",)
    assert vi.fuzzy == ("Who to call",)
    assert not vi.complete
    assert vi.translated == vi.total - 2


def test_gaps_fall_back_to_english_while_the_rest_stays_translated(
    incomplete_locale: Path,
) -> None:
    vi = Translator.load("vi", incomplete_locale)
    assert vi.gettext("Key dates") == "Key dates"
    assert vi.gettext("Who to call") == "Who to call"
    assert vi.gettext("Warning signs: when to call") != "Warning signs: when to call"


def test_check_reports_a_translation_that_drops_a_placeholder(tmp_path: Path) -> None:
    copy = tmp_path / "locale"
    shutil.copytree(locale_directory(), copy)
    path = catalog_path(language("ar"), copy)
    text = path.read_text("utf-8")
    broken = text.replace("طبع في {printed_date}.", "طبع في {date}.")
    assert broken != text
    path.write_text(broken, "utf-8")
    (ar,) = check_catalogs(["ar"], copy)
    assert ar.placeholder_mismatch == ("Printed on {printed_date}.",)
    assert Translator.load("ar", copy).gettext("Printed on {printed_date}.") == (
        "Printed on {printed_date}."
    )


def test_check_reports_a_missing_catalog_file_as_all_missing(tmp_path: Path) -> None:
    (fa,) = check_catalogs(["fa"], tmp_path)
    assert fa.translated == 0
    assert len(fa.missing) == fa.total > 100


def test_english_is_the_complete_source_in_every_report() -> None:
    reports = {r.code: r for r in check_catalogs()}
    assert tuple(reports) == LANGUAGES
    assert reports["en"].is_source
    assert reports["en"].complete


@pytest.mark.parametrize("code", ["ar", "fa"])
def test_arabic_script_catalogs_carry_no_optional_vowel_marks(code: str) -> None:
    """Marks such as shadda garble the PDF text layer that screen readers read (ADR 0004)."""
    from hipcare.content.i18n import OPTIONAL_MARKS, read_catalog

    marked = [
        msgid
        for msgid, text in read_catalog(catalog_path(language(code))).items()
        if OPTIONAL_MARKS.search(text)
    ]
    assert marked == []


def test_update_keeps_translations_and_marks_a_changed_string_fuzzy(tmp_path: Path) -> None:
    """Reworded English keeps its old translation as fuzzy, which is not shown until checked."""
    from hipcare.content.catalog import SourceMessage, update_catalogs

    copy = tmp_path / "locale"
    shutil.copytree(locale_directory(), copy)
    messages = [m for m in collect_messages() if m.msgid != "Key dates"]
    messages.append(SourceMessage("Key dates for you", ("booklet.toml:headings.key_dates",)))
    written = update_catalogs(copy, messages)

    assert len(written) == len(LANGUAGES) - 1
    (vi,) = check_catalogs(["vi"], copy, messages)
    assert vi.fuzzy == ("Key dates for you",)
    assert vi.translated == vi.total - 1
    assert Translator.load("vi", copy).gettext("Key dates for you") == "Key dates for you"
    assert Translator.load("vi", copy).gettext("Who to call") == "Gọi cho ai"


def test_update_writes_a_template_with_every_message(tmp_path: Path) -> None:
    from babel.messages.pofile import read_po

    from hipcare.content.catalog import update_catalogs

    update_catalogs(tmp_path)
    with (tmp_path / "hipcare.pot").open("rb") as handle:
        template = {m.id for m in read_po(handle) if m.id}
    assert template == {m.msgid for m in collect_messages()}
    (ar,) = check_catalogs(["ar"], tmp_path)
    assert len(ar.untranslated) == ar.total


def test_catalog_module_refuses_unknown_actions(capsys: pytest.CaptureFixture[str]) -> None:
    from hipcare.content.catalog import main

    assert main(["extract"]) == 2
    assert "usage: python -m hipcare.content.catalog update" in capsys.readouterr().err
