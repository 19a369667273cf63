"""Every sign-in attack of the abuse suite, each its own test, each refused with the generic page and no session.

Token-level attacks run against a configured (Google-like) provider whose token endpoint returns ID tokens forged
here, so the real validator in ``portal_app/api/oidc.py`` is what refuses them. Flow-level attacks (state, code,
PKCE, emails, redirects) run against the built-in development provider through the app's own HTTP routes.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from cryptography.hazmat.primitives import serialization
from sqlmodel import Session, select

from models import Contact, InvitationStatus, MemberInvitation, Membership, OidcLogin, Role, User
from portal_app import demo, routes
from portal_app.api import oidc
from portal_app.services import identity, members, ratelimit
from portal_app.services.sessions import COOKIE_NAME
from tests.api.oidc_support import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FAKE_ISSUER,
    REFUSED,
    FakeProvider,
    Forge,
    b64url,
    browser,
    build_asgi_app,
    provider_routed_to,
    raw_jwt,
    rsa_key,
    session_rows,
    settings_env,
    sign_rs256,
)
from tests.factories import add_member, make_tenant, make_workspace

PUBLIC = "http://localhost:3000"


@pytest.fixture(scope="module")
def asgi_app() -> Any:
    return build_asgi_app()


@pytest.fixture()
def dev_engine(asgi_app: Any, committed_engine: sa.Engine) -> Iterator[sa.Engine]:
    with provider_routed_to(asgi_app):
        yield committed_engine


@pytest.fixture()
def fake(asgi_app: Any, committed_engine: sa.Engine) -> Iterator[FakeProvider]:
    provider = FakeProvider()
    with (
        settings_env(
            oidc_issuer=FAKE_ISSUER, oidc_client_id=FAKE_CLIENT_ID, oidc_client_secret=FAKE_CLIENT_SECRET
        ),
        provider_routed_to(asgi_app, provider),
    ):
        yield provider


def count(engine: sa.Engine, model: Any) -> int:
    with Session(engine) as db:
        return len(db.exec(select(model)).all())


def assert_refused(response: httpx.Response, engine: sa.Engine, *, sessions_before: int = 0) -> None:
    assert response.status_code == 400, response.text
    assert REFUSED in response.text
    assert "Try again" in response.text
    assert f"{COOKIE_NAME}=" not in response.headers.get("set-cookie", "")
    assert response.headers["cache-control"] == "no-store"
    assert session_rows(engine) == sessions_before


# --- forged ID tokens against the real validator ------------------------------------------------------------


def _public_pem(provider: FakeProvider) -> bytes:
    return provider.key.public_key.public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )


def _now() -> int:
    return int(time.time())


def _tampered(p: FakeProvider, nonce: str) -> str:
    """An honest token whose claims were edited afterwards (someone else's email), signature kept."""
    header, _, signature = p.good_token(nonce).split(".")
    payload = b64url(json.dumps(p.claims(nonce, email="ceo@victim.example")).encode())
    return f"{header}.{payload}.{signature}"


FORGERIES: dict[str, Forge] = {
    "bad_signature": lambda p, n: sign_rs256(p.claims(n), rsa_key("attacker"), kid=p.key.kid),
    "tampered_claims": _tampered,
    "unknown_key_id": lambda p, n: sign_rs256(p.claims(n), rsa_key("attacker-kid")),
    "no_key_id": lambda p, n: raw_jwt({"alg": "RS256"}, p.claims(n), lambda m: b"x"),
    "wrong_audience": lambda p, n: p.good_token(n, aud="another-client", azp="another-client"),
    "audience_list_without_us": lambda p, n: p.good_token(n, aud=["a", "b"], azp="a"),
    "several_audiences_wrong_azp": lambda p, n: p.good_token(n, aud=[FAKE_CLIENT_ID, "other"], azp="other"),
    "wrong_issuer": lambda p, n: p.good_token(n, iss="https://evil.example"),
    "issuer_not_exact": lambda p, n: p.good_token(n, iss=FAKE_ISSUER + "/"),
    "expired": lambda p, n: p.good_token(n, iat=_now() - 4000, exp=_now() - 3000),
    "missing_exp": lambda p, n: p.good_token(n, exp=None),
    "issued_in_the_future": lambda p, n: p.good_token(n, iat=_now() + 3600, exp=_now() + 4200),
    "alg_none": lambda p, n: raw_jwt({"alg": "none", "kid": p.key.kid}, p.claims(n), lambda m: b""),
    "hs256_signed_with_the_public_key": lambda p, n: raw_jwt(
        {"alg": "HS256", "kid": p.key.kid},
        p.claims(n),
        lambda m: hmac.new(_public_pem(p), m, hashlib.sha256).digest(),
    ),
    "missing_nonce": lambda p, n: p.good_token(n, nonce=None),
    "wrong_nonce": lambda p, n: p.good_token(n, nonce="a-nonce-from-another-sign-in"),
    "missing_subject": lambda p, n: p.good_token(n, sub=None),
    "not_a_jwt": lambda p, n: "definitely.not.a-jwt",
}


# The reason each forgery is refused for (the log line), so no attack passes by tripping over an unrelated check.
REASONS = {
    "bad_signature": "signature check failed",
    "tampered_claims": "signature check failed",
    "unknown_key_id": "unknown key id",
    "no_key_id": "token has no key id",
    "wrong_audience": "wrong audience",
    "audience_list_without_us": "wrong audience",
    "several_audiences_wrong_azp": "wrong authorized party",
    "wrong_issuer": "wrong issuer",
    "issuer_not_exact": "wrong issuer",
    "expired": "token expired",
    "missing_exp": "malformed exp",
    "issued_in_the_future": "issued in the future",
    "alg_none": "algorithm not allowed",
    "hs256_signed_with_the_public_key": "algorithm not allowed",
    "missing_nonce": "nonce mismatch",
    "wrong_nonce": "nonce mismatch",
    "missing_subject": "missing subject",
    "not_a_jwt": "malformed token",
}


@pytest.mark.parametrize("attack", list(FORGERIES))
def test_forged_id_token_is_refused(
    asgi_app: Any,
    fake: FakeProvider,
    committed_engine: sa.Engine,
    attack: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            return await b.sign_in_fake(fake, forge=FORGERIES[attack])

    with caplog.at_level(logging.WARNING, logger="portal.security"):
        response = asyncio.run(scenario())
    assert fake.token_requests == 1  # the exchange happened; the validator refused what came back
    assert_refused(response, committed_engine)
    assert count(committed_engine, User) == 0
    refusals = [r.getMessage() for r in caplog.records if r.name == "portal.security"]
    assert any(REASONS[attack] in message for message in refusals), refusals
    # The log names the reason, never the token.
    assert all("eyJ" not in message for message in refusals)


def test_control_a_well_formed_token_is_accepted(
    asgi_app: Any, fake: FakeProvider, committed_engine: sa.Engine
) -> None:
    """The attacks above fail for their own reason: the same flow with an honest token signs in."""

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            return await b.sign_in_fake(fake)

    response = asyncio.run(scenario())
    assert response.status_code == 303 and response.headers["location"] == PUBLIC + "/app/onboarding"
    assert session_rows(committed_engine) == 1


def test_unknown_key_ids_refetch_the_keys_at_most_once_per_interval(
    asgi_app: Any, fake: FakeProvider, committed_engine: sa.Engine
) -> None:
    async def scenario() -> list[httpx.Response]:
        async with browser(asgi_app) as b:
            return [await b.sign_in_fake(fake, forge=FORGERIES["unknown_key_id"]) for _ in range(3)]

    for response in asyncio.run(scenario()):
        assert_refused(response, committed_engine)
    assert fake.jwks_fetches == 2  # the first read, then one refetch for an unknown kid; not one per attempt


def test_rotated_provider_key_is_picked_up(
    asgi_app: Any, fake: FakeProvider, committed_engine: sa.Engine
) -> None:
    async def scenario() -> list[httpx.Response]:
        async with browser(asgi_app) as b:
            first = await b.sign_in_fake(fake)
            fake.key = rsa_key("fake-key-2")  # the provider rotates; our cached keys do not know this kid
            second = await b.sign_in_fake(fake)
            return [first, second]

    first, second = asyncio.run(scenario())
    assert first.status_code == 303 and second.status_code == 303
    assert fake.jwks_fetches == 2


def test_provider_unreachable_fails_closed(asgi_app: Any, committed_engine: sa.Engine) -> None:
    class Down(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            raise httpx.ConnectError("provider down", request=request)

    oidc.clear_caches()
    oidc.set_transport_factory(Down)
    try:

        async def scenario() -> httpx.Response:
            async with browser(asgi_app) as b:
                return await b.get(routes.SIGN_IN, params={"as": "staff"})

        response = asyncio.run(scenario())
    finally:
        oidc.set_transport_factory(None)
        oidc.clear_caches()
    assert_refused(response, committed_engine)
    assert count(committed_engine, OidcLogin) == 0  # nothing written


# --- state, code and PKCE against the built-in provider --------------------------------------------------------


def test_replayed_state_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    async def scenario() -> None:
        async with browser(asgi_app) as b:
            first = await b.sign_in_dev(email="replay@startup.example")
            assert first.status_code == 303
            token = b.session_token
            replay = await b.get(b.last_callback)
            assert_refused(replay, dev_engine, sessions_before=1)
            assert b.session_token == token  # the existing session is untouched

    asyncio.run(scenario())


def test_unknown_state_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            await b.start("staff")
            return await b.get(
                routes.AUTH_CALLBACK, params={"code": "x" * 43, "state": "made-up-state-" + "y" * 30}
            )

    assert_refused(asyncio.run(scenario()), dev_engine)


def test_callback_from_another_browser_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    """Login CSRF: an attacker's finished callback URL opened in the victim's browser signs nobody in."""

    async def scenario() -> None:
        async with browser(asgi_app) as attacker, browser(asgi_app) as victim:
            await attacker.start("staff")
            consent = await attacker.consent(attacker.last_authorize_params, email="attacker@evil.example")
            assert consent.status_code == 303
            planted = await victim.get(attacker.last_callback)
            assert_refused(planted, dev_engine)
            # ...and the state is spent: the attacker cannot use it either.
            assert_refused(await attacker.get(attacker.last_callback), dev_engine)

    asyncio.run(scenario())


def test_provider_error_is_refused_and_spends_the_state(asgi_app: Any, dev_engine: sa.Engine) -> None:
    async def scenario() -> None:
        async with browser(asgi_app) as b:
            await b.start("staff")
            state = b.last_authorize_params["state"]
            denied = await b.get(routes.AUTH_CALLBACK, params={"error": "access_denied", "state": state})
            assert_refused(denied, dev_engine)
            again = await b.get(routes.AUTH_CALLBACK, params={"code": "c" * 43, "state": state})
            assert_refused(again, dev_engine)

    asyncio.run(scenario())


def test_reused_code_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    async def scenario() -> None:
        async with browser(asgi_app) as b:
            assert (await b.sign_in_dev(email="reuse@startup.example")).status_code == 303
            used_code = dict(parse_qsl(urlsplit(b.last_callback).query))["code"]
            await b.start("staff")  # a fresh, valid state bound to this browser
            reuse = await b.get(
                routes.AUTH_CALLBACK, params={"code": used_code, "state": b.last_authorize_params["state"]}
            )
            assert_refused(reuse, dev_engine, sessions_before=1)

    asyncio.run(scenario())


def test_code_with_the_wrong_pkce_verifier_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    """Code injection: a code issued for flow A redeemed under flow B's state sends B's verifier, not A's."""

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            await b.start("staff")
            flow_a = dict(b.last_authorize_params)
            await b.start("staff")
            flow_b = dict(b.last_authorize_params)
            await b.consent(flow_a, email="pkce@startup.example")
            code_a = dict(parse_qsl(urlsplit(b.last_callback).query))["code"]
            injected = await b.get(routes.AUTH_CALLBACK, params={"code": code_a, "state": flow_b["state"]})
            assert_refused(injected, dev_engine)

    asyncio.run(scenario())


def test_sign_in_starts_are_rate_limited(asgi_app: Any, dev_engine: sa.Engine) -> None:
    async def scenario() -> list[int]:
        async with browser(asgi_app) as b:
            return [(await b.start("staff")).status_code for _ in range(identity.LOGIN_RATE_LIMIT + 1)]

    statuses = asyncio.run(scenario())
    assert statuses[:-1] == [302] * identity.LOGIN_RATE_LIMIT and statuses[-1] == 429


# --- emails: contacts and invitations --------------------------------------------------------------------------


def _contact_email(engine: sa.Engine) -> str:
    with Session(engine, expire_on_commit=False) as db:
        tenant = make_tenant(db)
        contact = db.get(Contact, tenant.contact.contact_id)
        assert contact is not None
        return contact.email


def test_contact_with_unverified_email_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    email = _contact_email(dev_engine)

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            return await b.sign_in_dev(as_="contact", email=email, verified=False)

    assert_refused(asyncio.run(scenario()), dev_engine)


def test_unknown_contact_email_is_refused(asgi_app: Any, dev_engine: sa.Engine) -> None:
    _contact_email(dev_engine)

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            return await b.sign_in_dev(as_="contact", email="stranger@nowhere.example")

    assert_refused(asyncio.run(scenario()), dev_engine)


@pytest.fixture()
def invitation(dev_engine: sa.Engine) -> tuple[int, str]:
    with Session(dev_engine, expire_on_commit=False) as db:
        tenant = make_tenant(db)
        issued = members.invite_member(db, tenant.owner, email="joiner@newco.example", role=Role.TEAM_LEAD)
        assert tenant.ws.id is not None
        return tenant.ws.id, issued.token


@pytest.mark.parametrize(
    ("email", "verified"),
    [("joiner@newco.example", False), ("someone.else@newco.example", True)],
    ids=["unverified", "mismatched"],
)
def test_invitation_needs_the_matching_verified_email(
    asgi_app: Any, dev_engine: sa.Engine, invitation: tuple[int, str], email: str, verified: bool
) -> None:
    workspace_id, token = invitation

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            await b.get(routes.invite_url(token))
            signed_in = await b.sign_in_dev(email=email, verified=verified, next_path=routes.INVITE)
            assert signed_in.headers["location"] == routes.backend_url(routes.INVITE)
            return await b.post(routes.INVITE, headers={"origin": PUBLIC})

    response = asyncio.run(scenario())
    assert response.status_code == 400 and members.INVALID_INVITE in response.text
    with Session(dev_engine) as db:
        joined = db.exec(
            select(Membership).join(User, User.id == Membership.user_id).where(User.email == email)
        ).all()
        assert joined == []
        inv = db.exec(select(MemberInvitation).where(MemberInvitation.workspace_id == workspace_id)).one()
        assert inv.status is InvitationStatus.PENDING


@pytest.mark.parametrize(
    "headers",
    [{"origin": "https://evil.example"}, {}, {"origin": "null"}, {"sec-fetch-site": "cross-site"}],
    ids=["foreign-origin", "no-origin-no-fetch-metadata", "null-origin", "cross-site-fetch-metadata"],
)
def test_invitation_accept_from_a_foreign_or_unknown_origin_is_refused(
    asgi_app: Any, dev_engine: sa.Engine, invitation: tuple[int, str], headers: dict[str, str]
) -> None:
    _, token = invitation

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            await b.get(routes.invite_url(token))
            await b.sign_in_dev(email="joiner@newco.example", next_path=routes.INVITE)
            return await b.post(routes.INVITE, headers=headers)

    response = asyncio.run(scenario())
    assert response.status_code == 403
    assert "did not come from this site" in response.text
    assert count(dev_engine, Membership) == 4  # the tenant's four, nobody joined


def test_invitation_accept_is_rate_limited_per_client(
    asgi_app: Any, dev_engine: sa.Engine, invitation: tuple[int, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    workspace_id, token = invitation
    monkeypatch.setattr(ratelimit, "redemptions", ratelimit.ClientRateLimiter(0, 600, name="test-accept"))

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            await b.get(routes.invite_url(token))
            await b.sign_in_dev(email="joiner@newco.example", next_path=routes.INVITE)
            return await b.post(routes.INVITE, headers={"origin": PUBLIC})

    response = asyncio.run(scenario())
    assert response.status_code == 429 and ratelimit.REDEEM_LIMITED in response.text
    assert count(dev_engine, Membership) == 4
    with Session(dev_engine) as db:
        inv = db.exec(select(MemberInvitation).where(MemberInvitation.workspace_id == workspace_id)).one()
        assert inv.status is InvitationStatus.PENDING


# --- open redirects --------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "next_path",
    ["//evil.example", "https://evil.example/app", "/\\evil.example", "/\t/evil.example", "/portal", "app"],
    ids=["protocol-relative", "absolute", "backslash", "tab", "other-area", "relative"],
)
def test_open_redirect_in_next_is_ignored(asgi_app: Any, dev_engine: sa.Engine, next_path: str) -> None:
    email = "olivia.owner@northwind.example"
    with Session(dev_engine) as db:
        user = User(
            issuer=demo.demo_issuer(), subject=f"demo-{email}", email=email, email_verified=True, name="O"
        )
        db.add(user)
        db.flush()
        add_member(db, make_workspace(db), Role.OWNER, user=user)
        db.commit()

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            return await b.sign_in_dev(email=email, next_path=next_path)

    response = asyncio.run(scenario())
    assert response.status_code == 303
    assert response.headers["location"] == PUBLIC + "/app"


def test_safe_next_is_kept(asgi_app: Any, dev_engine: sa.Engine) -> None:
    email = "olivia.owner@northwind.example"
    with Session(dev_engine) as db:
        user = User(
            issuer=demo.demo_issuer(), subject=f"demo-{email}", email=email, email_verified=True, name="O"
        )
        db.add(user)
        db.flush()
        add_member(db, make_workspace(db), Role.OWNER, user=user)
        db.commit()

    async def scenario() -> httpx.Response:
        async with browser(asgi_app) as b:
            return await b.sign_in_dev(email=email, next_path="/app/members")

    response = asyncio.run(scenario())
    assert response.headers["location"] == PUBLIC + "/app/members"
