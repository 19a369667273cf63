"""Files a contact sends: quarantined until a reviewer accepts or rejects them."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class IntakeKind(StrEnum):
    DOCUMENT = "document"
    PAYMENT_PROOF = "payment_proof"
    ATTACHMENT = "attachment"  # a file a contact attached to a message


class IntakeStatus(StrEnum):
    RECEIVED = "received"
    AWAITING_REVIEW = "awaiting_review"
    ACCEPTED = "accepted"
    REJECTED = "rejected"


class IntakeFile(SQLModel, table=True):
    __tablename__ = "intake_file"
    __table_args__ = (
        sa.Index("ix_intake_ws_status_created", "workspace_id", "status", "created_at"),
        sa.Index("ix_intake_ws_account_created", "workspace_id", "account_id", "created_at"),
        # The command center: files reviewed in the last week were waiting a week ago (services/signals_work.py).
        sa.Index("ix_intake_ws_reviewed", "workspace_id", "reviewed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    contact_id: int = Field(foreign_key="contact.id")
    kind: IntakeKind = Field(sa_column=enum_column(IntakeKind, nullable=False))
    document_request_id: int | None = Field(default=None, foreign_key="document_request.id")
    document_request_item_id: int | None = Field(default=None, foreign_key="document_request_item.id")
    message_id: int | None = Field(default=None, foreign_key="message.id")
    invoice_id: int | None = Field(default=None, foreign_key="invoice.id")
    claimed_amount_minor: int | None = Field(default=None, sa_type=sa.BigInteger)
    claimed_paid_on: date | None = None
    claimed_reference: str = Field(default="", max_length=200)  # the contact's payment reference, as typed
    note: str = Field(default="", max_length=2000)
    storage_key: str = Field(max_length=100, unique=True)  # random; never derived from the upload's name
    original_name: str = Field(max_length=120)  # sanitised, for display only
    sniffed_type: str = Field(max_length=100)
    size_bytes: int = Field(sa_type=sa.BigInteger)
    sha256: str = Field(max_length=64)
    status: IntakeStatus = Field(
        default=IntakeStatus.AWAITING_REVIEW, sa_column=enum_column(IntakeStatus, nullable=False)
    )
    reviewer_user_id: int | None = Field(default=None, foreign_key="user.id")
    reviewed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    review_reason: str = Field(default="", max_length=2000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
