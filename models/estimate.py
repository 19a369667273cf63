"""Estimates, their versions and line items."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class EstimateStatus(StrEnum):
    DRAFT = "draft"
    SHARED = "shared"
    APPROVED = "approved"
    DECLINED = "declined"
    CHANGES_REQUESTED = "changes_requested"
    EXPIRED = "expired"


class Estimate(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "number", name="uq_estimate_workspace_number"),
        sa.Index("ix_estimate_ws_account_status", "workspace_id", "account_id", "status"),
        sa.Index("ix_estimate_ws_status_updated", "workspace_id", "status", "updated_at"),
        # The command center: decisions of the last weeks (services/signals.py).
        sa.Index("ix_estimate_ws_decided", "workspace_id", "decided_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    number: str = Field(max_length=32)
    title: str = Field(max_length=200)
    status: EstimateStatus = Field(
        default=EstimateStatus.DRAFT, sa_column=enum_column(EstimateStatus, nullable=False)
    )
    currency: str = Field(default="USD", max_length=3)
    current_version: int = 1
    valid_until: date | None = None
    internal_notes: str = Field(default="", max_length=4000)
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    shared_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    decided_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    decision_note: str = Field(default="", max_length=4000)
    signature: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EstimateVersion(SQLModel, table=True):
    """An immutable issue of an estimate; re-issuing creates the next version."""

    __tablename__ = "estimate_version"
    __table_args__ = (sa.UniqueConstraint("estimate_id", "version", name="uq_estimate_version"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    estimate_id: int = Field(foreign_key="estimate.id")
    version: int
    customer_notes: str = Field(default="", max_length=4000)
    subtotal_minor: int = Field(default=0, sa_type=sa.BigInteger)
    tax_minor: int = Field(default=0, sa_type=sa.BigInteger)
    total_minor: int = Field(default=0, sa_type=sa.BigInteger)
    cost_minor: int = Field(default=0, sa_type=sa.BigInteger)  # internal: never in a portal projection
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class EstimateLine(SQLModel, table=True):
    __tablename__ = "estimate_line"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    version_id: int = Field(foreign_key="estimate_version.id", index=True)
    position: int
    description: str = Field(max_length=500)
    quantity: int = 1
    unit_price_minor: int = Field(default=0, sa_type=sa.BigInteger)
    unit_cost_minor: int = Field(default=0, sa_type=sa.BigInteger)  # internal
    tax_rate_bp: int = 0  # basis points: 2000 = 20 %
    total_minor: int = Field(default=0, sa_type=sa.BigInteger)
