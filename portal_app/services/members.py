"""Workspace members and member invitations (seat limit, role ceilings, last-owner protection, rate limits)."""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    SEAT_LIMIT,
    ContactInvitation,
    InvitationStatus,
    MemberInvitation,
    Membership,
    Role,
    User,
    utcnow,
)
from models.schemas import MemberInvitationRead, MemberRead
from portal_app import routes
from portal_app.services import audit, notifications, ratelimit, tokens
from portal_app.services.access import (
    Actor,
    StaffActor,
    get_scoped,
    lock_workspace,
    log_authorization_failure,
    require_staff,
)
from portal_app.services.errors import Conflict, Forbidden, NotFound, RateLimited, ValidationFailed
from portal_app.services.permissions import ROLE_LABELS, Permission, can_grant, role_has

log = logging.getLogger("portal.security")

INVITE_TTL = timedelta(days=7)
# Every invitation mails a link under the workspace's name to an address the inviter chose, so invitations are
# counted (revoked ones included: invite-then-revoke must not reset the count) over a sliding window.
RATE_WINDOW = timedelta(hours=24)
INVITES_PER_ACTOR = 20  # per RATE_WINDOW, by one inviter across all their workspaces
INVITES_PER_WORKSPACE = 30  # per RATE_WINDOW, by all members of one workspace
INVITES_PER_EMAIL = 3  # per RATE_WINDOW, to one address from one workspace
EMAIL_RE = re.compile(r"^[^@\s]{1,64}@[^@\s]{1,255}\.[^@\s]{2,}$")
INVALID_INVITE = "This invitation link is not valid. Ask the workspace for a new one."


def _ceiling(message: str, staff: StaffActor) -> Forbidden:
    """A role-ceiling refusal, logged as an authorization failure like every other."""
    log_authorization_failure("staff", staff.user_id, "role-ceiling", staff.workspace_id)
    return Forbidden(message)


def normalize_email(email: str) -> str:
    email = email.strip().lower()
    if len(email) > 320 or not EMAIL_RE.match(email):
        raise ValidationFailed("Enter a valid email address.")
    return email


@dataclass(frozen=True)
class IssuedInvitation:
    invitation: MemberInvitationRead
    token: str  # shown once (in the mail); only its hash is stored


def _seats_used(session: Session, workspace_id: int) -> int:
    members = session.scalar(select(sa.func.count()).where(Membership.workspace_id == workspace_id)) or 0
    pending = (
        session.scalar(
            select(sa.func.count()).where(
                MemberInvitation.workspace_id == workspace_id,
                MemberInvitation.status == InvitationStatus.PENDING,
                MemberInvitation.expires_at > utcnow(),
            )
        )
        or 0
    )
    return int(members) + int(pending)


def list_members(session: Session, actor: Actor) -> list[MemberRead]:
    """All members of the actor's workspace (at most six)."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    rows = session.exec(
        select(Membership, User)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.workspace_id == staff.workspace_id)
        .order_by(col(Membership.id))
    ).all()
    return [
        MemberRead(
            id=m.id, user_id=m.user_id, role=m.role, email=u.email, name=u.name, created_at=m.created_at
        )  # type: ignore[arg-type]
        for m, u in rows
    ]


def member_name(session: Session, actor: Actor) -> str:
    """The signed-in member's name, or their e-mail when they have none (the staff shell's "signed in as"). The
    user row was read with the member's role (``access.resolve_staff``): no statement of its own."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    user = session.get(User, staff.user_id)
    return (user.name or user.email) if user is not None else ""


def list_invitations(session: Session, actor: Actor) -> list[MemberInvitationRead]:
    staff = require_staff(actor, Permission.MEMBERS_READ)
    rows = session.exec(
        select(MemberInvitation)
        .where(
            MemberInvitation.workspace_id == staff.workspace_id,
            MemberInvitation.status == InvitationStatus.PENDING,
        )
        .order_by(col(MemberInvitation.id))
        .limit(SEAT_LIMIT * 4)
    ).all()
    return [MemberInvitationRead.model_validate(r) for r in rows]


def _check_invite_rate(session: Session, staff: StaffActor, email: str, now: datetime) -> None:
    """``RateLimited`` when the inviter, the workspace or the address had too many invitations in the window.

    The caller holds the workspace lock; the inviter's user row is locked too, so their count across workspaces
    holds under concurrency (lock order: workspace, then user).
    """
    session.exec(select(User.id).where(User.id == staff.user_id).with_for_update()).first()
    since = now - RATE_WINDOW
    by_actor = session.scalar(
        select(sa.func.count()).where(
            MemberInvitation.invited_by_user_id == staff.user_id, col(MemberInvitation.created_at) > since
        )
    )
    in_workspace, to_email = session.exec(
        select(
            sa.func.count(),
            sa.func.coalesce(sa.func.sum(sa.case((col(MemberInvitation.email) == email, 1), else_=0)), 0),
        ).where(MemberInvitation.workspace_id == staff.workspace_id, col(MemberInvitation.created_at) > since)
    ).one()
    if (by_actor or 0) >= INVITES_PER_ACTOR:
        message = "You have sent too many invitations in the last 24 hours. Please try again tomorrow."
    elif in_workspace >= INVITES_PER_WORKSPACE:
        message = (
            "This workspace has sent too many invitations in the last 24 hours. Please try again tomorrow."
        )
    elif to_email >= INVITES_PER_EMAIL:
        message = "This address was invited too often in the last 24 hours. Please try again tomorrow."
    else:
        return
    session.rollback()
    log.warning(
        "member invitation rate limited", extra={"workspace_id": staff.workspace_id, "user_id": staff.user_id}
    )
    raise RateLimited(message)


def invite_member(session: Session, actor: Actor, *, email: str, role: Role) -> IssuedInvitation:
    """Invite by email with a role at or below the inviter's. Counts pending invitations against the seat limit.

    Raises ``Forbidden`` (role above the inviter's), ``Conflict`` (already a member, no free seat) or
    ``RateLimited`` (too many invitations by this inviter, this workspace or to this address in 24 hours,
    revoked ones included).
    """
    staff = require_staff(actor, Permission.MEMBERS_MANAGE)
    email = normalize_email(email)
    if not can_grant(staff.role, role):
        raise _ceiling("You cannot invite someone with a role above your own.", staff)
    ws = lock_workspace(session, staff.workspace_id)
    already = session.exec(
        select(Membership.id)
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(Membership.workspace_id == ws.id, sa.func.lower(User.email) == email)
    ).first()
    if already is not None:
        session.rollback()
        raise Conflict("That person is already a member.")
    if _seats_used(session, staff.workspace_id) >= SEAT_LIMIT:
        session.rollback()
        raise Conflict(f"This workspace has all {SEAT_LIMIT} seats in use, counting pending invitations.")
    now = utcnow()
    _check_invite_rate(session, staff, email, now)
    token = tokens.new_token()
    inv = MemberInvitation(
        workspace_id=staff.workspace_id,
        email=email,
        role=role,
        token_hash=tokens.hash_token(token),
        invited_by_user_id=staff.user_id,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(inv)
    session.flush()
    link = routes.invite_url(token)  # a backend route: its own port under `reflex run`
    notifications.enqueue_mail(
        session,
        workspace_id=staff.workspace_id,
        to_email=email,
        subject=f"You are invited to {ws.name}",
        body_text=(
            f"You have been invited to join {ws.name} as {ROLE_LABELS[role]}.\n\n"
            f"Sign in with the Google account for {email} and open this link within 7 days:\n{link}\n"
        ),
        links_expire_at=inv.expires_at,
    )
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="member.invited",
        target_type="member_invitation",
        target_id=inv.id,
        data={"email": email, "role": role.value},
    )
    session.commit()
    return IssuedInvitation(MemberInvitationRead.model_validate(inv), token)


def _invitation_refusal(inv: MemberInvitation, user: User, now: datetime) -> tuple[str, bool] | None:
    """Why ``user`` may not redeem ``inv`` and whether the invitation is dead for good; ``None`` when they may."""
    if inv.status is not InvitationStatus.PENDING:
        return inv.status.value, True
    if inv.expires_at <= now:
        return "expired", True
    if inv.refusals >= ratelimit.TOKEN_REFUSALS_MAX:
        return "too_many_attempts", True
    if not user.email_verified or user.email.strip().lower() != inv.email:
        return "refused", False
    return None


def _refuse_invitation(
    session: Session, inv: MemberInvitation, user_id: int, reason: str, dead: bool
) -> None:
    """Count and (up to an allowance) audit a refused redemption; the caller has rolled back. Commits."""
    log.warning("member invitation refused", extra={"reason": reason, "user_id": user_id})
    ratelimit.note_refusal(
        session,
        inv,
        dead=dead,
        action="member.invitation_refused",
        target_type="member_invitation",
        actor_override=("staff", user_id),
        data={"reason": "expired" if reason == "expired" else "refused"},
    )


def accept_invitation(session: Session, *, user_id: int, token: str, client: str | None = None) -> MemberRead:
    """Redeem an invitation as the signed-in user; their verified email must match it.

    Every failure (unknown, expired, used, revoked, wrong email) raises the same ``NotFound``. The seat limit is
    re-checked under the workspace lock, so concurrent acceptances cannot exceed it. ``client`` (HTTP routes pass
    the caller's address) is limited per process: ``RateLimited`` past the budget. A refusal that the invitation
    row alone decides (dead, wrong email) takes no workspace lock beyond its capped audit event.
    """
    ratelimit.check_redemption(client)
    user = session.get(User, user_id)
    if user is None or not token or len(token) > 200:
        raise NotFound(INVALID_INVITE)
    inv = session.exec(
        select(MemberInvitation).where(MemberInvitation.token_hash == tokens.hash_token(token))
    ).first()
    if inv is None:
        raise NotFound(INVALID_INVITE)
    refusal = _invitation_refusal(inv, user, utcnow())
    if refusal is None:
        lock_workspace(session, inv.workspace_id)
        session.refresh(inv)  # a concurrent acceptance or revocation may have won
        refusal = _invitation_refusal(inv, user, utcnow())
    if refusal is not None:
        session.rollback()
        _refuse_invitation(session, inv, user_id, *refusal)
        raise NotFound(INVALID_INVITE)
    now = utcnow()
    existing = session.exec(
        select(Membership).where(Membership.workspace_id == inv.workspace_id, Membership.user_id == user_id)
    ).first()
    if existing is not None:
        session.rollback()
        raise Conflict("You are already a member of this workspace.")
    members = session.scalar(select(sa.func.count()).where(Membership.workspace_id == inv.workspace_id)) or 0
    if members >= SEAT_LIMIT:
        session.rollback()
        raise Conflict("This workspace has no free seat left. Ask an owner to free one.")
    membership = Membership(workspace_id=inv.workspace_id, user_id=user_id, role=inv.role)
    inv.status = InvitationStatus.ACCEPTED
    inv.accepted_by_user_id = user_id
    inv.decided_at = now
    session.add(membership)
    session.add(inv)
    session.flush()
    audit.append_event(
        session,
        workspace_id=inv.workspace_id,
        actor=None,
        actor_override=("staff", user_id),
        action="member.joined",
        target_type="membership",
        target_id=membership.id,
        data={"role": inv.role.value},
    )
    session.commit()
    return MemberRead(
        id=membership.id,  # type: ignore[arg-type]
        user_id=user_id,
        role=membership.role,
        email=user.email,
        name=user.name,
        created_at=membership.created_at,
    )


def revoke_invitation(session: Session, actor: Actor, invitation_id: int) -> MemberInvitationRead:
    staff = require_staff(actor, Permission.MEMBERS_MANAGE)
    inv = get_scoped(session, staff, MemberInvitation, invitation_id, change=True, lock=True)
    if inv.status is not InvitationStatus.PENDING:
        raise Conflict("Only a pending invitation can be revoked.")
    if not can_grant(staff.role, inv.role):
        raise _ceiling("You cannot revoke an invitation for a role above your own.", staff)
    _mark_revoked(session, staff, inv)
    session.commit()
    return MemberInvitationRead.model_validate(inv)


def _mark_revoked(
    session: Session, staff: StaffActor, inv: MemberInvitation, data: dict[str, object] | None = None
) -> None:
    """Revoke one pending invitation and audit it; the caller holds the lock and commits."""
    inv.status = InvitationStatus.REVOKED
    inv.decided_at = utcnow()
    session.add(inv)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="member.invitation_revoked",
        target_type="member_invitation",
        target_id=inv.id,
        data=data,
    )


def _owner_count(session: Session, workspace_id: int) -> int:
    return int(
        session.scalar(
            select(sa.func.count()).where(
                Membership.workspace_id == workspace_id, Membership.role == Role.OWNER
            )
        )
        or 0
    )


def _target(session: Session, staff: StaffActor, membership_id: int) -> Membership:
    lock_workspace(session, staff.workspace_id)
    member = get_scoped(session, staff, Membership, membership_id, change=True)
    if not can_grant(staff.role, member.role):
        raise _ceiling("You cannot change a member whose role is above your own.", staff)
    return member


def _revoke_issued_by(
    session: Session, staff: StaffActor, member: Membership, *, new_role: Role | None
) -> None:
    """Revoke the pending invitations ``member`` sent that ``new_role`` could not send (``None``: removed, so all).

    Member invitations for a role above the new one (or all, once the role may not manage members) and contact
    invitations (once it may not manage contacts), in this workspace only; each revocation is audited. The caller
    holds the workspace lock and commits.
    """
    now = utcnow()
    reason = "inviter_removed" if new_role is None else "inviter_role_lowered"
    pending = session.exec(
        select(MemberInvitation)
        .where(
            MemberInvitation.workspace_id == staff.workspace_id,
            MemberInvitation.invited_by_user_id == member.user_id,
            MemberInvitation.status == InvitationStatus.PENDING,
        )
        .order_by(col(MemberInvitation.id))
    ).all()
    for inv in pending:
        if (
            new_role is not None
            and role_has(new_role, Permission.MEMBERS_MANAGE)
            and can_grant(new_role, inv.role)
        ):
            continue
        _mark_revoked(
            session,
            staff,
            inv,
            {"reason": reason, "role": inv.role.value, "invited_by_user_id": member.user_id},
        )
    if new_role is not None and role_has(new_role, Permission.CONTACTS_MANAGE):
        return
    contact_invitations = list(
        session.exec(
            select(ContactInvitation.id).where(
                ContactInvitation.workspace_id == staff.workspace_id,
                ContactInvitation.invited_by_user_id == member.user_id,
                col(ContactInvitation.accepted_at).is_(None),
                col(ContactInvitation.revoked_at).is_(None),
                col(ContactInvitation.expires_at) > now,
            )
        ).all()
    )
    if not contact_invitations:
        return
    session.execute(  # type: ignore[deprecated]
        sa.update(ContactInvitation)
        .where(col(ContactInvitation.id).in_(contact_invitations))
        .values(revoked_at=now)
        .execution_options(synchronize_session=False)
    )
    for invitation_id in contact_invitations:
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="contact.invitation_revoked",
            target_type="contact_invitation",
            target_id=invitation_id,
            data={"reason": reason, "invited_by_user_id": member.user_id},
        )


def change_role(session: Session, actor: Actor, membership_id: int, *, role: Role) -> MemberRead:
    """Change a member's role; nobody grants above their own role and the last owner stays an owner.

    Pending invitations the member sent and could not send with the new role are revoked (audited).
    """
    staff = require_staff(actor, Permission.MEMBERS_MANAGE)
    if not can_grant(staff.role, role):
        raise _ceiling("You cannot grant a role above your own.", staff)
    member = _target(session, staff, membership_id)
    if (
        member.role is Role.OWNER
        and role is not Role.OWNER
        and _owner_count(session, staff.workspace_id) <= 1
    ):
        session.rollback()
        raise Conflict("The last owner cannot be demoted. Make someone else an owner first.")
    previous = member.role
    member.role = role
    session.add(member)
    _revoke_issued_by(session, staff, member, new_role=role)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="member.role_changed",
        target_type="membership",
        target_id=member.id,
        data={"from": previous.value, "to": role.value},
    )
    session.commit()
    user = session.get(User, member.user_id)
    return MemberRead(
        id=member.id,  # type: ignore[arg-type]
        user_id=member.user_id,
        role=member.role,
        email=user.email if user else "",
        name=user.name if user else "",
        created_at=member.created_at,
    )


def remove_member(session: Session, actor: Actor, membership_id: int) -> None:
    """Remove a member (effective on their next event); the last owner cannot be removed.

    Every pending invitation they sent in this workspace (members and contacts) is revoked, each audited.
    """
    staff = require_staff(actor, Permission.MEMBERS_MANAGE)
    member = _target(session, staff, membership_id)
    if member.role is Role.OWNER and _owner_count(session, staff.workspace_id) <= 1:
        session.rollback()
        raise Conflict("The last owner cannot be removed.")
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="member.removed",
        target_type="membership",
        target_id=member.id,
        data={"user_id": member.user_id, "role": member.role.value},
    )
    _revoke_issued_by(session, staff, member, new_role=None)
    session.delete(member)
    session.commit()


def _own_membership(session: Session, staff: StaffActor) -> Membership:
    member = session.exec(
        select(Membership).where(
            Membership.id == staff.membership_id,
            Membership.workspace_id == staff.workspace_id,
            Membership.user_id == staff.user_id,
        )
    ).first()
    if member is None:
        raise NotFound()
    return member


def daily_digest_enabled(session: Session, actor: Actor) -> bool:
    """Whether the signed-in member gets the daily digest of their open and overdue tasks (any member)."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    return _own_membership(session, staff).daily_digest


def set_daily_digest(session: Session, actor: Actor, *, enabled: bool) -> bool:
    """Turn the signed-in member's own daily digest on or off. Only ever their own membership in the workspace they
    act in: there is no id to choose another. Returns the new setting."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    if not isinstance(enabled, bool):
        raise ValidationFailed("Choose on or off.")
    member = _own_membership(session, staff)
    if member.daily_digest != enabled:
        member.daily_digest = enabled
        session.add(member)
    session.commit()
    return enabled
