"""PDF documents: invoices, estimates and account statements, rendered with fpdf2 and the bundled DejaVu Sans.

The renderers (``invoice_pdf``, ``estimate_pdf``, ``statement_pdf``) take DTOs and print customer-facing fields
only, whoever asks: a PDF is the paper the customer receives, so internal notes, costs and margins are never
printed, not even on a staff member's copy. Every amount goes through ``formatting.money`` / ``formatting.balance``
and every date through ``formatting.day``, so the PDF shows the same strings as the pages.

The loaders (``invoice_document``, ``estimate_document``, ``statement_document``, ``snapshot_document``) fetch
what a document needs through the scoped services and return ``(filename, pdf bytes)``; they raise ``NotFound``
(or ``Forbidden`` for a staff role without the permission) exactly as the services do. Every PDF carries the
letterhead of the workspace that issued it (its display name, logo and accent colour: ``services/branding.py``),
whoever asks; the page itself is ``services/paper.py``.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

from babel.numbers import format_decimal
from sqlmodel import Session

from models import CustomerAccount, Workspace
from models.portal import PortalEstimate, PortalInvoice, PortalPayment
from models.schemas import EstimateRead, InvoiceRead, Page, PaymentRead, StatementRead
from portal_app import formatting
from portal_app.services import branding, estimates, intake, invoices, snapshots, statements
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    get_scoped,
    log_authorization_failure,
    require_contact,
    require_staff,
)
from portal_app.services.errors import NotFound
from portal_app.services.paper import Letterhead, Paper
from portal_app.services.permissions import ContactPermission, Permission
from portal_app.statuses import status_label

PDF_TYPE = "application/pdf"
# Files a reviewer may open inline (an image, or a PDF in the browser's viewer); anything else is download-only.
PREVIEWABLE_TYPES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif", PDF_TYPE})

MAX_PAYMENT_PAGES = 10  # 1,000 payments on one invoice is far past anything real


def tax_percent(bp: int) -> str:
    """A tax rate in basis points as the pages show it: 2000 → "20 %", 725 → "7.25 %"."""
    return f"{format_decimal(Decimal(int(bp)) / 100, format='0.##', locale=formatting.LOCALE)} %"


def default_instructions(number: str) -> str:
    return f"Please quote {number} with your payment."


_LINE_WIDTHS = (78.0, 14.0, 28.0, 16.0, 38.0)
_LINE_ALIGN = ("LEFT", "RIGHT", "RIGHT", "RIGHT", "RIGHT")
_LINE_HEADING = ("Description", "Qty", "Unit price", "Tax", "Net")


def _line_rows(lines: Sequence[Any], currency: str) -> list[tuple[str, ...]]:
    rows: list[tuple[str, ...]] = [_LINE_HEADING]
    for ln in lines:
        rows.append(
            (
                ln.description,
                str(ln.quantity),
                formatting.money(ln.unit_price_minor, currency),
                tax_percent(ln.tax_rate_bp),
                formatting.money(ln.total_minor, currency),
            )
        )
    return rows


# -- renderers -----------------------------------------------------------------------------------------------


def invoice_pdf(
    invoice: InvoiceRead | PortalInvoice,
    *,
    workspace_name: str,
    account_name: str,
    payments: Sequence[PaymentRead | PortalPayment] = (),
    payment_instructions: str = "",
    letterhead: Letterhead | None = None,
) -> bytes:
    """An invoice: who bills whom, number, dates, lines, subtotal, tax, total, paid, balance due, payments
    received, the customer notes and how to pay. Internal notes are never printed."""
    cur = invoice.currency
    title = f"Invoice {invoice.number}"
    marker = {
        "draft": "Draft: not issued, not payable",
        "void": "Void: nothing is owed on this invoice",
    }.get(invoice.status.value, "")
    paper = Paper(title=title, workspace_name=workspace_name, letterhead=letterhead)
    paper.heading(workspace_name, title, marker)
    paper.facts(
        [
            ("Bill to", account_name),
            ("Invoice number", invoice.number),
            ("Issue date", formatting.day(invoice.issue_date)),
            ("Due date", formatting.day(invoice.due_date)),
            ("Status", status_label("invoice", invoice.status.value)),
            ("Currency", cur),
        ]
    )
    paper.grid(_LINE_WIDTHS, _LINE_ALIGN, _line_rows(invoice.lines, cur))
    balance = invoice.total_minor - invoice.amount_paid_minor
    paper.totals(
        [
            ("Subtotal", formatting.money(invoice.subtotal_minor, cur), False),
            ("Tax", formatting.money(invoice.tax_minor, cur), False),
            ("Total", formatting.money(invoice.total_minor, cur), True),
            ("Amount paid", formatting.money(invoice.amount_paid_minor, cur), False),
            ("Balance due", formatting.balance(balance, cur), True),
        ]
    )
    if payments:
        paper.section("Payments received")
        rows: list[tuple[str, ...]] = [("Date", "Reference", "Amount")]
        rows += [
            (formatting.day(p.received_on), p.reference, formatting.money(p.amount_minor, p.currency))
            for p in payments
        ]
        paper.grid((40.0, 94.0, 40.0), ("LEFT", "LEFT", "RIGHT"), rows)
    paper.paragraph("Notes", invoice.customer_notes)
    if invoice.status.value not in ("void", "paid"):
        paper.paragraph("How to pay", payment_instructions.strip() or default_instructions(invoice.number))
    return paper.bytes()


def estimate_pdf(
    estimate: EstimateRead | PortalEstimate,
    *,
    workspace_name: str,
    account_name: str,
    letterhead: Letterhead | None = None,
) -> bytes:
    """An estimate: number, title, version, validity, lines, totals and the customer notes. Costs, margins and
    internal notes are never printed."""
    cur = estimate.currency
    title = f"Estimate {estimate.number}"
    marker = "Draft: not shared with the customer yet" if estimate.status.value == "draft" else ""
    paper = Paper(title=title, workspace_name=workspace_name, letterhead=letterhead)
    paper.heading(workspace_name, title, marker)
    paper.facts(
        [
            ("Prepared for", account_name),
            ("Estimate", estimate.title),
            ("Number", f"{estimate.number}, version {estimate.current_version}"),
            ("Date", formatting.day(estimate.shared_at)),
            ("Valid until", formatting.day(estimate.valid_until)),
            ("Status", status_label("estimate", estimate.status.value)),
            ("Currency", cur),
        ]
    )
    paper.grid(_LINE_WIDTHS, _LINE_ALIGN, _line_rows(estimate.lines, cur))
    paper.totals(
        [
            ("Subtotal", formatting.money(estimate.subtotal_minor, cur), False),
            ("Tax", formatting.money(estimate.tax_minor, cur), False),
            ("Total", formatting.money(estimate.total_minor, cur), True),
        ]
    )
    paper.paragraph("Notes", estimate.customer_notes)
    return paper.bytes()


AGING_LABELS = (
    ("current", "Current"),
    ("days_1_30", "1-30 days"),
    ("days_31_60", "31-60 days"),
    ("days_61_90", "61-90 days"),
    ("days_90_plus", "90+ days"),
)


def statement_pdf(
    statement: StatementRead,
    *,
    workspace_name: str,
    payment_instructions: str = "",
    shared_at: datetime | None = None,
    letterhead: Letterhead | None = None,
) -> bytes:
    """An account statement: period, opening balance, each invoice and payment with the running balance, the
    closing balance and what is outstanding by age (as of the period's end)."""
    cur = statement.currency
    title = "Account statement"
    paper = Paper(
        title=f"{title} {statement.period_start.isoformat()} to {statement.period_end.isoformat()}",
        workspace_name=workspace_name,
        letterhead=letterhead,
    )
    paper.heading(workspace_name, title)
    paper.facts(
        [
            ("Account", statement.account_name),
            ("Period", f"{formatting.day(statement.period_start)} to {formatting.day(statement.period_end)}"),
            ("Shared on", formatting.day(shared_at) if shared_at else ""),
            ("Currency", cur),
        ]
    )
    rows: list[tuple[str, ...]] = [("Date", "Description", "Charges", "Payments", "Balance")]
    rows.append(
        (
            formatting.day(statement.period_start),
            "Opening balance",
            "",
            "",
            formatting.balance(statement.opening_balance_minor, cur),
        )
    )
    for ln in statement.lines:
        rows.append(
            (
                formatting.day(ln.on),
                ln.description,
                formatting.money(ln.debit_minor, cur) if ln.debit_minor else "",
                formatting.money(ln.credit_minor, cur) if ln.credit_minor else "",
                formatting.balance(ln.balance_minor, cur),
            )
        )
    rows.append(
        (
            formatting.day(statement.period_end),
            "Closing balance",
            "",
            "",
            formatting.balance(statement.closing_balance_minor, cur),
        )
    )
    paper.grid((26.0, 64.0, 28.0, 28.0, 28.0), ("LEFT", "LEFT", "RIGHT", "RIGHT", "RIGHT"), rows)
    paper.totals(
        [
            ("Opening balance", formatting.balance(statement.opening_balance_minor, cur), False),
            ("Closing balance", formatting.balance(statement.closing_balance_minor, cur), True),
        ]
    )
    paper.section(f"Outstanding by age on {formatting.day(statement.period_end)}")
    aging = statement.aging
    paper.grid(
        (29.0,) * 6,
        ("RIGHT",) * 6,
        [
            tuple(label for _, label in AGING_LABELS) + ("Total",),
            tuple(formatting.money(getattr(aging, key), cur) for key, _ in AGING_LABELS)
            + (formatting.money(aging.total, cur),),
        ],
    )
    paper.paragraph(
        "How to pay", payment_instructions.strip() or "Please quote the invoice numbers with your payment."
    )
    return paper.bytes()


# -- loaders: scope first, then render -------------------------------------------------------------------------


@dataclass(frozen=True)
class _Issuer:
    name: str  # the name customers know the workspace by (its display name, or its name)
    payment_instructions: str
    letterhead: Letterhead


def _issuer(session: Session, actor: StaffActor | ContactActor) -> _Issuer:
    # The actor's workspace id comes from the server-side session, never from input: a PDF carries the branding
    # of the workspace that issued it, whoever asks (staff get the customer's paper).
    ws = session.get(Workspace, actor.workspace_id)
    if ws is None:
        raise NotFound()
    brand = branding.get_branding(session, actor.workspace_id)
    logo = branding.workspace_logo(session, actor.workspace_id)
    return _Issuer(brand.name, ws.payment_instructions, Letterhead(brand.colors, logo))


def _account_name(session: Session, actor: StaffActor | ContactActor, account_id: int) -> str:
    return get_scoped(session, actor, CustomerAccount, account_id).name


def _all_pages(fetch: Callable[[int], Page[Any]]) -> list[Any]:
    items: list[Any] = []
    for i in range(MAX_PAYMENT_PAGES):
        page = fetch(i * 100)
        items.extend(page.items)
        if not page.has_more:
            break
    return list(reversed(items))  # services list latest first; the paper reads oldest first


def _deny(actor: Actor, what: str, target: object) -> NotFound:
    log_authorization_failure(
        actor.kind, getattr(actor, "audit_id", getattr(actor, "email", None)), what, target
    )
    return NotFound()


def safe_filename(stem: str, suffix: str) -> str:
    """A file name from record numbers, names and dates: letters (any script), digits, ``.``, ``-``, ``_`` only.

    The download route adds an ASCII fallback next to the UTF-8 name."""
    cleaned = re.sub(r"[^\w.-]+", "-", stem).strip(".-_") or "document"
    return f"{cleaned[:80]}{suffix}"


def invoice_document(session: Session, actor: Actor, invoice_id: int) -> tuple[str, bytes]:
    """``(filename, pdf)`` of an invoice. Staff with ``invoices:read`` in its workspace (drafts too); a contact
    with ``billing`` on its account, issued invoices only. ``NotFound`` (or ``Forbidden``) otherwise."""
    invoice: InvoiceRead | PortalInvoice
    payments: list[PaymentRead | PortalPayment]
    if isinstance(actor, StaffActor):
        staff = require_staff(actor, Permission.INVOICES_READ)
        staff_invoice = invoices.get_invoice(session, staff, invoice_id)
        invoice = staff_invoice
        account_name = _account_name(session, staff, staff_invoice.account_id)
        payments = _all_pages(
            lambda off: invoices.list_payments(session, staff, invoice_id=invoice_id, offset=off, limit=100)
        )
        issuer = _issuer(session, staff)
    elif isinstance(actor, ContactActor):
        contact = require_contact(actor, ContactPermission.BILLING)
        invoice = invoices.portal_get_invoice(session, contact, invoice_id)
        account_name = _account_name(session, contact, contact.account_id)
        payments = _all_pages(
            lambda off: invoices.portal_list_payments(
                session, contact, invoice_id=invoice_id, offset=off, limit=100
            )
        )
        issuer = _issuer(session, contact)
    else:
        raise _deny(actor, "invoice-pdf", invoice_id)
    pdf = invoice_pdf(
        invoice,
        workspace_name=issuer.name,
        account_name=account_name,
        payments=payments,
        payment_instructions=issuer.payment_instructions,
        letterhead=issuer.letterhead,
    )
    return safe_filename(invoice.number, ".pdf"), pdf


def estimate_document(session: Session, actor: Actor, estimate_id: int) -> tuple[str, bytes]:
    """``(filename, pdf)`` of an estimate. Staff with ``estimates:read`` (drafts too); a contact with
    ``operations`` on its account, shared ones only (never drafts). ``NotFound`` (or ``Forbidden``) otherwise."""
    estimate: EstimateRead | PortalEstimate
    if isinstance(actor, StaffActor):
        staff = require_staff(actor, Permission.ESTIMATES_READ)
        staff_estimate = estimates.get_estimate(session, staff, estimate_id)
        estimate = staff_estimate
        account_name = _account_name(session, staff, staff_estimate.account_id)
        issuer = _issuer(session, staff)
    elif isinstance(actor, ContactActor):
        contact = require_contact(actor, ContactPermission.OPERATIONS)
        estimate = estimates.portal_get_estimate(session, contact, estimate_id)
        account_name = _account_name(session, contact, contact.account_id)
        issuer = _issuer(session, contact)
    else:
        raise _deny(actor, "estimate-pdf", estimate_id)
    pdf = estimate_pdf(
        estimate, workspace_name=issuer.name, account_name=account_name, letterhead=issuer.letterhead
    )
    return safe_filename(f"{estimate.number}-v{estimate.current_version}", ".pdf"), pdf


def statement_filename(statement: StatementRead, suffix: str) -> str:
    start, end = statement.period_start.isoformat(), statement.period_end.isoformat()
    return safe_filename(f"{statement.account_name} statement {start} to {end}", suffix)


def statement_document(
    session: Session, actor: Actor, account_id: int, *, period_start: date, period_end: date
) -> tuple[str, bytes]:
    """``(filename, pdf)`` of an account's statement for the period. Staff with ``statements:read`` for any
    account of their workspace; a contact with ``billing`` for their own account only. ``NotFound`` (or
    ``Forbidden``) otherwise; ``ValidationFailed`` for a bad period."""
    if not isinstance(actor, StaffActor | ContactActor):
        raise _deny(actor, "statement-pdf", account_id)
    statement = statements.compute_statement(
        session, actor, account_id, period_start=period_start, period_end=period_end
    )
    issuer = _issuer(session, actor)
    pdf = statement_pdf(
        statement,
        workspace_name=issuer.name,
        payment_instructions=issuer.payment_instructions,
        letterhead=issuer.letterhead,
    )
    return statement_filename(statement, ".pdf"), pdf


def snapshot_document(session: Session, actor: Actor, snapshot_id: int) -> tuple[str, bytes]:
    """``(filename, pdf)`` of a shared statement, as it was when shared. Scoped by ``snapshots.get_snapshot``."""
    snap = snapshots.get_snapshot(session, actor, snapshot_id)
    if not isinstance(actor, StaffActor | ContactActor):  # get_snapshot already refused anyone else
        raise _deny(actor, "snapshot-pdf", snapshot_id)
    issuer = _issuer(session, actor)
    pdf = statement_pdf(
        snap.statement,
        workspace_name=issuer.name,
        payment_instructions=issuer.payment_instructions,
        shared_at=snap.shared_at,
        letterhead=issuer.letterhead,
    )
    return statement_filename(snap.statement, ".pdf"), pdf


def preview_intake_file(session: Session, actor: Actor, intake_id: int) -> tuple[Path, str, str]:
    """``(path, sniffed_type, display_name)`` of an intake file a reviewer may open inline.

    Scoped: staff with ``intake:read`` in the file's workspace only (contacts download their own files as
    attachments). Only images and PDFs, by the type sniffed from the content at upload; anything else is
    ``NotFound`` here and stays download-only.
    """
    staff = require_staff(actor, Permission.INTAKE_READ)
    path, content_type, name = intake.open_intake_file(session, staff, intake_id)
    if content_type not in PREVIEWABLE_TYPES:
        raise _deny(staff, "intake-preview-type", intake_id)
    return path, content_type, name
