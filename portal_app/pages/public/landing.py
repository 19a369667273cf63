"""Public landing page. Static content and synthetic examples only: it never touches workspace data."""

from __future__ import annotations

import reflex as rx

from components.badges import status_badge
from components.layout import page_shell
from components.public import example_badge, workspace_cta
from components.ui import link_button
from portal_app import routes
from portal_app.statuses import example_status_color

TITLE = "Customer Portal — share exactly what each customer needs"
DESCRIPTION = (
    "Give customer contacts a scoped portal for estimates, invoices, statements and document requests. "
    "Everything they send back lands as review-only intake with an auditable follow-up task for your team."
)

_FEATURES: tuple[tuple[str, str, str], ...] = (
    (
        "lock-keyhole",
        "Scoped portal access",
        "Contacts sign in to a dedicated portal and see only what your team shared with their own account: "
        "estimates, invoices, statements, approvals, document requests, messages and delivery status.",
    ),
    (
        "inbox",
        "Review-only intake",
        "Approvals, uploads, payment proof and messages never change your records directly. They arrive in a "
        "quarantined intake queue until a reviewer on your team accepts or rejects them.",
    ),
    (
        "list-checks",
        "Auditable follow-up tasks",
        "Every customer action opens a follow-up task for the right person and writes to an append-only, "
        "tamper-evident audit log, so you can always show who did what and when.",
    ),
)

_STEPS: tuple[tuple[str, str], ...] = (
    ("Share", "Staff pick what a customer account should see and share it with the account's contacts."),
    ("Respond", "Contacts approve an estimate, upload a requested document or send payment proof."),
    ("Review", "The intake waits for a finance or admin reviewer; accepting it is what updates the record."),
    ("Follow up", "A task tracks the work to its end, and the audit trail records each step."),
)

# Synthetic preview rows: illustrative only, never read from a workspace.
_PREVIEW: tuple[tuple[str, str, str], ...] = (
    ("EST-1042", "Estimate", "Awaiting approval"),
    ("INV-2217", "Invoice", "Payment proof in review"),
    ("DOC-0318", "Document request", "Uploaded, in review"),
    ("INV-2190", "Invoice", "Paid"),
)


def _feature(icon: str, title: str, body: str) -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.center(
                rx.icon(icon, size=20, color=rx.color("accent", 11)),
                width="40px",
                height="40px",
                border_radius="10px",
                background_color=rx.color("accent", 3),
            ),
            rx.heading(title, size="4", as_="h3"),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="3",
            align="start",
        ),
        size="3",
    )


def _step(number: int, title: str, body: str) -> rx.Component:
    return rx.hstack(
        rx.center(
            rx.text(str(number), size="2", weight="bold", color=rx.color("accent", 11)),
            min_width="28px",
            height="28px",
            border_radius="9999px",
            background_color=rx.color("accent", 4),
        ),
        rx.vstack(
            rx.text(title, size="3", weight="bold"),
            rx.text(body, size="2", color_scheme="gray"),
            spacing="1",
            align="start",
        ),
        spacing="3",
        align="start",
    )


def _preview() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.hstack(
                rx.text("Acme Logistics — shared with you", size="2", weight="bold"),
                example_badge(),
                justify="between",
                width="100%",
                align="center",
            ),
            rx.separator(size="4"),
            *(
                rx.hstack(
                    rx.vstack(
                        rx.text(ref, size="2", weight="medium"),
                        rx.text(kind, size="1", color_scheme="gray"),
                        spacing="0",
                        align="start",
                    ),
                    status_badge(status, example_status_color(status)),
                    justify="between",
                    align="center",
                    width="100%",
                )
                for ref, kind, status in _PREVIEW
            ),
            spacing="3",
            width="100%",
        ),
        size="3",
        width="100%",
    )


def landing() -> rx.Component:
    return page_shell(
        rx.grid(
            rx.vstack(
                rx.badge("Customer Portal module", variant="soft", size="2", radius="full"),
                rx.heading(
                    "Share exactly what each customer needs — and nothing else.",
                    size=rx.breakpoints(initial="7", md="8"),
                    as_="h1",
                    line_height="1.15",
                ),
                rx.text(
                    "A portal where your customers' contacts see the estimates, invoices, statements and "
                    "requests you shared with their account, and respond without ever touching your records "
                    "directly.",
                    size="4",
                    color_scheme="gray",
                ),
                rx.hstack(
                    link_button(
                        "See how the module works",
                        rx.icon("arrow-right", size=16),
                        href=routes.MODULE,
                        size="3",
                        id="landing-module-link",
                    ),
                    link_button(
                        rx.icon("play", size=16),
                        "Try the workflow preview",
                        href=routes.PREVIEW,
                        size="3",
                        variant="outline",
                    ),
                    spacing="3",
                    wrap="wrap",
                ),
                rx.text(
                    "Already working with us? ",
                    rx.link("Staff workspace", href=routes.STAFF),
                    " · ",
                    rx.link("Customer portal sign-in", href=routes.PORTAL_SIGN_IN),
                    size="2",
                    color_scheme="gray",
                ),
                spacing="5",
                align="start",
            ),
            _preview(),
            columns=rx.breakpoints(initial="1", md="2"),
            spacing="8",
            align_items="center",
            padding_y="24px",
        ),
        rx.vstack(
            rx.heading("Built for work you can account for", size="6", as_="h2"),
            rx.grid(
                *(_feature(icon, title, body) for icon, title, body in _FEATURES),
                columns=rx.breakpoints(initial="1", md="3"),
                spacing="4",
                width="100%",
            ),
            spacing="5",
            padding_top="48px",
            width="100%",
        ),
        rx.vstack(
            rx.heading("How a customer response flows", size="6", as_="h2"),
            rx.grid(
                *(_step(i, title, body) for i, (title, body) in enumerate(_STEPS, start=1)),
                columns=rx.breakpoints(initial="1", sm="2", lg="4"),
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
            spacing="5",
            padding_top="48px",
            width="100%",
        ),
        rx.box(workspace_cta(), padding_top="56px", width="100%"),
    )
