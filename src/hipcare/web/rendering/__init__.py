"""What the web app's route modules share: templates, page shells, the child's page and the
family pages' language (one public surface; ``hipcare.web.routes`` modules import from here
and never from one another).

- :mod:`hipcare.web.rendering.shell`: the template environment, a clinician page, an error
  page, the session cookie, the rules in words (the content comes from ``WebContext.content``).
- :mod:`hipcare.web.rendering.child_page`: the child's page body and its page cache (the
  page's own route and a refused change to an operation both show it).
- :mod:`hipcare.web.rendering.family`: the family pages' language, words and shell, and the
  diary as the care team reads it.
- :mod:`hipcare.web.rendering.invitation_email`: the invitation email.
"""

from __future__ import annotations

from hipcare.web.rendering.child_page import (
    CSRF_PLACEHOLDER,
    PROCEDURE_NAMES,
    CareItemView,
    OperationView,
    child_page_response,
    operation_views,
    render_child_page,
)
from hipcare.web.rendering.family import (
    LANGUAGE_COOKIE,
    SKIN_CHOICES,
    StaffDiary,
    Words,
    diary_outcome,
    family_language,
    family_page,
    render_family_page,
    respond_in_language,
    staff_diary,
)
from hipcare.web.rendering.invitation_email import invitation_email
from hipcare.web.rendering.shell import (
    alert_in_words,
    choose_site_page,
    error_page,
    local_time,
    page,
    rule_status,
    rule_title,
    set_session_cookie,
    sign_in_url,
    site_timezone,
    template_environment,
    user_id,
)

__all__ = [
    "CSRF_PLACEHOLDER",
    "LANGUAGE_COOKIE",
    "PROCEDURE_NAMES",
    "SKIN_CHOICES",
    "CareItemView",
    "OperationView",
    "StaffDiary",
    "Words",
    "alert_in_words",
    "child_page_response",
    "choose_site_page",
    "diary_outcome",
    "error_page",
    "family_language",
    "family_page",
    "invitation_email",
    "local_time",
    "operation_views",
    "page",
    "render_child_page",
    "render_family_page",
    "respond_in_language",
    "rule_status",
    "rule_title",
    "set_session_cookie",
    "sign_in_url",
    "site_timezone",
    "staff_diary",
    "template_environment",
    "user_id",
]
