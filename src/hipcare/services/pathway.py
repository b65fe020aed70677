"""Use cases of the care pathway: facts JSON -> a child's dated plan -> text in their language.

``parse_facts`` checks a facts document field by field (a typo in a key is an error, never
silently ignored); ``make_plan`` resolves the site and the surgeon's preferences and calls the
pure engine (:func:`hipcare.domain.pathway.personalise`); ``plan_entries`` translates each item
and fills its placeholders (dates written the way the language writes them);
``plan_document`` and ``plan_text`` are what ``hipcare plan`` prints.
"""

from __future__ import annotations

import datetime
import re
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

from hipcare.domain.calendar import CalendarEvent
from hipcare.domain.day_of_surgery import DayOfSurgery
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.pathway import (
    CareFacts,
    CarePlan,
    ItemStatus,
    PlannedItem,
    personalise,
)
from hipcare.domain.plan_entry import PlanEntry
from hipcare.services.ports.content import LANGUAGES, Content, Translator

__all__ = [
    "DAY_OF_SURGERY_TEXT",
    "FACT_FIELDS",
    "PLAN_UID_NAMESPACE",
    "CalendarWriter",
    "DayOfSurgeryLine",
    "PlanEntry",
    "day_of_surgery_lines",
    "item_uid",
    "make_plan",
    "parse_facts",
    "plan_calendar",
    "plan_document",
    "plan_entries",
    "plan_identity",
    "plan_language",
    "plan_text",
]

_REQUIRED = (
    "surgery_date",
    "sides",
    "procedures",
    "wheelchair_user",
    "attends_school",
    "sees_therapists",
)
_OPTIONAL = (
    "weight_bearing",
    "positioning_device",
    "language",
    "site",
    "surgeon",
    "admission_date",
    "expected_stay_days",
    "child_ref",
)
#: Every key a facts document may hold.
FACT_FIELDS: tuple[str, ...] = _REQUIRED + _OPTIONAL

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_BOOLEAN_FIELDS = ("wheelchair_user", "attends_school", "sees_therapists", "positioning_device")
_TEXT_FIELDS = ("sides", "weight_bearing", "language", "site", "surgeon", "child_ref")

#: Namespace of calendar UIDs (uuid5 over the plan identity and the item id). Never change it:
#: every family's subscribed calendar would then duplicate its events.
PLAN_UID_NAMESPACE = uuid.UUID("6f1c1c3e-8d0b-5b7e-9d2a-4c8e6a1f2b30")


#: The family's words for the day of surgery (msgids: ``content/family.toml`` holds each one,
#: so the catalogs translate them; tests/unit/test_family_journey.py checks it).
DAY_OF_SURGERY_TEXT: Mapping[str, str] = {
    "heading": "The day of the operation",
    "food": "No food after {time} on {day}.",
    "milk": "No milk after {time} on {day}.",
    "clear-fluids": (
        "Clear drinks, like water, are fine until {time} on {day}. After that, nothing to drink."
    ),
    "arrival": "Arrive at {time} on {day}. Go to: {place}.",
    "bring": "What to bring",
    "to_confirm": (
        "These times follow the hospital's usual plan. "
        "The clinical lead still needs to confirm them."
    ),
    "event-food": "Stop food now",
    "event-milk": "Stop milk now",
    "event-clear-fluids": "Stop clear drinks now",
    "event-arrival": "Arrive at the hospital",
}


@dataclass(frozen=True)
class DayOfSurgeryLine:
    """One timed step of the day of surgery in the family's language."""

    step: str
    """``food``, ``milk``, ``clear-fluids`` or ``arrival``."""
    moment: datetime.datetime
    """Naive: the site's local clock."""
    title: str
    text: str


def day_of_surgery_lines(
    day: DayOfSurgery, surgery_date: datetime.date, words: Translator
) -> tuple[DayOfSurgeryLine, ...]:
    """The day's timed steps, in time order, translated (a place from content is translated
    when the catalog has it; a clinician's own words are shown as typed)."""
    lines = []
    for step, moment in day.steps(surgery_date):
        text = words.gettext(DAY_OF_SURGERY_TEXT[step]).format(
            time=moment.strftime("%H:%M"),
            day=words.format_date(moment.date()),
            place=words.gettext(day.arrival_place),
        )
        title = words.gettext(DAY_OF_SURGERY_TEXT[f"event-{step}"])
        lines.append(DayOfSurgeryLine(step, moment, title, text))
    return tuple(lines)


def _date(value: object, field: str) -> datetime.date:
    if not isinstance(value, str) or not _ISO_DATE.match(value):
        raise InvalidInputError(field, f"{value!r} is not a date written YYYY-MM-DD")
    try:
        return datetime.date.fromisoformat(value)
    except ValueError:
        raise InvalidInputError(field, f"{value!r} is not a real calendar date") from None


def parse_facts(data: object, *, content: Content) -> CareFacts:
    """Validated :class:`CareFacts` from a JSON-shaped facts document (sites and surgeons
    checked against ``content``).

    Raises :class:`InvalidInputError` naming the field for an unknown key, a missing required
    key, a wrong type, a bad date, an unknown site, surgeon or language.
    """
    if not isinstance(data, Mapping):
        raise InvalidInputError("facts", 'must be a JSON object such as {"surgery_date": ...}')
    for key in data:
        if key not in FACT_FIELDS:
            raise InvalidInputError(
                str(key), f"unknown field; facts may hold {', '.join(FACT_FIELDS)}"
            )
    for key in _REQUIRED:
        if key not in data:
            raise InvalidInputError(key, "is missing")
    for key in _BOOLEAN_FIELDS:
        if key in data and not isinstance(data[key], bool):
            raise InvalidInputError(key, f"must be true or false, not {data[key]!r}")
    for key in _TEXT_FIELDS:
        if key in data and not isinstance(data[key], str):
            raise InvalidInputError(key, f"must be text, not {data[key]!r}")
    procedures = data["procedures"]
    if not isinstance(procedures, list) or not all(isinstance(p, str) for p in procedures):
        raise InvalidInputError("procedures", 'must be a list of texts such as ["vdro", "dega"]')
    stay = data.get("expected_stay_days")
    if stay is not None and (isinstance(stay, bool) or not isinstance(stay, int)):
        raise InvalidInputError("expected_stay_days", f"must be a whole number, not {stay!r}")
    language = data.get("language", "en")
    if language not in LANGUAGES:
        raise InvalidInputError(
            "language", f"unknown language {language!r}; choose one of: {', '.join(LANGUAGES)}"
        )
    site = data.get("site")
    if site is not None:
        content.site(site, "site")
    surgeon = data.get("surgeon")
    if surgeon is not None:
        content.surgeon(surgeon, "surgeon")
    admission = data.get("admission_date")
    return CareFacts(
        surgery_date=_date(data["surgery_date"], "surgery_date"),
        sides=data["sides"],
        procedures=tuple(procedures),
        wheelchair_user=data["wheelchair_user"],
        attends_school=data["attends_school"],
        sees_therapists=data["sees_therapists"],
        weight_bearing=data.get("weight_bearing"),
        positioning_device=data.get("positioning_device"),
        language=language,
        site=site,
        surgeon=surgeon,
        admission_date=_date(admission, "admission_date") if admission is not None else None,
        expected_stay_days=stay,
        child_ref=data.get("child_ref"),
    )


def make_plan(
    facts: CareFacts, *, content: Content, starts_on: datetime.date | None = None
) -> CarePlan:
    """The child's dated plan from the shipped pathway, their site and surgeon (no task due
    before ``starts_on``, the day the plan started, when given)."""
    surgeon = content.surgeon(facts.surgeon) if facts.surgeon is not None else None
    site_name = content.site(facts.site).name if facts.site is not None else None
    return personalise(
        content.pathway, facts, surgeon=surgeon, site_name=site_name, starts_on=starts_on
    )


def plan_language(plan: CarePlan, lang: str | None, *, content: Content) -> Translator:
    """The translator for ``lang``, or for the facts' language when ``lang`` is None."""
    return content.words(lang if lang is not None else plan.facts.language)


def plan_entries(plan: CarePlan, words: Translator) -> tuple[PlanEntry, ...]:
    """Every item of ``plan`` in the language of ``words``, in plan order (by date)."""
    titles = {phase.phase: words.gettext(phase.title) for phase in plan.phases}
    dates: dict[datetime.date, str] = {}

    def filled(item: PlannedItem) -> dict[str, object]:
        values: dict[str, object] = {}
        for name, value in item.params.items():
            if isinstance(value, datetime.date):
                if value not in dates:
                    dates[value] = words.format_date(value)
                values[name] = dates[value]
            else:
                values[name] = value
        return values

    entries = []
    for item in plan.items:
        params = filled(item)
        # The engine guarantees params hold every placeholder of the English text, and the
        # translator only uses a translation with exactly the same placeholders.
        entries.append(
            PlanEntry(
                id=item.id,
                phase=item.phase.value,
                phase_title=titles[item.phase],
                date=item.date,
                recurrence=item.recurrence.value if item.recurrence else None,
                until=item.until,
                owner=item.owner.value,
                title=words.gettext(item.title_msgid),
                text=words.gettext(item.msgid).format(**params),
                bullets=tuple(words.gettext(b).format(**params) for b in item.bullet_msgids),
                status=item.status.value,
                timing_status=item.timing_status.value,
                to_be_confirmed=item.to_be_confirmed,
                kind=item.kind.value,
            )
        )
    return tuple(entries)


def plan_identity(facts: CareFacts) -> str:
    """A stable identity of a child's plan that does NOT include the surgery date.

    With ``child_ref`` (an opaque reference a service chooses): ``child:<site>:<child_ref>``.
    Without it: the site, surgeon, sides and procedures. Postponing the operation keeps the
    identity, so calendar UIDs stay the same and a subscribed calendar moves its events
    instead of duplicating them. Two children with identical facts and no ``child_ref`` share
    an identity; a service that publishes several children's calendars must set ``child_ref``.
    """
    site = facts.site or "-"
    if facts.child_ref is not None:
        return f"child:{site}:{facts.child_ref}"
    procedures = "+".join(sorted(p.value for p in facts.procedures))
    return f"facts:{site}:{facts.surgeon or '-'}:{facts.sides.value}:{procedures}"


def item_uid(facts: CareFacts, item_id: str) -> str:
    """The calendar UID of one item: uuid5 over the plan identity and the item id."""
    return f"{uuid.uuid5(PLAN_UID_NAMESPACE, f'{plan_identity(facts)}/{item_id}')}@hipcare"


def plan_document(plan: CarePlan, words: Translator) -> dict[str, Any]:
    """The ``hipcare plan --json`` document: ``{"items": [...]}`` plus plan-level fields."""
    return {
        "items": [
            {
                "id": entry.id,
                "kind": entry.kind,
                "phase": entry.phase,
                "date": entry.date.isoformat(),
                "recurrence": entry.recurrence,
                "until": entry.until.isoformat() if entry.until else None,
                "owner": entry.owner,
                "title": entry.title,
                "text": entry.full_text,
                "status": entry.status,
                "timing_status": entry.timing_status,
                "to_be_confirmed_by_clinical_lead": entry.to_be_confirmed,
            }
            for entry in plan_entries(plan, words)
        ],
        "language": words.code,
        "direction": words.direction,
        "surgery_date": plan.surgery_date.isoformat(),
        "admission_date": plan.admission_date.isoformat(),
        "discharge_date": plan.discharge_date.isoformat(),
        "expected_stay_days": plan.expected_stay_days,
        "weight_bearing": plan.weight_bearing.value,
        "positioning_device": plan.positioning_device,
        "surgeon": plan.surgeon_id,
        "site": plan.facts.site,
    }


def plan_text(plan: CarePlan, words: Translator, *, content: Content) -> str:
    """The plan for reading: grouped by phase, each item with its date and who acts.

    Items whose timing is local protocol carry ``*`` and the note that the clinical lead still
    has to confirm them; a site with example contact details says so.
    """
    pathway = content.pathway
    entries = plan_entries(plan, words)
    lines = [words.gettext(pathway.title), ""]
    for phase in plan.phases:
        in_phase = [e for e in entries if e.phase == phase.phase.value]
        if not in_phase:
            continue
        lines.append(f"== {words.gettext(phase.title)} ==")
        for entry in in_phase:
            mark = " *" if entry.to_be_confirmed else ""
            done = " [done]" if entry.status == ItemStatus.DONE.value else ""
            when = "" if entry.is_information else words.format_date(entry.date)
            if entry.recurrence is not None and entry.until is not None:
                when += f" .. {words.format_date(entry.until)} ({entry.recurrence})"
            if entry.is_information:
                lines.append(f"[{entry.owner}] {entry.title}")
            else:
                lines.append(f"{when}{mark}  [{entry.owner}] {entry.title}{done}")
            lines.extend(f"    {line}" for line in entry.full_text.splitlines())
        lines.append("")
    if any(e.to_be_confirmed for e in entries):
        lines.append(f"* {words.gettext(pathway.local_protocol_note)}")
    if plan.facts.site is not None and content.site(plan.facts.site).example_data:
        lines.append(words.gettext(pathway.example_data_note))
    return "\n".join(lines).rstrip("\n") + "\n"


class CalendarWriter(Protocol):
    """Writes events as a calendar file (the entry point passes
    :func:`hipcare.render.calendar.render_calendar`)."""

    def __call__(
        self,
        events: Sequence[CalendarEvent],
        *,
        dtstamp: datetime.datetime,
        name: str,
        language: str,
    ) -> bytes: ...


def plan_calendar(
    plan: CarePlan,
    words: Translator,
    dtstamp: datetime.datetime,
    *,
    write: CalendarWriter,
    content: Content,
    day_of_surgery: DayOfSurgery | None = None,
    zone: datetime.tzinfo = datetime.UTC,
) -> bytes:
    """The plan as an iCalendar file: one all-day event per item, in the language of ``words``
    (written by ``write``).

    UIDs come from :func:`item_uid`, so they survive postponement; recurring items repeat
    daily (or weekly) up to and including their end day. Local-protocol items say that the
    clinical lead still has to confirm the date. Information items are left out (they have
    no day). With ``day_of_surgery``, its timed steps (fasting stops, arrival) are timed
    events in ``zone`` (the site's time zone), each with its alarm.
    """
    from hipcare.domain.pathway import Recurrence

    pathway = content.pathway
    note = words.gettext(pathway.local_protocol_note)
    events = []
    for item, entry in zip(plan.items, plan_entries(plan, words), strict=True):
        if entry.is_information:
            continue  # read in the plan and the booklet; it has no day to put in a calendar
        description = entry.full_text
        if entry.to_be_confirmed:
            description += f"\n\n* {note}"
        events.append(
            CalendarEvent(
                uid=item_uid(plan.facts, entry.id),
                summary=entry.title,
                description=description,
                start=entry.date,
                interval_days=Recurrence(entry.recurrence).interval_days
                if entry.recurrence is not None
                else None,
                until=entry.until,
                categories=(entry.phase_title,),
                language=words.code if words.has_translation(item.msgid) else "en",
            )
        )
    if day_of_surgery is not None:
        for line in day_of_surgery_lines(day_of_surgery, plan.surgery_date, words):
            description = line.text
            if line.step == "arrival" and day_of_surgery.what_to_bring:
                things = "\n".join(f"- {words.gettext(t)}" for t in day_of_surgery.what_to_bring)
                description += f"\n\n{words.gettext(DAY_OF_SURGERY_TEXT['bring'])}:\n{things}"
            if day_of_surgery.to_be_confirmed:
                description += f"\n\n* {words.gettext(DAY_OF_SURGERY_TEXT['to_confirm'])}"
            events.append(
                CalendarEvent(
                    uid=item_uid(plan.facts, f"day-of-surgery-{line.step}"),
                    summary=line.title,
                    description=description,
                    start=line.moment.replace(tzinfo=zone).astimezone(datetime.UTC),
                    language=words.code,
                )
            )
    return write(events, dtstamp=dtstamp, name=words.gettext(pathway.title), language=words.code)
