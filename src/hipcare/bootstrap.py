"""The one wiring point for shipped content: :func:`load_content` reads it once.

The entry points (:func:`hipcare.web.create_app`, the ``hipcare`` commands that need it)
call :func:`load_content` and hand the :class:`LoadedContent`, or the one value a use case
needs, to the services; services, the web app's modules (routes and rendering; all but
``web/app.py``) and the renderers never call a content loader
(``tests/unit/test_wiring.py``; model: cosmicpython ``src/allocation/bootstrap.py``). The
loaders are cached, so a second call costs nothing. Translations are read on first use of a
language (each catalog once per process); the radiograph preview command, which needs no
content, never calls this (ADR 0011).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from functools import cache, cached_property

from hipcare.content.alert_escalation import load_alert_escalation
from hipcare.content.booklet import BookletText, load_booklet_text
from hipcare.content.diary import load_diary_rules
from hipcare.content.family import load_family_words
from hipcare.content.i18n import Language, Translator, languages, translator
from hipcare.content.osteotomy import load_osteotomy_rules
from hipcare.content.outcomes import OutcomeContent, load_outcome_content
from hipcare.content.pathway import load_pathway, load_surgeons
from hipcare.content.referral import load_referral_protocol
from hipcare.content.sites import Site, load_sites
from hipcare.content.surveillance import load_surveillance_rules
from hipcare.domain.alert_routes import AlertEscalation
from hipcare.domain.diary import DiaryRules
from hipcare.domain.errors import InvalidInputError
from hipcare.domain.osteotomy import OsteotomyRules
from hipcare.domain.pathway import Pathway, SurgeonPreferences
from hipcare.domain.referral import ReferralProtocol
from hipcare.domain.surveillance import SurveillanceRules
from hipcare.services.operations import PathwayContent

__all__ = ["LoadedContent", "load_content"]


@dataclass(frozen=True)
class LoadedContent:
    """The shipped content, read once: satisfies ``hipcare.services.ports.content.Content``."""

    surveillance_rules: SurveillanceRules
    pathway: Pathway
    surgeons: tuple[SurgeonPreferences, ...]
    sites: tuple[Site, ...]
    diary_rules: DiaryRules
    osteotomy_rules: OsteotomyRules
    booklet_text: BookletText
    languages: tuple[Language, ...]
    referral_protocol: ReferralProtocol
    outcome_content: OutcomeContent
    alert_escalation: AlertEscalation
    family_words: Mapping[str, str]
    """The family pages' English strings by key (``family.toml``'s ``[ui]``)."""
    translate: Callable[[str], Translator] = field(repr=False, compare=False)

    def words(self, code: str) -> Translator:
        """The translator for ``code``; ``InvalidInputError("lang", ...)`` if unknown."""
        return self.translate(code)

    def site(self, site_id: str, field: str = "site") -> Site:
        """The site with this id, or ``InvalidInputError(field, ...)`` listing the known ids."""
        for site in self.sites:
            if site.id == site_id:
                return site
        known = ", ".join(site.id for site in self.sites)
        raise InvalidInputError(field, f"unknown site {site_id!r}; known sites: {known}")

    def surgeon(self, surgeon_id: str, field: str = "surgeon") -> SurgeonPreferences:
        """The surgeon with this id, or ``InvalidInputError(field, ...)`` listing the ids."""
        for surgeon in self.surgeons:
            if surgeon.id == surgeon_id:
                return surgeon
        known = ", ".join(s.id for s in self.surgeons)
        raise InvalidInputError(field, f"unknown surgeon {surgeon_id!r}; known surgeons: {known}")

    @cached_property
    def sites_by_id(self) -> Mapping[str, Site]:
        """Every site by id."""
        return {site.id: site for site in self.sites}

    @cached_property
    def pathway_content(self) -> PathwayContent:
        """The pathway, the surgeons' profiles and the sites' names, as the operation and
        family use cases take them."""
        return PathwayContent.of(
            self.pathway,
            self.surgeons,
            {site.id: site.name for site in self.sites},
            {site.id: site.day_of_surgery for site in self.sites if site.day_of_surgery},
        )


@cache
def load_content() -> LoadedContent:
    """Every piece of shipped content (``hipcare/content/*.toml``), read once per process."""
    return LoadedContent(
        surveillance_rules=load_surveillance_rules(),
        pathway=load_pathway(),
        surgeons=load_surgeons(),
        sites=load_sites(),
        diary_rules=load_diary_rules(),
        osteotomy_rules=load_osteotomy_rules(),
        booklet_text=load_booklet_text(),
        languages=languages(),
        referral_protocol=load_referral_protocol(),
        outcome_content=load_outcome_content(),
        alert_escalation=load_alert_escalation(),
        family_words=load_family_words(),
        translate=translator,
    )
