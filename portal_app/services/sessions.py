"""Server-side sessions: the cookie holds a random token, the table holds only its SHA-256.

Resolution runs on every event and request, so a removed member, a changed role, a deactivated contact, a
suspended workspace or a closed portal takes effect at once.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, NoReturn

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuthSession, SessionKind, User, utcnow
from portal_app.services import access, tokens
from portal_app.services.access import Actor, ContactActor, OperatorActor, StaffActor
from portal_app.services.errors import NotFound
from portal_app.settings import get_settings

COOKIE_NAME = "portal_session"
# Touch last_seen_at at most this often: keeps idle expiry honest without a write on every event.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedSession:
    token: str  # goes into the HttpOnly cookie, nowhere else
    expires_at: datetime
    max_age_seconds: int


@dataclass(frozen=True)
class Principal:
    """Who a session belongs to, and the actor it may act as right now (None: signed in, nothing to act on yet)."""

    kind: SessionKind
    session_id: int
    user_id: int | None
    contact_id: int | None
    workspace_id: int | None
    account_id: int | None
    actor: Actor | None


def _limits() -> tuple[timedelta, timedelta]:
    s = get_settings()
    return timedelta(minutes=s.session_idle_minutes), timedelta(hours=s.session_absolute_hours)


def create_session(
    session: Session,
    *,
    kind: SessionKind,
    user_id: int | None = None,
    contact_id: int | None = None,
    workspace_id: int | None = None,
    account_id: int | None = None,
    replace_token: str | None = None,
) -> IssuedSession:
    """Start a session (the caller commits). Any session behind ``replace_token`` ends: ids rotate at sign-in."""
    if replace_token:
        end_session(session, replace_token, commit=False)
    _, absolute = _limits()
    now = utcnow()
    token = tokens.new_token()
    session.add(
        AuthSession(
            token_hash=tokens.hash_token(token),
            kind=kind,
            user_id=user_id,
            contact_id=contact_id,
            workspace_id=workspace_id,
            account_id=account_id,
            created_at=now,
            last_seen_at=now,
            expires_at=now + absolute,
        )
    )
    session.flush()
    return IssuedSession(
        token=token, expires_at=now + absolute, max_age_seconds=int(absolute.total_seconds())
    )


@functools.cache
def _row_query() -> Any:
    """The lookup every event makes, built once with a bound parameter (building it cost more than running it)."""
    return select(AuthSession).where(AuthSession.token_hash == sa.bindparam("token_hash"))


def _row(session: Session, token: str | None) -> AuthSession | None:
    if not token or len(token) > 200:
        return None
    row = session.exec(_row_query(), params={"token_hash": tokens.hash_token(token)}).first()
    if row is None:
        return None
    idle, _ = _limits()
    now = utcnow()
    if row.expires_at <= now or row.last_seen_at + idle <= now:
        session.delete(row)
        session.commit()
        return None
    if now - row.last_seen_at >= TOUCH_EVERY:
        session.execute(  # type: ignore[deprecated]
            sa.update(AuthSession).where(col(AuthSession.id) == row.id).values(last_seen_at=now)
        )
        session.commit()
    return row


def resolve(session: Session, token: str | None) -> Principal | None:
    """The principal behind a cookie value, or None when it is unknown, expired or idle too long.

    The actor is re-resolved from the current membership / contact access every time; when that is refused
    (removed, deactivated, suspended, portal off) the principal comes back with ``actor=None``.
    """
    row = _row(session, token)
    if row is None:
        return None
    assert row.id is not None
    actor: Actor | None = None
    try:
        if row.kind is SessionKind.STAFF and row.user_id is not None and row.workspace_id is not None:
            actor = access.resolve_staff(session, user_id=row.user_id, workspace_id=row.workspace_id)
        elif row.kind is SessionKind.CONTACT and row.contact_id is not None and row.account_id is not None:
            actor = access.resolve_contact(session, contact_id=row.contact_id, account_id=row.account_id)
        elif row.kind is SessionKind.OPERATOR and row.user_id is not None:
            actor = operator_actor(session, row.user_id)
    except NotFound:
        actor = None
    return Principal(
        kind=row.kind,
        session_id=row.id,
        user_id=row.user_id,
        contact_id=row.contact_id,
        workspace_id=row.workspace_id,
        account_id=row.account_id,
        actor=actor,
    )


def operator_actor(session: Session, user_id: int) -> OperatorActor | None:
    """An operator is a user whose verified email is listed in settings; re-checked on every request."""
    user = session.get(User, user_id)
    allowed = {e.strip().lower() for e in get_settings().operator_emails}
    if user is None or not user.email_verified or user.email.lower() not in allowed:
        return None
    return OperatorActor(email=user.email.lower(), user_id=user_id)


def staff_actor(session: Session, token: str | None) -> StaffActor | None:
    principal = resolve(session, token)
    return principal.actor if principal and isinstance(principal.actor, StaffActor) else None


def contact_actor(session: Session, token: str | None) -> ContactActor | None:
    principal = resolve(session, token)
    return principal.actor if principal and isinstance(principal.actor, ContactActor) else None


def end_session(session: Session, token: str | None, *, commit: bool = True) -> None:
    """Sign out: the session row is deleted, so the cookie is worthless even if kept."""
    if token and len(token) <= 200:
        session.execute(  # type: ignore[deprecated]
            sa.delete(AuthSession).where(col(AuthSession.token_hash) == tokens.hash_token(token))
        )
    if commit:
        session.commit()


def _refuse_switch(row: AuthSession | None, what: str, target: int) -> NoReturn:
    """A switch asked for by no session or the wrong kind of session: logged, then the answer of a missing target."""
    if row is None:
        access.log_authorization_failure("anonymous", None, what, target)
    else:
        access.log_authorization_failure(row.kind.value, row.user_id or row.contact_id, what, target)
    raise NotFound()


def switch_workspace(session: Session, token: str | None, workspace_id: int) -> StaffActor:
    """Point a staff session at another workspace the user belongs to; ``NotFound`` otherwise."""
    row = _row(session, token)
    if row is None or row.kind is not SessionKind.STAFF or row.user_id is None:
        _refuse_switch(row, "switch-workspace", workspace_id)
    assert row is not None and row.user_id is not None
    actor = access.resolve_staff(session, user_id=row.user_id, workspace_id=workspace_id)
    row.workspace_id = workspace_id
    session.add(row)
    session.commit()
    return actor


def switch_account(session: Session, token: str | None, account_id: int) -> ContactActor:
    """Point a contact session at another account the contact is linked to; ``NotFound`` otherwise."""
    row = _row(session, token)
    if row is None or row.kind is not SessionKind.CONTACT or row.contact_id is None:
        _refuse_switch(row, "switch-account", account_id)
    assert row is not None and row.contact_id is not None
    actor = access.resolve_contact(session, contact_id=row.contact_id, account_id=account_id)
    row.account_id = account_id
    session.add(row)
    session.commit()
    return actor


def revoke_user_sessions(session: Session, user_id: int) -> int:
    """End every session of a user (the caller commits)."""
    result = session.execute(sa.delete(AuthSession).where(col(AuthSession.user_id) == user_id))  # type: ignore[deprecated]
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def purge_expired(session: Session) -> int:
    idle, _ = _limits()
    now = utcnow()
    result = session.execute(  # type: ignore[deprecated]
        sa.delete(AuthSession).where(
            sa.or_(col(AuthSession.expires_at) <= now, col(AuthSession.last_seen_at) <= now - idle)
        )
    )
    session.commit()
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
