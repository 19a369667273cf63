"""The desktop app's sign-in over HTTP, end to end (RFC 8252: system browser, loopback redirect, PKCE S256).

The app built by ``app()``; the "system browser" and the "desktop window" are two httpx clients with their own
cookie jars. The browser starts at ``/auth/desktop``, follows the redirect into the normal staff sign-in at the
built-in provider and lands on ``/auth/desktop/finish``, which asks the person to confirm (RFC 8252 8.6). Its
"Continue" form sends the browser to the loopback URI with a one-time code and the desktop app's state; the window
redeems the code with the PKCE verifier and gets a session of its own.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuditEvent, DesktopSignIn, Role, SessionKind, User, utcnow
from portal_app import demo, routes
from portal_app.services import desktop_signin
from portal_app.services.access import StaffActor
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import get_settings
from tests.aio import run_async
from tests.api.oidc_support import (
    DEV_PAGE_MARKER,
    REFUSED,
    Browser,
    build_asgi_app,
    principal,
    provider_routed_to,
    s256,
    secrets_in_database,
    session_rows,
    set_cookie,
)
from tests.factories import add_member, make_workspace

PUBLIC = "http://localhost:3000"
LOOPBACK = "http://127.0.0.1:53123/callback"
DESKTOP_COOKIE = "portal_desktop"
EMAIL = "desk.worker@northwind.example"
WORKSPACE = "Northwind <Desk> & Co"
CONSENT_TITLE = "Sign in to the Customer Portal desktop app?"
CONSENT_TEXT = (
    "This opens your workspace in the desktop app on this computer. Continue only if you just started a sign-in "
    "from the desktop app."
)


@pytest.fixture(scope="module")
def asgi_app() -> Any:
    return build_asgi_app()


@pytest.fixture()
def engine(asgi_app: Any, committed_engine: sa.Engine) -> Iterator[sa.Engine]:
    with provider_routed_to(asgi_app):
        yield committed_engine


@pytest.fixture()
def member(engine: sa.Engine) -> dict[str, int]:
    """A returning staff user (the development provider's subject for EMAIL) who owns a workspace."""
    with Session(engine, expire_on_commit=False) as db:
        user = User(
            issuer=demo.demo_issuer(), subject=f"demo-{EMAIL}", email=EMAIL, email_verified=True, name="Desk"
        )
        db.add(user)
        db.flush()
        ws = make_workspace(db, name=WORKSPACE)  # escaped on the confirmation page
        make_workspace(db)  # a second workspace, so a leak would show
        add_member(db, ws, Role.OWNER, user=user)
        db.commit()
        assert user.id is not None and ws.id is not None
        return {"user_id": user.id, "workspace_id": ws.id}


@pytest.fixture(autouse=True)
def _fresh_redemptions() -> Iterator[None]:
    from portal_app.services import ratelimit

    ratelimit.redemptions.clear()
    yield
    ratelimit.redemptions.clear()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)  # 64 characters of the RFC 7636 set
    return verifier, s256(verifier)


def new_state() -> str:
    return secrets.token_urlsafe(24)


@contextlib.asynccontextmanager
async def client(asgi_app: Any, urls: set[str] | None = None) -> AsyncIterator[Browser]:
    """A browser (or the desktop window): its own cookie jar; every URL it asks for is noted in ``urls``."""

    async def note(request: httpx.Request) -> None:
        if urls is not None:
            urls.add(str(request.url))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app),
        base_url=routes.backend_origin(),
        event_hooks={"request": [note]},
    ) as c:
        yield Browser(c)


async def bare_get(asgi_app: Any, path: str, cookie: str) -> httpx.Response:
    """A request carrying exactly this Cookie header (a kept or forged copy), from a client with no cookie jar."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app), base_url=routes.backend_origin()
    ) as bare:
        return await bare.get(path, headers={"cookie": cookie})


async def bare_post(asgi_app: Any, path: str, cookie: str, data: dict[str, str]) -> httpx.Response:
    """``bare_get``'s POST, with the app's own Origin (as its confirmation form sends it)."""
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app), base_url=routes.backend_origin()
    ) as bare:
        return await bare.post(path, data=data, headers={"cookie": cookie, **ORIGIN})


def start_params(
    *, state: str, challenge: str, redirect_uri: str = LOOPBACK, method: str = "S256"
) -> dict[str, str]:
    return {
        "redirect_uri": redirect_uri,
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": method,
    }


async def start(b: Browser, **params: str) -> httpx.Response:
    response = await b.get(routes.DESKTOP_SIGN_IN, params=params)
    b.remember(response.cookies.get(DESKTOP_COOKIE))
    return response


async def sign_in_through(b: Browser, sign_in_location: str, *, email: str = EMAIL) -> httpx.Response:
    """Follow the redirect into the staff sign-in, pick ``email`` at the development provider; the callback."""
    signing_in = await b.get(sign_in_location)
    assert signing_in.status_code == 302, signing_in.text
    authorize = signing_in.headers["location"]
    page = await b.get(authorize)
    assert page.status_code == 200 and DEV_PAGE_MARKER in page.text
    params = dict(parse_qsl(urlsplit(authorize).query))
    b.remember(params.get("state"))
    consented = await b.consent(params, email=email, name="Desk")
    assert consented.status_code == 303, consented.text
    return await b.get(b.last_callback)


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    button: str = ""


class Forms(HTMLParser):
    """The POST forms of a page: their action, hidden fields and button text (as a browser would submit them)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self._in_button = False
        self.feed(text)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form" and a.get("method") == "post":
            self.forms.append(Form(action=a.get("action", "")))
        elif tag == "input" and a.get("type") == "hidden" and self.forms:
            self.forms[-1].fields[a["name"]] = a.get("value", "")
        elif tag == "button" and self.forms:
            self._in_button = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "button":
            self._in_button = False

    def handle_data(self, data: str) -> None:
        if self._in_button:
            self.forms[-1].button += data


def consent_forms(page: httpx.Response) -> dict[str, Form]:
    """The confirmation page's forms by their ``action`` field ("continue", "cancel")."""
    assert page.status_code == 200, page.text
    return {form.fields["action"]: form for form in Forms(page.text).forms}


ORIGIN = {"origin": routes.backend_origin()}  # what a browser sends with the page's own form


async def confirm(
    b: Browser, page: httpx.Response, action: str = "continue", *, headers: dict[str, str] | None = None
) -> httpx.Response:
    """Submit the confirmation page's ``action`` form, as the browser does."""
    form = consent_forms(page)[action]
    assert form.action == routes.backend_url(routes.DESKTOP_FINISH)
    b.remember(form.fields["consent"])
    return await b.post(form.action, data=form.fields, headers=ORIGIN if headers is None else headers)


async def code_for(b: Browser, *, state: str, challenge: str, redirect_uri: str = LOOPBACK) -> str:
    """The whole browser side: start, sign in, confirm; returns the code handed to the loopback listener."""
    started = await start(b, **start_params(state=state, challenge=challenge, redirect_uri=redirect_uri))
    assert started.status_code == 302, started.text
    callback = await sign_in_through(b, started.headers["location"])
    assert callback.status_code == 303, callback.text
    page = await b.get(callback.headers["location"])
    finished = await confirm(b, page)
    assert finished.status_code == 303, finished.text
    query = dict(parse_qsl(urlsplit(finished.headers["location"]).query))
    b.remember(query.get("code"))
    return query["code"]


async def signed_in_with_request(b: Browser, *, state: str, challenge: str) -> httpx.Response:
    """Start, sign in and open the confirmation page; returns the page."""
    started = await start(b, **start_params(state=state, challenge=challenge))
    assert started.status_code == 302, started.text
    callback = await sign_in_through(b, started.headers["location"])
    assert callback.status_code == 303, callback.text
    page = await b.get(callback.headers["location"])
    assert page.status_code == 200, page.text
    return page


async def redeem(window: Browser, code: str, verifier: str, **kwargs: Any) -> httpx.Response:
    return await window.get(routes.DESKTOP_REDEEM, params={"code": code, "code_verifier": verifier}, **kwargs)


def rows(engine: sa.Engine) -> list[DesktopSignIn]:
    with Session(engine, expire_on_commit=False) as db:
        return list(db.exec(select(DesktopSignIn)).all())


# --- the hand-off ------------------------------------------------------------------------------------------------


def test_the_whole_hand_off(asgi_app: Any, engine: sa.Engine, member: dict[str, int]) -> None:
    verifier, challenge = pkce()
    state = new_state()

    async def scenario() -> None:
        async with client(asgi_app) as b, client(asgi_app) as window:
            started = await start(b, **start_params(state=state, challenge=challenge))
            assert started.status_code == 302
            assert started.headers["location"] == routes.sign_in_url("staff", routes.DESKTOP_FINISH)
            assert started.headers["cache-control"] == "no-store"
            cookie = [a.strip().lower() for a in set_cookie(started, DESKTOP_COOKIE).split(";")]
            assert {"httponly", "samesite=lax", "path=/auth/desktop/finish", "max-age=600"} <= set(cookie)
            assert "secure" not in cookie  # dev over http

            callback = await sign_in_through(b, started.headers["location"])
            assert callback.status_code == 303
            assert callback.headers["location"] == routes.backend_url(routes.DESKTOP_FINISH)
            browser_token = b.session_token
            assert browser_token

            page = await b.get(callback.headers["location"])
            assert page.status_code == 200 and "location" not in page.headers
            assert CONSENT_TITLE in page.text and EMAIL in page.text
            assert [row.finished_at for row in rows(engine)] == [None]  # asked, nothing issued yet

            finished = await confirm(b, page)
            assert finished.status_code == 303
            assert finished.headers["cache-control"] == "no-store"
            location = finished.headers["location"]
            assert location.startswith(LOOPBACK + "?")
            query = dict(parse_qsl(urlsplit(location).query))
            assert set(query) == {"code", "state"} and query["state"] == state
            assert browser_token not in location
            assert "max-age=0" in set_cookie(finished, DESKTOP_COOKIE).lower()  # the request cookie is gone
            code = query["code"]
            b.remember(code)

            redeemed = await redeem(window, code, verifier)
            assert redeemed.status_code == 303, redeemed.text
            assert redeemed.headers["location"] == PUBLIC + routes.STAFF
            attrs = [a.strip().lower() for a in set_cookie(redeemed, COOKIE_NAME).split(";")]
            assert {"httponly", "samesite=lax", "path=/"} <= set(attrs)
            assert f"max-age={get_settings().session_absolute_hours * 3600}" in attrs
            window_token = window.session_token
            assert window_token and window_token != browser_token

            # The window's session is a staff session in the member's workspace, and it works on a staff route.
            p = principal(engine, window_token)
            assert p is not None and p.kind is SessionKind.STAFF and isinstance(p.actor, StaffActor)
            assert (p.user_id, p.workspace_id) == (member["user_id"], member["workspace_id"])
            feed = await window.get(routes.DESKTOP_ACTIVITY)
            assert feed.status_code == 200 and feed.json()["items"] == []
            # The browser keeps its own session.
            assert principal(engine, browser_token) is not None
            assert session_rows(engine) == 2

            # Nothing secret in the database: session tokens, the request key, the code, the verifier.
            b.remember(verifier, window_token)
            assert secrets_in_database(engine, b.secrets) == []

    run_async(scenario())
    [row] = rows(engine)
    assert row.finished_at is not None and row.redeemed_at is not None
    with Session(engine) as db:
        signed_in = db.exec(
            select(AuditEvent).where(
                AuditEvent.workspace_id == member["workspace_id"], AuditEvent.action == "auth.signed_in"
            )
        ).all()
    assert [json.loads(e.data) for e in signed_in] == [{}, {"via": "desktop"}]  # the browser's, the window's


def test_ipv6_loopback_and_a_new_member_without_a_workspace(asgi_app: Any, engine: sa.Engine) -> None:
    verifier, challenge = pkce()
    state = new_state()
    ipv6 = "http://[::1]:65535/callback"

    async def scenario() -> None:
        async with client(asgi_app) as b, client(asgi_app) as window:
            started = await start(b, **start_params(state=state, challenge=challenge, redirect_uri=ipv6))
            assert started.status_code == 302
            # A first-time user: the sign-in continues to the desktop hand-off, not to onboarding in the browser.
            callback = await sign_in_through(b, started.headers["location"], email="first.timer@new.example")
            assert callback.headers["location"] == routes.backend_url(routes.DESKTOP_FINISH)
            page = await b.get(callback.headers["location"])
            assert page.status_code == 200 and "first.timer@new.example" in page.text
            assert "Workspace:" not in page.text  # none yet
            finished = await confirm(b, page)
            assert finished.status_code == 303 and finished.headers["location"].startswith(ipv6 + "?")
            code = dict(parse_qsl(urlsplit(finished.headers["location"]).query))["code"]
            redeemed = await redeem(window, code, verifier)
            assert redeemed.status_code == 303
            p = principal(engine, window.session_token)
            assert (
                p is not None and p.kind is SessionKind.STAFF and p.workspace_id is None and p.actor is None
            )

    run_async(scenario())


# --- refused starts ----------------------------------------------------------------------------------------------

BAD_REDIRECTS = [
    "",
    "http://localhost:53123/callback",  # RFC 8252 8.3: never "localhost"
    "https://127.0.0.1:53123/callback",
    "http://127.0.0.1:53123/callback?next=1",
    "http://127.0.0.1:53123/callback#top",
    "http://user@127.0.0.1:53123/callback",
    "http://127.0.0.1:53123@evil.example/callback",
    "http://evil.example:53123/callback",
    "http://127.0.0.2:53123/callback",
    "http://127.0.0.1/callback",
    "http://127.0.0.1:80/callback",
    "http://127.0.0.1:1023/callback",
    "http://127.0.0.1:65536/callback",
    "http://127.0.0.1:01024/callback",
    "http://127.0.0.1:53123/",
    "http://127.0.0.1:53123/callback/",
    "http://127.0.0.1:53123/other",
    "HTTP://127.0.0.1:53123/callback",
    "http://[::1]:53123/callback?x",
    "http://[0:0:0:0:0:0:0:1]:53123/callback",
    "//127.0.0.1:53123/callback",
    "http://127.0.0.1:53123/callback\n",
    "http://127.0.0.1:53123/callback%0a",
    "javascript:alert(1)//127.0.0.1:53123/callback",
]


def refused_start(asgi_app: Any, params: dict[str, str] | list[tuple[str, str]]) -> httpx.Response:
    async def go() -> httpx.Response:
        async with client(asgi_app) as b:
            return await b.get(routes.DESKTOP_SIGN_IN, params=params)

    return run_async(go())


def assert_refused_start(response: httpx.Response, given: str = "") -> None:
    assert response.status_code == 400, response.text
    assert REFUSED in response.text
    assert "location" not in response.headers
    assert DESKTOP_COOKIE + "=" not in ";".join(
        h for h in response.headers.get_list("set-cookie") if "max-age=0" not in h.lower()
    )
    if given:
        assert given not in response.text


@pytest.mark.parametrize("redirect_uri", BAD_REDIRECTS)
def test_only_loopback_callbacks_are_accepted(
    asgi_app: Any, engine: sa.Engine, caplog: pytest.LogCaptureFixture, redirect_uri: str
) -> None:
    _, challenge = pkce()
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        r = refused_start(
            asgi_app, start_params(state=new_state(), challenge=challenge, redirect_uri=redirect_uri)
        )
    assert_refused_start(r, redirect_uri)
    assert rows(engine) == []
    assert any(
        rec.name == "portal.security"
        and "desktop: redirect_uri is not a loopback callback" in rec.getMessage()
        for rec in caplog.records
    )


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"state": ""}, "state"),
        ({"state": "short-state-1234"[:15]}, "state"),
        ({"state": "s" * 201}, "state"),
        ({"state": "a" * 20 + "!"}, "state"),
        ({"state": "a" * 20 + " b"}, "state"),
        ({"state": "a" * 20 + "\n"}, "state"),
        ({"code_challenge_method": ""}, "S256"),
        ({"code_challenge_method": "plain"}, "S256"),
        ({"code_challenge_method": "s256"}, "S256"),
        ({"code_challenge": ""}, "code_challenge"),
        ({"code_challenge": "c" * 42}, "code_challenge"),
        ({"code_challenge": "c" * 129}, "code_challenge"),
        ({"code_challenge": "c" * 42 + "="}, "code_challenge"),
        ({"code_challenge": "c" * 42 + "+"}, "code_challenge"),
        ({"code_challenge": "c" * 43 + "\n"}, "code_challenge"),
    ],
)
def test_malformed_state_and_challenge_are_refused(
    asgi_app: Any, engine: sa.Engine, caplog: pytest.LogCaptureFixture, change: dict[str, str], reason: str
) -> None:
    _, challenge = pkce()
    params = start_params(state=new_state(), challenge=challenge) | change
    with caplog.at_level(logging.WARNING, logger="portal.security"):
        r = refused_start(asgi_app, {k: v for k, v in params.items() if v})
    assert_refused_start(r)
    assert rows(engine) == []
    assert any(rec.name == "portal.security" and reason in rec.getMessage() for rec in caplog.records)


def test_a_repeated_parameter_is_refused(asgi_app: Any, engine: sa.Engine) -> None:
    _, challenge = pkce()
    params = list(start_params(state=new_state(), challenge=challenge).items())
    r = refused_start(asgi_app, [*params, ("redirect_uri", "http://127.0.0.1:60000/callback")])
    assert_refused_start(r)
    assert rows(engine) == []


def test_starts_are_rate_limited_per_client(asgi_app: Any, engine: sa.Engine) -> None:
    _, challenge = pkce()

    async def go() -> list[int]:
        async with client(asgi_app) as b:
            return [
                (await start(b, **start_params(state=new_state(), challenge=challenge))).status_code
                for _ in range(desktop_signin.START_RATE_LIMIT + 1)
            ]

    statuses = run_async(go())
    assert statuses[:-1] == [302] * desktop_signin.START_RATE_LIMIT and statuses[-1] == 429
    assert len(rows(engine)) == desktop_signin.START_RATE_LIMIT


# --- refused finishes --------------------------------------------------------------------------------------------


def test_finish_needs_this_browsers_request(asgi_app: Any, engine: sa.Engine, member: dict[str, int]) -> None:
    _, challenge = pkce()

    async def scenario() -> None:
        async with client(asgi_app) as a, client(asgi_app) as other:
            # A signed-in browser that never started a desktop sign-in.
            assert (await a.sign_in_dev(email=EMAIL)).status_code == 303
            r = await a.get(routes.DESKTOP_FINISH)
            assert r.status_code == 400 and REFUSED in r.text and "location" not in r.headers

            # Browser A starts; another browser signs in and asks to finish: it has no request of its own.
            started = await start(a, **start_params(state=new_state(), challenge=challenge))
            assert started.status_code == 302
            assert (await other.sign_in_dev(email=EMAIL)).status_code == 303
            r = await other.get(routes.DESKTOP_FINISH)
            assert r.status_code == 400 and "location" not in r.headers
            assert [row.finished_at for row in rows(engine)] == [None]

            # A made-up request key, in the cookie: refused just the same.
            forged = f"{DESKTOP_COOKIE}={secrets.token_urlsafe(32)}; {COOKIE_NAME}={other.session_token}"
            r = await bare_get(asgi_app, routes.DESKTOP_FINISH, forged)
            assert r.status_code == 400 and "location" not in r.headers

            # A confirmation without a request of this browser (no cookie), and one for a made-up key with the
            # token that key would have: there is no such request.
            form = {"action": "continue", "consent": "c" * 43}
            r = await other.post(routes.DESKTOP_FINISH, data=form, headers=ORIGIN)
            assert r.status_code == 400 and REFUSED in r.text and "location" not in r.headers
            made_up = secrets.token_urlsafe(32)
            other_user = principal(engine, other.session_token)
            assert other_user is not None and other_user.user_id is not None
            token = desktop_signin.consent_token(
                made_up, user_id=other_user.user_id, workspace_id=other_user.workspace_id
            )
            r = await bare_post(
                asgi_app,
                routes.DESKTOP_FINISH,
                f"{DESKTOP_COOKIE}={made_up}; {COOKIE_NAME}={other.session_token}",
                {"action": "continue", "consent": token},
            )
            assert r.status_code == 400 and "location" not in r.headers
            assert [row.finished_at for row in rows(engine)] == [None]

    run_async(scenario())


def test_finish_when_signed_out_goes_through_sign_in_first(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    _, challenge = pkce()

    async def scenario() -> None:
        async with client(asgi_app) as b:
            started = await start(b, **start_params(state=new_state(), challenge=challenge))
            assert started.status_code == 302
            r = await b.get(routes.DESKTOP_FINISH)
            assert r.status_code == 302
            assert r.headers["location"] == routes.sign_in_url("staff", routes.DESKTOP_FINISH)
            # A confirmation without a session (signed out in another tab): sign in first, then confirm again.
            form = {"consent": "c" * 43, "action": "continue"}
            r = await b.post(routes.DESKTOP_FINISH, data=form, headers=ORIGIN)
            assert r.status_code == 303
            assert r.headers["location"] == routes.sign_in_url("staff", routes.DESKTOP_FINISH)
            assert rows(engine)[0].finished_at is None

    run_async(scenario())


def test_a_request_finishes_once_and_not_after_it_expired(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    verifier, challenge = pkce()

    async def scenario() -> None:
        async with client(asgi_app) as b:
            started = await start(b, **start_params(state=new_state(), challenge=challenge))
            key = started.cookies[DESKTOP_COOKIE]
            callback = await sign_in_through(b, started.headers["location"])
            page = await b.get(callback.headers["location"])
            form = consent_forms(page)["continue"]
            assert (await confirm(b, page)).status_code == 303
            # The cookie is gone from the browser; a kept copy of it does not work a second time, neither to show
            # the confirmation again nor to replay the confirmation itself.
            kept = f"{DESKTOP_COOKIE}={key}; {COOKIE_NAME}={b.session_token}"
            again = await bare_get(asgi_app, routes.DESKTOP_FINISH, kept)
            assert again.status_code == 400 and "location" not in again.headers
            replay = await bare_post(asgi_app, routes.DESKTOP_FINISH, kept, form.fields)
            assert replay.status_code == 400 and REFUSED in replay.text and "location" not in replay.headers
            assert rows(engine)[0].code_hash is not None  # the one code issued, no second one

            # An expired request.
            started = await start(b, **start_params(state=new_state(), challenge=challenge))
            with Session(engine) as db:
                db.execute(
                    sa.update(DesktopSignIn)
                    .where(col(DesktopSignIn.finished_at).is_(None))
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
                db.commit()
            late = await b.get(routes.DESKTOP_FINISH)
            assert late.status_code == 400 and "location" not in late.headers

            # Expired while the confirmation page was open.
            page = await signed_in_with_request(b, state=new_state(), challenge=challenge)
            with Session(engine) as db:
                db.execute(
                    sa.update(DesktopSignIn)
                    .where(col(DesktopSignIn.finished_at).is_(None))
                    .values(expires_at=utcnow() - timedelta(seconds=1))
                )
                db.commit()
            late = await confirm(b, page)
            assert late.status_code == 400 and "location" not in late.headers

    run_async(scenario())


# --- the confirmation (RFC 8252 8.6) --------------------------------------------------------------------------


def test_the_confirmation_page_issues_nothing(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    """A signed-in browser sent to /auth/desktop by someone else gets as far as this page, and no further."""
    _, challenge = pkce()
    urls: set[str] = set()

    async def scenario() -> None:
        async with client(asgi_app, urls) as b:
            page = await signed_in_with_request(b, state=new_state(), challenge=challenge)
            assert "location" not in page.headers
            assert f"<title>{CONSENT_TITLE}</title>" in page.text and f"<h1>{CONSENT_TITLE}</h1>" in page.text
            assert CONSENT_TEXT in page.text
            assert f"<strong>Desk</strong> ({EMAIL})" in page.text
            assert "Northwind &lt;Desk&gt; &amp; Co" in page.text and WORKSPACE not in page.text
            assert "you can close this tab" in page.text
            forms = consent_forms(page)
            assert set(forms) == {"continue", "cancel"}
            assert forms["continue"].button == "Continue" and forms["cancel"].button == "Cancel"
            assert forms["continue"].fields["consent"] == forms["cancel"].fields["consent"]
            # Not cached, not framed, nothing runs; the forms' POSTs carry the page's real origin.
            assert page.headers["cache-control"] == "no-store"
            assert page.headers["referrer-policy"] == "same-origin"
            assert page.headers["x-frame-options"] == "DENY"
            csp = dict(d.strip().split(" ", 1) for d in page.headers["content-security-policy"].split(";"))
            assert csp["frame-ancestors"] == "'none'" and csp["default-src"] == "'none'"
            assert "script-src" not in csp
            # A reload shows the page again; still nothing issued.
            again = await b.get(routes.DESKTOP_FINISH)
            assert again.status_code == 200 and CONSENT_TITLE in again.text

    run_async(scenario())
    [row] = rows(engine)
    assert row.finished_at is None and row.code_hash is None and row.user_id is None
    assert not [
        u for u in urls if urlsplit(u).hostname in ("127.0.0.1", "::1")
    ]  # nothing went to the loopback


def test_a_confirmation_needs_the_page_s_origin_and_its_token(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    _, challenge = pkce()
    state = new_state()

    def assert_not_confirmed(r: httpx.Response) -> None:
        assert r.status_code == 403, r.text
        assert REFUSED in r.text and "reload it and try again" in r.text
        assert "location" not in r.headers
        assert DESKTOP_COOKIE not in r.headers.get("set-cookie", "")  # the request stays; a reload confirms
        assert all(row.finished_at is None and row.code_hash is None for row in rows(engine))

    async def scenario() -> None:
        async with client(asgi_app) as b, client(asgi_app) as other:
            page = await signed_in_with_request(b, state=state, challenge=challenge)
            fields = consent_forms(page)["continue"].fields
            for headers in (
                {},  # neither Origin nor fetch metadata: not a browser's form
                {"origin": "https://evil.example"},
                {"origin": "null"},
                {"origin": "http://127.0.0.1:53123"},
                {"sec-fetch-site": "cross-site"},
                {"sec-fetch-site": "same-site"},
            ):
                assert_not_confirmed(await b.post(routes.DESKTOP_FINISH, data=fields, headers=headers))

            user = principal(engine, b.session_token)
            assert user is not None and user.user_id is not None
            key = b.client.cookies.get(DESKTOP_COOKIE, path=routes.DESKTOP_FINISH)
            assert key
            # Another browser's request (same person): its page's token does not confirm this one.
            await other.sign_in_dev(email=EMAIL)
            started = await start(other, **start_params(state=new_state(), challenge=challenge))
            assert started.status_code == 302
            theirs = consent_forms(await other.get(routes.DESKTOP_FINISH))["continue"].fields["consent"]
            assert theirs != fields["consent"]
            for form in (
                {"action": "continue"},  # no token
                {"action": "continue", "consent": ""},
                {"action": "continue", "consent": secrets.token_urlsafe(32)},
                {"action": "continue", "consent": theirs},
                {"action": "continue", "consent": fields["consent"] + "x"},
                {"action": "continue", "consent": fields["consent"].upper()},
                [("action", "continue"), ("consent", fields["consent"]), ("consent", fields["consent"])],
                # A token for this request but someone else, or another workspace.
                {
                    "action": "continue",
                    "consent": desktop_signin.consent_token(
                        key, user_id=user.user_id + 1000, workspace_id=None
                    ),
                },
                {
                    "action": "continue",
                    "consent": desktop_signin.consent_token(
                        key, user_id=user.user_id, workspace_id=member["workspace_id"] + 1000
                    ),
                },
                {"consent": fields["consent"]},  # no action
                {"action": "allow", "consent": fields["consent"]},
                [("action", "continue"), ("action", "cancel"), ("consent", fields["consent"])],
            ):
                r = await b.post(
                    routes.DESKTOP_FINISH,
                    content=urlencode(form),
                    headers={**ORIGIN, "content-type": "application/x-www-form-urlencoded"},
                )
                assert_not_confirmed(r)
            # The other browser's request is untouched too.
            assert [row.finished_at for row in rows(engine)] == [None, None]

            # The page's own form, with its origin: the code goes to the loopback listener.
            done = await confirm(b, page)
            assert done.status_code == 303 and done.headers["location"].startswith(LOOPBACK + "?")
            assert dict(parse_qsl(urlsplit(done.headers["location"]).query))["state"] == state

    run_async(scenario())


def test_a_confirmation_shown_for_one_person_does_not_sign_in_another(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    """The page named who was signed in; after a switch of account in another tab its form is out of date."""
    _, challenge = pkce()

    async def scenario() -> None:
        async with client(asgi_app) as b:
            page = await signed_in_with_request(b, state=new_state(), challenge=challenge)
            assert EMAIL in page.text
            switched = await b.sign_in_dev(email="someone.else@northwind.example", next_path=routes.STAFF)
            assert switched.status_code == 303
            r = await confirm(b, page)
            assert r.status_code == 403 and "location" not in r.headers
            assert rows(engine)[0].finished_at is None
            # Reloaded, the page names the person now signed in, and its form works.
            now = await b.get(routes.DESKTOP_FINISH)
            assert "someone.else@northwind.example" in now.text and EMAIL not in now.text
            done = await confirm(b, now)
            assert done.status_code == 303 and done.headers["location"].startswith(LOOPBACK + "?")

    run_async(scenario())
    [row] = rows(engine)
    assert row.user_id is not None and row.user_id != member["user_id"]


def test_cancel_tells_the_desktop_app_and_ends_the_request(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    _, challenge = pkce()
    state = new_state()

    async def scenario() -> None:
        async with client(asgi_app) as b:
            page = await signed_in_with_request(b, state=state, challenge=challenge)
            key = b.client.cookies.get(DESKTOP_COOKIE, path=routes.DESKTOP_FINISH)
            assert key
            cancelled = await confirm(b, page, "cancel")
            assert cancelled.status_code == 303
            assert cancelled.headers["location"] == LOOPBACK + "?" + urlencode(
                {"error": "access_denied", "state": state}
            )
            assert cancelled.headers["cache-control"] == "no-store"
            assert "max-age=0" in set_cookie(cancelled, DESKTOP_COOKIE).lower()
            sessions_before = session_rows(engine)

            # The request can no longer be finished: not with a kept cookie, not with the page's Continue form.
            kept = f"{DESKTOP_COOKIE}={key}; {COOKIE_NAME}={b.session_token}"
            again = await bare_get(asgi_app, routes.DESKTOP_FINISH, kept)
            assert again.status_code == 400 and "location" not in again.headers
            for action in ("continue", "cancel"):
                late = await bare_post(
                    asgi_app, routes.DESKTOP_FINISH, kept, consent_forms(page)[action].fields
                )
                assert late.status_code == 400 and "location" not in late.headers
            assert session_rows(engine) == sessions_before

    run_async(scenario())
    [row] = rows(engine)
    assert row.finished_at is not None and row.code_hash is None and row.code_expires_at is None
    assert row.user_id is None


# --- refused redemptions -----------------------------------------------------------------------------------------


def test_wrong_verifier_replay_and_expiry_are_refused(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    verifier, challenge = pkce()

    async def scenario() -> None:
        async with client(asgi_app) as b, client(asgi_app) as window:
            # A wrong verifier: refused, and the code is spent (it may have been intercepted).
            code = await code_for(b, state=new_state(), challenge=challenge)
            before = session_rows(engine)
            wrong = await redeem(window, code, pkce()[0])
            assert wrong.status_code == 400 and REFUSED in wrong.text and "Sign in again" in wrong.text
            assert COOKIE_NAME not in wrong.headers.get("set-cookie", "")
            assert (await redeem(window, code, verifier)).status_code == 400
            assert session_rows(engine) == before

            # A replayed code: the first redemption wins, the second is refused.
            code = await code_for(b, state=new_state(), challenge=challenge)
            assert (await redeem(window, code, verifier)).status_code == 303
            first = window.session_token
            replay = await redeem(window, code, verifier)
            assert replay.status_code == 400 and COOKIE_NAME not in replay.headers.get("set-cookie", "")
            assert window.session_token == first and principal(engine, first) is not None

            # An expired code.
            code = await code_for(b, state=new_state(), challenge=challenge)
            with Session(engine) as db:
                db.execute(
                    sa.update(DesktopSignIn)
                    .where(col(DesktopSignIn.redeemed_at).is_(None))
                    .values(code_expires_at=utcnow() - timedelta(seconds=1))
                )
                db.commit()
            late = await redeem(window, code, verifier)
            assert late.status_code == 400 and "Sign in again" in late.text

            # Malformed input, and a navigation started on another site.
            assert (await redeem(window, code, verifier[:42])).status_code == 400
            assert (await redeem(window, "x" * 43, verifier)).status_code == 400
            assert (await window.get(routes.DESKTOP_REDEEM)).status_code == 400
            code = await code_for(b, state=new_state(), challenge=challenge)
            cross = await redeem(window, code, verifier, headers={"sec-fetch-site": "cross-site"})
            assert cross.status_code == 400
            # Refused before the code was looked at: the desktop app's own navigation still works.
            own = await redeem(window, code, verifier, headers={"sec-fetch-site": "none"})
            assert own.status_code == 303

    run_async(scenario())


def test_concurrent_redemptions_give_one_session(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int]
) -> None:
    verifier, challenge = pkce()

    async def get_code() -> str:
        async with client(asgi_app) as b:
            return await code_for(b, state=new_state(), challenge=challenge)

    code = run_async(get_code())
    before = session_rows(engine)
    contenders = 2
    barrier = threading.Barrier(contenders)
    statuses: list[int] = []
    lock = threading.Lock()

    def contend() -> None:
        async def go() -> int:
            async with client(asgi_app) as window:
                barrier.wait()
                return (await redeem(window, code, verifier)).status_code

        status = run_async(go())
        with lock:
            statuses.append(status)

    threads = [threading.Thread(target=contend) for _ in range(contenders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(statuses) == [303, 400]
    assert session_rows(engine) == before + 1


# --- nothing secret in the logs ---------------------------------------------------------------------------------


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture()
def every_log() -> Iterator[Capture]:
    """Every logger at DEBUG (SQLAlchemy's statements and result rows included)."""
    capture = Capture()
    loggers = [
        logging.getLogger(n) for n in ["", "sqlalchemy.engine", "portal", *logging.root.manager.loggerDict]
    ]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        if not lg.propagate:
            lg.addHandler(capture)
    logging.getLogger().addHandler(capture)
    try:
        yield capture
    finally:
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
            if capture in lg.handlers:
                lg.removeHandler(capture)
        logging.getLogger().removeHandler(capture)


def test_no_code_verifier_or_session_token_is_logged(
    asgi_app: Any, engine: sa.Engine, member: dict[str, int], every_log: Capture
) -> None:
    verifier, challenge = pkce()
    urls: set[str] = set()

    async def scenario() -> set[str]:
        async with client(asgi_app, urls) as b, client(asgi_app, urls) as window:
            # Refused first (wrong verifier, replay), then the real one.
            spent = await code_for(b, state=new_state(), challenge=challenge)
            assert (await redeem(window, spent, pkce()[0])).status_code == 400
            code = await code_for(b, state=new_state(), challenge=challenge)
            assert (await redeem(window, code, verifier)).status_code == 303
            assert (await redeem(window, code, verifier)).status_code == 400
            return {
                spent,
                code,
                verifier,
                b.session_token or "",
                window.session_token or "",
                *(s for s in b.secrets if s),
            }

    found = run_async(scenario())
    assert len(found) >= 6
    assert any(
        r.name == "portal.security" and "desktop sign-in completed" in r.getMessage()
        for r in every_log.records
    )
    assert any(r.name.startswith("sqlalchemy.engine") for r in every_log.records)
    leaks = []
    for record in every_log.records:
        args = record.args if isinstance(record.args, tuple) else ()
        if record.name in ("httpx", "httpcore") and len(args) > 1 and str(args[1]) in urls:
            continue  # the test clients' own request lines, not the app's log
        texts = [str(record.msg), repr(record.args), *(f"{k}={v!r}" for k, v in vars(record).items())]
        with contextlib.suppress(Exception):
            texts.append(record.getMessage())
        text = "\n".join(texts)
        leaks += [f"{record.name}: {text[:120]!r}" for secret in found if secret and secret in text]
    assert leaks == []
