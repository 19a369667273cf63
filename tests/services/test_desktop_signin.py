"""The desktop sign-in service without HTTP: what is stored, single use under a race, purging, and a member who
left the workspace between the browser's sign-in and the window's redemption."""

from __future__ import annotations

import secrets
import threading
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from pydantic import SecretStr
from sqlmodel import Session, col, select

from models import AuthSession, DesktopSignIn, Membership, SessionKind, utcnow
from portal_app.db import make_engine
from portal_app.services import desktop_signin, periodic, ratelimit, sessions, tokens
from portal_app.services.access import StaffActor
from portal_app.services.desktop_signin import DesktopRefused, s256
from portal_app.services.errors import RateLimited
from tests.factories import make_tenant

LOOPBACK = "http://127.0.0.1:50000/callback"


@pytest.fixture(autouse=True)
def _fresh_redemptions() -> Any:
    ratelimit.redemptions.clear()
    yield
    ratelimit.redemptions.clear()


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, s256(verifier)


def start(session: Session, challenge: str, *, client: str = "198.51.100.7") -> str:
    return desktop_signin.start_request(
        session,
        redirect_uri=LOOPBACK,
        state="desktop-state-0123456789",
        code_challenge=challenge,
        code_challenge_method="S256",
        client=client,
    )


def test_s256_matches_rfc_7636_appendix_b() -> None:
    assert (
        s256("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk") == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"
    )


@pytest.mark.parametrize(
    ("uri", "ok"),
    [
        ("http://127.0.0.1:1024/callback", True),
        ("http://127.0.0.1:65535/callback", True),
        ("http://[::1]:8080/callback", True),
        ("http://127.0.0.1:1023/callback", False),
        ("http://127.0.0.1:99999/callback", False),
        ("http://localhost:8080/callback", False),
        ("http://127.0.0.1:8080/callback\n", False),
        ("\nhttp://127.0.0.1:8080/callback", False),
    ],
)
def test_loopback_redirects(uri: str, ok: bool) -> None:
    assert desktop_signin.is_loopback_redirect(uri) is ok


def test_only_hashes_are_stored_and_each_step_works_once(session: Session) -> None:
    t = make_tenant(session)
    verifier, challenge = pkce()
    key = start(session, challenge)
    grant = desktop_signin.finish(
        session, key, user_id=t.team_lead.user_id, workspace_id=t.team_lead.workspace_id
    )
    assert (grant.redirect_uri, grant.state) == (LOOPBACK, "desktop-state-0123456789")
    row = session.exec(select(DesktopSignIn)).one()
    assert row.request_key_hash == tokens.hash_token(key) and row.code_hash == tokens.hash_token(grant.code)
    assert row.code_challenge == challenge and verifier not in repr(row.model_dump())
    assert row.code_expires_at is not None and row.finished_at is not None
    assert row.code_expires_at - row.finished_at == desktop_signin.CODE_TTL
    with pytest.raises(DesktopRefused):
        desktop_signin.finish(session, key, user_id=t.owner.user_id, workspace_id=t.owner.workspace_id)

    issued = desktop_signin.redeem(session, grant.code, verifier, client="198.51.100.7")
    principal = sessions.resolve(session, issued.token)
    assert principal is not None and isinstance(principal.actor, StaffActor)
    assert principal.actor == t.team_lead
    with pytest.raises(DesktopRefused):
        desktop_signin.redeem(session, grant.code, verifier)


def test_pending_and_cancel(session: Session) -> None:
    t = make_tenant(session)
    _, challenge = pkce()
    key = start(session, challenge)
    assert desktop_signin.pending(session, key) == desktop_signin.DesktopPending(
        redirect_uri=LOOPBACK, state="desktop-state-0123456789"
    )
    assert desktop_signin.pending(session, key) == desktop_signin.pending(
        session, key
    )  # looking changes nothing
    for made_up in (None, "", "short", secrets.token_urlsafe(32)):
        with pytest.raises(DesktopRefused):
            desktop_signin.pending(session, made_up)
        with pytest.raises(DesktopRefused):
            desktop_signin.cancel(session, made_up)

    ended = desktop_signin.cancel(session, key)
    assert (ended.redirect_uri, ended.state) == (LOOPBACK, "desktop-state-0123456789")
    row = session.exec(select(DesktopSignIn)).one()
    assert row.finished_at is not None and row.code_hash is None and row.user_id is None
    # Cancelled: it can be neither looked at, cancelled again nor finished.
    with pytest.raises(DesktopRefused):
        desktop_signin.pending(session, key)
    with pytest.raises(DesktopRefused):
        desktop_signin.cancel(session, key)
    with pytest.raises(DesktopRefused):
        desktop_signin.finish(session, key, user_id=t.owner.user_id, workspace_id=t.ws.id)

    # Finished or expired requests are not pending either.
    finished = start(session, challenge)
    desktop_signin.finish(session, finished, user_id=t.owner.user_id, workspace_id=t.ws.id)
    expired = start(session, challenge)
    session.execute(
        sa.update(DesktopSignIn)
        .where(col(DesktopSignIn.request_key_hash) == tokens.hash_token(expired))
        .values(expires_at=utcnow() - timedelta(seconds=1))
    )
    session.commit()
    for used in (finished, expired):
        with pytest.raises(DesktopRefused):
            desktop_signin.pending(session, used)
        with pytest.raises(DesktopRefused):
            desktop_signin.cancel(session, used)


def test_the_consent_token_is_bound_to_the_request_and_the_person() -> None:
    key, other_key = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    token = desktop_signin.consent_token(key, user_id=7, workspace_id=3)
    assert token == desktop_signin.consent_token(key, user_id=7, workspace_id=3)  # nothing stored: derived
    assert key not in token and len(token) == 43
    assert desktop_signin.consent_matches(token, key, user_id=7, workspace_id=3)
    assert not desktop_signin.consent_matches(token, other_key, user_id=7, workspace_id=3)
    assert not desktop_signin.consent_matches(token, key, user_id=8, workspace_id=3)
    assert not desktop_signin.consent_matches(token, key, user_id=7, workspace_id=None)
    assert not desktop_signin.consent_matches(token, key, user_id=7, workspace_id=4)
    for wrong in (None, "", token[:-1], token + "A", token.upper(), " " + token[1:]):
        assert not desktop_signin.consent_matches(wrong, key, user_id=7, workspace_id=3)
    # Under another session secret the same request gets another token.
    from portal_app.settings import get_settings

    settings = get_settings()
    other = settings.model_copy(update={"session_secret": SecretStr("s" * 48)})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(desktop_signin, "get_settings", lambda: other)
        assert not desktop_signin.consent_matches(token, key, user_id=7, workspace_id=3)


def test_the_window_s_previous_session_ends(session: Session) -> None:
    t = make_tenant(session)
    old = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
    )
    session.commit()
    verifier, challenge = pkce()
    grant = desktop_signin.finish(
        session, start(session, challenge), user_id=t.manager.user_id, workspace_id=t.ws.id
    )
    issued = desktop_signin.redeem(session, grant.code, verifier, replace_token=old.token)
    assert sessions.resolve(session, old.token) is None
    assert sessions.resolve(session, issued.token) is not None


def test_a_member_removed_meanwhile_signs_in_without_the_workspace(session: Session) -> None:
    t = make_tenant(session)
    verifier, challenge = pkce()
    grant = desktop_signin.finish(
        session, start(session, challenge), user_id=t.finance.user_id, workspace_id=t.ws.id
    )
    session.execute(sa.delete(Membership).where(col(Membership.id) == t.finance.membership_id))
    session.commit()
    issued = desktop_signin.redeem(session, grant.code, verifier)
    principal = sessions.resolve(session, issued.token)
    assert principal is not None and principal.workspace_id is None and principal.actor is None


def test_starts_are_limited_per_client(session: Session) -> None:
    _, challenge = pkce()
    for _ in range(desktop_signin.START_RATE_LIMIT):
        start(session, challenge, client="203.0.113.9")
    with pytest.raises(RateLimited):
        start(session, challenge, client="203.0.113.9")
    start(session, challenge, client="203.0.113.10")  # another client has its own budget


def test_purge_drops_only_what_can_no_longer_be_used(session: Session) -> None:
    t = make_tenant(session)
    _, challenge = pkce()
    now = utcnow()
    keys = [start(session, challenge) for _ in range(4)]
    live_code = desktop_signin.finish(session, keys[3], user_id=t.owner.user_id, workspace_id=t.ws.id)
    rows = session.exec(select(DesktopSignIn).order_by(col(DesktopSignIn.id))).all()
    # 0: the request expired, never finished. 1: still pending. 2: finished, its code expired.
    # 3: the request expired but its code (issued in the request's last moment) still works.
    rows[0].expires_at = now - timedelta(seconds=1)
    rows[2].expires_at = now - timedelta(seconds=1)
    rows[2].code_expires_at = now - timedelta(seconds=1)
    rows[3].expires_at = now - timedelta(seconds=1)
    for row in rows:
        session.add(row)
    session.commit()
    assert desktop_signin.purge_expired(session, now=now) == 2
    left = session.exec(select(DesktopSignIn.request_key_hash).order_by(col(DesktopSignIn.id))).all()
    assert left == [tokens.hash_token(keys[1]), tokens.hash_token(keys[3])]
    assert live_code.code


def test_the_periodic_session_purge_includes_desktop_sign_ins(committed_engine: sa.Engine) -> None:
    with Session(committed_engine, expire_on_commit=False) as session:
        _, challenge = pkce()
        start(session, challenge)
        row = session.exec(select(DesktopSignIn)).one()
        row.expires_at = utcnow() - timedelta(minutes=1)
        session.add(row)
        session.commit()
        job = next(j for j in periodic.JOBS if j.name == "session-purge")
        assert periodic.run_due(session, now=utcnow(), jobs=(job,)) == {"session-purge": 1}
        assert session.exec(select(DesktopSignIn)).all() == []


def test_concurrent_redemptions_of_one_code_open_one_session(committed_engine: sa.Engine) -> None:
    contenders = 8
    with Session(committed_engine, expire_on_commit=False) as session:
        t = make_tenant(session)
        verifier, challenge = pkce()
        grant = desktop_signin.finish(
            session, start(session, challenge), user_id=t.owner.user_id, workspace_id=t.ws.id
        )
    engine = make_engine(committed_engine.url.render_as_string(hide_password=False), pool_size=contenders)
    barrier = threading.Barrier(contenders)
    outcomes: list[Any] = [None] * contenders

    def run(i: int) -> None:
        with Session(engine, expire_on_commit=False) as s:
            if engine.dialect.name == "postgresql":
                s.connection()  # on SQLite taking it early would hold the write lock at the barrier
            barrier.wait(timeout=60)
            try:
                outcomes[i] = desktop_signin.redeem(s, grant.code, verifier)
            except Exception as exc:  # collected and asserted below
                outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i,), daemon=True) for i in range(contenders)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    engine.dispose()
    assert not any(th.is_alive() for th in threads)
    winners = [o for o in outcomes if isinstance(o, sessions.IssuedSession)]
    assert len(winners) == 1
    assert all(isinstance(o, DesktopRefused) for o in outcomes if o not in winners)
    with Session(committed_engine) as session:
        assert len(session.exec(select(AuthSession)).all()) == 1
