"""Workspaces, members and invitations: seats, role ceilings, last owner, concurrency, token handling."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import (
    AuditEvent,
    ContactInvitation,
    InvitationStatus,
    MemberInvitation,
    Membership,
    OutboxMail,
    Role,
    User,
    Workspace,
    utcnow,
)
from portal_app.services import access, audit, members, portal_access, ratelimit, workspaces
from portal_app.services.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from tests.factories import (
    add_member,
    make_account,
    make_contact,
    make_tenant,
    make_user,
    make_workspace,
    operator,
)


def test_create_workspace_makes_owner_and_audits(session):
    user = make_user(session)
    session.commit()
    ws = workspaces.create_workspace(session, user.id, name="Acme Ltd", slug="acme", portal_enabled=True)
    actor = access.resolve_staff(session, user_id=user.id, workspace_id=ws.id)
    assert actor.role is Role.OWNER
    assert workspaces.list_user_workspaces(session, user.id)[0][0].slug == "acme"
    with pytest.raises(Conflict):
        workspaces.create_workspace(session, user.id, name="Other", slug="acme")
    for bad in ("A", "bad slug", "-x-", "app", "x" * 70):
        with pytest.raises(ValidationFailed):
            workspaces.create_workspace(session, user.id, name="Acme", slug=bad)


def test_portal_switch_closes_portal_at_once(session):
    t = make_tenant(session)
    workspaces.set_portal_enabled(session, t.owner, enabled=False)
    with pytest.raises(NotFound):
        access.resolve_contact(session, contact_id=t.contact.contact_id, account_id=t.account.id)
    with pytest.raises(Forbidden):
        workspaces.set_portal_enabled(session, t.team_lead, enabled=True)
    workspaces.set_portal_enabled(session, t.manager, enabled=True)
    assert access.resolve_contact(session, contact_id=t.contact.contact_id, account_id=t.account.id)


def test_operator_suspension_blocks_staff_and_contacts(session):
    t = make_tenant(session)
    with pytest.raises(ValidationFailed):
        workspaces.set_workspace_status(session, operator(), t.ws.id, suspended=True, reason="")
    with pytest.raises(NotFound):
        workspaces.set_workspace_status(session, t.owner, t.ws.id, suspended=True, reason="abuse report")
    workspaces.set_workspace_status(
        session, operator(), t.ws.id, suspended=True, reason="Unpaid platform bill"
    )
    with pytest.raises(NotFound):
        access.resolve_staff(session, user_id=t.owner.user_id, workspace_id=t.ws.id)
    with pytest.raises(NotFound):
        access.resolve_contact(session, contact_id=t.contact.contact_id, account_id=t.account.id)
    workspaces.set_workspace_status(session, operator(), t.ws.id, suspended=False, reason="Bill settled")
    assert access.resolve_staff(session, user_id=t.owner.user_id, workspace_id=t.ws.id)


def test_invite_and_accept_with_matching_verified_email(session):
    t = make_tenant(session)
    issued = members.invite_member(session, t.manager, email="New.Person@Example.test", role=Role.TEAM_LEAD)
    assert issued.invitation.email == "new.person@example.test"
    stored = session.get(MemberInvitation, issued.invitation.id)
    assert stored.token_hash != issued.token and issued.token not in stored.token_hash
    mail = session.exec(select(OutboxMail).where(OutboxMail.to_email == "new.person@example.test")).one()
    assert issued.token in mail.body_text  # the only place the raw token goes
    newbie = make_user(session, email="new.person@example.test")
    member = members.accept_invitation(session, user_id=newbie.id, token=issued.token)
    assert member.role is Role.TEAM_LEAD
    with pytest.raises(NotFound):  # single use
        members.accept_invitation(session, user_id=newbie.id, token=issued.token)


@pytest.mark.parametrize("case", ["wrong-email", "unverified", "expired", "revoked", "truncated", "unknown"])
def test_bad_invitation_redemptions_are_refused_alike(session, case):
    t = make_tenant(session)
    issued = members.invite_member(session, t.owner, email="invitee@example.test", role=Role.FINANCE_REVIEWER)
    user = make_user(session, email="other@example.test" if case == "wrong-email" else "invitee@example.test")
    token = issued.token
    if case == "unverified":
        user.email_verified = False
        session.add(user)
    elif case == "expired":
        inv = session.get(MemberInvitation, issued.invitation.id)
        inv.expires_at = utcnow() - timedelta(seconds=1)
        session.add(inv)
    elif case == "revoked":
        members.revoke_invitation(session, t.owner, issued.invitation.id)
    elif case == "truncated":
        token = token[:-4]
    elif case == "unknown":
        token = "x" * 43
    session.commit()
    with pytest.raises(NotFound) as err:
        members.accept_invitation(session, user_id=user.id, token=token)
    assert err.value.message == members.INVALID_INVITE
    assert session.exec(select(Membership).where(Membership.user_id == user.id)).first() is None


def test_role_ceiling_and_permissions(session):
    t = make_tenant(session)
    with pytest.raises(Forbidden):  # team lead cannot manage members at all
        members.invite_member(session, t.team_lead, email="a@example.test", role=Role.OWNER)
    with pytest.raises(Forbidden):  # reviewer edits members
        members.change_role(session, t.finance, t.team_lead.membership_id, role=Role.MANAGER)
    with pytest.raises(Forbidden):  # manager cannot grant owner
        members.invite_member(session, t.manager, email="a@example.test", role=Role.OWNER)
    with pytest.raises(Forbidden):
        members.change_role(session, t.manager, t.team_lead.membership_id, role=Role.OWNER)
    with pytest.raises(Forbidden):  # manager cannot touch the owner
        members.remove_member(session, t.manager, t.owner.membership_id)
    members.change_role(session, t.manager, t.team_lead.membership_id, role=Role.FINANCE_REVIEWER)
    # takes effect on the next resolution
    assert (
        access.resolve_staff(session, user_id=t.team_lead.user_id, workspace_id=t.ws.id).role
        is Role.FINANCE_REVIEWER
    )


def test_last_owner_is_protected(session):
    t = make_tenant(session)
    with pytest.raises(Conflict):
        members.remove_member(session, t.owner, t.owner.membership_id)
    with pytest.raises(Conflict):
        members.change_role(session, t.owner, t.owner.membership_id, role=Role.MANAGER)
    members.change_role(session, t.owner, t.manager.membership_id, role=Role.OWNER)
    members.change_role(session, t.owner, t.owner.membership_id, role=Role.MANAGER)


def test_removed_member_is_refused_on_next_resolution(session):
    t = make_tenant(session)
    other = make_tenant(session)
    with pytest.raises(NotFound):  # a foreign membership id
        members.remove_member(session, t.owner, other.team_lead.membership_id)
    members.remove_member(session, t.owner, t.team_lead.membership_id)
    with pytest.raises(NotFound):
        access.resolve_staff(session, user_id=t.team_lead.user_id, workspace_id=t.ws.id)


def test_seat_limit_counts_pending_invitations(session):
    t = make_tenant(session)  # four members
    members.invite_member(session, t.owner, email="five@example.test", role=Role.TEAM_LEAD)
    members.invite_member(session, t.owner, email="six@example.test", role=Role.TEAM_LEAD)
    with pytest.raises(Conflict, match="seats"):
        members.invite_member(session, t.owner, email="seven@example.test", role=Role.TEAM_LEAD)
    with pytest.raises(Conflict):
        members.invite_member(
            session, t.owner, email=session.get(User, t.manager.user_id).email, role=Role.TEAM_LEAD
        )


def test_ten_concurrent_acceptances_into_a_workspace_of_five_give_six_members(committed_engine):
    with Session(committed_engine, expire_on_commit=False) as s:
        ws = make_workspace(s)
        owner = add_member(s, ws, Role.OWNER)
        for _ in range(4):
            add_member(s, ws, Role.TEAM_LEAD)
        invitees = []
        from portal_app.services import tokens

        for i in range(10):
            user = make_user(s, email=f"race{i}@example.test")
            token = tokens.new_token()
            s.add(
                MemberInvitation(
                    workspace_id=ws.id,
                    email=user.email,
                    role=Role.TEAM_LEAD,
                    token_hash=tokens.hash_token(token),
                    invited_by_user_id=owner.user_id,
                    expires_at=utcnow() + timedelta(days=1),
                )
            )
            invitees.append((user.id, token))
        s.commit()
    barrier = threading.Barrier(10)
    results: list[str] = []

    def accept(user_id: int, token: str) -> None:
        with Session(committed_engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                members.accept_invitation(s, user_id=user_id, token=token)
                results.append("joined")
            except Conflict:
                results.append("full")

    threads = [threading.Thread(target=accept, args=inv) for inv in invitees]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert sorted(results) == ["full"] * 9 + ["joined"]
    with Session(committed_engine) as s:
        assert s.scalar(select(sa.func.count()).where(Membership.workspace_id == ws.id)) == 6
        accepted = s.exec(
            select(MemberInvitation).where(MemberInvitation.status == InvitationStatus.ACCEPTED)
        ).all()
        assert len(accepted) == 1
        assert s.get(Workspace, ws.id).audit_seq >= 1


def test_role_ceiling_refusals_are_logged_as_authorization_failures(session, caplog):
    t = make_tenant(session)
    with caplog.at_level("WARNING", logger="portal.security"), pytest.raises(Forbidden):
        members.change_role(session, t.manager, t.owner.membership_id, role=Role.TEAM_LEAD)
    assert any(r.message == "authorization failure" and r.what == "role-ceiling" for r in caplog.records)


# ---------------------------------------------------------------------------------------------------------------
# Abuse: invitation and workspace-creation rate limits, replayed tokens, invitations of demoted or removed members


def outbox_count(session) -> int:
    return session.scalar(select(sa.func.count()).select_from(OutboxMail))


def test_invite_then_revoke_loop_is_rate_limited_per_actor(session, monkeypatch):
    monkeypatch.setattr(members, "INVITES_PER_ACTOR", 4)
    t = make_tenant(session)
    for i in range(4):
        issued = members.invite_member(session, t.owner, email=f"loop{i}@example.test", role=Role.TEAM_LEAD)
        members.revoke_invitation(session, t.owner, issued.invitation.id)  # revoked ones still count
    mails, invitations = outbox_count(session), len(session.exec(select(MemberInvitation)).all())
    with pytest.raises(RateLimited) as info:
        members.invite_member(session, t.owner, email="loop9@example.test", role=Role.TEAM_LEAD)
    assert "too many invitations" in info.value.message
    # Refused before anything was written: no mail carrying the workspace's name, no invitation row.
    assert outbox_count(session) == mails
    assert len(session.exec(select(MemberInvitation)).all()) == invitations
    # Per actor: another manager of the same workspace still may invite.
    assert members.invite_member(session, t.manager, email="ok@example.test", role=Role.TEAM_LEAD)
    # And the limit follows the inviter into another workspace of theirs.
    other = make_workspace(session)
    mine = add_member(session, other, Role.OWNER, user=session.get(User, t.owner.user_id))
    with pytest.raises(RateLimited):
        members.invite_member(session, mine, email="elsewhere@example.test", role=Role.TEAM_LEAD)


def test_invitations_are_rate_limited_per_workspace(session, monkeypatch):
    monkeypatch.setattr(members, "INVITES_PER_WORKSPACE", 3)
    t = make_tenant(session)
    b = make_tenant(session)
    for i, inviter in enumerate((t.owner, t.owner, t.manager)):
        issued = members.invite_member(session, inviter, email=f"w{i}@example.test", role=Role.TEAM_LEAD)
        members.revoke_invitation(session, t.owner, issued.invitation.id)
    with pytest.raises(RateLimited) as info:
        members.invite_member(session, t.manager, email="w9@example.test", role=Role.TEAM_LEAD)
    assert "This workspace has sent too many invitations" in info.value.message
    assert members.invite_member(session, b.owner, email="w9@example.test", role=Role.TEAM_LEAD)


def test_one_address_is_invited_at_most_a_few_times_a_day(session):
    t = make_tenant(session)
    for _ in range(members.INVITES_PER_EMAIL):
        issued = members.invite_member(session, t.owner, email="Target@Example.test", role=Role.TEAM_LEAD)
        members.revoke_invitation(session, t.owner, issued.invitation.id)
    with pytest.raises(RateLimited) as info:
        members.invite_member(session, t.manager, email="target@example.test", role=Role.TEAM_LEAD)
    assert "This address was invited too often" in info.value.message
    assert (
        len(session.exec(select(OutboxMail).where(OutboxMail.to_email == "target@example.test")).all()) == 3
    )


def test_an_old_invitation_leaves_the_window(session, monkeypatch):
    monkeypatch.setattr(members, "INVITES_PER_ACTOR", 1)
    t = make_tenant(session)
    issued = members.invite_member(session, t.owner, email="old@example.test", role=Role.TEAM_LEAD)
    members.revoke_invitation(session, t.owner, issued.invitation.id)
    with pytest.raises(RateLimited):
        members.invite_member(session, t.owner, email="new@example.test", role=Role.TEAM_LEAD)
    row = session.get(MemberInvitation, issued.invitation.id)
    row.created_at = utcnow() - members.RATE_WINDOW - timedelta(minutes=1)
    session.add(row)
    session.commit()
    assert members.invite_member(session, t.owner, email="new@example.test", role=Role.TEAM_LEAD)


def test_workspace_creation_is_rate_limited_per_user(session):
    user, other = make_user(session), make_user(session)
    session.commit()
    for i in range(workspaces.WORKSPACES_PER_USER):
        workspaces.create_workspace(session, user.id, name=f"Shell {i}", slug=f"shell-{i}")
    with pytest.raises(RateLimited) as info:
        workspaces.create_workspace(session, user.id, name="Shell 9", slug="shell-9")
    assert info.value.message == workspaces.TOO_MANY_WORKSPACES
    assert session.exec(select(Workspace).where(Workspace.slug == "shell-9")).first() is None
    assert len(workspaces.list_user_workspaces(session, user.id)) == workspaces.WORKSPACES_PER_USER
    # Another user is not affected, and the user's own count leaves the window after a day.
    assert workspaces.create_workspace(session, other.id, name="Real Co", slug="real-co")
    for ws in session.exec(select(Workspace).where(Workspace.created_by_user_id == user.id)).all():
        ws.created_at = utcnow() - workspaces.RATE_WINDOW - timedelta(minutes=1)
        session.add(ws)
    session.commit()
    assert workspaces.create_workspace(session, user.id, name="Shell 9", slug="shell-9")


class LockSpy:
    """Counts workspace locks taken by the services that redeem tokens."""

    def __init__(self, monkeypatch, *modules) -> None:
        self.calls = 0
        real = access.lock_workspace

        def spy(session, workspace_id):
            self.calls += 1
            return real(session, workspace_id)

        for module in modules:
            monkeypatch.setattr(module, "lock_workspace", spy)


def refused_events(session, action: str, target_id: int) -> int:
    return len(
        session.exec(
            select(AuditEvent).where(AuditEvent.action == action, AuditEvent.target_id == target_id)
        ).all()
    )


def test_replaying_a_used_invitation_is_audited_three_times_then_costs_no_lock(session, monkeypatch):
    t = make_tenant(session)
    issued = members.invite_member(session, t.owner, email="joiner@example.test", role=Role.TEAM_LEAD)
    joiner = make_user(session, email="joiner@example.test")
    session.commit()
    members.accept_invitation(session, user_id=joiner.id, token=issued.token)
    spy = LockSpy(monkeypatch, members, ratelimit, audit)
    for _ in range(ratelimit.TOKEN_REFUSALS_AUDITED):
        with pytest.raises(NotFound):
            members.accept_invitation(session, user_id=joiner.id, token=issued.token)
    assert refused_events(session, "member.invitation_refused", issued.invitation.id) == 3
    spy.calls = 0
    seq = session.get(Workspace, t.ws.id).audit_seq
    for _ in range(20):
        with pytest.raises(NotFound) as info:
            members.accept_invitation(session, user_id=joiner.id, token=issued.token)
        assert info.value.message == members.INVALID_INVITE
    assert spy.calls == 0  # a known-dead token no longer takes the workspace lock
    assert refused_events(session, "member.invitation_refused", issued.invitation.id) == 3
    session.expire_all()
    assert session.get(Workspace, t.ws.id).audit_seq == seq
    assert session.get(MemberInvitation, issued.invitation.id).refusals == ratelimit.TOKEN_REFUSALS_AUDITED


def test_a_live_invitation_stops_working_after_too_many_wrong_attempts(session):
    t = make_tenant(session)
    issued = members.invite_member(session, t.owner, email="right@example.test", role=Role.TEAM_LEAD)
    wrong = make_user(session, email="wrong@example.test")
    right = make_user(session, email="right@example.test")
    session.commit()
    for _ in range(ratelimit.TOKEN_REFUSALS_MAX):
        with pytest.raises(NotFound):
            members.accept_invitation(session, user_id=wrong.id, token=issued.token)
    assert refused_events(session, "member.invitation_refused", issued.invitation.id) == 3
    with pytest.raises(NotFound):  # the token was swept: it no longer works for anyone
        members.accept_invitation(session, user_id=right.id, token=issued.token)
    assert session.exec(select(Membership).where(Membership.user_id == right.id)).first() is None


def test_invitation_redemption_is_rate_limited_per_client(session, monkeypatch):
    monkeypatch.setattr(ratelimit, "redemptions", ratelimit.ClientRateLimiter(2, 600, name="test"))
    t = make_tenant(session)
    issued = members.invite_member(session, t.owner, email="joiner@example.test", role=Role.TEAM_LEAD)
    joiner = make_user(session, email="joiner@example.test")
    session.commit()
    for _ in range(2):
        with pytest.raises(NotFound):
            members.accept_invitation(session, user_id=joiner.id, token="x" * 43, client="203.0.113.7")
    with pytest.raises(RateLimited) as info:
        members.accept_invitation(session, user_id=joiner.id, token=issued.token, client="203.0.113.7")
    assert info.value.message == ratelimit.REDEEM_LIMITED
    assert session.get(MemberInvitation, issued.invitation.id).status is InvitationStatus.PENDING
    member = members.accept_invitation(session, user_id=joiner.id, token=issued.token, client="198.51.100.1")
    assert member.role is Role.TEAM_LEAD


def test_demoting_a_member_revokes_the_invitations_they_could_no_longer_send(session):
    ws = make_workspace(session)
    owner = add_member(session, ws, Role.OWNER)
    second_owner = add_member(session, ws, Role.OWNER)
    account = make_account(session, ws)
    contact = make_contact(session, account)
    make_tenant(session)  # a second workspace, untouched
    session.commit()
    owner_invite = members.invite_member(session, second_owner, email="o@example.test", role=Role.OWNER)
    manager_invite = members.invite_member(session, second_owner, email="m@example.test", role=Role.MANAGER)
    contact_invite = portal_access.invite_contact(session, second_owner, contact.contact_id, account.id)
    # Owner -> manager: the owner invitation goes, the manager one and the contact one stay.
    members.change_role(session, owner, second_owner.membership_id, role=Role.MANAGER)
    assert session.get(MemberInvitation, owner_invite.invitation.id).status is InvitationStatus.REVOKED
    assert session.get(MemberInvitation, manager_invite.invitation.id).status is InvitationStatus.PENDING
    assert session.get(ContactInvitation, contact_invite.invitation.id).revoked_at is None
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "member.invitation_revoked",
            AuditEvent.target_id == owner_invite.invitation.id,
        )
    ).one()
    assert '"reason":"inviter_role_lowered"' in event.data and event.actor_id == owner.user_id
    # Manager -> finance reviewer: may manage neither members nor contacts, so everything they sent goes.
    members.change_role(session, owner, second_owner.membership_id, role=Role.FINANCE_REVIEWER)
    assert session.get(MemberInvitation, manager_invite.invitation.id).status is InvitationStatus.REVOKED
    assert session.get(ContactInvitation, contact_invite.invitation.id).revoked_at is not None
    assert refused_events(session, "contact.invitation_revoked", contact_invite.invitation.id) == 1
    newbie = make_user(session, email="m@example.test")
    session.commit()
    with pytest.raises(NotFound):
        members.accept_invitation(session, user_id=newbie.id, token=manager_invite.token)
    with pytest.raises(NotFound):
        portal_access.redeem_contact_invitation(session, contact_invite.token)


def test_removing_a_member_revokes_every_pending_invitation_they_sent(session):
    t = make_tenant(session)
    other = make_tenant(session)
    mine = members.invite_member(session, t.manager, email="a@example.test", role=Role.TEAM_LEAD)
    kept = members.invite_member(session, t.owner, email="b@example.test", role=Role.TEAM_LEAD)
    theirs = members.invite_member(session, other.manager, email="c@example.test", role=Role.TEAM_LEAD)
    contact_invite = portal_access.invite_contact(session, t.manager, t.contact.contact_id, t.account.id)
    lead_invite = portal_access.invite_contact(
        session, t.team_lead, t.billing_contact.contact_id, t.account.id
    )
    members.remove_member(session, t.owner, t.manager.membership_id)
    assert session.get(MemberInvitation, mine.invitation.id).status is InvitationStatus.REVOKED
    assert session.get(MemberInvitation, kept.invitation.id).status is InvitationStatus.PENDING
    assert session.get(MemberInvitation, theirs.invitation.id).status is InvitationStatus.PENDING
    assert session.get(ContactInvitation, contact_invite.invitation.id).revoked_at is not None
    assert session.get(ContactInvitation, lead_invite.invitation.id).revoked_at is None
    event = session.exec(
        select(AuditEvent).where(
            AuditEvent.action == "member.invitation_revoked", AuditEvent.target_id == mine.invitation.id
        )
    ).one()
    assert '"reason":"inviter_removed"' in event.data
    assert audit.verify_chain(session, t.ws.id).ok
