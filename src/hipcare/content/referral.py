"""Load the referral protocol (``referral.toml``): weeks to be seen in clinic, with its source."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources

from hipcare.domain.errors import InvalidInputError
from hipcare.domain.referral import ReferralProtocol

__all__ = ["load_referral_protocol"]

_STATUSES = ("guideline", "local-protocol")


@cache
def load_referral_protocol() -> ReferralProtocol:
    """The packaged protocol; refuses one without a source, a known status, or (local
    protocol) a note."""
    text = resources.files("hipcare.content").joinpath("referral.toml").read_text("utf-8")
    table = tomllib.loads(text)
    status = table.get("status")
    if status not in _STATUSES:
        raise InvalidInputError("status", f"must be one of {', '.join(_STATUSES)}")
    if status == "local-protocol" and not str(table.get("note", "")).strip():
        raise InvalidInputError("note", "a local-protocol number needs a note")
    weeks = table.get("seen_within_weeks")
    if not isinstance(weeks, int):
        raise InvalidInputError("seen_within_weeks", "must be a whole number of weeks")
    return ReferralProtocol(
        seen_within_weeks=weeks,
        source=str(table.get("source", "")),
        local_protocol=status == "local-protocol",
    )
