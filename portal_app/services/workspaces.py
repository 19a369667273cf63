"""Workspaces: creation with an owner, the Customer Portal module switch, suspension by platform operators."""

from __future__ import annotations

import logging
import re
from datetime import timedelta

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from models import Membership, Role, User, Workspace, WorkspaceStatus, utcnow
from models.schemas import WorkspaceRead
from portal_app.services import audit
from portal_app.services.access import Actor, OperatorActor, lock_workspace, require_staff
from portal_app.services.errors import Conflict, NotFound, RateLimited, ValidationFailed
from portal_app.services.permissions import Permission

log = logging.getLogger("portal.security")

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{1,61}[a-z0-9])$")
RESERVED_SLUGS = frozenset({"app", "api", "portal", "operator", "admin", "auth", "static", "assets", "www"})
# Each workspace brings its own invitation allowance and mails under a name its creator picks, so creation is
# limited per user over a sliding window (counted from ``workspace.created_by_user_id``).
RATE_WINDOW = timedelta(hours=24)
WORKSPACES_PER_USER = 3  # per RATE_WINDOW
TOO_MANY_WORKSPACES = "You have created several workspaces in the last 24 hours. Please try again tomorrow."


def validate_slug(slug: str) -> str:
    slug = slug.strip().lower()
    if not SLUG_RE.match(slug) or "--" in slug:
        raise ValidationFailed(
            "The web address must be 3-63 characters of lowercase letters, digits and single hyphens."
        )
    if slug in RESERVED_SLUGS:
        raise ValidationFailed("That web address is reserved. Please choose another.")
    return slug


def create_workspace(
    session: Session,
    user_id: int,
    *,
    name: str,
    slug: str,
    portal_enabled: bool = False,
    currency: str = "USD",
) -> WorkspaceRead:
    """Create a workspace with ``user_id`` as its owner.

    Raises ``ValidationFailed``, ``Conflict`` (slug taken) or ``RateLimited`` (``WORKSPACES_PER_USER`` already
    created by this user in the last 24 hours).
    """
    name = " ".join(name.split())
    if not 2 <= len(name) <= 120:
        raise ValidationFailed("The company name must be 2-120 characters.")
    slug = validate_slug(slug)
    # The user row is locked so that concurrent creations by one user count each other.
    if session.exec(select(User.id).where(User.id == user_id).with_for_update()).first() is None:
        session.rollback()
        raise NotFound()
    now = utcnow()
    recent = session.scalar(
        select(sa.func.count()).where(
            Workspace.created_by_user_id == user_id, col(Workspace.created_at) > now - RATE_WINDOW
        )
    )
    if (recent or 0) >= WORKSPACES_PER_USER:
        session.rollback()
        log.warning("workspace creation rate limited", extra={"user_id": user_id})
        raise RateLimited(TOO_MANY_WORKSPACES)
    ws = Workspace(
        name=name,
        slug=slug,
        portal_enabled=portal_enabled,
        default_currency=currency.upper()[:3],
        created_at=now,
        created_by_user_id=user_id,
    )
    try:
        session.add(ws)
        session.flush()
        assert ws.id is not None
        session.add(Membership(workspace_id=ws.id, user_id=user_id, role=Role.OWNER))
        audit.append_event(
            session,
            workspace_id=ws.id,
            actor=None,
            actor_override=("staff", user_id),
            action="workspace.created",
            target_type="workspace",
            target_id=ws.id,
            data={"name": name, "slug": slug, "portal_enabled": portal_enabled},
        )
        session.commit()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("That web address is already taken. Please choose another.") from exc
    return WorkspaceRead.model_validate(ws)


def get_workspace(session: Session, actor: Actor) -> WorkspaceRead:
    """The actor's own workspace (staff only)."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    ws = session.get(Workspace, staff.workspace_id)
    if ws is None:
        raise NotFound()
    return WorkspaceRead.model_validate(ws)


def list_user_workspaces(session: Session, user_id: int) -> list[tuple[WorkspaceRead, Role]]:
    """Workspaces a signed-in user belongs to (for the switcher); at most a handful per user."""
    rows = session.exec(
        select(Workspace, Membership.role)
        .join(Membership, Membership.workspace_id == Workspace.id)  # type: ignore[arg-type]
        .where(Membership.user_id == user_id)
        .order_by(Workspace.name)
        .limit(100)
    ).all()
    return [(WorkspaceRead.model_validate(ws), Role(role)) for ws, role in rows]


def set_portal_enabled(session: Session, actor: Actor, *, enabled: bool) -> WorkspaceRead:
    """Turn the Customer Portal module on or off; off closes every contact's access at once."""
    staff = require_staff(actor, Permission.WORKSPACE_MANAGE)
    ws = lock_workspace(session, staff.workspace_id)
    if ws.portal_enabled != enabled:
        ws.portal_enabled = enabled
        session.add(ws)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="portal.enabled" if enabled else "portal.disabled",
            target_type="workspace",
            target_id=ws.id,
        )
    session.commit()
    return WorkspaceRead.model_validate(ws)


def set_customer_mails(session: Session, actor: Actor, *, enabled: bool) -> WorkspaceRead:
    """Turn notification mails to the workspace's contacts on or off (``workspace:manage``: owners and managers).

    Off, no contact receives a notification mail (shared records, document requests, rejections, replies); their
    sign-in links and staff mails still go out. Audited when it changes."""
    staff = require_staff(actor, Permission.WORKSPACE_MANAGE)
    if not isinstance(enabled, bool):
        raise ValidationFailed("Choose on or off.")
    ws = lock_workspace(session, staff.workspace_id)
    if ws.customer_mails_enabled != enabled:
        ws.customer_mails_enabled = enabled
        session.add(ws)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="workspace.customer_mails_on" if enabled else "workspace.customer_mails_off",
            target_type="workspace",
            target_id=ws.id,
        )
    session.commit()
    return WorkspaceRead.model_validate(ws)


MAX_PAYMENT_INSTRUCTIONS = 2000


def set_payment_instructions(session: Session, actor: Actor, text: str) -> WorkspaceRead:
    """How customers pay (bank details, references to quote): printed on invoice and statement PDFs.

    Staff with ``invoices:manage`` (finance/admin reviewer, manager, owner). Line breaks are kept, other white
    space trimmed; at most 2,000 characters (``ValidationFailed``). Audited when it changes.
    """
    staff = require_staff(actor, Permission.INVOICES_MANAGE)
    if not isinstance(text, str):
        raise ValidationFailed("Enter the payment instructions as text.")
    lines = [" ".join(line.split()) for line in text.replace("\r\n", "\n").replace("\r", "\n").split("\n")]
    clean = "\n".join(lines).strip()
    while "\n\n\n" in clean:
        clean = clean.replace("\n\n\n", "\n\n")
    if len(clean) > MAX_PAYMENT_INSTRUCTIONS:
        raise ValidationFailed(
            f"Keep the payment instructions to {MAX_PAYMENT_INSTRUCTIONS:,} characters or fewer."
        )
    ws = lock_workspace(session, staff.workspace_id)
    if ws.payment_instructions != clean:
        ws.payment_instructions = clean
        session.add(ws)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="workspace.payment_instructions_changed",
            target_type="workspace",
            target_id=ws.id,
            data={"length": len(clean)},
        )
    session.commit()
    return WorkspaceRead.model_validate(ws)


def set_workspace_status(
    session: Session, actor: Actor, workspace_id: int, *, suspended: bool, reason: str
) -> WorkspaceStatus:
    """Platform operators suspend or reinstate a workspace, always with a reason; logged on both chains."""
    if not isinstance(actor, OperatorActor):
        raise NotFound()
    reason = " ".join(reason.split())
    if not 5 <= len(reason) <= 500:
        raise ValidationFailed("Give a reason of 5-500 characters.")
    ws = lock_workspace(session, workspace_id)
    ws.status = WorkspaceStatus.SUSPENDED if suspended else WorkspaceStatus.ACTIVE
    ws.status_reason = reason
    session.add(ws)
    action = "workspace.suspended" if suspended else "workspace.reinstated"
    for chain in (workspace_id, audit.PLATFORM_CHAIN):
        audit.append_event(
            session,
            workspace_id=chain,
            actor=actor,
            actor_override=("operator", actor.user_id),
            action=action,
            target_type="workspace",
            target_id=workspace_id,
            data={"reason": reason, "operator": actor.email},
        )
    session.commit()
    return ws.status
