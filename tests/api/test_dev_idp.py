"""The built-in development identity provider: never in prod; strict authorize and token endpoints."""

from __future__ import annotations

import asyncio
import base64
import json
from typing import Any

import httpx
import pytest

from portal_app import demo, routes
from portal_app.api import build_api, dev_idp, oidc
from tests.api.oidc_support import build_asgi_app, s256, settings_env

VERIFIER = "v3rifier-" + "x" * 55
CHALLENGE = s256(VERIFIER)


@pytest.fixture(scope="module")
def asgi_app() -> Any:
    return build_asgi_app()


def call(asgi_app: Any, method: str, url: str, **kwargs: Any) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi_app), base_url=routes.backend_origin()
        ) as client:
            return await client.request(method, url, **kwargs)

    return asyncio.run(go())


SAME_ORIGIN = {"sec-fetch-site": "same-origin"}  # what a browser sends when the provider page posts its form


def authorize_params(**overrides: str) -> dict[str, str]:
    params = {
        "response_type": "code",
        "client_id": dev_idp.client_id(),
        "redirect_uri": routes.auth_callback_url(),
        "scope": "openid email profile",
        "state": "state-123",
        "nonce": "nonce-456",
        "code_challenge": CHALLENGE,
        "code_challenge_method": "S256",
    }
    params.update(overrides)
    return {k: v for k, v in params.items() if v != ""}


def issue_code(asgi_app: Any, email: str = "olivia.owner@northwind.example", **overrides: str) -> str:
    form = authorize_params(**overrides) | {"email": email, "name": "Olivia", "email_verified": "1"}
    response = call(asgi_app, "POST", "/dev-idp/authorize", data=form, headers=SAME_ORIGIN)
    assert response.status_code == 303, response.text
    location = httpx.URL(response.headers["location"])
    assert str(location).startswith(form["redirect_uri"] + "?")
    assert location.params["state"] == form["state"]
    return location.params["code"]


def redeem(asgi_app: Any, code: str, **overrides: str) -> httpx.Response:
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": routes.auth_callback_url(),
        "client_id": dev_idp.client_id(),
        "code_verifier": VERIFIER,
    }
    form.update(overrides)
    return call(asgi_app, "POST", "/dev-idp/token", data=form)


def claims_of(id_token: str) -> tuple[dict[str, Any], dict[str, Any]]:
    header, payload, _ = id_token.split(".")

    def part(segment: str) -> dict[str, Any]:
        return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))

    return part(header), part(payload)


# --- never in prod ---------------------------------------------------------------------------------------------


def _route_paths(app: Any) -> list[str]:
    return [getattr(route, "path", "") for route in app.routes]


def test_refuses_to_mount_in_prod() -> None:
    with settings_env(
        env="prod",
        session_secret="p" * 48,
        oidc_issuer="https://accounts.google.com",
        oidc_client_id="cid",
        oidc_client_secret="s" * 40,
    ):
        with pytest.raises(RuntimeError):
            dev_idp.mount()
        assert routes.DEV_IDP not in _route_paths(build_api())
    assert routes.DEV_IDP in _route_paths(build_api())  # test settings, no issuer: mounted


def test_not_mounted_when_a_real_issuer_is_configured() -> None:
    with settings_env(oidc_issuer="https://accounts.google.com", oidc_client_id="cid"):
        with pytest.raises(RuntimeError):
            dev_idp.mount()
        assert routes.DEV_IDP not in _route_paths(build_api())


def test_endpoints_answer_404_once_the_settings_say_prod(asgi_app: Any) -> None:
    with settings_env(
        env="prod",
        session_secret="p" * 48,
        oidc_issuer="https://accounts.google.com",
        oidc_client_id="cid",
        oidc_client_secret="s" * 40,
    ):
        for method, path in [
            ("GET", "/dev-idp/.well-known/openid-configuration"),
            ("GET", "/dev-idp/jwks"),
            ("GET", "/dev-idp/authorize"),
            ("POST", "/dev-idp/token"),
        ]:
            assert call(asgi_app, method, path).status_code == 404, path


# --- discovery, keys, authorize ---------------------------------------------------------------------------------


def test_discovery_and_keys(asgi_app: Any) -> None:
    doc = call(asgi_app, "GET", "/dev-idp/.well-known/openid-configuration").json()
    assert doc["issuer"] == demo.demo_issuer() == "http://localhost:3000/dev-idp"
    assert doc["authorization_endpoint"] == routes.backend_url("/dev-idp/authorize")
    assert doc["id_token_signing_alg_values_supported"] == ["RS256"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    keys = call(asgi_app, "GET", "/dev-idp/jwks").json()["keys"]
    assert len(keys) == 1 and keys[0]["kty"] == "RSA" and keys[0]["kid"] == dev_idp.signing_key().kid
    assert "d" not in keys[0] and "p" not in keys[0]  # public half only


def test_authorize_page_lists_the_demo_people(asgi_app: Any) -> None:
    page = call(asgi_app, "GET", "/dev-idp/authorize", params=authorize_params())
    assert page.status_code == 200 and page.headers["content-type"].startswith("text/html")
    for email, _name, _role in demo.STAFF:
        assert email in page.text
    for _code, _account, _currency, contacts in demo.ACCOUNTS:
        for email, *_ in contacts:
            assert email in page.text
    assert "<script" not in page.text
    assert "type=checkbox name=email_verified value=1 checked" in page.text  # the "type any email" form


@pytest.mark.parametrize(
    "overrides",
    [
        {"redirect_uri": "https://evil.example/auth/callback"},
        {"redirect_uri": routes.auth_callback_url() + "/../../evil"},
        {"client_id": "someone-else"},
        {"code_challenge_method": "plain"},
        {"code_challenge": ""},
        {"nonce": ""},
        {"response_type": "token"},
        {"scope": "email"},
    ],
    ids=[
        "foreign-redirect",
        "redirect-suffix",
        "client",
        "pkce-plain",
        "no-pkce",
        "no-nonce",
        "implicit",
        "no-openid",
    ],
)
def test_authorize_refuses_bad_requests_without_redirecting(asgi_app: Any, overrides: dict[str, str]) -> None:
    for method in ("GET", "POST"):
        params = authorize_params(**overrides)
        if method == "GET":
            response = call(asgi_app, "GET", "/dev-idp/authorize", params=params)
        else:
            form = params | {"email": "x@y.example", "email_verified": "1"}
            response = call(asgi_app, "POST", "/dev-idp/authorize", data=form, headers=SAME_ORIGIN)
        assert response.status_code == 400 and "location" not in response.headers


@pytest.mark.parametrize(
    "headers",
    [{}, {"origin": "https://evil.example"}, {"sec-fetch-site": "cross-site"}],
    ids=["no-origin-no-fetch-metadata", "foreign-origin", "cross-site"],
)
def test_authorize_post_from_anywhere_but_its_page_issues_no_code(
    asgi_app: Any, headers: dict[str, str]
) -> None:
    form = authorize_params() | {"email": "olivia.owner@northwind.example", "email_verified": "1"}
    response = call(asgi_app, "POST", "/dev-idp/authorize", data=form, headers=headers)
    assert response.status_code == 400 and "location" not in response.headers
    assert "did not come from the sign-in page" in response.text


def test_reflected_values_are_escaped(asgi_app: Any) -> None:
    page = call(
        asgi_app, "GET", "/dev-idp/authorize", params=authorize_params(state='"><script>alert(1)</script>')
    )
    assert page.status_code == 200
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text


# --- token endpoint --------------------------------------------------------------------------------------------


def test_token_endpoint_issues_a_valid_rs256_id_token(asgi_app: Any) -> None:
    response = redeem(asgi_app, issue_code(asgi_app))
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    id_token = response.json()["id_token"]
    header, claims = claims_of(id_token)
    assert header["alg"] == "RS256" and header["kid"] == dev_idp.signing_key().kid
    assert claims["iss"] == demo.demo_issuer() and claims["aud"] == dev_idp.client_id()
    assert claims["sub"] == "demo-olivia.owner@northwind.example" and claims["email_verified"] is True
    assert claims["nonce"] == "nonce-456" and claims["exp"] - claims["iat"] == 600

    async def validate() -> Any:
        oidc.set_transport_factory(lambda: httpx.ASGITransport(app=asgi_app))
        try:
            prov = oidc.provider()
            return await oidc.validate_id_token(
                id_token, prov=prov, meta=await oidc.metadata(prov), nonce="nonce-456"
            )
        finally:
            oidc.set_transport_factory(None)
            oidc.clear_caches()

    verified = asyncio.run(validate())
    assert (verified.issuer, verified.subject, verified.email) == (
        demo.demo_issuer(),
        "demo-olivia.owner@northwind.example",
        "olivia.owner@northwind.example",
    )


def test_reused_code_is_refused(asgi_app: Any) -> None:
    code = issue_code(asgi_app)
    assert redeem(asgi_app, code).status_code == 200
    again = redeem(asgi_app, code)
    assert again.status_code == 400 and again.json() == {"error": "invalid_grant"}


def test_wrong_verifier_is_refused_and_burns_the_code(asgi_app: Any) -> None:
    code = issue_code(asgi_app)
    wrong = redeem(asgi_app, code, code_verifier="w" * 64)
    assert wrong.status_code == 400 and wrong.json() == {"error": "invalid_grant"}
    assert redeem(asgi_app, code).json() == {"error": "invalid_grant"}


def test_missing_verifier_is_refused(asgi_app: Any) -> None:
    assert redeem(asgi_app, issue_code(asgi_app), code_verifier="").json() == {"error": "invalid_grant"}


def test_wrong_redirect_uri_is_refused(asgi_app: Any) -> None:
    code = issue_code(asgi_app)
    response = redeem(asgi_app, code, redirect_uri=routes.absolute_url(routes.AUTH_CALLBACK) + "x")
    assert response.status_code == 400 and response.json() == {"error": "invalid_grant"}


def test_wrong_client_is_refused(asgi_app: Any) -> None:
    response = redeem(asgi_app, issue_code(asgi_app), client_id="someone-else")
    assert response.status_code == 401 and response.json() == {"error": "invalid_client"}


def test_unsupported_grant_is_refused(asgi_app: Any) -> None:
    response = redeem(asgi_app, issue_code(asgi_app), grant_type="password")
    assert response.status_code == 400 and response.json() == {"error": "unsupported_grant_type"}


def test_expired_code_is_refused(asgi_app: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(dev_idp, "CODE_TTL", -1.0)
    assert redeem(asgi_app, issue_code(asgi_app)).json() == {"error": "invalid_grant"}


def test_unknown_code_is_refused(asgi_app: Any) -> None:
    assert redeem(asgi_app, "n" * 43).json() == {"error": "invalid_grant"}
