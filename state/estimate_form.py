"""Staff estimate form: a new draft (``/app/estimates/new``), a draft edited in place or a shared one re-issued as
its next version (``/app/estimates/[id]/edit``). The lines and their totals are ``state/line_items.py``'s."""

from __future__ import annotations

from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import EstimateStatus
from portal_app import routes
from portal_app.services import estimates
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission
from portal_app.statuses import status_label
from state.base import Events, event
from state.inputs import InputError, parse_day
from state.line_items import LineItemsMixin
from state.mixins import FormMixin
from state.pages import StaffArea, StaffPage
from state.priced_form import PricedFormMixin


class EstimateFormState(StaffPage, FormMixin, LineItemsMixin, PricedFormMixin, StaffArea):
    """``/app/estimates/new`` and ``/app/estimates/[id]/edit``: a draft is edited in place, a shared (or
    declined, changes-requested, expired) estimate is re-issued as its next version, anything else is locked."""

    NEED: ClassVar[Permission | None] = Permission.ESTIMATES_MANAGE
    cancel_href: str = routes.STAFF_ESTIMATES  # "Cancel" and "Back": the record being edited, or the list

    # mode: "new", "edit", "reissue", "locked"
    version: int = 0
    title: str = ""
    valid_until: str = ""

    # -- loading

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self._new_form()
        self._done_id = 0
        record_id = self._editing_id()
        self.cancel_href = (
            routes.record_url(routes.STAFF_ESTIMATES, record_id) if record_id else routes.STAFF_ESTIMATES
        )
        if record_id is None:
            self._offer_accounts(session, actor)
            self.mode, self.number, self.version, self.status_text = "new", "", 1, ""
            self.title = self.valid_until = self.customer_notes = self.internal_notes = ""
            self._start_lines()
        else:
            detail = estimates.get_estimate_detail(session, actor, record_id)
            est = detail.estimate
            self.account_choices = []
            if est.status is EstimateStatus.DRAFT:
                self.mode = "edit"
            elif est.status in estimates.REISSUABLE:
                self.mode = "reissue"
            else:
                self.mode = "locked"
            self.number, self.version = est.number, est.current_version
            self.status_text = status_label("estimate", est.status.value)
            self.account_id, self.account_name, self.currency = (
                str(est.account_id),
                detail.account_name,
                est.currency,
            )
            self.title = est.title
            valid = est.valid_until
            self.valid_until = (
                valid.isoformat() if valid and (self.mode != "reissue" or valid >= estimates.today()) else ""
            )
            self.customer_notes, self.internal_notes = est.customer_notes, est.internal_notes
            self._start_lines(est.lines, est.currency)
        self._recompute()
        return None

    # -- editing (every handler checks the actor: any client can call any of them with anything)

    def _editable(self) -> bool:
        return self.mode in ("new", "edit", "reissue")

    # -- saving

    def _take(self, form: dict[str, Any]) -> None:
        """Keep everything typed (so an error shows the form as it was sent)."""

        self.title = self._typed(form, "title", self.title, 200)
        self.valid_until = self._typed(form, "valid_until", self.valid_until, 20)
        self.customer_notes = self._typed(form, "customer_notes", self.customer_notes, 4000)
        self.internal_notes = self._typed(form, "internal_notes", self.internal_notes, 4000)
        self._take_lines(form)

    @event
    def submit(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            if self._done_id:  # a second click or a retried event: the first save already happened
                return rx.redirect(routes.record_url(routes.STAFF_ESTIMATES, self._done_id))
            if not self._editable():
                return rx.toast.error("This estimate can no longer be changed.")
            self.errors = {}
            self._take(form)
            if self.mode == "new":
                self._pick_account(form, "Choose the customer account this estimate is for.")
            if self.mode != "reissue":
                self.title = " ".join(self.title.split())
                if not self.title:
                    self._fail("title", "Enter a title the customer will recognise, e.g. “Website rebuild”.")
                elif len(self.title) > 200:
                    self._fail("title", "Keep the title to 200 characters or fewer.")
            self._text(form, "customer_notes", label="the terms and notes", max_len=4000)
            self._text(form, "internal_notes", label="the internal note", max_len=4000)
            try:
                valid = parse_day(self.valid_until, not_before=estimates.today())
            except InputError as exc:
                valid = None
                self._fail("valid_until", exc.message)
            lines = self._recompute(show_errors=True)
            if not self._valid() or lines is None:
                return rx.toast.error("Check the highlighted fields: nothing was saved yet.")
            self.submitting = True
            try:
                if self.mode == "new":
                    saved = estimates.create_estimate(
                        session,
                        actor,
                        int(self.account_id),
                        title=self.title,
                        lines=lines,
                        valid_until=valid,
                        customer_notes=self.customer_notes.strip(),
                        internal_notes=self.internal_notes.strip(),
                    )
                    message = (
                        f"Draft {saved.number} created. Share it when it is ready for {self.account_name}."
                    )
                elif self.mode == "edit":
                    saved = estimates.update_draft_estimate(
                        session,
                        actor,
                        self._editing_id() or 0,
                        title=self.title,
                        lines=lines,
                        valid_until=valid,
                        customer_notes=self.customer_notes.strip(),
                        internal_notes=self.internal_notes.strip(),
                    )
                    message = f"Draft {saved.number} saved. Contacts see it only once you share it."
                else:
                    saved = estimates.reissue_estimate(
                        session,
                        actor,
                        self._editing_id() or 0,
                        lines=lines,
                        valid_until=valid,
                        customer_notes=self.customer_notes.strip(),
                    )
                    message = (
                        f"{saved.number} re-issued as version {saved.current_version}. {self.account_name}'s "
                        "contacts can review it now."
                    )
            finally:
                self.submitting = False
            self._done_id = saved.id
            return [
                rx.toast.success(message),
                rx.redirect(routes.record_url(routes.STAFF_ESTIMATES, saved.id)),
            ]

        return self._act(work)

    @rx.var
    def submit_label(self) -> str:
        if self.mode == "edit":
            return "Save draft"
        if self.mode == "reissue":
            return f"Re-issue as version {self.version + 1}"
        return "Create draft"
