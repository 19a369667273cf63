"""Portal (customer-facing) projections.

Separate classes that cannot carry internal fields: no internal notes, costs, margins, staff-only messages or
other accounts. ``extra="ignore"`` with ``from_attributes`` reads only the fields declared here.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, ConfigDict

from models.delivery import DeliveryStatus
from models.estimate import EstimateStatus
from models.intake import IntakeKind, IntakeStatus
from models.invoice import InvoiceStatus
from models.request import ApprovalStatus, DocumentRequestStatus


class PortalModel(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True, extra="ignore")


class PortalAccount(PortalModel):
    id: int
    name: str
    currency: str


class PortalLine(PortalModel):
    position: int
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    total_minor: int


class PortalEstimate(PortalModel):
    id: int
    number: str
    title: str
    status: EstimateStatus
    currency: str
    current_version: int
    valid_until: date | None
    shared_at: datetime | None
    decided_at: datetime | None
    decision_note: str
    subtotal_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    customer_notes: str = ""
    lines: list[PortalLine] = []


class PortalInvoice(PortalModel):
    id: int
    number: str
    status: InvoiceStatus
    currency: str
    issue_date: date | None
    due_date: date | None
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    amount_paid_minor: int
    customer_notes: str
    lines: list[PortalLine] = []


class PortalPayment(PortalModel):
    id: int
    invoice_id: int
    amount_minor: int
    currency: str
    received_on: date
    reference: str


class PortalApproval(PortalModel):
    id: int
    title: str
    description: str
    status: ApprovalStatus
    due_on: date | None
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class PortalDocumentRequest(PortalModel):
    id: int
    title: str
    description: str
    status: DocumentRequestStatus
    due_on: date | None
    created_at: datetime


class PortalUpload(PortalModel):
    id: int
    kind: IntakeKind
    document_request_id: int | None
    invoice_id: int | None
    original_name: str
    size_bytes: int
    claimed_reference: str
    status: IntakeStatus
    review_reason: str
    created_at: datetime


class PortalThread(PortalModel):
    id: int
    subject: str
    source_type: str
    source_id: int | None
    last_message_at: datetime


class PortalMessage(PortalModel):
    id: int
    body: str
    from_team: bool
    created_at: datetime


class PortalDeliveryEvent(PortalModel):
    status: DeliveryStatus
    note: str
    occurred_at: datetime
    carrier: str = ""
    tracking_ref: str = ""
    expected_on: date | None = None


class PortalDelivery(PortalModel):
    id: int
    reference: str
    description: str
    status: DeliveryStatus
    carrier: str
    tracking_ref: str
    expected_on: date | None
    updated_at: datetime
    events: list[PortalDeliveryEvent] = []


class PortalLineChange(PortalModel):
    """One line that differs between two shared versions of an estimate (customer-facing fields only)."""

    change: str  # "added", "removed", "changed"
    description: str
    before: PortalLine | None = None
    after: PortalLine | None = None


class PortalVersionChanges(PortalModel):
    """What a re-issued estimate changed against the version shared before it."""

    previous_version: int
    previous_total_minor: int
    notes_changed: bool
    lines: list[PortalLineChange] = []
