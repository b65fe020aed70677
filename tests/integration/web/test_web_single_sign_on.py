"""Single sign-on for staff against a real OpenID provider (``oidc-provider`` from npm) that
these tests start on loopback (``tests/fixtures/oidc/provider.mjs``): authorization code with
PKCE, discovery, the signed ID token checked; groups mapped to roles and sites."""

from __future__ import annotations

import asyncio
import base64
import json
import logging
import os
import shutil
import socket
import subprocess
import time
from collections.abc import Coroutine, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from joserfc import jwt
from joserfc.jwk import OctKey, RSAKey
from sqlalchemy import select
from web_support import EMAILS, HARBOUR, NORTHERN, Clock, Staff

from hipcare.domain.staff_access import GroupMap
from hipcare.interop.oidc import OpenIdClient, OpenIdError, VerifiedIdentity
from hipcare.settings import OidcSettings, Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.storage.tables import AuditRow, UserRow
from hipcare.web import create_app

pytestmark = pytest.mark.slow

PROVIDER_FOLDER = Path(__file__).resolve().parents[2] / "fixtures" / "oidc"
CLIENT_ID = "hipcare-test"
CLIENT_SECRET = "a-synthetic-client-secret-for-tests"  # noqa: S105 -- a test provider's
REDIRECT_URI = "http://testserver/sign-in/oidc/callback"
ROLE_MAP = (
    f"hip-nurses=nurse@{HARBOUR}, hip-nurses=nurse@{NORTHERN}, "
    f"hip-surgeons-harbour=surgeon@{HARBOUR}, hip-surgeons-north=surgeon@{NORTHERN}, "
    f"hip-admins=site-administrator@{HARBOUR}"
)


@dataclass
class Provider:
    """The running provider and the account its sign-in page signs in."""

    issuer: str
    account_file: Path

    def sign_in_as(self, subject: str, email: str, name: str, groups: list[str]) -> None:
        self.account_file.write_text(
            json.dumps({"sub": subject, "email": email, "name": name, "groups": groups}),
            encoding="utf-8",
        )


T = TypeVar("T")


def _run_async(awaitable: Coroutine[Any, Any, T]) -> T:
    """Run a coroutine on a fresh event loop in its own thread: a test before this one in the
    same worker (Playwright's sync API) may leave a loop running in this thread."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, awaitable).result()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def _running_provider(folder: Path, *, claims_in_id_token: bool = False) -> Iterator[Provider]:
    """oidc-provider on a free loopback port (``./run test`` installs it with ``npm ci``)."""
    node = shutil.which("node")
    assert node, "node is needed for the OpenID provider (Debian package nodejs)"
    assert (PROVIDER_FOLDER / "node_modules" / "oidc-provider").is_dir(), (
        "run `npm ci --prefix tests/fixtures/oidc` (./run test does)"
    )
    account_file = folder / "account.json"
    port = _free_port()
    environment = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": CLIENT_ID,
        "CLIENT_SECRET": CLIENT_SECRET,
        "REDIRECT_URI": REDIRECT_URI,
        "ACCOUNT_FILE": str(account_file),
        "CLAIMS_IN_ID_TOKEN": "1" if claims_in_id_token else "0",
        "NODE_ENV": "test",
    }
    process = subprocess.Popen(
        [node, "provider.mjs"],
        cwd=PROVIDER_FOLDER,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        assert line.startswith("ready "), f"the provider did not start: {line!r}"
        found = Provider(issuer=line.split()[1], account_file=account_file)
        found.sign_in_as("staff-0001", "new.nurse@example.org", "Nia Nurse", ["hip-nurses"])
        yield found
    finally:
        process.terminate()
        process.wait(timeout=10)
        if process.stdout is not None:
            process.stdout.close()


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Provider]:
    """The provider most tests share: claims by scope come from userinfo."""
    with _running_provider(tmp_path_factory.mktemp("oidc")) as running:
        yield running


def _oidc_settings(provider: Provider) -> OidcSettings:
    return OidcSettings(
        issuer=provider.issuer,
        client_id=CLIENT_ID,
        client_secret=CLIENT_SECRET,
        group_map=GroupMap.parse(ROLE_MAP, "HIPCARE_OIDC_ROLE_MAP"),
        display_name="Harbour Health",
    )


@pytest.fixture
def sso_client(
    settings: Settings, clock: Clock, staff: Staff, provider: Provider
) -> Iterator[TestClient]:
    """The app with single sign-on set up against the test provider."""
    app = create_app(
        replace(settings, oidc=_oidc_settings(provider)),
        clock=clock,
    )
    with TestClient(app, follow_redirects=False) as client:
        yield client
    app.state.hipcare.engine.dispose()


def _to_provider_and_back(start_location: str) -> str:
    """Follow the provider's redirects as a browser would (its sign-in interaction signs the
    file's account in); returns the callback path and query it sends the browser back to."""
    url = start_location
    with httpx2.Client(follow_redirects=False, timeout=10) as browser:
        for _ in range(12):
            if url.startswith("http://testserver/"):
                parts = urlsplit(url)
                return f"{parts.path}?{parts.query}"
            answer = browser.get(url)
            assert answer.status_code in (302, 303), (answer.status_code, answer.text[:300])
            url = urljoin(url, answer.headers["location"])
    raise AssertionError("the provider never sent the browser back")


def _sign_on(client: TestClient, target: str = "/sites") -> httpx2.Response:
    start = client.get("/sign-in/oidc", params={"next": target})
    assert start.status_code == 303
    location = start.headers["location"]
    query = parse_qs(urlsplit(location).query)
    assert query["code_challenge_method"] == ["S256"]
    assert len(query["code_challenge"][0]) == 43
    assert "nonce" in query
    assert "state" in query
    return client.get(_to_provider_and_back(location))


@dataclass(frozen=True)
class Stored:
    """A stored account as the tests look at it."""

    id: int
    role: str
    profession: str | None
    site_ids: set[str]
    link: tuple[str | None, str | None]
    password_hash: str | None


def _user(uow: SqlAlchemyUnitOfWork, email: str) -> Stored | None:
    with uow:
        row = uow.orm_session().scalar(select(UserRow).where(UserRow.email == email))
        if row is None:
            return None
        return Stored(
            id=row.id,
            role=row.role.value,
            profession=None if row.profession is None else row.profession.value,
            site_ids={membership.site_id for membership in row.memberships},
            link=(row.oidc_issuer, row.oidc_subject),
            password_hash=row.password_hash,
        )


def _audit(uow: SqlAlchemyUnitOfWork, user_id: int) -> list[tuple[str, str]]:
    with uow:
        rows = uow.orm_session().scalars(
            select(AuditRow).where(AuditRow.actor_id == user_id).order_by(AuditRow.id)
        )
        return [(row.action.value, row.entity_id) for row in rows]


def test_first_sign_on_creates_the_user_with_the_mapped_role_and_sites(
    sso_client: TestClient, provider: Provider, uow: SqlAlchemyUnitOfWork
) -> None:
    provider.sign_in_as("staff-1001", "nia.nurse@example.org", "Nia Nurse", ["hip-nurses", "x"])
    answer = _sign_on(sso_client, "/sites")
    assert answer.status_code == 303
    assert answer.headers["location"] == "/sites"
    me = sso_client.get("/api/me")
    assert me.status_code == 200
    assert me.json()["user"]["email"] == "nia.nurse@example.org"
    row = _user(uow, "nia.nurse@example.org")
    assert row is not None
    assert (row.role, row.profession, row.site_ids) == ("clinician", "nurse", {HARBOUR, NORTHERN})
    assert row.link == (provider.issuer, "staff-1001")
    assert row.password_hash is None
    assert _audit(uow, row.id) == [
        ("user.created", HARBOUR),
        ("user.created", NORTHERN),
        ("user.signed-in", HARBOUR),
        ("user.signed-in", NORTHERN),
    ]
    assert "hipcare_oidc" not in sso_client.cookies


def test_a_removed_group_removes_that_site_and_then_all_access_at_the_next_sign_on(
    sso_client: TestClient, provider: Provider, uow: SqlAlchemyUnitOfWork
) -> None:
    """The account follows the person (issuer + subject), not the email, which changes too."""
    groups = ["hip-surgeons-harbour", "hip-surgeons-north"]
    provider.sign_in_as("staff-2002", "sam.surgeon@example.org", "Sam Surgeon", groups)
    assert _sign_on(sso_client).status_code == 303
    first = _user(uow, "sam.surgeon@example.org")
    assert first is not None
    assert first.site_ids == {HARBOUR, NORTHERN}

    provider.sign_in_as("staff-2002", "sam.s@example.org", "Sam Surgeon", groups[:1])
    assert _sign_on(sso_client).status_code == 303
    second = _user(uow, "sam.s@example.org")
    assert second is not None
    assert second.id == first.id
    assert second.site_ids == {HARBOUR}
    assert ("user.access-changed", NORTHERN) in _audit(uow, first.id)

    provider.sign_in_as("staff-2002", "sam.s@example.org", "Sam Surgeon", ["cafeteria"])
    refused = _sign_on(sso_client)
    assert refused.status_code == 403
    assert "not in any group that uses hipcare" in refused.text
    third = _user(uow, "sam.s@example.org")
    assert third is not None
    assert third.site_ids == set()
    assert _audit(uow, first.id)[-1] == ("user.access-changed", HARBOUR)
    # The session of the second sign-in still exists but reaches no site's records.
    assert sso_client.get("/api/me").json()["user"]["site_ids"] == []


def test_groups_that_give_two_roles_are_refused(
    sso_client: TestClient, provider: Provider, uow: SqlAlchemyUnitOfWork
) -> None:
    provider.sign_in_as("staff-3003", "two@example.org", "Two Roles", ["hip-nurses", "hip-admins"])
    refused = _sign_on(sso_client)
    assert refused.status_code == 403
    assert "more than one hipcare role (nurse, site-administrator)" in refused.text
    assert _user(uow, "two@example.org") is None


def test_an_unlinked_password_account_with_the_same_email_is_not_taken_over(
    sso_client: TestClient, provider: Provider, uow: SqlAlchemyUnitOfWork, staff: Staff
) -> None:
    provider.sign_in_as("staff-4004", EMAILS["physiotherapist"], "Someone", ["hip-admins"])
    refused = _sign_on(sso_client)
    assert refused.status_code == 403
    assert "not linked to your hospital account" in refused.text
    row = _user(uow, EMAILS["physiotherapist"])
    assert row is not None
    assert (row.id, row.role, row.link) == (staff.physiotherapist, "clinician", (None, None))


def test_an_answer_with_another_state_is_refused(
    sso_client: TestClient,
    provider: Provider,
    uow: SqlAlchemyUnitOfWork,
    caplog: pytest.LogCaptureFixture,
) -> None:
    provider.sign_in_as("staff-5005", "state@example.org", "State Test", ["hip-nurses"])
    start = sso_client.get("/sign-in/oidc")
    callback = _to_provider_and_back(start.headers["location"])
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    query["state"] = "an-attackers-state"
    with caplog.at_level(logging.INFO, logger="hipcare.web.sso"):
        refused = sso_client.get("/sign-in/oidc/callback?" + urlencode(query))
    assert caplog.messages == ["single sign-on refused (state-mismatch)"]
    assert refused.status_code == 400
    assert "could not confirm this answer came from your hospital" in refused.text
    assert _user(uow, "state@example.org") is None


def test_an_answer_without_a_sign_in_started_in_this_browser_is_refused(
    sso_client: TestClient, provider: Provider, uow: SqlAlchemyUnitOfWork
) -> None:
    provider.sign_in_as("staff-5006", "late@example.org", "Late Test", ["hip-nurses"])
    start = sso_client.get("/sign-in/oidc")
    callback = _to_provider_and_back(start.headers["location"])
    sso_client.cookies.clear()
    refused = sso_client.get(callback)
    assert refused.status_code == 400
    assert "This sign-in has expired" in refused.text
    assert _user(uow, "late@example.org") is None


def test_an_id_token_with_another_nonce_is_refused(
    sso_client: TestClient,
    provider: Provider,
    uow: SqlAlchemyUnitOfWork,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """The browser's pending sign-in holds another nonce than the one the provider signed."""
    provider.sign_in_as("staff-6006", "nonce@example.org", "Nonce Test", ["hip-nurses"])
    start = sso_client.get("/sign-in/oidc")
    callback = _to_provider_and_back(start.headers["location"])
    pending = json.loads(base64.urlsafe_b64decode(sso_client.cookies["hipcare_oidc"]))
    pending["nonce"] = "another-nonce"
    sso_client.cookies.set(
        "hipcare_oidc",
        base64.urlsafe_b64encode(json.dumps(pending).encode()).decode(),
        domain="testserver.local",
        path="/sign-in/oidc",
    )
    with caplog.at_level(logging.INFO, logger="hipcare.web.sso"):
        refused = sso_client.get(callback)
    assert refused.status_code == 400
    assert "could not confirm" in refused.text
    assert "single sign-on refused (bad-claims)" in caplog.messages
    assert _user(uow, "nonce@example.org") is None


def _claims(provider: Provider, nonce: str) -> dict[str, object]:
    now = int(time.time())
    return {
        "iss": provider.issuer,
        "aud": CLIENT_ID,
        "sub": "staff-7007",
        "iat": now,
        "exp": now + 300,
        "nonce": nonce,
    }


def test_an_id_token_signed_by_another_key_is_refused(provider: Provider) -> None:
    """A token with the provider's key id, issuer, audience and nonce, but signed with a key
    the provider never published (and one signed with the client secret) is refused."""
    client = OpenIdClient(provider.issuer, CLIENT_ID, CLIENT_SECRET)
    claims = _claims(provider, "n-1")
    impostor = RSAKey.generate_key(2048)
    forged = jwt.encode({"alg": "RS256", "kid": "test-key-1"}, claims, impostor)
    with pytest.raises(OpenIdError) as refused:
        _run_async(client.verify_id_token(forged, nonce="n-1"))
    assert refused.value.reason == "bad-signature"
    with_secret = jwt.encode({"alg": "HS256"}, claims, OctKey.import_key(CLIENT_SECRET))
    with pytest.raises(OpenIdError):
        _run_async(client.verify_id_token(with_secret, nonce="n-1"))


def test_discovery_must_name_the_configured_issuer(provider: Provider) -> None:
    client = OpenIdClient(provider.issuer.replace("127.0.0.1", "localhost"), CLIENT_ID, "x")
    with pytest.raises(OpenIdError) as refused:
        _run_async(client.metadata())
    assert refused.value.reason == "issuer-mismatch"


def test_the_sign_in_page_offers_the_hospital_when_single_sign_on_is_set_up(
    sso_client: TestClient,
) -> None:
    page = sso_client.get("/sign-in", params={"next": "/sites"})
    assert "Sign in with Harbour Health" in page.text
    assert 'href="/sign-in/oidc?next=%2Fsites"' in page.text
    assert 'name="password"' in page.text


def test_without_single_sign_on_there_is_no_button_and_no_route(client: TestClient) -> None:
    page = client.get("/sign-in")
    assert page.status_code == 200
    assert "Sign in with" not in page.text
    assert client.get("/sign-in/oidc").status_code == 404
    assert client.get("/sign-in/oidc/callback?code=x&state=y").status_code == 404


class _Recording(httpx2.AsyncHTTPTransport):
    """The real transport, remembering each path the client asked for."""

    def __init__(self) -> None:
        super().__init__()
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        self.paths.append(request.url.path)
        return await super().handle_async_request(request)


async def _adapter_sign_in(client: OpenIdClient) -> VerifiedIdentity:
    url, pending = await client.start(REDIRECT_URI)
    callback = await asyncio.to_thread(_to_provider_and_back, url)
    query = {key: values[0] for key, values in parse_qs(urlsplit(callback).query).items()}
    return await client.finish(REDIRECT_URI, pending, query)


@pytest.mark.parametrize("claims_in_id_token", [False, True])
def test_the_groups_are_read_from_the_id_token_or_else_from_userinfo(
    tmp_path: Path, claims_in_id_token: bool
) -> None:
    """Providers that put the groups in the ID token are not asked again; the others are
    asked at userinfo with the access token (the same person: same ``sub``)."""
    with _running_provider(tmp_path, claims_in_id_token=claims_in_id_token) as running:
        running.sign_in_as("staff-8008", "ida@example.org", "Ida Admin", ["hip-admins", "y"])
        transport = _Recording()
        client = OpenIdClient(running.issuer, CLIENT_ID, CLIENT_SECRET, transport=transport)
        identity = _run_async(_adapter_sign_in(client))
    assert identity == VerifiedIdentity(
        running.issuer, "staff-8008", "ida@example.org", "Ida Admin", ("hip-admins", "y")
    )
    assert transport.paths[:3] == ["/.well-known/openid-configuration", "/token", "/jwks"]
    assert ("/me" in transport.paths) is not claims_in_id_token
