"""Contact estimate pages: the list (``/portal/estimates``), the detail with what changed since the previous version,
and the decision a contact sends back (approve with a typed-name signature, request changes, decline).

Every decision goes through the services (decision + follow-up task + audit event in one transaction) with the
form's idempotency key: a double click or a retried event decides once. The record decided on is the one this
tab loaded (``_loaded_id``, ``_version``: backend vars the browser cannot set), and the services re-check scope.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models.portal import PortalEstimate, PortalLine
from portal_app import formatting, routes
from portal_app.services import estimates
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from portal_app.statuses import status_color, status_label
from state.base import Events, event
from state.decisions import DecisionMixin
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import ContactArea, ContactPage
from state.portal import team_phrase
from state.threads import RecordThreadMixin

ESTIMATE_DECISIONS = ("approve", "request_changes", "decline")
NOTE_MAX = 4000  # the services' bound on a decision note (``estimates.decide_estimate``)


# -- rows (display strings only) -----------------------------------------------------------------------------


@dataclasses.dataclass
class EstimateRow:
    href: str
    number: str
    title: str
    status: str
    color: str
    total: str
    when: str  # "Valid until 12 Mar 2027" while waiting, otherwise the last change


@dataclasses.dataclass
class LineRow:
    description: str
    quantity: str
    unit_price: str
    tax: str
    total: str


@dataclasses.dataclass
class ChangeRow:
    change: str  # "Added", "Removed", "Changed"
    color: str
    description: str
    before: str
    after: str


def _tax(bp: int) -> str:
    return f"{bp / 100:g} %"


def _line_text(line: PortalLine | None, currency: str) -> str:
    if line is None:
        return ""
    return (
        f"{line.quantity} × {formatting.money(line.unit_price_minor, currency)}, tax {_tax(line.tax_rate_bp)}"
    )


def _waiting(est: PortalEstimate) -> bool:
    return est.status.value == "shared" and (est.valid_until is None or est.valid_until >= estimates.today())


def _estimate_row(est: PortalEstimate) -> EstimateRow:
    waiting = _waiting(est)
    return EstimateRow(
        href=routes.record_url(routes.PORTAL_ESTIMATES, est.id),
        number=est.number,
        title=est.title,
        status="Awaiting your decision" if waiting else status_label("estimate", est.status.value),
        color="amber" if waiting else status_color("estimate", est.status.value),
        total=formatting.money(est.total_minor, est.currency),
        when=(f"Valid until {formatting.day(est.valid_until)}" if waiting and est.valid_until else "")
        or (f"Decided {formatting.day(est.decided_at)}" if est.decided_at else "")
        or f"Shared {formatting.day(est.shared_at)}",
    )


def _closed_reason(est: PortalEstimate) -> str:
    """Why this version can no longer be answered ("" while it can)."""
    status = est.status.value
    decided = formatting.day(est.decided_at)
    if status == "approved":
        return f"This estimate was approved on {decided}. The team is working on it."
    if status == "declined":
        return f"This estimate was declined on {decided}."
    if status == "changes_requested":
        return f"Changes were requested on {decided}. The team will share a new version."
    if status == "expired" or (status == "shared" and not _waiting(est)):
        return (
            f"This estimate expired on {formatting.day(est.valid_until)}. "
            "Ask the team to re-issue it if you still want to go ahead."
        )
    return ""


# -- states ----------------------------------------------------------------------------------------------------


class PortalEstimatesState(ContactPage, ListMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.OPERATIONS

    rows: rx.Field[list[EstimateRow]] = rx.field([])

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        page = self._fetch_page(
            lambda offset: estimates.portal_list_estimates(
                session, actor, offset=offset, limit=self.PAGE_SIZE, waiting_first=True
            )
        )
        self.rows = [_estimate_row(e) for e in page.items]
        return None


class PortalEstimateState(ContactPage, DetailMixin, FormMixin, DecisionMixin, RecordThreadMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.OPERATIONS

    number: rx.Field[str] = rx.field("")
    version: rx.Field[int] = rx.field(0)
    valid_until: rx.Field[str] = rx.field("")
    shared_on: rx.Field[str] = rx.field("")
    subtotal: rx.Field[str] = rx.field("")
    tax: rx.Field[str] = rx.field("")
    total: rx.Field[str] = rx.field("")
    terms: rx.Field[str] = rx.field("")
    lines: rx.Field[list[LineRow]] = rx.field([])
    previous_version: rx.Field[int] = rx.field(0)
    previous_total: rx.Field[str] = rx.field("")
    notes_changed: rx.Field[bool] = rx.field(False)
    changes: rx.Field[list[ChangeRow]] = rx.field([])
    pdf_href: rx.Field[str] = rx.field("")
    _version: int = 0

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        est = estimates.portal_get_estimate(session, actor, self._record_id())
        diff = estimates.portal_version_changes(session, actor, est.id)
        cur = est.currency
        if est.id != self._loaded_id or est.current_version != self._version:
            self._new_form()  # another record or a new version: a new decision, a new key
        self._loaded_id, self._version = est.id, est.current_version
        self.number, self.title, self.version = est.number, est.title, est.current_version
        self.status = status_label("estimate", est.status.value)
        self.color = status_color("estimate", est.status.value)
        self.valid_until = formatting.day(est.valid_until)
        self.shared_on = formatting.day(est.shared_at)
        self.subtotal = formatting.money(est.subtotal_minor, cur)
        self.tax = formatting.money(est.tax_minor, cur)
        self.total = formatting.money(est.total_minor, cur)
        self.terms = est.customer_notes
        self.pdf_href = routes.file_url(routes.FILES_ESTIMATES, est.id, ".pdf")
        self.lines = [
            LineRow(
                description=ln.description,
                quantity=str(ln.quantity),
                unit_price=formatting.money(ln.unit_price_minor, cur),
                tax=_tax(ln.tax_rate_bp),
                total=formatting.money(ln.total_minor, cur),
            )
            for ln in est.lines
        ]
        self.decision_note = est.decision_note
        self.closed_reason = _closed_reason(est)
        self.open_for_decision = self.closed_reason == ""
        self.previous_version = diff.previous_version if diff else 0
        self.previous_total = formatting.money(diff.previous_total_minor, cur) if diff else ""
        self.notes_changed = bool(diff and diff.notes_changed)
        colors = {"added": "green", "removed": "red", "changed": "amber"}
        self.changes = [
            ChangeRow(
                change=c.change.capitalize(),
                color=colors[c.change],
                description=c.description,
                before=_line_text(c.before, cur),
                after=_line_text(c.after, cur),
            )
            for c in (diff.lines if diff else [])
        ]
        self._load_thread(session, actor, "estimate", est.id, f"estimate {est.number}")
        return None

    @event
    def decide(self, form: dict[str, Any]) -> Events:
        """Approve (typed-name signature + accepted terms), request changes or decline (with a note)."""
        decision = self._chosen(form, ESTIMATE_DECISIONS, "Choose approve, request changes or decline.")
        if decision is None:
            return None
        signature = note = ""
        if decision == "approve":
            signature = " ".join(self._text(form, "signature", label="your full name", required=True).split())
            if signature and len(signature) < 2:
                self._fail("signature", "Type your full name (at least 2 characters).")
            if form.get("accept_terms") not in ("on", "true", True):
                self._fail("accept_terms", "Tick the box to accept the terms before approving.")
        else:
            what = "what should change" if decision == "request_changes" else "why you decline"
            note = self._text(form, f"{decision}_note", label=what, required=True, max_len=NOTE_MAX)
        if not self._valid() or not self._loaded_id:
            return None
        return self._act(lambda session, actor: self._send(session, actor, decision, note, signature))

    def _send(
        self, session: Session, actor: ContactActor, decision: str, note: str, signature: str
    ) -> Events:
        team = team_phrase(self.team_name)
        done = {
            "approve": f"Estimate approved. {team} has been notified and will be in touch.",
            "request_changes": f"Change request sent. {team} will share a new version.",
            "decline": f"Estimate declined. {team} has been notified.",
        }[decision]
        return self._answer(
            session,
            actor,
            lambda: estimates.decide_estimate(
                session,
                actor,
                self._loaded_id,
                decision=decision,
                version=self._version,
                note=note,
                signature=signature,
                idempotency_key=self._key(),
            ),
            done,
        )


__all__ = [
    "ChangeRow",
    "EstimateRow",
    "LineRow",
    "PortalEstimateState",
    "PortalEstimatesState",
]
