"""Workspaces, members and invitations: seats, role ceilings, last owner, concurrency, token handling."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import InvitationStatus, MemberInvitation, Membership, OutboxMail, Role, User, Workspace, utcnow
from portal_app.services import access, members, workspaces
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import add_member, make_tenant, make_user, make_workspace, operator


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
