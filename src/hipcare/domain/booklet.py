"""The family booklet as a translated view model: every string final, ready to typeset.

:mod:`hipcare.services.booklet` builds a :class:`BookletView` from a child's facts; the
renderers in :mod:`hipcare.render` (HTML with Jinja2, PDF with typst) only lay it out. Keeping
all wording and dates here means both formats say exactly the same thing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

__all__ = ["BookletContact", "BookletEntry", "BookletPhase", "BookletView", "KeyDate"]


@dataclass(frozen=True)
class KeyDate:
    """One of the child's key dates (operation day, day home ...), already written out."""

    label: str
    date_text: str
    date_iso: str


@dataclass(frozen=True)
class BookletEntry:
    """One checklist line: when, what (with bullets), who acts, whether timing is unconfirmed."""

    item_id: str
    date_text: str
    date_iso: str
    title: str
    text: str
    bullets: tuple[str, ...]
    who: str
    repeats: str | None
    to_confirm: bool
    information: bool = False
    """Read, not ticked: shown with no date and no tick box."""


@dataclass(frozen=True)
class BookletPhase:
    """A phase of the pathway with its checklist lines, in date order."""

    phase_id: str
    title: str
    entries: tuple[BookletEntry, ...]


@dataclass(frozen=True)
class BookletContact:
    """A number the family can call."""

    label: str
    phone: str
    hours: str


@dataclass(frozen=True)
class BookletView:
    """Everything one booklet shows, in one language.

    ``labels`` and ``headings`` are the translated strings of ``booklet.toml``'s sections of
    the same names (labels with placeholders are filled elsewhere and left out);
    ``contacts_note`` says the numbers are examples, or that the site is not known;
    ``fallback_count`` is how many strings were shown in English because the
    catalog had no usable translation.
    """

    lang: str
    direction: Literal["ltr", "rtl"]
    language_name: str
    font_family: str
    accent_colour: str
    title: str
    intro: str
    headings: Mapping[str, str]
    labels: Mapping[str, str]
    key_dates: tuple[KeyDate, ...]
    operation_lines: tuple[str, ...]
    checklist_hint: str
    phases: tuple[BookletPhase, ...]
    warning_after_surgery_intro: str
    warning_after_surgery: tuple[str, ...]
    warning_skin: str
    warning_sick_before_surgery: str
    warning_sick_after_surgery: str
    warning_very_unwell: str
    site_name: str
    contacts: tuple[BookletContact, ...]
    contacts_note: str
    interpreter: str
    disclaimer: str
    clinically_reviewed: bool
    reviewed_status: str
    reviewed_status_english: str
    printed_on: str
    printed_on_iso: str
    fallback_count: int
    day_of_surgery_heading: str = ""
    day_of_surgery_lines: tuple[str, ...] = ()
    """What to do on the day (fasting stops, arrival, what to bring), when it is set."""
    day_of_surgery_bring_heading: str = ""
    day_of_surgery_bring: tuple[str, ...] = ()
    """What to bring on the day, one thing a line."""
    day_of_surgery_note: str = ""
    """"To be confirmed by the clinical lead" when the times are the site's defaults."""

    def family_texts(self) -> tuple[str, ...]:
        """Every sentence and label the booklet shows, in reading order (for text checks)."""
        texts = [self.title, self.intro, *self.headings.values()]
        texts += [text for key in self.key_dates for text in (key.label, key.date_text)]
        texts += [*self.operation_lines, self.checklist_hint]
        for phase in self.phases:
            texts.append(phase.title)
            for entry in phase.entries:
                texts += [entry.date_text, entry.title, entry.text, *entry.bullets, entry.who]
                texts += [entry.repeats] if entry.repeats else []
        texts += [self.warning_after_surgery_intro, *self.warning_after_surgery]
        texts += [self.warning_skin, self.warning_sick_before_surgery]
        texts += [self.warning_sick_after_surgery, self.warning_very_unwell]
        for contact in self.contacts:
            texts += [contact.label, contact.phone, contact.hours]
        texts += [self.contacts_note, self.interpreter, self.disclaimer]
        texts += [self.reviewed_status, self.reviewed_status_english, self.printed_on]
        return tuple(text for text in texts if text)
