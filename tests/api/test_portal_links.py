"""Sign-in link routes and the dev mailbox over HTTP (build_api() through httpx.ASGITransport, real database)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import Contact, MagicLink, OutboxMail
from portal_app.api import build_api, mailbox
from portal_app.services import notifications, portal_access, sessions, tokens
from portal_app.services.access import ContactActor
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import Environment, Settings
from tests.factories import make_tenant

OWN = "http://localhost:3000"
MAGIC_RE = re.compile(r"/auth/magic/([A-Za-z0-9_-]+)")
CONFIRM_RE = re.compile(r'name="confirm" value="([^"]+)"')


@pytest.fixture(autouse=True)
def _fresh_client_limiter():
    portal_access.client_limiter.clear()
    yield
    portal_access.client_limiter.clear()


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as s:
        yield s


def http(*steps: Any) -> list[httpx.Response]:
    """Run request steps (callables taking the client) in order on one client, so cookies carry over."""

    async def run() -> list[httpx.Response]:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=build_api()), base_url=OWN) as client:
            return [await step(client) for step in steps]

    # A thread of its own: a browser test's sync driver may keep an event loop running on the main thread.
    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=120)


def contact_email(db: Session, contact_id: int) -> str:
    row = db.get(Contact, contact_id)
    assert row is not None
    db.commit()  # end the read: on SQLite every transaction holds the write lock the app needs
    return row.email


def magic_token(db: Session, email: str) -> str:
    portal_access.request_magic_link(db, email)
    mail = db.exec(
        select(OutboxMail).where(OutboxMail.to_email == email).order_by(OutboxMail.id.desc())
    ).first()
    db.commit()
    match = MAGIC_RE.search(mail.body_text)
    assert match
    return match.group(1)


def confirm_of(response: httpx.Response) -> str:
    match = CONFIRM_RE.search(response.text)
    assert match
    return match.group(1)


def get(path: str, **kw: Any):
    return lambda c: c.get(path, **kw)


def post_confirm(path: str, headers: dict[str, str] | None = None, confirm: str | None = None):
    async def step(client: httpx.AsyncClient) -> httpx.Response:
        value = confirm if confirm is not None else client.cookies.get("portal_link_confirm", "")
        return await client.post(path, data={"confirm": value}, headers=headers or {"origin": OWN})

    return step


def test_get_shows_a_confirm_page_and_does_not_consume(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    (page,) = http(get(f"/auth/magic/{token}"))
    assert page.status_code == 200
    assert "Continue to the portal" in page.text
    assert f'action="/auth/magic/{token}"' in page.text
    assert page.text.count(token) == 1  # only inside the form action
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["content-type"].startswith("text/html")
    assert "httponly" in page.headers["set-cookie"].lower()
    db.expire_all()
    assert db.exec(select(MagicLink)).one().used_at is None


def test_post_consumes_sets_the_session_cookie_and_redirects(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    page, done, resubmitted, _, again = http(
        get(f"/auth/magic/{token}"),
        post_confirm(f"/auth/magic/{token}"),
        post_confirm(f"/auth/magic/{token}"),  # the confirm cookie went with the first use
        get(f"/auth/magic/{token}"),  # the mail's link clicked again
        post_confirm(f"/auth/magic/{token}"),
    )
    assert done.status_code == 303
    assert done.headers["location"] == "/portal"
    cookie = next(v for k, v in done.headers.multi_items() if k == "set-cookie" and v.startswith(COOKIE_NAME))
    attrs = cookie.lower()
    assert "httponly" in attrs and "samesite=lax" in attrs and "path=/" in attrs
    session_token = cookie.split(";", 1)[0].split("=", 1)[1]
    principal = sessions.resolve(db, session_token)
    assert isinstance(principal.actor, ContactActor)
    assert principal.actor.contact_id == t.contact.contact_id
    # The link works once: a second POST gets the generic failure page.
    assert resubmitted.status_code == 403
    assert again.status_code == 400
    assert portal_access.INVALID_LINK in again.text
    assert token not in again.text


def test_post_rotates_an_existing_session(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    old = sessions.create_session(
        db, kind=sessions.SessionKind.CONTACT, contact_id=t.contact.contact_id, account_id=t.account.id
    )
    db.commit()

    async def post(client: httpx.AsyncClient) -> httpx.Response:
        confirm = client.cookies.get("portal_link_confirm", "")
        return await client.post(
            f"/auth/magic/{token}",
            data={"confirm": confirm},
            # The browser still holds the old session cookie when it follows the link.
            headers={"origin": OWN, "cookie": f"{COOKIE_NAME}={old.token}; portal_link_confirm={confirm}"},
        )

    _, done = http(get(f"/auth/magic/{token}"), post)
    assert done.status_code == 303
    assert sessions.resolve(db, old.token) is None


@pytest.mark.parametrize(
    "headers",
    [
        {"origin": "https://evil.example"},
        {"origin": "http://localhost:3000.evil.example"},
        {"sec-fetch-site": "cross-site", "origin": "null"},
        {"sec-fetch-site": "same-site"},
        {"referer": "https://evil.example/page"},
    ],
    ids=["origin", "origin-prefix", "fetch-metadata", "sibling-site", "referer"],
)
def test_cross_site_post_is_refused_and_consumes_nothing(db, headers):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    _, forged, real = http(
        get(f"/auth/magic/{token}"),
        post_confirm(f"/auth/magic/{token}", headers=headers),
        # What our own page sends under Referrer-Policy: no-referrer.
        post_confirm(f"/auth/magic/{token}", headers={"origin": "null", "sec-fetch-site": "same-origin"}),
    )
    assert forged.status_code == 403
    assert COOKIE_NAME not in forged.headers.get("set-cookie", "")
    assert real.status_code == 303


def test_post_without_the_confirm_cookie_is_refused(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    # No GET first (an auto-submitting form elsewhere): the confirm cookie is missing.
    forged, wrong = http(
        post_confirm(f"/auth/magic/{token}", confirm="a" * 32),
        post_confirm(f"/auth/magic/{token}", confirm=""),
    )
    assert forged.status_code == wrong.status_code == 403
    db.expire_all()
    assert db.exec(select(MagicLink)).one().used_at is None


def test_bad_tokens_get_the_same_failure_page(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    pages = http(
        get(f"/auth/magic/{token[:-3]}"),
        post_confirm(f"/auth/magic/{token[:-3]}"),
        get(f"/auth/magic/{tokens.new_token()}"),
        post_confirm(f"/auth/magic/{tokens.new_token()}"),
        get("/auth/magic/%3Cscript%3E"),
    )
    # GET never looks the token up, so it shows the confirm page; POST and malformed tokens fail alike.
    assert [p.status_code for p in pages] == [200, 400, 200, 400, 400]
    assert pages[1].text == pages[3].text
    assert "<script>" not in pages[4].text


def test_contact_invitation_link_flow(db):
    t = make_tenant(db)
    issued = portal_access.invite_contact(db, t.owner, t.contact.contact_id, t.account.id)
    path = f"/auth/contact-invite/{issued.token}"
    page, done, _, again = http(get(path), post_confirm(path), get(path), post_confirm(path))
    assert page.status_code == 200 and "Continue to the portal" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert done.status_code == 303 and done.headers["location"] == "/portal"
    assert COOKIE_NAME in done.headers["set-cookie"]
    assert again.status_code == 400


def test_magic_link_request_form_gives_one_answer(db):
    t = make_tenant(db)
    known = contact_email(db, t.contact.contact_id)
    form, known_answer, unknown_answer, malformed = http(
        get("/auth/magic-link"),
        lambda c: c.post("/auth/magic-link", data={"email": known}, headers={"origin": OWN}),
        lambda c: c.post("/auth/magic-link", data={"email": "nobody@customer.test"}, headers={"origin": OWN}),
        lambda c: c.post("/auth/magic-link", data={"email": "<b>nope"}, headers={"origin": OWN}),
    )
    assert form.status_code == 200 and 'name="email"' in form.text
    assert known_answer.status_code == unknown_answer.status_code == malformed.status_code == 200
    assert known_answer.text == unknown_answer.text == malformed.text
    assert "If that address has portal access, a link is on its way" in known_answer.text
    db.expire_all()
    mails = db.exec(select(OutboxMail)).all()
    assert [m.to_email for m in mails] == [known]


def test_mailbox_lists_the_local_outbox_with_clickable_escaped_links(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    notifications.enqueue_mail(
        db,
        workspace_id=None,
        to_email="x@customer.test",
        subject="<script>alert(1)</script>",
        body_text='Hi <img src=x onerror=alert(1)> see javascript:alert(1) and "http://a.test/?q=1&r=2"',
    )
    db.commit()
    (page,) = http(get("/dev/mailbox"))
    assert page.status_code == 200
    assert page.headers["referrer-policy"] == "no-referrer"
    assert f'<a href="http://localhost:3000/auth/magic/{token}"' in page.text
    assert "<script>alert(1)</script>" not in page.text and "&lt;script&gt;" in page.text
    assert "<img" not in page.text
    assert 'href="javascript' not in page.text
    assert '<a href="http://a.test/?q=1&amp;r=2"' in page.text
    # newest first
    assert page.text.index("&lt;script&gt;") < page.text.index("sign-in link")


def test_mailbox_is_not_served_in_prod(db, monkeypatch):
    prod = Settings(
        env=Environment.PROD,
        session_secret="x" * 40,
        oidc_issuer="https://issuer.invalid",
        oidc_client_id="cid",
        oidc_client_secret="c" * 40,
        public_base_url=OWN,
    )
    monkeypatch.setattr(mailbox, "get_settings", lambda: prod)
    (page,) = http(get("/dev/mailbox"))
    assert page.status_code == 404


# ---------------------------------------------------------------------------------------------------------------
# Abuse: POSTs that do not say where they came from, replays from one client, the mailbox outside loopback


def test_post_without_origin_or_fetch_metadata_is_refused_and_consumes_nothing(db):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))

    async def bare_post(client: httpx.AsyncClient) -> httpx.Response:
        # The confirm cookie and value are right: only the browser's word on where the POST came from is missing.
        confirm = client.cookies.get("portal_link_confirm", "")
        return await client.post(f"/auth/magic/{token}", data={"confirm": confirm})

    _, bare, real = http(get(f"/auth/magic/{token}"), bare_post, post_confirm(f"/auth/magic/{token}"))
    assert bare.status_code == 403
    assert "Request refused" in bare.text and "did not come from this site" in bare.text
    assert COOKIE_NAME not in bare.headers.get("set-cookie", "")
    assert real.status_code == 303  # what a browser sends (Origin) still works


def test_magic_link_request_without_origin_sends_nothing(db):
    t = make_tenant(db)
    known = contact_email(db, t.contact.contact_id)
    (answer,) = http(lambda c: c.post("/auth/magic-link", data={"email": known}))
    assert answer.status_code == 403
    db.expire_all()
    assert db.exec(select(OutboxMail)).all() == []


def test_redemptions_are_rate_limited_per_client_over_http(db, monkeypatch):
    from portal_app.services import ratelimit

    monkeypatch.setattr(ratelimit, "redemptions", ratelimit.ClientRateLimiter(3, 600, name="test-http"))
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    sweep = [post_confirm(f"/auth/magic/{tokens.new_token()}") for _ in range(3)]
    pages = http(get(f"/auth/magic/{token}"), *sweep, post_confirm(f"/auth/magic/{token}"))
    assert [p.status_code for p in pages[1:4]] == [400, 400, 400]
    limited = pages[4]
    assert limited.status_code == 429 and "Please wait" in limited.text
    assert COOKIE_NAME not in limited.headers.get("set-cookie", "")
    db.expire_all()
    assert db.exec(select(MagicLink)).one().used_at is None


def mailbox_page(
    *, headers: dict[str, str] | None = None, base_url: str = OWN, **scope: Any
) -> httpx.Response:
    """GET the mailbox with parts of the ASGI scope replaced (what the server reports: its address, the peer)."""
    app = build_api()

    async def wrapped(asgi_scope, receive, send):
        if asgi_scope["type"] == "http":
            asgi_scope = {**asgi_scope, **scope}
        await app(asgi_scope, receive, send)

    async def run() -> httpx.Response:
        transport = httpx.ASGITransport(app=wrapped)
        async with httpx.AsyncClient(transport=transport, base_url=base_url) as client:
            return await client.get("/dev/mailbox", headers=headers or {})

    with concurrent.futures.ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, run()).result(timeout=120)


@pytest.mark.parametrize(
    ("scope", "headers", "base_url"),
    [
        ({"server": ("127.0.0.1", 3000), "client": ("127.0.0.1", 5555)}, {}, "http://127.0.0.1:3000"),
        ({"server": ("::1", 3000), "client": ("::1", 5555)}, {}, "http://[::1]:3000"),
        ({"server": ("localhost", 3000)}, {}, OWN),
    ],
    ids=["ipv4", "ipv6", "localhost"],
)
def test_mailbox_is_served_over_loopback(db, scope, headers, base_url):
    assert mailbox_page(headers=headers, base_url=base_url, **scope).status_code == 200


@pytest.mark.parametrize(
    ("scope", "headers", "base_url"),
    [
        # Bound to every interface (Granian reports the bind address), or reached over a network interface.
        ({"server": ("0.0.0.0", 3000)}, {}, OWN),
        ({"server": ("192.0.2.10", 3000), "client": ("192.0.2.99", 5555)}, {}, "http://192.0.2.10:3000"),
        # A peer on the network, whatever the server says.
        ({"server": ("127.0.0.1", 3000), "client": ("198.51.100.7", 5555)}, {}, OWN),
        # A reverse proxy on the same host: both ends look local, its headers do not.
        ({"server": ("127.0.0.1", 3000)}, {"x-forwarded-for": "198.51.100.7"}, OWN),
        ({"server": ("127.0.0.1", 3000)}, {"forwarded": "for=198.51.100.7"}, OWN),
        ({"server": ("127.0.0.1", 3000)}, {"x-real-ip": "198.51.100.7"}, OWN),
        # DNS rebinding: another site's name pointed at 127.0.0.1, read through the developer's browser.
        ({"server": ("127.0.0.1", 3000)}, {"host": "rebind.evil.example:3000"}, OWN),
        # A unix socket has no address to judge.
        ({"server": ("/run/portal.sock", None)}, {}, OWN),
    ],
    ids=[
        "bound-everywhere",
        "network-interface",
        "remote-peer",
        "xff",
        "forwarded",
        "x-real-ip",
        "rebind",
        "unix",
    ],
)
def test_mailbox_is_not_served_beyond_loopback(db, scope, headers, base_url):
    t = make_tenant(db)
    token = magic_token(db, contact_email(db, t.contact.contact_id))
    page = mailbox_page(headers=headers, base_url=base_url, **scope)
    assert page.status_code == 404
    assert token not in page.text


def test_mailbox_is_not_served_with_a_real_identity_provider(db, monkeypatch):
    configured = Settings(
        env=Environment.TEST, oidc_issuer="https://issuer.invalid", oidc_client_id="cid", public_base_url=OWN
    )
    assert configured.is_dev_like and not configured.uses_builtin_identity_provider
    monkeypatch.setattr(mailbox, "get_settings", lambda: configured)
    (page,) = http(get("/dev/mailbox"))
    assert page.status_code == 404


def test_mailbox_never_shows_an_expired_link(db):
    t = make_tenant(db)
    email = contact_email(db, t.contact.contact_id)
    old = magic_token(db, email)
    fresh = magic_token(db, email)
    row = db.exec(select(MagicLink).where(MagicLink.token_hash == tokens.hash_token(old))).one()
    mail = db.exec(select(OutboxMail).where(OutboxMail.body_text.contains(old))).one()
    # Sixteen minutes later: the link and its mail's record of it have expired.
    row.expires_at = mail.links_expire_at = datetime.now(UTC) - timedelta(minutes=1)
    db.add(row)
    db.add(mail)
    db.commit()
    (page,) = http(get("/dev/mailbox"))
    assert page.status_code == 200
    assert old not in page.text and "[link expired]" in page.text
    assert f'<a href="http://localhost:3000/auth/magic/{fresh}"' in page.text
    db.expire_all()
    stored = db.get(OutboxMail, mail.id)
    assert old not in stored.body_text and stored.links_expire_at is None  # the page's read swept it


def test_mailbox_shows_a_mails_html_part_sandboxed_but_never_one_with_sign_in_links(db):
    plain = notifications.enqueue_mail(
        db,
        workspace_id=None,
        to_email="x@customer.test",
        subject="Branded",
        body_text="Hello",
        body_html='<p>Hello</p><img src="http://localhost:8000/files/logo/k.png" alt="Acme"><script>x()</script>',
    )
    t = make_tenant(db)
    magic_token(db, contact_email(db, t.contact.contact_id))
    with_link = db.exec(select(OutboxMail).where(OutboxMail.links_expire_at.is_not(None))).first()  # type: ignore[union-attr]
    with_link.body_html = "<p>a sign-in link</p>"
    db.add(with_link)
    db.commit()
    (page,) = http(get("/dev/mailbox"))
    assert f'href="/dev/mailbox/{plain.id}.html"' in page.text
    assert f'href="/dev/mailbox/{with_link.id}.html"' not in page.text
    html, missing, refused = http(
        get(f"/dev/mailbox/{plain.id}.html"),
        get("/dev/mailbox/999999.html"),
        get(f"/dev/mailbox/{with_link.id}.html"),
    )
    assert html.status_code == 200 and 'alt="Acme"' in html.text
    csp = html.headers["content-security-policy"]
    assert "sandbox" in csp and "script-src" not in csp and "default-src 'none'" in csp
    assert html.headers["x-content-type-options"] == "nosniff"
    assert missing.status_code == refused.status_code == 404
