"""Display rows of the account view (``/app/accounts/[id]``, ``state.accounts.AccountDetailState``): the latest
records of each area, the balance and aging per currency, and the timeline of portal activity.

Pure functions from service DTOs to display strings: money through ``formatting.money``/``balance`` (a negative
balance reads "credit"), dates through ``formatting.day``/``due``/``relative``, status words from
``portal_app.statuses``. Links are built here with the route table and only to pages the member's role may open.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime

from models import InvoiceStatus
from models.schemas import DeliveryRead, DocumentRequestRead, EstimateRead, InvoiceRead
from models.workspace import Role
from portal_app import formatting, routes
from portal_app.services.approvals import ApprovalView
from portal_app.services.audit_log import AuditEntry
from portal_app.services.document_requests import OPEN_STATUSES as OPEN_REQUESTS
from portal_app.services.messages import InboxRow
from portal_app.services.permissions import Permission, role_has
from portal_app.services.statements import CurrencyAging
from portal_app.statuses import AMBER, GREEN, status_color, status_label
from state.delivery_rows import delivery_flag, eta_text
from state.pages import RecordRow
from state.record_links import ACCOUNT_TARGETS, record_href


@dataclasses.dataclass
class BalanceRow:
    """What the account owes in one currency, and how late: each amount already formatted."""

    currency: str
    balance: str  # "$1,250.00", "$20.00 credit"
    credit: bool
    current: str
    days_1_30: str
    days_31_60: str
    days_61_90: str
    days_90_plus: str


@dataclasses.dataclass
class ActivityRow:
    """One entry of the account's timeline: a sentence, when, who kind of actor, and the record's page if any."""

    id: int
    sentence: str
    when: str  # "2 hours ago"; the date when older than a week
    exact: str  # "12 Mar 2027, 14:05 UTC" (hover)
    actor_kind: str  # contact, staff, operator, system
    from_contact: bool  # portal activity: stands out
    href: str = ""  # "" when the record has no staff page or the role may not open it


# The areas of the account page: key -> (list page, permission to read it). The key names the section's id
# (``#account-<key>``) and the ``areas`` var of the state.
AREAS: dict[str, tuple[str, Permission]] = {
    "estimates": (routes.STAFF_ESTIMATES, Permission.ESTIMATES_READ),
    "approvals": (routes.STAFF_APPROVALS, Permission.APPROVALS_READ),
    "invoices": (routes.STAFF_INVOICES, Permission.INVOICES_READ),
    "documents": (routes.STAFF_DOCUMENTS, Permission.DOCUMENTS_READ),
    "deliveries": (routes.STAFF_DELIVERIES, Permission.DELIVERIES_READ),
    "messages": (routes.STAFF_MESSAGES, Permission.MESSAGES_READ),
    "tasks": (routes.STAFF_TASKS, Permission.TASKS_READ),
}


def area_hrefs(role: Role, account_id: int) -> dict[str, str]:
    """Each area -> its list filtered to the account (``/app/invoices?account=7``), "" when the role may not read
    it (the page leaves its section out)."""
    return {
        key: routes.url_for(base, account=account_id) if role_has(role, need) else ""
        for key, (base, need) in AREAS.items()
    }


# -- records ---------------------------------------------------------------------------------------------------


def estimate_rows(items: Sequence[EstimateRead]) -> list[RecordRow]:
    return [
        RecordRow(
            id=e.id,
            href=routes.record_url(routes.STAFF_ESTIMATES, e.id),
            ref=e.number,
            title=e.title,
            status_label=status_label("estimate", e.status.value),
            status_color=status_color("estimate", e.status.value),
            detail=formatting.money(e.total_minor, e.currency),
        )
        for e in items
    ]


def approval_rows(items: Sequence[ApprovalView]) -> list[RecordRow]:
    return [
        RecordRow(
            id=r.id,
            href=routes.record_url(routes.STAFF_APPROVALS, r.id),
            ref=formatting.day(r.created_at),
            title=r.title,
            status_label=status_label("approval", r.status.value),
            status_color=status_color("approval", r.status.value),
            detail=formatting.day(r.due_on) if r.due_on else "",
        )
        for r in items
    ]


_INVOICE_OPEN = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)


def invoice_rows(items: Sequence[InvoiceRead]) -> list[RecordRow]:
    """Reference: when it falls due ("overdue by 5 days" while unpaid); detail: what is left to pay while open,
    the total otherwise."""
    rows = []
    for i in items:
        unpaid = i.status in _INVOICE_OPEN
        rows.append(
            RecordRow(
                id=i.id,
                href=routes.record_url(routes.STAFF_INVOICES, i.id),
                ref=(formatting.due(i.due_date) if unpaid else formatting.day(i.due_date)) or "—",
                title=i.number,
                status_label=status_label("invoice", i.status.value),
                status_color=status_color("invoice", i.status.value),
                detail=(
                    formatting.balance(i.balance_minor, i.currency)
                    if unpaid
                    else formatting.money(i.total_minor, i.currency)
                ),
            )
        )
    return rows


def document_rows(items: Sequence[DocumentRequestRead]) -> list[RecordRow]:
    return [
        RecordRow(
            id=r.id,
            href=routes.record_url(routes.STAFF_DOCUMENTS, r.id),
            ref=formatting.day(r.created_at),
            title=r.title,
            status_label=status_label("document_request", r.status.value),
            status_color=status_color("document_request", r.status.value),
            detail=(formatting.due(r.due_on) if r.status in OPEN_REQUESTS else formatting.day(r.due_on))
            or "—",
        )
        for r in items
    ]


def delivery_rows(items: Sequence[DeliveryRead]) -> list[RecordRow]:
    rows = []
    for d in items:
        flag = delivery_flag(d.status, d.expected_on)
        rows.append(
            RecordRow(
                id=d.id,
                href=routes.record_url(routes.STAFF_DELIVERIES, d.id),
                ref=d.reference,
                title=d.description or d.reference,
                status_label=flag.label,
                status_color=flag.color,
                detail=eta_text(d.status, d.expected_on),
            )
        )
    return rows


def conversation_rows(items: Sequence[InboxRow]) -> list[RecordRow]:
    """A conversation waits for the team when its newest message is the customer's."""
    return [
        RecordRow(
            id=t.id,
            href=routes.record_url(routes.STAFF_MESSAGES, t.id),
            ref=t.last_author or "—",
            title=t.subject,
            status_label="Waiting for you" if t.last_from_customer else "Answered",
            status_color=AMBER if t.last_from_customer else GREEN,
            detail=formatting.relative(t.last_message_at),
        )
        for t in items
    ]


# -- balance -----------------------------------------------------------------------------------------------------


def balance_rows(balances: Sequence[CurrencyAging]) -> list[BalanceRow]:
    return [
        BalanceRow(
            currency=b.currency,
            balance=formatting.balance(b.balance_minor, b.currency),
            credit=b.balance_minor < 0,
            current=formatting.balance(b.aging.current, b.currency),
            days_1_30=formatting.balance(b.aging.days_1_30, b.currency),
            days_31_60=formatting.balance(b.aging.days_31_60, b.currency),
            days_61_90=formatting.balance(b.aging.days_61_90, b.currency),
            days_90_plus=formatting.balance(b.aging.days_90_plus, b.currency),
        )
        for b in balances
    ]


def balance_summary(balances: Sequence[CurrencyAging]) -> str:
    """The facts column's one line: "$1,250.00 · €30.00", "$20.00 credit", or "Nothing owed"."""
    owed = [formatting.balance(b.balance_minor, b.currency) for b in balances if b.balance_minor]
    return " · ".join(owed) if owed else "Nothing owed"


# -- timeline ----------------------------------------------------------------------------------------------------


def activity_rows(
    role: Role, entries: Sequence[AuditEntry], now: datetime | None = None
) -> list[ActivityRow]:
    return [
        ActivityRow(
            id=e.id,
            sentence=e.sentence,
            when=formatting.relative(e.created_at, now),
            exact=formatting.exact(e.created_at),
            actor_kind=e.actor_kind,
            from_contact=e.actor_kind == "contact",
            # The timeline is the account's own page: an entry about the account itself links nowhere.
            href=""
            if e.target_type in ACCOUNT_TARGETS
            else record_href(role, e.target_type, e.target_id, account_id=e.account_id),
        )
        for e in entries
    ]
