"""Sign-in outcomes, independent of the identity provider: pending logins, staff, contact and operator sign-in.

The HTTP layer (``portal_app/api/auth.py``) runs the OIDC flow and hands over only a fully validated identity.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    Contact,
    ContactAccess,
    ContactStatus,
    Membership,
    OidcLogin,
    SessionKind,
    User,
    Workspace,
    WorkspaceStatus,
    utcnow,
)
from models.schemas import WorkspaceRead
from portal_app.services import access, audit, sessions, tokens, workspaces
from portal_app.services.claims import claim
from portal_app.services.errors import NotFound, RateLimited
from portal_app.services.sessions import IssuedSession
from portal_app.settings import get_settings

log = logging.getLogger("portal.security")

LOGIN_TTL = timedelta(minutes=10)
LOGIN_RATE_WINDOW = timedelta(minutes=10)
LOGIN_RATE_LIMIT = 30  # sign-in starts per client address per window
SIGN_IN_REFUSED = "Sign-in did not complete. Please start again."
NO_PORTAL_ACCESS = (
    "We could not find portal access for this account. Ask your contact at the company for an invitation."
)


@dataclass(frozen=True)
class VerifiedIdentity:
    """Claims from an ID token whose signature, issuer, audience, expiry and nonce were all checked."""

    issuer: str
    subject: str
    email: str
    email_verified: bool
    name: str = ""


@dataclass(frozen=True)
class PendingLogin:
    state: str
    nonce: str
    code_verifier: str


def client_hash(address: str) -> str:
    return hashlib.sha256(f"client:{address}".encode()).hexdigest()


def safe_next(path: str | None, default: str) -> str:
    """Only site-relative targets: an open redirect would hand the session's first page to anyone."""
    if path and path.startswith("/") and not path.startswith("//") and "\\" not in path and len(path) <= 300:
        return path
    return default


def login_secrets(state: str) -> tuple[str, str]:
    """The nonce and PKCE verifier of the sign-in started with ``state``: HMAC-SHA256 of the state under the session
    secret, so they are never stored. The state travels in URLs; without the secret nobody can derive the verifier
    from it. (A sign-in pending while the secret is rotated fails once and is started again.)"""
    key = get_settings().session_secret.get_secret_value().encode()

    def derive(label: str) -> str:
        digest = hmac.new(key, f"oidc-{label}\0{state}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()  # 43 characters: what PKCE asks for

    return derive("nonce"), derive("pkce-verifier")


def limit_starts(
    session: Session, model: Any, client: str, *, since: datetime, limit: int, what: str = "sign-in"
) -> None:
    """``RateLimited`` when the client (``client_hash``) started ``limit`` or more sign-ins of this kind (rows of
    ``model``, which has ``client_hash`` and ``created_at``) since ``since``: counted in the database, so every
    worker sees the same count."""
    recent = session.scalar(
        select(sa.func.count()).where(model.client_hash == client, col(model.created_at) > since)
    )
    if (recent or 0) >= limit:
        log.warning(f"{what} rate limited", extra={"client": client[:12]})
        raise RateLimited()


def start_login(
    session: Session, *, purpose: SessionKind, next_path: str = "", client: str = ""
) -> PendingLogin:
    """Store a new single-use state (its hash); the nonce and PKCE verifier come from ``login_secrets``.
    ``RateLimited`` after too many starts per client."""
    now = utcnow()
    ch = client_hash(client)
    limit_starts(
        session, OidcLogin, ch, since=now - LOGIN_RATE_WINDOW, limit=LOGIN_RATE_LIMIT, what="sign-in"
    )
    state = tokens.new_token()
    nonce, verifier = login_secrets(state)
    pending = PendingLogin(state=state, nonce=nonce, code_verifier=verifier)
    session.add(
        OidcLogin(
            state_hash=tokens.hash_token(pending.state),
            purpose=purpose,
            next_path=next_path[:300],
            client_hash=ch,
            created_at=now,
            expires_at=now + LOGIN_TTL,
        )
    )
    # Old pending logins are useless after their TTL; drop them as we go.
    session.execute(sa.delete(OidcLogin).where(col(OidcLogin.expires_at) < now - LOGIN_TTL))  # type: ignore[deprecated]
    session.commit()
    return pending


def consume_login(session: Session, state: str | None) -> OidcLogin:
    """Take the pending login for ``state`` exactly once; a replayed, unknown or expired state raises ``NotFound``."""
    if not state or len(state) > 200:
        raise NotFound(SIGN_IN_REFUSED)
    now = utcnow()
    state_hash = tokens.hash_token(state)
    if not claim(
        session,
        OidcLogin,
        col(OidcLogin.state_hash) == state_hash,
        col(OidcLogin.used_at).is_(None),
        col(OidcLogin.expires_at) > now,
        used_at=now,
    ):
        log.warning("sign-in refused: unknown, replayed or expired state")
        raise NotFound(SIGN_IN_REFUSED)
    session.commit()
    return session.exec(select(OidcLogin).where(OidcLogin.state_hash == state_hash)).one()


def _upsert_user(session: Session, identity: VerifiedIdentity) -> User:
    user = session.exec(
        select(User).where(User.issuer == identity.issuer, User.subject == identity.subject)
    ).first()
    if user is None:
        user = User(issuer=identity.issuer, subject=identity.subject, email="", name="")
    user.email = identity.email.strip().lower()[:320]
    user.email_verified = bool(identity.email_verified)
    user.name = (identity.name or "").strip()[:200]
    user.last_sign_in_at = utcnow()
    session.add(user)
    session.flush()
    return user


def sign_in_staff(
    session: Session, identity: VerifiedIdentity, *, replace_token: str | None = None
) -> tuple[IssuedSession, bool]:
    """Create a staff session. Returns (session, has_workspace): a new user goes to onboarding first."""
    user = _upsert_user(session, identity)
    assert user.id is not None
    membership = session.exec(
        select(Membership)
        .join(Workspace, col(Workspace.id) == Membership.workspace_id)
        .where(Membership.user_id == user.id, Workspace.status == WorkspaceStatus.ACTIVE)
        .order_by(col(Membership.id))
    ).first()
    workspace_id = membership.workspace_id if membership else None
    issued = sessions.create_session(
        session,
        kind=SessionKind.STAFF,
        user_id=user.id,
        workspace_id=workspace_id,
        replace_token=replace_token,
    )
    if workspace_id is not None:
        audit.append_event(
            session,
            workspace_id=workspace_id,
            actor=None,
            actor_override=("staff", user.id),
            action="auth.signed_in",
            target_type="user",
            target_id=user.id,
        )
    session.commit()
    log.info("staff signed in", extra={"user_id": user.id})
    return issued, workspace_id is not None


def contact_links_for_email(session: Session, email: str) -> list[tuple[Contact, ContactAccess]]:
    """Usable portal links for an email: contact not deactivated, workspace active with the portal on."""
    rows = session.exec(
        select(Contact, ContactAccess)
        .join(ContactAccess, col(ContactAccess.contact_id) == Contact.id)
        .join(Workspace, col(Workspace.id) == Contact.workspace_id)
        .where(
            sa.func.lower(Contact.email) == email.strip().lower(),
            Contact.status != ContactStatus.DEACTIVATED,
            Workspace.status == WorkspaceStatus.ACTIVE,
            Workspace.portal_enabled == sa.true(),
        )
        .order_by(col(ContactAccess.id))
        .limit(50)
    ).all()
    return [(c, a) for c, a in rows]


def start_contact_session(
    session: Session, contact: Contact, account_id: int, *, replace_token: str | None = None, via: str
) -> IssuedSession:
    """Activate the contact on first sign-in and open a session scoped to one linked account (the caller commits)."""
    assert contact.id is not None
    if contact.status is ContactStatus.INVITED:
        contact.status = ContactStatus.ACTIVE
        session.add(contact)
    issued = sessions.create_session(
        session,
        kind=SessionKind.CONTACT,
        contact_id=contact.id,
        account_id=account_id,
        replace_token=replace_token,
    )
    audit.append_event(
        session,
        workspace_id=contact.workspace_id,
        actor=None,
        actor_override=("contact", contact.id),
        action="auth.contact_signed_in",
        target_type="contact",
        target_id=contact.id,
        data={"via": via, "account_id": account_id},
    )
    return issued


def sign_in_contact(
    session: Session, identity: VerifiedIdentity, *, replace_token: str | None = None
) -> IssuedSession:
    """A contact signing in with Google: the verified email must match a contact with portal access."""
    if not identity.email_verified:
        log.warning("contact sign-in refused: unverified email")
        raise NotFound(NO_PORTAL_ACCESS)
    links = contact_links_for_email(session, identity.email)
    if not links:
        log.warning("contact sign-in refused: no portal access")
        raise NotFound(NO_PORTAL_ACCESS)
    contact, link = links[0]
    user = _upsert_user(session, identity)
    if contact.user_id is None:
        contact.user_id = user.id
    issued = start_contact_session(session, contact, link.account_id, replace_token=replace_token, via="oidc")
    session.commit()
    return issued


def sign_in_operator(
    session: Session, identity: VerifiedIdentity, *, replace_token: str | None = None
) -> IssuedSession:
    """Operators are listed in settings by verified email; anyone else is refused with the generic answer."""
    user = _upsert_user(session, identity)
    assert user.id is not None
    if sessions.operator_actor(session, user.id) is None:
        session.rollback()
        log.warning("operator sign-in refused")
        raise NotFound(SIGN_IN_REFUSED)
    issued = sessions.create_session(
        session, kind=SessionKind.OPERATOR, user_id=user.id, replace_token=replace_token
    )
    audit.append_event(
        session,
        workspace_id=audit.PLATFORM_CHAIN,
        actor=None,
        actor_override=("operator", user.id),
        action="auth.operator_signed_in",
        target_type="user",
        target_id=user.id,
    )
    session.commit()
    return issued


def complete_onboarding(
    session: Session, token: str | None, *, name: str, slug: str, portal_enabled: bool
) -> WorkspaceRead:
    """A signed-in staff user creates a workspace, becomes its owner and the session switches to it."""
    principal = sessions.resolve(session, token)
    if principal is None or principal.kind is not SessionKind.STAFF or principal.user_id is None:
        kind = "anonymous" if principal is None else principal.kind.value
        who = None if principal is None else principal.user_id or principal.contact_id
        access.log_authorization_failure(kind, who, "create-workspace", None)
        raise NotFound()
    ws = workspaces.create_workspace(
        session, principal.user_id, name=name, slug=slug, portal_enabled=portal_enabled
    )
    sessions.switch_workspace(session, token, ws.id)
    return ws
