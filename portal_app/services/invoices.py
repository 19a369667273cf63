"""Invoices: staff draft, issue, take payments on and void them; contacts with billing see the issued ones.

State machine: draft → open → partially paid → paid, and draft/open (no payments) → void. Totals are always
computed here from the lines; amounts, status and the account's currency never come from input.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from types import EllipsisType
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select
from sqlmodel.sql.expression import SelectOfScalar

from models import (
    CustomerAccount,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    InvoiceLine,
    InvoiceStatus,
    Payment,
    utcnow,
)
from models.portal import PortalInvoice, PortalLine, PortalPayment
from models.schemas import InvoiceRead, LineRead, Page, PaymentRead
from portal_app import formatting
from portal_app.services import audit, notify
from portal_app.services.access import (
    Actor,
    StaffActor,
    get_scoped,
    lock_workspace,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, ValidationFailed
from portal_app.services.lines import MAX_TOTAL_MINOR, LineInput, Totals, compute
from portal_app.services.permissions import ContactPermission, Permission

# The amount columns are BIGINT; lines.compute keeps every line and document amount at most this, and the
# payments recorded against an invoice never exceed its total.
MAX_STORED_MINOR = MAX_TOTAL_MINOR
PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
VOIDABLE = (InvoiceStatus.DRAFT, InvoiceStatus.OPEN)
# "Due soon": open or partly paid, due today or within this many days (the command center's card, the list filter).
DUE_SOON_DAYS = 7
# The list's filters besides the statuses (``?status=overdue`` / ``?status=due_soon``), read by ``due_filter``.
DUE_FILTERS = ("overdue", "due_soon")
_LINE_KEYS = ("description", "quantity", "unit_price_minor", "tax_rate_bp")

LineSpec = LineInput | Mapping[str, Any]


def today() -> date:
    return datetime.now(UTC).date()


# ----------------------------------------------------------------------------------------------------
# Helpers


def _line_inputs(lines: Sequence[LineSpec]) -> list[LineInput]:
    """Dicts or ``LineInput``s → ``LineInput`` with the invoice fields only (no internal cost is stored)."""
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Sequence):
        raise ValidationFailed("The lines must be a list.")
    out: list[LineInput] = []
    for i, raw in enumerate(lines, start=1):
        if isinstance(raw, LineInput):
            values = {k: getattr(raw, k) for k in _LINE_KEYS}
        elif isinstance(raw, Mapping):
            values = {k: raw[k] for k in _LINE_KEYS if k in raw}
        else:
            raise ValidationFailed(f"Line {i} is not valid.")
        for key in ("quantity", "unit_price_minor", "tax_rate_bp"):
            if key in values and isinstance(values[key], bool):
                raise ValidationFailed(f"Line {i}: {key.replace('_', ' ')} must be a whole number.")
        if "description" not in values:
            raise ValidationFailed(f"Line {i}: a description is required.")
        values["description"] = str(values["description"])
        out.append(LineInput(**values))
    return out


def _compute_checked(lines: Sequence[LineSpec]) -> Totals:
    totals = compute(_line_inputs(lines))
    if totals.total_minor > MAX_STORED_MINOR or any(c.net_minor > MAX_STORED_MINOR for c in totals.lines):
        raise ValidationFailed("The invoice total is too large.")
    return totals


def _write_lines(session: Session, invoice: Invoice, totals: Totals) -> None:
    assert invoice.id is not None
    for c in totals.lines:
        session.add(
            InvoiceLine(
                workspace_id=invoice.workspace_id,
                invoice_id=invoice.id,
                position=c.position,
                description=c.description,
                quantity=c.quantity,
                unit_price_minor=c.unit_price_minor,
                tax_rate_bp=c.tax_rate_bp,
                total_minor=c.net_minor,
            )
        )
    invoice.subtotal_minor = totals.subtotal_minor
    invoice.tax_minor = totals.tax_minor
    invoice.total_minor = totals.total_minor


def _lines_of(session: Session, invoice: Invoice) -> list[InvoiceLine]:
    return list(
        session.exec(
            select(InvoiceLine)
            .where(InvoiceLine.workspace_id == invoice.workspace_id, InvoiceLine.invoice_id == invoice.id)
            .order_by(col(InvoiceLine.position))
        ).all()
    )


def _staff_read(session: Session, invoice: Invoice) -> InvoiceRead:
    lines = [LineRead.model_validate(ln) for ln in _lines_of(session, invoice)]
    return InvoiceRead.model_validate(invoice).model_copy(update={"lines": lines})


def _portal_read(session: Session, invoice: Invoice) -> PortalInvoice:
    lines = [PortalLine.model_validate(ln) for ln in _lines_of(session, invoice)]
    return PortalInvoice.model_validate(invoice).model_copy(update={"lines": lines})


def next_invoice_number(session: Session, workspace_id: int) -> str:
    """The next free ``INV-0001``-style number of a workspace.

    The caller must hold the workspace row lock (``lock_workspace``) so that two drafts never pick the same
    number; the unique constraint backs this up.
    """
    count = int(
        session.scalar(sa.select(sa.func.count()).where(col(Invoice.workspace_id) == workspace_id)) or 0
    )
    candidate = count + 1
    while session.scalar(
        sa.select(col(Invoice.id)).where(
            col(Invoice.workspace_id) == workspace_id, col(Invoice.number) == f"INV-{candidate:04d}"
        )
    ):
        candidate += 1
    return f"INV-{candidate:04d}"


def _clean_notes(value: str, label: str) -> str:
    value = str(value or "").strip()
    if len(value) > 4000:
        raise ValidationFailed(f"The {label} must be at most 4,000 characters.")
    return value


def _draft_due_date(value: object) -> date | None:
    if value is None:
        return None
    if not isinstance(value, date) or isinstance(value, datetime):
        raise ValidationFailed("The due date is not valid.")
    return value


def _state_conflict(invoice: Invoice, action: str) -> Conflict:
    messages = {
        InvoiceStatus.DRAFT: "is still a draft",
        InvoiceStatus.OPEN: "is already issued",
        InvoiceStatus.PARTIALLY_PAID: "already has payments",
        InvoiceStatus.PAID: "is already paid in full",
        InvoiceStatus.VOID: "is void",
    }
    return Conflict(f"Invoice {invoice.number} {messages[invoice.status]}, so it cannot be {action}.")


# ----------------------------------------------------------------------------------------------------
# Staff: drafts and the state machine


def create_invoice(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    lines: Sequence[LineSpec],
    customer_notes: str = "",
    internal_notes: str = "",
    due_date: date | None = None,
) -> InvoiceRead:
    """A draft invoice for an account of the actor's workspace, in the account's currency.

    ``due_date`` is optional: issuing the draft uses it, else the account's payment terms.
    Scoped: staff with ``invoices:manage``; the account is looked up in the actor's workspace (``NotFound``
    otherwise). Raises ``ValidationFailed`` for bad lines, ``Conflict`` for an archived account.
    """
    staff = require_staff(actor, Permission.INVOICES_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    if account.archived:
        raise Conflict("This account is archived; new invoices cannot be created for it.")
    totals = _compute_checked(lines)
    customer_notes = _clean_notes(customer_notes, "customer notes")
    internal_notes = _clean_notes(internal_notes, "internal notes")
    due_date = _draft_due_date(due_date)
    lock_workspace(session, staff.workspace_id)  # serialises invoice numbering in the workspace
    invoice = Invoice(
        workspace_id=staff.workspace_id,
        account_id=account_id,
        number=next_invoice_number(session, staff.workspace_id),
        status=InvoiceStatus.DRAFT,
        currency=account.currency,
        due_date=due_date,
        customer_notes=customer_notes,
        internal_notes=internal_notes,
        created_by_user_id=staff.user_id,
    )
    session.add(invoice)
    session.flush()
    _write_lines(session, invoice, totals)
    session.add(invoice)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="invoice.created",
        target_type="invoice",
        target_id=invoice.id,
        data={"number": invoice.number, "account_id": account_id, "total_minor": invoice.total_minor},
    )
    session.commit()
    return _staff_read(session, invoice)


def update_draft_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    lines: Sequence[LineSpec],
    customer_notes: str | None = None,
    internal_notes: str | None = None,
    due_date: date | None | EllipsisType = ...,
) -> InvoiceRead:
    """Replace a draft's lines (and optionally its notes and due date: ``...`` keeps it, ``None`` clears it);
    totals are recomputed.

    Scoped: staff with ``invoices:manage`` in the invoice's workspace. Raises ``NotFound``, ``Conflict`` once
    the invoice is no longer a draft, ``ValidationFailed`` for bad lines.
    """
    staff = require_staff(actor, Permission.INVOICES_MANAGE)
    invoice = get_scoped(session, staff, Invoice, invoice_id, change=True, lock=True)
    if invoice.status is not InvoiceStatus.DRAFT:
        raise _state_conflict(invoice, "edited")
    totals = _compute_checked(lines)
    if customer_notes is not None:
        invoice.customer_notes = _clean_notes(customer_notes, "customer notes")
    if internal_notes is not None:
        invoice.internal_notes = _clean_notes(internal_notes, "internal notes")
    if not isinstance(due_date, EllipsisType):
        invoice.due_date = _draft_due_date(due_date)
    session.exec(
        sa.delete(InvoiceLine).where(
            InvoiceLine.workspace_id == staff.workspace_id,  # type: ignore[arg-type]
            InvoiceLine.invoice_id == invoice.id,  # type: ignore[arg-type]
        )
    )
    _write_lines(session, invoice, totals)
    invoice.updated_at = utcnow()
    session.add(invoice)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="invoice.updated",
        target_type="invoice",
        target_id=invoice.id,
        data={"total_minor": invoice.total_minor, "lines": len(totals.lines)},
        account_id=invoice.account_id,
    )
    session.commit()
    return _staff_read(session, invoice)


def issue_invoice(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    issue_date: date | None = None,
    due_date: date | None = None,
) -> InvoiceRead:
    """Draft → open. ``issue_date`` defaults to today, ``due_date`` to the draft's own due date, else the issue
    date + the account's terms.

    Scoped: staff with ``invoices:manage``. Raises ``NotFound``, ``Conflict`` unless the invoice is a draft,
    ``ValidationFailed`` for a zero total or a due date before the issue date.
    """
    staff = require_staff(actor, Permission.INVOICES_MANAGE)
    invoice = get_scoped(session, staff, Invoice, invoice_id, change=True, lock=True)
    if invoice.status is not InvoiceStatus.DRAFT:
        raise _state_conflict(invoice, "issued")
    if invoice.total_minor <= 0:
        raise ValidationFailed("An invoice with a zero total cannot be issued.")
    account = get_scoped(session, staff, CustomerAccount, invoice.account_id)
    issued_on = issue_date or today()
    due_on = due_date or invoice.due_date or issued_on + timedelta(days=account.payment_terms_days)
    if due_on < issued_on:
        if due_date is None:
            raise ValidationFailed(
                f"The draft's due date ({due_on.isoformat()}) is before the issue date: edit the draft and "
                "choose a later one, or leave it empty to use the account's payment terms."
            )
        raise ValidationFailed("The due date cannot be before the issue date.")
    invoice.status = InvoiceStatus.OPEN
    invoice.issue_date = issued_on
    invoice.due_date = due_on
    invoice.updated_at = utcnow()
    session.add(invoice)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="invoice.issued",
        target_type="invoice",
        target_id=invoice.id,
        data={
            "issue_date": issued_on.isoformat(),
            "due_date": due_on.isoformat(),
            "total_minor": invoice.total_minor,
        },
        account_id=invoice.account_id,
    )
    assert invoice.id is not None
    notify.record_shared(
        session,
        workspace_id=invoice.workspace_id,
        account_id=invoice.account_id,
        kind="invoice",
        record_id=invoice.id,
        title=f"{invoice.number}, {formatting.money(invoice.total_minor, invoice.currency)} "
        f"due {formatting.day(due_on)}",
    )
    session.commit()
    return _staff_read(session, invoice)


def add_payment(
    session: Session,
    staff: StaffActor,
    invoice_id: int,
    *,
    amount_minor: int,
    currency: str,
    received_on: date,
    method: str = "bank_transfer",
    reference: str = "",
    intake_file_id: int | None = None,
) -> Payment:
    """Record a payment inside the caller's transaction (the caller commits); see ``record_payment``.

    The invoice row is locked and its paid amount moved with a conditional UPDATE (compare-and-set on the
    amount seen), so concurrent payments can never take it past its total.
    """
    require_staff(staff, Permission.PAYMENTS_RECORD)
    invoice = get_scoped(session, staff, Invoice, invoice_id, change=True, lock=True)
    if invoice.status is InvoiceStatus.DRAFT:
        raise Conflict(f"Invoice {invoice.number} is still a draft; issue it before recording payments.")
    if invoice.status is InvoiceStatus.VOID:
        raise Conflict(f"Invoice {invoice.number} is void; it cannot take payments.")
    if invoice.status is InvoiceStatus.PAID:
        raise Conflict(f"Invoice {invoice.number} is already paid in full.")
    if isinstance(amount_minor, bool) or not isinstance(amount_minor, int) or amount_minor <= 0:
        raise ValidationFailed("The payment amount must be more than zero.")
    balance = invoice.total_minor - invoice.amount_paid_minor
    if amount_minor > balance:
        raise ValidationFailed(
            f"The payment of {amount_minor} exceeds the balance due of {balance} "
            f"({invoice.currency} minor units)."
        )
    if str(currency or "").strip().upper() != invoice.currency:
        raise ValidationFailed(f"The payment currency must match the invoice currency ({invoice.currency}).")
    if not isinstance(received_on, date) or isinstance(received_on, datetime):
        raise ValidationFailed("The date the payment was received is required.")
    if invoice.issue_date is not None and received_on < invoice.issue_date:
        raise ValidationFailed("The payment date cannot be before the invoice's issue date.")
    if received_on > today() + timedelta(days=1):
        raise ValidationFailed("The payment date cannot be in the future.")
    method = " ".join(str(method or "").split())[:40] or "bank_transfer"
    reference = " ".join(str(reference or "").split())
    if len(reference) > 200:
        raise ValidationFailed("The reference must be at most 200 characters.")
    if intake_file_id is not None:
        proof = get_scoped(session, staff, IntakeFile, intake_file_id)
        if proof.kind is not IntakeKind.PAYMENT_PROOF or proof.invoice_id != invoice.id:
            raise ValidationFailed("That upload is not a payment proof for this invoice.")
        if proof.status is IntakeStatus.REJECTED:
            raise Conflict("That payment proof was rejected.")
        if (
            session.scalar(sa.select(col(Payment.id)).where(col(Payment.intake_file_id) == proof.id))
            is not None
        ):
            raise Conflict("A payment was already recorded from that payment proof.")

    new_paid = invoice.amount_paid_minor + amount_minor
    new_status = InvoiceStatus.PAID if new_paid == invoice.total_minor else InvoiceStatus.PARTIALLY_PAID
    now = utcnow()
    result = session.exec(
        sa.update(Invoice)
        .where(
            Invoice.id == invoice.id,  # type: ignore[arg-type]
            Invoice.workspace_id == staff.workspace_id,  # type: ignore[arg-type]
            Invoice.status.in_(PAYABLE),  # type: ignore[attr-defined]
            Invoice.amount_paid_minor == invoice.amount_paid_minor,  # type: ignore[arg-type]
            Invoice.total_minor >= new_paid,  # type: ignore[arg-type]
        )
        .values(amount_paid_minor=new_paid, status=new_status, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if getattr(result, "rowcount", 0) != 1:
        raise Conflict("The invoice changed while the payment was being recorded. Please reload and retry.")
    session.refresh(invoice)
    payment = Payment(
        workspace_id=staff.workspace_id,
        account_id=invoice.account_id,
        invoice_id=invoice_id,
        amount_minor=amount_minor,
        currency=invoice.currency,
        received_on=received_on,
        method=method,
        reference=reference,
        intake_file_id=intake_file_id,
        recorded_by_user_id=staff.user_id,
    )
    session.add(payment)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="invoice.payment_recorded",
        target_type="invoice",
        target_id=invoice.id,
        data={
            "payment_id": payment.id,
            "amount_minor": amount_minor,
            "received_on": received_on.isoformat(),
            "status": new_status.value,
            "intake_file_id": intake_file_id,
        },
        account_id=invoice.account_id,
    )
    return payment


def record_payment(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    amount_minor: int,
    currency: str,
    received_on: date,
    method: str = "bank_transfer",
    reference: str = "",
    intake_file_id: int | None = None,
) -> PaymentRead:
    """Record a payment: open/partially paid → partially paid/paid.

    Scoped: staff with ``payments:record`` in the invoice's workspace; ``intake_file_id`` must be a payment
    proof of this invoice in the same workspace. Raises ``NotFound``; ``Conflict`` for a draft, void or paid
    invoice; ``ValidationFailed`` for an amount that is not positive or exceeds the balance, or a currency
    mismatch.
    """
    staff = require_staff(actor, Permission.PAYMENTS_RECORD)
    payment = add_payment(
        session,
        staff,
        invoice_id,
        amount_minor=amount_minor,
        currency=currency,
        received_on=received_on,
        method=method,
        reference=reference,
        intake_file_id=intake_file_id,
    )
    session.commit()
    return PaymentRead.model_validate(payment)


def void_invoice(session: Session, actor: Actor, invoice_id: int, *, reason: str) -> InvoiceRead:
    """Draft or open with no payments → void, with a reason.

    Scoped: staff with ``invoices:manage``. Raises ``NotFound``, ``ValidationFailed`` without a reason,
    ``Conflict`` once the invoice has payments or is already void.
    """
    staff = require_staff(actor, Permission.INVOICES_MANAGE)
    reason = " ".join(str(reason or "").split())
    if not reason:
        raise ValidationFailed("Give a reason for voiding the invoice.")
    if len(reason) > 500:
        raise ValidationFailed("The reason must be at most 500 characters.")
    invoice = get_scoped(session, staff, Invoice, invoice_id, change=True, lock=True)
    if invoice.status not in VOIDABLE:
        raise _state_conflict(invoice, "voided")
    has_payment = session.scalar(
        sa.select(col(Payment.id)).where(
            col(Payment.workspace_id) == staff.workspace_id, col(Payment.invoice_id) == invoice.id
        )
    )
    if has_payment is not None or invoice.amount_paid_minor:
        raise Conflict(f"Invoice {invoice.number} has payments, so it cannot be voided.")
    previous = invoice.status
    invoice.status = InvoiceStatus.VOID
    invoice.voided_at = utcnow()
    invoice.void_reason = reason
    invoice.updated_at = invoice.voided_at
    session.add(invoice)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="invoice.voided",
        target_type="invoice",
        target_id=invoice.id,
        data={"from": previous.value, "reason": reason},
        account_id=invoice.account_id,
    )
    session.commit()
    return _staff_read(session, invoice)


# ----------------------------------------------------------------------------------------------------
# Staff reads


def get_invoice(session: Session, actor: Actor, invoice_id: int) -> InvoiceRead:
    """One invoice with its lines. Scoped: staff with ``invoices:read`` in its workspace, else NotFound."""
    staff = require_staff(actor, Permission.INVOICES_READ)
    return _staff_read(session, get_scoped(session, staff, Invoice, invoice_id))


SEARCH_MAX_CHARS = 100


def _like_term(text: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``text`` literally (``%``, ``_`` and ``\\`` escaped)."""
    text = " ".join(text.split())[:SEARCH_MAX_CHARS].lower()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def due_filter(value: str) -> tuple[bool, int | None]:
    """``(overdue_only, due_within_days)`` of a list filter value: ``"overdue"`` and ``"due_soon"`` (``DUE_FILTERS``)
    filter by due date; anything else (a status, "all") does not."""
    return value == "overdue", (DUE_SOON_DAYS if value == "due_soon" else None)


def filtered_invoices(
    staff: StaffActor,
    *,
    account_id: int | None = None,
    status: InvoiceStatus | None = None,
    overdue_only: bool = False,
    due_within_days: int | None = None,
) -> SelectOfScalar[Invoice]:
    """The workspace's invoices filtered like the list page (see :func:`list_invoices`), unordered: the list and
    its CSV export (``exports.invoice_list_export``) select the same rows. The caller has checked the actor."""
    query = scoped_select(staff, Invoice)
    if account_id is not None:
        query = query.where(Invoice.account_id == account_id)
    if status is not None:
        query = query.where(Invoice.status == InvoiceStatus(status))
    if overdue_only or due_within_days is not None:
        query = query.where(col(Invoice.status).in_(PAYABLE), col(Invoice.due_date).is_not(None))
    if overdue_only:
        query = query.where(col(Invoice.due_date) < today())
    if due_within_days is not None:
        start = today()
        query = query.where(
            col(Invoice.due_date) >= start,
            col(Invoice.due_date) <= start + timedelta(days=max(0, int(due_within_days))),
        )
    return query


def list_invoices(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    status: InvoiceStatus | None = None,
    search: str = "",
    overdue_first: bool = False,
    overdue_only: bool = False,
    due_within_days: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[InvoiceRead]:
    """One page of the workspace's invoices (without lines), newest first.

    Scoped: staff with ``invoices:read``; an ``account_id`` of another workspace simply matches nothing.
    ``search`` matches the number or the account's name, case-insensitively and literally (at most
    ``SEARCH_MAX_CHARS`` characters; the account join stays in the workspace). ``overdue_first`` puts open and
    partly paid invoices past their due date first, the longest overdue first, then the rest newest first.
    ``overdue_only`` keeps open and partly paid invoices past their due date; ``due_within_days`` those due today or
    in that many days (the command center's signals count the same). Two queries whatever the data size.
    """
    staff = require_staff(actor, Permission.INVOICES_READ)
    query = filtered_invoices(
        staff,
        account_id=account_id,
        status=status,
        overdue_only=overdue_only,
        due_within_days=due_within_days,
    )
    if isinstance(search, str) and search.strip():
        term = _like_term(search)
        query = query.join(
            CustomerAccount,
            sa.and_(
                col(CustomerAccount.id) == col(Invoice.account_id),
                col(CustomerAccount.workspace_id) == staff.workspace_id,
            ),
        ).where(
            sa.or_(
                sa.func.lower(Invoice.number).like(term, escape="\\"),
                sa.func.lower(CustomerAccount.name).like(term, escape="\\"),
            )
        )
    order: list[Any] = [col(Invoice.created_at).desc(), col(Invoice.id).desc()]
    if overdue_first:
        overdue = sa.and_(
            col(Invoice.status).in_(PAYABLE),
            col(Invoice.due_date).is_not(None),
            col(Invoice.due_date) < today(),
        )
        order = [
            sa.case((overdue, 0), else_=1),
            sa.case((overdue, col(Invoice.due_date)), else_=None),
            *order,
        ]
    return Page.fetch(
        session, query.order_by(*order), InvoiceRead, offset=offset, limit=limit, small=account_id is not None
    )


def account_names(session: Session, actor: Actor, account_ids: Sequence[int]) -> dict[int, str]:
    """Names of the actor's workspace's accounts among ``account_ids`` (at most 100; others are left out).

    For list pages that show the account beside each row: one query for the whole page. ``invoices:read``.
    """
    staff = require_staff(actor, Permission.INVOICES_READ)
    ids = sorted({i for i in account_ids if isinstance(i, int) and not isinstance(i, bool)})[:100]
    if not ids:
        return {}
    rows = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.workspace_id == staff.workspace_id, col(CustomerAccount.id).in_(ids)
        )
    ).all()
    return {a.id: a.name for a in rows if a.id is not None}


def list_payments(
    session: Session, actor: Actor, *, invoice_id: int | None = None, offset: int = 0, limit: int = 25
) -> Page[PaymentRead]:
    """One page of the workspace's payments, latest received first. Scoped: staff with ``invoices:read``."""
    staff = require_staff(actor, Permission.INVOICES_READ)
    query = scoped_select(staff, Payment)
    if invoice_id is not None:
        query = query.where(Payment.invoice_id == invoice_id)
    return Page.fetch(
        session,
        query.order_by(col(Payment.received_on).desc(), col(Payment.id).desc()),
        PaymentRead,
        offset=offset,
        limit=limit,
    )


DETAIL_ROWS_SHOWN = 100  # payments and payment proofs shown on an invoice's page (newest first)


@dataclass(frozen=True)
class ProofSummary:
    """A payment proof a contact sent for an invoice, as the staff detail shows it (never the file itself)."""

    id: int
    original_name: str
    size_bytes: int
    sniffed_type: str
    claimed_amount_minor: int | None
    claimed_paid_on: date | None
    status: IntakeStatus
    review_reason: str
    created_at: datetime
    reviewed_at: datetime | None


@dataclass(frozen=True)
class InvoiceDetail:
    invoice: InvoiceRead
    account_name: str
    payment_terms_days: int  # the account's terms: the due date an issue without one gets
    void_reason: str
    voided_at: datetime | None
    payments: list[PaymentRead]  # newest received first, at most DETAIL_ROWS_SHOWN
    proofs: list[ProofSummary]  # newest first, at most DETAIL_ROWS_SHOWN


def get_invoice_detail(session: Session, actor: Actor, invoice_id: int) -> InvoiceDetail:
    """Everything the staff invoice page shows: the invoice with its lines, the account's name and terms, the
    payments recorded and the payment proofs sent for it with their review state.

    Scoped: staff with ``invoices:read`` in the invoice's workspace; ``NotFound`` otherwise. A constant number
    of queries whatever the number of lines, payments or proofs.
    """
    staff = require_staff(actor, Permission.INVOICES_READ)
    invoice = get_scoped(session, staff, Invoice, invoice_id)
    account = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.id == invoice.account_id, CustomerAccount.workspace_id == staff.workspace_id
        )
    ).one()
    payments = session.exec(
        select(Payment)
        .where(Payment.workspace_id == staff.workspace_id, Payment.invoice_id == invoice.id)
        .order_by(col(Payment.received_on).desc(), col(Payment.id).desc())
        .limit(DETAIL_ROWS_SHOWN)
    ).all()
    proofs = session.exec(
        select(IntakeFile)
        .where(
            IntakeFile.workspace_id == staff.workspace_id,
            IntakeFile.invoice_id == invoice.id,
            IntakeFile.kind == IntakeKind.PAYMENT_PROOF,
        )
        .order_by(col(IntakeFile.created_at).desc(), col(IntakeFile.id).desc())
        .limit(DETAIL_ROWS_SHOWN)
    ).all()
    return InvoiceDetail(
        invoice=_staff_read(session, invoice),
        account_name=account.name,
        payment_terms_days=account.payment_terms_days,
        void_reason=invoice.void_reason,
        voided_at=invoice.voided_at,
        payments=[PaymentRead.model_validate(p) for p in payments],
        proofs=[
            ProofSummary(
                id=int(f.id or 0),
                original_name=f.original_name,
                size_bytes=f.size_bytes,
                sniffed_type=f.sniffed_type,
                claimed_amount_minor=f.claimed_amount_minor,
                claimed_paid_on=f.claimed_paid_on,
                status=f.status,
                review_reason=f.review_reason,
                created_at=f.created_at,
                reviewed_at=f.reviewed_at,
            )
            for f in proofs
        ],
    )


# ----------------------------------------------------------------------------------------------------
# Portal (contacts with billing on the account)


def portal_list_invoices(
    session: Session,
    actor: Actor,
    *,
    status: InvoiceStatus | None = None,
    due_first: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[PortalInvoice]:
    """One page of the contact's account's issued invoices (drafts never show), newest first, without lines.

    ``due_first``: open and partly paid invoices first, by due date (undated last), then the rest newest first.
    Scoped: a contact with ``billing`` on the account; anyone else gets ``NotFound``.
    """
    contact = require_contact(actor, ContactPermission.BILLING)
    query = scoped_select(contact, Invoice)
    if status is not None:
        query = query.where(Invoice.status == InvoiceStatus(status))
    order: list[Any] = [col(Invoice.issue_date).desc(), col(Invoice.id).desc()]
    if due_first:
        awaiting = col(Invoice.status).in_((InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID))
        order[:0] = [
            sa.case((awaiting, 0), else_=1),
            sa.case((awaiting & col(Invoice.due_date).is_(None), 1), else_=0),
            sa.case((awaiting, col(Invoice.due_date)), else_=None),
        ]
    return Page.fetch(
        session,
        query.order_by(*order),
        PortalInvoice,
        offset=offset,
        limit=limit,
    )


def portal_get_invoice(session: Session, actor: Actor, invoice_id: int) -> PortalInvoice:
    """An issued invoice of the contact's account, with lines; ``NotFound`` for drafts and other accounts."""
    contact = require_contact(actor, ContactPermission.BILLING)
    return _portal_read(session, get_scoped(session, contact, Invoice, invoice_id))


def portal_list_payments(
    session: Session, actor: Actor, *, invoice_id: int | None = None, offset: int = 0, limit: int = 25
) -> Page[PortalPayment]:
    """One page of payments on the contact's account, latest first. Scoped: a contact with ``billing``."""
    contact = require_contact(actor, ContactPermission.BILLING)
    query = scoped_select(contact, Payment)
    if invoice_id is not None:
        query = query.where(Payment.invoice_id == invoice_id)
    return Page.fetch(
        session,
        query.order_by(col(Payment.received_on).desc(), col(Payment.id).desc()),
        PortalPayment,
        offset=offset,
        limit=limit,
    )
