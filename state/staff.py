"""Staff dashboard (``/app``): workspace header and switcher, members and invitations, the portal module, contacts.

Every handler re-resolves the staff actor from the session cookie and goes through the services, which scope by
the actor's workspace and check the role. Ids coming from the browser are only display-level handles: the
services answer ``NotFound`` for anything outside the workspace.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import reflex as rx
from sqlmodel import Session

from models import Role, SessionKind
from portal_app import routes
from portal_app.services import accounts, contacts, members, portal_access, sessions, workspaces
from portal_app.services.access import StaffActor
from portal_app.services.errors import DomainError, NotFound
from portal_app.services.permissions import ROLE_LABELS, ROLE_RANK, Permission, can_grant, role_has
from state.base import BaseState, Events, event, full_reload

ACCOUNTS_PAGE_SIZE = 8


@dataclasses.dataclass
class WorkspaceOption:
    id: str
    name: str
    role_label: str


@dataclasses.dataclass
class RoleOption:
    value: str
    label: str


@dataclasses.dataclass
class MemberRow:
    id: int
    name: str
    email: str
    role: str
    role_label: str
    is_self: bool
    manageable: bool


@dataclasses.dataclass
class InvitationRow:
    id: int
    email: str
    role_label: str
    expires: str
    revocable: bool


@dataclasses.dataclass
class AccountRow:
    id: int
    name: str
    code: str


@dataclasses.dataclass
class ContactRow:
    id: int
    name: str
    email: str
    status: str
    billing: bool
    operations: bool
    documents: bool


def _as_id(value: Any) -> int | None:
    """A browser-supplied id as a positive int, or None. It is only a handle: services re-check scope."""
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number > 0 else None


def _as_role(value: Any) -> Role | None:
    try:
        return Role(str(value))
    except ValueError:
        return None


class StaffDashboardState(BaseState):
    # "" (dashboard), "signed_out", "no_workspace"
    gate: str = "signed_out"
    loaded: bool = False

    workspace_name: str = ""
    role_label: str = ""
    portal_enabled: bool = False
    can_manage_members: bool = False
    can_manage_workspace: bool = False
    can_manage_contacts: bool = False
    current_workspace_id: str = ""
    workspaces: list[WorkspaceOption] = []

    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []
    seats_used: int = 0
    grantable_roles: list[RoleOption] = []
    invite_email: str = ""
    invite_role: str = Role.TEAM_LEAD.value

    accounts: list[AccountRow] = []
    accounts_offset: int = 0
    accounts_total: int = 0
    selected_account_id: int = 0
    selected_account_name: str = ""
    contacts: list[ContactRow] = []

    # -- loading ----------------------------------------------------------------------------------------------

    def _clear(self, gate: str) -> None:
        """Drop every piece of workspace data (signed out, removed, suspended...)."""
        self.reset()
        self.gate = gate
        self.loaded = True

    def _load(self, session: Session) -> StaffActor | None:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if principal is None or principal.kind is not SessionKind.STAFF:
            self._set_viewer(None)
            self._clear("signed_out")
            return None
        if not isinstance(actor, StaffActor):
            self._set_viewer(principal, name="Signed in")
            self._clear("no_workspace")
            return None
        ws = workspaces.get_workspace(session, actor)
        mine = workspaces.list_user_workspaces(session, actor.user_id)
        self.gate = ""
        self.workspace_name = ws.name
        self.role_label = ROLE_LABELS[actor.role]
        self.portal_enabled = ws.portal_enabled
        self.can_manage_members = role_has(actor.role, Permission.MEMBERS_MANAGE)
        self.can_manage_workspace = role_has(actor.role, Permission.WORKSPACE_MANAGE)
        self.can_manage_contacts = role_has(actor.role, Permission.CONTACTS_MANAGE)
        self.current_workspace_id = str(ws.id)
        self.workspaces = [
            WorkspaceOption(id=str(w.id), name=w.name, role_label=ROLE_LABELS[role]) for w, role in mine
        ]
        self._load_members(session, actor)
        self._load_accounts(session, actor)
        me = next((m for m in self.members if m.is_self), None)
        self._set_viewer(principal, name=(me.name or me.email) if me else "", context=ws.name)
        self.loaded = True
        return actor

    def _load_members(self, session: Session, actor: StaffActor) -> None:
        rows = members.list_members(session, actor)
        self.members = [
            MemberRow(
                id=m.id,
                name=m.name,
                email=m.email,
                role=m.role.value,
                role_label=ROLE_LABELS[m.role],
                is_self=m.id == actor.membership_id,
                manageable=self.can_manage_members
                and m.id != actor.membership_id
                and can_grant(actor.role, m.role),
            )
            for m in rows
        ]
        pending = members.list_invitations(session, actor)
        self.invitations = [
            InvitationRow(
                id=i.id,
                email=i.email,
                role_label=ROLE_LABELS[i.role],
                expires=i.expires_at.strftime("%d %b %Y"),
                revocable=self.can_manage_members and can_grant(actor.role, i.role),
            )
            for i in pending
        ]
        self.seats_used = len(self.members) + len(self.invitations)
        grantable = sorted(
            (r for r in Role if can_grant(actor.role, r)), key=lambda r: (-ROLE_RANK[r], ROLE_LABELS[r])
        )
        self.grantable_roles = [RoleOption(value=r.value, label=ROLE_LABELS[r]) for r in grantable]
        if self.invite_role not in {r.value for r in grantable} and grantable:
            self.invite_role = grantable[-1].value

    def _load_accounts(self, session: Session, actor: StaffActor) -> None:
        page = accounts.list_accounts(session, actor, offset=self.accounts_offset, limit=ACCOUNTS_PAGE_SIZE)
        if not page.items and page.total and self.accounts_offset:
            self.accounts_offset = 0
            page = accounts.list_accounts(session, actor, offset=0, limit=ACCOUNTS_PAGE_SIZE)
        self.accounts = [AccountRow(id=a.id, name=a.name, code=a.code) for a in page.items]
        self.accounts_total = page.total
        self._load_contacts(session, actor)

    def _load_contacts(self, session: Session, actor: StaffActor) -> None:
        if not self.selected_account_id:
            self.contacts = []
            self.selected_account_name = ""
            return
        try:
            account = accounts.get_account(session, actor, self.selected_account_id)
        except NotFound:
            self.selected_account_id = 0
            self.selected_account_name = ""
            self.contacts = []
            return
        self.selected_account_name = account.name
        self.contacts = [
            ContactRow(
                id=c.id,
                name=c.name,
                email=c.email,
                status=c.status.value,
                billing=a.can_billing,
                operations=a.can_operations,
                documents=a.can_documents,
            )
            for c, a in contacts.list_account_contacts(session, actor, self.selected_account_id)
        ]

    @rx.var
    def accounts_page_label(self) -> str:
        if not self.accounts_total:
            return "No accounts"
        first = self.accounts_offset + 1
        last = min(self.accounts_offset + ACCOUNTS_PAGE_SIZE, self.accounts_total)
        return f"{first}-{last} of {self.accounts_total}"

    @rx.var
    def accounts_has_prev(self) -> bool:
        return self.accounts_offset > 0

    @rx.var
    def accounts_has_next(self) -> bool:
        return self.accounts_offset + ACCOUNTS_PAGE_SIZE < self.accounts_total

    @rx.var
    def has_invitations(self) -> bool:
        return bool(self.invitations)

    @rx.var
    def invitation_count(self) -> int:
        return len(self.invitations)

    @rx.var
    def has_contacts(self) -> bool:
        return bool(self.contacts)

    @rx.var
    def has_accounts(self) -> bool:
        return bool(self.accounts)

    @rx.var
    def has_several_workspaces(self) -> bool:
        return len(self.workspaces) > 1

    @rx.var
    def sign_in_href(self) -> str:
        return routes.sign_in_url("staff", routes.STAFF)

    @event
    def load(self) -> Events:
        try:
            with self._db() as session:
                self._load(session)
        except DomainError:
            # The workspace vanished between resolving and reading: treat like signed out of it.
            self._clear("no_workspace")
        return None

    def _act(self, action: Callable[[Session, StaffActor], str | None]) -> Events:
        """Run one staff action: resolve the actor now, call the service, refresh the data, report."""
        try:
            with self._db() as session:
                actor = self._staff(session)
                if actor is None:
                    self._load(session)
                    return rx.toast.error("Your access to this workspace has ended.")
                message = action(session, actor)
                self._load(session)
        except DomainError as exc:
            # Reload whatever the error was: a Forbidden often means the actor's own role just changed.
            return [rx.toast.error(exc.message), StaffDashboardState.load]
        return rx.toast.success(message) if message else None

    # -- workspace --------------------------------------------------------------------------------------------

    @event
    def switch_workspace(self, workspace_id: str) -> Events:
        target = _as_id(workspace_id)
        if target is None or workspace_id == self.current_workspace_id:
            return None
        try:
            with self._db() as session:
                sessions.switch_workspace(session, self._token(), target)
        except DomainError as exc:
            return self._refused(exc, reload=StaffDashboardState.load)
        return full_reload(routes.STAFF)

    @event
    def set_portal_enabled(self, enabled: bool) -> Events:
        def run(session: Session, actor: StaffActor) -> str:
            ws = workspaces.set_portal_enabled(session, actor, enabled=bool(enabled))
            return "Customer Portal turned on." if ws.portal_enabled else "Customer Portal turned off."

        return self._act(run)

    # -- members ----------------------------------------------------------------------------------------------

    @event
    def set_invite_email(self, value: str) -> None:
        self.invite_email = str(value)[:320]

    @event
    def set_invite_role(self, value: str) -> None:
        self.invite_role = str(value)[:40]

    @event
    def invite_member(self) -> Events:
        role = _as_role(self.invite_role)
        email = self.invite_email.strip()
        if role is None:
            return rx.toast.error("Choose a role.")
        if not email:
            return rx.toast.error("Enter an email address.")

        def run(session: Session, actor: StaffActor) -> str:
            issued = members.invite_member(session, actor, email=email, role=role)
            self.invite_email = ""
            return f"Invitation sent to {issued.invitation.email}."

        return self._act(run)

    @event
    def change_role(self, membership_id: int, role: str) -> Events:
        target, new_role = _as_id(membership_id), _as_role(role)
        if target is None or new_role is None:
            return rx.toast.error("Choose a role.")

        def run(session: Session, actor: StaffActor) -> str:
            member = members.change_role(session, actor, target, role=new_role)
            return f"{member.name or member.email} is now {ROLE_LABELS[member.role]}."

        return self._act(run)

    @event
    def remove_member(self, membership_id: int) -> Events:
        target = _as_id(membership_id)
        if target is None:
            return None

        def run(session: Session, actor: StaffActor) -> str:
            members.remove_member(session, actor, target)
            return "Member removed."

        return self._act(run)

    @event
    def revoke_invitation(self, invitation_id: int) -> Events:
        target = _as_id(invitation_id)
        if target is None:
            return None

        def run(session: Session, actor: StaffActor) -> str:
            inv = members.revoke_invitation(session, actor, target)
            return f"Invitation for {inv.email} revoked."

        return self._act(run)

    # -- accounts and contacts --------------------------------------------------------------------------------

    @event
    def accounts_next(self) -> Events:
        self.accounts_offset += ACCOUNTS_PAGE_SIZE
        return self._act(lambda session, actor: None)

    @event
    def accounts_prev(self) -> Events:
        self.accounts_offset = max(0, self.accounts_offset - ACCOUNTS_PAGE_SIZE)
        return self._act(lambda session, actor: None)

    @event
    def select_account(self, account_id: int) -> Events:
        target = _as_id(account_id)
        if target is None:
            return None
        self.selected_account_id = target
        # An id outside the workspace is dropped by _load_contacts (the service answers NotFound).
        return self._act(lambda session, actor: None)

    @event
    def close_account(self) -> None:
        self.selected_account_id = 0
        self.selected_account_name = ""
        self.contacts = []

    def _contact_action(self, contact_id: Any, verb: str) -> Events:
        target = _as_id(contact_id)
        account_id = self.selected_account_id
        if target is None or not account_id:
            return None

        def run(session: Session, actor: StaffActor) -> str:
            if verb == "invite":
                portal_access.invite_contact(session, actor, target, account_id)
                return "Portal invitation sent."
            if verb == "deactivate":
                c = contacts.deactivate_contact(session, actor, target)
                return f"{c.name} deactivated: their portal sessions and links are revoked."
            c = contacts.reactivate_contact(session, actor, target)
            return f"{c.name} reactivated."

        return self._act(run)

    @event
    def invite_contact(self, contact_id: int) -> Events:
        return self._contact_action(contact_id, "invite")

    @event
    def deactivate_contact(self, contact_id: int) -> Events:
        return self._contact_action(contact_id, "deactivate")

    @event
    def reactivate_contact(self, contact_id: int) -> Events:
        return self._contact_action(contact_id, "reactivate")
