"""``hipcare serve`` believes ``X-Forwarded-For`` only from ``HIPCARE_TRUSTED_PROXIES``
(issue 13): by default not even from 127.0.0.1, so a local sender that makes up a new client
address for each wrong guess is still slowed down as one address."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import requests
from tests.e2e.browser import Server

pytestmark = [pytest.mark.e2e]

FREE_PER_ADDRESS = 10


def _guesses(server: Server) -> list[int]:
    """Wrong sign-ins for made-up accounts, each claiming another client address."""
    statuses = []
    for number in range(FREE_PER_ADDRESS + 2):
        answer = requests.post(
            server.url("/api/sign-in"),
            json={"email": f"guess{number}@example.org", "password": "not the password"},
            headers={"X-Forwarded-For": f"198.51.100.{number + 1}"},
            timeout=30,
        )
        statuses.append(answer.status_code)
        if answer.status_code == 429:
            assert int(answer.headers["retry-after"]) >= 1
    return statuses


def test_forwarded_addresses_are_ignored_unless_the_proxy_is_trusted(
    start_server: Callable[..., Server],
) -> None:
    untrusted = _guesses(start_server())
    assert untrusted[:FREE_PER_ADDRESS] == [401] * FREE_PER_ADDRESS
    assert 429 in untrusted[FREE_PER_ADDRESS:], "all guesses count against 127.0.0.1"
    trusted = _guesses(start_server(environ_extra={"HIPCARE_TRUSTED_PROXIES": "127.0.0.1"}))
    assert trusted == [401] * (FREE_PER_ADDRESS + 2), "each forwarded address counts alone"
