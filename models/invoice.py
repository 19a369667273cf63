"""Invoices, their line items and payments."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class InvoiceStatus(StrEnum):
    DRAFT = "draft"
    OPEN = "open"
    PARTIALLY_PAID = "partially_paid"
    PAID = "paid"
    VOID = "void"


class Invoice(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "number", name="uq_invoice_workspace_number"),
        sa.Index("ix_invoice_ws_account_status", "workspace_id", "account_id", "status"),
        sa.Index("ix_invoice_ws_account_issue", "workspace_id", "account_id", "issue_date"),
        sa.Index("ix_invoice_ws_status_due", "workspace_id", "status", "due_date"),
        # The command center: invoices paid in the last week were still owed a week ago (services/signals.py).
        sa.Index("ix_invoice_ws_updated", "workspace_id", "updated_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    estimate_id: int | None = Field(default=None, foreign_key="estimate.id")
    number: str = Field(max_length=32)
    status: InvoiceStatus = Field(
        default=InvoiceStatus.DRAFT, sa_column=enum_column(InvoiceStatus, nullable=False)
    )
    currency: str = Field(default="USD", max_length=3)
    issue_date: date | None = None
    due_date: date | None = None
    subtotal_minor: int = Field(default=0, sa_type=sa.BigInteger)
    tax_minor: int = Field(default=0, sa_type=sa.BigInteger)
    total_minor: int = Field(default=0, sa_type=sa.BigInteger)
    amount_paid_minor: int = Field(default=0, sa_type=sa.BigInteger)
    customer_notes: str = Field(default="", max_length=4000)
    internal_notes: str = Field(default="", max_length=4000)
    created_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    voided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    void_reason: str = Field(default="", max_length=500)


class InvoiceLine(SQLModel, table=True):
    __tablename__ = "invoice_line"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    invoice_id: int = Field(foreign_key="invoice.id", index=True)
    position: int
    description: str = Field(max_length=500)
    quantity: int = 1
    unit_price_minor: int = Field(default=0, sa_type=sa.BigInteger)
    tax_rate_bp: int = 0
    total_minor: int = Field(default=0, sa_type=sa.BigInteger)


class Payment(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_payment_ws_account_received", "workspace_id", "account_id", "received_on"),
        sa.Index("ix_payment_ws_invoice", "workspace_id", "invoice_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    invoice_id: int = Field(foreign_key="invoice.id")
    amount_minor: int = Field(sa_type=sa.BigInteger)
    currency: str = Field(max_length=3)
    received_on: date
    method: str = Field(default="bank_transfer", max_length=40)
    reference: str = Field(default="", max_length=200)
    intake_file_id: int | None = Field(default=None, foreign_key="intake_file.id", unique=True)
    recorded_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
