"""Staff invoice form: a new draft (``/app/invoices/new``) and a draft edited in place (``/app/invoices/[id]/edit``).
The lines and their totals are ``state/line_items.py``'s; an issued invoice is locked (void it and bill again)."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import InvoiceStatus
from models.schemas import EstimateLineRead
from portal_app import routes
from portal_app.services import invoices
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission
from portal_app.statuses import status_label
from state.base import Events, event
from state.inputs import InputError, parse_day
from state.line_items import LineItemsMixin
from state.mixins import FormMixin
from state.pages import StaffArea, StaffPage
from state.priced_form import PricedFormMixin


class InvoiceFormState(StaffPage, FormMixin, LineItemsMixin, PricedFormMixin, StaffArea):
    """``/app/invoices/new`` and ``/app/invoices/[id]/edit``: only a draft can change."""

    NEED: ClassVar[Permission | None] = Permission.INVOICES_MANAGE
    cancel_href: str = routes.STAFF_INVOICES  # "Cancel" and "Back": the record being edited, or the list

    # mode: "new", "edit", "locked"
    due_date: str = ""

    # -- loading

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self._new_form()
        self._done_id = 0
        record_id = self._editing_id()
        self.cancel_href = (
            routes.record_url(routes.STAFF_INVOICES, record_id) if record_id else routes.STAFF_INVOICES
        )
        if record_id is None:
            self._offer_accounts(session, actor)
            self.mode, self.number, self.status_text = "new", "", ""
            self.due_date = self.customer_notes = self.internal_notes = ""
            self._start_lines()
        else:
            detail = invoices.get_invoice_detail(session, actor, record_id)
            inv = detail.invoice
            self.account_choices = []
            self.mode = "edit" if inv.status is InvoiceStatus.DRAFT else "locked"
            self.number = inv.number
            self.status_text = status_label("invoice", inv.status.value)
            self.account_id, self.account_name, self.currency = (
                str(inv.account_id),
                detail.account_name,
                inv.currency,
            )
            self.due_date = inv.due_date.isoformat() if inv.due_date else ""
            self.customer_notes, self.internal_notes = inv.customer_notes, inv.internal_notes
            # Invoice lines carry no internal cost: read as the form's lines with a cost of zero.
            saved = [EstimateLineRead(**ln.model_dump(), unit_cost_minor=0) for ln in inv.lines]
            self._start_lines(saved, inv.currency)
        self._recompute()
        return None

    # -- editing (every handler checks the actor: any client can call any of them with anything)

    def _editable(self) -> bool:
        return self.mode in ("new", "edit")

    # -- saving

    def _take(self, form: dict[str, Any]) -> None:
        """Keep everything typed (so an error shows the form as it was sent)."""

        self.due_date = self._typed(form, "due_date", self.due_date, 20)
        self.customer_notes = self._typed(form, "customer_notes", self.customer_notes, 4000)
        self.internal_notes = self._typed(form, "internal_notes", self.internal_notes, 4000)
        self._take_lines(form)

    @event
    def submit(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            if self._done_id:  # a second click or a retried event: the first save already happened
                return rx.redirect(routes.record_url(routes.STAFF_INVOICES, self._done_id))
            if not self._editable():
                return rx.toast.error("This invoice is issued and can no longer be changed.")
            self.errors = {}
            self._take(form)
            if self.mode == "new":
                self._pick_account(form, "Choose the customer account to bill.")
            self._text(form, "customer_notes", label="the notes for the customer", max_len=4000)
            self._text(form, "internal_notes", label="the internal note", max_len=4000)
            try:
                due_on = parse_day(self.due_date, not_before=invoices.today())
            except InputError as exc:
                due_on = None
                self._fail("due_date", exc.message)
            lines = self._recompute(show_errors=True)
            if not self._valid() or lines is None:
                return rx.toast.error("Check the highlighted fields: nothing was saved yet.")
            self.submitting = True
            try:
                if self.mode == "new":
                    saved = invoices.create_invoice(
                        session,
                        actor,
                        int(self.account_id),
                        lines=lines,
                        due_date=due_on,
                        customer_notes=self.customer_notes.strip(),
                        internal_notes=self.internal_notes.strip(),
                    )
                    message = f"Draft {saved.number} created. Issue it when it is ready to bill {self.account_name}."
                else:
                    saved = invoices.update_draft_invoice(
                        session,
                        actor,
                        self._editing_id() or 0,
                        lines=lines,
                        due_date=due_on,
                        customer_notes=self.customer_notes.strip(),
                        internal_notes=self.internal_notes.strip(),
                    )
                    message = f"Draft {saved.number} saved. Contacts see it only once you issue it."
            finally:
                self.submitting = False
            self._done_id = saved.id
            return [
                rx.toast.success(message),
                rx.redirect(routes.record_url(routes.STAFF_INVOICES, saved.id)),
            ]

        return self._act(work)

    @rx.var
    def submit_label(self) -> str:
        return "Save draft" if self.mode == "edit" else "Create draft"
