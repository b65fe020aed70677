"""docs/deploy.md, the IT team's page, names every setting and metric the code has, and says
plainly what is not implemented."""

from __future__ import annotations

import re
from pathlib import Path

from hipcare.services.family.reminders import SMTP_SETTINGS
from hipcare.settings import ENVIRONMENT_VARIABLES
from hipcare.web.routes.monitoring import Metrics

DEPLOY = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_for_deployment() -> None:
    """Every variable Settings and the reminder sender read is named in docs/deploy.md."""
    documented = set(re.findall(r"HIPCARE_[A-Z_]+[A-Z]", DEPLOY))
    assert sorted((set(ENVIRONMENT_VARIABLES) | set(SMTP_SETTINGS)) - documented) == []


def test_every_metric_is_documented() -> None:
    names = {family.name for family in Metrics().registry.collect()}
    assert sorted(name for name in names if name not in DEPLOY) == []


def test_single_sign_on_has_its_section_with_every_oidc_setting() -> None:
    """The OpenID Connect section names each HIPCARE_OIDC_* setting the code reads."""
    section = DEPLOY.split("## Single sign-on (OpenID Connect)\n", 1)[1].split("\n## ", 1)[0]
    names = [name for name in ENVIRONMENT_VARIABLES if name.startswith("HIPCARE_OIDC_")]
    assert len(names) == 6
    assert [name for name in names if f"`{name}`" not in section] == []
    assert "/sign-in/oidc/callback" in section
