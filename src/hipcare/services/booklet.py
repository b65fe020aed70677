"""Use case: one child's facts -> their family booklet in one language (HTML or tagged PDF).

The plan comes from the pathway engine (:func:`hipcare.services.pathway.make_plan`) and is
translated item by item (:func:`hipcare.services.pathway.plan_entries`); the booklet's own
headings, warning signs and disclaimer come from ``booklet.toml``; contacts from
``sites.toml``. The result is a :class:`~hipcare.domain.booklet.BookletView` whose every
string is final, so the HTML and PDF renderers (adapters in :mod:`hipcare.render`, chosen by
the entry point) only lay it out.
"""

from __future__ import annotations

import dataclasses
import datetime
from collections.abc import Mapping
from pathlib import Path

from hipcare.domain.booklet import (
    BookletContact,
    BookletEntry,
    BookletPhase,
    BookletView,
    KeyDate,
)
from hipcare.domain.day_of_surgery import DayOfSurgery
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import CareFacts, CarePlan
from hipcare.services.pathway import (
    DAY_OF_SURGERY_TEXT,
    PlanEntry,
    day_of_surgery_lines,
    make_plan,
    plan_entries,
)
from hipcare.services.ports.content import BookletText, Content, Site, Translator

__all__ = ["BOOKLET_FORMATS", "booklet_format", "build_booklet_view"]

#: Output formats, chosen by the file extension.
BOOKLET_FORMATS = {".pdf": "pdf", ".html": "html", ".htm": "html"}

_DEFAULT_ACCENT = "#1b5e8c"
# Items whose dates a family most needs at a glance, after the operation and discharge days.
_KEY_DATE_ITEMS = ("postop-xray", "plate-removal-review")


def booklet_format(output: str) -> str:
    """``pdf`` or ``html`` from the output file's extension, or an error naming the choices."""
    suffix = Path(output).suffix.lower()
    if suffix not in BOOKLET_FORMATS:
        raise InvalidInputError(
            "output",
            f"{output!r} must end in .pdf or .html (the format is taken from the extension)",
        )
    return BOOKLET_FORMATS[suffix]


class _Words:
    """A translator that counts the strings shown in English for lack of a translation."""

    def __init__(self, translator: Translator) -> None:
        self.translator = translator
        self.fallbacks: set[str] = set()

    def note(self, msgid: str) -> None:
        if not self.translator.has_translation(msgid):
            self.fallbacks.add(msgid)

    def __call__(self, msgid: str, **params: object) -> str:
        self.note(msgid)
        return self.translator.format(msgid, **params)

    def date(self, day: datetime.date) -> str:
        return self.translator.format_date(day)


def _label(table: Mapping[str, str], key: str, where: str) -> str:
    """The English label for ``key``; a pathway value without one is a content error."""
    if key not in table:
        raise InvalidInputError(f"booklet.toml.{where}", f"no family label for {key!r}")
    return table[key]


def _entry(entry: PlanEntry, text: BookletText, words: _Words) -> BookletEntry:
    repeats = None
    if entry.recurrence is not None and entry.until is not None:
        recurrence = words(_label(text.recurrences, entry.recurrence, "recurrences"))
        repeats = words(
            text.labels["repeats_until"], recurrence=recurrence, end_date=words.date(entry.until)
        )
    return BookletEntry(
        item_id=entry.id,
        date_text="" if entry.is_information else words.date(entry.date),
        date_iso=entry.date.isoformat(),
        title=entry.title,
        text=entry.text,
        bullets=entry.bullets,
        who=words(_label(text.owners, entry.owner, "owners")),
        repeats=repeats,
        to_confirm=entry.to_be_confirmed,
        information=entry.is_information,
    )


def _key_dates(
    plan: CarePlan, entries: tuple[PlanEntry, ...], text: BookletText, words: _Words
) -> tuple[KeyDate, ...]:
    def key(label: str, day: datetime.date) -> KeyDate:
        return KeyDate(label=label, date_text=words.date(day), date_iso=day.isoformat())

    dates = []
    if plan.admission_date != plan.surgery_date:
        dates.append(key(words(text.labels["key_date_admission"]), plan.admission_date))
    dates.append(key(words(text.labels["key_date_surgery"]), plan.surgery_date))
    dates.append(key(words(text.labels["key_date_discharge"]), plan.discharge_date))
    by_id = {entry.id: entry for entry in entries}
    dates += [key(by_id[i].title, by_id[i].date) for i in _KEY_DATE_ITEMS if i in by_id]
    return tuple(dates)


def _contacts(site: Site | None, words: _Words) -> tuple[BookletContact, ...]:
    if site is None:
        return ()
    return tuple(
        BookletContact(label=words(c.label), phone=c.phone, hours=words(c.hours))
        for c in site.contacts
    )


def build_booklet_view(
    facts: CareFacts,
    translator: Translator,
    printed_on: datetime.date,
    *,
    content: Content,
    starts_on: datetime.date | None = None,
    day_of_surgery: DayOfSurgery | None = None,
) -> BookletView:
    """The booklet for one child in the language of ``translator``, printed on ``printed_on``
    (no task dated before ``starts_on``, the day the plan started; the day of surgery's
    fasting stops, arrival and what to bring when set)."""
    text = content.booklet_text
    words = _Words(translator)
    plan = make_plan(facts, content=content, starts_on=starts_on)
    entries = plan_entries(plan, translator)
    for item in plan.items:
        for msgid in (item.title_msgid, item.msgid, *item.bullet_msgids):
            words.note(msgid)
    site = content.site(facts.site) if facts.site is not None else None
    surgery = words.date(plan.surgery_date)
    intro = (
        words(text.labels["intro"], surgery_date=surgery, site_name=site.name)
        if site is not None
        else words(text.labels["intro_no_site"], surgery_date=surgery)
    )
    phases = []
    for phase in plan.phases:
        in_phase = tuple(_entry(e, text, words) for e in entries if e.phase == phase.phase.value)
        if in_phase:
            phases.append(BookletPhase(phase.phase.value, words(phase.title), in_phase))
    procedures = tuple(
        words(_label(text.procedures, p.value, "procedures")) for p in facts.procedures
    )
    sides = words(text.labels[f"operation_sides_{facts.sides.value}"])
    signs = text.warning_signs
    reviewed_key = "reviewed_yes" if translator.clinically_reviewed else "reviewed_no"
    if site is None:
        contacts_note = words(text.about["no_site_contacts"])
    elif site.example_data:
        contacts_note = words(text.about["example_contacts"])
    else:
        contacts_note = ""
    labels = {key: words(value) for key, value in text.labels.items() if "{" not in value}
    view = BookletView(
        lang=translator.code,
        direction=translator.direction,
        language_name=translator.native_name,
        font_family=translator.language.font_family,
        accent_colour=site.brand_colour if site is not None else _DEFAULT_ACCENT,
        title=words(text.headings["title"]),
        intro=intro,
        headings={key: words(value) for key, value in text.headings.items()},
        labels=labels,
        key_dates=_key_dates(plan, entries, text, words),
        operation_lines=(*procedures, sides),
        checklist_hint=words(text.labels["checklist_hint"]),
        phases=tuple(phases),
        warning_after_surgery_intro=words(signs.after_surgery_intro),
        warning_after_surgery=tuple(words(sign) for sign in signs.after_surgery),
        warning_skin=words(signs.skin),
        warning_sick_before_surgery=words(signs.sick_before_surgery),
        warning_sick_after_surgery=words(signs.sick_after_surgery),
        warning_very_unwell=words(signs.very_unwell),
        site_name=site.name if site is not None else "",
        contacts=_contacts(site, words),
        contacts_note=contacts_note,
        interpreter=words(text.labels["interpreter"]),
        disclaimer=words(text.about["disclaimer"]),
        clinically_reviewed=translator.clinically_reviewed,
        reviewed_status=words(text.about[reviewed_key]),
        reviewed_status_english="" if translator.language.is_source else text.about[reviewed_key],
        printed_on=words(text.about["printed_on"], printed_date=words.date(printed_on)),
        printed_on_iso=printed_on.isoformat(),
        fallback_count=0,
    )
    if day_of_surgery is not None:
        steps = day_of_surgery_lines(day_of_surgery, plan.surgery_date, translator)
        lines = [line.text for line in steps]
        for msgid in DAY_OF_SURGERY_TEXT.values():
            words.note(msgid)
        view = dataclasses.replace(
            view,
            day_of_surgery_heading=words(DAY_OF_SURGERY_TEXT["heading"]),
            day_of_surgery_lines=tuple(lines),
            day_of_surgery_bring_heading=words(DAY_OF_SURGERY_TEXT["bring"]),
            day_of_surgery_bring=tuple(words(thing) for thing in day_of_surgery.what_to_bring),
            day_of_surgery_note=words(DAY_OF_SURGERY_TEXT["to_confirm"])
            if day_of_surgery.to_be_confirmed
            else "",
        )
    # Counted last: every string above has passed through `words` by now.
    return dataclasses.replace(view, fallback_count=len(words.fallbacks))
