"""The clinical content the use cases are handed: rules, pathway, sites, text, translations.

The entry points load it once (:func:`hipcare.bootstrap.load_content`) and pass it, or the
one value a use case needs (``SurveillanceRules``, ``DiaryRules``), to the services; the
services never call a content loader themselves (``tests/unit/test_wiring.py``).

``Site``, ``BookletText``, ``Translator`` and ``LANGUAGES`` are the content package's value
types, re-exported here so that this module is the services' one door into
``hipcare.content`` (an import-linter ignore names it, with its reason).
"""

from __future__ import annotations

from typing import Protocol

from hipcare.content.booklet import BookletText
from hipcare.content.i18n import LANGUAGES, Language, Translator
from hipcare.content.outcomes import OutcomeContent
from hipcare.content.sites import Site
from hipcare.domain.diary import DiaryRules
from hipcare.domain.osteotomy import OsteotomyRules
from hipcare.domain.pathway import Pathway, SurgeonPreferences
from hipcare.domain.referral import ReferralProtocol
from hipcare.domain.surveillance import SurveillanceRules

__all__ = ["LANGUAGES", "BookletText", "Content", "Language", "Site", "Translator"]


class Content(Protocol):
    """Every piece of shipped content a use case may need (read once by the entry point)."""

    @property
    def surveillance_rules(self) -> SurveillanceRules: ...
    @property
    def pathway(self) -> Pathway: ...
    @property
    def surgeons(self) -> tuple[SurgeonPreferences, ...]: ...
    @property
    def sites(self) -> tuple[Site, ...]: ...
    @property
    def diary_rules(self) -> DiaryRules: ...
    @property
    def osteotomy_rules(self) -> OsteotomyRules: ...
    @property
    def booklet_text(self) -> BookletText: ...
    @property
    def languages(self) -> tuple[Language, ...]: ...
    @property
    def referral_protocol(self) -> ReferralProtocol: ...
    @property
    def outcome_content(self) -> OutcomeContent: ...

    def words(self, code: str) -> Translator:
        """The translator for ``code``; ``InvalidInputError("lang", ...)`` if unknown."""
        ...

    def site(self, site_id: str, field: str = "site") -> Site:
        """The site with this id, or ``InvalidInputError(field, ...)`` listing the known ids."""
        ...

    def surgeon(self, surgeon_id: str, field: str = "surgeon") -> SurgeonPreferences:
        """The surgeon with this id, or ``InvalidInputError(field, ...)`` listing the ids."""
        ...
