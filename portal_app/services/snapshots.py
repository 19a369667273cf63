"""Statement snapshots: a statement staff shared with an account, frozen as it was computed at that moment.

Later payments, voids or corrections never change a shared snapshot: the contact and the team keep seeing what
was sent. Staff with ``invoices:manage`` share; staff with ``statements:read`` and the account's contacts with
``billing`` read. The table is not in ``access.RECORD_RULES`` (it has no state machine and no contact actions),
so every query here filters by ``workspace_id`` (and ``account_id`` for contacts) itself, and missing and
not-yours raise the same ``NotFound``.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models import StatementSnapshot, User, utcnow
from models.schemas import MAX_PAGE_SIZE, Page, StatementRead, fetch_rows
from portal_app import formatting
from portal_app.services import audit, notify, statements
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    lock_workspace,
    log_authorization_failure,
    require_contact,
    require_staff,
)
from portal_app.services.errors import NotFound
from portal_app.services.permissions import ContactPermission, Permission

# Shown when the member who shared it has no display name (an e-mail address is not shown to contacts).
UNNAMED_SHARER = "Your account team"


class SnapshotRead(BaseModel):
    """A shared statement. Customer-facing by construction: ``statement`` is a ``StatementRead``."""

    model_config = ConfigDict(frozen=True)

    id: int
    account_id: int
    period_start: date
    period_end: date
    shared_at: datetime
    shared_by: str
    statement: StatementRead


def _canonical(statement: StatementRead) -> str:
    return json.dumps(statement.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))


def _read(row: StatementSnapshot, sharer: str | None) -> SnapshotRead:
    assert row.id is not None
    return SnapshotRead(
        id=row.id,
        account_id=row.account_id,
        period_start=row.period_start,
        period_end=row.period_end,
        shared_at=row.shared_at,
        shared_by=(sharer or "").strip() or UNNAMED_SHARER,
        statement=StatementRead.model_validate_json(row.statement_json),
    )


def _with_sharer() -> Any:
    return select(StatementSnapshot, User.name).join(
        User,
        User.id == StatementSnapshot.shared_by_user_id,  # type: ignore[arg-type]
    )


def _page(
    session: Session, query: Any, *, offset: int, limit: int, small: bool = False
) -> Page[SnapshotRead]:
    """A page of shared statements, newest first; ``small``: one account's (see ``fetch_rows``)."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    rows, total = fetch_rows(
        session,
        query.order_by(col(StatementSnapshot.shared_at).desc(), col(StatementSnapshot.id).desc()),
        offset=offset,
        limit=limit,
        small=small,
    )
    return Page[SnapshotRead](
        items=[_read(row[0], row[1]) for row in rows], total=int(total), offset=offset, limit=limit
    )


def share_statement(
    session: Session, actor: Actor, account_id: int, *, period_start: date, period_end: date
) -> SnapshotRead:
    """Freeze the account's statement for the period and share it with the account's billing contacts.

    Scoped: staff with ``invoices:manage`` (finance reviewer, manager, owner) for an account of their workspace;
    contacts and operators get ``NotFound``, a team lead ``Forbidden``, another workspace's account ``NotFound``.
    ``ValidationFailed`` for a bad period (see ``statements.compute_statement``). Sharing a statement identical
    to one already shared for the same account and period returns that one instead of a duplicate.
    Audit: ``statement.shared``. Commits.
    """
    staff = require_staff(actor, Permission.INVOICES_MANAGE)
    statement = statements.compute_statement(
        session, staff, account_id, period_start=period_start, period_end=period_end
    )
    frozen = _canonical(statement)
    # The workspace row lock serialises shares (and the audit chain), so a double click finds the first one.
    lock_workspace(session, staff.workspace_id)
    same = session.exec(
        _with_sharer()
        .where(
            StatementSnapshot.workspace_id == staff.workspace_id,
            StatementSnapshot.account_id == account_id,
            StatementSnapshot.period_start == period_start,
            StatementSnapshot.period_end == period_end,
        )
        .order_by(col(StatementSnapshot.shared_at).desc(), col(StatementSnapshot.id).desc())
        .limit(1)
    ).first()
    if same is not None and same[0].statement_json == frozen:
        existing = _read(same[0], same[1])
        session.rollback()  # releases the lock: nothing to write
        return existing

    row = StatementSnapshot(
        workspace_id=staff.workspace_id,
        account_id=account_id,
        period_start=period_start,
        period_end=period_end,
        currency=statement.currency,
        statement_json=frozen,
        shared_by_user_id=staff.user_id,
        shared_at=utcnow(),
    )
    session.add(row)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="statement.shared",
        target_type="statement_snapshot",
        target_id=row.id,
        data={
            "account_id": account_id,
            "period_start": period_start.isoformat(),
            "period_end": period_end.isoformat(),
            "closing_balance_minor": statement.closing_balance_minor,
            "currency": statement.currency,
        },
    )
    assert row.id is not None
    notify.record_shared(
        session,
        workspace_id=staff.workspace_id,
        account_id=account_id,
        kind="statement",
        record_id=row.id,
        title=f"Statement {formatting.day(period_start)} to {formatting.day(period_end)}",
    )
    session.commit()
    user = session.get(User, staff.user_id)
    return _read(row, user.name if user else None)


def list_snapshots(
    session: Session, actor: Actor, *, account_id: int | None = None, offset: int = 0, limit: int = 25
) -> Page[SnapshotRead]:
    """The workspace's shared statements, newest first, optionally of one account.

    Scoped: staff with ``statements:read``; an ``account_id`` of another workspace matches nothing.
    """
    staff = require_staff(actor, Permission.STATEMENTS_READ)
    query = _with_sharer().where(StatementSnapshot.workspace_id == staff.workspace_id)
    if account_id is not None:
        query = query.where(StatementSnapshot.account_id == account_id)
    return _page(session, query, offset=offset, limit=limit, small=account_id is not None)


def portal_list_snapshots(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> Page[SnapshotRead]:
    """Statements shared with the contact's account, newest first. Scoped: a contact with ``billing``."""
    contact = require_contact(actor, ContactPermission.BILLING)
    query = _with_sharer().where(
        StatementSnapshot.workspace_id == contact.workspace_id,
        StatementSnapshot.account_id == contact.account_id,
    )
    return _page(session, query, offset=offset, limit=limit, small=True)


def get_snapshot(session: Session, actor: Actor, snapshot_id: int) -> SnapshotRead:
    """One shared statement: staff of its workspace with ``statements:read``, or a contact with ``billing`` on its
    account. ``NotFound`` for everything else, missing ones included."""
    query = _with_sharer().where(StatementSnapshot.id == snapshot_id)
    if isinstance(actor, StaffActor):
        staff = require_staff(actor, Permission.STATEMENTS_READ)
        query = query.where(StatementSnapshot.workspace_id == staff.workspace_id)
    elif isinstance(actor, ContactActor):
        contact = require_contact(actor, ContactPermission.BILLING)
        query = query.where(
            StatementSnapshot.workspace_id == contact.workspace_id,
            StatementSnapshot.account_id == contact.account_id,
        )
    else:
        log_authorization_failure(actor.kind, getattr(actor, "email", None), "StatementSnapshot", snapshot_id)
        raise NotFound()
    found = session.exec(query).first() if isinstance(snapshot_id, int) else None
    if found is None:
        log_authorization_failure(
            actor.kind, getattr(actor, "audit_id", None), "StatementSnapshot", snapshot_id
        )
        raise NotFound()
    return _read(found[0], found[1])
