"""Shared pieces for the sign-in tests: the real ASGI app, a browser-like client, the development provider's pages
driven over HTTP, a fake external provider that forges ID tokens, and a database scan for leaked secrets.

Everything goes through real HTTP semantics (``httpx.ASGITransport``) against the app built by ``app()``; the
relying party's own calls to the provider are routed to the same app (built-in provider) or to ``FakeProvider``
(a configured, Google-like issuer) through ``oidc.set_transport_factory``.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import importlib.util
import json
import time
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from joserfc.jwk import RSAKey
from sqlmodel import Session, SQLModel, select

from models import AuthSession
from portal_app import routes
from portal_app.api import oidc
from portal_app.services import sessions
from portal_app.services.sessions import COOKIE_NAME, Principal
from portal_app.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
FAKE_ISSUER = "https://idp.example.test"
FAKE_HOST = "idp.example.test"
FAKE_CLIENT_ID = "portal-test-client"
FAKE_CLIENT_SECRET = "fake-provider-client-secret-0123456789"  # noqa: S105
REFUSED = "Sign-in did not complete"
DEV_PAGE_MARKER = "Development sign-in"


def build_asgi_app() -> Any:
    """The real app, built by ``app()`` as ``reflex run`` would (without compiling the frontend).

    A started app cannot be built again (Reflex adds middleware at start-up), and ``tests/api/test_shell.py`` builds
    the module's own ``app``; so each call executes ``portal_app/portal_app.py`` afresh into a private module, under
    a fork of Reflex's registration context (Reflex's documented way to have a second ``App``).
    """
    from reflex_base.registry import RegistrationContext

    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("__REFLEX_SKIP_COMPILE", "1")
        mp.setenv("REFLEX_TELEMETRY_ENABLED", "false")
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        spec = importlib.util.spec_from_file_location(
            "_portal_app_under_test", ROOT / "portal_app" / "portal_app.py"
        )
        assert spec is not None and spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        # Every page and state module is imported here first, in the main registration context: imported for the
        # first time inside the fork, the state classes would be registered there only, and a state tree built
        # later by another test would miss them ("Invalid path" when a router change marks their vars dirty).
        importlib.import_module("portal_app.portal_app")
        with RegistrationContext.ensure_context().fork():
            spec.loader.exec_module(module)
            return module.app()


@contextlib.contextmanager
def settings_env(**env: str) -> Iterator[None]:
    """Run with extra ``PORTAL_*`` settings; the cached settings and provider caches are rebuilt on both sides."""
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv("PORTAL_" + name.upper(), value)
        get_settings.cache_clear()
        oidc.clear_caches()
        try:
            yield
        finally:
            oidc.clear_caches()
    get_settings.cache_clear()


# --- JWT helpers -----------------------------------------------------------------------------------------------


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def raw_jwt(header: dict[str, Any], claims: dict[str, Any], sign: Callable[[bytes], bytes]) -> str:
    """A compact JWT assembled by hand, for algorithms a careful library refuses to produce."""
    signing_input = f"{b64url(json.dumps(header).encode())}.{b64url(json.dumps(claims).encode())}"
    return f"{signing_input}.{b64url(sign(signing_input.encode()))}"


def rsa_key(kid: str) -> RSAKey:
    return RSAKey.generate_key(2048, parameters={"kid": kid})


def sign_rs256(claims: dict[str, Any], key: Any, *, kid: str | None = None) -> str:
    """RS256 with any header kid (authlib would overwrite the kid with the signing key's own)."""
    private = key.private_key
    header = {"alg": "RS256", "kid": kid or key.kid, "typ": "JWT"}
    return raw_jwt(header, claims, lambda m: private.sign(m, padding.PKCS1v15(), hashes.SHA256()))


def s256(verifier: str) -> str:
    return b64url(hashlib.sha256(verifier.encode()).digest())


# --- a configured (Google-like) provider that the tests control --------------------------------------------------

Forge = Callable[["FakeProvider", str], str]  # (provider, nonce) -> id_token


@dataclass
class FakeProvider:
    """Discovery, keys and a token endpoint at https://idp.example.test; the ID token is whatever ``forge`` makes."""

    key: Any = field(default_factory=lambda: rsa_key("fake-key-1"))
    forge: Forge | None = None
    nonce: str = ""
    code_challenge: str = ""
    jwks_fetches: int = 0
    token_requests: int = 0

    def public_jwks(self) -> dict[str, Any]:
        public = dict(self.key.as_dict(private=False))
        public.update({"kid": self.key.kid, "use": "sig", "alg": "RS256"})
        return {"keys": [public]}

    def claims(self, nonce: str, /, **overrides: Any) -> dict[str, Any]:
        """Valid claims; an override of ``None`` removes the claim."""
        now = int(time.time())
        claims: dict[str, Any] = {
            "iss": FAKE_ISSUER,
            "aud": FAKE_CLIENT_ID,
            "azp": FAKE_CLIENT_ID,
            "sub": "fake-subject-1",
            "email": "pat@customer.example",
            "email_verified": True,
            "name": "Pat Example",
            "nonce": nonce,
            "iat": now,
            "exp": now + 600,
        }
        claims.update(overrides)
        return {k: v for k, v in claims.items() if v is not None}

    def good_token(self, nonce: str, /, **overrides: Any) -> str:
        return sign_rs256(self.claims(nonce, **overrides), self.key)

    async def handle(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if path == "/.well-known/openid-configuration":
            return httpx.Response(
                200,
                json={
                    "issuer": FAKE_ISSUER,
                    "authorization_endpoint": FAKE_ISSUER + "/authorize",
                    "token_endpoint": FAKE_ISSUER + "/token",
                    "jwks_uri": FAKE_ISSUER + "/jwks",
                    "id_token_signing_alg_values_supported": ["RS256"],
                },
            )
        if path == "/jwks":
            self.jwks_fetches += 1
            return httpx.Response(200, json=self.public_jwks())
        if path == "/token" and request.method == "POST":
            self.token_requests += 1
            form = dict(parse_qsl((await request.aread()).decode()))
            expected = "Basic " + base64.b64encode(f"{FAKE_CLIENT_ID}:{FAKE_CLIENT_SECRET}".encode()).decode()
            if request.headers.get("authorization") != expected:
                return httpx.Response(401, json={"error": "invalid_client"})
            if s256(form.get("code_verifier", "")) != self.code_challenge:
                return httpx.Response(400, json={"error": "invalid_grant"})
            id_token = self.forge(self, self.nonce) if self.forge else self.good_token(self.nonce)
            return httpx.Response(
                200, json={"access_token": "at", "token_type": "Bearer", "id_token": id_token}
            )
        return httpx.Response(404)


class ProviderRouter(httpx.AsyncBaseTransport):
    """The relying party's outgoing HTTP: the fake provider's host to ``FakeProvider``, everything else to the app."""

    def __init__(self, asgi_app: Any, fake: FakeProvider | None = None) -> None:
        self.app_transport = httpx.ASGITransport(app=asgi_app)
        self.fake = fake

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if self.fake is not None and request.url.host == FAKE_HOST:
            return await self.fake.handle(request)
        return await self.app_transport.handle_async_request(request)


@contextlib.contextmanager
def provider_routed_to(asgi_app: Any, fake: FakeProvider | None = None) -> Iterator[None]:
    oidc.clear_caches()
    oidc.set_transport_factory(lambda: ProviderRouter(asgi_app, fake))
    try:
        yield
    finally:
        oidc.set_transport_factory(None)
        oidc.clear_caches()


# --- a browser ---------------------------------------------------------------------------------------------------


@dataclass
class Browser:
    """An httpx client with a cookie jar, plus every secret value it saw (for the database scan)."""

    client: httpx.AsyncClient
    secrets: set[str] = field(default_factory=set)
    last_authorize_params: dict[str, str] = field(default_factory=dict)
    last_callback: str = ""

    def remember(self, *values: str | None) -> None:
        self.secrets.update(v for v in values if v)

    @property
    def session_token(self) -> str | None:
        return self.client.cookies.get(COOKIE_NAME)

    def _record(self, response: httpx.Response) -> httpx.Response:
        for name in (COOKIE_NAME, "portal_login", "portal_invite"):
            self.remember(response.cookies.get(name))
        return response

    async def get(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._record(await self.client.get(url, **kwargs))

    async def post(self, url: str, **kwargs: Any) -> httpx.Response:
        return self._record(await self.client.post(url, **kwargs))

    async def start(self, as_: str = "staff", next_path: str | None = None) -> httpx.Response:
        params = {"as": as_} | ({"next": next_path} if next_path is not None else {})
        response = await self.get(routes.SIGN_IN, params=params)
        if response.status_code == 302:
            query = dict(parse_qsl(urlsplit(response.headers["location"]).query))
            self.last_authorize_params = query
            # The nonce is not collected: identity.start_login keeps it (and the PKCE verifier) server-side by design.
            self.remember(query.get("state"))
        return response

    async def consent(
        self, params: dict[str, str], *, email: str, name: str = "", verified: bool = True
    ) -> httpx.Response:
        """Pick an identity on the development provider's page (the POST its buttons and form make)."""
        form = {
            k: params[k]
            for k in (
                "response_type",
                "client_id",
                "redirect_uri",
                "scope",
                "state",
                "nonce",
                "code_challenge",
            )
        }
        form |= {"code_challenge_method": params["code_challenge_method"], "email": email, "name": name}
        if verified:
            form["email_verified"] = "1"
        # As a browser posts the provider page's own form.
        response = await self.post(
            routes.DEV_IDP + "/authorize", data=form, headers={"sec-fetch-site": "same-origin"}
        )
        if response.status_code == 303:
            self.last_callback = response.headers["location"]
            self.remember(dict(parse_qsl(urlsplit(self.last_callback).query)).get("code"))
        return response

    async def sign_in_dev(
        self,
        *,
        email: str,
        as_: str = "staff",
        name: str = "",
        verified: bool = True,
        next_path: str | None = None,
    ) -> httpx.Response:
        """The whole flow against the built-in provider; returns the callback's response."""
        started = await self.start(as_, next_path)
        assert started.status_code == 302, started.text
        authorize_url = started.headers["location"]
        page = await self.get(authorize_url)
        assert page.status_code == 200 and DEV_PAGE_MARKER in page.text
        consented = await self.consent(self.last_authorize_params, email=email, name=name, verified=verified)
        assert consented.status_code == 303, consented.text
        return await self.get(self.last_callback)

    async def sign_in_fake(
        self, fake: FakeProvider, *, as_: str = "staff", forge: Forge | None = None
    ) -> httpx.Response:
        """The whole flow against the fake provider: it 'authenticates' and the browser returns with a code."""
        started = await self.start(as_)
        assert started.status_code == 302, started.text
        assert started.headers["location"].startswith(FAKE_ISSUER + "/authorize?")
        params = self.last_authorize_params
        assert params["code_challenge_method"] == "S256" and params["client_id"] == FAKE_CLIENT_ID
        fake.nonce, fake.code_challenge, fake.forge = params["nonce"], params["code_challenge"], forge
        code = "fake-code-" + hashlib.sha256(params["state"].encode()).hexdigest()[:16]
        self.remember(code)
        self.last_callback = (
            routes.AUTH_CALLBACK + "?" + str(httpx.QueryParams(code=code, state=params["state"]))
        )
        return await self.get(self.last_callback)


@contextlib.asynccontextmanager
async def browser(asgi_app: Any, base_url: str | None = None) -> AsyncIterator[Browser]:
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app), base_url=base_url or routes.backend_origin()
    ) as client:
        yield Browser(client)


# --- database checks ---------------------------------------------------------------------------------------------


def principal(engine: sa.Engine, token: str | None) -> Principal | None:
    with Session(engine, expire_on_commit=False) as db:
        return sessions.resolve(db, token)


def session_rows(engine: sa.Engine) -> int:
    with Session(engine) as db:
        return len(db.exec(select(AuthSession.id)).all())


def secrets_in_database(engine: sa.Engine, secrets: Iterable[str], *, allow: Iterable[str] = ()) -> list[str]:
    """Every ``table.column`` whose text contains one of ``secrets``: every column of every table is read.

    ``allow`` names columns excused for these secrets (a queued mail carries its link until it is delivered).
    """
    excused = set(allow)
    wanted = [s for s in secrets if s and len(s) >= 8]
    found: list[str] = []
    with engine.connect() as conn:
        for table in SQLModel.metadata.sorted_tables:
            for row in conn.execute(sa.select(table)).mappings():
                for column, value in row.items():
                    if value is None:
                        continue
                    text = value if isinstance(value, str) else json.dumps(value, default=str)
                    where = f"{table.name}.{column}"
                    if where not in excused:
                        found.extend(where for s in wanted if s in text)
    return found


def set_cookie(response: httpx.Response, name: str) -> str:
    """The raw Set-Cookie header for ``name`` (attributes included)."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(name + "="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}")
