"""Contact portal access: invitations and magic links (hashed, expiring, single-use, revocable, rate-limited)."""

from __future__ import annotations

import re
import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select

from models import (
    AuditEvent,
    Contact,
    ContactAccess,
    ContactInvitation,
    ContactStatus,
    MagicLink,
    OutboxMail,
    Role,
    SessionKind,
    Workspace,
    utcnow,
)
from portal_app.services import (
    access,
    audit,
    contacts,
    portal_access,
    ratelimit,
    sessions,
    tokens,
    workspaces,
)
from portal_app.services.access import ContactActor
from portal_app.services.errors import Conflict, Forbidden, NotFound, RateLimited
from tests.factories import add_member, make_account, make_contact, make_tenant, make_workspace, operator

MAGIC_RE = re.compile(r"/auth/magic/([A-Za-z0-9_-]+)")
INVITE_RE = re.compile(r"/auth/contact-invite/([A-Za-z0-9_-]+)")


@pytest.fixture(autouse=True)
def _fresh_client_limiter():
    portal_access.client_limiter.clear()
    yield
    portal_access.client_limiter.clear()


def contact_row(session: Session, actor: ContactActor) -> Contact:
    row = session.get(Contact, actor.contact_id)
    assert row is not None
    return row


def mails_to(session: Session, email: str) -> list[OutboxMail]:
    return list(session.exec(select(OutboxMail).where(OutboxMail.to_email == email).order_by(OutboxMail.id)))


def refused(fn, *args, **kwargs) -> str:
    with pytest.raises(NotFound) as info:
        fn(*args, **kwargs)
    return info.value.message


# ---------------------------------------------------------------------------------------------------------------
# Invitations


def test_invite_contact_requires_the_portal_module(session):
    t = make_tenant(session)
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    with pytest.raises(Conflict) as info:
        portal_access.invite_contact(session, t.manager, t.contact.contact_id, t.account.id)
    assert "Customer Portal" in info.value.message
    assert session.exec(select(ContactInvitation)).all() == []
    workspaces.set_portal_enabled(session, t.owner, enabled=True)
    issued = portal_access.invite_contact(session, t.manager, t.contact.contact_id, t.account.id)
    assert issued.invitation.contact_id == t.contact.contact_id
    assert issued.invitation.expires_at - issued.invitation.created_at == timedelta(days=7)


def test_invite_contact_is_scoped_and_permissioned(session):
    t = make_tenant(session)
    b = make_tenant(session)
    # contact not linked to this account, other workspace's contact, contact and operator actors
    with pytest.raises(NotFound):
        portal_access.invite_contact(session, t.owner, t.other_contact.contact_id, t.account.id)
    with pytest.raises(NotFound):
        portal_access.invite_contact(session, t.owner, b.contact.contact_id, b.account.id)
    with pytest.raises(NotFound):
        portal_access.invite_contact(session, t.contact, t.contact.contact_id, t.account.id)
    with pytest.raises(NotFound):
        portal_access.invite_contact(session, operator(), t.contact.contact_id, t.account.id)
    with pytest.raises(Forbidden):
        portal_access.invite_contact(session, t.finance, t.contact.contact_id, t.account.id)
    portal_access.invite_contact(session, t.team_lead, t.contact.contact_id, t.account.id)


def test_invitation_token_is_hashed_mailed_and_audited(session):
    t = make_tenant(session)
    issued = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    row = session.get(ContactInvitation, issued.invitation.id)
    assert row.token_hash == tokens.hash_token(issued.token) != issued.token
    assert len(issued.token) >= 43  # 256 bits, url-safe
    (mail,) = mails_to(session, contact_row(session, t.contact).email)
    assert INVITE_RE.search(mail.body_text).group(1) == issued.token
    assert mail.body_text.count("http://localhost:3000/auth/contact-invite/") == 1
    event = session.exec(select(AuditEvent).where(AuditEvent.action == "contact.invited")).one()
    assert issued.token not in event.data


def test_invitation_redeems_once_into_the_invited_account(session):
    t = make_tenant(session)
    # The contact is also linked to the other account; the invitation names ``other_account``.
    make_contact(session, t.other_account, contact=contact_row(session, t.contact))
    session.commit()
    issued = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.other_account.id)
    opened = portal_access.redeem_contact_invitation(session, issued.token)
    principal = sessions.resolve(session, opened.token)
    assert principal.kind is SessionKind.CONTACT
    assert isinstance(principal.actor, ContactActor)
    assert principal.actor.account_id == t.other_account.id
    first = refused(portal_access.redeem_contact_invitation, session, issued.token)
    assert first == portal_access.INVALID_LINK


def test_invitation_activates_an_invited_contact(session):
    ws = make_workspace(session)
    account = make_account(session, ws)
    owner = add_member(session, ws, Role.OWNER)
    pending = Contact(workspace_id=ws.id, email="new@customer.test", name="New", status=ContactStatus.INVITED)
    session.add(pending)
    session.flush()
    session.add(
        ContactAccess(workspace_id=ws.id, contact_id=pending.id, account_id=account.id, can_billing=True)
    )
    session.commit()
    issued = portal_access.invite_contact(session, owner, pending.id, account.id)
    opened = portal_access.redeem_contact_invitation(session, issued.token)
    assert session.get(Contact, pending.id).status is ContactStatus.ACTIVE
    assert isinstance(sessions.resolve(session, opened.token).actor, ContactActor)


def test_bad_invitation_tokens_get_one_generic_answer(session):
    t = make_tenant(session)
    expired = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    row = session.get(ContactInvitation, expired.invitation.id)
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    session.commit()
    revoked = portal_access.invite_contact(session, t.owner, t.billing_contact.contact_id, t.account.id)
    # A new invitation for the same contact and account revokes the earlier one.
    current = portal_access.invite_contact(session, t.owner, t.billing_contact.contact_id, t.account.id)
    assert session.get(ContactInvitation, revoked.invitation.id).revoked_at is not None
    answers = {
        "expired": refused(portal_access.redeem_contact_invitation, session, expired.token),
        "revoked": refused(portal_access.redeem_contact_invitation, session, revoked.token),
        "truncated": refused(portal_access.redeem_contact_invitation, session, current.token[:-1]),
        "unknown": refused(portal_access.redeem_contact_invitation, session, tokens.new_token()),
        "empty": refused(portal_access.redeem_contact_invitation, session, ""),
        "huge": refused(portal_access.redeem_contact_invitation, session, "x" * 5000),
    }
    assert set(answers.values()) == {portal_access.INVALID_LINK}
    # Refusals of a real (but dead) token are audited in its workspace, without the token.
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "auth.contact_sign_in_refused")).all()
    assert {e.data for e in events} == {'{"reason":"expired"}', '{"reason":"revoked"}'}
    # The current one still works after all that.
    assert portal_access.redeem_contact_invitation(session, current.token).token


def test_deactivated_contact_is_refused_and_signed_out(session):
    t = make_tenant(session)
    issued = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    portal_access.request_magic_link(session, contact_row(session, t.contact).email)
    link_token = MAGIC_RE.search(
        mails_to(session, contact_row(session, t.contact).email)[-1].body_text
    ).group(1)
    spare = portal_access.invite_contact(session, t.owner, t.billing_contact.contact_id, t.account.id)
    opened = portal_access.redeem_contact_invitation(session, spare.token)
    other_session = portal_access.redeem_magic_link(session, link_token)
    assert sessions.resolve(session, other_session.token).actor is not None

    contacts.deactivate_contact(session, t.owner, t.contact.contact_id)
    assert sessions.resolve(session, other_session.token) is None
    assert (
        refused(portal_access.redeem_contact_invitation, session, issued.token) == portal_access.INVALID_LINK
    )
    assert sessions.resolve(session, opened.token).actor is not None  # another contact is unaffected
    with pytest.raises(Conflict):
        portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)


def test_invitations_are_rate_limited_per_contact_and_per_workspace(session, monkeypatch):
    t = make_tenant(session)
    for _ in range(portal_access.INVITES_PER_CONTACT):
        portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    with pytest.raises(RateLimited):
        portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    monkeypatch.setattr(portal_access, "INVITES_PER_WORKSPACE", portal_access.INVITES_PER_CONTACT + 1)
    portal_access.invite_contact(session, t.owner, t.billing_contact.contact_id, t.account.id)
    with pytest.raises(RateLimited):
        portal_access.invite_contact(session, t.owner, t.other_contact.contact_id, t.other_account.id)
    # Another workspace is not affected.
    b = make_tenant(session)
    portal_access.invite_contact(session, b.owner, b.contact.contact_id, b.account.id)


# ---------------------------------------------------------------------------------------------------------------
# Magic links


def test_unknown_email_gets_the_same_answer_and_no_mail(session):
    t = make_tenant(session)
    before = session.scalar(select(sa.func.count()).select_from(OutboxMail))
    assert portal_access.request_magic_link(session, "nobody@customer.test") is None
    assert portal_access.request_magic_link(session, "not an email") is None
    assert portal_access.request_magic_link(session, "") is None
    assert session.scalar(select(sa.func.count()).select_from(OutboxMail)) == before
    assert session.exec(select(MagicLink)).all() == []
    # A deactivated contact, and a contact whose workspace closed the portal, are treated as unknown.
    contacts.deactivate_contact(session, t.owner, t.contact.contact_id)
    portal_access.request_magic_link(session, contact_row(session, t.contact).email)
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    portal_access.request_magic_link(session, contact_row(session, t.billing_contact).email)
    assert session.scalar(select(sa.func.count()).select_from(OutboxMail)) == before


def test_known_email_gets_one_working_link(session):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    assert portal_access.request_magic_link(session, "  " + email.upper() + " ", client="10.0.0.1") is None
    (mail,) = mails_to(session, email)
    token = MAGIC_RE.search(mail.body_text).group(1)
    link = session.exec(select(MagicLink)).one()
    assert link.token_hash == tokens.hash_token(token)
    assert link.expires_at - link.created_at == portal_access.MAGIC_LINK_TTL == timedelta(minutes=15)
    opened = portal_access.redeem_magic_link(session, token)
    principal = sessions.resolve(session, opened.token)
    assert isinstance(principal.actor, ContactActor)
    assert principal.actor.contact_id == t.contact.contact_id
    assert principal.actor.account_id == t.account.id


def test_magic_link_rotates_the_previous_session(session):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    portal_access.request_magic_link(session, email)
    portal_access.request_magic_link(session, email)
    first, second = (MAGIC_RE.search(m.body_text).group(1) for m in mails_to(session, email))
    old = portal_access.redeem_magic_link(session, first)
    new = portal_access.redeem_magic_link(session, second, replace_token=old.token)
    assert sessions.resolve(session, old.token) is None
    assert sessions.resolve(session, new.token).actor is not None


def test_magic_links_are_rate_limited_per_email(session):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    for i in range(portal_access.MAGIC_LINKS_PER_EMAIL + 3):
        assert portal_access.request_magic_link(session, email, client=f"10.0.0.{i}") is None
    assert len(mails_to(session, email)) == portal_access.MAGIC_LINKS_PER_EMAIL
    # Another contact's address is still served.
    other = contact_row(session, t.billing_contact).email
    portal_access.request_magic_link(session, other)
    assert len(mails_to(session, other)) == 1


def test_magic_links_are_rate_limited_per_client(session, monkeypatch):
    t = make_tenant(session)
    limiter = portal_access.ClientRateLimiter(limit=2, window_seconds=3600)
    monkeypatch.setattr(portal_access, "client_limiter", limiter)
    emails = [contact_row(session, a).email for a in (t.contact, t.billing_contact, t.other_contact)]
    for email in emails:
        portal_access.request_magic_link(session, email, client="203.0.113.9")
    assert [len(mails_to(session, e)) for e in emails] == [1, 1, 0]
    portal_access.request_magic_link(session, emails[2], client="203.0.113.10")
    assert len(mails_to(session, emails[2])) == 1


def test_one_email_in_two_workspaces_gets_one_link_per_workspace(session):
    t = make_tenant(session)
    b = make_tenant(session)
    email = contact_row(session, t.contact).email
    twin = contact_row(session, b.contact)
    twin.email = email
    session.add(twin)
    session.commit()
    portal_access.request_magic_link(session, email)
    mails = mails_to(session, email)
    assert len(mails) == 2
    assert {m.workspace_id for m in mails} == {t.ws.id, b.ws.id}
    opened = [portal_access.redeem_magic_link(session, MAGIC_RE.search(m.body_text).group(1)) for m in mails]
    actors = {sessions.resolve(session, o.token).actor.workspace_id for o in opened}
    assert actors == {t.ws.id, b.ws.id}


def test_bad_magic_links_get_one_generic_answer(session):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    for _ in range(4):
        portal_access.request_magic_link(session, email)
    used, expired, revoked, fresh = (MAGIC_RE.search(m.body_text).group(1) for m in mails_to(session, email))
    portal_access.redeem_magic_link(session, used)
    row = session.exec(select(MagicLink).where(MagicLink.token_hash == tokens.hash_token(expired))).one()
    row.expires_at = utcnow() - timedelta(seconds=1)
    session.add(row)
    row = session.exec(select(MagicLink).where(MagicLink.token_hash == tokens.hash_token(revoked))).one()
    row.revoked_at = utcnow()
    session.add(row)
    session.commit()
    answers = {
        "reused": refused(portal_access.redeem_magic_link, session, used),
        "expired": refused(portal_access.redeem_magic_link, session, expired),
        "revoked": refused(portal_access.redeem_magic_link, session, revoked),
        "truncated": refused(portal_access.redeem_magic_link, session, fresh[:20]),
        "unknown": refused(portal_access.redeem_magic_link, session, tokens.new_token()),
        "none": refused(portal_access.redeem_magic_link, session, None),
        # An invitation token is not a magic link, nor the other way round.
        "cross": refused(portal_access.redeem_contact_invitation, session, fresh),
    }
    assert set(answers.values()) == {portal_access.INVALID_LINK}
    assert portal_access.redeem_magic_link(session, fresh).token


def test_magic_link_refused_once_portal_closes_or_workspace_suspended(session):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    portal_access.request_magic_link(session, email)
    portal_access.request_magic_link(session, email)
    first, second = (MAGIC_RE.search(m.body_text).group(1) for m in mails_to(session, email))
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    assert refused(portal_access.redeem_magic_link, session, first) == portal_access.INVALID_LINK
    workspaces.set_portal_enabled(session, t.owner, enabled=True)
    workspaces.set_workspace_status(session, operator(), t.ws.id, suspended=True, reason="billing dispute")
    assert refused(portal_access.redeem_magic_link, session, second) == portal_access.INVALID_LINK


# ---------------------------------------------------------------------------------------------------------------
# Sessions: accounts, switching, the module switch


def test_contact_with_two_accounts_lists_and_switches_only_its_own(session):
    t = make_tenant(session)
    b = make_tenant(session)
    make_contact(session, t.other_account, contact=contact_row(session, t.contact), billing=False)
    session.commit()
    portal_access.request_magic_link(session, contact_row(session, t.contact).email)
    token = MAGIC_RE.search(mails_to(session, contact_row(session, t.contact).email)[0].body_text).group(1)
    opened = portal_access.redeem_magic_link(session, token)
    actor = sessions.resolve(session, opened.token).actor
    assert {a.id for a in portal_access.list_contact_accounts(session, actor)} == {
        t.account.id,
        t.other_account.id,
    }
    switched = sessions.switch_account(session, opened.token, t.other_account.id)
    assert switched.account_id == t.other_account.id
    assert sessions.resolve(session, opened.token).actor.account_id == t.other_account.id
    # Another contact's only account, and another workspace's account: refused, session unchanged.
    only_billing = contact_row(session, t.billing_contact)
    assert only_billing.id != t.contact.contact_id
    for foreign in (b.account.id, make_account(session, t.ws).id):
        with pytest.raises(NotFound):
            sessions.switch_account(session, opened.token, foreign)
    assert sessions.resolve(session, opened.token).actor.account_id == t.other_account.id
    # Only contacts have an account picker.
    with pytest.raises(NotFound):
        portal_access.list_contact_accounts(session, t.owner)
    assert [a.id for a in portal_access.list_contact_accounts(session, b.contact)] == [b.account.id]


def test_turning_the_module_off_closes_open_contact_sessions(session):
    t = make_tenant(session)
    issued = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    opened = portal_access.redeem_contact_invitation(session, issued.token)
    assert sessions.resolve(session, opened.token).actor is not None
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    principal = sessions.resolve(session, opened.token)
    assert principal is not None and principal.actor is None
    workspaces.set_portal_enabled(session, t.owner, enabled=True)
    assert sessions.resolve(session, opened.token).actor is not None


# ---------------------------------------------------------------------------------------------------------------
# No raw token at rest


def _holds_text(column_type: sa.types.TypeEngine) -> bool:
    # sqlmodel's AutoString is a TypeDecorator over String; UTCDateTime one over DateTime.
    if isinstance(column_type, sa.types.TypeDecorator):
        column_type = column_type.impl_instance
    return isinstance(column_type, sa.String)


def _text_values(session: Session) -> list[tuple[str, str, str]]:
    found = []
    for table in SQLModel.metadata.sorted_tables:
        text_columns = [c for c in table.columns if _holds_text(c.type)]
        if not text_columns:
            continue
        for row in session.execute(sa.select(*text_columns)).all():
            for column, value in zip(text_columns, row, strict=True):
                if isinstance(value, str) and value:
                    found.append((table.name, column.name, value))
    return found


def test_no_raw_token_anywhere_in_the_database(session):
    t = make_tenant(session)
    invite = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    portal_access.request_magic_link(session, contact_row(session, t.billing_contact).email)
    magic = MAGIC_RE.search(
        mails_to(session, contact_row(session, t.billing_contact).email)[0].body_text
    ).group(1)
    opened = [
        portal_access.redeem_contact_invitation(session, invite.token),
        portal_access.redeem_magic_link(session, magic),
    ]
    secrets = [invite.token, magic, *(o.token for o in opened)]
    values = _text_values(session)
    scanned = {(table, column) for table, column, _ in values}
    assert {("outbox_mail", "body_text"), ("audit_event", "data"), ("auth_session", "token_hash")} <= scanned
    for table, column, value in values:
        for secret in secrets:
            if (table, column) == ("outbox_mail", "body_text"):
                continue  # the mail itself: the only copy, until the mailer sends it (then it is redacted)
            assert secret not in value, f"raw token in {table}.{column}"
    # Each link token sits in exactly one mail body; session tokens are nowhere at all.
    bodies = [v for table, column, v in values if (table, column) == ("outbox_mail", "body_text")]
    assert sum(invite.token in b for b in bodies) == 1
    assert sum(magic in b for b in bodies) == 1
    assert not any(o.token in b for o in opened for b in bodies)


# ---------------------------------------------------------------------------------------------------------------
# Replays: per token (capped audit, no lock once known dead), per client (in memory)


@pytest.fixture()
def fresh_redemptions(monkeypatch):
    limiter = ratelimit.ClientRateLimiter(3, 600, name="test-redeem")
    monkeypatch.setattr(ratelimit, "redemptions", limiter)
    return limiter


def lock_counter(monkeypatch) -> list[int]:
    """Counts workspace locks taken while redeeming (portal_access, the refusal counter and audit appends)."""
    calls: list[int] = []
    real = access.lock_workspace

    def spy(session, workspace_id):
        calls.append(workspace_id)
        return real(session, workspace_id)

    for module in (portal_access, ratelimit, audit):
        monkeypatch.setattr(module, "lock_workspace", spy)
    return calls


def refusal_events(session: Session, target_type: str, target_id: int) -> list[AuditEvent]:
    return list(
        session.exec(
            select(AuditEvent).where(
                AuditEvent.action == "auth.contact_sign_in_refused",
                AuditEvent.target_type == target_type,
                AuditEvent.target_id == target_id,
            )
        )
    )


@pytest.mark.parametrize("kind", ["magic_link", "contact_invitation"])
def test_replayed_dead_token_is_audited_at_most_three_times_then_takes_no_lock(session, monkeypatch, kind):
    t = make_tenant(session)
    if kind == "magic_link":
        portal_access.request_magic_link(session, contact_row(session, t.contact).email)
        token = MAGIC_RE.search(mails_to(session, contact_row(session, t.contact).email)[0].body_text).group(
            1
        )
        redeem, model = portal_access.redeem_magic_link, MagicLink
    else:
        token = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id).token
        redeem, model = portal_access.redeem_contact_invitation, ContactInvitation
    redeem(session, token)
    row = session.exec(select(model).where(model.token_hash == tokens.hash_token(token))).one()
    locks = lock_counter(monkeypatch)
    for _ in range(ratelimit.TOKEN_REFUSALS_AUDITED):
        assert refused(redeem, session, token) == portal_access.INVALID_LINK
    assert [e.data for e in refusal_events(session, kind, row.id)] == ['{"reason":"reused"}'] * 3
    locks.clear()
    seq = session.exec(select(Workspace.audit_seq).where(Workspace.id == t.ws.id)).one()
    for _ in range(25):
        assert refused(redeem, session, token) == portal_access.INVALID_LINK
    assert locks == []  # known dead: no workspace lock, no audit row, no write
    assert len(refusal_events(session, kind, row.id)) == 3
    assert session.exec(select(Workspace.audit_seq).where(Workspace.id == t.ws.id)).one() == seq
    session.expire_all()
    assert session.get(model, row.id).refusals == ratelimit.TOKEN_REFUSALS_AUDITED


def test_live_link_refused_too_often_is_given_up(session):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    portal_access.request_magic_link(session, email)
    token = MAGIC_RE.search(mails_to(session, email)[0].body_text).group(1)
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    for _ in range(ratelimit.TOKEN_REFUSALS_MAX):
        assert refused(portal_access.redeem_magic_link, session, token) == portal_access.INVALID_LINK
    row = session.exec(select(MagicLink).where(MagicLink.token_hash == tokens.hash_token(token))).one()
    assert [e.data for e in refusal_events(session, "magic_link", row.id)] == [
        '{"reason":"portal_closed"}'
    ] * 3
    workspaces.set_portal_enabled(session, t.owner, enabled=True)
    # Still within its 15 minutes and never used, but past its allowance of refused attempts.
    assert refused(portal_access.redeem_magic_link, session, token) == portal_access.INVALID_LINK
    session.expire_all()
    assert session.get(MagicLink, row.id).used_at is None


def test_redemptions_are_rate_limited_per_client(session, fresh_redemptions):
    t = make_tenant(session)
    email = contact_row(session, t.contact).email
    portal_access.request_magic_link(session, email)
    token = MAGIC_RE.search(mails_to(session, email)[0].body_text).group(1)
    invite = portal_access.invite_contact(session, t.owner, t.billing_contact.contact_id, t.account.id)
    sweeper = "203.0.113.50"
    for _ in range(3):
        refused(portal_access.redeem_magic_link, session, tokens.new_token(), client=sweeper)
    # The budget is shared by both kinds of link, and a valid token does not get through once it is spent.
    for redeem, value in (
        (portal_access.redeem_magic_link, token),
        (portal_access.redeem_contact_invitation, invite.token),
    ):
        with pytest.raises(RateLimited) as info:
            redeem(session, value, client=sweeper)
        assert info.value.message == ratelimit.REDEEM_LIMITED
    session.expire_all()
    assert session.exec(select(MagicLink)).one().used_at is None
    # Another client redeems both.
    assert portal_access.redeem_magic_link(session, token, client="198.51.100.2").token
    assert portal_access.redeem_contact_invitation(session, invite.token, client="198.51.100.2").token


def test_link_mails_record_when_their_links_expire(session):
    t = make_tenant(session)
    invite = portal_access.invite_contact(session, t.owner, t.contact.contact_id, t.account.id)
    portal_access.request_magic_link(session, contact_row(session, t.billing_contact).email)
    (invite_mail,) = mails_to(session, contact_row(session, t.contact).email)
    (magic_mail,) = mails_to(session, contact_row(session, t.billing_contact).email)
    assert invite_mail.links_expire_at == invite.invitation.expires_at
    link = session.exec(select(MagicLink)).one()
    assert magic_mail.links_expire_at == link.expires_at == link.created_at + portal_access.MAGIC_LINK_TTL


def test_concurrent_replays_of_a_dead_link_write_at_most_three_audit_events(committed_engine):
    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        email = contact_row(s, t.contact).email
        portal_access.request_magic_link(s, email)
        token = MAGIC_RE.search(mails_to(s, email)[0].body_text).group(1)
        portal_access.redeem_magic_link(s, token)
        workspace_id = t.ws.id
    barrier = threading.Barrier(8)
    answers: list[str] = []

    def replay() -> None:
        with Session(committed_engine, expire_on_commit=False) as s:
            barrier.wait()
            answers.append(refused(portal_access.redeem_magic_link, s, token))

    threads = [threading.Thread(target=replay) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert answers == [portal_access.INVALID_LINK] * 8
    with Session(committed_engine) as s:
        row = s.exec(select(MagicLink)).one()
        assert row.refusals == ratelimit.TOKEN_REFUSALS_AUDITED
        assert len(refusal_events(s, "magic_link", row.id)) == ratelimit.TOKEN_REFUSALS_AUDITED
        assert audit.verify_chain(s, workspace_id).ok
