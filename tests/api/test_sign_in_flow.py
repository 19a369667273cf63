"""The sign-in flow over HTTP, end to end: the app built by ``app()``, the built-in provider reached through the
app's own HTTP routes, data committed to the test database the app reads.

New user -> onboarding -> workspace; returning user; workspace switch; sign-out deletes the session server-side;
rotation at sign-in; cookie attributes (dev and prod); contacts; the operator gate; invitations; and no raw
token, session id, code or state anywhere in the database afterwards.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import ContactStatus, Role, SessionKind, User
from portal_app import demo, routes
from portal_app.services import identity, members, sessions
from portal_app.services.access import ContactActor, OperatorActor, StaffActor
from portal_app.services.errors import NotFound
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import get_settings
from tests.api.oidc_support import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FAKE_ISSUER,
    REFUSED,
    FakeProvider,
    browser,
    build_asgi_app,
    principal,
    provider_routed_to,
    secrets_in_database,
    session_rows,
    set_cookie,
    settings_env,
)
from tests.factories import add_member, make_tenant, make_workspace

PUBLIC = "http://localhost:3000"


@pytest.fixture(scope="module")
def asgi_app() -> Any:
    return build_asgi_app()


@pytest.fixture()
def db_engine(asgi_app: Any, committed_engine: sa.Engine) -> Any:
    """Committed data (the app has its own connections) and the provider's HTTP routed to the same app."""
    with provider_routed_to(asgi_app):
        yield committed_engine


def demo_user(db: Session, email: str, name: str = "Returning Person") -> User:
    user = User(
        issuer=demo.demo_issuer(), subject=f"demo-{email}", email=email, email_verified=True, name=name
    )
    db.add(user)
    db.flush()
    return user


def test_new_user_goes_to_onboarding_then_returns_to_the_new_workspace(
    asgi_app: Any, db_engine: sa.Engine
) -> None:
    engine = db_engine

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            r = await b.sign_in_dev(email="newbie@startup.example", name="New Bie")
            assert r.status_code == 303
            assert (
                r.headers["location"] == routes.absolute_url(routes.ONBOARDING) == PUBLIC + "/app/onboarding"
            )
            token = b.session_token
            p = principal(engine, token)
            assert (
                p is not None and p.kind is SessionKind.STAFF and p.workspace_id is None and p.actor is None
            )

            with Session(engine, expire_on_commit=False) as db:
                ws = identity.complete_onboarding(
                    db, token, name="Startup Co", slug="startup-co", portal_enabled=True
                )
                user = db.exec(select(User).where(User.email == "newbie@startup.example")).one()
            # Staff are identified by (issuer, subject), the development provider's subject being "demo-<email>".
            assert (user.issuer, user.subject) == (demo.demo_issuer(), "demo-newbie@startup.example")
            p = principal(engine, token)
            assert p is not None and isinstance(p.actor, StaffActor)
            assert p.workspace_id == ws.id and p.actor.role is Role.OWNER

            signed_out = await b.post(routes.SIGN_OUT, headers={"origin": PUBLIC})
            assert signed_out.status_code == 303
            again = await b.sign_in_dev(email="newbie@startup.example")
            assert again.headers["location"] == PUBLIC + "/app"
            p = principal(engine, b.session_token)
            assert p is not None and p.workspace_id == ws.id

    asyncio.run(scenario())


def test_returning_user_lands_in_their_workspace_and_can_switch(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine
    email = "olivia.owner@northwind.example"
    with Session(engine, expire_on_commit=False) as db:
        user = demo_user(db, email)
        first, second, foreign = make_workspace(db), make_workspace(db), make_workspace(db)
        add_member(db, first, Role.OWNER, user=user)
        add_member(db, second, Role.TEAM_LEAD, user=user)
        add_member(db, foreign, Role.OWNER)
        db.commit()

    async def scenario() -> str | None:
        async with browser(asgi_app) as b:
            r = await b.sign_in_dev(email=email)
            assert r.status_code == 303 and r.headers["location"] == PUBLIC + "/app"
            return b.session_token

    token = asyncio.run(scenario())
    p = principal(engine, token)
    assert p is not None and isinstance(p.actor, StaffActor)
    assert p.workspace_id == first.id and p.actor.role is Role.OWNER

    with Session(engine, expire_on_commit=False) as db:
        switched = sessions.switch_workspace(db, token, second.id)  # type: ignore[arg-type]
    assert switched.workspace_id == second.id and switched.role is Role.TEAM_LEAD
    p = principal(engine, token)
    assert p is not None and p.workspace_id == second.id

    with Session(engine, expire_on_commit=False) as db, pytest.raises(NotFound):
        sessions.switch_workspace(db, token, foreign.id)  # type: ignore[arg-type]
    p = principal(engine, token)
    assert p is not None and p.workspace_id == second.id


def test_sign_out_deletes_the_session_on_the_server(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            await b.sign_in_dev(email="leaving@startup.example")
            token = b.session_token
            assert principal(engine, token) is not None

            foreign = await b.post(routes.SIGN_OUT, headers={"origin": "https://evil.example"})
            assert foreign.status_code == 403 and principal(engine, token) is not None
            # A POST that names no origin at all (no Origin, no Sec-Fetch-Site) was not sent by our page either.
            bare = await b.post(routes.SIGN_OUT)
            assert bare.status_code == 403 and principal(engine, token) is not None
            cross = await b.post(routes.SIGN_OUT, headers={"sec-fetch-site": "cross-site"})
            assert cross.status_code == 403 and principal(engine, token) is not None

            r = await b.post(routes.SIGN_OUT, headers={"origin": PUBLIC})
            assert r.status_code == 303 and r.headers["location"] == PUBLIC + "/"
            cleared = set_cookie(r, COOKIE_NAME).lower()
            assert "max-age=0" in cleared and "httponly" in cleared and "path=/" in cleared
            assert b.session_token is None
            # A copy of the old cookie is worthless: the row is gone.
            assert principal(engine, token) is None
            assert session_rows(engine) == 0

    asyncio.run(scenario())


def test_sign_in_rotates_the_session(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            await b.sign_in_dev(email="rotating@startup.example")
            before = b.session_token
            await b.sign_in_dev(email="rotating@startup.example")
            after = b.session_token
            assert before and after and before != after
            assert principal(engine, before) is None
            assert principal(engine, after) is not None
            assert session_rows(engine) == 1

    asyncio.run(scenario())


def test_session_cookie_attributes_in_dev(asgi_app: Any, db_engine: sa.Engine) -> None:
    async def scenario() -> None:
        async with browser(asgi_app) as b:
            started = await b.start("staff")
            login = set_cookie(started, "portal_login").lower()
            assert "httponly" in login and "samesite=lax" in login and "path=/auth/callback" in login
            r = await b.sign_in_dev(email="cookies@startup.example")
            header = set_cookie(r, COOKIE_NAME)
            attrs = [a.strip().lower() for a in header.split(";")]
            assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs
            assert f"max-age={get_settings().session_absolute_hours * 3600}" in attrs
            assert "secure" not in attrs  # dev over http://localhost
            assert len(b.session_token or "") >= 43  # 256 random bits, base64url

    asyncio.run(scenario())


def test_prod_configured_provider_sets_a_secure_cookie(asgi_app: Any, committed_engine: sa.Engine) -> None:
    """Production shape: a configured (Google-like) issuer, one https origin, Secure cookies, no dev provider."""
    fake = FakeProvider()
    base = "https://portal.example.test"
    issued: list[str] = []

    def forge(provider: FakeProvider, nonce: str) -> str:
        issued.append(provider.good_token(nonce))
        return issued[-1]

    async def scenario() -> None:
        async with browser(asgi_app, base_url=base) as b:
            dev_idp = await b.get(routes.DEV_IDP + "/.well-known/openid-configuration")
            assert dev_idp.status_code == 404
            login = set_cookie(await b.start("staff"), "portal_login").lower()
            assert "secure" in login
            r = await b.sign_in_fake(fake, forge=forge)
            assert r.status_code == 303, r.text
            assert r.headers["location"] == base + "/app/onboarding"
            attrs = [a.strip().lower() for a in set_cookie(r, COOKIE_NAME).split(";")]
            assert {"httponly", "secure", "samesite=lax", "path=/"} <= set(attrs)
            p = principal(committed_engine, b.session_token)
            assert p is not None and p.kind is SessionKind.STAFF
            with Session(committed_engine) as db:
                user = db.exec(select(User).where(User.subject == "fake-subject-1")).one()
            assert user.issuer == FAKE_ISSUER and user.email == "pat@customer.example"
            b.remember(*issued)
            assert secrets_in_database(committed_engine, b.secrets) == []

    with (
        settings_env(
            env="prod",
            session_secret="s" * 48,
            public_base_url=base,
            oidc_issuer=FAKE_ISSUER,
            oidc_client_id=FAKE_CLIENT_ID,
            oidc_client_secret=FAKE_CLIENT_SECRET,
        ),
        provider_routed_to(asgi_app, fake),
    ):
        asyncio.run(scenario())


def test_contact_signs_in_with_a_matching_verified_email(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine
    with Session(engine, expire_on_commit=False) as db:
        tenant = make_tenant(db)
        make_tenant(db)
        from models import Contact

        contact = db.get(Contact, tenant.contact.contact_id)
        assert contact is not None
        contact.status = ContactStatus.INVITED
        db.add(contact)
        db.commit()
        email = contact.email

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            r = await b.sign_in_dev(as_="contact", email=email.upper())
            assert r.status_code == 303 and r.headers["location"] == PUBLIC + "/portal"
            p = principal(engine, b.session_token)
            assert p is not None and p.kind is SessionKind.CONTACT and isinstance(p.actor, ContactActor)
            assert (p.actor.contact_id, p.actor.account_id) == (tenant.contact.contact_id, tenant.account.id)

    asyncio.run(scenario())
    with Session(engine) as db:
        refreshed = db.get(Contact, tenant.contact.contact_id)
        assert refreshed is not None and refreshed.status is ContactStatus.ACTIVE


def test_operator_gate(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            r = await b.sign_in_dev(as_="operator", email="ops@platform.example")
            assert r.status_code == 303 and r.headers["location"] == PUBLIC + "/operator"
            p = principal(engine, b.session_token)
            assert p is not None and p.kind is SessionKind.OPERATOR and isinstance(p.actor, OperatorActor)

        for email, verified in (("someone@startup.example", True), ("ops@platform.example", False)):
            async with browser(asgi_app) as b:
                before = session_rows(engine)
                r = await b.sign_in_dev(as_="operator", email=email, verified=verified)
                assert r.status_code == 400 and REFUSED in r.text
                assert COOKIE_NAME not in r.headers.get("set-cookie", "")
                assert session_rows(engine) == before

    with settings_env(operator_emails='["ops@platform.example"]'):
        asyncio.run(scenario())


def test_invitation_redeemed_by_a_new_user_through_sign_in(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine
    with Session(engine, expire_on_commit=False) as db:
        tenant = make_tenant(db)
        make_tenant(db)
        invitation = members.invite_member(
            db, tenant.owner, email="joiner@newco.example", role=Role.TEAM_LEAD
        )

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            b.remember(invitation.token)
            link = await b.get(routes.invite_url(invitation.token))
            assert link.status_code == 303 and link.headers["location"] == routes.INVITE
            assert link.headers["referrer-policy"] == "no-referrer"
            cookie = set_cookie(link, "portal_invite").lower()
            assert "httponly" in cookie and "path=/invite" in cookie and "samesite=lax" in cookie

            landing = await b.get(routes.INVITE)
            assert landing.status_code == 200 and landing.headers["referrer-policy"] == "no-referrer"
            assert "next=%2Finvite" in landing.text and invitation.token not in landing.text

            r = await b.sign_in_dev(email="joiner@newco.example", next_path=routes.INVITE)
            assert r.status_code == 303 and r.headers["location"] == routes.backend_url(routes.INVITE)
            confirm = await b.get(routes.INVITE)
            assert confirm.status_code == 200 and "Accept invitation" in confirm.text
            # Its form POSTs to an Origin-checked route: under "no-referrer" browsers would send "Origin: null".
            assert confirm.headers["referrer-policy"] == "same-origin"

            accepted = await b.post(routes.INVITE, headers={"origin": PUBLIC})
            assert accepted.status_code == 303 and accepted.headers["location"] == PUBLIC + "/app"
            p = principal(engine, b.session_token)
            assert p is not None and isinstance(p.actor, StaffActor)
            assert p.workspace_id == tenant.ws.id and p.actor.role is Role.TEAM_LEAD

            # The link works once.
            await b.get(routes.invite_url(invitation.token))
            again = await b.post(routes.INVITE, headers={"origin": PUBLIC})
            assert again.status_code == 400

            # Nothing secret was stored: session ids, state, code, the invitation token. The one copy of the
            # invitation link is the queued mail itself (the mailer blanks it once delivered over SMTP).
            assert len(b.secrets) >= 4
            assert secrets_in_database(engine, b.secrets, allow={"outbox_mail.body_text"}) == []
            assert secrets_in_database(engine, b.secrets - {invitation.token}) == []

    asyncio.run(scenario())


def test_no_raw_secret_in_the_database_after_all_flows(asgi_app: Any, db_engine: sa.Engine) -> None:
    engine = db_engine
    with Session(engine, expire_on_commit=False) as db:
        tenant = make_tenant(db)
        from models import Contact

        contact = db.get(Contact, tenant.contact.contact_id)
        assert contact is not None
        contact_email = contact.email

    async def scenario() -> None:
        async with browser(asgi_app) as b:
            await b.sign_in_dev(email="scan@startup.example")
            token = b.session_token
            with Session(engine, expire_on_commit=False) as db:
                identity.complete_onboarding(db, token, name="Scan Co", slug="scan-co", portal_enabled=False)
            await b.sign_in_dev(as_="contact", email=contact_email)
            await b.get(b.last_callback)  # a replayed callback, refused
            await b.post(routes.SIGN_OUT, headers={"origin": PUBLIC})
            await b.sign_in_dev(email="scan@startup.example")
            assert len(b.secrets) >= 8
            assert secrets_in_database(engine, b.secrets) == []

    asyncio.run(scenario())
