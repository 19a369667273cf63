"""The Customer Portal module page (``/customer-portal``): the module's story, for anyone. Static content only."""

from __future__ import annotations

import reflex as rx

from components.layout import page_shell
from components.public import card_grid, icon_card, icon_tile, numbered, section, workspace_cta
from components.ui import link_button, server_button
from portal_app import routes
from portal_app.pages.public.content import RECORDS

TITLE = "Customer Portal module — scoped customer access, review-only intake, auditable follow-up"
DESCRIPTION = (
    "Share estimates, invoices, statements and document requests with each customer account's contacts. "
    "Approvals, uploads, payment proof and messages arrive as review-only intake and open auditable "
    "follow-up tasks for your team."
)

_PROBLEMS: tuple[tuple[str, str, str], ...] = (
    (
        "files",
        "Records lose their context in separate files",
        "The estimate lives in one file, the invoice in another, the approval in an email thread and the "
        "delivery date in someone's notes. Nobody sees the whole picture of a customer, and answers get lost "
        "between them.",
    ),
    (
        "mail-warning",
        "Customer evidence is chased by email",
        "Certificates, signed forms and payment proof arrive as attachments in personal inboxes, if they arrive "
        "at all. Someone has to chase, forward, rename and match each one to the right record by hand.",
    ),
)

_PROOF: tuple[tuple[str, str, str], ...] = (
    (
        "lock-keyhole",
        "Access scoped to the linked customer account",
        "A contact signs in to a dedicated portal and sees only what your team shared with their own account, "
        "within the permissions you gave them. Drafts, internal notes and other customers never reach them.",
    ),
    (
        "shield-alert",
        "Uploads and payment proof are review-only intake",
        "Files land in quarantined intake: stored privately, size-limited, type-checked. Nothing a customer "
        "sends changes a record until a reviewer accepts it; accepting a payment proof is what records the "
        "payment.",
    ),
    (
        "list-checks",
        "Every customer action becomes auditable follow-up work",
        "Each message, approval and upload opens a follow-up task tied to its source record, and the audit "
        "trail records who did what and when, in an append-only log you can verify.",
    ),
)

_WORKFLOW: tuple[tuple[str, str], ...] = (
    (
        "Enable the module",
        "Turn on the Customer Portal for your workspace. Nothing is visible to anyone outside your team until "
        "you share it.",
    ),
    (
        "Invite linked contacts",
        "Invite the people at each customer account and give each one billing, operations or documents "
        "permissions; every contact can message the team. They sign in with a one-time link; no password to manage.",
    ),
    (
        "Review what comes back",
        "Approvals, requested documents, payment proof, messages and delivery signals arrive as intake and "
        "follow-up tasks. Reviewers accept or reject; the team works the tasks to done.",
    ),
)

_ROLES: tuple[tuple[str, str, str, str], ...] = (
    (
        "layout-dashboard",
        "Owner / manager",
        "A command center",
        "See every account's open approvals, intake waiting for review, overdue balances and follow-ups in one "
        "place, and the audit trail behind each. Manage the team and the module's settings.",
    ),
    (
        "list-todo",
        "Team lead",
        "Follow-ups that arrive with their context",
        "Each customer message, approval or upload is a task tied to its record: what was asked, by whom, about "
        "which estimate, request or delivery, with nothing to dig out of an inbox.",
    ),
    (
        "badge-check",
        "Finance / admin reviewer",
        "Intake decisions in one queue",
        "Payment proof and documents wait in one review queue. Accept to record the payment or attach the "
        "document; reject with a reason the contact sees. Balances never move on an unchecked file.",
    ),
)

_OUTCOMES: tuple[tuple[str, str], ...] = (
    ("mail-x", "Less chasing: customers answer in the portal, against the record you asked about."),
    ("eye", "Each customer sees their own status at any time, without calling or emailing for it."),
    ("scale", "Balances and records change only through a reviewer's decision, never by an upload alone."),
    (
        "history",
        "Every customer answer is accounted for: a task that is worked to done, and a line on the trail.",
    ),
)

_CONTACT_PERMISSIONS: tuple[tuple[str, str], ...] = (
    ("Billing", "invoices, statements, payment proof"),
    ("Operations", "estimates, approvals, delivery status"),
    ("Documents", "document requests and their uploads"),
    ("Messages", "every contact can message the team"),
)

_STAFF_ROLES: tuple[tuple[str, str], ...] = (
    ("Owner", "everything, including the team and the module"),
    ("Manager", "every account and every decision"),
    ("Team lead", "accounts, contacts, estimates, deliveries and follow-up tasks"),
    ("Finance / admin reviewer", "invoices, payments, intake decisions and the audit trail"),
)

_CONTROLS: tuple[tuple[str, str], ...] = (
    ("scroll-text", "Append-only audit trail, hash-chained per workspace so tampering shows."),
    ("shield-alert", "Quarantined intake: private storage, random names, size and type checks."),
    ("circle-slash", "Nothing a customer sends changes a record until a reviewer accepts it."),
    ("building-2", "Every record belongs to one workspace; contacts reach only their own account."),
)


def _model_box(title: str, subtitle: str, *children: rx.Component, **props: object) -> rx.Component:
    return rx.box(
        rx.vstack(
            rx.hstack(
                rx.text(title, size="3", weight="bold"),
                rx.text(subtitle, size="1", color_scheme="gray"),
                spacing="2",
                align="baseline",
                wrap="wrap",
            ),
            *children,
            spacing="3",
            align="stretch",
            width="100%",
        ),
        **{
            "border": f"1px solid {rx.color('accent', 6)}",
            "border_radius": "10px",
            "padding": "14px",
            "background_color": rx.color("gray", 1),
            "width": "100%",
            **props,
        },
    )


def _pairs(pairs: tuple[tuple[str, str], ...]) -> rx.Component:
    """Name badges in one column, what they cover in the next, aligned."""
    cells: list[rx.Component] = []
    for name, what in pairs:
        cells.append(rx.box(rx.badge(name, variant="soft", size="1")))
        cells.append(rx.text(what, size="2", color_scheme="gray"))
    return rx.grid(*cells, grid_template_columns="max-content 1fr", column_gap="10px", row_gap="8px")


def _data_model() -> rx.Component:
    tree = _model_box(
        "Workspace",
        "your company; members sign in with Google",
        _model_box(
            "Customer accounts",
            "the companies you work for",
            _model_box(
                "Contacts",
                "people at one account, each with permissions",
                _pairs(_CONTACT_PERMISSIONS),
                background_color=rx.color("accent", 2),
            ),
            background_color=rx.color("gray", 2),
        ),
        id="data-model",
    )
    staff = rx.card(
        rx.vstack(
            rx.heading("Staff roles", size="4", as_="h3"),
            rx.text("Up to 6 members per workspace: the creator and 5 more.", size="2", color_scheme="gray"),
            _pairs(_STAFF_ROLES),
            spacing="3",
            align="start",
        ),
        size="3",
    )
    controls = rx.card(
        rx.vstack(
            rx.heading("Controls", size="4", as_="h3"),
            *(
                rx.hstack(
                    rx.icon(icon, size=16, color=rx.color("accent", 11), flex_shrink="0", margin_top="2px"),
                    rx.text(text, size="2"),
                    spacing="2",
                    align="start",
                )
                for icon, text in _CONTROLS
            ),
            spacing="3",
            align="start",
        ),
        size="3",
    )
    return rx.grid(
        tree,
        rx.vstack(staff, controls, spacing="4", width="100%"),
        columns=rx.breakpoints(initial="1", md="2"),
        spacing="4",
        width="100%",
        align_items="start",
    )


def _role_card(icon: str, role: str, gain: str, body: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            icon_tile(icon),
            rx.vstack(
                rx.heading(role, size="4", as_="h3"),
                rx.text(gain, size="2", weight="bold", color=rx.color("accent", 11)),
                spacing="1",
                align="start",
            ),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="3",
            align="start",
        ),
        size="3",
    )


def _record_card(index: int) -> rx.Component:
    record = RECORDS[index]
    return rx.link(
        rx.card(
            rx.hstack(
                icon_tile(record.icon, size=18),
                rx.vstack(
                    rx.text(record.name, size="3", weight="bold"),
                    rx.text(record.summary, size="2", color_scheme="gray"),
                    spacing="1",
                    align="start",
                ),
                rx.icon("chevron-right", size=16, color=rx.color("gray", 9), flex_shrink="0"),
                spacing="3",
                align="center",
                justify="between",
                width="100%",
            ),
            size="2",
            width="100%",
            height="100%",
            class_name="record-card",
        ),
        href=routes.record_route(record.kind),
        underline="none",
        color=rx.color("gray", 12),
    )


def _hero() -> rx.Component:
    return rx.vstack(
        rx.badge("Customer Portal module", variant="soft", size="2", radius="full"),
        rx.heading(
            "Your customers' records, answers and evidence in one reviewable place.",
            size=rx.breakpoints(initial="7", md="8"),
            as_="h1",
            line_height="1.15",
            max_width="860px",
        ),
        rx.text(
            "The Customer Portal gives the contacts of each customer account a portal with exactly what your team "
            "shared with them. They approve, upload and ask there; your team reviews every answer before it "
            "touches a record, and each one becomes follow-up work you can account for.",
            size="4",
            color_scheme="gray",
            max_width="760px",
        ),
        rx.flex(
            link_button(rx.icon("play", size=16), "Try the workflow preview", href=routes.PREVIEW, size="3"),
            server_button(
                "Sign in with Google",
                routes.sign_in_url("staff", routes.ONBOARDING),
                icon="log-in",
                variant="outline",
            ),
            spacing="3",
            wrap="wrap",
        ),
        spacing="5",
        align="start",
        padding_top="8px",
    )


def module_page() -> rx.Component:
    return page_shell(
        _hero(),
        section(
            "Records lose their context; evidence is chased by email",
            card_grid(*(icon_card(icon, title, body) for icon, title, body in _PROBLEMS), md="2"),
            eyebrow="The problem",
            id="problem",
        ),
        section(
            "Scoped access, review-only intake, auditable follow-up",
            card_grid(*(icon_card(icon, title, body) for icon, title, body in _PROOF)),
            eyebrow="How the module answers it",
            id="proof",
        ),
        section(
            "Three steps to a working portal",
            rx.grid(
                *(numbered(i, title, body) for i, (title, body) in enumerate(_WORKFLOW, start=1)),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="5",
                width="100%",
            ),
            rx.link(
                rx.hstack(
                    rx.text("Walk through it on example data"), rx.icon("arrow-right", size=16), spacing="2"
                ),
                href=routes.PREVIEW,
                weight="medium",
            ),
            eyebrow="Workflow",
            id="workflow",
        ),
        section(
            "Who sees what, and what can change a record",
            _data_model(),
            eyebrow="Data and control model",
            intro="A workspace holds your customer accounts; each account has its contacts, and each contact has "
            "only the permissions you gave. Staff roles decide who reviews and who follows up.",
            id="model",
        ),
        section(
            "What each role gains",
            card_grid(*(_role_card(icon, role, gain, body) for icon, role, gain, body in _ROLES)),
            eyebrow="For your team",
            id="roles",
        ),
        section(
            "Connected records",
            rx.grid(
                *(_record_card(i) for i in range(len(RECORDS))),
                columns=rx.breakpoints(initial="1", sm="2", lg="3"),
                spacing="3",
                width="100%",
            ),
            eyebrow="What the portal draws on",
            intro="The portal shows the records your workspace already keeps, shared per account. Each preview "
            "uses example data.",
            id="records",
        ),
        section(
            "Expected outcomes",
            rx.grid(
                *(
                    rx.hstack(
                        rx.icon(
                            icon, size=18, color=rx.color("accent", 11), flex_shrink="0", margin_top="2px"
                        ),
                        rx.text(text, size="3"),
                        spacing="3",
                        align="start",
                    )
                    for icon, text in _OUTCOMES
                ),
                columns=rx.breakpoints(initial="1", md="2"),
                spacing="4",
                width="100%",
            ),
            eyebrow="What changes",
            id="outcomes",
        ),
        rx.box(workspace_cta(), padding_top="56px", width="100%", id="get-a-workspace"),
    )
