"""``/api/docs`` in Chromium with the app's Content-Security-Policy in force (issue 13): Swagger
UI loads from the app's own static files, shows the operations and logs no CSP violation."""

from __future__ import annotations

from typing import Any

import pytest
from tests.e2e.browser import SCREENSHOTS, Server

pytestmark = [pytest.mark.e2e]


def test_the_api_docs_work_under_the_csp_with_no_violation(
    browser: Any, sqlite_server: Server
) -> None:
    """No CSP bypass here (unlike the other browser tests): the page must work as served."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    messages: list[str] = []
    page.on("console", lambda message: messages.append(f"{message.type}: {message.text}"))
    page.on("pageerror", lambda error: messages.append(f"pageerror: {error}"))
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    missing: list[str] = []
    page.on("response", lambda answer: answer.status >= 400 and missing.append(answer.url))
    try:
        response = page.goto(sqlite_server.url("/api/docs"))
        assert response is not None
        assert response.status == 200
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_selector(".opblock", timeout=20_000)
        assert page.locator(".opblock").count() >= 10
        assert page.get_by_text("/api/sign-in").first.is_visible()
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "api-docs.png"))
    finally:
        context.close()
    violations = [m for m in messages if "Content Security Policy" in m or "Refused to" in m]
    assert violations == [], "\n".join(violations)
    assert missing == [], f"not found: {missing}"
    assert [m for m in messages if m.startswith(("error", "pageerror"))] == [], messages
    others = [url for url in requested if not url.startswith(sqlite_server.base_url)]
    assert others == [], f"requests to other hosts: {others}"
