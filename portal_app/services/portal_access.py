"""How contacts get into the portal: staff invitations and magic links, both single-use hashed tokens.

Every redemption failure (unknown, truncated, expired, used, revoked, contact deactivated, portal closed) raises
the same ``NotFound`` with one generic message, and asking for a magic link answers the same whether or not the
address is known. Tokens are never logged or stored: only their SHA-256 is.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    Contact,
    ContactAccess,
    ContactInvitation,
    ContactStatus,
    CustomerAccount,
    MagicLink,
    Workspace,
    WorkspaceStatus,
    utcnow,
)
from models.portal import PortalAccount
from models.schemas import ContactInvitationRead
from portal_app import routes
from portal_app.services import audit, branding, identity, notifications, ratelimit, tokens
from portal_app.services.access import (
    Actor,
    ContactActor,
    get_scoped,
    lock_workspace,
    remember_scoped,
    require_staff,
)
from portal_app.services.errors import Conflict, NotFound, RateLimited, ValidationFailed
from portal_app.services.members import normalize_email
from portal_app.services.permissions import Permission
from portal_app.services.ratelimit import ClientRateLimiter
from portal_app.services.sessions import IssuedSession

log = logging.getLogger("portal.security")

INVITE_TTL = timedelta(days=7)
MAGIC_LINK_TTL = timedelta(minutes=15)
RATE_WINDOW = timedelta(hours=1)
INVITES_PER_WORKSPACE = 50  # per RATE_WINDOW
INVITES_PER_CONTACT = 5  # per RATE_WINDOW
MAGIC_LINKS_PER_EMAIL = 5  # per RATE_WINDOW, counted in the magic_link table
MAGIC_LINKS_PER_CLIENT = 20  # per RATE_WINDOW, per hashed client address (in memory, per process)
MAX_TOKEN_LENGTH = 200

INVALID_LINK = "This sign-in link is not valid any more. Ask for a new one from the portal sign-in page."
PORTAL_OFF = "Turn on the Customer Portal module before inviting contacts."


@dataclass(frozen=True)
class IssuedContactInvitation:
    invitation: ContactInvitationRead
    token: str  # shown once (in the mail); only its hash is stored


client_limiter = ClientRateLimiter(MAGIC_LINKS_PER_CLIENT, RATE_WINDOW.total_seconds())


def _usable_token(token: str | None) -> str | None:
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return tokens.hash_token(token)


def _portal_open(session: Session, workspace_id: int) -> bool:
    ws = session.get(Workspace, workspace_id)
    return ws is not None and ws.status is WorkspaceStatus.ACTIVE and ws.portal_enabled


# ---------------------------------------------------------------------------------------------------------------
# Invitations (staff → contact)


def invite_contact(
    session: Session, actor: Actor, contact_id: int, account_id: int
) -> IssuedContactInvitation:
    """Mail a contact a 7-day, single-use invitation into the portal for one linked account.

    Scoped to the staff member's workspace (``contacts:manage``); the contact must be linked to the account.
    Raises ``NotFound`` (contact or link not in scope), ``Conflict`` (portal module off, contact deactivated)
    or ``RateLimited`` (too many invitations for the workspace or the contact in the last hour). Earlier pending
    invitations for the same contact and account are revoked.
    """
    staff = require_staff(actor, Permission.CONTACTS_MANAGE)
    contact = get_scoped(session, staff, Contact, contact_id, change=True)
    link = session.exec(
        select(ContactAccess).where(
            ContactAccess.workspace_id == staff.workspace_id,
            ContactAccess.contact_id == contact_id,
            ContactAccess.account_id == account_id,
        )
    ).first()
    if link is None:
        raise NotFound()
    account = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.workspace_id == staff.workspace_id, CustomerAccount.id == account_id
        )
    ).one()
    # The workspace lock serialises invitations, so the rate counts below hold under concurrency.
    ws = lock_workspace(session, staff.workspace_id)
    session.refresh(contact)
    if not ws.portal_enabled:
        session.rollback()
        raise Conflict(PORTAL_OFF)
    if contact.status is ContactStatus.DEACTIVATED:
        session.rollback()
        raise Conflict("This contact is deactivated. Reactivate them before sending an invitation.")
    now = utcnow()
    since = now - RATE_WINDOW
    per_workspace, per_contact = session.exec(
        select(
            sa.func.count(),
            sa.func.coalesce(
                sa.func.sum(sa.case((col(ContactInvitation.contact_id) == contact_id, 1), else_=0)), 0
            ),
        ).where(
            ContactInvitation.workspace_id == staff.workspace_id, col(ContactInvitation.created_at) > since
        )
    ).one()
    if per_workspace >= INVITES_PER_WORKSPACE or per_contact >= INVITES_PER_CONTACT:
        session.rollback()
        log.warning(
            "contact invitation rate limited",
            extra={"workspace_id": staff.workspace_id, "contact_id": contact_id},
        )
        raise RateLimited("Too many invitations were sent in the last hour. Please try again later.")
    session.execute(  # type: ignore[deprecated]
        sa.update(ContactInvitation)
        .where(
            col(ContactInvitation.workspace_id) == staff.workspace_id,
            col(ContactInvitation.contact_id) == contact_id,
            col(ContactInvitation.account_id) == account_id,
            col(ContactInvitation.accepted_at).is_(None),
            col(ContactInvitation.revoked_at).is_(None),
        )
        .values(revoked_at=now)
    )
    token = tokens.new_token()
    inv = ContactInvitation(
        workspace_id=staff.workspace_id,
        contact_id=contact_id,
        account_id=account_id,
        token_hash=tokens.hash_token(token),
        invited_by_user_id=staff.user_id,
        created_at=now,
        expires_at=now + INVITE_TTL,
    )
    session.add(inv)
    session.flush()
    url = routes.absolute_url(f"{routes.CONTACT_INVITE}/{token}")
    name = branding.customer_name(ws)  # customers know the workspace by its display name
    notifications.enqueue_mail(
        session,
        workspace_id=staff.workspace_id,
        to_email=contact.email,
        from_name=name,
        subject=f"{name} invites you to its customer portal",
        body_text=(
            f"Hello {contact.name},\n\n"
            f"{name} has invited you to its customer portal for {account.name}, where you can see what "
            f"they shared with you and reply.\n\n"
            f"Open this link within 7 days to sign in (it works once):\n{url}\n\n"
            "If you did not expect this mail, you can ignore it.\n"
        ),
        links_expire_at=inv.expires_at,
    )
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="contact.invited",
        target_type="contact_invitation",
        target_id=inv.id,
        data={"contact_id": contact_id, "account_id": account_id},
    )
    session.commit()
    return IssuedContactInvitation(ContactInvitationRead.model_validate(inv), token)


def redeem_contact_invitation(
    session: Session, token: str | None, *, replace_token: str | None = None, client: str | None = None
) -> IssuedSession:
    """Open a contact session on the invited account, once. Every failure raises the same ``NotFound``.

    ``client`` (the caller's address, HTTP routes pass it) is limited per process: ``RateLimited`` past the budget.
    A token already known dead is refused without taking the workspace lock once its audit allowance is used.
    """
    ratelimit.check_redemption(client)
    token_hash = _usable_token(token)
    if token_hash is None:
        log.warning("contact invitation refused: malformed token")
        raise NotFound(INVALID_LINK)
    now = utcnow()
    inv = session.exec(select(ContactInvitation).where(ContactInvitation.token_hash == token_hash)).first()
    if inv is None or _dead_reason(inv, now) is not None:
        session.rollback()
        _refused(session, inv, "contact_invitation")
        raise NotFound(INVALID_LINK)
    claimed = session.execute(  # type: ignore[deprecated]
        sa.update(ContactInvitation)
        .where(
            col(ContactInvitation.id) == inv.id,
            col(ContactInvitation.accepted_at).is_(None),
            col(ContactInvitation.revoked_at).is_(None),
            col(ContactInvitation.expires_at) > now,
            col(ContactInvitation.refusals) < ratelimit.TOKEN_REFUSALS_MAX,
        )
        .values(accepted_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent redemption won
        session.rollback()
        _refused(session, inv, "contact_invitation")
        raise NotFound(INVALID_LINK)
    contact = session.get(Contact, inv.contact_id)
    link = session.exec(
        select(ContactAccess).where(
            ContactAccess.workspace_id == inv.workspace_id,
            ContactAccess.contact_id == inv.contact_id,
            ContactAccess.account_id == inv.account_id,
        )
    ).first()
    if (
        contact is None
        or contact.workspace_id != inv.workspace_id
        or contact.status is ContactStatus.DEACTIVATED
        or link is None
        or not _portal_open(session, inv.workspace_id)
    ):
        session.rollback()
        _refused(session, inv, "contact_invitation", reason="portal_closed")
        raise NotFound(INVALID_LINK)
    issued = identity.start_contact_session(
        session, contact, inv.account_id, replace_token=replace_token, via="invitation"
    )
    session.commit()
    log.info("contact signed in", extra={"contact_id": contact.id, "via": "invitation"})
    return issued


def _dead_reason(row: ContactInvitation | MagicLink, now: datetime) -> str | None:
    """Why ``row`` can never be redeemed again, or ``None`` while it still could be."""
    if row.revoked_at is not None:
        return "revoked"
    if (row.accepted_at if isinstance(row, ContactInvitation) else row.used_at) is not None:
        return "reused"
    if row.expires_at <= now:
        return "expired"
    if row.refusals >= ratelimit.TOKEN_REFUSALS_MAX:
        return "too_many_attempts"
    return None


def _refused(
    session: Session,
    row: ContactInvitation | MagicLink | None,
    kind: str,
    *,
    reason: str | None = None,
) -> None:
    """Record a refused redemption: counted on the token's row and, up to an allowance, audited; else logged.

    The caller has rolled back, so ``row`` is read afresh here. Commits.
    """
    if row is None:
        log.warning("contact sign-in refused: unknown token", extra={"via": kind})
        return
    dead = _dead_reason(row, utcnow())
    reason = reason or dead or "refused"
    log.warning(
        "contact sign-in refused", extra={"via": kind, "reason": reason, "contact_id": row.contact_id}
    )
    ratelimit.note_refusal(
        session,
        row,
        dead=dead is not None,
        action="auth.contact_sign_in_refused",
        target_type=kind,
        actor_override=("contact", row.contact_id),
        data={"reason": reason},
    )


# ---------------------------------------------------------------------------------------------------------------
# Magic links (contact asks, by email)


def request_magic_link(session: Session, email: str, *, client: str = "", next_path: str = "") -> None:
    """Queue a 15-minute sign-in link for each workspace where ``email`` is a contact with portal access.

    ``next_path``: the portal page the link opens after signing in (only a plain ``/portal/...`` path is kept, see
    ``routes.portal_next``; the link's landing checks it again).

    Returns nothing and raises nothing for unknown, malformed or rate-limited addresses, so the answer never tells
    whether an address is known. Limits: per client address (in memory) and per email (in the magic_link table).
    """
    # The token is drawn and hashed before anything is known, so both paths do the same work up to the query.
    token = tokens.new_token()
    token_hash = tokens.hash_token(token)
    try:
        email = normalize_email(email)
    except ValidationFailed:
        email = ""
    allowed = client_limiter.allow(client)
    links = identity.contact_links_for_email(session, email) if email else []
    if not allowed:
        log.warning("magic link rate limited (client)")
        session.rollback()
        return
    # One link per contact row (one contact per workspace and email); its first linked account is where it lands.
    contacts: dict[int, Contact] = {}
    for contact, _ in links:
        assert contact.id is not None
        contacts.setdefault(contact.id, contact)
    if not contacts:
        session.rollback()
        return
    # Lock the workspaces (in id order, as audit appends would) so concurrent requests count each other's links.
    for workspace_id in sorted({c.workspace_id for c in contacts.values()}):
        lock_workspace(session, workspace_id)
    now = utcnow()
    recent = dict(
        session.exec(
            select(MagicLink.contact_id, sa.func.count())
            .where(
                col(MagicLink.contact_id).in_(list(contacts)), col(MagicLink.created_at) > now - RATE_WINDOW
            )
            .group_by(col(MagicLink.contact_id))
        ).all()
    )
    if max(recent.values(), default=0) >= MAGIC_LINKS_PER_EMAIL:
        log.warning("magic link rate limited (email)")
        session.rollback()
        return
    for i, contact in enumerate(contacts.values()):
        assert contact.id is not None
        if i:
            token = tokens.new_token()
            token_hash = tokens.hash_token(token)
        ws = session.get(Workspace, contact.workspace_id)
        session.add(
            MagicLink(
                workspace_id=contact.workspace_id,
                contact_id=contact.id,
                token_hash=token_hash,
                created_at=now,
                expires_at=now + MAGIC_LINK_TTL,
            )
        )
        target = routes.portal_next(next_path)
        url = (
            routes.absolute_url(f"{routes.MAGIC_LINK}/{token}", next=target)
            if target and target != routes.PORTAL
            else routes.absolute_url(f"{routes.MAGIC_LINK}/{token}")
        )
        name = branding.customer_name(ws) if ws else "the"
        notifications.enqueue_mail(
            session,
            workspace_id=contact.workspace_id,
            to_email=contact.email,
            from_name=name if ws else "",
            subject=f"Your sign-in link for the {name} customer portal",
            body_text=(
                f"Hello {contact.name},\n\n"
                f"Use this link within 15 minutes to sign in to the {name} customer portal (it works once):\n"
                f"{url}\n\n"
                "If you did not ask for it, you can ignore this mail.\n"
            ),
            links_expire_at=now + MAGIC_LINK_TTL,
        )
        audit.append_event(
            session,
            workspace_id=contact.workspace_id,
            actor=None,
            actor_override=("contact", contact.id),
            action="auth.magic_link_sent",
            target_type="contact",
            target_id=contact.id,
        )
    session.commit()


def redeem_magic_link(
    session: Session, token: str | None, *, replace_token: str | None = None, client: str | None = None
) -> IssuedSession:
    """Open a contact session on the contact's first linked account, once. Every failure: the same ``NotFound``.

    ``client`` is limited as in ``redeem_contact_invitation``: ``RateLimited`` past the budget.
    """
    ratelimit.check_redemption(client)
    token_hash = _usable_token(token)
    if token_hash is None:
        log.warning("magic link refused: malformed token")
        raise NotFound(INVALID_LINK)
    now = utcnow()
    row = session.exec(select(MagicLink).where(MagicLink.token_hash == token_hash)).first()
    if row is None or _dead_reason(row, now) is not None:
        session.rollback()
        _refused(session, row, "magic_link")
        raise NotFound(INVALID_LINK)
    claimed = session.execute(  # type: ignore[deprecated]
        sa.update(MagicLink)
        .where(
            col(MagicLink.id) == row.id,
            col(MagicLink.used_at).is_(None),
            col(MagicLink.revoked_at).is_(None),
            col(MagicLink.expires_at) > now,
            col(MagicLink.refusals) < ratelimit.TOKEN_REFUSALS_MAX,
        )
        .values(used_at=now)
    )
    if claimed.rowcount != 1:  # type: ignore[attr-defined]  # a concurrent redemption won
        session.rollback()
        _refused(session, row, "magic_link")
        raise NotFound(INVALID_LINK)
    contact = session.get(Contact, row.contact_id)
    link = session.exec(
        select(ContactAccess)
        .where(ContactAccess.workspace_id == row.workspace_id, ContactAccess.contact_id == row.contact_id)
        .order_by(col(ContactAccess.id))
    ).first()
    if (
        contact is None
        or contact.workspace_id != row.workspace_id
        or contact.status is ContactStatus.DEACTIVATED
        or link is None
        or not _portal_open(session, row.workspace_id)
    ):
        session.rollback()
        _refused(session, row, "magic_link", reason="portal_closed")
        raise NotFound(INVALID_LINK)
    issued = identity.start_contact_session(
        session, contact, link.account_id, replace_token=replace_token, via="magic_link"
    )
    session.commit()
    log.info("contact signed in", extra={"contact_id": contact.id, "via": "magic_link"})
    return issued


# ---------------------------------------------------------------------------------------------------------------
# The account picker


def list_contact_accounts(session: Session, actor: Actor) -> list[PortalAccount]:
    """Accounts the signed-in contact is linked to in its workspace (at most 100), by name.

    Anyone but a contact gets ``NotFound``. Switching is ``sessions.switch_account``, which re-checks the link.
    """
    if not isinstance(actor, ContactActor):
        raise NotFound()
    rows = session.exec(
        select(CustomerAccount)
        .join(ContactAccess, col(ContactAccess.account_id) == CustomerAccount.id)
        .where(
            ContactAccess.contact_id == actor.contact_id,
            ContactAccess.workspace_id == actor.workspace_id,
            CustomerAccount.workspace_id == actor.workspace_id,
        )
        .order_by(col(CustomerAccount.name), col(CustomerAccount.id))
        .limit(100)
    ).all()
    for row in rows:  # the current one is the page's account too: not read again (``access.get_scoped``)
        if row.id == actor.account_id:
            remember_scoped(session, actor, CustomerAccount, row)
    return [PortalAccount.model_validate(r) for r in rows]
