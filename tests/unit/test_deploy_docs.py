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


def test_single_sign_on_is_said_to_be_not_yet_implemented() -> None:
    """No OIDC setting exists in the code, and the page says so instead of naming any."""
    assert "## Single sign-on (OpenID Connect): not yet implemented" in DEPLOY
    assert not [name for name in ENVIRONMENT_VARIABLES if name.startswith("HIPCARE_OIDC_")]
