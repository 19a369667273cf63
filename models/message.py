"""Message threads between a customer account and the team."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class MessageThread(SQLModel, table=True):
    __tablename__ = "message_thread"
    __table_args__ = (sa.Index("ix_thread_ws_account_last", "workspace_id", "account_id", "last_message_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    subject: str = Field(max_length=200)
    # The record the conversation is about, e.g. ("invoice", 12); empty for a general thread.
    source_type: str = Field(default="", max_length=40)
    source_id: int | None = None
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_message_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class Message(SQLModel, table=True):
    __table_args__ = (sa.Index("ix_message_thread_created", "thread_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    account_id: int = Field(foreign_key="customer_account.id")
    thread_id: int = Field(foreign_key="message_thread.id")
    author_user_id: int | None = Field(default=None, foreign_key="user.id")
    author_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    body: str = Field(max_length=8000)
    internal: bool = False  # staff-only note: never shown in the portal
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ThreadSeen(SQLModel, table=True):
    """How far a reader (a member or a contact) has read a thread: unread counts come from this."""

    __tablename__ = "thread_seen"
    __table_args__ = (
        sa.UniqueConstraint("thread_id", "user_id", name="uq_thread_seen_user"),
        sa.UniqueConstraint("thread_id", "contact_id", name="uq_thread_seen_contact"),
        sa.Index("ix_thread_seen_ws_contact", "workspace_id", "contact_id"),
        sa.Index("ix_thread_seen_ws_user", "workspace_id", "user_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    thread_id: int = Field(foreign_key="message_thread.id")
    user_id: int | None = Field(default=None, foreign_key="user.id")
    contact_id: int | None = Field(default=None, foreign_key="contact.id")
    seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
