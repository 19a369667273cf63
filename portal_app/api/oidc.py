"""OpenID Connect relying party: authorization URL (PKCE S256), code exchange and full ID token validation.

Google is the production provider (``PORTAL_OIDC_ISSUER=https://accounts.google.com``); any provider with a discovery
document can stand in. With no issuer configured in dev/test the built-in development provider
(``portal_app/api/dev_idp.py``) is used through exactly this code.

The provider's discovery document and keys are fetched with httpx and cached; an ID token signed with a key id we do
not know triggers one refetch of the keys (at most once per ``JWKS_REFETCH_INTERVAL``), so key rotation works and a
stream of forged key ids cannot make us hammer the provider.

The HTTP transport is injectable (``set_transport_factory``) so tests route the provider's traffic in-process.
Nothing here logs tokens, codes or claims.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import time
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import authlib.deprecate  # noqa: F401  installs authlib's own warning filter first, so ours can override it
import httpx
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from portal_app import routes
from portal_app.services.identity import VerifiedIdentity
from portal_app.settings import get_settings

with warnings.catch_warnings():
    # authlib 1.9 prefers the httpx2 package for its OAuth client and warns when it falls back to httpx, which this
    # app uses everywhere (and whose ASGI transport the tests and the development provider route through). Only
    # that one announcement is silenced; tokens and keys are handled by joserfc directly.
    warnings.filterwarnings("ignore", message="The httpx module is deprecated", category=DeprecationWarning)
    from authlib.integrations.httpx_client import AsyncOAuth2Client

log = logging.getLogger("portal.security")

SCOPES = "openid email profile"
DEV_CLIENT_ID = "portal-dev"
HTTP_TIMEOUT = httpx.Timeout(10.0)
METADATA_TTL = 3600.0
JWKS_TTL = 3600.0
JWKS_REFETCH_INTERVAL = 30.0  # seconds between key refetches forced by an unknown key id
LEEWAY = 60  # seconds of clock skew tolerated on exp / iat / nbf
MAX_ID_TOKEN_CHARS = 16_384
MAX_DOCUMENT_BYTES = 256 * 1024
ALGORITHM = "RS256"


class OidcError(Exception):
    """Sign-in refused by the relying party. The message is a short reason for the log, never shown to users."""


@dataclass(frozen=True)
class Provider:
    issuer: str
    discovery_url: str
    client_id: str
    client_secret: str


# --- transport -------------------------------------------------------------------------------------------------

TransportFactory = Callable[[], httpx.AsyncBaseTransport | None]
_transport_factory: TransportFactory | None = None


def set_transport_factory(factory: TransportFactory | None) -> None:
    """Route the provider's HTTP through another transport (tests: ``httpx.ASGITransport(app)``); None resets."""
    global _transport_factory
    _transport_factory = factory


def _transport() -> httpx.AsyncBaseTransport | None:
    if _transport_factory is not None:
        return _transport_factory()
    if get_settings().uses_builtin_identity_provider:
        # The built-in provider lives in this process: talk to it in-process rather than over a socket to ourselves
        # (same HTTP semantics, and it works whatever address the server is bound to).
        from portal_app.api import dev_idp

        return httpx.ASGITransport(app=dev_idp.asgi_app())
    return None  # the network


def _http_client() -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=_transport(), timeout=HTTP_TIMEOUT, follow_redirects=False)


# --- provider configuration and caches -------------------------------------------------------------------------


def provider() -> Provider:
    """The configured provider; raises ``OidcError`` when none is usable (fails closed)."""
    settings = get_settings()
    if settings.uses_builtin_identity_provider:
        from portal_app.api import dev_idp

        return Provider(
            issuer=dev_idp.issuer(),
            discovery_url=routes.backend_url(routes.DEV_IDP + "/.well-known/openid-configuration"),
            client_id=dev_idp.client_id(),
            client_secret=settings.oidc_client_secret.get_secret_value(),
        )
    if not settings.oidc_issuer or not settings.oidc_client_id:
        raise OidcError("no identity provider configured")
    issuer = settings.oidc_issuer
    return Provider(
        issuer=issuer,
        discovery_url=issuer.rstrip("/") + "/.well-known/openid-configuration",
        client_id=settings.oidc_client_id,
        client_secret=settings.oidc_client_secret.get_secret_value(),
    )


_metadata_cache: dict[str, tuple[float, dict[str, Any]]] = {}
_jwks_cache: dict[str, tuple[float, KeySet]] = {}
_jwks_forced_at: dict[str, float] = {}


def clear_caches() -> None:
    _metadata_cache.clear()
    _jwks_cache.clear()
    _jwks_forced_at.clear()


async def _get_json(url: str) -> dict[str, Any]:
    async with _http_client() as client:
        response = await client.get(url, headers={"accept": "application/json"})
    if response.status_code != 200 or len(response.content) > MAX_DOCUMENT_BYTES:
        raise OidcError(f"provider document unavailable (HTTP {response.status_code})")
    try:
        data = response.json()
    except ValueError as exc:
        raise OidcError("provider document is not JSON") from exc
    if not isinstance(data, dict):
        raise OidcError("provider document is not an object")
    return data


def _check_endpoint(value: object) -> str:
    if not isinstance(value, str) or not value:
        raise OidcError("discovery document lacks an endpoint")
    scheme = urlsplit(value).scheme
    if scheme != "https" and not (scheme == "http" and get_settings().is_dev_like):
        raise OidcError("provider endpoint is not https")
    return value


async def metadata(prov: Provider) -> dict[str, Any]:
    cached = _metadata_cache.get(prov.discovery_url)
    if cached and time.monotonic() - cached[0] < METADATA_TTL:
        return cached[1]
    doc = await _get_json(prov.discovery_url)
    # OIDC Discovery 4.3: the document must name exactly the issuer we trust.
    if doc.get("issuer") != prov.issuer:
        raise OidcError("discovery issuer mismatch")
    for name in ("authorization_endpoint", "token_endpoint", "jwks_uri"):
        _check_endpoint(doc.get(name))
    _metadata_cache[prov.discovery_url] = (time.monotonic(), doc)
    return doc


async def _key_set(jwks_uri: str, *, force: bool = False) -> KeySet:
    now = time.monotonic()
    cached = _jwks_cache.get(jwks_uri)
    if cached and not force and now - cached[0] < JWKS_TTL:
        return cached[1]
    if (
        cached
        and force
        and now - _jwks_forced_at.get(jwks_uri, -JWKS_REFETCH_INTERVAL) < JWKS_REFETCH_INTERVAL
    ):
        return cached[1]  # refetched moments ago: an unknown key id now is not worth another round trip
    doc = await _get_json(jwks_uri)
    keys = [k for k in doc.get("keys", []) if isinstance(k, dict) and k.get("kty") == "RSA" and k.get("kid")]
    try:
        key_set = KeySet.import_key_set({"keys": keys})
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise OidcError("provider keys unreadable") from exc
    _jwks_cache[jwks_uri] = (now, key_set)
    if force:
        _jwks_forced_at[jwks_uri] = now
    return key_set


def _find_key(key_set: KeySet, kid: str) -> RSAKey | None:
    for key in key_set.keys:
        if key.kid == kid and isinstance(key, RSAKey):
            return key
    return None


# --- the flow --------------------------------------------------------------------------------------------------


def _oauth_client(prov: Provider, redirect_uri: str) -> AsyncOAuth2Client:
    return AsyncOAuth2Client(
        client_id=prov.client_id,
        client_secret=prov.client_secret or None,
        # A confidential client (Google) authenticates with its secret; the development client is public (PKCE only).
        token_endpoint_auth_method="client_secret_basic" if prov.client_secret else "none",
        scope=SCOPES,
        redirect_uri=redirect_uri,
        code_challenge_method="S256",
        transport=_transport(),
        timeout=HTTP_TIMEOUT,
        follow_redirects=False,
    )


async def authorization_url(*, state: str, nonce: str, code_verifier: str, redirect_uri: str) -> str:
    """Where to send the browser: the provider's authorize endpoint with state, nonce and the S256 challenge."""
    prov = provider()
    meta = await metadata(prov)
    async with _oauth_client(prov, redirect_uri) as client:
        url, _ = client.create_authorization_url(
            meta["authorization_endpoint"], state=state, code_verifier=code_verifier, nonce=nonce
        )
    return str(url)


async def exchange_code(*, code: str, code_verifier: str, redirect_uri: str, nonce: str) -> VerifiedIdentity:
    """Trade the code (with the PKCE verifier) for an ID token and validate it fully; ``OidcError`` otherwise."""
    prov = provider()
    meta = await metadata(prov)
    try:
        async with _oauth_client(prov, redirect_uri) as client:
            token = await client.fetch_token(
                meta["token_endpoint"],
                grant_type="authorization_code",
                code=code,
                code_verifier=code_verifier,
                redirect_uri=redirect_uri,
            )
    except OidcError:
        raise
    except Exception as exc:  # noqa: BLE001  authlib/httpx errors may quote the response: log the type only
        raise OidcError(f"token endpoint refused ({type(exc).__name__})") from None
    id_token = token.get("id_token") if isinstance(token, dict) else None
    if not isinstance(id_token, str):
        raise OidcError("no id_token in the token response")
    return await validate_id_token(id_token, prov=prov, meta=meta, nonce=nonce)


def _b64json(segment: str) -> dict[str, Any]:
    try:
        raw = base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))
        value = json.loads(raw)
    except (ValueError, TypeError) as exc:
        raise OidcError("malformed token") from exc
    if not isinstance(value, dict):
        raise OidcError("malformed token")
    return value


def _number(claims: dict[str, Any], name: str) -> float:
    value = claims.get(name)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise OidcError(f"missing or malformed {name}")
    return float(value)


async def validate_id_token(
    id_token: str, *, prov: Provider, meta: dict[str, Any], nonce: str, now: float | None = None
) -> VerifiedIdentity:
    """Signature (RS256 only, key by kid), iss, aud/azp, exp, iat, nbf and nonce; ``OidcError`` if any fails."""
    if not id_token or len(id_token) > MAX_ID_TOKEN_CHARS or id_token.count(".") != 2:
        raise OidcError("malformed token")
    header = _b64json(id_token.split(".", 1)[0])
    # Decide the algorithm ourselves before touching keys: "none", HS256 (keyed with the public key) and anything
    # else never reach a verifier.
    if header.get("alg") != ALGORITHM:
        raise OidcError("algorithm not allowed")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise OidcError("token has no key id")
    jwks_uri = _check_endpoint(meta.get("jwks_uri"))
    key = _find_key(await _key_set(jwks_uri), kid)
    if key is None:
        key = _find_key(await _key_set(jwks_uri, force=True), kid)
    if key is None:
        raise OidcError("unknown key id")
    try:
        # Only the signature is checked here (RS256 alone allowed); every claim is checked below, explicitly.
        claims = dict(jwt.decode(id_token, key, algorithms=[ALGORITHM]).claims)
    except (JoseError, ValueError, TypeError) as exc:
        raise OidcError(f"signature check failed ({type(exc).__name__})") from None

    now = time.time() if now is None else now
    if claims.get("iss") != prov.issuer:
        raise OidcError("wrong issuer")
    aud = claims.get("aud")
    audiences = [aud] if isinstance(aud, str) else aud if isinstance(aud, list) else []
    if prov.client_id not in audiences:
        raise OidcError("wrong audience")
    azp = claims.get("azp")
    if (len(audiences) > 1 or azp is not None) and azp != prov.client_id:
        raise OidcError("wrong authorized party")
    if now >= _number(claims, "exp") + LEEWAY:
        raise OidcError("token expired")
    if _number(claims, "iat") > now + LEEWAY:
        raise OidcError("token issued in the future")
    if "nbf" in claims and _number(claims, "nbf") > now + LEEWAY:
        raise OidcError("token not yet valid")
    token_nonce = claims.get("nonce")
    if not isinstance(token_nonce, str) or not hmac.compare_digest(token_nonce.encode(), nonce.encode()):
        raise OidcError("nonce mismatch")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub or len(sub) > 255:
        raise OidcError("missing subject")
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email or len(email) > 320:
        raise OidcError("missing email")
    verified = claims.get("email_verified")
    name = claims.get("name")
    return VerifiedIdentity(
        issuer=prov.issuer,
        subject=sub,
        email=email.strip().lower(),
        email_verified=verified is True or verified == "true",
        name=name.strip()[:200] if isinstance(name, str) else "",
    )
