"""Approval requests and document requests that staff raise for a customer account."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class ApprovalStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"
    CHANGES_REQUESTED = "changes_requested"
    CANCELLED = "cancelled"


class ApprovalRequest(SQLModel, table=True):
    __tablename__ = "approval_request"
    __table_args__ = (sa.Index("ix_approval_ws_account_status", "workspace_id", "account_id", "status"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    status: ApprovalStatus = Field(
        default=ApprovalStatus.PENDING, sa_column=enum_column(ApprovalStatus, nullable=False)
    )
    due_on: date | None = None
    internal_notes: str = Field(default="", max_length=4000)
    requested_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    decided_by_contact_id: int | None = Field(default=None, foreign_key="contact.id")
    decision_note: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class DocumentRequestStatus(StrEnum):
    OPEN = "open"
    SUBMITTED = "submitted"  # a file awaits review
    FULFILLED = "fulfilled"  # a reviewer accepted a file
    CANCELLED = "cancelled"


class DocumentRequest(SQLModel, table=True):
    __tablename__ = "document_request"
    __table_args__ = (
        sa.Index("ix_docreq_ws_account_status", "workspace_id", "account_id", "status"),
        # The command center and the "past due" filter: open requests by due date (services/signals_work.py).
        sa.Index("ix_docreq_ws_status_due", "workspace_id", "status", "due_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    title: str = Field(max_length=200)
    description: str = Field(default="", max_length=4000)
    status: DocumentRequestStatus = Field(
        default=DocumentRequestStatus.OPEN, sa_column=enum_column(DocumentRequestStatus, nullable=False)
    )
    due_on: date | None = None
    internal_notes: str = Field(default="", max_length=4000)
    requested_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DocumentRequestItem(SQLModel, table=True):
    """One line of a document request's checklist ("Signed W-9", "Certificate of insurance"). It is complete when
    one of its files was accepted; the request is complete when every item is."""

    __tablename__ = "document_request_item"
    __table_args__ = (
        sa.Index("ix_document_request_item_ws_request", "workspace_id", "request_id", "position"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    request_id: int = Field(foreign_key="document_request.id")
    position: int
    label: str = Field(max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
