"""Staff form for a new delivery (``/app/deliveries/new``): account, reference, description, carrier, tracking
reference, expected date and internal notes. The delivery starts scheduled and unshared."""

from __future__ import annotations

from datetime import date
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app import routes
from portal_app.services import deliveries
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission
from state.base import Events, event
from state.deliveries import DESCRIPTION_MAX, LINE_MAX, NOTES_MAX, REFERENCE_MAX, one_line
from state.inputs import InputError, parse_day
from state.mixins import FormMixin
from state.pages import StaffArea, StaffPage, SwitchOption
from state.tasks import account_choices


class DeliveryFormState(StaffPage, FormMixin, StaffArea):
    """``/app/deliveries/new``: a scheduled delivery for an account, not shared yet."""

    NEED: ClassVar[Permission | None] = Permission.DELIVERIES_MANAGE

    account_choices: list[SwitchOption] = []
    account_id: str = ""
    values: dict[str, str] = {}  # what was typed, kept when the form comes back with errors
    today: str = ""
    _done_id: int = 0

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self._new_form()
        self._done_id = 0
        self.account_choices = account_choices(session, actor)
        self.account_id = self.account_choices[0].id if len(self.account_choices) == 1 else ""
        self.values = {}
        self.today = deliveries.today().isoformat()
        return None

    @event
    def choose_account(self, value: Any) -> Events:
        if any(a.id == value for a in self.account_choices):
            self.account_id = str(value)
            self.errors = {k: v for k, v in self.errors.items() if k != "account_id"}
        return None

    @event
    def submit(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            if self._done_id:  # a second click or a retried event: the delivery exists already
                return rx.redirect(routes.record_url(routes.STAFF_DELIVERIES, self._done_id))
            self.errors = {}
            chosen = next((a for a in self.account_choices if a.id == str(form.get("account_id", ""))), None)
            if chosen is None:
                self._fail("account_id", "Choose the customer account the delivery is for.")
            else:
                self.account_id = chosen.id
            reference = self._text(
                form, "reference", label="a reference", required=True, max_len=REFERENCE_MAX
            )
            description = self._text(form, "description", label="the description", max_len=DESCRIPTION_MAX)
            carrier = self._text(form, "carrier", label="the carrier", max_len=LINE_MAX)
            tracking = self._text(form, "tracking_ref", label="the tracking reference", max_len=LINE_MAX)
            notes = self._text(form, "internal_notes", label="the internal notes", max_len=NOTES_MAX)
            eta: date | None = None
            try:
                eta = parse_day(one_line(form, "expected_on", 20), not_before=deliveries.today())
            except InputError as exc:
                self._fail("expected_on", exc.message)
            self.values = {
                "reference": reference[:200],
                "description": description[:2000],
                "carrier": carrier[:200],
                "tracking_ref": tracking[:200],
                "expected_on": one_line(form, "expected_on", 20),
                "internal_notes": notes[:8000],
            }
            if not self._valid() or chosen is None:
                return rx.toast.error("Check the highlighted fields: nothing was saved yet.")
            saved = deliveries.create_delivery(
                session,
                actor,
                int(chosen.id),
                reference=reference,
                description=description,
                carrier=carrier,
                tracking_ref=tracking,
                expected_on=eta,
                internal_notes=notes,
            )
            self._done_id = saved.id
            return [
                rx.toast.success(
                    f"Delivery {saved.reference} created for {chosen.label}. Share it when its contacts "
                    "should follow it in the portal."
                ),
                rx.redirect(routes.record_url(routes.STAFF_DELIVERIES, saved.id)),
            ]

        return self._act(work)
