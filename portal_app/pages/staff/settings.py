"""Workspace settings (``/app/settings``): the workspace, members and invitations, the Customer Portal module."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.branding import branding_panel
from components.form import control_field, field, submit_button
from components.reminders import reminder_schedule_panel, todays_reminders_panel
from components.toggle import switch_row
from components.ui import confirm_button, empty_text, section_card, visually_hidden
from portal_app import routes
from portal_app.pages.staff.frame import page_title, staff_frame
from state.pages import StaffArea
from state.settings import InvitationRow, MemberRow, SettingsState

S = SettingsState
A = StaffArea

TITLE = "Workspace settings — Customer Portal"
DESCRIPTION = (
    "Your workspace's members and roles, pending invitations, the Customer Portal module, branding and "
    "reminders."
)


# -- members -----------------------------------------------------------------------------------------------------


def _role_cell(m: MemberRow) -> rx.Component:
    return rx.cond(
        m.manageable,
        rx.select.root(
            rx.select.trigger(variant="soft", aria_label="Role of " + m.name),
            rx.select.content(
                rx.foreach(S.grantable_roles, lambda r: rx.select.item(r.label, value=r.value)),
            ),
            value=m.role,
            on_change=lambda role: S.change_role(m.id, role),
            size="1",
        ),
        rx.badge(m.role_label, variant="soft", color_scheme="gray"),
    )


def _action_cell(allowed: Any, button: rx.Component) -> rx.Component:
    """The row's last cell: its action, for those allowed to take it."""
    return rx.table.cell(rx.cond(allowed, button), text_align="right")


def _member_row(m: MemberRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.hstack(
                    rx.text(m.name, weight="medium", size="2"),
                    rx.cond(m.is_self, rx.badge("You", size="1", variant="outline")),
                    spacing="2",
                    align="center",
                ),
                rx.text(m.email, size="1", color_scheme="gray"),
                spacing="0",
                align="start",
            )
        ),
        rx.table.cell(_role_cell(m)),
        _action_cell(
            m.manageable,
            confirm_button(
                "Remove",
                title="Remove this member?",
                description="They lose access to the workspace at once, including open pages.",
                confirm_label="Remove member",
                on_confirm=S.remove_member(m.id),
                icon="user-minus",
                aria_label="Remove " + m.name,
            ),
        ),
        class_name="member-row",
        align="center",
    )


def _invitation_row(i: InvitationRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(i.email, size="2")),
        rx.table.cell(rx.badge(i.role_label, variant="soft", color_scheme="gray")),
        rx.table.cell(rx.text("Expires ", i.expires, size="1", color_scheme="gray")),
        _action_cell(
            i.revocable,
            confirm_button(
                "Revoke",
                title="Revoke this invitation?",
                description="The link in the invitation mail stops working.",
                confirm_label="Revoke invitation",
                on_confirm=S.revoke_invitation(i.id),
                color_scheme="amber",
                aria_label="Revoke the invitation for " + i.email,
            ),
        ),
        class_name="invitation-row",
        align="center",
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.flex(
            control_field(
                "Email address",
                rx.input,
                control_id="invite-email",
                error=S.errors["email"],
                field_props={"flex": "1", "min_width": "200px", "width": "auto"},
                placeholder="colleague@company.com",
                type="email",
                name="email",
                auto_complete="off",
                size="2",
            ),
            field(
                "Role",
                rx.select.root(
                    rx.select.trigger(min_width="170px", id="invite-role"),
                    rx.select.content(
                        rx.foreach(S.grantable_roles, lambda r: rx.select.item(r.label, value=r.value)),
                    ),
                    value=S.invite_role,
                    on_change=S.set_invite_role,
                    size="2",
                ),
                control_id="invite-role",
                width="auto",
            ),
            rx.button(rx.icon("send", size=14), "Invite", type="submit", size="2", id="invite-submit"),
            gap="8px",
            wrap="wrap",
            align="end",
            width="100%",
        ),
        on_submit=S.invite_member,
        reset_on_submit=False,
        width="100%",
    )


def _members_panel() -> rx.Component:
    return section_card(
        "Members",
        rx.table.root(
            rx.table.header(
                rx.table.row(
                    rx.table.column_header_cell("Member"),
                    rx.table.column_header_cell("Role"),
                    rx.table.column_header_cell(visually_hidden("Actions")),
                )
            ),
            rx.table.body(rx.foreach(S.members, _member_row)),
            variant="ghost",
            width="100%",
            id="members-table",
        ),
        rx.vstack(
            rx.hstack(
                rx.text("Pending invitations", size="2", weight="bold"),
                rx.badge(S.invitation_count, variant="soft", color_scheme="gray", radius="full"),
                spacing="2",
                align="center",
            ),
            rx.cond(
                S.has_invitations,
                rx.table.root(
                    rx.table.body(rx.foreach(S.invitations, _invitation_row)),
                    variant="ghost",
                    width="100%",
                    id="invitations-table",
                ),
                empty_text("No pending invitations."),
            ),
            spacing="2",
            align="stretch",
            width="100%",
        ),
        rx.cond(
            S.can_manage_members,
            rx.vstack(
                rx.separator(size="4"),
                rx.heading("Invite a member", size="2", as_="h3"),
                _invite_form(),
                rx.text(
                    "Seats used: ",
                    S.seats_used,
                    " of 6, counting pending invitations. You can invite roles up to your own.",
                    size="1",
                    color_scheme="gray",
                ),
                spacing="2",
                align="stretch",
                width="100%",
            ),
        ),
        description="Everyone in this workspace and their role. Changes take effect on their next action.",
        id="members-panel",
    )


# -- module ------------------------------------------------------------------------------------------------------


def _module_panel() -> rx.Component:
    return section_card(
        "Customer Portal module",
        switch_row(
            control_id="portal-toggle",
            label="Portal open to contacts",
            checked=S.portal_enabled,
            on_change=S.set_portal_enabled,
            on_text="On: invited contacts can sign in to the portal.",
            off_text="Off: the portal is closed for every contact.",
            disabled=~S.can_manage_workspace,
        ),
        rx.cond(
            ~S.can_manage_workspace,
            rx.text("Only owners and managers can change this.", size="1", color_scheme="gray"),
        ),
        description="Lets the contacts of your customer accounts see what you share with them.",
        id="module-panel",
    )


def _mail_panel() -> rx.Component:
    return section_card(
        "Mail notifications",
        switch_row(
            control_id="customer-mails-toggle",
            label="Mails to contacts",
            checked=S.customer_mails_enabled,
            on_change=S.set_customer_mails,
            on_text="On: contacts get a mail when you share a record, ask for documents or reply.",
            off_text="Off: contacts get no notification mails (sign-in links still arrive).",
            disabled=~S.can_manage_workspace,
        ),
        rx.cond(
            ~S.can_manage_workspace,
            rx.text("Only owners and managers can change mails to contacts.", size="1", color_scheme="gray"),
        ),
        switch_row(
            control_id="daily-digest-toggle",
            label="My daily digest",
            checked=S.daily_digest,
            on_change=S.set_daily_digest,
            on_text="On: each morning you have open tasks, a mail lists them.",
            off_text="Off: no morning mail for you.",
        ),
        description="Who hears about what by mail. Your digest setting is yours alone.",
        id="mail-panel",
    )


def _billing_panel() -> rx.Component:
    return section_card(
        "Payment instructions",
        rx.cond(
            S.can_manage_billing,
            rx.form(
                rx.vstack(
                    control_field(
                        "How customers pay you",
                        rx.text_area,
                        control_id="payment-instructions",
                        error=S.errors["payment_instructions"],
                        hint="Bank details and what to quote. Printed on invoice and statement PDFs.",
                        name="payment_instructions",
                        default_value=S.payment_instructions,
                        rows="5",
                        max_length=2000,
                        width="100%",
                    ),
                    submit_button("Save payment instructions", loading=S.submitting),
                    spacing="3",
                    width="100%",
                ),
                on_submit=S.save_payment_instructions,
                width="100%",
            ),
            rx.cond(
                S.payment_instructions != "",
                rx.text(S.payment_instructions, size="2", white_space="pre-wrap"),
                empty_text("None yet: PDFs ask customers to quote the invoice number."),
            ),
        ),
        description="What invoice and statement PDFs tell your customers about paying.",
        id="billing-panel",
    )


def _header() -> rx.Component:
    return page_title(
        A.workspace_name,
        eyebrow="Workspace settings",
        id="workspace-name",
        actions=rx.vstack(
            rx.hstack(
                rx.badge(A.acting_as, size="2", variant="soft", id="role-label"),
                rx.cond(
                    S.portal_enabled,
                    rx.badge("Customer Portal on", color_scheme="teal", variant="outline"),
                    rx.badge("Customer Portal off", color_scheme="gray", variant="outline"),
                ),
                spacing="2",
            ),
            rx.link("Create another workspace", href=routes.ONBOARDING, size="1", id="new-workspace-link"),
            spacing="2",
            align="end",
        ),
    )


def settings_page() -> rx.Component:
    return staff_frame(
        S,
        rx.vstack(
            _header(),
            rx.grid(
                _members_panel(),
                rx.vstack(_module_panel(), _mail_panel(), _billing_panel(), spacing="6", width="100%"),
                columns=rx.breakpoints(initial="1", lg="2fr 1fr"),
                gap="24px",
                width="100%",
                align_items="start",
            ),
            rx.box(branding_panel(S), max_width="760px", width="100%"),
            rx.grid(
                reminder_schedule_panel(S),
                todays_reminders_panel(S),
                columns=rx.breakpoints(initial="1", lg="1fr 1fr"),
                gap="24px",
                width="100%",
                align_items="start",
            ),
            spacing="6",
            width="100%",
        ),
    )
