"""The platform operator area: workspaces as counts and states, suspension and reinstatement with a reason.

Operators never read workspace records: the overview is aggregated in SQL (counts and a storage sum), and every
record service refuses an ``OperatorActor`` through ``access``.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import Contact, CustomerAccount, IntakeFile, Membership, Workspace
from models.schemas import MAX_PAGE_SIZE, Page, WorkspaceOverview
from portal_app.services import workspaces
from portal_app.services.access import Actor, OperatorActor, security_log
from portal_app.services.errors import NotFound


def _require_operator(actor: Actor) -> OperatorActor:
    if not isinstance(actor, OperatorActor):
        security_log.warning(
            "authorization failure",
            extra={
                "actor_kind": actor.kind,
                "actor_id": getattr(actor, "audit_id", None),
                "what": "operator",
            },
        )
        raise NotFound()
    return actor


def _count(model: Any, column: Any) -> Any:
    return (
        select(sa.func.count())
        .select_from(model)
        .where(column == Workspace.id)
        .correlate(Workspace)
        .scalar_subquery()
    )


def _overview_query() -> Any:
    storage = (
        select(sa.func.coalesce(sa.func.sum(IntakeFile.size_bytes), 0))
        .where(col(IntakeFile.workspace_id) == Workspace.id)
        .correlate(Workspace)
        .scalar_subquery()
    )
    return sa.select(
        col(Workspace.id).label("id"),
        col(Workspace.name).label("name"),
        col(Workspace.slug).label("slug"),
        col(Workspace.status).label("status"),
        col(Workspace.status_reason).label("status_reason"),
        col(Workspace.portal_enabled).label("portal_enabled"),
        _count(Membership, col(Membership.workspace_id)).label("members"),
        _count(Contact, col(Contact.workspace_id)).label("contacts"),
        _count(CustomerAccount, col(CustomerAccount.workspace_id)).label("accounts"),
        storage.label("storage_bytes"),
        col(Workspace.created_at).label("created_at"),
    )


def list_workspaces(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> Page[WorkspaceOverview]:
    """Every workspace, newest first, as counts and states (two queries whatever the data size).

    Operators only; anyone else gets ``NotFound``.
    """
    _require_operator(actor)
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    total = session.scalar(select(sa.func.count()).select_from(Workspace)) or 0
    rows = session.execute(
        _overview_query()
        .order_by(col(Workspace.created_at).desc(), col(Workspace.id).desc())
        .offset(offset)
        .limit(limit)
    ).all()
    return Page[WorkspaceOverview](
        items=[WorkspaceOverview.model_validate(dict(r._mapping)) for r in rows],
        total=int(total),
        offset=offset,
        limit=limit,
    )


def get_workspace_overview(session: Session, actor: Actor, workspace_id: int) -> WorkspaceOverview:
    """One workspace's counts and state (operators only; ``NotFound`` otherwise or when it does not exist)."""
    _require_operator(actor)
    row = session.execute(_overview_query().where(col(Workspace.id) == workspace_id)).first()
    if row is None:
        raise NotFound()
    return WorkspaceOverview.model_validate(dict(row._mapping))


def suspend_workspace(session: Session, actor: Actor, workspace_id: int, *, reason: str) -> WorkspaceOverview:
    """Suspend a workspace with a reason (5-500 characters, else ``ValidationFailed``); logged on both chains.

    Its staff and contacts are refused from their next event on: sessions re-check the workspace status.
    """
    operator = _require_operator(actor)
    workspaces.set_workspace_status(session, operator, workspace_id, suspended=True, reason=reason)
    return get_workspace_overview(session, operator, workspace_id)


def reinstate_workspace(
    session: Session, actor: Actor, workspace_id: int, *, reason: str
) -> WorkspaceOverview:
    """Lift a suspension, with a reason; logged like ``suspend_workspace``."""
    operator = _require_operator(actor)
    workspaces.set_workspace_status(session, operator, workspace_id, suspended=False, reason=reason)
    return get_workspace_overview(session, operator, workspace_id)
