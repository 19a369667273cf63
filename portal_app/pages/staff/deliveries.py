"""Staff deliveries: the list (``/app/deliveries``, problems and delays marked, exceptions first on request) and
the form for a new delivery (``/app/deliveries/new``); one delivery is ``delivery.py``."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.deliveries import delivery_badge
from components.detail import page_header
from components.form import READABLE_PLACEHOLDER, control_field, control_props, field, submit_button
from components.table import data_table, empty_state, filter_select, filtered_empty, pager, search_box
from components.tasks import choice_filter
from components.ui import link_button
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from portal_app.statuses import status_options
from state.deliveries import DeliveriesListState
from state.delivery_form import DeliveryFormState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
L: Any = DeliveriesListState
F: Any = DeliveryFormState

TITLE = "Deliveries — Customer Portal"
DESCRIPTION = "Your workspace's deliveries: status, carrier and expected date; problems and delays first."
NEW_HREF = f"{routes.STAFF_DELIVERIES}/{routes.NEW}"


def _new_button(**props: Any) -> rx.Component:
    return link_button(rx.icon("plus", size=16, aria_hidden="true"), "New delivery", href=NEW_HREF, **props)


# -- list ------------------------------------------------------------------------------------------------------


def _row_cells(row: Any) -> list[Any]:
    return [
        rx.vstack(
            rx.link(row.reference, href=row.href, weight="medium", class_name="delivery-link"),
            rx.cond(~row.shared, rx.text("Not shared", size="1", color_scheme="gray")),
            spacing="0",
        ),
        rx.text(row.account, size="2"),
        delivery_badge(row.status_label, row.status_color, row.status_icon),
        rx.text(row.carrier, size="2"),
        rx.text(
            row.eta,
            size="2",
            white_space="nowrap",
            color_scheme=rx.cond(row.status_icon == "clock-alert", "amber", "gray"),
            weight=rx.cond(row.status_icon == "clock-alert", "medium", "regular"),
        ),
        rx.text(row.updated, size="2", white_space="nowrap", title=row.updated_exact),
    ]


def _filters() -> rx.Component:
    return rx.flex(
        search_box(
            L.search,
            L.apply_search,
            "Search deliveries",
            placeholder="Reference or tracking number",
            control_id="delivery-search",
        ),
        filter_select(
            "Status",
            L.filter_values["status"],
            [("all", "All statuses"), ("exceptions", "Problems and delays"), *status_options("delivery")],
            lambda v: L.set_filter("status", v),
            "delivery-filter-status",
        ),
        choice_filter(
            "Account",
            L.filter_values["account"],
            L.account_choices,
            lambda v: L.set_filter("account", v),
            "delivery-filter-account",
            all_label="All accounts",
        ),
        filter_select(
            "Order",
            L.filter_values["order"],
            [("recent", "Recently updated"), ("exceptions", "Exceptions first")],
            lambda v: L.set_filter("order", v),
            "delivery-filter-order",
        ),
        rx.cond(L.filtered, rx.button("Clear filters", variant="ghost", on_click=L.clear_filters)),
        gap="16px",
        wrap="wrap",
        align="end",
        width="100%",
    )


def deliveries_page() -> rx.Component:
    return staff_frame(
        L,
        rx.vstack(
            page_header(
                "Deliveries",
                "Delivery status and timelines you share with customers. Problems and delays are marked.",
                rx.cond(L.can_manage, _new_button(size="3")),
                margin_bottom="0",
            ),
            _filters(),
            data_table(
                ["Reference", "Account", "Status", "Carrier", "Expected", "Updated"],
                L.rows,
                _row_cells,
                caption="Deliveries",
                empty=rx.cond(
                    L.filtered,
                    filtered_empty(L.clear_filters, title="No delivery matches."),
                    empty_state(
                        "No deliveries yet.",
                        "Create one for an account, then share it so its contacts can follow it.",
                        rx.cond(L.can_manage, _new_button()),
                        icon="truck",
                    ),
                ),
                id="deliveries-table",
            ),
            pager(L.page_label, L.has_prev, L.has_next, L.prev_page, L.next_page),
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_DELIVERIES,
        back_label="Back to deliveries",
    )


# -- new -------------------------------------------------------------------------------------------------------


def _input(label: str, name: str, *, hint: str = "", required: bool = False, **control: Any) -> rx.Component:
    widget = control.pop("widget", rx.input)
    return control_field(
        label,
        widget,
        control_id=f"delivery-{name.replace('_', '-')}",
        error=F.errors[name],
        hint=hint,
        required=required,
        name=name,
        default_value=F.values[name],
        **control,
    )


def _account_field() -> rx.Component:
    return field(
        "Account",
        rx.select.root(
            rx.select.trigger(
                placeholder="Choose an account",
                width="100%",
                class_name=READABLE_PLACEHOLDER,
                **control_props("delivery-account", F.errors["account_id"]),
            ),
            rx.select.content(rx.foreach(F.account_choices, lambda a: rx.select.item(a.label, value=a.id))),
            value=F.account_id,
            on_change=F.choose_account,
            name="account_id",
        ),
        control_id="delivery-account",
        required=True,
        error=F.errors["account_id"],
    )


def delivery_form_page() -> rx.Component:
    form = rx.form(
        rx.vstack(
            _account_field(),
            _input(
                "Reference", "reference", required=True, hint="Your order or delivery number.", max_length=64
            ),
            _input(
                "Description",
                "description",
                hint="What is being delivered. Contacts see this once you share the delivery.",
                widget=rx.text_area,
                rows="3",
                max_length=1000,
            ),
            _input("Carrier", "carrier", hint="Optional: who carries it.", max_length=100),
            _input(
                "Tracking reference", "tracking_ref", hint="Optional: the carrier's number.", max_length=100
            ),
            _input(
                "Expected delivery date",
                "expected_on",
                hint="Optional. Past this date an open delivery shows as delayed.",
                type="date",
                min=F.today,
                max_width="220px",
            ),
            _input(
                "Internal notes",
                "internal_notes",
                hint="Only your team sees these.",
                widget=rx.text_area,
                rows="3",
                max_length=4000,
            ),
            rx.flex(
                submit_button("Create delivery", loading=F.submitting),
                link_button(
                    "Cancel", href=routes.STAFF_DELIVERIES, variant="soft", color_scheme="gray", size="3"
                ),
                gap="12px",
                wrap="wrap",
            ),
            spacing="4",
            width="100%",
        ),
        on_submit=F.submit,
        width="100%",
        max_width="640px",
    )
    return staff_frame(
        F,
        rx.vstack(
            page_header(
                "New delivery",
                "It starts as scheduled and stays with your team until you share it.",
                margin_bottom="0",
            ),
            form,
            spacing="4",
            width="100%",
        ),
        back=routes.STAFF_DELIVERIES,
        back_label="Back to deliveries",
    )
