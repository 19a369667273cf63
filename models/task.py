"""Follow-up tasks: the team's work created by customer actions."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow
from models.workspace import Role


class TaskStatus(StrEnum):
    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class FollowUpTask(SQLModel, table=True):
    __tablename__ = "follow_up_task"
    __table_args__ = (
        sa.Index("ix_task_ws_status_due", "workspace_id", "status", "due_at"),
        sa.Index("ix_task_ws_role_status", "workspace_id", "assignee_role", "status"),
        sa.Index("ix_task_ws_assignee_status", "workspace_id", "assignee_user_id", "status"),
        sa.Index("ix_task_ws_source", "workspace_id", "source_type", "source_id"),
        # The command center: tasks done in the last week were open a week ago (services/signals_work.py).
        sa.Index("ix_task_ws_completed", "workspace_id", "completed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int | None = Field(default=None, foreign_key="customer_account.id")
    title: str = Field(max_length=200)
    detail: str = Field(default="", max_length=2000)
    source_type: str = Field(max_length=40)  # e.g. "estimate", "message", "intake_file"
    source_id: int
    trigger: str = Field(max_length=60)  # the customer action that created it, e.g. "estimate.approved"
    status: TaskStatus = Field(default=TaskStatus.OPEN, sa_column=enum_column(TaskStatus, nullable=False))
    assignee_user_id: int | None = Field(default=None, foreign_key="user.id")
    assignee_role: Role | None = Field(default=None, sa_column=enum_column(Role, nullable=True))
    created_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    due_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    completed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    completed_by_user_id: int | None = Field(default=None, foreign_key="user.id")
