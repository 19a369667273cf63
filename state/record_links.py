"""Where a record named by an audit entry opens for a member: one map from target type to staff page, with the
permission each page needs, for the audit log (state/audit.py) and the account timeline (state/account_view.py).

A link is given only to a page the member's role may open, so nobody is sent to a "not allowed" page.
"""

from __future__ import annotations

from models.workspace import Role
from portal_app import routes
from portal_app.services.permissions import Permission, role_has

# Target type -> (the record's page, permission to read it). Kinds without a page of their own get no link.
RECORD_PAGES: dict[str, tuple[str, Permission]] = {
    "estimate": (routes.STAFF_ESTIMATES, Permission.ESTIMATES_READ),
    "approval": (routes.STAFF_APPROVALS, Permission.APPROVALS_READ),
    "invoice": (routes.STAFF_INVOICES, Permission.INVOICES_READ),
    "document_request": (routes.STAFF_DOCUMENTS, Permission.DOCUMENTS_READ),
    "delivery": (routes.STAFF_DELIVERIES, Permission.DELIVERIES_READ),
    "message_thread": (routes.STAFF_MESSAGES, Permission.MESSAGES_READ),
    "task": (routes.STAFF_TASKS, Permission.TASKS_READ),
    "account": (routes.STAFF_ACCOUNTS, Permission.ACCOUNTS_READ),
    "customer_account": (routes.STAFF_ACCOUNTS, Permission.ACCOUNTS_READ),
}
# Records judged in the review queue have no page of their own: the queue opens.
QUEUE_TARGETS = frozenset({"intake_file"})
# The customer account itself (two spellings in the log): the account page.
ACCOUNT_TARGETS = frozenset({"account", "customer_account"})


def record_href(role: Role, target_type: str, target_id: int | None, *, account_id: int | None = None) -> str:
    """The staff page of a record (``/app/invoices/7``) when it has one ``role`` may open; "" otherwise.

    Files sent for review open the review queue (``intake:review``); a shared statement opens the statements
    page of its account (``account_id``, ``statements:read``); an account opens the account page.
    """
    if target_type in QUEUE_TARGETS:
        return routes.STAFF_REVIEW if role_has(role, Permission.INTAKE_REVIEW) else ""
    if target_type == "statement_snapshot":
        if not account_id or not role_has(role, Permission.STATEMENTS_READ):
            return ""
        return routes.url_for(routes.STAFF_STATEMENTS, account=account_id)
    page = RECORD_PAGES.get(target_type)
    if page is None or not target_id or target_id <= 0 or not role_has(role, page[1]):
        return ""
    return routes.record_url(page[0], target_id)


__all__ = ["ACCOUNT_TARGETS", "QUEUE_TARGETS", "RECORD_PAGES", "record_href"]
