"""Append-only, hash-chained audit events (one chain per workspace)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class AuditEvent(SQLModel, table=True):
    __tablename__ = "audit_event"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "seq", name="uq_audit_workspace_seq"),
        sa.Index("ix_audit_ws_target", "workspace_id", "target_type", "target_id"),
        # The audit log's filters walk newest first by seq within one of these (keyset pagination).
        sa.Index("ix_audit_ws_account_seq", "workspace_id", "account_id", "seq"),
        sa.Index("ix_audit_ws_action_seq", "workspace_id", "action", "seq"),
        sa.Index("ix_audit_ws_actor_seq", "workspace_id", "actor_kind", "actor_id", "seq"),
    )

    id: int | None = Field(default=None, primary_key=True)
    # 0 is the platform chain (operator actions that concern no single workspace).
    workspace_id: int = Field(index=True)
    seq: int
    actor_kind: str = Field(max_length=20)  # staff, contact, operator, system
    actor_id: int | None = None
    action: str = Field(max_length=60)
    target_type: str = Field(default="", max_length=40)
    target_id: int | None = None
    # The customer account the event concerns, when it concerns one: the account view's timeline and the audit
    # log's account filter. Sealed into the hash when set (services/audit.py).
    account_id: int | None = None
    data: str = Field(default="{}", max_length=8000)  # canonical JSON
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    prev_hash: str = Field(max_length=64)
    hash: str = Field(max_length=64)


class PlatformState(SQLModel, table=True):
    """Singleton row holding the platform audit chain head (workspace_id 0)."""

    __tablename__ = "platform_state"

    id: int | None = Field(default=None, primary_key=True)
    audit_seq: int = 0
    audit_head: str = Field(default="", max_length=64)
