"""Customer accounts for staff: ``/app/accounts`` (search by name or code, paginated) and ``/app/accounts/[id]``
(details, contacts and what each may see, portal invitations, the account's latest estimates and approvals).

The route id and every contact id are untrusted: ``accounts.get_account`` scopes the account to the actor's
workspace (another workspace's account reads as "not found"), and the contact services re-check the contact.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from portal_app import formatting, routes
from portal_app.services import accounts, approvals, contacts, estimates, members, portal_access, workspaces
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_color, status_label
from state.base import Events, event, parse_id
from state.mixins import DetailMixin, ListMixin
from state.pages import StaffArea, StaffPage
from state.reminders import AccountRemindersMixin

SHORT_LIST = 5


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


@dataclasses.dataclass
class RecordRow:
    """One line of a short list on the account page: an estimate or an approval request."""

    href: str
    reference: str
    title: str
    status_label: str
    status_color: str
    detail: str


class AccountsListState(StaffPage, ListMixin, StaffArea):
    NEED = Permission.ACCOUNTS_READ

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
    NEED = Permission.ACCOUNTS_READ

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
    estimates: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    estimates_total: int = 0
    approvals: rx.Field[list[RecordRow]] = rx.field(default_factory=list)
    approvals_total: int = 0
    statement_href: str = ""  # "" when the member cannot read statements
    owner: str = ""  # "none" or a member's user id (the select's value)
    owner_name: str = ""
    owner_options: list[OwnerOption] = []
    can_manage_account: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        account = accounts.get_account(session, actor, self._record_id())
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
        self.statement_href = (
            routes.url_for(routes.STAFF_STATEMENTS, account=account.id)
            if role_has(actor.role, Permission.STATEMENTS_READ)
            else ""
        )
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
            for c, a in contacts.list_account_contacts(session, actor, account.id)
        ]
        self._fetch_records(session, actor, account.id)
        self._fill_account_reminders(session, actor, account.id)
        return None

    def _fetch_records(self, session: Session, actor: StaffActor, account_id: int) -> None:
        self.estimates, self.estimates_total, self.approvals, self.approvals_total = [], 0, [], 0
        if role_has(actor.role, Permission.ESTIMATES_READ):
            est = estimates.list_estimates(session, actor, account_id=account_id, limit=SHORT_LIST)
            self.estimates_total = est.total
            self.estimates = [
                RecordRow(
                    href=routes.record_url(routes.STAFF_ESTIMATES, e.id),
                    reference=e.number,
                    title=e.title,
                    status_label=status_label("estimate", e.status.value),
                    status_color=status_color("estimate", e.status.value),
                    detail=formatting.money(e.total_minor, e.currency),
                )
                for e in est.items
            ]
        if role_has(actor.role, Permission.APPROVALS_READ):
            appr = approvals.list_approvals(session, actor, account_id=account_id, limit=SHORT_LIST)
            self.approvals_total = appr.total
            self.approvals = [
                RecordRow(
                    href=routes.record_url(routes.STAFF_APPROVALS, r.id),
                    reference=formatting.day(r.created_at),
                    title=r.title,
                    status_label=status_label("approval", r.status.value),
                    status_color=status_color("approval", r.status.value),
                    detail=formatting.day(r.due_on) if r.due_on else "",
                )
                for r in appr.items
            ]

    @rx.var
    def estimates_more(self) -> str:
        shown = len(self.estimates)
        return (
            f"Showing the latest {shown} of {self.estimates_total}." if self.estimates_total > shown else ""
        )

    @rx.var
    def approvals_more(self) -> str:
        shown = len(self.approvals)
        return (
            f"Showing the latest {shown} of {self.approvals_total}." if self.approvals_total > shown else ""
        )

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
