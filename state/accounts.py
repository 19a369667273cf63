"""Customer accounts for staff: ``/app/accounts`` (search by name or code, paginated) and ``/app/accounts/[id]``, the
account view: details and owner, contacts and what each may see, portal invitations, reminders, the balance with
aging per currency, the latest records of every area the member may read, open tasks, and a timeline of portal
activity ("Show older" pages back by keyset). Display rows are built in ``state/account_view.py``.

The route id and every contact id are untrusted: ``account_view.account_overview`` scopes the account to the
actor's workspace (another workspace's account reads as "not found"), and the contact services re-check the
contact. The timeline's paging cursor is a backend var, never taken from the browser.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app import routes
from portal_app.services import (
    account_view,
    accounts,
    audit_log,
    contacts,
    members,
    portal_access,
    workspaces,
)
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_color, status_label
from state.account_view import (
    ActivityRow,
    BalanceRow,
    activity_rows,
    approval_rows,
    area_hrefs,
    balance_rows,
    balance_summary,
    conversation_rows,
    delivery_rows,
    document_rows,
    estimate_rows,
    invoice_rows,
)
from state.base import Events, event, parse_id
from state.mixins import DetailMixin, ListMixin
from state.pages import RecordRow, StaffArea, StaffPage
from state.reminders import AccountRemindersMixin
from state.tasks import TaskRow, task_rows

SHORT_LIST = account_view.SHORT_LIST
TIMELINE_PAGE = 30
# "Show older" stops here: the page's state stays bounded; what is older is in the audit log.
TIMELINE_MAX = 150


@dataclasses.dataclass
class AccountRow:
    id: int
    name: str
    code: str
    currency: str
    href: str


@dataclasses.dataclass
class OwnerOption:
    value: str
    label: str


@dataclasses.dataclass
class ContactRow:
    id: int
    name: str
    email: str
    status: str
    status_label: str
    status_color: str
    billing: bool
    operations: bool
    documents: bool
    reminders_off: bool = False  # the contact turned reminder mails off (the link in one)


class AccountsListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.ACCOUNTS_READ

    rows: rx.Field[list[AccountRow]] = rx.field(default_factory=list)

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        page = accounts.list_accounts(
            session, actor, search=self.search, offset=self.offset, limit=self.PAGE_SIZE
        )
        self.total = page.total
        if not page.items and page.total:
            self._clamp_offset()
            page = accounts.list_accounts(
                session, actor, search=self.search, offset=self.offset, limit=self.PAGE_SIZE
            )
        self.rows = [
            AccountRow(
                id=a.id,
                name=a.name,
                code=a.code,
                currency=a.currency,
                href=routes.record_url(routes.STAFF_ACCOUNTS, a.id),
            )
            for a in page.items
        ]
        return None


class AccountDetailState(StaffPage, DetailMixin, AccountRemindersMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.ACCOUNTS_READ

    account_id: int = 0
    name: str = ""
    code: str = ""
    currency: str = ""
    billing_email: str = ""
    payment_terms: str = ""
    internal_notes: str = ""
    portal_enabled: bool = False
    can_manage_contacts: bool = False
    contacts: rx.Field[list[ContactRow]] = rx.field(default_factory=list)
    owner: str = ""  # "none" or a member's user id (the select's value)
    owner_name: str = ""
    owner_options: list[OwnerOption] = []
    can_manage_account: bool = False
    # Balance and aging: shown when the role reads statements (``statement_href`` is then set).
    statement_href: str = ""
    balance: str = ""  # "$1,250.00 · €30.00", "Nothing owed"
    balances: rx.Field[list[BalanceRow]] = rx.field(default_factory=list)
    # Each area -> its list filtered to this account, or "" when the role may not read it (not shown).
    areas: dict[str, str] = {}
    estimates: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    estimates_total: int = 0
    approvals: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    approvals_total: int = 0
    invoices: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    invoices_total: int = 0
    documents: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    documents_total: int = 0
    deliveries: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    deliveries_total: int = 0
    conversations: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    conversations_total: int = 0
    tasks: rx.Field[list[TaskRow]] = rx.field(default_factory=list)
    tasks_total: int = 0
    # The timeline, newest first; ``timeline_more`` while older entries exist (the cursor stays on the server).
    timeline: rx.Field[list[ActivityRow]] = rx.field(default_factory=list)
    timeline_more: bool = False
    timeline_capped: bool = False  # TIMELINE_MAX entries shown and older ones exist
    timeline_audit_href: str = ""  # the audit log filtered to this account, for members who may read it
    _timeline_before: int = 0

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        view = account_view.account_overview(session, actor, self._record_id(), limit=SHORT_LIST)
        account = view.account
        self.account_id = account.id
        team = members.list_members(session, actor)
        self.owner = str(account.owner_user_id) if account.owner_user_id else "none"
        self.owner_name = next(
            (m.name or m.email for m in team if m.user_id == account.owner_user_id), "Nobody yet"
        )
        self.owner_options = [OwnerOption("none", "Nobody")] + [
            OwnerOption(str(m.user_id), m.name or m.email) for m in team
        ]
        self.can_manage_account = role_has(actor.role, Permission.ACCOUNTS_MANAGE)
        self.name, self.code, self.currency = account.name, account.code, account.currency
        self.billing_email = account.billing_email
        self.payment_terms = f"{account.payment_terms_days} days"
        self.internal_notes = account.internal_notes
        self.portal_enabled = workspaces.get_workspace(session, actor).portal_enabled
        self.can_manage_contacts = role_has(actor.role, Permission.CONTACTS_MANAGE)
        self.contacts = [
            ContactRow(
                id=c.id,
                name=c.name,
                email=c.email,
                status=c.status.value,
                status_label=status_label("contact", c.status.value),
                status_color=status_color("contact", c.status.value),
                billing=a.can_billing,
                operations=a.can_operations,
                documents=a.can_documents,
                reminders_off=c.reminders_off_at is not None,
            )
            for c, a in view.contacts
        ]
        self._show_overview(actor, view)
        self._fill_account_reminders(session, actor, account.id)
        self._load_timeline(session, actor, fresh=True)
        return None

    def _show_overview(self, actor: StaffActor, view: account_view.AccountOverview) -> None:
        account_id = view.account.id
        self.statement_href = (
            routes.url_for(routes.STAFF_STATEMENTS, account=account_id) if view.balances is not None else ""
        )
        self.balances = balance_rows(view.balances or [])
        self.balance = balance_summary(view.balances or []) if view.balances is not None else ""
        self.areas = area_hrefs(actor.role, account_id)
        self.estimates = estimate_rows(view.estimates.items) if view.estimates else []
        self.estimates_total = view.estimates.total if view.estimates else 0
        self.approvals = approval_rows(view.approvals.items) if view.approvals else []
        self.approvals_total = view.approvals.total if view.approvals else 0
        self.invoices = invoice_rows(view.invoices.items) if view.invoices else []
        self.invoices_total = view.invoices.total if view.invoices else 0
        self.documents = document_rows(view.document_requests.items) if view.document_requests else []
        self.documents_total = view.document_requests.total if view.document_requests else 0
        self.deliveries = delivery_rows(view.deliveries.items) if view.deliveries else []
        self.deliveries_total = view.deliveries.total if view.deliveries else 0
        self.conversations = conversation_rows(view.conversations.items) if view.conversations else []
        self.conversations_total = view.conversations.total if view.conversations else 0
        self.tasks = task_rows(view.open_tasks) if view.open_tasks else []
        self.tasks_total = view.open_tasks.total if view.open_tasks else 0

    def _load_timeline(self, session: Session, actor: StaffActor, *, fresh: bool) -> None:
        """The first page of the timeline (``fresh``), or the next older one after what is shown."""
        if fresh:
            self.timeline, self._timeline_before = [], 0
        before = self._timeline_before or None
        # One more than a page tells whether older entries remain, without a count.
        found = audit_log.account_timeline(
            session, actor, self._record_id(), limit=TIMELINE_PAGE + 1, before_seq=before
        )
        page = found[:TIMELINE_PAGE]
        self.timeline = [*self.timeline, *activity_rows(actor.role, page)][:TIMELINE_MAX]
        older = len(found) > TIMELINE_PAGE
        self.timeline_capped = older and len(self.timeline) >= TIMELINE_MAX
        self.timeline_more = older and not self.timeline_capped
        self.timeline_audit_href = (
            routes.url_for(routes.STAFF_AUDIT, account=self.account_id)
            if role_has(actor.role, Permission.AUDIT_READ)
            and role_has(actor.role, Permission.WORKSPACE_MANAGE)
            else ""
        )
        if page:
            self._timeline_before = page[-1].seq

    @event
    def show_older_activity(self) -> Events:
        """The timeline's "Show older": the next page before the oldest entry shown (the cursor is server-side)."""
        if not self.timeline_more or not self._timeline_before:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            # The cursor belongs to the account this tab loaded: a route id changed since then reloads the page.
            if self._record_id() != self.account_id:
                return self._fetch(session, actor)
            self._load_timeline(session, actor, fresh=False)
            return None

        return self._act(run)

    def _contact_action(self, contact_id: Any, verb: str) -> Events:
        target = parse_id(contact_id)
        if target is None:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            # The account comes from the route, scoped again here; never from a var the browser could set.
            account = accounts.get_account(session, actor, self._record_id())
            if verb == "invite":
                portal_access.invite_contact(session, actor, target, account.id)
                message = (
                    f"Portal invitation sent. The contact can sign in to see {account.name}'s shared records."
                )
            elif verb == "deactivate":
                c = contacts.deactivate_contact(session, actor, target)
                message = f"{c.name} deactivated: their portal sessions and links are revoked."
            else:
                c = contacts.reactivate_contact(session, actor, target)
                message = (
                    f"{c.name} reactivated. Invite them to the portal again to give them a sign-in link."
                )
            self._fetch(session, actor)
            return rx.toast.success(message)

        return self._act(run)

    @event
    def invite_contact(self, contact_id: int) -> Events:
        return self._contact_action(contact_id, "invite")

    @event
    def choose_owner(self, value: str) -> Events:
        """The account owner select: the value must be one of the options this page loaded (a member or "none");
        the service checks membership again."""
        if not any(o.value == value for o in self.owner_options) or value == self.owner:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            saved = accounts.set_account_owner(
                session, actor, self._record_id(), None if value == "none" else int(value)
            )
            self._fetch(session, actor)
            who = self.owner_name if saved.owner_user_id else "Nobody"
            return rx.toast.success(
                f"{who} now looks after {self.name}: customer actions on it reach them."
                if saved.owner_user_id
                else f"{self.name} has no owner now."
            )

        return self._act(run)

    @event
    def deactivate_contact(self, contact_id: int) -> Events:
        return self._contact_action(contact_id, "deactivate")

    @event
    def reactivate_contact(self, contact_id: int) -> Events:
        return self._contact_action(contact_id, "reactivate")
