"""Workspace settings (``/app/settings``): the workspace, members and invitations, the Customer Portal module,
reminders (the schedule, the time zone and today's reminders: ``state/reminders.py``) and branding
(``state/branding.py``).

Every member may read it (``members:read``); inviting, changing roles and removing need ``members:manage`` and the
module switch ``workspace:manage``: the page only hides what a role cannot do, the services refuse it anyway.
Membership and invitation ids from the browser are handles: the services answer ``NotFound`` outside the workspace.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import Role
from portal_app.services import members, workspaces
from portal_app.services.access import StaffActor
from portal_app.services.errors import ValidationFailed
from portal_app.services.permissions import ROLE_LABELS, ROLE_RANK, Permission, can_grant, role_has
from state.base import Events, event, parse_id
from state.branding import BrandingSettingsMixin
from state.mixins import FormMixin
from state.pages import StaffArea, StaffPage
from state.reminders import ReminderSettingsMixin

SEATS = 6


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


def _as_role(value: Any) -> Role | None:
    try:
        return Role(str(value))
    except ValueError:
        return None


class SettingsState(StaffPage, FormMixin, ReminderSettingsMixin, BrandingSettingsMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.MEMBERS_READ

    portal_enabled: bool = False
    can_manage_members: bool = False
    can_manage_workspace: bool = False
    members: list[MemberRow] = []
    invitations: list[InvitationRow] = []
    seats_used: int = 0
    grantable_roles: list[RoleOption] = []
    invite_role: str = Role.TEAM_LEAD.value
    payment_instructions: str = ""
    can_manage_billing: bool = False
    customer_mails_enabled: bool = True
    daily_digest: bool = True

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        ws = workspaces.get_workspace(session, actor)
        self.portal_enabled = ws.portal_enabled
        self.customer_mails_enabled = ws.customer_mails_enabled
        self.daily_digest = members.daily_digest_enabled(session, actor)
        self.payment_instructions = ws.payment_instructions
        self.can_manage_billing = role_has(actor.role, Permission.INVOICES_MANAGE)
        self.can_manage_members = role_has(actor.role, Permission.MEMBERS_MANAGE)
        self.can_manage_workspace = role_has(actor.role, Permission.WORKSPACE_MANAGE)
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
            for m in members.list_members(session, actor)
        ]
        self.invitations = [
            InvitationRow(
                id=i.id,
                email=i.email,
                role_label=ROLE_LABELS[i.role],
                expires=i.expires_at.strftime("%d %b %Y"),
                revocable=self.can_manage_members and can_grant(actor.role, i.role),
            )
            for i in members.list_invitations(session, actor)
        ]
        self.seats_used = len(self.members) + len(self.invitations)
        grantable = sorted(
            (r for r in Role if can_grant(actor.role, r)), key=lambda r: (-ROLE_RANK[r], ROLE_LABELS[r])
        )
        self.grantable_roles = [RoleOption(value=r.value, label=ROLE_LABELS[r]) for r in grantable]
        if self.invite_role not in {r.value for r in grantable} and grantable:
            self.invite_role = grantable[-1].value
        self._fill_reminder_settings(session, actor)
        self._fill_branding(session, actor)
        return None

    @rx.var
    def has_invitations(self) -> bool:
        return bool(self.invitations)

    @rx.var
    def invitation_count(self) -> int:
        return len(self.invitations)

    # -- module -----------------------------------------------------------------------------------------------

    @event
    def set_portal_enabled(self, enabled: bool) -> Events:
        def run(session: Session, actor: StaffActor) -> Events:
            ws = workspaces.set_portal_enabled(session, actor, enabled=enabled is True)
            self._fetch(session, actor)
            if ws.portal_enabled:
                return rx.toast.success("Customer Portal turned on. Invited contacts can sign in now.")
            return rx.toast.success(
                "Customer Portal turned off. No contact can sign in until it is on again."
            )

        return self._act(run)

    # -- mail -------------------------------------------------------------------------------------------------

    @event
    def set_customer_mails(self, enabled: bool) -> Events:
        """Owners and managers (``workspace:manage``): notification mails to contacts on or off."""
        if not isinstance(enabled, bool):  # a forged value changes nothing
            return rx.toast.error("Choose on or off.")

        def run(session: Session, actor: StaffActor) -> Events:
            ws = workspaces.set_customer_mails(session, actor, enabled=enabled)
            self._fetch(session, actor)
            if ws.customer_mails_enabled:
                return rx.toast.success("Customer mails turned on. Contacts hear about what you share.")
            return rx.toast.success("Customer mails turned off. Contacts get no notification mails.")

        return self._act(run)

    @event
    def set_daily_digest(self, enabled: bool) -> Events:
        """Every member, for themselves only: the morning mail of their open and overdue tasks."""
        if not isinstance(enabled, bool):  # a forged value changes nothing
            return rx.toast.error("Choose on or off.")

        def run(session: Session, actor: StaffActor) -> Events:
            self.daily_digest = members.set_daily_digest(session, actor, enabled=enabled)
            if self.daily_digest:
                return rx.toast.success("Daily digest on. You get a mail each morning you have open tasks.")
            return rx.toast.success("Daily digest off.")

        return self._act(run)

    # -- billing ----------------------------------------------------------------------------------------------

    @event
    def save_payment_instructions(self, form: dict[str, Any]) -> Events:
        raw = form.get("payment_instructions") if isinstance(form, dict) else None
        text = raw[: workspaces.MAX_PAYMENT_INSTRUCTIONS + 1] if isinstance(raw, str) else ""
        self.errors = {k: v for k, v in self.errors.items() if k != "payment_instructions"}

        def run(session: Session, actor: StaffActor) -> Events:
            try:
                ws = workspaces.set_payment_instructions(session, actor, text)
            except ValidationFailed as exc:
                self.payment_instructions = text  # keep what was typed
                self._fail("payment_instructions", exc.message)
                return None
            self.payment_instructions = ws.payment_instructions
            return rx.toast.success(
                "Payment instructions saved. New invoice and statement PDFs print them."
                if ws.payment_instructions
                else "Payment instructions removed. PDFs ask customers to quote the invoice number."
            )

        return self._act(run)

    # -- members ----------------------------------------------------------------------------------------------

    @event
    def set_invite_role(self, value: str) -> None:
        self.invite_role = str(value)[:40]

    @event
    def invite_member(self, form: dict[str, Any]) -> Events:
        self.errors = {}
        email = self._text(form, "email", label="an email address", required=True, max_len=320)
        role = _as_role(self.invite_role)
        if role is None:
            self._fail("role", "Choose a role.")
        if not self._valid() or role is None:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            issued = members.invite_member(session, actor, email=email, role=role)
            self._fetch(session, actor)
            return [
                rx.set_value("invite-email", ""),
                rx.toast.success(
                    f"Invitation sent to {issued.invitation.email}. It shows under pending invitations until "
                    "they accept."
                ),
            ]

        return self._act(run)

    @event
    def change_role(self, membership_id: int, role: str) -> Events:
        target, new_role = parse_id(membership_id), _as_role(role)
        if target is None or new_role is None:
            return rx.toast.error("Choose a role.")

        def run(session: Session, actor: StaffActor) -> Events:
            member = members.change_role(session, actor, target, role=new_role)
            self._fetch(session, actor)
            return rx.toast.success(
                f"{member.name or member.email} is now {ROLE_LABELS[member.role]}, from their next action."
            )

        return self._act(run)

    @event
    def remove_member(self, membership_id: int) -> Events:
        target = parse_id(membership_id)
        if target is None:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            members.remove_member(session, actor, target)
            self._fetch(session, actor)
            return rx.toast.success("Member removed. Their open pages lose access on their next action.")

        return self._act(run)

    @event
    def revoke_invitation(self, invitation_id: int) -> Events:
        target = parse_id(invitation_id)
        if target is None:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            inv = members.revoke_invitation(session, actor, target)
            self._fetch(session, actor)
            return rx.toast.success(f"Invitation for {inv.email} revoked. Its link no longer works.")

        return self._act(run)
