"""Staff invoice pages: the list (``/app/invoices``) and the detail (``/app/invoices/[id]``) with issue, void and
"record a payment"; the draft form is ``state/invoice_form.py``.

Display rows only: money and dates are formatted here. Every action re-resolves the actor and the services check
the permission and the invoice's state again; what the page shows (``can_*``) is intent only.
"""

from __future__ import annotations

import dataclasses
from datetime import timedelta
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import IntakeStatus, InvoiceStatus, TaskStatus
from models.schemas import InvoiceRead
from portal_app import routes
from portal_app.formatting import day, due, exact, file_size, money
from portal_app.services import invoices, tasks
from portal_app.services.access import StaffActor
from portal_app.services.errors import ValidationFailed
from portal_app.services.invoices import InvoiceDetail
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_color, status_label
from state.audit import history_href
from state.base import Events, event
from state.inputs import InputError, parse_day, parse_money, percent_text
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import StaffArea, StaffPage, SwitchOption
from state.reminders import RecordRemindersMixin
from state.tasks import ALL_STATUSES, TaskRow, account_choices, task_rows

STATUS_VALUES = tuple(s.value for s in InvoiceStatus)
# Besides the statuses: open or partly paid invoices past their due date, or due within DUE_SOON_DAYS (the command
# center links here with ``?status=overdue`` / ``?status=due_soon``; the CSV export reads them too).
DUE_VALUES = invoices.DUE_FILTERS
ORDERS = ("newest", "overdue")
TASKS_SHOWN = 20
PAYMENT_METHODS: tuple[tuple[str, str], ...] = (
    ("bank_transfer", "Bank transfer"),
    ("card", "Card"),
    ("cash", "Cash"),
    ("cheque", "Cheque"),
    ("other", "Other"),
)
_METHOD_LABELS = dict(PAYMENT_METHODS)


def _due_text(inv: InvoiceRead) -> str:
    """ "12 Mar 2027", and while money is owed past or on it: "12 Mar 2027 · overdue by 5 days" / "· due today"."""
    when = due(inv.due_date)
    if inv.status in invoices.PAYABLE and when and not when.startswith("due "):
        return f"{day(inv.due_date)} · {when}"
    return day(inv.due_date)


# -- list ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class InvoiceRow:
    id: int
    href: str
    number: str
    account: str
    status_label: str
    status_color: str
    issued: str
    due: str
    overdue: bool
    total: str
    balance: str


class InvoicesListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.INVOICES_READ
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "status": ("all", *DUE_VALUES, *STATUS_VALUES),
        "account": ("all",),
        "order": ORDERS,
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[InvoiceRow] = []
    account_choices: list[SwitchOption] = []
    can_manage: bool = False
    csv_href: str = ""

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        status = self._filter("status")
        account_id = self._filter_id("account")
        overdue_only, due_within_days = invoices.due_filter(status)
        query: dict[str, Any] = {
            "status": InvoiceStatus(status) if status in STATUS_VALUES else None,
            "overdue_only": overdue_only,
            "due_within_days": due_within_days,
            "account_id": account_id,
            "search": self.search,
            "overdue_first": self._filter("order") == "overdue",
        }
        page = self._fetch_page(
            lambda offset: invoices.list_invoices(
                session, actor, offset=offset, limit=self.PAGE_SIZE, **query
            )
        )
        names = invoices.account_names(session, actor, [i.account_id for i in page.items])
        self.rows = [
            InvoiceRow(
                id=i.id,
                href=routes.record_url(routes.STAFF_INVOICES, i.id),
                number=i.number,
                account=names.get(i.account_id, ""),
                status_label=status_label("invoice", i.status.value),
                status_color=status_color("invoice", i.status.value),
                issued=day(i.issue_date) or "Not issued",
                due=_due_text(i) or "—",
                overdue="overdue by" in _due_text(i),
                total=money(i.total_minor, i.currency),
                balance=money(i.balance_minor, i.currency) if i.status is not InvoiceStatus.VOID else "—",
            )
            for i in page.items
        ]
        self.account_choices = account_choices(session, actor)
        self.can_manage = role_has(actor.role, Permission.INVOICES_MANAGE)
        csv_query: dict[str, str | int] = {}
        if status in STATUS_VALUES or status in DUE_VALUES:  # the export reads the same filters
            csv_query["status"] = status
        if account_id is not None:
            csv_query["account"] = account_id
        self.csv_href = routes.backend_url(routes.FILES_INVOICES + ".csv", **csv_query)
        return None


# -- detail ---------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class InvoiceLineView:
    description: str
    quantity: str
    unit_price: str
    tax_rate: str
    net: str


@dataclasses.dataclass
class PaymentView:
    received: str
    amount: str
    method: str
    reference: str
    source: str


@dataclasses.dataclass
class ProofView:
    id: int
    name: str
    size: str
    kind: str
    claimed_amount: str
    claimed_on: str
    sent: str
    sent_exact: str
    status_label: str
    status_color: str
    reason: str
    awaiting: bool
    file_href: str


def _file_kind(sniffed: str) -> str:
    known = {"application/pdf": "PDF", "image/png": "PNG image", "image/jpeg": "JPEG image"}
    known |= {"image/webp": "WebP image", "image/heic": "HEIC image"}
    return known.get(sniffed, sniffed or "Unknown")


class InvoiceDetailState(StaffPage, DetailMixin, FormMixin, RecordRemindersMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.INVOICES_READ
    REMINDER_RECORD: ClassVar[str] = "invoice"

    number: str = ""
    status_label: str = ""
    status_color: str = ""
    account_name: str = ""
    account_href: str = ""
    issue_date: str = ""
    due_date: str = ""
    subtotal: str = ""
    tax: str = ""
    total: str = ""
    paid: str = ""
    balance: str = ""
    currency: str = ""
    lines: list[InvoiceLineView] = []
    customer_notes: str = ""
    internal_notes: str = ""
    void_reason: str = ""
    payments: list[PaymentView] = []
    proofs: list[ProofView] = []
    proofs_waiting: int = 0
    tasks: list[TaskRow] = []
    can_edit: bool = False
    can_issue: bool = False
    can_void: bool = False
    can_record: bool = False
    edit_href: str = ""
    pdf_href: str = ""
    review_href: str = routes.STAFF_REVIEW
    history_href: str = ""  # the audit log filtered to this invoice ("" for members who may not read it)
    issue_terms: str = ""  # what issuing does to the dates, said in the confirm dialog
    payment_open: bool = False
    payment_today: str = ""
    _currency: str = ""
    _recorded_key: str = ""

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        detail = invoices.get_invoice_detail(session, actor, self._record_id())
        inv = detail.invoice
        cur = inv.currency
        self._currency = self.currency = cur
        self.number = inv.number
        self.status_label = status_label("invoice", inv.status.value)
        self.status_color = status_color("invoice", inv.status.value)
        self.account_name = detail.account_name
        self.account_href = routes.record_url(routes.STAFF_ACCOUNTS, inv.account_id)
        self.history_href = history_href(actor, "invoice", inv.id)
        self.issue_date = day(inv.issue_date) or "Not issued yet"
        self.due_date = _due_text(inv) or "Set when issued"
        self.subtotal, self.tax, self.total = (
            money(inv.subtotal_minor, cur),
            money(inv.tax_minor, cur),
            money(inv.total_minor, cur),
        )
        self.paid = money(inv.amount_paid_minor, cur)
        self.balance = (
            money(inv.balance_minor, cur) if inv.status is not InvoiceStatus.VOID else "None (void)"
        )
        self.lines = [
            InvoiceLineView(
                description=ln.description,
                quantity=str(ln.quantity),
                unit_price=money(ln.unit_price_minor, cur),
                tax_rate=f"{percent_text(ln.tax_rate_bp)} %",
                net=money(ln.total_minor, cur),
            )
            for ln in inv.lines
        ]
        self.customer_notes, self.internal_notes = inv.customer_notes, inv.internal_notes
        self.void_reason = detail.void_reason if inv.status is InvoiceStatus.VOID else ""
        self.payments = [
            PaymentView(
                received=day(p.received_on),
                amount=money(p.amount_minor, p.currency),
                method=_METHOD_LABELS.get(p.method, p.method.replace("_", " ").capitalize()),
                reference=p.reference or "—",
                source="Payment proof" if p.intake_file_id else "Recorded by hand",
            )
            for p in detail.payments
        ]
        self._fill_proofs(detail)
        self.tasks = self._tasks(session, actor, detail)
        self._fill_actions(actor, detail)
        self._fill_reminders(session, actor, inv.id, inv.account_id)
        return None

    def _fill_proofs(self, detail: InvoiceDetail) -> None:
        cur = detail.invoice.currency
        self.proofs = [
            ProofView(
                id=p.id,
                name=p.original_name,
                size=file_size(p.size_bytes),
                kind=_file_kind(p.sniffed_type),
                claimed_amount=money(p.claimed_amount_minor, cur) if p.claimed_amount_minor else "—",
                claimed_on=day(p.claimed_paid_on) or "—",
                sent=day(p.created_at),
                sent_exact=exact(p.created_at),
                status_label=status_label("intake", p.status.value),
                status_color=status_color("intake", p.status.value),
                reason=p.review_reason,
                awaiting=p.status in (IntakeStatus.RECEIVED, IntakeStatus.AWAITING_REVIEW),
                file_href=routes.file_url(routes.FILES_INTAKE, p.id),
            )
            for p in detail.proofs
        ]
        self.proofs_waiting = sum(1 for p in self.proofs if p.awaiting)

    def _tasks(self, session: Session, actor: StaffActor, detail: InvoiceDetail) -> list[TaskRow]:
        """The invoice's own follow-ups and the open review tasks of its payment proofs (two queries)."""
        inv = detail.invoice
        own = tasks.list_tasks(
            session, actor, source_type="invoice", source_id=inv.id, statuses=ALL_STATUSES, limit=TASKS_SHOWN
        ).items
        proof_ids = {p.id for p in detail.proofs}
        reviews = []
        if proof_ids:
            page = tasks.list_tasks(
                session,
                actor,
                source_type="intake_file",
                account_id=inv.account_id,
                statuses=(TaskStatus.OPEN, TaskStatus.IN_PROGRESS),
                limit=100,
            )
            reviews = [t for t in page.items if t.source_id in proof_ids]
        return task_rows([*own, *reviews][:TASKS_SHOWN])

    def _fill_actions(self, actor: StaffActor, detail: InvoiceDetail) -> None:
        inv = detail.invoice
        manage = role_has(actor.role, Permission.INVOICES_MANAGE)
        draft = inv.status is InvoiceStatus.DRAFT
        self.can_edit = manage and draft
        self.can_issue = manage and draft and inv.total_minor > 0
        self.can_void = manage and inv.status in invoices.VOIDABLE and inv.amount_paid_minor == 0
        self.can_record = role_has(actor.role, Permission.PAYMENTS_RECORD) and inv.status in invoices.PAYABLE
        self.edit_href = routes.record_url(routes.STAFF_INVOICES, inv.id, routes.EDIT)
        self.pdf_href = routes.file_url(routes.FILES_INVOICES, inv.id, ".pdf")
        today = invoices.today()
        if inv.due_date is not None and inv.due_date < today:
            self.issue_terms = (
                f"The due date on the draft ({day(inv.due_date)}) has passed: edit the draft before issuing."
            )
        elif inv.due_date is not None:
            self.issue_terms = f"It is dated today and due {day(inv.due_date)}, the date on the draft."
        else:
            terms = detail.payment_terms_days
            self.issue_terms = (
                f"It is dated today and due {day(today + timedelta(days=terms))}, "
                f"{terms} days later (the account's payment terms)."
            )
        self.payment_today = today.isoformat()

    # -- actions (each re-resolves the actor; the services check permission and state again)

    @event
    def issue(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            done = invoices.issue_invoice(session, actor, self._record_id())
            self._fetch(session, actor)
            return rx.toast.success(
                f"{done.number} issued, due {day(done.due_date)}. {self.account_name}'s contacts with billing "
                "access can see it and send payment proof in the portal."
            )

        return self._act(work)

    @event
    def void(self, form: dict[str, Any]) -> Events:
        raw = form.get("reason") if isinstance(form, dict) else None
        reason = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not reason:
            return rx.toast.error("Give a reason for voiding the invoice: the contact will read it.")

        def work(session: Session, actor: StaffActor) -> Events:
            done = invoices.void_invoice(session, actor, self._record_id(), reason=reason[:500])
            self._fetch(session, actor)
            return rx.toast.success(
                f"{done.number} is void. Its contacts see it as void with your reason; nothing is owed on it."
            )

        return self._act(work)

    @event
    def set_payment_open(self, value: bool) -> Events:
        """The "Record a payment" dialog opened or closed: a fresh form (and key) each time it opens."""
        self.payment_open = bool(value)
        if self.payment_open:
            self._new_form()
        return None

    @event
    def record_payment(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            if self._recorded_key and self._recorded_key == self._form_key:
                return rx.toast.info("That payment is recorded already.")  # a double submit of one form
            self.errors = {}
            values = self._payment_values(form)
            if values is None:
                return rx.toast.error("Check the highlighted fields: no payment was recorded.")
            self.submitting = True
            try:
                invoices.record_payment(session, actor, self._record_id(), currency=self._currency, **values)
            except ValidationFailed as exc:  # the balance, the issue date: shown under the field it is about
                lowered = exc.message.lower()
                name = (
                    "received_on"
                    if "date" in lowered
                    else "reference"
                    if "reference" in lowered
                    else "amount"
                )
                message = exc.message
                if "exceeds the balance" in lowered:
                    message = f"That is more than the balance due ({self.balance}): enter at most that."
                self._fail(name, message)
                return rx.toast.error("No payment was recorded: " + message)
            finally:
                self.submitting = False
            self._recorded_key = self._key()
            self.payment_open = False
            self._fetch(session, actor)
            left = (
                f"{self.balance} is still due."
                if self.status_label != status_label("invoice", InvoiceStatus.PAID.value)
                else "It is now paid in full."
            )
            return rx.toast.success(
                f"Payment of {money(values['amount_minor'], self._currency)} recorded. {left}"
            )

        return self._act(work)

    def _payment_values(self, form: dict[str, Any]) -> dict[str, Any] | None:
        def text(name: str, limit: int) -> str:
            raw = form.get(name)
            return " ".join(raw.split())[:limit] if isinstance(raw, str) else ""

        values: dict[str, Any] = {}
        try:
            values["amount_minor"] = parse_money(
                text("amount", 40), self._currency or "USD", what="the amount"
            )
            if values["amount_minor"] <= 0:
                self._fail("amount", "Enter an amount more than zero.")
        except InputError as exc:
            self._fail("amount", exc.message)
        try:
            received = parse_day(text("received_on", 20))
            if received is None:
                self._fail("received_on", "Enter the date the payment arrived.")
            elif received > invoices.today():
                self._fail("received_on", "The date cannot be in the future.")
            values["received_on"] = received
        except InputError as exc:
            self._fail("received_on", exc.message)
        method = text("method", 40)
        if method not in _METHOD_LABELS:
            self._fail("method", "Choose how the payment was made.")
        values["method"] = method
        reference = text("reference", 201)
        if len(reference) > 200:
            self._fail("reference", "Keep the reference to 200 characters or fewer.")
        values["reference"] = reference
        return values if self._valid() else None
