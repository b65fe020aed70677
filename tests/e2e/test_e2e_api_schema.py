"""Schemathesis against the running server's ``/openapi.json``, signed in.

Every operation of the JSON API gets generated requests (valid and invalid, a bounded and
derandomised number per operation), on SQLite and on PostgreSQL, with the session cookie and
the ``X-CSRF-Token`` header of a signed-in demo nurse who belongs to both demo sites. The
checks: no server error (5xx), and every status code, content type, header and body as the
schema declares.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from tests.e2e.browser import Server
from tests.e2e.conftest import seeded_postgresql_server
from tests.support.databases import DATABASE_KINDS, session_postgresql_database

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

NURSE = "nurse@harbour.example.org"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]
EXAMPLES_PER_OPERATION = 15
"""Per operation and generation mode, on each database: about 2 x 1,000 requests a run."""


def _signed_in(server: Server, email: str) -> tuple[requests.Session, str]:
    session = requests.Session()
    response = session.post(
        server.url("/api/sign-in"),
        json={"email": email, "password": server.password},
        timeout=30,
    )
    assert response.status_code == 200, response.text
    token = response.json()["csrf_token"]
    assert isinstance(token, str)
    return session, token


@dataclass(frozen=True)
class Fuzzed:
    """A server of this module's own (fuzzing sign-in locks its address out), with two
    sessions opened before any fuzzing: one for the fuzzing, one for the sign-out test."""

    server: Server
    sessions: tuple[tuple[requests.Session, str], tuple[requests.Session, str]]


@pytest.fixture(scope="module", params=DATABASE_KINDS)
def fuzzed(request: pytest.FixtureRequest, start_server: Callable[..., Server]) -> Iterator[Fuzzed]:
    """On SQLite the demo (``--demo``); on PostgreSQL a database of this module's own, seeded
    with the same demo (issue 13: Schemathesis found server errors only on PostgreSQL)."""
    if request.param == "sqlite":
        server = start_server()
        yield from _fuzzed(server)
        return
    databases = session_postgresql_database("hipcare_fuzz")
    database_url = next(databases)
    try:
        server = seeded_postgresql_server(start_server, database_url)
        assert server.dialect == "postgresql"
        yield from _fuzzed(server)
    finally:
        databases.close()


def _fuzzed(server: Server) -> Iterator[Fuzzed]:
    sessions = (_signed_in(server, NURSE), _signed_in(server, NURSE))
    yield Fuzzed(server, sessions)
    for session, _ in sessions:
        session.close()


@pytest.fixture(scope="module")
def api_schema(fuzzed: Fuzzed) -> Any:
    """The served schema, without sign-out (it would end the session the fuzzing uses)."""
    loaded = schemathesis.openapi.from_url(fuzzed.server.url("/openapi.json"))
    return loaded.exclude(path="/api/sign-out")


# schemathesis.pytest.from_fixture (the lazy pytest integration) needs a pytest attribute
# that pytest 9 removed (Function._nodeid), so each operation gets a Hypothesis test here.
@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_api_answers_within_its_schema(
    api_schema: Any, fuzzed: Fuzzed, mode: GenerationMode
) -> None:
    """Generated requests to every operation (valid ones, then invalid ones): no 5xx, and
    every answer as the schema declares it."""
    session, token = fuzzed.sessions[0]
    failures: dict[str, str] = {}
    operations = 0
    for result in api_schema.get_all_operations():
        operation = result.ok()
        operations += 1

        @settings(
            max_examples=EXAMPLES_PER_OPERATION,
            deadline=None,
            derandomize=True,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(case=operation.as_strategy(generation_mode=mode))
        def check(case: Any) -> None:
            case.call_and_validate(session=session, headers={"X-CSRF-Token": token}, checks=CHECKS)

        try:
            check()
        except Unsatisfiable:
            # An operation without inputs (GET /healthz, /api/me) has no invalid request.
            assert mode is GenerationMode.NEGATIVE, f"{operation.label}: no valid request"
        # Schemathesis raises a FailureGroup (a BaseExceptionGroup) for several failures at once.
        except (Exception, BaseExceptionGroup) as error:
            failures[operation.label] = f"{type(error).__name__}: {error}"
    assert operations >= 6, "the served schema lost operations"
    assert not failures, "\n\n".join(f"{label}\n{problem}" for label, problem in failures.items())


def test_sign_out_answers_within_its_schema(fuzzed: Fuzzed) -> None:
    """Sign-out, on a session of its own: 204, then the same session is refused (401)."""
    loaded = schemathesis.openapi.from_url(fuzzed.server.url("/openapi.json"))
    operation = loaded["/api/sign-out"]["POST"]
    session, token = fuzzed.sessions[1]
    case = operation.Case(headers={"X-CSRF-Token": token})
    response = case.call_and_validate(session=session, checks=CHECKS)
    assert response.status_code == 204
    again = case.call_and_validate(session=session, checks=CHECKS)
    assert again.status_code == 401
