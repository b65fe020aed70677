"""Sign-in, sessions, CSRF and the failed-sign-in limit, on SQLite and PostgreSQL."""

from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from web_support import CHILD_FORM, EMAILS, PASSWORD, Clock, Staff, form_token, sign_in

from hipcare.services.accounts import SessionPolicy, token_digest
from hipcare.settings import Settings
from hipcare.storage import SqlAlchemyUnitOfWork
from hipcare.storage.tables import SignInFailureRow, WebSessionRow
from hipcare.web import create_app


def _attempt(client: TestClient, email: str, password: str) -> int:
    client.cookies.clear()
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": email, "password": password, "csrf_token": form_token(page.text)},
    )
    return response.status_code


def test_sign_in_opens_a_session_with_a_safe_cookie(client: TestClient) -> None:
    """The session cookie is HttpOnly and SameSite=Lax, and the home page shows the user."""
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={"email": EMAILS["nurse"], "password": PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    cookie = next(
        value
        for name, value in response.headers.multi_items()
        if name == "set-cookie" and value.startswith("hipcare_session=")
    )
    assert "HttpOnly" in cookie
    assert "SameSite=lax" in cookie
    assert "Secure" not in cookie
    home = client.get("/")
    assert home.status_code == 200
    assert "Ben Nurse" in home.text
    assert "Harbour Children&#39;s Hospital" in home.text
    assert "Northern Regional Kids Health" in home.text


def test_session_cookie_is_secure_when_served_over_https(
    settings: Settings, clock: Clock, staff: Staff
) -> None:
    app = create_app(
        Settings(settings.database_url, settings.data_dir, secure_cookies=True), clock=clock
    )
    with TestClient(app, base_url="https://testserver", follow_redirects=False) as client:
        page = client.get("/sign-in")
        response = client.post(
            "/sign-in",
            data={
                "email": EMAILS["nurse"],
                "password": PASSWORD,
                "csrf_token": form_token(page.text),
            },
        )
        assert response.status_code == 303
        assert "Secure" in response.headers["set-cookie"]
    app.state.hipcare.engine.dispose()


def test_the_database_keeps_only_the_digest_of_the_session_token(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    sign_in(client, "nurse")
    token = client.cookies["hipcare_session"]
    with uow:
        ids = list(uow.orm_session().scalars(select(WebSessionRow.id)))
    assert ids == [token_digest(token)]
    assert token not in ids


def test_wrong_password_is_refused_with_a_message_and_the_email_kept(
    client: TestClient,
) -> None:
    page = client.get("/sign-in")
    response = client.post(
        "/sign-in",
        data={
            "email": EMAILS["nurse"],
            "password": "not the password",
            "csrf_token": form_token(page.text),
        },
    )
    assert response.status_code == 401
    assert "The email or the password is not right" in response.text
    assert f'value="{EMAILS["nurse"]}"' in response.text
    assert "hipcare_session" not in client.cookies


def test_unknown_email_gets_the_same_answer_as_a_wrong_password(client: TestClient) -> None:
    assert _attempt(client, "nobody@example.org", PASSWORD) == 401


def test_sign_in_form_without_its_token_is_refused(client: TestClient) -> None:
    """A sign-in posted from elsewhere (no form token cookie) does not sign anyone in."""
    response = client.post(
        "/sign-in", data={"email": EMAILS["nurse"], "password": PASSWORD, "csrf_token": "x"}
    )
    assert response.status_code == 400
    assert "hipcare_session" not in client.cookies


def test_failures_past_the_free_ones_make_the_next_try_wait_and_say_how_long(
    client: TestClient, clock: Clock
) -> None:
    """Three free failures; the fourth makes the next try wait 1 second, the fifth 2: a try
    too soon is 429 with Retry-After (even with the right password) and is not counted;
    the right password after the wait signs in. Other accounts never wait."""
    for _ in range(4):
        assert _attempt(client, EMAILS["nurse"], "wrong password") == 401
    page = client.get("/sign-in")
    too_soon = client.post(
        "/sign-in",
        data={"email": EMAILS["nurse"], "password": PASSWORD, "csrf_token": form_token(page.text)},
    )
    assert too_soon.status_code == 429
    assert too_soon.headers["retry-after"] == "1"
    assert "Wait 1 second, then try again" in too_soon.text
    assert _attempt(client, EMAILS["surgeon"], PASSWORD) == 303, "other accounts do not wait"
    clock.advance(seconds=1)
    assert _attempt(client, EMAILS["nurse"], "wrong password") == 401  # the fifth failure
    assert _attempt(client, EMAILS["nurse"], PASSWORD) == 429
    clock.advance(seconds=1)
    assert _attempt(client, EMAILS["nurse"], PASSWORD) == 429  # 2 seconds after the fifth
    clock.advance(seconds=1)
    assert _attempt(client, EMAILS["nurse"], PASSWORD) == 303


def test_the_wait_doubles_up_to_a_minute_per_account_and_never_locks_it_out(
    client: TestClient, clock: Clock
) -> None:
    """Someone guessing a named account as fast as allowed holds its owner up by at most the
    per-account ceiling (60 s), not a lockout of a quarter of an hour."""
    client.headers["X-Forwarded-For"] = "203.0.113.9"  # ignored: no trusted proxy is set
    waits = []
    for _ in range(12):
        answer = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": "x"})
        if answer.status_code == 429:
            waits.append(int(answer.headers["retry-after"]))
            clock.advance(seconds=waits[-1])
            answer = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": "x"})
        assert answer.status_code == 401
    assert waits == [1, 2, 4, 8, 16, 32, 60, 60]
    clock.advance(seconds=60)
    assert _attempt(client, EMAILS["nurse"], PASSWORD) == 303


def test_failures_are_counted_in_the_database_across_app_instances(
    settings: Settings, clock: Clock, staff: Staff, client: TestClient
) -> None:
    """A second app (its own engine, like another server process) sees the same count."""
    for _ in range(3):
        assert _attempt(client, EMAILS["nurse"], "wrong password") == 401
    other = create_app(settings, clock=clock)
    with TestClient(other, follow_redirects=False) as second:
        assert _attempt(second, EMAILS["nurse"], "wrong password") == 401
        assert _attempt(second, EMAILS["nurse"], PASSWORD) == 429
    other.state.hipcare.engine.dispose()


def test_one_client_address_waits_after_its_free_failures(
    settings: Settings, clock: Clock, staff: Staff, uow: SqlAlchemyUnitOfWork
) -> None:
    """Guessing across many accounts from one address is slowed too (3 free here)."""
    app = create_app(settings, clock=clock, policy=SessionPolicy(free_failures_per_address=3))
    with TestClient(app, follow_redirects=False) as client:
        for index in range(4):
            assert _attempt(client, f"guess{index}@example.org", "wrong password") == 401
        page = client.get("/sign-in")
        too_soon = client.post(
            "/sign-in",
            data={
                "email": EMAILS["surgeon"],
                "password": PASSWORD,
                "csrf_token": form_token(page.text),
            },
        )
        assert too_soon.status_code == 429
        assert too_soon.headers["retry-after"] == "1"
        assert "many wrong sign-ins from this computer" in too_soon.text
        clock.advance(seconds=1)
        assert _attempt(client, EMAILS["surgeon"], PASSWORD) == 303
    app.state.hipcare.engine.dispose()
    with uow:
        rows = list(uow.orm_session().scalars(select(SignInFailureRow.client_address)))
    assert rows == ["testclient"] * 4


def test_success_forgets_the_accounts_failures(
    settings: Settings, clock: Clock, staff: Staff
) -> None:
    app = create_app(settings, clock=clock, policy=SessionPolicy(free_failures_per_account=1))
    with TestClient(app, follow_redirects=False) as client:
        assert _attempt(client, EMAILS["nurse"], "wrong password") == 401
        assert _attempt(client, EMAILS["nurse"], PASSWORD) == 303
        assert _attempt(client, EMAILS["nurse"], "wrong password") == 401
        assert _attempt(client, EMAILS["nurse"], PASSWORD) == 303
        assert _attempt(client, EMAILS["nurse"], "wrong password") == 401
        assert _attempt(client, EMAILS["nurse"], "wrong password") == 401
        assert _attempt(client, EMAILS["nurse"], PASSWORD) == 429
    app.state.hipcare.engine.dispose()


def test_a_page_without_a_session_redirects_to_sign_in_and_back(client: TestClient) -> None:
    response = client.get("/children?name=ng")
    assert response.status_code == 303
    assert response.headers["location"] == "/sign-in?next=/children%3Fname%3Dng"
    page = client.get(response.headers["location"])
    assert 'name="next" value="/children?name=ng"' in page.text
    login = client.post(
        "/sign-in",
        data={
            "email": EMAILS["nurse"],
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
            "next": "/children?name=ng",
        },
    )
    assert login.headers["location"] == "/children?name=ng"


def test_sign_in_never_sends_the_browser_to_another_site(client: TestClient) -> None:
    page = client.get("/sign-in?next=//evil.example/steal")
    response = client.post(
        "/sign-in",
        data={
            "email": EMAILS["nurse"],
            "password": PASSWORD,
            "csrf_token": form_token(page.text),
            "next": "//evil.example/steal",
        },
    )
    assert response.headers["location"] == "/"


def test_api_without_a_session_answers_401_json(client: TestClient) -> None:
    response = client.get("/api/children", params={"name": "ng"})
    assert response.status_code == 401
    assert response.json()["field"] == "session"


def test_session_ends_after_thirty_idle_minutes(client: TestClient, clock: Clock) -> None:
    sign_in(client, "nurse")
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200
    clock.advance(minutes=29)
    assert client.get("/").status_code == 200, "each use restarts the idle time"
    clock.advance(minutes=31)
    assert client.get("/").status_code == 303


def test_session_ends_twelve_hours_after_sign_in_even_when_used(
    client: TestClient, clock: Clock
) -> None:
    sign_in(client, "nurse")
    for _ in range(11 * 3):
        clock.advance(minutes=20)
        assert client.get("/").status_code == 200
    clock.advance(hours=1, minutes=1)
    assert client.get("/").status_code == 303


def test_sign_out_ends_the_session_for_good(client: TestClient) -> None:
    csrf = sign_in(client, "nurse")
    token = client.cookies["hipcare_session"]
    response = client.post("/sign-out", data={"csrf_token": csrf})
    assert response.status_code == 303
    client.cookies.set("hipcare_session", token)
    assert client.get("/").status_code == 303


def test_form_post_without_the_csrf_token_is_refused(client: TestClient) -> None:
    sign_in(client, "nurse")
    response = client.post("/children", data=CHILD_FORM)
    assert response.status_code == 403
    assert "This form has expired" in response.text
    wrong = client.post("/children", data={**CHILD_FORM, "csrf_token": "not-the-token"})
    assert wrong.status_code == 403


def test_api_post_without_the_csrf_header_is_refused(client: TestClient) -> None:
    signed = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": PASSWORD})
    assert signed.status_code == 200
    body = {
        "given_name": "Ali",
        "family_name": "Haddad",
        "date_of_birth": "2021-01-02",
        "site": "harbour-childrens",
    }
    refused = client.post("/api/children", json=body)
    assert refused.status_code == 403
    assert refused.json()["field"] == "X-CSRF-Token"
    accepted = client.post(
        "/api/children", json=body, headers={"X-CSRF-Token": signed.json()["csrf_token"]}
    )
    assert accepted.status_code == 201


def test_api_sign_in_refusals_say_why(settings: Settings, clock: Clock, staff: Staff) -> None:
    app = create_app(settings, clock=clock, policy=SessionPolicy(free_failures_per_account=1))
    with TestClient(app) as client:
        _api_refusals(client)
    app.state.hipcare.engine.dispose()


def _api_refusals(client: TestClient) -> None:
    for _ in range(2):
        wrong = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": "nope"})
        assert wrong.status_code == 401
        assert wrong.json()["field"] == "wrong-email-or-password"
    too_soon = client.post("/api/sign-in", json={"email": EMAILS["nurse"], "password": PASSWORD})
    assert too_soon.status_code == 429
    assert too_soon.json()["field"] == "account-wait"
    assert too_soon.headers["retry-after"] == "1"


def test_responses_carry_security_headers(client: TestClient) -> None:
    response = client.get("/sign-in")
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
    assert response.headers["cache-control"] == "no-store"


def test_two_apps_share_sessions_through_the_database(
    settings: Settings, clock: Clock, app: FastAPI, staff: Staff
) -> None:
    """Sign in on one app instance (its own engine), use the session on another."""
    second_app = create_app(settings, clock=clock)
    with (
        TestClient(app, follow_redirects=False) as first,
        TestClient(second_app, follow_redirects=False) as second,
    ):
        csrf = sign_in(first, "nurse")
        second.cookies.set("hipcare_session", first.cookies["hipcare_session"])
        home = second.get("/")
        assert home.status_code == 200
        assert "Ben Nurse" in home.text
        registered = second.post("/children", data={**CHILD_FORM, "csrf_token": csrf})
        assert registered.status_code == 303
        assert first.get(registered.headers["location"]).status_code == 200
        first.post("/sign-out", data={"csrf_token": csrf})
        assert second.get("/").status_code == 303, "signing out on one ends it on both"
    second_app.state.hipcare.engine.dispose()


def test_signing_in_again_ends_the_session_the_browser_held(
    client: TestClient, uow: SqlAlchemyUnitOfWork
) -> None:
    sign_in(client, "nurse")
    first = client.cookies["hipcare_session"]
    client.cookies.clear()
    form = client.get("/sign-in")
    client.cookies.set("hipcare_session", first)  # the old session comes along with the post
    response = client.post(
        "/sign-in",
        data={
            "email": EMAILS["surgeon"],
            "password": PASSWORD,
            "csrf_token": form_token(form.text),
        },
    )
    assert response.status_code == 303
    with uow:
        digests = list(uow.orm_session().scalars(select(WebSessionRow.id)))
    assert digests == [token_digest(response.cookies["hipcare_session"])]
