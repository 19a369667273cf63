"""Mail outbox and idempotency keys."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class MailStatus(StrEnum):
    QUEUED = "queued"
    SENDING = "sending"  # claimed by a sender; ``sent_at`` holds the claim time until it is SENT (lease)
    SENT = "sent"
    FAILED = "failed"


class OutboxMail(SQLModel, table=True):
    __tablename__ = "outbox_mail"
    __table_args__ = (
        sa.Index("ix_outbox_status_created", "status", "created_at"),
        sa.Index("ix_outbox_links_expire", "links_expire_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    to_email: str = Field(max_length=320)
    subject: str = Field(max_length=200)
    body_text: str = Field(max_length=20000)
    body_html: str = Field(default="", sa_type=sa.Text)  # "" for plain-text-only mails
    from_name: str = Field(default="", max_length=120)  # the display name: the workspace's, for its mails
    status: MailStatus = Field(default=MailStatus.QUEUED, sa_column=enum_column(MailStatus, nullable=False))
    attempts: int = 0
    last_error: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    sent_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the sign-in or invitation links in ``body_text`` stop working; NULL once they are blanked (or when the
    # mail has none). Past it, the body is blanked by the mailer's sweep and never shown by the mailbox page.
    links_expire_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class IdempotencyKey(SQLModel, table=True):
    """First result of a customer action, keyed by who did it and the key their client sent."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        sa.UniqueConstraint("scope", "key", name="uq_idempotency_scope_key"),
        # The rate limits on customer actions count recent rows per actor and per workspace.
        sa.Index("ix_idempotency_scope_created", "scope", "created_at"),
        sa.Index("ix_idempotency_ws_created", "workspace_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    scope: str = Field(max_length=80)  # e.g. "contact:12"
    key: str = Field(max_length=100)
    action: str = Field(max_length=60)
    result_type: str = Field(default="", max_length=40)
    result_id: int | None = None
    # The record the action was taken on ("estimate:12"): a key reused on another record is refused, not replayed.
    target: str = Field(default="", max_length=60)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
