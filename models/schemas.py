"""Staff-facing read schemas (DTOs). Services return these, never live ORM rows."""

from __future__ import annotations

from collections import namedtuple
from datetime import date, datetime
from typing import Any, Generic, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session

from models.account import ContactStatus
from models.delivery import DeliveryStatus
from models.estimate import EstimateStatus
from models.intake import IntakeKind, IntakeStatus
from models.invoice import InvoiceStatus
from models.request import ApprovalStatus, DocumentRequestStatus
from models.task import TaskStatus
from models.workspace import InvitationStatus, Role, WorkspaceStatus


class ReadModel(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True)


ItemT = TypeVar("ItemT", bound=BaseModel)

MAX_PAGE_SIZE = 100


class Page(BaseModel, Generic[ItemT]):
    """One page of a list: bounded by ``limit``; at most two queries whatever the data size."""

    items: list[ItemT]
    total: int
    offset: int
    limit: int

    @property
    def has_more(self) -> bool:
        return self.offset + len(self.items) < self.total

    @classmethod
    def fetch(
        cls,
        session: Session,
        query: Any,
        item: type[ItemT],
        *,
        offset: int = 0,
        limit: int = 25,
        small: bool = False,
    ) -> Page[ItemT]:
        """One page of ``query``'s rows as ``item`` (see ``fetch_rows`` for the total and ``small``)."""
        limit = max(1, min(int(limit), MAX_PAGE_SIZE))
        offset = max(0, int(offset))
        rows, total = fetch_rows(session, query, offset=offset, limit=limit, small=small)
        return cls(items=[item.model_validate(r) for r in rows], total=total, offset=offset, limit=limit)


def fetch_rows(
    session: Session, query: Any, *, offset: int, limit: int, small: bool = False
) -> tuple[list[Any], int]:
    """The rows of one page of ``query`` (an entity each for a one-entity select, else a tuple each) and the whole
    list's total. The total is counted only when the page cannot tell it (a full page, or an empty one past the
    start). ``small``: the caller knows the whole list is short (narrowed to one account or thread), so a full page
    counts in the same statement (``count(*) over ()``) instead of a second one; on a long list that would read
    every row, so it is the caller's promise."""
    total: int | None = None
    if small:
        counted = query.add_columns(sa.func.count().over().label("page_total"))
        found = session.execute(counted.offset(offset).limit(limit)).all()  # type: ignore[deprecated]
        if len(query.column_descriptions) == 1:
            rows: list[Any] = [row[0] for row in found]
        else:  # the row as the query would give it: by position and by name, without the count
            names = [str(d.get("name") or f"column{i}") for i, d in enumerate(query.column_descriptions)]
            shape = namedtuple("Row", names, rename=True)  # type: ignore[misc]  # noqa: PYI024
            rows = [shape(*row[:-1]) for row in found]
        total = int(found[0][-1]) if found else None
    else:
        rows = list(session.exec(query.offset(offset).limit(limit)).all())
    if total is None:
        if len(rows) < limit and (rows or offset == 0):
            total = offset + len(rows)
        else:
            total = int(
                session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0
            )
    return rows, total


class WorkspaceRead(ReadModel):
    id: int
    name: str
    slug: str
    portal_enabled: bool
    status: WorkspaceStatus
    default_currency: str
    payment_instructions: str = ""
    customer_mails_enabled: bool = True
    created_at: datetime


class MemberRead(ReadModel):
    id: int
    user_id: int
    role: Role
    email: str = ""
    name: str = ""
    created_at: datetime


class MemberInvitationRead(ReadModel):
    id: int
    email: str
    role: Role
    status: InvitationStatus
    created_at: datetime
    expires_at: datetime


class AccountRead(ReadModel):
    id: int
    code: str
    name: str
    billing_email: str
    currency: str
    payment_terms_days: int
    internal_notes: str
    owner_user_id: int | None = None
    archived: bool
    created_at: datetime


class ContactRead(ReadModel):
    id: int
    email: str
    name: str
    status: ContactStatus
    created_at: datetime
    reminders_off_at: datetime | None = None  # turned reminder mails off (the signed link in one)


class ContactAccessRead(ReadModel):
    contact_id: int
    account_id: int
    can_billing: bool
    can_operations: bool
    can_documents: bool


class LineRead(ReadModel):
    position: int
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    total_minor: int


class EstimateLineRead(LineRead):
    unit_cost_minor: int


class EstimateRead(ReadModel):
    id: int
    account_id: int
    number: str
    title: str
    status: EstimateStatus
    currency: str
    current_version: int
    valid_until: date | None
    internal_notes: str
    shared_at: datetime | None
    decided_at: datetime | None
    decision_note: str
    created_at: datetime
    updated_at: datetime
    subtotal_minor: int = 0
    tax_minor: int = 0
    total_minor: int = 0
    cost_minor: int = 0
    customer_notes: str = ""
    lines: list[EstimateLineRead] = []


class InvoiceRead(ReadModel):
    id: int
    account_id: int
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
    internal_notes: str
    created_at: datetime
    lines: list[LineRead] = []

    @property
    def balance_minor(self) -> int:
        return self.total_minor - self.amount_paid_minor


class PaymentRead(ReadModel):
    id: int
    account_id: int
    invoice_id: int
    amount_minor: int
    currency: str
    received_on: date
    method: str
    reference: str
    intake_file_id: int | None
    created_at: datetime


class ApprovalRead(ReadModel):
    id: int
    account_id: int
    title: str
    description: str
    status: ApprovalStatus
    due_on: date | None
    internal_notes: str
    decision_note: str
    created_at: datetime
    decided_at: datetime | None


class DocumentRequestRead(ReadModel):
    id: int
    account_id: int
    title: str
    description: str
    status: DocumentRequestStatus
    due_on: date | None
    internal_notes: str
    created_at: datetime


class IntakeFileRead(ReadModel):
    id: int
    account_id: int
    contact_id: int
    kind: IntakeKind
    document_request_id: int | None
    invoice_id: int | None
    claimed_amount_minor: int | None
    note: str
    original_name: str
    sniffed_type: str
    size_bytes: int
    sha256: str
    status: IntakeStatus
    reviewer_user_id: int | None
    reviewed_at: datetime | None
    review_reason: str
    created_at: datetime


class ThreadRead(ReadModel):
    id: int
    account_id: int
    subject: str
    source_type: str
    source_id: int | None
    created_at: datetime
    last_message_at: datetime


class MessageRead(ReadModel):
    id: int
    thread_id: int
    author_user_id: int | None
    author_contact_id: int | None
    body: str
    internal: bool
    created_at: datetime


class DeliveryEventRead(ReadModel):
    id: int
    status: DeliveryStatus
    note: str
    internal: bool
    occurred_at: datetime
    carrier: str = ""  # set when this event changed the carrier
    tracking_ref: str = ""  # set when this event changed the tracking reference
    expected_on: date | None = None  # the ETA this event gave
    recorded_by_user_id: int | None = None


class DeliveryRead(ReadModel):
    id: int
    account_id: int
    reference: str
    description: str
    status: DeliveryStatus
    shared: bool
    carrier: str
    tracking_ref: str
    expected_on: date | None
    internal_notes: str
    updated_at: datetime
    events: list[DeliveryEventRead] = []


class TaskRead(ReadModel):
    id: int
    account_id: int | None
    title: str
    detail: str
    source_type: str
    source_id: int
    trigger: str
    status: TaskStatus
    assignee_user_id: int | None
    assignee_role: Role | None
    created_by_contact_id: int | None
    due_at: datetime | None
    created_at: datetime
    completed_at: datetime | None


class AgingBuckets(ReadModel):
    current: int = 0
    days_1_30: int = 0
    days_31_60: int = 0
    days_61_90: int = 0
    days_90_plus: int = 0

    @property
    def total(self) -> int:
        return self.current + self.days_1_30 + self.days_31_60 + self.days_61_90 + self.days_90_plus


class StatementLine(ReadModel):
    on: date
    kind: str  # "invoice" or "payment"
    reference: str
    description: str
    debit_minor: int
    credit_minor: int
    balance_minor: int


class StatementRead(ReadModel):
    """Customer-facing by construction: only amounts and references the contact already sees."""

    account_id: int
    account_name: str
    currency: str
    period_start: date
    period_end: date
    opening_balance_minor: int
    closing_balance_minor: int
    lines: list[StatementLine]
    aging: AgingBuckets


class AuditEventRead(ReadModel):
    id: int
    seq: int
    actor_kind: str
    actor_id: int | None
    action: str
    target_type: str
    target_id: int | None
    data: str
    created_at: datetime


class ContactInvitationRead(ReadModel):
    """A contact's portal invitation as staff see it; the token exists only in the mail."""

    id: int
    contact_id: int
    account_id: int
    created_at: datetime
    expires_at: datetime
    accepted_at: datetime | None
    revoked_at: datetime | None


class WorkspaceOverview(ReadModel):
    """What a platform operator sees of a workspace: counts and states, never record contents."""

    id: int
    name: str
    slug: str
    status: WorkspaceStatus
    status_reason: str
    portal_enabled: bool
    members: int
    contacts: int
    accounts: int
    storage_bytes: int
    created_at: datetime
