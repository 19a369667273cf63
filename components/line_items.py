"""Line items in a form (an estimate's, an invoice's): one fieldset per line, the add button and the totals card.

The rows are ``state.line_items.LineDraft`` display rows (key, description, quantity, unit_price, tax_rate,
unit_cost, net and a ``<field>_error`` for each field). Each control is named and id'd ``line-<key>-<field>``, the
name ``LineItemsMixin._take_lines`` reads on submit. The handlers come in as arguments (components import no
state)::

    line_rows(F.lines, set_line=F.set_line, remove_line=F.remove_line)
    add_line_button(F.add_line)
    line_totals(F.subtotal, F.tax, F.total, F.cost, F.totals_note, id="estimate-totals")
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import reflex as rx

from components.form import control_props, field
from components.table import Column, data_table


def _line_input(
    line: Any, name: str, label: str, set_line: Callable[..., Any], *, hint: str = "", **props: Any
) -> rx.Component:
    control_id = "line-" + line.key + "-" + name
    error = getattr(line, f"{name}_error")
    return field(
        label,
        rx.input(
            name=control_id,
            default_value=getattr(line, name),
            on_blur=lambda value: set_line(line.key, name, value),
            **control_props(control_id, error),
            **props,
        ),
        control_id=control_id,
        hint=hint,
        error=error,
        min_width="0",
    )


def _line(
    line: Any,
    index: Any,
    lines: Any,
    set_line: Callable[..., Any],
    remove_line: Callable[..., Any],
    with_cost: bool = True,
) -> rx.Component:
    number = (index + 1).to_string()
    cost = (
        [
            _line_input(
                line, "unit_cost", "Unit cost (internal)", set_line, input_mode="decimal", max_length=30
            )
        ]
        if with_cost
        else []
    )
    return rx.el.fieldset(
        rx.el.legend(rx.text("Line ", number, size="2", weight="bold"), padding_x="4px"),
        rx.vstack(
            _line_input(line, "description", "Description", set_line, max_length=500),
            rx.grid(
                _line_input(line, "quantity", "Quantity", set_line, input_mode="numeric", max_length=20),
                _line_input(line, "unit_price", "Unit price", set_line, input_mode="decimal", max_length=30),
                _line_input(line, "tax_rate", "Tax rate (%)", set_line, input_mode="decimal", max_length=10),
                *cost,
                columns=rx.breakpoints(initial="2", sm="4" if with_cost else "3"),
                gap="12px",
                width="100%",
            ),
            rx.flex(
                rx.text(
                    rx.cond(
                        line.net != "", "Line total before tax: " + line.net, "Line total: not yet known"
                    ),
                    size="2",
                    color_scheme="gray",
                    font_variant_numeric="tabular-nums",
                ),
                rx.cond(
                    lines.length() > 1,
                    rx.button(
                        rx.icon("trash-2", size=14, aria_hidden="true"),
                        "Remove line",
                        type="button",
                        variant="ghost",
                        color_scheme="red",
                        size="1",
                        aria_label="Remove line " + number,
                        on_click=remove_line(line.key),
                    ),
                ),
                justify="between",
                align="center",
                wrap="wrap",
                gap="8px",
                width="100%",
            ),
            spacing="3",
            width="100%",
        ),
        key=line.key,
        border=f"1px solid {rx.color('gray', 6)}",
        border_radius="8px",
        padding="12px 16px 16px",
        margin="0",
        min_width="0",
        width="100%",
    )


def line_rows(
    lines: Any, *, set_line: Callable[..., Any], remove_line: Callable[..., Any], with_cost: bool = True
) -> rx.Component:
    """Every line as a fieldset: ``set_line(key, field, text)`` on leaving a field, ``remove_line(key)`` (shown
    while there is more than one line). ``with_cost=False`` leaves out the internal unit cost (invoices)."""
    return rx.foreach(lines, lambda line, index: _line(line, index, lines, set_line, remove_line, with_cost))


def add_line_button(on_click: Any) -> rx.Component:
    return rx.button(
        rx.icon("plus", size=14, aria_hidden="true"),
        "Add line",
        type="button",
        variant="soft",
        on_click=on_click,
    )


def line_totals(
    subtotal: Any,
    tax: Any,
    total: Any,
    cost: Any,
    note: Any,
    *,
    id: str,
    explanation: str = "Computed on the server as you leave each field; the customer never sees the cost.",
    with_cost: bool = True,
) -> rx.Component:
    """The totals card, announced as it changes; ``note`` says which lines are left out and why ("" for none).
    ``with_cost=False`` leaves out the internal cost (invoices)."""
    cost_item = (
        [rx.data_list.item(rx.data_list.label("Internal cost"), rx.data_list.value(cost))]
        if with_cost
        else []
    )
    return rx.card(
        rx.vstack(
            rx.heading("Totals", size="3", as_="h2"),
            rx.data_list.root(
                rx.data_list.item(rx.data_list.label("Subtotal"), rx.data_list.value(subtotal)),
                rx.data_list.item(rx.data_list.label("Tax"), rx.data_list.value(tax)),
                rx.data_list.item(
                    rx.data_list.label("Total"), rx.data_list.value(rx.text(total, weight="bold"))
                ),
                *cost_item,
                size="2",
                font_variant_numeric="tabular-nums",
                id=id,
            ),
            rx.cond(note != "", rx.text(note, size="1", color_scheme="gray")),
            rx.text(explanation, size="1", color_scheme="gray"),
            spacing="2",
            aria_live="polite",
        ),
        width="100%",
    )


def lines_table(lines: Any, *, caption: str, **props: Any) -> rx.Component:
    """A document's saved lines, read only (an invoice's, an estimate's as the customer sees it): rows with
    ``description``, ``quantity``, ``unit_price``, ``tax_rate`` and ``net`` display strings, figures right-aligned."""

    def figure(value: Any) -> rx.Component:
        return rx.text(value, size="2", font_variant_numeric="tabular-nums", white_space="nowrap")

    return data_table(
        [
            "Description",
            Column("Qty", "right"),
            Column("Unit price", "right"),
            Column("Tax", "right"),
            Column("Net", "right"),
        ],
        lines,
        lambda ln: [
            rx.text(ln.description, size="2"),
            figure(ln.quantity),
            figure(ln.unit_price),
            figure(ln.tax_rate),
            figure(ln.net),
        ],
        caption=caption,
        empty=rx.text("No lines.", size="2"),
        **props,
    )
