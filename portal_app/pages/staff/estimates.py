"""Staff estimates: the list (``/app/estimates``) and the detail (``/app/estimates/[id]``); the draft / re-issue
form is ``estimate_form.py``."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from components.badges import status_badge
from components.detail import detail_layout, page_header
from components.dialog import confirm_dialog
from components.reminders import record_reminders_card
from components.table import Column, data_table, empty_state, filter_select, filtered_empty, pager, search_box
from components.tasks import record_tasks
from components.ui import download_button, link_button, section_card
from models import EstimateStatus
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.statuses import status_label
from state.estimates import EstimateDetailState, EstimatesListState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
L: Any = EstimatesListState
D: Any = EstimateDetailState

TITLE = "Estimates — Customer Portal"
DESCRIPTION = "Your workspace's estimates: find one, create a draft, share it with the account's contacts."

NEW_HREF = f"{routes.STAFF_ESTIMATES}/{routes.NEW}"
STATUS_OPTIONS = [
    ("all", "All statuses"),
    ("decided", "Decided (any answer)"),
    ("decided_7d", "Decided in the last 7 days"),
    *((s.value, status_label("estimate", s.value)) for s in EstimateStatus),
]


def _new_button(**props: Any) -> rx.Component:
    return link_button(rx.icon("plus", size=16, aria_hidden="true"), "New estimate", href=NEW_HREF, **props)


# -- list ------------------------------------------------------------------------------------------------------


def _row_cells(row: Any) -> list[Any]:
    return [
        rx.link(row.number, href=row.href, weight="medium", class_name="estimate-link", white_space="nowrap"),
        rx.text(row.title, size="2"),
        rx.text(row.account, size="2"),
        status_badge(row.status_label, row.status_color),
        rx.text(row.total, size="2"),
        rx.text(row.updated, size="2", color_scheme="gray", title=row.updated_exact, white_space="nowrap"),
    ]


def estimates_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_header(
                "Estimates",
                "Prices for your customer accounts: draft them, share them, see each decision.",
                rx.cond(L.can_manage, _new_button(size="3")),
                margin_bottom="0",
            ),
            rx.flex(
                search_box(
                    L.search,
                    L.apply_search,
                    "Search estimates",
                    placeholder="Number, title or account",
                    control_id="estimate-search",
                ),
                filter_select("Status", L.status_filter, STATUS_OPTIONS, L.choose_status, "estimate-status"),
                rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
                gap="16px",
                wrap="wrap",
                align="end",
                width="100%",
            ),
            data_table(
                [
                    "Number",
                    "Title",
                    "Account",
                    "Status",
                    Column("Total", "right"),
                    "Updated",
                ],
                L.rows,
                _row_cells,
                caption="Estimates",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No estimate matches."),
                    empty_state(
                        "No estimates yet.",
                        "Create one for an account: a draft stays with your team until you share it.",
                        rx.cond(L.can_manage, _new_button()),
                        icon="file-text",
                    ),
                ),
                id="estimates-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_ESTIMATES,
        back_label="Back to estimates",
    )


# -- detail -----------------------------------------------------------------------------------------------------


def _line_cells(line: Any) -> list[Any]:
    return [
        rx.text(line.description, size="2"),
        rx.text(line.quantity, size="2"),
        rx.text(line.unit_price, size="2"),
        rx.text(line.tax_rate, size="2"),
        rx.text(line.net, size="2"),
        rx.text(line.unit_cost, size="2", color_scheme="gray"),
    ]


def _preview_cells(line: Any) -> list[Any]:
    return [
        rx.text(line.description, size="2"),
        rx.text(line.quantity, size="2"),
        rx.text(line.unit_price, size="2"),
        rx.text(line.tax_rate, size="2"),
        rx.text(line.net, size="2"),
    ]


_AMOUNTS = [
    Column("Qty", "right"),
    Column("Unit price", "right"),
    Column("Tax", "right"),
    Column("Net", "right"),
]


def _totals_list(*items: tuple[str, Any]) -> rx.Component:
    return rx.data_list.root(
        *(rx.data_list.item(rx.data_list.label(k), rx.data_list.value(v)) for k, v in items),
        size="2",
        font_variant_numeric="tabular-nums",
    )


def _note(label: str, text: Any, *, quote: bool = False) -> rx.Component:
    """A labelled block of free text, left out while the text is empty."""
    body = rx.blockquote if quote else rx.text
    return rx.cond(
        text != "",
        rx.vstack(
            rx.text(label, size="2", weight="medium"),
            body(text, size="2", white_space="pre-wrap"),  # type: ignore[operator]
            spacing="1",
        ),
    )


def _lines_card() -> rx.Component:
    return section_card(
        "Lines",
        data_table(
            ["Description", *_AMOUNTS, Column("Unit cost (internal)", "right")],
            D.lines,
            _line_cells,
            caption="Lines of the current version",
            empty=rx.text("No lines.", size="2"),
        ),
        _totals_list(("Subtotal", D.subtotal), ("Tax", D.tax), ("Total", D.total), ("Internal cost", D.cost)),
        _note("Terms and notes for the customer", D.customer_notes),
        _note("Internal note", D.internal_notes),
    )


def _decision_card() -> rx.Component:
    return rx.cond(
        D.decision_label != "",
        section_card(
            "The customer's decision",
            rx.hstack(status_badge(D.decision_label, D.decision_color), rx.text(D.decided_at, size="2")),
            _totals_list(
                ("Decided by", D.decided_by), ("Signed as", rx.cond(D.signature != "", D.signature, "—"))
            ),
            _note("Their comment", D.decision_note, quote=True),
            id="estimate-decision",
        ),
    )


def _was(text: Any, prefix: str) -> rx.Component:
    return rx.cond(text != "", rx.text(prefix, text, size="1", color_scheme="gray"))


def _flat_list(items: Any, cells: Callable[[Any], list[rx.Component]]) -> rx.Component:
    """A list without bullets, one wrapping line of ``cells(item)`` an item."""
    return rx.el.ul(
        rx.foreach(
            items,
            lambda item: rx.el.li(
                rx.flex(*cells(item), gap="8px", align="center", wrap="wrap"), padding_y="4px"
            ),
        ),
        list_style="none",
        padding="0",
        margin="0",
    )


def _history_card() -> rx.Component:
    return section_card(
        "Versions",
        _flat_list(
            D.versions,
            lambda v: [
                rx.text(v.label, weight="medium", size="2"),
                rx.cond(v.current, rx.badge("Current", variant="outline", size="1")),
                rx.text(v.date, " · ", v.lines, " · ", v.total, size="2", color_scheme="gray"),
            ],
        ),
        rx.cond(
            D.previous_version > 0,
            rx.vstack(
                rx.heading(
                    "What changed since version " + D.previous_version.to_string(), size="3", as_="h3"
                ),
                rx.cond(
                    D.changes.length() > 0,
                    _flat_list(
                        D.changes,
                        lambda c: [
                            rx.badge(c.kind, color_scheme=c.color, variant="soft"),
                            rx.text(c.description, size="2", weight="medium"),
                            _was(c.before, "Before: "),
                            _was(c.after, "Now: "),
                        ],
                    ),
                    rx.text("The lines are the same; only dates or notes may differ.", size="2"),
                ),
                spacing="2",
                width="100%",
            ),
        ),
        id="estimate-history",
    )


def _preview_card() -> rx.Component:
    return section_card(
        "What the contact sees",
        rx.cond(
            D.preview_visible,
            rx.text(D.account_name, "'s contacts see this in the portal.", size="2", color_scheme="gray"),
            rx.callout(
                "Contacts do not see drafts. Once shared, they will see exactly this.",
                icon="eye-off",
                color_scheme="gray",
                size="1",
            ),
        ),
        rx.vstack(
            rx.hstack(
                rx.text(D.title, weight="bold", size="3"),
                rx.text(D.number, size="2", color_scheme="gray"),
                align="baseline",
                wrap="wrap",
            ),
            data_table(
                ["Description", *_AMOUNTS],
                D.preview_lines,
                _preview_cells,
                caption="Lines as the contact sees them",
                empty=rx.text("No lines.", size="2"),
            ),
            rx.data_list.root(
                rx.foreach(
                    D.preview_facts,
                    lambda f: rx.data_list.item(rx.data_list.label(f.label), rx.data_list.value(f.value)),
                ),
                size="2",
                font_variant_numeric="tabular-nums",
            ),
            rx.cond(D.preview_notes != "", rx.text(D.preview_notes, size="2", white_space="pre-wrap")),
            spacing="3",
            padding="12px",
            border=f"1px dashed {rx.color('gray', 7)}",
            border_radius="8px",
            width="100%",
        ),
        id="estimate-preview",
    )


def _actions() -> rx.Component:
    return rx.vstack(
        rx.heading("Actions", size="3", as_="h2"),
        rx.cond(
            D.can_share,
            confirm_dialog(
                D.share_label,
                title="Share " + D.number + " with " + D.account_name + "?",
                description=(
                    "Its contacts with access to estimates will see it in the portal and can approve it, decline "
                    "it or ask for changes. After sharing, changes need a new version."
                ),
                confirm_label=D.share_label,
                on_confirm=D.share,
                color_scheme="blue",
                icon="send",
                trigger_variant="solid",
                trigger_size="2",
                width="100%",
            ),
        ),
        rx.cond(D.can_edit, link_button("Edit draft", href=D.edit_href, variant="soft", width="100%")),
        rx.cond(
            D.can_reissue,
            link_button("Re-issue as a new version", href=D.edit_href, variant="soft", width="100%"),
        ),
        download_button("Download PDF", D.pdf_href, icon="file-down", width="100%", id="estimate-pdf"),
        rx.cond(
            ~(D.can_share | D.can_edit | D.can_reissue),
            rx.text(
                "Nothing to do here for you now: approved estimates are final, and only team leads, managers and "
                "owners change estimates.",
                size="2",
                color_scheme="gray",
            ),
        ),
        spacing="3",
        align="stretch",
        width="100%",
    )


def estimate_detail_page() -> rx.Component:
    return staff_frame(
        D,
        detail_layout(
            title=D.title,
            number=D.number,
            status=status_badge(D.status_label, D.status_color, size="2"),
            back=rx.link("← All estimates", href=routes.STAFF_ESTIMATES, size="2"),
            history=D.history_href,
            facts=[
                ("Account", rx.link(D.account_name, href=D.account_href)),
                ("Valid until", D.valid_until),
                ("Version", D.version),
                ("Total", D.total),
                ("Created", D.created),
                ("Shared", D.shared),
                ("Decided", D.decided),
            ],
            main=rx.vstack(
                _decision_card(),
                _lines_card(),
                record_tasks(D.tasks, title="Follow-up tasks", id="estimate-tasks"),
                record_reminders_card(D, record_word="this estimate"),
                _history_card(),
                _preview_card(),
                spacing="4",
                width="100%",
            ),
            aside=rx.card(_actions(), size="2", width="100%"),
        ),
        back=routes.STAFF_ESTIMATES,
        back_label="Back to estimates",
    )
