"""Follow-up tasks: created by customer actions, worked by the team."""

from __future__ import annotations

from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import FollowUpTask, Membership, Role, TaskStatus, utcnow
from models.schemas import Page, TaskRead
from portal_app.services import audit
from portal_app.services.access import Actor, ContactActor, get_scoped, require_staff, scoped_select
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.permissions import Permission

# Which role a customer action's follow-up goes to, and how soon it is due.
TRIGGER_ROUTING: dict[str, tuple[Role, timedelta]] = {
    "estimate.approved": (Role.TEAM_LEAD, timedelta(days=1)),
    "estimate.declined": (Role.TEAM_LEAD, timedelta(days=2)),
    "estimate.changes_requested": (Role.TEAM_LEAD, timedelta(days=1)),
    "approval.approved": (Role.TEAM_LEAD, timedelta(days=1)),
    "approval.declined": (Role.TEAM_LEAD, timedelta(days=2)),
    "approval.changes_requested": (Role.TEAM_LEAD, timedelta(days=1)),
    "message.posted": (Role.TEAM_LEAD, timedelta(days=1)),
    "intake.document": (Role.FINANCE_REVIEWER, timedelta(days=2)),
    "intake.payment_proof": (Role.FINANCE_REVIEWER, timedelta(days=1)),
}

_ALLOWED: dict[TaskStatus, set[TaskStatus]] = {
    TaskStatus.OPEN: {TaskStatus.IN_PROGRESS, TaskStatus.DONE, TaskStatus.CANCELLED},
    TaskStatus.IN_PROGRESS: {TaskStatus.OPEN, TaskStatus.DONE, TaskStatus.CANCELLED},
    TaskStatus.DONE: {TaskStatus.OPEN},
    TaskStatus.CANCELLED: {TaskStatus.OPEN},
}


def open_follow_up(
    session: Session,
    actor: ContactActor,
    *,
    trigger: str,
    source_type: str,
    source_id: int,
    title: str,
    detail: str = "",
) -> FollowUpTask:
    """Add the follow-up task for a customer action to the caller's transaction (the caller commits)."""
    role, due_in = TRIGGER_ROUTING[trigger]
    task = FollowUpTask(
        workspace_id=actor.workspace_id,
        account_id=actor.account_id,
        title=title[:200],
        detail=detail[:2000],
        source_type=source_type,
        source_id=source_id,
        trigger=trigger,
        assignee_role=role,
        created_by_contact_id=actor.contact_id,
        due_at=utcnow() + due_in,
    )
    session.add(task)
    session.flush()
    return task


def list_tasks(
    session: Session,
    actor: Actor,
    *,
    statuses: tuple[TaskStatus, ...] = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS),
    mine: bool = False,
    role: Role | None = None,
    source_type: str | None = None,
    source_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[TaskRead]:
    """One page of the workspace's tasks, soonest due first. ``mine`` = assigned to me or to my role."""
    staff = require_staff(actor, Permission.TASKS_READ)
    query = scoped_select(staff, FollowUpTask).where(FollowUpTask.status.in_(statuses))  # type: ignore[attr-defined]
    if mine:
        query = query.where(
            sa.or_(
                col(FollowUpTask.assignee_user_id) == staff.user_id,
                col(FollowUpTask.assignee_role) == staff.role,
            )
        )
    if role is not None:
        query = query.where(FollowUpTask.assignee_role == role)
    if source_type is not None:
        query = query.where(FollowUpTask.source_type == source_type)
        if source_id is not None:
            query = query.where(FollowUpTask.source_id == source_id)
    return Page.fetch(
        session,
        query.order_by(FollowUpTask.due_at, FollowUpTask.id),  # type: ignore[arg-type]
        TaskRead,
        offset=offset,
        limit=limit,
    )


def assign_task(session: Session, actor: Actor, task_id: int, *, assignee_user_id: int | None) -> TaskRead:
    """Assign to a member of the same workspace (or unassign). Raises ``NotFound`` for a foreign task or member."""
    staff = require_staff(actor, Permission.TASKS_MANAGE)
    task = get_scoped(session, staff, FollowUpTask, task_id, change=True)
    if assignee_user_id is not None:
        member = session.exec(
            select(Membership).where(
                Membership.workspace_id == staff.workspace_id, Membership.user_id == assignee_user_id
            )
        ).first()
        if member is None:
            raise NotFound("That member was not found.")
    task.assignee_user_id = assignee_user_id
    session.add(task)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="task.assigned",
        target_type="task",
        target_id=task.id,
        data={"assignee_user_id": assignee_user_id},
    )
    session.commit()
    return TaskRead.model_validate(task)


def set_task_status(session: Session, actor: Actor, task_id: int, *, status: TaskStatus) -> TaskRead:
    """Move a task along open → in progress → done / cancelled (and back to open)."""
    staff = require_staff(actor, Permission.TASKS_MANAGE)
    task = get_scoped(session, staff, FollowUpTask, task_id, change=True, lock=True)
    if status not in _ALLOWED[task.status]:
        raise Conflict(f"A task that is {task.status.value.replace('_', ' ')} cannot become {status.value}.")
    previous = task.status
    task.status = status
    if status is TaskStatus.DONE:
        task.completed_at = utcnow()
        task.completed_by_user_id = staff.user_id
    elif status is TaskStatus.OPEN:
        task.completed_at = None
        task.completed_by_user_id = None
    session.add(task)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action=f"task.{status.value}",
        target_type="task",
        target_id=task.id,
        data={"from": previous.value},
    )
    session.commit()
    return TaskRead.model_validate(task)


def validate_title(title: str) -> str:
    title = " ".join(title.split())
    if not title:
        raise ValidationFailed("A title is required.")
    return title[:200]
