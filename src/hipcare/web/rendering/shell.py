"""The clinician pages' shell: the template environment, a page with its shell's values, an
error page in words, the session cookie, and the rules in words. The shipped content
(rules, pathway, sites) is handed in from ``WebContext.content`` (read once by ``create_app``).

Route modules (``hipcare.web.routes``) share these through :mod:`hipcare.web.rendering`;
they never import one another.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from functools import partial
from typing import Any
from urllib.parse import quote
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from hipcare import __version__
from hipcare.domain.alert_title import alert_kind_in_words, alert_title
from hipcare.domain.records import Role
from hipcare.domain.surveillance import RuleStatus, SurveillanceRules
from hipcare.services.accounts import SessionUser, signed_in_user
from hipcare.services.journey import staff_sites
from hipcare.services.ports.family import StoredDiaryEntry
from hipcare.services.radiographs import visible_readings
from hipcare.web.context import SESSION_COOKIE, WebContext, web_context

__all__ = [
    "alert_in_words",
    "choose_site_page",
    "error_page",
    "local_time",
    "page",
    "rule_status",
    "rule_title",
    "set_session_cookie",
    "sign_in_url",
    "site_timezone",
    "template_environment",
    "user_id",
]


def template_environment(rules: SurveillanceRules) -> Environment:
    """The app's Jinja2 templates, with the helpers the child page's sections and the
    worklist call (``rule_status`` and ``rule_title`` over ``rules``, ``markup``,
    ``visible_readings``)."""
    environment = Environment(
        loader=PackageLoader("hipcare.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
        # The templates ship inside the package: checking their files' times on every
        # render (Jinja's default) cost each page a handful of stat calls for nothing.
        auto_reload=False,
    )
    environment.globals["version"] = __version__
    environment.globals.update(
        rule_status=partial(rule_status, rules),
        rule_title=partial(rule_title, rules),
        local_time=local_time,
        markup=Markup,
        visible_readings=visible_readings,
    )
    return environment


def page(
    request: Request,
    template: str,
    values: Mapping[str, Any],
    *,
    user: SessionUser | None = None,
    status: int = 200,
) -> HTMLResponse:
    """A clinician page: ``template`` with the shell's values (the path for navigation, the
    user, their CSRF token, whether they administer a site) and ``values``."""
    context = web_context(request)
    page_values = {
        "request_path": request.url.path,
        "user": None if user is None else user.user,
        "csrf_token": None if user is None else user.csrf_token,
        "is_administrator": user is not None and user.user.role is Role.SITE_ADMINISTRATOR,
        **values,
    }
    return HTMLResponse(context.render(template, page_values), status_code=status)


def error_page(request: Request, status: int, title: str, message: str) -> HTMLResponse:
    """A page that explains a refusal in words (never a traceback)."""
    context = web_context(request)
    user = signed_in_user(
        context.unit_of_work(),
        request.cookies.get(SESSION_COOKIE),
        now=context.now(),
        policy=context.policy,
    )
    return page(
        request, "error.html", {"title": title, "message": message}, user=user, status=status
    )


def sign_in_url(target: str) -> str:
    """The sign-in page that returns to ``target`` afterwards."""
    return "/sign-in?next=" + quote(target, safe="/")


def user_id(user: SessionUser) -> int:
    """The signed-in user's id (the actor every use case is given)."""
    if user.user.id is None:  # pragma: no cover -- a signed-in user is stored
        raise ValueError("a signed-in user has an id")
    return user.user.id


def set_session_cookie(response: Response, token: str, context: WebContext) -> None:
    """The session cookie: HttpOnly, SameSite=Lax, Secure when served over https."""
    response.set_cookie(
        SESSION_COOKIE,
        token,
        httponly=True,
        samesite="lax",
        secure=context.settings.secure_cookies,
        path="/",
    )


def choose_site_page(
    request: Request, user: SessionUser, context: WebContext, what: str, title: str
) -> Response:
    """Straight on to ``/sites/<id>/<what>`` for one site; otherwise a page to choose one."""
    sites = staff_sites(context.unit_of_work(), user_id(user))
    if len(sites) == 1:
        return RedirectResponse(f"/sites/{sites[0].id}/{what}", status_code=303)
    return page(
        request,
        "clinical/choose_site.html",
        {"sites": sites, "what": what, "title": title},
        user=user,
    )


def rule_title(rules: SurveillanceRules, rule_id: str) -> str:
    """The rule in words (``surveillance.toml``'s ``title``); the id for an unknown rule."""
    rule = rules.by_id(rule_id)
    return rule_id if rule is None or not rule.title else rule.title


def site_timezone(context: WebContext, site_id: str | None) -> str:
    """The site's time zone (``sites.toml``); ``HIPCARE_TIMEZONE`` for an unknown site."""
    return context.site_timezone(site_id)


def local_time(moment: datetime | None, zone: str, pattern: str = "%Y-%m-%d %H:%M") -> str:
    """``moment`` written in the time zone ``zone``, with the zone's abbreviation
    ("2026-03-02 19:34 AEDT"); empty for None."""
    if moment is None:
        return ""
    local = moment.astimezone(ZoneInfo(zone))
    return f"{local.strftime(pattern)} {local.tzname() or zone}"


def alert_in_words(kind: str, diary_entry: StoredDiaryEntry | None, zone: str) -> str:
    """An alert's title in words with the value the family wrote ("Pain 8 of 10, written
    19:34", the site's clock), or its kind in words when no diary entry raised it."""
    if diary_entry is None:
        return alert_kind_in_words(kind)
    written = diary_entry.recorded_at.astimezone(ZoneInfo(zone)).strftime("%H:%M")
    return alert_title(diary_entry.kind, diary_entry.data, written)


def rule_status(rules: SurveillanceRules, rule_id: str) -> str | None:
    """ "guideline" or "local protocol" (to be confirmed by the clinical lead) for a rule."""
    rule = rules.by_id(rule_id)
    if rule is None:
        return None
    return "local protocol" if rule.citation.status is RuleStatus.LOCAL_PROTOCOL else "guideline"
