"""The family pages' shell: the family's language, the words of ``content/family.toml`` (as
``WebContext.content.family_words``), a page with the shell's values, what the family is
told after a diary entry, and the diary as the care team reads it on the child's page.

Every family page is in the family's language (``?lang=`` or the language cookie, else the
child's preferred language), right-to-left for Arabic and Persian, from the same gettext
catalogs as the booklet.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse

from hipcare.content.i18n import LANGUAGES, Language, Translator
from hipcare.content.sites import Site
from hipcare.domain.diary import Assessment, SkinFinding
from hipcare.domain.records import Child
from hipcare.services.accounts import SessionUser
from hipcare.services.family import StoredDiaryEntry
from hipcare.web.auth import CSRF_FIELD
from hipcare.web.context import web_context

__all__ = [
    "LANGUAGE_COOKIE",
    "SKIN_CHOICES",
    "StaffDiary",
    "Words",
    "diary_outcome",
    "family_language",
    "family_page",
    "render_family_page",
    "respond_in_language",
    "staff_diary",
]

LANGUAGE_COOKIE = "hipcare_lang"

SKIN_CHOICES = (
    (SkinFinding.NO_RED_AREAS, "skin_no_red"),
    (SkinFinding.RED_FADES, "skin_red_fades"),
    (SkinFinding.RED_DOES_NOT_FADE, "skin_red_stays"),
    (SkinFinding.BROKEN_SKIN, "skin_broken"),
    (SkinFinding.DEEP_WOUND, "skin_deep"),
    (SkinFinding.DARK_PURPLE, "skin_dark"),
)
"""The skin findings the diary offers, with the key of their words in ``family.toml``."""


class Words:
    """The page's translator, with the family strings by key: ``t("save")`` (``strings``:
    ``WebContext.content.family_words``)."""

    def __init__(self, words: Translator, strings: Mapping[str, str]) -> None:
        self.words = words
        self.strings = strings

    def __call__(self, key: str, **params: object) -> str:
        msgid = self.strings[key]
        return self.words.format(msgid, **params) if params else self.words.gettext(msgid)

    def text(self, msgid: str) -> str:
        return self.words.gettext(msgid)

    def date(self, day: dt.date) -> str:
        return _long_date(self.words.language, day)


@lru_cache(maxsize=8192)
def _long_date(language: Language, day: dt.date) -> str:
    """``day`` as the language writes it (Babel's CLDR formatting is slow; a page shows a
    dozen dates, the same ones all day). The format depends on the language only, so no
    catalog is needed."""
    return Translator(language=language, messages={}).format_date(day)


def family_language(request: Request, child: Child | None = None) -> Translator:
    """The language asked for (``?lang=``, else the cookie), else the child's, else English
    (the translators of the app's ``WebContext.content``)."""
    words = web_context(request).content.words
    asked = request.query_params.get("lang") or request.cookies.get(LANGUAGE_COOKIE)
    if asked in LANGUAGES:
        return words(asked)
    if child is not None and child.preferred_language in LANGUAGES:
        return words(child.preferred_language)
    return words("en")


def family_page(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    user: SessionUser | None,
    words: Translator,
    status: int = 200,
) -> HTMLResponse:
    """A family page in ``words``' language, for ``user`` (or no one: an invitation)."""
    html = render_family_page(
        request,
        template,
        values,
        user=user,
        csrf_token=None if user is None else user.csrf_token,
        words=words,
    )
    return respond_in_language(request, html, words, status)


def render_family_page(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    user: SessionUser | None,
    csrf_token: str | None,
    words: Translator,
) -> str:
    """A family page's HTML: the template with the shell's values (language, direction,
    language menu, the request path for navigation, the user and their CSRF token)."""
    context = web_context(request)
    path = request.url.path
    child = values.get("child")
    # A language hipcare has no text for is kept as the family gave it (never rewritten as
    # English) and said so on every page shown in English instead (issue 15).
    unavailable = (
        child.preferred_language
        if isinstance(child, Child)
        and child.preferred_language not in LANGUAGES
        and words.code == "en"
        else None
    )
    page_values = {
        "unavailable_language": unavailable,
        "t": Words(words, context.content.family_words),
        "lang": words.code,
        "dir": words.direction,
        "languages": [
            (language.code, language.native_name) for language in context.content.languages
        ],
        "request_path": path,
        "switch_url": lambda code: f"/family/language?lang={code}&next={quote(path, safe='/')}",
        "user": None if user is None else user.user,
        "csrf_token": csrf_token,
        "csrf_field": CSRF_FIELD,
        "local": lambda moment: moment.astimezone(ZoneInfo(context.settings.timezone)),
        **values,
    }
    return context.render(template, page_values)


def respond_in_language(
    request: Request, html: str, words: Translator, status: int = 200
) -> HTMLResponse:
    """The page, remembering a language asked for with ``?lang=`` in a cookie."""
    context = web_context(request)
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(
            LANGUAGE_COOKIE,
            words.code,
            httponly=True,
            samesite="lax",
            path="/",
            secure=context.settings.secure_cookies,
        )
    return response


def _contacts(site: Site | None, roles: tuple[str, ...]) -> list[Any]:
    if site is None:
        return []
    contacts = [site.contact(role) for role in roles]
    return [contact for contact in contacts if contact is not None]


def diary_outcome(
    child: Child, assessment: Assessment, words: Translator, sites: Mapping[str, Site]
) -> dict[str, Any]:
    """What the family is told at once after saving an entry (the contacts of the child's
    site among ``sites``, ``WebContext.content.sites_by_id``)."""
    site = sites.get(child.site_id)
    return {
        "urgency": assessment.urgency.value,
        "raises_alert": assessment.raises_alert,
        "advice": [words.gettext(advice) for advice in assessment.advice],
        "contacts": [
            {
                "label": words.gettext(contact.label),
                "phone": contact.phone,
                "hours": words.gettext(contact.hours),
            }
            for contact in _contacts(site, assessment.contact_roles)
        ],
        "to_be_confirmed": assessment.to_be_confirmed,
        "example_contacts": bool(site and site.example_data),
    }


@dataclass(frozen=True)
class StaffDiary:
    """The family diary as the child's care team reads it on the child's page."""

    entries: list[StoredDiaryEntry]
    descriptors: dict[str, str]
    skin_labels: Mapping[str, str]


def staff_diary(
    entries: Sequence[StoredDiaryEntry],
    descriptors: Mapping[str, str],
    strings: Mapping[str, str],
) -> StaffDiary:
    """The child page's diary section for a clinician of the child's site, from what the
    child page's use case read (``hipcare.services.journey.open_child_page``, which audits
    the page's read as ``child.read``); the skin findings in English from ``strings``
    (``WebContext.content.family_words``)."""
    english = {choice.value: strings[key] for choice, key in SKIN_CHOICES}
    return StaffDiary(entries=list(entries), descriptors=dict(descriptors), skin_labels=english)
