"""Contact approval pages: the list (``/portal/approvals``), the detail and the answer a contact sends back
(approve with an optional comment, decline with a reason).

The answer goes through the services (decision + follow-up task + audit event in one transaction) with the form's
idempotency key: a double click or a retried event answers once. The request answered is the one this tab loaded
(``_loaded_id``: a backend var the browser cannot set), and the services re-check scope.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models.portal import PortalApproval
from portal_app import formatting, routes
from portal_app.services import approvals
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from portal_app.statuses import status_color, status_label
from state.base import Events, event
from state.decisions import DecisionMixin
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import ContactArea, ContactPage
from state.portal import first_upper, team_phrase

APPROVAL_DECISIONS = ("approve", "decline")
NOTE_MAX = approvals.TEXT_MAX  # the services' bound on the answer's note (4000)


@dataclasses.dataclass
class ApprovalRow:
    href: str
    title: str
    status: str
    color: str
    when: str


def _approval_when(a: PortalApproval) -> str:
    if a.status.value == "pending":
        return first_upper(formatting.due(a.due_on)) or f"Asked {formatting.day(a.created_at)}"
    return (
        f"Answered {formatting.day(a.decided_at)}"
        if a.decided_at
        else f"Asked {formatting.day(a.created_at)}"
    )


class PortalApprovalsState(ContactPage, ListMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.OPERATIONS

    rows: rx.Field[list[ApprovalRow]] = rx.field([])

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        page = self._fetch_page(
            lambda offset: approvals.portal_list_approvals(
                session, actor, offset=offset, limit=self.PAGE_SIZE, waiting_first=True
            )
        )
        self.rows = [
            ApprovalRow(
                href=routes.record_url(routes.PORTAL_APPROVALS, a.id),
                title=a.title,
                status=status_label("approval", a.status.value),
                color=status_color("approval", a.status.value),
                when=_approval_when(a),
            )
            for a in page.items
        ]
        return None


class PortalApprovalState(ContactPage, DetailMixin, FormMixin, DecisionMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.OPERATIONS

    description: rx.Field[str] = rx.field("")
    asked_on: rx.Field[str] = rx.field("")
    due: rx.Field[str] = rx.field("")
    decided_on: rx.Field[str] = rx.field("")

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        a = approvals.portal_get_approval(session, actor, self._record_id())
        if a.id != self._loaded_id:
            self._new_form()
        self._loaded_id = a.id
        self.title, self.description, self.decision_note = a.title, a.description, a.decision_note
        self.status = status_label("approval", a.status.value)
        self.color = status_color("approval", a.status.value)
        self.asked_on = formatting.day(a.created_at)
        # While it waits: "Due 4 Dec 2026" or "Overdue by 2 days"; once answered, just the date it was due.
        self.due = (
            first_upper(formatting.due(a.due_on)) if a.status.value == "pending" else formatting.day(a.due_on)
        )
        self.decided_on = formatting.day(a.decided_at)
        self.open_for_decision = a.status.value == "pending"
        self.closed_reason = (
            ""
            if self.open_for_decision
            else "The team withdrew this request; nothing to answer."
            if a.status.value == "cancelled"
            else f"This request was answered on {self.decided_on}: {self.status.lower()}."
        )
        return None

    @event
    def respond(self, form: dict[str, Any]) -> Events:
        """Approve (comment optional) or decline (comment required)."""
        decision = self._chosen(form, APPROVAL_DECISIONS, "Choose approve or decline.")
        if decision is None:
            return None
        field = f"{decision}_note"
        note = self._text(
            form,
            field,
            label="why you decline" if decision == "decline" else "your comment",
            required=decision == "decline",
            max_len=NOTE_MAX,
        )
        if not self._valid() or not self._loaded_id:
            return None
        return self._act(lambda session, actor: self._send(session, actor, decision, note))

    def _send(self, session: Session, actor: ContactActor, decision: str, note: str) -> Events:
        verb = "Approved" if decision == "approve" else "Declined"
        return self._answer(
            session,
            actor,
            lambda: approvals.respond_to_approval(
                session, actor, self._loaded_id, decision=decision, note=note, idempotency_key=self._key()
            ),
            f"{verb}. {team_phrase(self.team_name)} has been notified and will follow up.",
        )


__all__ = [
    "ApprovalRow",
    "PortalApprovalState",
    "PortalApprovalsState",
]
