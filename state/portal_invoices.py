"""Contact invoice pages: the list (``/portal/invoices``, what is due first) and one invoice with its lines,
payments, balance, PDF, and the payment proof the contact sends.

Sending proof changes no balance: the file goes to the team for review, and only their acceptance records the
payment. The handler checks the typed fields here (per-field errors, the form keeps what was typed), then asks
the browser to send the file straight to the authenticated upload route (``assets/portal_upload.js``) with the
form's idempotency key; ``proof_sent`` shows the route's answer. The invoice is always the one this tab loaded
(``_loaded_id``: a backend var the browser cannot set); the route and the services re-check scope.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import timedelta
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models.portal import PortalInvoice, PortalUpload
from portal_app import formatting, routes
from portal_app.services import intake, invoices
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from portal_app.settings import get_settings
from portal_app.statuses import status_color, status_label
from state.base import Events, event
from state.inputs import InputError, parse_day, parse_money
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import ContactArea, ContactPage
from state.portal import team_phrase
from state.threads import RecordThreadMixin

AWAITING_PAYMENT = ("open", "partially_paid")
REFERENCE_MAX = 200  # the upload route's bound
MESSAGE_MAX = 500  # what proof_sent shows of an answer (it arrives from the browser)
PROOF_FIELDS = ("file", "amount", "paid_on", "reference")
PROOFS_SHOWN = 20

# Element ids the upload script reads (the file input and the progress bar of the proof form).
PROOF_FILE_ID = "proof-file"
PROOF_PROGRESS_ID = "proof-progress"
PROOF_INPUT_IDS = ("proof-amount", "proof-paid-on", "proof-reference")

# How a contact reads a proof's review state ("Not accepted" comes with the team's reason, exactly as written).
PROOF_STATES = {
    "received": ("Under review", "blue"),
    "awaiting_review": ("Under review", "blue"),
    "accepted": ("Accepted", "green"),
    "rejected": ("Not accepted", "red"),
}


# -- rows (display strings only) -----------------------------------------------------------------------------


@dataclasses.dataclass
class InvoiceRow:
    href: str
    number: str
    status: str
    color: str
    total: str
    balance: str
    when: str  # "overdue by 5 days" / "due 12 Mar 2027" while awaiting payment, otherwise the issue date


@dataclasses.dataclass
class InvoiceLineRow:
    description: str
    quantity: str
    unit_price: str
    tax: str
    total: str


@dataclasses.dataclass
class PaymentRow:
    received: str
    amount: str
    reference: str


@dataclasses.dataclass
class ProofRow:
    name: str
    size: str
    sent: str
    state: str
    color: str
    reason: str  # the team's reason when not accepted, exactly as written
    reference: str = ""  # the payment reference the contact gave


def _awaiting(inv: PortalInvoice) -> bool:
    return inv.status.value in AWAITING_PAYMENT


def _balance_minor(inv: PortalInvoice) -> int:
    return inv.total_minor - inv.amount_paid_minor


def _invoice_row(inv: PortalInvoice) -> InvoiceRow:
    awaiting = _awaiting(inv)
    overdue = awaiting and inv.due_date is not None and inv.due_date < invoices.today()
    return InvoiceRow(
        href=routes.record_url(routes.PORTAL_INVOICES, inv.id),
        number=inv.number,
        status="Overdue" if overdue else status_label("invoice", inv.status.value),
        color="red" if overdue else status_color("invoice", inv.status.value),
        total=formatting.money(inv.total_minor, inv.currency),
        balance=formatting.balance(_balance_minor(inv), inv.currency) if awaiting else "—",
        when=(formatting.due(inv.due_date, invoices.today()) if awaiting and inv.due_date else "")
        or (f"Issued {formatting.day(inv.issue_date)}" if inv.issue_date else ""),
    )


def _proof_row(up: PortalUpload) -> ProofRow:
    state, color = PROOF_STATES.get(up.status.value, ("Under review", "blue"))
    return ProofRow(
        name=up.original_name,
        size=formatting.file_size(up.size_bytes),
        sent=formatting.day(up.created_at),
        state=state,
        color=color,
        reason=up.review_reason if up.status.value == "rejected" else "",
        reference=up.claimed_reference,
    )


def _tax(bp: int) -> str:
    return f"{bp / 100:g} %"


# -- states ----------------------------------------------------------------------------------------------------


class PortalInvoicesState(ContactPage, ListMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.BILLING

    rows: rx.Field[list[InvoiceRow]] = rx.field([])

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        page = self._fetch_page(
            lambda offset: invoices.portal_list_invoices(
                session, actor, offset=offset, limit=self.PAGE_SIZE, due_first=True
            )
        )
        self.rows = [_invoice_row(inv) for inv in page.items]
        return None


class PortalInvoiceState(ContactPage, DetailMixin, FormMixin, RecordThreadMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.BILLING

    number: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    color: rx.Field[str] = rx.field("gray")
    issued_on: rx.Field[str] = rx.field("")
    due_on: rx.Field[str] = rx.field("")
    due_text: rx.Field[str] = rx.field("")
    subtotal: rx.Field[str] = rx.field("")
    tax: rx.Field[str] = rx.field("")
    total: rx.Field[str] = rx.field("")
    paid: rx.Field[str] = rx.field("")
    balance: rx.Field[str] = rx.field("")
    notes: rx.Field[str] = rx.field("")
    currency: rx.Field[str] = rx.field("")
    lines: rx.Field[list[InvoiceLineRow]] = rx.field([])
    payments: rx.Field[list[PaymentRow]] = rx.field([])
    proofs: rx.Field[list[ProofRow]] = rx.field([])
    pdf_href: rx.Field[str] = rx.field("")
    can_send_proof: rx.Field[bool] = rx.field(False)
    closed_note: rx.Field[str] = rx.field("")  # why no proof is needed (paid, void)
    proof_waiting: rx.Field[bool] = rx.field(False)  # a proof sent earlier is still under review
    limit_label: rx.Field[str] = rx.field("")
    _loaded_id: int = 0
    _currency: str = ""

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        inv = invoices.portal_get_invoice(session, actor, self._record_id())
        if inv.id != self._loaded_id:
            self._new_form()  # another invoice: a new form, a new key
        self._loaded_id, self._currency = inv.id, inv.currency
        cur = inv.currency
        status = inv.status.value
        self.number, self.currency = inv.number, cur
        self.status = status_label("invoice", status)
        self.color = status_color("invoice", status)
        self.issued_on = formatting.day(inv.issue_date)
        self.due_on = formatting.day(inv.due_date)
        due_text = formatting.due(inv.due_date, invoices.today()) if _awaiting(inv) else ""
        self.due_text = "" if due_text.startswith("due ") else due_text  # only "due today" / "overdue by …"
        if self.due_text.startswith("overdue"):
            self.status, self.color = "Overdue", "red"
        self.subtotal = formatting.money(inv.subtotal_minor, cur)
        self.tax = formatting.money(inv.tax_minor, cur)
        self.total = formatting.money(inv.total_minor, cur)
        self.paid = formatting.money(inv.amount_paid_minor, cur)
        self.balance = (
            formatting.balance(_balance_minor(inv), cur) if status != "void" else formatting.money(0, cur)
        )
        self.notes = inv.customer_notes
        self.lines = [
            InvoiceLineRow(
                description=ln.description,
                quantity=str(ln.quantity),
                unit_price=formatting.money(ln.unit_price_minor, cur),
                tax=_tax(ln.tax_rate_bp),
                total=formatting.money(ln.total_minor, cur),
            )
            for ln in inv.lines
        ]
        pays = invoices.portal_list_payments(session, actor, invoice_id=inv.id, limit=50)
        self.payments = [
            PaymentRow(
                received=formatting.day(p.received_on),
                amount=formatting.money(p.amount_minor, p.currency),
                reference=p.reference,
            )
            for p in pays.items
        ]
        self.pdf_href = routes.file_url(routes.FILES_INVOICES, inv.id, ".pdf")
        self.can_send_proof = _awaiting(inv)
        self.closed_note = (
            ""
            if self.can_send_proof
            else "This invoice is paid: no payment proof is needed."
            if status == "paid"
            else "This invoice is void: nothing is due and no payment proof is needed."
        )
        self.limit_label = formatting.file_size(get_settings().upload_max_bytes)
        self._load_proofs(session, actor)
        self._load_thread(session, actor, "invoice", inv.id, f"invoice {inv.number}")
        return None

    def _load_proofs(self, session: Session, actor: ContactActor) -> Events:
        ups = intake.portal_list_uploads(session, actor, invoice_id=self._loaded_id, limit=PROOFS_SHOWN)
        self.proofs = [_proof_row(u) for u in ups.items]
        self.proof_waiting = any(u.status.value in ("received", "awaiting_review") for u in ups.items)
        return None

    @event
    def send_proof(self, form: dict[str, Any]) -> Events:
        """Check the typed fields, then have the browser send the chosen file with them to the upload route."""
        self.errors = {}
        if not self._loaded_id or not self._currency:
            return None
        form = form if isinstance(form, dict) else {}
        amount_minor = 0
        try:
            amount_minor = parse_money(form.get("amount", ""), self._currency, what="the amount you paid")
            if amount_minor <= 0:
                self._fail("amount", "Enter the amount you paid, more than zero.")
        except InputError as exc:
            self._fail("amount", exc.message)
        paid_on = None
        try:
            paid_on = parse_day(form.get("paid_on", ""))
            if paid_on is None:
                self._fail("paid_on", "Enter the date you paid, or pick it from the calendar.")
            elif paid_on > invoices.today() + timedelta(days=1):
                self._fail("paid_on", "The payment date cannot be in the future.")
        except InputError as exc:
            self._fail("paid_on", exc.message)
        reference = self._text(form, "reference", label="the payment reference", max_len=REFERENCE_MAX)
        if not self._valid() or paid_on is None:
            return None
        return self._act(
            lambda session, actor: self._start_upload(session, actor, amount_minor, paid_on, reference)
        )

    def _start_upload(
        self, session: Session, actor: ContactActor, amount_minor: int, paid_on: Any, reference: str
    ) -> Events:
        inv = invoices.portal_get_invoice(session, actor, self._loaded_id)  # still theirs (NotFound reloads)
        if not _awaiting(inv):
            self._fetch(session, actor)
            return rx.toast.info(self.closed_note or "This invoice no longer needs payment proof.")
        balance = _balance_minor(inv)
        if amount_minor > balance:
            self._fail(
                "amount",
                f"The amount is more than the balance due ({formatting.money(balance, inv.currency)}).",
            )
            return None
        options = {
            "url": routes.file_url(routes.FILES_UPLOAD_PROOF, inv.id),
            "inputId": PROOF_FILE_ID,
            "progressId": PROOF_PROGRESS_ID,
            "key": self._key(),
            "params": {"amount": amount_minor, "paid_on": paid_on.isoformat(), "reference": reference},
            "maxBytes": get_settings().upload_max_bytes,
            "maxLabel": formatting.file_size(get_settings().upload_max_bytes),
        }
        unavailable = {
            "ok": False,
            "field": "",
            "message": "The page is still loading. Try again in a moment.",
        }
        script = (
            f"(window.portalUpload ? window.portalUpload({json.dumps(options)}) "
            f": Promise.resolve({json.dumps(unavailable)}))"
        )
        self.submitting = True
        return rx.call_script(script, callback=PortalInvoiceState.proof_sent)

    @event
    def proof_sent(self, result: Any) -> Events:
        """The upload route's answer, as the browser hands it back: shown, never trusted for anything else."""
        self.submitting = False
        ok = result.get("ok") if isinstance(result, dict) else None
        message = result.get("message") if isinstance(result, dict) else None
        if not isinstance(ok, bool) or not isinstance(message, str):
            return rx.toast.error("The upload could not be completed. Please try again.")
        if not ok:
            field = result.get("field")
            where = field if isinstance(field, str) and field in PROOF_FIELDS else "file"
            self._fail(where, " ".join(message.split())[:MESSAGE_MAX] or "The file was not accepted.")
            return None
        team = team_phrase(self.team_name)
        self._new_form()
        return [
            *[rx.set_value(control, "") for control in (*PROOF_INPUT_IDS, PROOF_FILE_ID)],
            rx.toast.success(
                f"Payment proof sent. {team} will review it; your balance changes once they accept it."
            ),
            PortalInvoiceState.reload_proofs,
        ]

    @event
    def reload_proofs(self) -> Events:
        """The proofs of the invoice this tab loaded (after one was sent): never another record."""
        if not self._loaded_id:
            return None
        return self._act(self._load_proofs)


__all__ = [
    "PROOF_FILE_ID",
    "PROOF_PROGRESS_ID",
    "InvoiceLineRow",
    "InvoiceRow",
    "PaymentRow",
    "PortalInvoiceState",
    "PortalInvoicesState",
    "ProofRow",
]
