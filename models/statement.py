"""Statement snapshots: a statement as staff shared it with the account, frozen at that moment."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class StatementSnapshot(SQLModel, table=True):
    __tablename__ = "statement_snapshot"
    __table_args__ = (
        # Lists: newest first per workspace (staff) and per account (staff filter, the account's contacts).
        sa.Index("ix_statement_snapshot_ws_shared", "workspace_id", "shared_at"),
        sa.Index("ix_statement_snapshot_ws_account_shared", "workspace_id", "account_id", "shared_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    period_start: date
    period_end: date
    currency: str = Field(max_length=3)
    # The computed StatementRead as JSON: later payments, voids or edits never change what was shared.
    statement_json: str = Field(sa_type=sa.Text)
    shared_by_user_id: int = Field(foreign_key="user.id")
    shared_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
