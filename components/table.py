"""Lists: the data table, its pager, its empty states, and the search box and filter selects above it.

Everything arrives as arguments: a page passes its state's display rows and handlers. A row renderer returns the
row's cells (a list, one per column) or a whole ``rx.table.row``. Given cells, the table aligns them by column
and, under 640 px, shows each row as a stacked card ("Column: value" lines); a whole row keeps the table, which
then scrolls sideways inside its card, never the page.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence
from typing import Any, Literal

import reflex as rx
from reflex.vars.base import Var

from components.detail import page_header
from components.form import field, field_label
from components.ui import visually_hidden

Align = Literal["left", "center", "right"]

# Under 640 px a stacking table shows one card per row: the header row is hidden, each cell is a line led by its
# column's name (``data-label``), the first cell is the card's title. Explicit ARIA roles on rows and cells keep
# the table semantics that ``display: block`` would otherwise remove in some browsers.
STACK_CLASS = "kit-stack-table"
_STACK_CSS = (
    "@media (max-width: 639px){"
    f".{STACK_CLASS} thead{{display:none}}"
    # Radix gives the table ``height: 0`` and each cell a min height (both harmless on a real table): as blocks they
    # would collapse the card to nothing and space every line 44 px apart, hence ``height: auto``.
    f".{STACK_CLASS} table,.{STACK_CLASS} tbody,.{STACK_CLASS} tr,.{STACK_CLASS} td"
    "{display:block;width:100%;height:auto}"
    # Radix wraps the table in a scroll area (flex column, 100 % high, an inner ``display: table`` div): as blocks
    # they keep whatever height they had, so a page narrowed from desktop width collapsed its cards to nothing.
    f".{STACK_CLASS} .rt-ScrollAreaRoot,.{STACK_CLASS} .rt-ScrollAreaViewport"
    "{display:block;height:auto}"
    # Radix sizes the scroll area's content to ``fit-content``, which as a block is as narrow as its longest line.
    f".{STACK_CLASS} .rt-ScrollAreaViewport>div{{display:block !important;min-width:0 !important;"
    "width:100% !important}"
    f".{STACK_CLASS} tr{{border-bottom:1px solid var(--gray-5);padding:10px 0}}"
    f".{STACK_CLASS} tr:last-child{{border-bottom:none}}"
    f".{STACK_CLASS} td{{box-shadow:none;padding:2px 12px;text-align:left !important}}"
    # Each further cell is one "Label … value" line: the label on the left, the value on the right.
    f".{STACK_CLASS} td:not([data-label='']):not(:first-child)"
    "{display:flex;justify-content:space-between;align-items:baseline;gap:12px}"
    f".{STACK_CLASS} td:not([data-label='']):not(:first-child)::before{{content:attr(data-label);"
    "color:var(--gray-11);font-weight:500;flex-shrink:0}"
    f".{STACK_CLASS} td:first-child{{font-weight:600}}"
    "}"
)


@dataclasses.dataclass(frozen=True)
class Column:
    """A column: its header, how its cells align (money is right-aligned), and whether the header is for screen
    readers only (a column of row actions)."""

    label: str
    align: Align = "left"
    hide_label: bool = False


ColumnSpec = str | tuple[str, Align] | Column


def _column(spec: ColumnSpec) -> Column:
    if isinstance(spec, Column):
        return spec
    if isinstance(spec, tuple):
        return Column(spec[0], spec[1])
    return Column(spec)


def _cell_props(column: Column) -> dict[str, Any]:
    props: dict[str, Any] = {"text_align": column.align}
    if column.align == "right":
        props["font_variant_numeric"] = "tabular-nums"
        props["white_space"] = "nowrap"
    return props


def data_table(
    columns: Sequence[ColumnSpec],
    rows: Any,
    render_row: Callable[[Any], rx.Component | Sequence[Any]],
    *,
    empty: rx.Component,
    caption: str,
    stack_on_phone: bool = True,
    **props: Any,
) -> rx.Component:
    """A Radix table of ``rows`` (the state's list of display rows, a Var), or ``empty`` when there are none.

    ``caption`` names the table for screen readers (visually hidden). ``render_row(row)`` returns the cells in
    column order (aligned per column; stacked cards on phones) or one ``rx.table.row``.
    """
    cols = [_column(c) for c in columns]

    def header_cell(col: Column) -> rx.Component:
        content = visually_hidden(col.label) if col.hide_label else col.label
        return rx.table.column_header_cell(content, **{"white_space": "nowrap", **_cell_props(col)})

    def row(item: Var[Any]) -> rx.Component:
        rendered = render_row(item)
        if isinstance(rendered, rx.Component):
            return rendered
        cells = list(rendered)
        if len(cells) != len(cols):
            raise ValueError(f"render_row gave {len(cells)} cells for {len(cols)} columns")
        return rx.table.row(
            *(
                rx.table.cell(
                    cell,
                    role="cell",
                    custom_attrs={"data-label": "" if col.hide_label else col.label},
                    **_cell_props(col),
                )
                for col, cell in zip(cols, cells, strict=True)
            ),
            role="row",
            align="center",
        )

    table = rx.table.root(
        rx.el.caption(visually_hidden(caption)),
        rx.table.header(rx.table.row(*(header_cell(c) for c in cols), role="row"), role="rowgroup"),
        rx.table.body(rx.foreach(rows, row), role="rowgroup"),
        variant=props.pop("variant", "surface"),
        size=props.pop("size", "2"),
        width="100%",
        class_name=STACK_CLASS if stack_on_phone else "",
        **props,
    )
    content = rx.fragment(rx.el.style(_STACK_CSS), table) if stack_on_phone else table
    # Radix's table root scrolls sideways inside itself: a wide table never widens the page.
    return rx.cond(
        Var.create(rows).to(list).length() > 0, rx.box(content, width="100%", max_width="100%"), empty
    )


def pager(
    label: Var[str] | str,
    has_prev: Var[bool] | bool,
    has_next: Var[bool] | bool,
    on_prev: Any,
    on_next: Any,
    **props: Any,
) -> rx.Component:
    """Previous/next buttons around "21-40 of 312"; the label is announced when it changes."""
    return rx.el.nav(
        rx.hstack(
            rx.button(
                rx.icon("chevron-left", size=14, aria_hidden="true"),
                "Previous",
                variant="soft",
                size="2",
                disabled=~Var.create(has_prev).bool(),
                on_click=on_prev,
                aria_label="Previous page",
            ),
            rx.text(
                label,
                size="2",
                color_scheme="gray",
                aria_live="polite",
                aria_atomic="true",
                font_variant_numeric="tabular-nums",
                white_space="nowrap",
            ),
            rx.button(
                "Next",
                rx.icon("chevron-right", size=14, aria_hidden="true"),
                variant="soft",
                size="2",
                disabled=~Var.create(has_next).bool(),
                on_click=on_next,
                aria_label="Next page",
            ),
            spacing="3",
            align="center",
            justify="center",
            width="100%",
        ),
        aria_label=props.pop("aria_label", "Pagination"),
        width="100%",
        **props,
    )


def empty_state(
    title: Var[str] | str,
    body: Var[str] | str = "",
    action: rx.Component | None = None,
    *,
    icon: str = "inbox",
) -> rx.Component:
    """What an empty list is for and the first thing to do ("No estimates yet." / "Create one for an account.")."""
    return rx.center(
        rx.vstack(
            rx.icon(icon, size=28, color=rx.color("gray", 9), aria_hidden="true"),
            rx.text(title, size="3", weight="bold"),
            *([rx.text(body, size="2", color_scheme="gray")] if isinstance(body, Var) or body else []),
            *([action] if action is not None else []),
            spacing="2",
            align="center",
            text_align="center",
            max_width="440px",
        ),
        padding_y="40px",
        width="100%",
        class_name="empty-state",
    )


def filtered_empty(on_clear: Any, *, title: str = "No matches.") -> rx.Component:
    """The list is empty only because of the search or filters: say so, and offer to clear them."""
    return empty_state(
        title,
        "Nothing matches the search and filters.",
        rx.button("Clear filters", variant="soft", on_click=on_clear),
        icon="search-x",
    )


def search_box(
    value: Var[str] | str,
    on_submit: Any,
    label: str = "Search",
    *,
    control_id: str = "search",
    name: str = "search",
    placeholder: str = "",
    **props: Any,
) -> rx.Component:
    """A labelled search field in a form (``role=search``); submitting calls ``on_submit(form_data)`` with
    ``form_data[name]``. The field shows ``value`` and follows it when the state changes it (clear filters)."""
    return rx.form(
        rx.vstack(
            field_label(label, html_for=control_id),
            rx.hstack(
                rx.input(
                    id=control_id,
                    name=name,
                    type="search",
                    default_value=value,
                    # A new key when the state's value changes remounts the (uncontrolled) input with it.
                    key=Var.create(value).to(str),
                    placeholder=placeholder,
                    max_length=200,
                    width="100%",
                ),
                rx.button(
                    rx.icon("search", size=14, aria_hidden="true"), "Search", type="submit", variant="soft"
                ),
                spacing="2",
                width="100%",
            ),
            spacing="1",
            width="100%",
        ),
        on_submit=on_submit,
        role="search",
        width=props.pop("width", "100%"),
        max_width=props.pop("max_width", "420px"),
        **props,
    )


def filter_select(
    label: str,
    value: Var[str] | str,
    options: Sequence[tuple[str, str]],
    on_change: Any,
    control_id: str,
    **props: Any,
) -> rx.Component:
    """A select with a visible label above it; ``on_change(value)`` gets the chosen option's value.

    Option values must be non-empty (Radix reserves ""): use e.g. ``("all", "All statuses")`` for no filter.
    """
    if any(v == "" for v, _ in options):
        raise ValueError("filter_select option values must not be empty")
    return field(
        label,
        rx.select.root(
            rx.select.trigger(id=control_id, min_width="180px"),
            rx.select.content(*(rx.select.item(text, value=v) for v, text in options)),
            value=value,
            on_change=on_change,
        ),
        control_id=control_id,
        width=props.pop("width", "auto"),
        **props,
    )


def paged_list(
    title: str,
    purpose: Var[str] | str,
    table: rx.Component,
    *,
    more: Var[bool] | bool,
    page_label: Var[str] | str,
    has_prev: Var[bool] | bool,
    has_next: Var[bool] | bool,
    on_prev: Any,
    on_next: Any,
) -> rx.Component:
    """A plain list page: the header, then the table in a card with the pager under it while ``more`` (the list
    runs past one page)."""
    return rx.vstack(
        page_header(title, purpose),
        rx.card(table, rx.cond(more, pager(page_label, has_prev, has_next, on_prev, on_next)), width="100%"),
        spacing="4",
        width="100%",
    )
