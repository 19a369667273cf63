"""Reminders to contacts: pauses, what was sent (per contact and day), and the lease that runs the sweep once.

The reminder policy and time zone live on the workspace row, a contact's opt-out on the contact row.
"""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class ReminderPause(SQLModel, table=True):
    """Reminders paused for one account (``account_id``) or one record (``record_type`` + ``record_id``), with the
    reason staff gave; active while ``resumed_at`` is NULL."""

    __tablename__ = "reminder_pause"
    __table_args__ = (
        sa.Index("ix_reminder_pause_ws_account", "workspace_id", "account_id", "resumed_at"),
        sa.Index("ix_reminder_pause_ws_record", "workspace_id", "record_type", "record_id", "resumed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int | None = Field(default=None, foreign_key="customer_account.id")
    record_type: str = Field(default="", max_length=32)  # "" for an account's pause
    record_id: int | None = None
    reason: str = Field(max_length=500)
    paused_by_user_id: int = Field(foreign_key="user.id")
    paused_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    resumed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    resumed_by_user_id: int | None = Field(default=None, foreign_key="user.id")


class ReminderDigest(SQLModel, table=True):
    """The one reminder mail of a contact on a day (the workspace's date). Inserted before the mail is queued, in
    the same transaction: the unique key is what keeps two sweeps (or a rerun after a crash) from mailing twice."""

    __tablename__ = "reminder_digest"
    __table_args__ = (
        sa.UniqueConstraint("contact_id", "day", name="uq_reminder_digest_contact_day"),
        sa.Index("ix_reminder_digest_ws_day", "workspace_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    contact_id: int = Field(foreign_key="contact.id")
    day: date
    items: int = 0
    outbox_mail_id: int | None = Field(default=None, foreign_key="outbox_mail.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ReminderSent(SQLModel, table=True):
    """One record reminded to one contact on one day (a line of that day's digest)."""

    __tablename__ = "reminder_sent"
    __table_args__ = (
        sa.UniqueConstraint("contact_id", "day", "record_type", "record_id", name="uq_reminder_sent_item"),
        sa.Index("ix_reminder_sent_ws_record", "workspace_id", "record_type", "record_id", "day"),
        sa.Index("ix_reminder_sent_ws_day", "workspace_id", "day"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    contact_id: int = Field(foreign_key="contact.id")
    day: date
    record_type: str = Field(max_length=32)  # estimate, invoice, document_request
    record_id: int
    kind: str = Field(max_length=32)  # before_due, on_due, overdue, expiring
    outbox_mail_id: int | None = Field(default=None, foreign_key="outbox_mail.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class JobLease(SQLModel, table=True):
    """A periodic job held by one worker until ``expires_at`` (runs once across workers)."""

    __tablename__ = "job_lease"

    name: str = Field(primary_key=True, max_length=64)
    holder: str = Field(max_length=120)
    expires_at: datetime = Field(sa_type=UTCDateTime)
