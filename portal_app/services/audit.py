"""Append-only audit trail, hash-chained per workspace.

Each event's hash covers its canonical JSON and the previous event's hash, so editing or deleting any row breaks
the chain from that point; the workspace row keeps the chain head so a deleted last row is caught too. Appends
lock the workspace row, so concurrent appends still form one chain.

The hash is an HMAC-SHA-256 keyed from ``PORTAL_SESSION_SECRET``: someone who can write to the database but does not
hold the secret cannot edit a row and then rebuild the chain after it. Rotation: put the old secret in
``PORTAL_SESSION_SECRET_PREVIOUS`` (events sealed with it keep verifying), then ``manage reseal-audit`` re-seals every
chain with the new secret after checking it, and the old secret can be dropped.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models import AuditEvent, PlatformState, Workspace, utcnow
from models.schemas import AuditEventRead
from portal_app.services.access import (
    Actor,
    ContactActor,
    OperatorActor,
    StaffActor,
    lock_workspace,
    require_staff,
)
from portal_app.services.permissions import Permission
from portal_app.settings import get_settings

PLATFORM_CHAIN = 0
GENESIS = "0" * 64


def _canonical(event: AuditEvent) -> str:
    fields: dict[str, Any] = {
        "workspace_id": event.workspace_id,
        "seq": event.seq,
        "actor_kind": event.actor_kind,
        "actor_id": event.actor_id,
        "action": event.action,
        "target_type": event.target_type,
        "target_id": event.target_id,
        "data": event.data,
        "created_at": event.created_at.isoformat(timespec="microseconds"),
        "prev_hash": event.prev_hash,
    }
    # Sealed only when set, so events written before the column existed keep their hashes.
    if event.account_id is not None:
        fields["account_id"] = event.account_id
    return json.dumps(fields, sort_keys=True, separators=(",", ":"))


# The audit key is derived from the secret rather than being the secret, so the one value serves several purposes
# without the audit chain ever holding material that works elsewhere.
_KEY_LABEL = b"customer-portal audit chain v1"


def _derive_key(secret: str) -> bytes:
    return hmac.new(secret.encode(), _KEY_LABEL, hashlib.sha256).digest()


def chain_keys() -> list[bytes]:
    """The current audit key first, then the keys of the previous secrets still accepted when verifying."""
    settings = get_settings()
    secrets = [settings.session_secret, *settings.session_secret_previous]
    return list(dict.fromkeys(_derive_key(s.get_secret_value()) for s in secrets))


def _digest(event: AuditEvent, key: bytes | None = None) -> str:
    return hmac.new(key or chain_keys()[0], _canonical(event).encode(), hashlib.sha256).hexdigest()


def _unkeyed_digest(event: AuditEvent) -> str:
    """How chains were sealed before they were keyed; accepted only by ``reseal_chain(accept_unkeyed=True)``."""
    return hashlib.sha256(_canonical(event).encode()).hexdigest()


def _sealed(event: AuditEvent, keys: Sequence[bytes], *, accept_unkeyed: bool = False) -> bool:
    if any(hmac.compare_digest(_digest(event, key), event.hash) for key in keys):
        return True
    return accept_unkeyed and hmac.compare_digest(_unkeyed_digest(event), event.hash)


def _actor_fields(actor: Actor | None) -> tuple[str, int | None]:
    if isinstance(actor, StaffActor):
        return "staff", actor.user_id
    if isinstance(actor, ContactActor):
        return "contact", actor.contact_id
    if isinstance(actor, OperatorActor):
        return "operator", actor.user_id
    return "system", None


def _lock_platform() -> SelectOfScalar[PlatformState]:
    """The platform chain's head row, locked and read afresh (never as the session already holds it)."""
    return (
        select(PlatformState)
        .where(PlatformState.id == 1)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _ensure_platform_head(session: Session) -> None:
    """Create the platform chain's head row if it is missing, without a race: the first operator events of a fresh
    deployment may arrive together, and a SELECT ... FOR UPDATE locks nothing while the row does not exist. An
    INSERT that does nothing on conflict lets every caller go on to lock the one row."""
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        from sqlalchemy.dialects.postgresql import insert as pg_insert

        session.execute(
            pg_insert(PlatformState).values(id=1, audit_seq=0, audit_head="").on_conflict_do_nothing()
        )
    elif dialect == "sqlite":
        from sqlalchemy.dialects.sqlite import insert as sqlite_insert

        session.execute(
            sqlite_insert(PlatformState).values(id=1, audit_seq=0, audit_head="").on_conflict_do_nothing()
        )
    elif session.get(PlatformState, 1) is None:  # other engines: the plain way
        session.add(PlatformState(id=1))
        session.flush()


def append_event(
    session: Session,
    *,
    workspace_id: int,
    actor: Actor | None,
    action: str,
    target_type: str = "",
    target_id: int | None = None,
    data: dict[str, Any] | None = None,
    actor_override: tuple[str, int | None] | None = None,
    account_id: int | None = None,
) -> AuditEvent:
    """Add an event to the workspace's chain inside the caller's transaction (the caller commits).

    ``account_id`` is the customer account the event concerns (defaults to ``data["account_id"]``, and a contact's
    own account); it files the event under the account's timeline. ``data`` must never hold tokens, cookies or
    file contents.
    """
    if account_id is None and data and isinstance(data.get("account_id"), int):
        account_id = data["account_id"]
    if account_id is None and isinstance(actor, ContactActor):
        account_id = actor.account_id
    if workspace_id == PLATFORM_CHAIN:
        _ensure_platform_head(session)
        platform = session.exec(_lock_platform()).one()
        head: PlatformState | Workspace = platform
    else:
        head = lock_workspace(session, workspace_id)
    actor_kind, actor_id = actor_override or _actor_fields(actor)
    created = utcnow()
    event = AuditEvent(
        workspace_id=workspace_id,
        seq=head.audit_seq + 1,
        actor_kind=actor_kind,
        actor_id=actor_id,
        action=action,
        target_type=target_type,
        target_id=target_id,
        account_id=account_id,
        data=json.dumps(data or {}, sort_keys=True, separators=(",", ":"), default=str),
        created_at=created,
        prev_hash=head.audit_head or GENESIS,
        hash="",
    )
    event.hash = _digest(event)
    head.audit_seq = event.seq
    head.audit_head = event.hash
    session.add(event)
    session.add(head)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainReport:
    ok: bool
    events: int
    first_broken_seq: int | None = None
    first_broken_id: int | None = None
    reason: str = ""


def _head_now(session: Session, workspace_id: int) -> tuple[int, str]:
    """The chain head (last seq, its hash) as the database holds it now: plain columns, never a row already in
    the session's identity map (the actor's workspace row, read before later events were committed)."""
    if workspace_id == PLATFORM_CHAIN:
        query = select(PlatformState.audit_seq, PlatformState.audit_head).where(PlatformState.id == 1)
    else:
        query = select(Workspace.audit_seq, Workspace.audit_head).where(Workspace.id == workspace_id)
    found = session.exec(query).first()
    return (int(found[0]), str(found[1] or "")) if found else (0, "")


def verify_chain(session: Session, workspace_id: int, *, accept_unkeyed: bool = False) -> ChainReport:
    """Walk a workspace's chain in order; name the first event that was edited, removed or reordered, or sealed
    with a key this deployment does not hold.

    The head is read first and the walk stops at it: events appended while the check runs are the next check's,
    and the chain up to the head must end exactly at the head's hash (a removed latest event shows)."""
    head_seq, head_hash = _head_now(session, workspace_id)
    keys = chain_keys()
    expected_prev = GENESIS
    expected_seq = 1
    count = 0
    query = (
        select(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, col(AuditEvent.seq) <= head_seq)
        .order_by(col(AuditEvent.seq))
    )
    for event in session.exec(query.execution_options(yield_per=500)):
        count += 1
        if event.seq != expected_seq:
            return ChainReport(False, count, expected_seq, None, f"event #{expected_seq} is missing")
        if event.prev_hash != expected_prev:
            return ChainReport(
                False, count, event.seq, event.id, f"event #{event.seq} does not follow its predecessor"
            )
        if not _sealed(event, keys, accept_unkeyed=accept_unkeyed):
            return ChainReport(False, count, event.seq, event.id, f"event #{event.seq} was altered")
        expected_prev = event.hash
        expected_seq += 1
    if head_seq != count or (count and head_hash != expected_prev):
        return ChainReport(False, count, count + 1, None, f"event #{count + 1} (the latest) was removed")
    return ChainReport(True, count)


def _head(session: Session, workspace_id: int) -> PlatformState | Workspace | None:
    if workspace_id == PLATFORM_CHAIN:
        return session.exec(_lock_platform()).first()
    return lock_workspace(session, workspace_id)


def reseal_chain(session: Session, workspace_id: int, *, accept_unkeyed: bool = False) -> ChainReport:
    """Re-seal a chain with the current key after key rotation (or once, for chains sealed before keying).

    The chain must first verify under the accepted keys: a broken chain is reported and left exactly as it is, so
    resealing can never launder a tampered row. Runs under the chain's lock; the caller commits.
    """
    head = _head(session, workspace_id)
    report = verify_chain(session, workspace_id, accept_unkeyed=accept_unkeyed)
    if not report.ok or head is None:
        return report
    key = chain_keys()[0]
    prev = GENESIS
    query = select(AuditEvent).where(AuditEvent.workspace_id == workspace_id).order_by(AuditEvent.seq)  # type: ignore[arg-type]
    for event in session.exec(query).all():
        event.prev_hash = prev
        event.hash = _digest(event, key)
        prev = event.hash
        session.add(event)
    head.audit_head = prev if report.events else head.audit_head
    session.add(head)
    session.flush()
    return report


def list_events(
    session: Session, actor: Actor, *, limit: int = 50, before_seq: int | None = None
) -> list[AuditEventRead]:
    """Newest first, one page; scoped to the staff member's workspace and the ``audit:read`` permission."""
    staff = require_staff(actor, Permission.AUDIT_READ)
    query = select(AuditEvent).where(AuditEvent.workspace_id == staff.workspace_id)
    if before_seq is not None:
        query = query.where(AuditEvent.seq < before_seq)
    rows = session.exec(query.order_by(AuditEvent.seq.desc()).limit(max(1, min(limit, 200))))  # type: ignore[attr-defined]
    return [AuditEventRead.model_validate(r) for r in rows]
