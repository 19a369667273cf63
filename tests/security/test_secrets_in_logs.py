"""Abuse suite, secrets in logs (issue 12; SECURITY.md 14, 25): every sign-in flow and every upload flow runs with
every logger at DEBUG (root, ``sqlalchemy.engine``, ``httpx``, ``portal.*`` and whatever else exists), and no log
record holds a raw session token (the cookie value), a sign-in link or invitation token, an OIDC state, nonce,
PKCE verifier, code or ID token, a cookie header's value, or the content of an uploaded file.

Every record is read whole: the formatted message, ``msg`` and ``args``, every ``extra`` field, the exception and
stack text. The browser's own ``httpx`` lines ("HTTP Request: GET /auth/magic/<token>") are the client's log, not
the app's: they are left out by exact URL, the app's own outgoing requests (to the identity provider) are not.
A token's hash may appear (SQLAlchemy logging a lookup by ``token_hash``); the raw token may not.
"""

from __future__ import annotations

import contextlib
import logging
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import Contact, OutboxMail, Role
from portal_app import routes
from portal_app.api import oidc, uploads
from portal_app.services import identity, members, portal_access, ratelimit
from portal_app.services.sessions import COOKIE_NAME
from tests.aio import run_async
from tests.api.oidc_support import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FAKE_ISSUER,
    Browser,
    FakeProvider,
    build_asgi_app,
    provider_routed_to,
    settings_env,
)
from tests.security.fault_support import UPLOAD_ROUTES, marker, pdf_with, png_with, upload_world

PUBLIC = "http://localhost:3000"
MAGIC_RE = re.compile(r"/auth/magic/([A-Za-z0-9_-]+)")
_PLAIN = set(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message", "asctime"}


# -- capture ------------------------------------------------------------------------------------------------------


class Capture(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self.paused = False

    def emit(self, record: logging.LogRecord) -> None:
        if not self.paused:
            self.records.append(record)

    @contextlib.contextmanager
    def pause(self) -> Iterator[None]:
        """For the test's own reads (a token taken from the outbox is the test's doing, not the app's)."""
        self.paused = True
        try:
            yield
        finally:
            self.paused = False


def record_texts(record: logging.LogRecord) -> list[str]:
    texts = [str(record.msg), repr(record.args), record.stack_info or ""]
    with contextlib.suppress(Exception):
        texts.append(record.getMessage())
    if record.exc_info:
        texts.append(logging.Formatter().formatException(record.exc_info))
    texts.extend(f"{k}={v!r}" for k, v in vars(record).items() if k not in _PLAIN)
    return texts


@dataclass
class Secrets:
    by_kind: dict[str, set[str]] = field(default_factory=dict)
    browser_urls: set[str] = field(default_factory=set)

    def add(self, kind: str, *values: str | None) -> None:
        self.by_kind.setdefault(kind, set()).update(v for v in values if v and len(v) >= 8)

    def leaks(self, records: list[logging.LogRecord]) -> list[str]:
        found = []
        for record in records:
            if record.name == "httpx" and record.args and str(record.args[1]) in self.browser_urls:
                continue  # the browser's own client log line
            text = "\n".join(record_texts(record))
            for kind, values in self.by_kind.items():
                for value in values:
                    if value in text:
                        at = text.index(value)
                        found.append(
                            f"{kind} in {record.name}/{record.levelname}: {text[max(0, at - 60) : at + 20]!r}"
                        )
        return found


@pytest.fixture()
def logs() -> Iterator[Capture]:
    capture = Capture()
    root = logging.getLogger()
    names = [
        "",
        "sqlalchemy.engine",
        "sqlalchemy.engine.Engine",
        "httpx",
        "httpcore",
        "portal",
        *logging.root.manager.loggerDict,
    ]
    loggers = [logging.getLogger(n) for n in names]
    saved = [(lg, lg.level, lg.disabled) for lg in loggers]
    for lg in loggers:
        lg.setLevel(logging.DEBUG)
        lg.disabled = False
        if not lg.propagate and lg is not root:
            lg.addHandler(capture)
    root.addHandler(capture)
    try:
        yield capture
    finally:
        for lg, level, disabled in saved:
            lg.setLevel(level)
            lg.disabled = disabled
            if capture in lg.handlers:
                lg.removeHandler(capture)


@pytest.fixture(scope="module")
def asgi_app() -> Any:
    return build_asgi_app()


@pytest.fixture()
def secrets(monkeypatch: pytest.MonkeyPatch) -> Secrets:
    """Spies on the app's own secret-making: the pending login's state, nonce and verifier, every ID token."""
    found = Secrets()
    start, validate = identity.start_login, oidc.validate_id_token

    def start_login(*args: Any, **kwargs: Any) -> identity.PendingLogin:
        pending = start(*args, **kwargs)
        found.add("oidc state", pending.state)
        found.add("oidc nonce", pending.nonce)
        found.add("pkce verifier", pending.code_verifier)
        return pending

    async def validate_id_token(id_token: str, **kwargs: Any) -> Any:
        found.add("id_token", id_token, *id_token.split("."))
        return await validate(id_token, **kwargs)

    monkeypatch.setattr(identity, "start_login", start_login)
    monkeypatch.setattr(oidc, "validate_id_token", validate_id_token)
    ratelimit.redemptions.clear()
    portal_access.client_limiter.clear()
    uploads.upload_clients.clear()
    return found


@contextlib.asynccontextmanager
async def watched_browser(asgi_app: Any, found: Secrets) -> AsyncIterator[Browser]:
    """The sign-in tests' browser; every URL it asks for and every cookie it sends is noted."""

    async def note(request: httpx.Request) -> None:
        found.browser_urls.add(str(request.url))
        for pair in request.headers.get("cookie", "").split(";"):
            found.add("cookie header value", pair.partition("=")[2].strip())
        query = dict(parse_qsl(urlsplit(str(request.url)).query))
        found.add("oidc code", query.get("code"))
        found.add("oidc state", query.get("state"))

    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=asgi_app),
        base_url=routes.backend_origin(),
        event_hooks={"request": [note]},
    ) as client:
        b = Browser(client)
        yield b
        found.add("session token", *(c.value for c in client.cookies.jar if c.name == COOKIE_NAME))
        found.add("browser secret", *b.secrets)


def assert_no_leak(found: Secrets, capture: Capture) -> None:
    assert capture.records, "nothing was logged: the capture is not working"
    assert any(r.name.startswith("sqlalchemy.engine") for r in capture.records)
    leaks = found.leaks(capture.records)
    assert leaks == [], "\n".join(leaks)


# -- sign-in flows ------------------------------------------------------------------------------------------------


def sign_in_flows(asgi_app: Any, engine: sa.Engine, found: Secrets, capture: Capture) -> None:
    with capture.pause(), Session(engine, expire_on_commit=False) as db:
        from tests.factories import make_tenant

        t = make_tenant(db)
        make_tenant(db)
        email = db.get(Contact, t.contact.contact_id).email  # type: ignore[union-attr]
        db.commit()

    async def scenario() -> None:
        # Staff through the built-in provider, then out again.
        async with watched_browser(asgi_app, found) as b:
            assert (await b.sign_in_dev(email="logged@startup.example")).status_code == 303
            found.add("session token", b.session_token)
            assert (await b.post(routes.SIGN_OUT, headers={"origin": PUBLIC})).status_code == 303

        # A contact asks for a magic link, then redeems it (confirm page, then POST).
        async with watched_browser(asgi_app, found) as b:
            sent = await b.post(routes.MAGIC_LINK_REQUEST, data={"email": email}, headers={"origin": PUBLIC})
            assert sent.status_code == 200
            with capture.pause(), Session(engine) as db:
                mail = db.exec(select(OutboxMail).where(OutboxMail.to_email == email)).all()[-1]
                token = MAGIC_RE.search(mail.body_text).group(1)  # type: ignore[union-attr]
            found.add("magic link token", token)
            path = f"{routes.MAGIC_LINK}/{token}"
            assert (await b.get(path)).status_code == 200
            confirm = b.client.cookies.get("portal_link_confirm", "")
            found.add("link confirm cookie", confirm)
            done = await b.post(path, data={"confirm": confirm}, headers={"origin": PUBLIC})
            assert done.status_code == 303
            found.add("session token", b.session_token)

        # Staff invites a contact (the token is made and mailed here), who redeems it.
        with Session(engine, expire_on_commit=False) as db:
            invite = portal_access.invite_contact(db, t.owner, t.contact.contact_id, t.account.id)
        found.add("contact invitation token", invite.token)
        async with watched_browser(asgi_app, found) as b:
            path = f"{routes.CONTACT_INVITE}/{invite.token}"
            assert (await b.get(path)).status_code == 200
            confirm = b.client.cookies.get("portal_link_confirm", "")
            done = await b.post(path, data={"confirm": confirm}, headers={"origin": PUBLIC})
            assert done.status_code == 303

        # A member invitation: made and mailed, its link followed, sign-in, accepted.
        with Session(engine, expire_on_commit=False) as db:
            invitation = members.invite_member(db, t.owner, email="joiner@newco.example", role=Role.TEAM_LEAD)
        found.add("member invitation token", invitation.token)
        async with watched_browser(asgi_app, found) as b:
            assert (await b.get(routes.invite_url(invitation.token))).status_code == 303
            assert (
                await b.sign_in_dev(email="joiner@newco.example", next_path=routes.INVITE)
            ).status_code == 303
            assert (await b.post(routes.INVITE, headers={"origin": PUBLIC})).status_code == 303

    run_async(scenario())

    # Staff through a configured provider with RS256-signed ID tokens (the code is exchanged over HTTP).
    fake = FakeProvider()
    with (
        settings_env(
            oidc_issuer=FAKE_ISSUER, oidc_client_id=FAKE_CLIENT_ID, oidc_client_secret=FAKE_CLIENT_SECRET
        ),
        provider_routed_to(asgi_app, fake),
    ):

        async def configured() -> None:
            async with watched_browser(asgi_app, found) as b:
                assert (await b.sign_in_fake(fake)).status_code == 303

        run_async(configured())
    found.add("client secret", FAKE_CLIENT_SECRET)


def _sql_rows(records: list[logging.LogRecord]) -> list[logging.LogRecord]:
    return [r for r in records if r.name.startswith("sqlalchemy.engine") and str(r.msg).startswith("Row")]


def test_sign_in_flows_log_no_secret(
    asgi_app: Any, committed_engine: sa.Engine, secrets: Secrets, logs: Capture
) -> None:
    sign_in_flows(asgi_app, committed_engine, secrets, logs)
    for kind in ("session token", "oidc state", "oidc nonce", "oidc code", "id_token", "magic link token"):
        assert secrets.by_kind.get(kind), f"no {kind} was seen: the flow did not run"
    assert any(r.name == "portal.security" for r in logs.records)
    # SQLAlchemy's DEBUG result-row dumps included: the pending login's row holds no nonce or verifier (both are
    # derived from the state under the session secret, identity.login_secrets).
    assert _sql_rows(logs.records), "no SQL result row was logged: DEBUG logging did not reach SQLAlchemy"
    assert_no_leak(secrets, logs)


# -- upload flows ---------------------------------------------------------------------------------------------------


def test_upload_flows_log_no_file_content_and_no_cookie(
    asgi_app: Any, committed_engine: sa.Engine, storage_dir: Any, secrets: Secrets, logs: Capture
) -> None:
    with logs.pause():
        w = upload_world(committed_engine, storage_dir)
    secrets.add("session token", w.contact, w.owner)
    for route in UPLOAD_ROUTES:
        mark = marker()
        secrets.add(f"{route} file content", mark, mark.encode().hex(), mark.encode().hex().upper())
        body = png_with(mark) if route in ("logo", "attachment") else pdf_with(mark)

        async def go(route: str = route, body: bytes = body) -> httpx.Response:
            async with httpx.AsyncClient(
                transport=httpx.ASGITransport(app=asgi_app), base_url=routes.backend_origin()
            ) as c:
                secrets.browser_urls.add(str(c.build_request("POST", w.url(route)).url))
                return await c.post(
                    w.url(route), content=body, headers=w.headers(route, f"{uuid.uuid4().hex}.bin")
                )

        response = run_async(go())
        assert response.status_code == 200, (route, response.text)
    assert any(r.name == "sqlalchemy.engine.Engine" for r in logs.records)
    assert_no_leak(secrets, logs)
