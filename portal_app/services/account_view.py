"""One customer account joined up for staff (the account view, ``/app/accounts/[id]``): its contacts and what each
may see, the latest records of every area with their totals, its open follow-up tasks, and what it owes per
currency with aging.

One call, a constant number of queries whatever the data size: each area is one page of that area's own list
service (narrowed to the account, ``limit`` rows, with its total), so the rules of each list (scoping, names,
amounts) stay in one place. An area the member's role may not read is left out (``None``), never an error.
The timeline of portal activity comes from ``audit_log.account_timeline`` (paged by keyset on its own).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlmodel import Session

from models.schemas import (
    AccountRead,
    ContactAccessRead,
    ContactRead,
    DeliveryRead,
    DocumentRequestRead,
    EstimateRead,
    InvoiceRead,
    Page,
)
from portal_app.services import (
    accounts,
    approvals,
    contacts,
    deliveries,
    document_requests,
    estimates,
    invoices,
    messages,
    statements,
    tasks,
)
from portal_app.services.access import Actor, require_staff
from portal_app.services.approvals import ApprovalView
from portal_app.services.messages import InboxRow
from portal_app.services.permissions import Permission, role_has
from portal_app.services.statements import CurrencyAging
from portal_app.services.tasks import OPEN_STATUSES, TaskView

SHORT_LIST = 5
MAX_SHORT_LIST = 20


@dataclass(frozen=True)
class AccountOverview:
    """Everything the account view shows but the timeline. An area is ``None`` when the role may not read it."""

    account: AccountRead
    contacts: list[tuple[ContactRead, ContactAccessRead]]
    balances: list[CurrencyAging] | None  # per invoice currency; [] when nothing is owed or was ever invoiced
    estimates: Page[EstimateRead] | None
    approvals: Page[ApprovalView] | None
    invoices: Page[InvoiceRead] | None
    document_requests: Page[DocumentRequestRead] | None
    deliveries: Page[DeliveryRead] | None
    conversations: Page[InboxRow] | None  # waiting for an answer first, then the latest activity
    open_tasks: Page[TaskView] | None  # open and in progress, soonest due first


def account_overview(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    limit: int = SHORT_LIST,
    as_of: date | None = None,
) -> AccountOverview:
    """The account's overview: ``limit`` latest records per area (each with its total), open tasks, contacts and
    the balance with aging per currency as of ``as_of`` (default today).

    Scoped: staff with ``accounts:read``; an account of another workspace (or none) raises ``NotFound``, like a
    missing one. Each area needs its own read permission and is ``None`` without it.
    """
    staff = require_staff(actor, Permission.ACCOUNTS_READ)
    account = accounts.get_account(session, staff, account_id)
    limit = max(1, min(int(limit), MAX_SHORT_LIST))

    def may(permission: Permission) -> bool:
        return role_has(staff.role, permission)

    aid = account.id
    return AccountOverview(
        account=account,
        contacts=contacts.list_account_contacts(session, staff, aid),
        balances=(
            statements.account_aging(session, staff, aid, as_of=as_of)
            if may(Permission.STATEMENTS_READ)
            else None
        ),
        estimates=(
            estimates.list_estimates(session, staff, account_id=aid, limit=limit)
            if may(Permission.ESTIMATES_READ)
            else None
        ),
        approvals=(
            approvals.list_approvals(session, staff, account_id=aid, limit=limit)
            if may(Permission.APPROVALS_READ)
            else None
        ),
        invoices=(
            invoices.list_invoices(session, staff, account_id=aid, limit=limit)
            if may(Permission.INVOICES_READ)
            else None
        ),
        document_requests=(
            document_requests.list_document_requests(session, staff, account_id=aid, limit=limit)
            if may(Permission.DOCUMENTS_READ)
            else None
        ),
        deliveries=(
            deliveries.list_deliveries(session, staff, account_id=aid, limit=limit, with_events=False)
            if may(Permission.DELIVERIES_READ)
            else None
        ),
        conversations=(
            messages.list_inbox(session, staff, account_id=aid, limit=limit)
            if may(Permission.MESSAGES_READ)
            else None
        ),
        open_tasks=(
            tasks.list_tasks(session, staff, statuses=OPEN_STATUSES, account_id=aid, limit=limit)
            if may(Permission.TASKS_READ)
            else None
        ),
    )
