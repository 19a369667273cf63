"""Contact portal home (``/portal``): what waits for the contact's decision first, then the other areas.

The account switcher lives in the portal shell (``ContactArea.switch_account``).
"""

from __future__ import annotations

import dataclasses
from datetime import date

import reflex as rx
from sqlmodel import Session

from portal_app import formatting, routes
from portal_app.services import (
    approvals,
    badges,
    branding,
    estimates,
    messages,
    statements,
)
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from state.base import Events, event
from state.pages import GATE_NO_ACCESS, GATE_SIGNED_OUT, ContactArea, ContactPage

# How many of the waiting estimates and approvals the home lists (nearest deadline first); the counts cover all.
WAITING_SHOWN = 3
# How many of the invoices due the home lists (the most overdue first); the balances cover all of them.
DUE_SHOWN = 5


@dataclasses.dataclass
class AreaRow:
    key: str
    title: str
    body: str
    allowed: bool


@dataclasses.dataclass
class WaitingRow:
    """One estimate or approval waiting for the contact: display strings and its page."""

    title: str
    detail: str  # number and amount, or the request's first words
    deadline: str  # "valid until 12 Mar 2027", "due in 3 days", "" when none
    href: str


@dataclasses.dataclass
class DueRow:
    """An open or partly paid invoice on the home: number, when it is due, what is left to pay, its page."""

    number: str
    due: str  # "Due 12 Mar 2027", "Due today", "Overdue by 5 days"
    balance: str
    overdue: bool
    href: str


# Every icon a glance tile may show (the page draws each as a static icon: components.ui.named_icon).
GLANCE_ICONS = ("badge-check", "receipt", "folder-open", "messages-square", "truck")


@dataclasses.dataclass
class GlanceRow:
    """One area's count on the home: what waits there, and the way in."""

    key: str
    label: str  # "Decisions waiting"
    count: int
    detail: str  # "2 estimates, 1 approval"
    href: str
    icon: str


@dataclasses.dataclass
class BalanceRow:
    """What the account owes in one currency."""

    currency: str
    amount: str
    detail: str  # "3 open invoices, 1 overdue"


def _count(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


_AREAS: tuple[tuple[ContactPermission, str, str], ...] = (
    (ContactPermission.BILLING, "Billing", "Invoices, statements and payment proof."),
    (ContactPermission.OPERATIONS, "Operations", "Estimates, approvals and delivery status."),
    (ContactPermission.DOCUMENTS, "Documents", "Document requests and the files you send."),
    (ContactPermission.MESSAGES, "Messages", "Conversations with the team."),
)


def _valid_until(d: date | None) -> str:
    text = formatting.day(d)
    return f"Valid until {text}" if text else ""


def first_upper(text: str) -> str:
    """``"due in 3 days"`` as a sentence starts: ``"Due in 3 days"``."""
    return text[:1].upper() + text[1:]


def team_phrase(name: str) -> str:
    """How the contact pages name the workspace in a sentence: "The Acme team" (or "The team")."""
    return f"The {name} team" if name else "The team"


class PortalHomeState(ContactPage, ContactArea):
    welcome_text: rx.Field[str] = rx.field("")  # the workspace's welcome, shown as written
    areas: rx.Field[list[AreaRow]] = rx.field([])
    operations: rx.Field[bool] = rx.field(False)
    estimates_waiting: rx.Field[int] = rx.field(0)
    approvals_waiting: rx.Field[int] = rx.field(0)
    waiting_estimates: rx.Field[list[WaitingRow]] = rx.field([])
    waiting_approvals: rx.Field[list[WaitingRow]] = rx.field([])
    billing: rx.Field[bool] = rx.field(False)
    invoices_due: rx.Field[int] = rx.field(0)
    invoices_overdue: rx.Field[int] = rx.field(0)
    due_rows: rx.Field[list[DueRow]] = rx.field([])
    balances: rx.Field[list[BalanceRow]] = rx.field([])
    glance: rx.Field[list[GlanceRow]] = rx.field([])

    @rx.var
    def waiting_total(self) -> int:
        return self.estimates_waiting + self.approvals_waiting

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        # The contact's own workspace, already loaded by the shell (no second query).
        self.welcome_text = branding.portal_branding(session, actor).welcome_text
        self.areas = [
            AreaRow(key=perm.value, title=title, body=body, allowed=perm in actor.permissions)
            for perm, title, body in _AREAS
        ]
        self._fill_billing(session, actor)
        self.operations = ContactPermission.OPERATIONS in actor.permissions
        if not self.operations:
            self.estimates_waiting = self.approvals_waiting = 0
            self.waiting_estimates, self.waiting_approvals = [], []
            self._fill_glance(session, actor)
            return None
        est_page = estimates.portal_waiting_estimates(session, actor, limit=WAITING_SHOWN)
        app_page = approvals.portal_pending_approvals(session, actor, limit=WAITING_SHOWN)
        self.estimates_waiting, self.approvals_waiting = est_page.total, app_page.total
        self.waiting_estimates = [
            WaitingRow(
                title=e.title,
                detail=f"{e.number} · {formatting.money(e.total_minor, e.currency)}",
                deadline=_valid_until(e.valid_until),
                href=routes.record_url(routes.PORTAL_ESTIMATES, e.id),
            )
            for e in est_page.items
        ]
        self.waiting_approvals = [
            WaitingRow(
                title=a.title,
                detail=a.description[:120],
                deadline=first_upper(formatting.due(a.due_on)),
                href=routes.record_url(routes.PORTAL_APPROVALS, a.id),
            )
            for a in app_page.items
        ]
        self._fill_glance(session, actor)
        return None

    def _fill_glance(self, session: Session, actor: ContactActor) -> None:
        """Every area the contact may see, with what waits there: the counts in one statement."""
        rows: list[GlanceRow] = []
        perms = actor.permissions
        counts = badges.portal_glance(session, actor)  # the areas' counts in one statement
        if ContactPermission.OPERATIONS in perms:
            waiting = self.estimates_waiting + self.approvals_waiting
            rows.append(
                GlanceRow(
                    "decisions",
                    "Decisions waiting",
                    waiting,
                    f"{_count(self.estimates_waiting, 'estimate')}, {_count(self.approvals_waiting, 'approval')}",
                    routes.PORTAL_ESTIMATES
                    if self.estimates_waiting or not waiting
                    else routes.PORTAL_APPROVALS,
                    "badge-check",
                )
            )
        if ContactPermission.BILLING in perms:
            detail = f"{self.invoices_overdue} overdue" if self.invoices_overdue else "None overdue"
            rows.append(
                GlanceRow(
                    "billing", "Invoices due", self.invoices_due, detail, routes.PORTAL_INVOICES, "receipt"
                )
            )
        if ContactPermission.DOCUMENTS in perms:
            open_requests = counts.open_requests or 0
            rows.append(
                GlanceRow(
                    "documents",
                    "Open document requests",
                    open_requests,
                    "Files the team asked for" if open_requests else "Nothing requested",
                    routes.PORTAL_DOCUMENTS,
                    "folder-open",
                )
            )
        if ContactPermission.MESSAGES in perms:
            unread = messages.portal_unread_count(session, actor)
            rows.append(
                GlanceRow(
                    "messages",
                    "Unread messages",
                    unread,
                    "From the team" if unread else "You are up to date",
                    routes.PORTAL_MESSAGES,
                    "messages-square",
                )
            )
        if ContactPermission.OPERATIONS in perms:
            under_way = counts.under_way or 0
            rows.append(
                GlanceRow(
                    "deliveries",
                    "Deliveries under way",
                    under_way,
                    "Track their status" if under_way else "None under way",
                    routes.PORTAL_DELIVERIES,
                    "truck",
                )
            )
        self.glance = rows

    def _fill_billing(self, session: Session, actor: ContactActor) -> None:
        self.billing = ContactPermission.BILLING in actor.permissions
        if not self.billing:
            self.invoices_due = self.invoices_overdue = 0
            self.due_rows, self.balances = [], []
            return
        summary = statements.billing_summary(session, actor, limit=DUE_SHOWN)
        self.invoices_due, self.invoices_overdue = summary.open_count, summary.overdue_count
        self.due_rows = [
            DueRow(
                number=inv.number,
                due=first_upper(formatting.due(inv.due_date, summary.as_of))
                or f"Issued {formatting.day(inv.issue_date)}",
                balance=formatting.money(inv.balance_minor, inv.currency),
                overdue=inv.overdue,
                href=routes.record_url(routes.PORTAL_INVOICES, inv.id),
            )
            for inv in summary.due
        ]
        self.balances = [
            BalanceRow(
                currency=b.currency,
                amount=formatting.balance(b.balance_minor, b.currency),
                detail=_count(b.open_count, "open invoice")
                + (f", {b.overdue_count} overdue" if b.overdue_count else ""),
            )
            for b in summary.balances
        ]

    @event
    def send_to_sign_in(self) -> Events:
        """After ``load``: a visitor without a contact session goes to the portal's sign-in page."""
        if self.gate in (GATE_SIGNED_OUT, GATE_NO_ACCESS):
            return rx.redirect(routes.PORTAL_SIGN_IN, replace=True)
        return None
