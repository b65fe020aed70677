"""OpenID Connect sign-in with the hospital's identity provider: the protocol client.

The authorization code flow with PKCE (RFC 7636, ``S256``) as OpenID Connect Core 1.0
section 3.1 describes it, on Authlib's ``AsyncOAuth2Client`` (over httpx2): Authlib builds
the authorization URL with the code challenge and exchanges the code; joserfc checks the ID
token's signature against the provider's published keys (``jwks_uri``), and Authlib's
``CodeIDToken`` its claims: ``iss`` the configured issuer, ``aud`` this client, ``exp`` not
passed, ``iat`` present, ``nonce`` the one this browser was given, ``azp`` and ``at_hash``
when present (OpenID Connect Core 1.0 section 3.1.3.7). No cryptography is written here.

The provider's settings come from discovery (``ISSUER/.well-known/openid-configuration``,
OpenID Connect Discovery 1.0 section 4), whose ``issuer`` must be the configured one exactly
(section 4.3). Every endpoint is https, but on the loopback addresses (a provider the tests
start). The person's email, name and groups are read from the ID token, and from the
userinfo endpoint (with the access token, whose ``sub`` must be the ID token's) for the
claims the ID token leaves out.

The web app holds ``state``, ``nonce`` and the code verifier of a sign-in in progress in a
cookie of the browser that started it (:class:`PendingSignIn`); this module keeps no state
about sign-ins, so any number of server processes share one provider client.
"""

from __future__ import annotations

import secrets
import ssl
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx2
from authlib.integrations.httpx_client import AsyncOAuth2Client, OAuthError
from authlib.oidc.core import CodeIDToken
from joserfc import jwt
from joserfc.errors import InvalidKeyIdError, JoseError
from joserfc.jwk import KeySet
from joserfc.jws import JWSRegistry

__all__ = [
    "OpenIdClient",
    "OpenIdError",
    "PendingSignIn",
    "VerifiedIdentity",
    "is_loopback_or_https",
]

_DISCOVERY_PATH = "/.well-known/openid-configuration"
_METADATA_SECONDS = 3600.0
"""How long discovery and the provider's keys are kept before they are read again (an
unknown key id reads the keys again at once: the provider rotated them)."""
_LEEWAY_SECONDS = 60
"""Clock difference tolerated between the provider and this server for ``exp``/``iat``."""
_BASE_SCOPES = ("openid", "email", "profile")
_LOOPBACK_HOSTS = frozenset({"127.0.0.1", "localhost", "::1", "[::1]"})


class OpenIdError(Exception):
    """The provider's answer could not be trusted or used. ``reason`` is a short code for the
    log (never a claim's value); ``problem`` says what went wrong in words."""

    def __init__(self, reason: str, problem: str) -> None:
        self.reason = reason
        self.problem = problem
        super().__init__(f"{reason}: {problem}")


@dataclass(frozen=True)
class PendingSignIn:
    """A sign-in the browser started: what the callback must see again (``state``), what the
    ID token must carry (``nonce``) and the PKCE code verifier. Secrets of that browser only."""

    state: str
    nonce: str
    code_verifier: str


@dataclass(frozen=True)
class VerifiedIdentity:
    """Who the provider says signed in, from a checked ID token (and its userinfo)."""

    issuer: str
    subject: str
    email: str | None
    name: str | None
    groups: tuple[str, ...]


def is_loopback_or_https(url: str) -> bool:
    """Whether ``url`` is https, or http on this machine's loopback (a test provider)."""
    parts = urlsplit(url)
    if parts.scheme == "https" and parts.hostname:
        return True
    return parts.scheme == "http" and (parts.hostname or "") in _LOOPBACK_HOSTS


class OpenIdClient:
    """One hospital identity provider, as a relying party with a client id and secret.

    ``group_claim`` names the claim that lists the person's groups or roles; a dotted name
    reads inside an object (``realm_access.roles``). ``transport`` lets a caller route the
    HTTP calls; ``clock`` (seconds since the epoch) is the one the ID token's times are
    checked against.
    """

    def __init__(
        self,
        issuer: str,
        client_id: str,
        client_secret: str,
        *,
        group_claim: str = "groups",
        timeout_seconds: float = 10.0,
        clock: Callable[[], float] = time.time,
        transport: httpx2.AsyncBaseTransport | None = None,
    ) -> None:
        self.issuer = issuer
        self.client_id = client_id
        self._client_secret = client_secret
        self.group_claim = group_claim
        self._timeout = timeout_seconds
        self._clock = clock
        self._transport = transport
        self._tls: ssl.SSLContext | None = None
        self._metadata: dict[str, Any] | None = None
        self._keys: dict[str, Any] | None = None
        self._read_at = 0.0

    # --- HTTP --------------------------------------------------------------------------------

    def _client_options(self) -> dict[str, Any]:
        # One TLS context for every call: building one reads the CA bundle (~0.15-0.35 s on
        # the shared test machine), which each new client would otherwise do again.
        if self._tls is None:
            self._tls = httpx2.create_ssl_context()
        options: dict[str, Any] = {"timeout": self._timeout, "verify": self._tls}
        if self._transport is not None:
            options["transport"] = self._transport
        return options

    def _oauth_client(self, redirect_uri: str, scope: str) -> AsyncOAuth2Client:
        options = self._client_options()
        return AsyncOAuth2Client(
            client_id=self.client_id,
            client_secret=self._client_secret,
            scope=scope,
            redirect_uri=redirect_uri,
            code_challenge_method="S256",
            **options,
        )

    async def _get_json(self, url: str, what: str) -> dict[str, Any]:
        if not is_loopback_or_https(url):
            raise OpenIdError("insecure-endpoint", f"the provider's {what} is not https")
        try:
            async with httpx2.AsyncClient(**self._client_options()) as client:
                response = await client.get(url, headers={"Accept": "application/json"})
                response.raise_for_status()
                body = response.json()
        except (httpx2.HTTPError, ValueError) as error:
            raise OpenIdError(
                "provider-unreachable", f"the provider's {what} did not answer ({error})"
            ) from None
        if not isinstance(body, dict):
            raise OpenIdError("bad-provider-answer", f"the provider's {what} is not a JSON object")
        return body

    # --- discovery and keys ------------------------------------------------------------------

    async def metadata(self) -> dict[str, Any]:
        """The provider's discovery document (kept for an hour)."""
        if self._metadata is not None and self._clock() - self._read_at < _METADATA_SECONDS:
            return self._metadata
        document = await self._get_json(self.issuer.rstrip("/") + _DISCOVERY_PATH, "discovery")
        if document.get("issuer") != self.issuer:
            raise OpenIdError(
                "issuer-mismatch",
                "the discovery document names another issuer than HIPCARE_OIDC_ISSUER",
            )
        for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
            value = document.get(name)
            if not isinstance(value, str) or not is_loopback_or_https(value):
                raise OpenIdError("bad-provider-answer", f"discovery has no https {name}")
        methods = document.get("code_challenge_methods_supported")
        if isinstance(methods, list) and "S256" not in methods:
            raise OpenIdError("no-pkce", "the provider does not offer PKCE with S256")
        self._metadata = document
        self._keys = None
        self._read_at = self._clock()
        return document

    async def _key_set(self, *, fresh: bool = False) -> KeySet:
        metadata = await self.metadata()
        if self._keys is None or fresh:
            self._keys = await self._get_json(str(metadata["jwks_uri"]), "key set")
        try:
            return KeySet.import_key_set(self._keys)  # type: ignore[arg-type]  # a JWKS object, checked by joserfc
        except (JoseError, ValueError, TypeError, KeyError):
            raise OpenIdError(
                "bad-provider-answer", "the provider's key set is unreadable"
            ) from None

    def _scope(self, metadata: Mapping[str, Any]) -> str:
        scopes = list(_BASE_SCOPES)
        offered = metadata.get("scopes_supported")
        top = self.group_claim.split(".")[0]
        if isinstance(offered, list) and top in offered and top not in scopes:
            scopes.append(top)  # providers such as Okta send the groups claim for a scope
        return " ".join(scopes)

    # --- the flow ----------------------------------------------------------------------------

    async def start(self, redirect_uri: str) -> tuple[str, PendingSignIn]:
        """The provider's authorization URL to send the browser to, and what to keep for the
        callback: a new random state, nonce and PKCE code verifier (RFC 7636 section 4.1)."""
        metadata = await self.metadata()
        pending = PendingSignIn(
            state=secrets.token_urlsafe(32),
            nonce=secrets.token_urlsafe(32),
            code_verifier=secrets.token_urlsafe(64),
        )
        async with self._oauth_client(redirect_uri, self._scope(metadata)) as client:
            url, _ = client.create_authorization_url(
                str(metadata["authorization_endpoint"]),
                state=pending.state,
                code_verifier=pending.code_verifier,
                nonce=pending.nonce,
            )
        return str(url), pending

    async def finish(
        self,
        redirect_uri: str,
        pending: PendingSignIn,
        callback: Mapping[str, str],
    ) -> VerifiedIdentity:
        """Check the provider's answer to the browser (``callback``: the query parameters),
        exchange the code with the PKCE verifier, check the ID token and read who signed in.

        Raises :class:`OpenIdError` for an answer that does not belong to ``pending`` (its
        state), an error from the provider, or an ID token that fails a check.
        """
        if not secrets.compare_digest(callback.get("state", ""), pending.state):
            raise OpenIdError("state-mismatch", "the answer is not for the sign-in started here")
        if "error" in callback:
            raise OpenIdError("provider-refused", "the identity provider did not sign you in")
        if "iss" in callback and callback["iss"] != self.issuer:
            # RFC 9207: an answer from another provider (a mix-up attack).
            raise OpenIdError("issuer-mismatch", "the answer came from another issuer")
        code = callback.get("code", "")
        if not code:
            raise OpenIdError("no-code", "the provider's answer holds no code")
        metadata = await self.metadata()
        async with self._oauth_client(redirect_uri, self._scope(metadata)) as client:
            try:
                token = await client.fetch_token(
                    str(metadata["token_endpoint"]),
                    grant_type="authorization_code",
                    code=code,
                    code_verifier=pending.code_verifier,
                )
            except (OAuthError, httpx2.HTTPError, ValueError) as error:
                raise OpenIdError(
                    "token-refused", f"the provider did not exchange the code ({error})"
                ) from None
            id_token = token.get("id_token")
            if not isinstance(id_token, str):
                raise OpenIdError("no-id-token", "the provider sent no ID token")
            access_token = token.get("access_token")
            claims = await self.verify_id_token(
                id_token,
                nonce=pending.nonce,
                access_token=access_token if isinstance(access_token, str) else None,
            )
            userinfo_url = metadata.get("userinfo_endpoint")
            if self._missing(claims) and isinstance(userinfo_url, str) and access_token:
                claims = {**await self._userinfo(client, userinfo_url, claims["sub"]), **claims}
        return self._identity(claims)

    async def verify_id_token(
        self, id_token: str, *, nonce: str, access_token: str | None = None
    ) -> dict[str, Any]:
        """The ID token's claims once its signature (the provider's keys) and its ``iss``,
        ``aud``, ``exp``, ``iat``, ``nonce``, ``azp`` and ``at_hash`` are checked."""
        metadata = await self.metadata()
        algorithms = metadata.get("id_token_signing_alg_values_supported") or ["RS256"]
        # "none" and the HMAC family (keyed with the client secret) are never accepted.
        algorithms = [alg for alg in algorithms if isinstance(alg, str) and alg[:2] in _ASYMMETRIC]
        registry = JWSRegistry(algorithms=algorithms)
        try:
            try:
                decoded = jwt.decode(id_token, await self._key_set(), registry=registry)
            except InvalidKeyIdError:
                # An unknown key id: the provider may have rotated its keys since we read them.
                decoded = jwt.decode(id_token, await self._key_set(fresh=True), registry=registry)
        except (JoseError, ValueError) as error:
            raise OpenIdError(
                "bad-signature",
                f"the ID token's signature does not check ({error.__class__.__name__})",
            ) from None
        options: dict[str, Any] = {
            "iss": {"essential": True, "value": self.issuer},
            "aud": {"essential": True, "value": self.client_id},
            "sub": {"essential": True},
            "exp": {"essential": True},
            "iat": {"essential": True},
            "nonce": {"essential": True, "value": nonce},
        }
        params: dict[str, Any] = {"nonce": nonce, "client_id": self.client_id}
        if access_token:
            params["access_token"] = access_token
        claims = CodeIDToken(decoded.claims, decoded.header, options, params)
        try:
            claims.validate(now=int(self._clock()), leeway=_LEEWAY_SECONDS)
        except JoseError as error:
            raise OpenIdError(
                "bad-claims", f"the ID token fails a check ({error.__class__.__name__})"
            ) from None
        if not isinstance(claims.get("sub"), str) or not claims["sub"]:
            raise OpenIdError("bad-claims", "the ID token has no subject")
        return dict(claims)

    async def _userinfo(self, client: AsyncOAuth2Client, url: str, subject: str) -> dict[str, Any]:
        if not is_loopback_or_https(url):
            raise OpenIdError("insecure-endpoint", "the provider's userinfo is not https")
        try:
            response = await client.get(url)
            response.raise_for_status()
            body = response.json()
        except (httpx2.HTTPError, OAuthError, ValueError) as error:
            raise OpenIdError(
                "provider-unreachable", f"the provider's userinfo did not answer ({error})"
            ) from None
        # OpenID Connect Core 1.0 section 5.3.2: the answer must be about the same person.
        if not isinstance(body, dict) or body.get("sub") != subject:
            raise OpenIdError("bad-claims", "userinfo is about another person")
        return body

    def _missing(self, claims: Mapping[str, Any]) -> bool:
        return any(_claim(claims, name) is None for name in ("email", "name", self.group_claim))

    def _identity(self, claims: Mapping[str, Any]) -> VerifiedIdentity:
        groups = _claim(claims, self.group_claim)
        if groups is None:
            groups = []
        if isinstance(groups, str):
            groups = [groups]
        if not isinstance(groups, Sequence) or not all(isinstance(g, str) for g in groups):
            raise OpenIdError(
                "bad-claims", f"the claim {self.group_claim!r} is not a list of names"
            )
        email = claims.get("email")
        name = claims.get("name")
        return VerifiedIdentity(
            issuer=self.issuer,
            subject=str(claims["sub"]),
            email=email
            if isinstance(email, str) and claims.get("email_verified") is not False
            else None,
            name=name if isinstance(name, str) else None,
            groups=tuple(groups),
        )


_ASYMMETRIC = ("RS", "PS", "ES", "Ed")


def _claim(claims: Mapping[str, Any], dotted: str) -> Any:
    value: Any = claims
    for part in dotted.split("."):
        if not isinstance(value, Mapping) or part not in value:
            return None
        value = value[part]
    return value
