"""Deployment defaults from issue 13, on SQLite and PostgreSQL: Secure cookies and HSTS
unless turned off, links built only from HIPCARE_PUBLIC_URL (never the Host header, never
the page's address), requests naming another host refused, proxies trusted only by name."""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterator

import pytest
from clinical_flows import api_sign_in, family_session, register
from fastapi import FastAPI
from fastapi.testclient import TestClient
from web_support import Clock, Staff, sign_in

from hipcare.settings import FALLBACK_PUBLIC_URL, Settings
from hipcare.web import create_app

PUBLIC = "https://hipcare.example.org"


@pytest.fixture
def public_app(settings: Settings, clock: Clock, staff: Staff) -> Iterator[FastAPI]:
    """The app as deployed: HIPCARE_PUBLIC_URL set, cookies Secure (the defaults)."""
    application = create_app(
        dataclasses.replace(settings, public_url=PUBLIC, secure_cookies=True), clock=clock
    )
    yield application
    application.state.hipcare.engine.dispose()


def test_secure_cookies_and_hsts_are_on_by_default(public_app: FastAPI) -> None:
    """The session cookie carries Secure and every answer Strict-Transport-Security."""
    with TestClient(public_app, base_url=PUBLIC, follow_redirects=False) as client:
        page = client.get("/sign-in")
        assert page.headers["strict-transport-security"] == "max-age=31536000"
        assert "secure" in page.headers["set-cookie"].lower()
        signed = client.post(
            "/api/sign-in", json={"email": "nurse@example.org", "password": "correct horse battery"}
        )
        assert signed.status_code == 200, signed.text
        cookie = signed.headers["set-cookie"].lower()
        assert "hipcare_session=" in cookie
        assert "secure" in cookie
        assert "httponly" in cookie


def test_no_hsts_when_secure_cookies_are_turned_off(client: TestClient) -> None:
    assert "strict-transport-security" not in client.get("/healthz").headers


def test_a_request_naming_another_host_is_refused(public_app: FastAPI) -> None:
    """Host: evil.example gets 400 before anything reads it; the public host and the
    server's own names (for checks on the machine itself) are answered."""
    with TestClient(public_app, base_url=PUBLIC) as client:
        assert client.get("/healthz").status_code == 200
        assert client.get("/healthz", headers={"Host": "evil.example"}).status_code == 400
        assert client.get("/sign-in", headers={"Host": "evil.example:443"}).status_code == 400
        assert client.get("/healthz", headers={"Host": "localhost:8000"}).status_code == 200
        assert client.get("/healthz", headers={"Host": "127.0.0.1"}).status_code == 200


def test_an_invitation_link_is_built_from_the_public_url_never_the_host_header(
    public_app: FastAPI,
) -> None:
    """Asked through localhost (an allowed host), the link still names HIPCARE_PUBLIC_URL."""
    with TestClient(
        public_app, base_url="https://localhost:8443", follow_redirects=False
    ) as client:
        token = sign_in(client, "nurse")
        child_id = register(client, token)
        headers = api_sign_in(client, "nurse@example.org")
        made = client.post(
            f"/api/children/{child_id}/invitations",
            json={"email": "parent@example.org"},
            headers=headers,
        )
        assert made.status_code == 201, made.text
        assert re.fullmatch(PUBLIC + r"/invite/[\w-]{40,}", made.json()["link"])


def test_without_a_public_url_the_host_header_still_never_builds_a_link(
    settings: Settings, clock: Clock, staff: Staff
) -> None:
    """No HIPCARE_PUBLIC_URL: any host is answered, but the link starts with the fallback
    address, not with what the request's Host header says."""
    app = create_app(dataclasses.replace(settings, public_url=""), clock=clock)
    try:
        with TestClient(app, base_url="http://evil.example", follow_redirects=False) as client:
            token = sign_in(client, "nurse")
            child_id = register(client, token)
            headers = api_sign_in(client, "nurse@example.org")
            made = client.post(
                f"/api/children/{child_id}/invitations",
                json={"email": "parent@example.org"},
                headers=headers,
            )
            assert made.status_code == 201, made.text
            link = made.json()["link"]
            assert link.startswith(FALLBACK_PUBLIC_URL + "/invite/")
            assert "evil.example" not in link
            client.cookies.clear()
            csrf = sign_in(client, "nurse")
            page = client.post(
                f"/children/{child_id}/invite-family",
                data={"csrf_token": csrf, "email": "other@example.org"},
            )
            assert page.status_code == 200, page.text
            assert "evil.example" not in page.text
    finally:
        app.state.hipcare.engine.dispose()


def test_the_calendar_link_never_comes_from_the_page_address_or_host(
    settings: Settings, clock: Clock, staff: Staff, password_hash: str
) -> None:
    """A parent's calendar page shows the feed on the public address only: neither the
    request's Host nor a ``?calendar=`` in the address they were sent can change it."""
    app = create_app(dataclasses.replace(settings, public_url=""), clock=clock)
    try:
        with TestClient(app, base_url="http://evil.example", follow_redirects=False) as client:
            child_id, csrf = family_session(app, client, password_hash)
            made = client.post(
                f"/family/children/{child_id}/calendar-link", data={"csrf_token": csrf}
            )
            assert made.status_code == 303, made.text
            shown = client.get(
                f"/family/children/{child_id}/calendar",
                params={"calendar": "webcal://evil.example/x.ics"},
            )
            assert shown.status_code == 200, shown.text
            links = re.findall(r'(?:value|href)="((?:https?|webcal)://[^"]+)"', shown.text)
            assert links, shown.text
            assert all("evil.example" not in link for link in links), links
            assert "webcal://localhost:8000/calendar/" in shown.text
    finally:
        app.state.hipcare.engine.dispose()
