"""The review queue (``/app/review``): files contacts sent that wait for a reviewer's decision, oldest first.

A row's "Review" opens it in a dialog. The item the dialog acts on is looked up in the rows this page loaded (kept
in a backend var) when it opens, never taken from the browser as sent; the service scopes it again when the
reviewer accepts or rejects. Accepting payment proof records the payment on the invoice in the same transaction
(``intake.review_intake``); the reviewer may correct the amount and the date received.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import TYPE_CHECKING, Any, ClassVar

import reflex as rx

from models import DocumentRequestStatus, IntakeKind
from portal_app import routes
from portal_app.formatting import balance, day, exact, file_size, money, relative
from portal_app.services import document_requests, intake, invoices
from portal_app.services.access import StaffActor
from portal_app.services.errors import Conflict
from portal_app.services.intake import ReviewItem
from portal_app.services.permissions import Permission
from state.base import Events, event, parse_id
from state.inputs import InputError, money_text, parse_day, parse_money
from state.mixins import FormMixin, ListMixin
from state.pages import GATE_READY, StaffArea, StaffPage

if TYPE_CHECKING:
    from sqlmodel import Session

KIND_VALUES = tuple(k.value for k in IntakeKind)
KIND_LABELS = {
    IntakeKind.PAYMENT_PROOF.value: "Payment proof",
    IntakeKind.DOCUMENT.value: "Document",
    IntakeKind.ATTACHMENT.value: "Message attachment",
}
# What the preview route shows inline (anything else is offered as a download only; never HTML).
PREVIEW_IMAGES = frozenset({"image/png", "image/jpeg", "image/webp", "image/gif"})
PREVIEW_PDF = "application/pdf"
TYPE_LABELS = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/webp": "WebP image",
    "image/heic": "HEIC image",
}
MAX_REASON = intake.MAX_REASON


@dataclasses.dataclass
class ReviewRow:
    """What the queue and the review dialog show of one waiting file (display strings only)."""

    id: int = 0
    kind_label: str = ""
    is_proof: bool = False
    account: str = ""
    contact: str = ""
    contact_email: str = ""
    record: str = ""  # the invoice number or the document request's title
    record_href: str = ""  # the invoice or document request page
    item: str = ""  # the checklist item a document is for ("" for payment proof)
    balance_due: str = ""
    currency: str = ""  # the invoice's currency code, for the amount field's label
    amount: str = ""  # claimed, in the invoice's currency ("" for documents)
    paid_on: str = ""  # the claimed payment date
    reference: str = ""  # the contact's payment reference, exactly as typed
    note: str = ""
    file_name: str = ""
    size: str = ""
    type_label: str = ""
    received: str = ""
    received_exact: str = ""
    download_url: str = ""
    preview_url: str = ""  # "" when the type has no inline preview
    preview_kind: str = ""  # "image", "pdf" or ""


@dataclasses.dataclass(frozen=True)
class HeldItem:
    """What the server keeps of a loaded row for the dialog's actions (never sent to the browser)."""

    id: int
    is_proof: bool
    currency: str
    invoice_id: int | None
    invoice_number: str
    balance_due_minor: int | None
    claimed_minor: int | None
    claimed_on: date | None
    document_request_id: int | None = None


def _type_label(sniffed: str) -> str:
    return TYPE_LABELS.get(sniffed, sniffed)


def _row(item: ReviewItem) -> ReviewRow:
    is_proof = item.kind is IntakeKind.PAYMENT_PROOF
    has_invoice = is_proof and item.invoice_id is not None
    preview_kind = (
        "image" if item.sniffed_type in PREVIEW_IMAGES else "pdf" if item.sniffed_type == PREVIEW_PDF else ""
    )
    return ReviewRow(
        id=item.id,
        kind_label=KIND_LABELS.get(item.kind.value, item.kind.value),
        is_proof=is_proof,
        account=item.account_name,
        contact=item.contact_name or item.contact_email,
        contact_email=item.contact_email,
        record=item.invoice_number if is_proof else item.request_title,
        record_href=routes.record_url(routes.STAFF_INVOICES, item.invoice_id)
        if has_invoice and item.invoice_id
        else routes.record_url(routes.STAFF_DOCUMENTS, item.document_request_id)
        if item.document_request_id
        else "",
        item="" if is_proof or item.item_label == item.request_title else item.item_label,
        balance_due=balance(item.balance_due_minor, item.currency)
        if has_invoice and item.balance_due_minor is not None
        else "",
        currency=item.currency,
        amount=money(item.claimed_amount_minor, item.currency)
        if is_proof and item.claimed_amount_minor is not None and item.currency
        else "",
        paid_on=day(item.claimed_paid_on),
        reference=item.claimed_reference,
        note=item.note,
        file_name=item.original_name,
        size=file_size(item.size_bytes),
        type_label=_type_label(item.sniffed_type),
        received=relative(item.created_at),
        received_exact=exact(item.created_at),
        download_url=routes.file_url(routes.FILES_INTAKE, item.id),
        preview_url=routes.file_url(routes.FILES_INTAKE, item.id, "/preview") if preview_kind else "",
        preview_kind=preview_kind,
    )


def _held(item: ReviewItem) -> HeldItem:
    return HeldItem(
        id=item.id,
        is_proof=item.kind is IntakeKind.PAYMENT_PROOF,
        currency=item.currency,
        invoice_id=item.invoice_id,
        invoice_number=item.invoice_number,
        balance_due_minor=item.balance_due_minor,
        claimed_minor=item.claimed_amount_minor,
        claimed_on=item.claimed_paid_on,
        document_request_id=item.document_request_id,
    )


def _document_accepted(session: Session, actor: StaffActor, held: HeldItem) -> str:
    """The toast after accepting a document: whether its request is now complete or still waits for items."""
    done = "Document accepted. The follow-up task is closed."
    if held.document_request_id is None:
        return done
    request = document_requests.get_document_request(session, actor, held.document_request_id)
    if request.status is DocumentRequestStatus.FULFILLED:
        return f"Document accepted: “{request.title}” is complete. The follow-up task is closed."
    return f"{done} “{request.title}” still needs files for other items."


class ReviewQueueState(StaffPage, ListMixin, FormMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.INTAKE_REVIEW
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {"kind": ("", *KIND_VALUES)}

    rows: list[ReviewRow] = []
    waiting: int = 0  # everything that waits, whatever the filter: the page header's count

    # The review dialog: what it shows, and the form's starting values.
    review_open: bool = False
    review: ReviewRow = ReviewRow()
    amount_text: str = ""
    received_text: str = ""
    today_iso: str = ""

    _loaded: dict[int, HeldItem] = {}
    _review_id: int = 0

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        kind = self._filter("kind") or None

        def fetch(offset: int) -> Any:
            return intake.review_queue(session, actor, kind=kind, offset=offset, limit=self.PAGE_SIZE)

        page = self._fetch_page(fetch)
        self.waiting = intake.review_queue_count(session, actor) if kind else page.total
        self.rows = [_row(item) for item in page.items]
        self._loaded = {item.id: _held(item) for item in page.items}
        self.today_iso = intake.today().isoformat()
        if self._review_id and self._review_id not in self._loaded:
            self._close_review()  # decided meanwhile (by someone else, or just now): the dialog has nothing to act on
        return None

    # -- filters -------------------------------------------------------------------------------------------------

    @rx.var
    def kind_filter(self) -> str:
        """The kind select's value ("all" stands for no filter: Radix reserves the empty value)."""
        return self.filters.get("kind", "") or "all"

    @rx.var
    def waiting_label(self) -> str:
        if self.waiting == 0:
            return "Nothing waits for a decision."
        return (
            "1 file waits for a decision."
            if self.waiting == 1
            else f"{self.waiting} files wait for a decision."
        )

    @event
    def choose_kind(self, value: str) -> Events:
        return self.set_filter("kind", "" if value == "all" else value)

    # -- the review dialog -----------------------------------------------------------------------------------

    def _close_review(self) -> None:
        self.review_open = False
        self.review = ReviewRow()
        self._review_id = 0
        self.errors = {}
        self.submitting = False

    def _current(self) -> HeldItem | None:
        """The item the dialog was opened on, if this page still holds it."""
        if self.gate != GATE_READY or not self.review_open:
            return None
        return self._loaded.get(self._review_id)

    @event
    def open_review(self, item_id: Any) -> Events:
        """Open the dialog on one loaded row. The id is only a handle into the rows this page loaded."""
        wanted = parse_id(item_id)
        held = self._loaded.get(wanted) if wanted is not None and self.gate == GATE_READY else None
        row = next((r for r in self.rows if r.id == wanted), None) if held is not None else None
        if held is None or row is None:
            return None
        self._new_form()
        self._review_id = held.id
        self.review = ReviewRow(**dataclasses.asdict(row))  # a copy, not a second handle on the list's row
        self.amount_text = money_text(held.claimed_minor, held.currency) if held.claimed_minor else ""
        self.received_text = (held.claimed_on or intake.today()).isoformat()
        self.review_open = True
        return None

    @event
    def set_review_open(self, value: bool) -> Events:
        """The dialog's own open/close (Escape, Cancel, a click outside): it can only close it."""
        if not value:
            self._close_review()
        return None

    def _decided(self, session: Session, actor: StaffActor, message: str) -> Events:
        self._close_review()
        self._fetch(session, actor)
        return rx.toast.success(message)

    def _decide(self, run: Any) -> Events:
        """Run a decision for the current actor; a decision someone else made first reloads the list."""

        def work(session: Session, actor: StaffActor) -> Events:
            try:
                return run(session, actor)
            except Conflict as exc:
                session.rollback()
                self._close_review()
                self._fetch(session, actor)
                return rx.toast.error(f"{exc.message} The queue has been reloaded.")

        return self._act(work)

    @event
    def accept(self, form: dict[str, Any]) -> Events:
        held = self._current()
        if held is None:
            return None
        self.errors = {}
        amount: int | None = None
        received: date | None = None
        if held.is_proof:
            data = form if isinstance(form, dict) else {}
            self.amount_text = str(data.get("amount", ""))[:40]
            self.received_text = str(data.get("received_on", ""))[:20]
            try:
                amount = parse_money(self.amount_text, held.currency, what="the amount received")
                if amount <= 0:
                    raise InputError("Enter the amount received: more than zero.")
                if held.balance_due_minor is not None and amount > held.balance_due_minor:
                    due = money(held.balance_due_minor, held.currency)
                    raise InputError(
                        f"The balance due on {held.invoice_number} is {due}: enter at most that."
                    )
            except InputError as exc:
                self._fail("amount", exc.message)
            try:
                received = parse_day(self.received_text)
                if received is None:
                    raise InputError("Enter the date the payment was received.")
                if received > intake.today():
                    raise InputError("The date received cannot be in the future.")
            except InputError as exc:
                self._fail("received_on", exc.message)
            if not self._valid():
                return None

        def run(session: Session, actor: StaffActor) -> Events:
            intake.review_intake(
                session, actor, held.id, accept=True, amount_minor=amount, received_on=received
            )
            if held.is_proof and held.invoice_id is not None:
                inv = invoices.get_invoice(session, actor, held.invoice_id)
                now_due = balance(inv.total_minor - inv.amount_paid_minor, inv.currency)
                return self._decided(
                    session,
                    actor,
                    f"Payment accepted: {inv.number} now has a balance of {now_due}. The follow-up task is closed.",
                )
            return self._decided(session, actor, _document_accepted(session, actor, held))

        return self._decide(run)

    @event
    def reject(self, form: dict[str, Any]) -> Events:
        held = self._current()
        if held is None:
            return None
        self.errors = {}
        raw = form.get("reason") if isinstance(form, dict) else None
        reason = raw.strip() if isinstance(raw, str) else ""
        if not reason:
            self._fail("reason", "Give a reason for rejecting: the contact will read it.")
        elif len(reason) > MAX_REASON:
            self._fail("reason", f"Keep the reason to {MAX_REASON:,} characters or fewer.")
        if not self._valid():
            return None
        what = "Proof" if held.is_proof else "Document"

        def run(session: Session, actor: StaffActor) -> Events:
            intake.review_intake(session, actor, held.id, accept=False, reason=reason)
            return self._decided(
                session,
                actor,
                f"{what} rejected. The contact will see your reason and can send a new one.",
            )

        return self._decide(run)
