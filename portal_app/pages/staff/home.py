"""Staff dashboard (``/app``): workspace, members and invitations, the Customer Portal module, accounts' contacts."""

from __future__ import annotations

import reflex as rx

from components.form import field, field_label, hint_id
from components.layout import page_shell
from components.ui import (
    confirm_button,
    empty_text,
    flag_badge,
    gate_panel,
    link_button,
    loading_panel,
    section_card,
    server_button,
    status_badge,
    visually_hidden,
)
from portal_app import routes
from state.staff import AccountRow, ContactRow, InvitationRow, MemberRow, StaffDashboardState

S = StaffDashboardState

TITLE = "Staff dashboard — Customer Portal"
DESCRIPTION = (
    "The workspace dashboard for your team: members and roles, the Customer Portal module and customer "
    "contacts."
)


# -- gates -------------------------------------------------------------------------------------------------------


def _signed_out() -> rx.Component:
    return gate_panel(
        icon="layout-dashboard",
        title="Sign in to your workspace",
        body="Staff sign in with their company Google account to manage members, customer accounts and the portal.",
        actions=server_button("Sign in", S.sign_in_href, icon="log-in", id="staff-sign-in"),
    )


def _no_workspace() -> rx.Component:
    return gate_panel(
        icon="building-2",
        title="No workspace yet",
        body=(
            "You are signed in, but not a member of an active workspace. Create one for your company, or open the "
            "invitation link a colleague sent you."
        ),
        actions=link_button("Create a workspace", href=routes.ONBOARDING, size="3"),
    )


# -- header ------------------------------------------------------------------------------------------------------


def _workspace_header() -> rx.Component:
    return rx.flex(
        rx.vstack(
            rx.text("Workspace", size="1", color_scheme="gray", weight="medium"),
            rx.heading(S.workspace_name, size="7", as_="h1", id="workspace-name"),
            rx.hstack(
                rx.badge(S.role_label, size="2", variant="soft", id="role-label"),
                rx.cond(
                    S.portal_enabled,
                    rx.badge("Customer Portal on", color_scheme="teal", variant="outline"),
                    rx.badge("Customer Portal off", color_scheme="gray", variant="outline"),
                ),
                spacing="2",
            ),
            spacing="2",
            align="start",
        ),
        rx.vstack(
            rx.cond(
                S.has_several_workspaces,
                rx.vstack(
                    field_label("Switch workspace", html_for="workspace-switcher", size="1"),
                    rx.select.root(
                        rx.select.trigger(min_width="220px", id="workspace-switcher"),
                        rx.select.content(
                            rx.foreach(
                                S.workspaces,
                                lambda w: rx.select.item(w.name + " — " + w.role_label, value=w.id),
                            )
                        ),
                        value=S.current_workspace_id,
                        on_change=S.switch_workspace,
                    ),
                    spacing="1",
                    align="start",
                ),
            ),
            rx.link("Create another workspace", href=routes.ONBOARDING, size="1", id="new-workspace-link"),
            spacing="2",
            align="end",
        ),
        justify="between",
        align="end",
        wrap="wrap",
        gap="16px",
        width="100%",
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
        rx.table.cell(
            rx.cond(
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
            text_align="right",
        ),
        class_name="member-row",
        align="center",
    )


def _invitation_row(i: InvitationRow) -> rx.Component:
    return rx.table.row(
        rx.table.cell(rx.text(i.email, size="2")),
        rx.table.cell(rx.badge(i.role_label, variant="soft", color_scheme="gray")),
        rx.table.cell(rx.text("Expires ", i.expires, size="1", color_scheme="gray")),
        rx.table.cell(
            rx.cond(
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
            text_align="right",
        ),
        class_name="invitation-row",
        align="center",
    )


def _invite_form() -> rx.Component:
    return rx.form(
        rx.flex(
            field(
                "Email address",
                rx.input(
                    placeholder="colleague@company.com",
                    type="email",
                    value=S.invite_email,
                    on_change=S.set_invite_email,
                    name="invite_email",
                    id="invite-email",
                    auto_complete="off",
                    size="2",
                ),
                control_id="invite-email",
                flex="1",
                min_width="200px",
                width="auto",
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
        on_submit=lambda _: S.invite_member(),
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
        rx.hstack(
            rx.switch(
                checked=S.portal_enabled,
                on_change=S.set_portal_enabled,
                disabled=~S.can_manage_workspace,
                id="portal-toggle",
                size="3",
                aria_describedby=hint_id("portal-toggle"),
            ),
            rx.vstack(
                field_label("Portal open to contacts", html_for="portal-toggle"),
                rx.text(
                    rx.cond(
                        S.portal_enabled,
                        "On: invited contacts can sign in to the portal.",
                        "Off: the portal is closed for every contact.",
                    ),
                    size="2",
                    color_scheme="gray",
                    id=hint_id("portal-toggle"),
                ),
                spacing="0",
                align="start",
            ),
            spacing="3",
            align="center",
        ),
        rx.cond(
            ~S.can_manage_workspace,
            rx.text("Only owners and managers can change this.", size="1", color_scheme="gray"),
        ),
        description="Lets the contacts of your customer accounts see what you share with them.",
        id="module-panel",
    )


# -- contacts ----------------------------------------------------------------------------------------------------


def _account_item(a: AccountRow) -> rx.Component:
    selected = S.selected_account_id == a.id
    return rx.el.button(
        rx.text(a.name, size="2", weight="medium", as_="span", display="block"),
        rx.text(a.code, size="1", color_scheme="gray", as_="span", display="block"),
        type="button",
        on_click=S.select_account(a.id),
        aria_pressed=rx.cond(selected, "true", "false"),
        cursor="pointer",
        width="100%",
        padding="8px 12px",
        border="none",
        border_radius="8px",
        text_align="left",
        font="inherit",
        color="inherit",
        background_color=rx.cond(selected, rx.color("accent", 4), "transparent"),
        _hover={"background_color": rx.cond(selected, rx.color("accent", 4), rx.color("gray", 3))},
        _focus_visible={"outline": f"2px solid {rx.color('accent', 8)}", "outline_offset": "1px"},
        class_name="account-item",
    )


def _contact_row(c: ContactRow) -> rx.Component:
    manage = S.can_manage_contacts
    return rx.table.row(
        rx.table.cell(
            rx.vstack(
                rx.text(c.name, size="2", weight="medium"),
                rx.text(c.email, size="1", color_scheme="gray"),
                spacing="0",
                align="start",
            )
        ),
        rx.table.cell(status_badge(c.status)),
        rx.table.cell(
            rx.hstack(
                flag_badge("Billing", c.billing),
                flag_badge("Operations", c.operations),
                flag_badge("Documents", c.documents),
                spacing="1",
                wrap="wrap",
            )
        ),
        rx.table.cell(
            rx.cond(
                manage,
                rx.hstack(
                    rx.cond(
                        c.status == "deactivated",
                        rx.button(
                            "Reactivate",
                            size="1",
                            variant="soft",
                            on_click=S.reactivate_contact(c.id),
                            aria_label="Reactivate " + c.name,
                        ),
                        rx.fragment(
                            rx.cond(
                                S.portal_enabled,
                                rx.button(
                                    rx.icon("mail", size=12),
                                    "Invite to portal",
                                    size="1",
                                    variant="soft",
                                    on_click=S.invite_contact(c.id),
                                    class_name="invite-contact",
                                    aria_label="Invite to portal: " + c.name,
                                ),
                            ),
                            confirm_button(
                                "Deactivate",
                                title="Deactivate this contact?",
                                description="Their portal sessions, invitations and sign-in links end at once.",
                                confirm_label="Deactivate",
                                on_confirm=S.deactivate_contact(c.id),
                                aria_label="Deactivate " + c.name,
                            ),
                        ),
                    ),
                    spacing="2",
                    justify="end",
                ),
            ),
            text_align="right",
        ),
        class_name="contact-row",
        align="center",
    )


def _contacts_list() -> rx.Component:
    return rx.cond(
        S.selected_account_id != 0,
        rx.vstack(
            rx.hstack(
                rx.heading(S.selected_account_name, size="3", as_="h3", id="selected-account"),
                rx.icon_button(
                    rx.icon("x", size=14),
                    variant="ghost",
                    color_scheme="gray",
                    size="1",
                    on_click=S.close_account,
                    aria_label="Close " + S.selected_account_name,
                ),
                justify="between",
                align="center",
                width="100%",
            ),
            rx.cond(
                S.has_contacts,
                rx.table.root(
                    rx.table.header(
                        rx.table.row(
                            rx.table.column_header_cell("Contact"),
                            rx.table.column_header_cell("Status"),
                            rx.table.column_header_cell("May see"),
                            rx.table.column_header_cell(visually_hidden("Actions")),
                        )
                    ),
                    rx.table.body(rx.foreach(S.contacts, _contact_row)),
                    variant="ghost",
                    width="100%",
                    id="contacts-table",
                ),
                empty_text("No contacts for this account yet."),
            ),
            rx.cond(
                ~S.portal_enabled,
                rx.callout(
                    "Turn the Customer Portal module on to invite contacts.",
                    icon="info",
                    size="1",
                    color_scheme="gray",
                ),
            ),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        rx.center(
            empty_text("Pick an account to see its contacts."),
            padding_y="24px",
            width="100%",
        ),
    )


def _contacts_panel() -> rx.Component:
    return section_card(
        "Customer contacts",
        rx.grid(
            rx.vstack(
                rx.vstack(rx.foreach(S.accounts, _account_item), spacing="1", width="100%"),
                rx.cond(~S.has_accounts, empty_text("No customer accounts yet.")),
                rx.cond(
                    S.has_accounts,
                    rx.hstack(
                        rx.icon_button(
                            rx.icon("chevron-left", size=14),
                            variant="soft",
                            size="1",
                            disabled=~S.accounts_has_prev,
                            on_click=S.accounts_prev,
                            aria_label="Previous accounts",
                        ),
                        rx.text(S.accounts_page_label, size="1", color_scheme="gray"),
                        rx.icon_button(
                            rx.icon("chevron-right", size=14),
                            variant="soft",
                            size="1",
                            disabled=~S.accounts_has_next,
                            on_click=S.accounts_next,
                            aria_label="Next accounts",
                        ),
                        spacing="2",
                        align="center",
                        justify="center",
                        width="100%",
                    ),
                ),
                spacing="3",
                width="100%",
                id="accounts-list",
            ),
            _contacts_list(),
            columns=rx.breakpoints(initial="1", md="260px 1fr"),
            gap="24px",
            width="100%",
        ),
        description="Contacts of each customer account, what they may see, and their portal access.",
        id="contacts-panel",
    )


def _dashboard() -> rx.Component:
    return rx.vstack(
        _workspace_header(),
        rx.grid(
            _members_panel(),
            _module_panel(),
            columns=rx.breakpoints(initial="1", lg="2fr 1fr"),
            gap="24px",
            width="100%",
            align_items="start",
        ),
        _contacts_panel(),
        spacing="6",
        width="100%",
    )


def staff_home() -> rx.Component:
    return page_shell(
        rx.cond(
            ~(rx.State.is_hydrated & S.loaded),  # no flash of data from before this page load's checks
            loading_panel(),
            rx.match(
                S.gate,
                ("signed_out", _signed_out()),
                ("no_workspace", _no_workspace()),
                _dashboard(),
            ),
        )
    )
