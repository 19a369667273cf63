"""Server-side sessions and sign-in outcomes, below the HTTP layer."""

from __future__ import annotations

from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import AuthSession, OidcLogin, Role, SessionKind, utcnow
from portal_app.services import contacts, identity, members, sessions, workspaces
from portal_app.services.access import ContactActor, StaffActor
from portal_app.services.errors import NotFound, RateLimited
from portal_app.services.identity import VerifiedIdentity
from tests.factories import make_tenant


def who(email: str, *, verified: bool = True, sub: str | None = None) -> VerifiedIdentity:
    return VerifiedIdentity(
        issuer="https://id.test",
        subject=sub or f"sub-{email}",
        email=email,
        email_verified=verified,
        name="N",
    )


def test_only_the_hash_is_stored_and_resolution_rereads_the_role(session):
    t = make_tenant(session)
    issued = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.team_lead.user_id, workspace_id=t.ws.id
    )
    session.commit()
    row = session.exec(select(AuthSession)).one()
    assert issued.token not in row.token_hash and len(issued.token) >= 43  # 256 bits, url-safe
    assert sessions.resolve(session, issued.token).actor.role is Role.TEAM_LEAD
    members.change_role(session, t.owner, t.team_lead.membership_id, role=Role.FINANCE_REVIEWER)
    assert sessions.resolve(session, issued.token).actor.role is Role.FINANCE_REVIEWER
    members.remove_member(session, t.owner, t.team_lead.membership_id)
    principal = sessions.resolve(session, issued.token)
    assert principal is not None and principal.actor is None


def test_idle_and_absolute_expiry_and_sign_out(session):
    t = make_tenant(session)
    a = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
    )
    b = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
    )
    c = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
    )
    session.commit()
    rows = {r.token_hash: r for r in session.exec(select(AuthSession)).all()}
    from portal_app.services.tokens import hash_token

    rows[hash_token(a.token)].last_seen_at = utcnow() - timedelta(days=2)
    rows[hash_token(b.token)].expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    assert sessions.resolve(session, a.token) is None
    assert sessions.resolve(session, b.token) is None
    assert isinstance(sessions.resolve(session, c.token).actor, StaffActor)
    sessions.end_session(session, c.token)
    assert sessions.resolve(session, c.token) is None
    assert session.scalar(select(sa.func.count()).select_from(AuthSession)) == 0
    for junk in (None, "", "x" * 500, c.token[:-1]):
        assert sessions.resolve(session, junk) is None


def test_rotation_replaces_the_old_session(session):
    t = make_tenant(session)
    old = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
    )
    new = sessions.create_session(
        session,
        kind=SessionKind.STAFF,
        user_id=t.owner.user_id,
        workspace_id=t.ws.id,
        replace_token=old.token,
    )
    session.commit()
    assert sessions.resolve(session, old.token) is None
    assert sessions.resolve(session, new.token) is not None


def test_switch_workspace_only_into_own_memberships(session):
    a, b = make_tenant(session), make_tenant(session)
    issued = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=a.owner.user_id, workspace_id=a.ws.id
    )
    session.commit()
    with pytest.raises(NotFound):
        sessions.switch_workspace(session, issued.token, b.ws.id)
    from models import User
    from tests.factories import add_member

    add_member(session, b.ws, Role.TEAM_LEAD, user=session.get(User, a.owner.user_id))
    session.commit()
    actor = sessions.switch_workspace(session, issued.token, b.ws.id)
    assert actor.workspace_id == b.ws.id and actor.role is Role.TEAM_LEAD


def test_contact_session_is_scoped_and_closes_with_module_and_deactivation(session):
    t = make_tenant(session)
    other = make_tenant(session)
    from models import Contact

    contact = session.get(Contact, t.contact.contact_id)
    issued = identity.start_contact_session(session, contact, t.account.id, via="test")
    session.commit()
    actor = sessions.resolve(session, issued.token).actor
    assert isinstance(actor, ContactActor) and actor.account_id == t.account.id
    with pytest.raises(NotFound):  # not linked to the other account
        sessions.switch_account(session, issued.token, t.other_account.id)
    with pytest.raises(NotFound):
        sessions.switch_account(session, issued.token, other.account.id)
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    assert sessions.resolve(session, issued.token).actor is None
    workspaces.set_portal_enabled(session, t.owner, enabled=True)
    assert sessions.resolve(session, issued.token).actor is not None
    contacts.deactivate_contact(session, t.owner, t.contact.contact_id)
    assert sessions.resolve(session, issued.token) is None  # its sessions were deleted


def test_new_staff_user_goes_to_onboarding_and_returning_user_to_workspace(session):
    issued, has_ws = identity.sign_in_staff(session, who("founder@example.test"))
    assert not has_ws
    principal = sessions.resolve(session, issued.token)
    assert principal.actor is None and principal.user_id is not None
    ws = identity.complete_onboarding(
        session, issued.token, name="Founder Co", slug="founder-co", portal_enabled=True
    )
    actor = sessions.resolve(session, issued.token).actor
    assert isinstance(actor, StaffActor) and actor.workspace_id == ws.id and actor.role is Role.OWNER
    again, has_ws = identity.sign_in_staff(session, who("founder@example.test"), replace_token=issued.token)
    assert has_ws and sessions.resolve(session, issued.token) is None
    assert sessions.resolve(session, again.token).actor.workspace_id == ws.id


def test_users_are_identified_by_issuer_and_subject_not_email(session):
    first, _ = identity.sign_in_staff(session, who("same@example.test", sub="one"))
    second, _ = identity.sign_in_staff(session, who("same@example.test", sub="two"))
    assert sessions.resolve(session, first.token).user_id != sessions.resolve(session, second.token).user_id


def test_contact_sign_in_needs_a_verified_matching_email(session):
    t = make_tenant(session)
    from models import Contact

    email = session.get(Contact, t.contact.contact_id).email
    with pytest.raises(NotFound):
        identity.sign_in_contact(session, who(email, verified=False))
    with pytest.raises(NotFound):
        identity.sign_in_contact(session, who("stranger@example.test"))
    issued = identity.sign_in_contact(session, who(email.upper()))
    assert sessions.resolve(session, issued.token).actor.contact_id == t.contact.contact_id


def test_operator_sign_in_only_for_listed_emails(session, monkeypatch):
    from portal_app.settings import get_settings

    monkeypatch.setattr(get_settings(), "operator_emails", ["ops@platform.test"])
    with pytest.raises(NotFound):
        identity.sign_in_operator(session, who("someone@example.test"))
    with pytest.raises(NotFound):
        identity.sign_in_operator(session, who("ops@platform.test", verified=False))
    issued = identity.sign_in_operator(session, who("ops@platform.test"))
    assert sessions.resolve(session, issued.token).actor.email == "ops@platform.test"


def test_login_state_is_single_use_and_expires(session):
    pending = identity.start_login(session, purpose=SessionKind.STAFF, client="1.2.3.4")
    row = identity.consume_login(session, pending.state)
    assert row.state_hash != pending.state and row.purpose is SessionKind.STAFF
    # Nonce and verifier are derived from the state under the session secret, stored nowhere.
    assert identity.login_secrets(pending.state) == (pending.nonce, pending.code_verifier)
    assert pending.nonce != pending.code_verifier and 43 <= len(pending.code_verifier) <= 128
    stored = " ".join(str(v) for v in row.model_dump().values())
    assert pending.nonce not in stored and pending.code_verifier not in stored
    with pytest.raises(NotFound):
        identity.consume_login(session, pending.state)
    late = identity.start_login(session, purpose=SessionKind.STAFF, client="1.2.3.4")
    stored = session.exec(select(OidcLogin).where(OidcLogin.used_at.is_(None))).one()
    stored.expires_at = utcnow() - timedelta(seconds=1)
    session.commit()
    with pytest.raises(NotFound):
        identity.consume_login(session, late.state)
    assert all(pending.state not in r.state_hash for r in session.exec(select(OidcLogin)).all())


def test_sign_in_starts_are_rate_limited_per_client(session):
    for _ in range(identity.LOGIN_RATE_LIMIT):
        identity.start_login(session, purpose=SessionKind.STAFF, client="9.9.9.9")
    with pytest.raises(RateLimited):
        identity.start_login(session, purpose=SessionKind.STAFF, client="9.9.9.9")
    identity.start_login(session, purpose=SessionKind.STAFF, client="8.8.8.8")


def test_safe_next_refuses_open_redirects():
    assert identity.safe_next("/app/members", "/app") == "/app/members"
    for bad in ("//evil.example", "https://evil.example", "/\\evil", None, "", "x"):
        assert identity.safe_next(bad, "/app") == "/app"
