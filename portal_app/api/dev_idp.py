"""The built-in development OpenID Connect provider, mounted at ``/dev-idp`` in dev/test when no issuer is set.

It lets a person (and the tests) sign in as any demo identity through the same authorization-code flow and the same
relying-party code as Google: discovery, keys, an authorize page, and a token endpoint that issues RS256-signed ID
tokens. It is refused in prod: ``routes()`` raises, and every endpoint re-checks the settings on each request.

Client: the development client id is ``portal-dev`` (or ``PORTAL_OIDC_CLIENT_ID`` when set), a public client with no
secret; PKCE (S256) is mandatory, which is what binds the code to the browser that started the flow. If
``PORTAL_OIDC_CLIENT_SECRET`` is set, the token endpoint requires it (basic or post).

Everything lives in memory (one process): the signing key is generated once per process, codes are single-use
(stored by hash, consumed on first presentation even when it then fails) and expire after 60 seconds.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlencode

from joserfc import jwt
from joserfc.jwk import RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from portal_app import demo, routes
from portal_app.api.auth_pages import esc, html_page
from portal_app.api.portal_links import same_origin_request
from portal_app.services import tokens
from portal_app.settings import get_settings

DEV_CLIENT_ID = "portal-dev"
CODE_TTL = 60.0
ID_TOKEN_TTL = 600
MAX_PENDING_CODES = 1000
SUBJECT_PREFIX = "demo-"  # demo users in portal_app/demo.py are stored with subject "demo-<email>"

_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9_-]{43}$")
_VERIFIER_RE = re.compile(r"^[A-Za-z0-9._~-]{43,128}$")
_EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,190}\.[^@\s]{1,60}$")
_AUTHORIZE_PARAMS = (
    "response_type",
    "client_id",
    "redirect_uri",
    "scope",
    "state",
    "nonce",
    "code_challenge",
)


def enabled() -> bool:
    return get_settings().uses_builtin_identity_provider


def issuer() -> str:
    return demo.demo_issuer()


def client_id() -> str:
    return get_settings().oidc_client_id or DEV_CLIENT_ID


def allowed_redirect_uris() -> set[str]:
    """Only the app's own callback, on the public origin or on the backend origin (they differ in ``reflex run``)."""
    return {routes.absolute_url(routes.AUTH_CALLBACK), routes.backend_url(routes.AUTH_CALLBACK)}


# --- signing key -----------------------------------------------------------------------------------------------

_key_lock = threading.Lock()
_signing_key: RSAKey | None = None


def signing_key() -> RSAKey:
    """The RSA key of this process (generated on first use; restarting the app rotates it)."""
    global _signing_key
    with _key_lock:
        if _signing_key is None:
            _signing_key = RSAKey.generate_key(2048, parameters={"kid": "dev-" + secrets.token_hex(8)})
        return _signing_key


def public_jwks() -> dict[str, Any]:
    key = signing_key()
    public: dict[str, Any] = {**key.as_dict(private=False), "kid": key.kid, "use": "sig", "alg": "RS256"}
    return {"keys": [public]}


def sign_id_token(claims: dict[str, Any]) -> str:
    key = signing_key()
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "JWT"}, claims, key, algorithms=["RS256"])


# --- one-time codes --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Grant:
    client_id: str
    redirect_uri: str
    code_challenge: str
    nonce: str
    email: str
    name: str
    email_verified: bool
    expires_at: float


_codes_lock = threading.Lock()
_codes: dict[str, _Grant] = {}


def _code_key(code: str) -> str:
    return hashlib.sha256(code.encode()).hexdigest()


def _issue_code(grant: _Grant) -> str:
    code = secrets.token_urlsafe(32)
    now = time.monotonic()
    with _codes_lock:
        for key in [k for k, g in _codes.items() if g.expires_at <= now]:
            del _codes[key]
        if len(_codes) >= MAX_PENDING_CODES:
            raise RuntimeError("too many pending authorization codes")
        _codes[_code_key(code)] = grant
    return code


def _take_code(code: str) -> _Grant | None:
    """A code works once: it is removed on first presentation, whatever happens next."""
    with _codes_lock:
        grant = _codes.pop(_code_key(code), None)
    if grant is None or grant.expires_at <= time.monotonic():
        return None
    return grant


s256 = tokens.pkce_challenge


# --- endpoints -------------------------------------------------------------------------------------------------


def _not_found() -> Response:
    return Response("Not Found", status_code=404, media_type="text/plain")


def _endpoint(name: str) -> str:
    return routes.backend_url(f"{routes.DEV_IDP}/{name}")


async def discovery(request: Request) -> Response:
    if not enabled():
        return _not_found()
    return JSONResponse(
        {
            "issuer": issuer(),
            "authorization_endpoint": _endpoint("authorize"),
            "token_endpoint": _endpoint("token"),
            "jwks_uri": _endpoint("jwks"),
            "response_types_supported": ["code"],
            "grant_types_supported": ["authorization_code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": ["RS256"],
            "scopes_supported": ["openid", "email", "profile"],
            "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": [
                "iss",
                "aud",
                "sub",
                "email",
                "email_verified",
                "name",
                "nonce",
                "iat",
                "exp",
            ],
        }
    )


async def jwks(request: Request) -> Response:
    if not enabled():
        return _not_found()
    return JSONResponse(public_jwks(), headers={"cache-control": "public, max-age=300"})


def _authorize_params(values: Any) -> dict[str, str] | str:
    """The validated authorize request, or a reason it is refused (shown on the provider's own page)."""
    params = {name: str(values.get(name) or "") for name in _AUTHORIZE_PARAMS}
    if params["response_type"] != "code":
        return "Only response_type=code is supported."
    if params["client_id"] != client_id():
        return "Unknown client."
    if params["redirect_uri"] not in allowed_redirect_uris():
        return "This redirect URI is not registered."
    if "openid" not in params["scope"].split():
        return "The openid scope is required."
    if not 0 < len(params["state"]) <= 200 or not 0 < len(params["nonce"]) <= 200:
        return "state and nonce are required."
    if str(values.get("code_challenge_method") or "") != "S256" or not _CHALLENGE_RE.match(
        params["code_challenge"]
    ):
        return "PKCE with code_challenge_method=S256 is required."
    return params


def _error_page(reason: str) -> Response:
    body = (
        "<h1>Development sign-in refused</h1>"
        f"<p>{esc(reason)}</p>"
        f'<div class=actions><a class="button secondary" href="{esc(routes.absolute_url(routes.HOME))}">'
        "Back to the app</a></div>"
    )
    return html_page("Development sign-in", body, status_code=400)


def _hidden(params: dict[str, str]) -> str:
    fields = {**params, "code_challenge_method": "S256"}
    return "".join(f'<input type=hidden name="{esc(k)}" value="{esc(v)}">' for k, v in fields.items())


def demo_identities() -> list[tuple[str, str, str]]:
    """(email, name, description) for the demo people, staff first, each contact once."""
    people = [(email, name, f"Staff · {role.value.replace('_', ' ')}") for email, name, role in demo.STAFF]
    seen = {email for email, _, _ in people}
    for _code, account_name, _currency, contacts in demo.ACCOUNTS:
        for email, name, *_ in contacts:
            if email not in seen:
                seen.add(email)
                people.append((email, name, f"Customer contact · {account_name}"))
    return people


def _authorize_page(params: dict[str, str]) -> Response:
    hidden = _hidden(params)
    action = esc(_endpoint("authorize"))
    buttons = "".join(
        f'<li><form method=post action="{action}">{hidden}'
        f'<input type=hidden name=email value="{esc(email)}"><input type=hidden name=name value="{esc(name)}">'
        "<input type=hidden name=email_verified value=1>"
        f"<button type=submit>{esc(name)} <small>{esc(email)} · {esc(kind)}</small></button></form></li>"
        for email, name, kind in demo_identities()
    )
    cancel_url = (
        params["redirect_uri"] + "?" + urlencode({"error": "access_denied", "state": params["state"]})
    )
    body = (
        "<h1>Development sign-in</h1>"
        "<p class=banner>This is the app's built-in identity provider for development. It signs you in as whoever "
        "you pick, and it never runs in production.</p>"
        f"<h2>Demo people</h2><ul class=ids>{buttons}</ul>"
        f'<h2>Someone else</h2><form method=post action="{action}">{hidden}'
        "<label for=email>Email</label><input id=email type=email name=email required maxlength=254 autocomplete=off>"
        "<label for=name>Name</label><input id=name type=text name=name maxlength=200 autocomplete=off>"
        "<label class=check><input type=checkbox name=email_verified value=1 checked> Email address verified</label>"
        "<div class=actions><button type=submit>Continue</button>"
        f'<a class="button secondary" href="{esc(cancel_url)}">Cancel</a></div></form>'
        "<p class=muted>Subject identifiers are <code>demo-&lt;email&gt;</code>, so an email always signs in as the "
        "same person.</p>"
    )
    return html_page("Development sign-in", body)


async def authorize(request: Request) -> Response:
    if not enabled():
        return _not_found()
    if request.method == "GET":
        params = _authorize_params(request.query_params)
        return _error_page(params) if isinstance(params, str) else _authorize_page(params)
    if not same_origin_request(request):
        # The form is posted by this page only; a cross-site or origin-less POST is not a person choosing.
        return _error_page("This request did not come from the sign-in page. Start the sign-in again.")
    form = await request.form(max_fields=50, max_files=0)
    params = _authorize_params(form)
    if isinstance(params, str):
        return _error_page(params)
    email = str(form.get("email") or "").strip().lower()
    name = " ".join(str(form.get("name") or "").split())[:200]
    if not _EMAIL_RE.match(email) or len(email) > 254:
        return _error_page("Enter a valid email address.")
    grant = _Grant(
        client_id=params["client_id"],
        redirect_uri=params["redirect_uri"],
        code_challenge=params["code_challenge"],
        nonce=params["nonce"],
        email=email,
        name=name or email.split("@", 1)[0],
        email_verified=str(form.get("email_verified") or "") in ("1", "on", "true"),
        expires_at=time.monotonic() + CODE_TTL,
    )
    try:
        code = _issue_code(grant)
    except RuntimeError:
        return _error_page("Too many sign-ins in progress. Try again in a minute.")
    target = params["redirect_uri"] + "?" + urlencode({"code": code, "state": params["state"]})
    return RedirectResponse(target, status_code=303, headers={"cache-control": "no-store"})


def _token_error(error: str, status_code: int = 400) -> Response:
    headers = {"cache-control": "no-store"}
    if status_code == 401:
        headers["www-authenticate"] = 'Basic realm="dev-idp"'
    return JSONResponse({"error": error}, status_code=status_code, headers=headers)


def _client_credentials(request: Request, form: Any) -> tuple[str, str]:
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("basic "):
        try:
            decoded = base64.b64decode(auth[6:].strip()).decode()
        except (ValueError, UnicodeDecodeError):
            return "", ""
        cid, _, secret = decoded.partition(":")
        return unquote(cid), unquote(secret)
    return str(form.get("client_id") or ""), str(form.get("client_secret") or "")


async def token(request: Request) -> Response:
    if not enabled():
        return _not_found()
    form = await request.form(max_fields=20, max_files=0)
    if form.get("grant_type") != "authorization_code":
        return _token_error("unsupported_grant_type")
    cid, secret = _client_credentials(request, form)
    expected_secret = get_settings().oidc_client_secret.get_secret_value()
    if cid != client_id() or (
        expected_secret and not hmac.compare_digest(secret.encode(), expected_secret.encode())
    ):
        return _token_error("invalid_client", 401)
    code = str(form.get("code") or "")
    grant = _take_code(code) if 0 < len(code) <= 200 else None
    if grant is None or grant.client_id != cid or grant.redirect_uri != form.get("redirect_uri"):
        return _token_error("invalid_grant")
    verifier = str(form.get("code_verifier") or "")
    if not _VERIFIER_RE.match(verifier) or not hmac.compare_digest(s256(verifier), grant.code_challenge):
        return _token_error("invalid_grant")
    now = int(time.time())
    id_token = sign_id_token(
        {
            "iss": issuer(),
            "aud": cid,
            "sub": SUBJECT_PREFIX + grant.email,
            "email": grant.email,
            "email_verified": grant.email_verified,
            "name": grant.name,
            "nonce": grant.nonce,
            "iat": now,
            "exp": now + ID_TOKEN_TTL,
        }
    )
    return JSONResponse(
        {
            "access_token": secrets.token_urlsafe(32),
            "token_type": "Bearer",
            "expires_in": ID_TOKEN_TTL,
            "scope": "openid email profile",
            "id_token": id_token,
        },
        headers={"cache-control": "no-store", "pragma": "no-cache"},
    )


def endpoints() -> list[BaseRoute]:
    return [
        Route("/.well-known/openid-configuration", discovery, methods=["GET"]),
        Route("/jwks", jwks, methods=["GET"]),
        Route("/authorize", authorize, methods=["GET", "POST"]),
        Route("/token", token, methods=["POST"]),
    ]


def mount() -> Mount:
    """The provider's routes under ``/dev-idp``. Raises outside dev/test or when a real issuer is configured."""
    if not enabled():
        raise RuntimeError(
            "the development identity provider is only available in dev/test without an issuer"
        )
    return Mount(routes.DEV_IDP, routes=endpoints())


def asgi_app() -> Starlette:
    """The provider alone (the relying party talks to it in-process when it is the configured provider)."""
    return Starlette(routes=[mount()])
