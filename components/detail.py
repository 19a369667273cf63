"""Page headers and the record detail layout.

A list page starts with ``page_header``; a record page is ``detail_layout``: title with number and status badge,
the facts (account, dates, amounts, owner), the main body (lines, timeline, thread) and an aside with the actions
in the order a person needs them, the dangerous one last. On a phone the facts come first, then the main body,
then the aside; from 768 px the facts and the aside sit in a column on the right.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx
from reflex.vars.base import Var

from components.ui import history_link


def page_header(
    title: Var[str] | str,
    purpose: Var[str] | str = "",
    action: rx.Component | None = None,
    **props: Any,
) -> rx.Component:
    """The page's h1, one line saying what the page is for, and its primary action on the right (wraps on phones)."""
    text: list[rx.Component] = [rx.heading(title, size="7", as_="h1")]
    if isinstance(purpose, Var) or purpose:
        text.append(rx.text(purpose, size="3", color_scheme="gray"))
    return rx.flex(
        rx.vstack(*text, spacing="1", align="start", min_width="0", flex="1 1 320px"),
        # Never wider than the page: a group of actions wraps inside it on a phone.
        *([rx.box(action, flex_shrink="0", max_width="100%")] if action is not None else []),
        justify="between",
        align="end",
        wrap="wrap",
        gap="16px",
        width="100%",
        margin_bottom=props.pop("margin_bottom", "24px"),
        **props,
    )


def facts_list(facts: Sequence[tuple[Any, Any]], **props: Any) -> rx.Component:
    """A definition list of ``(label, value)`` pairs; a value may be a Var, text or a component."""
    return rx.data_list.root(
        *(
            rx.data_list.item(
                rx.data_list.label(label, min_width="110px"),
                rx.data_list.value(value),
            )
            for label, value in facts
        ),
        orientation=props.pop("orientation", "horizontal"),
        size="2",
        **props,
    )


def detail_layout(
    *,
    title: Var[str] | str,
    number: Var[str] | str = "",
    status: rx.Component | None = None,
    facts: Sequence[tuple[Any, Any]] = (),
    main: rx.Component,
    aside: rx.Component | None = None,
    back: rx.Component | None = None,
    aside_label: str = "Actions",
    title_id: str = "",
    history: Var[str] | str | None = None,
    **props: Any,
) -> rx.Component:
    """A record page body: header (``back`` link above, h1 title, number beside it, status badge), facts, main
    body and aside (a region named ``aside_label``). ``title_id`` gives the h1 an id (for browser tests).
    ``history``: the record's audit log link at the end of the title line, shown when the var is not ""."""
    heading_line: list[rx.Component] = [
        rx.heading(title, size="7", as_="h1", **({"id": title_id} if title_id else {}))
    ]
    if isinstance(number, Var) or number:
        heading_line.append(
            rx.text(number, size="3", color_scheme="gray", font_variant_numeric="tabular-nums")
        )
    if status is not None:
        heading_line.append(status)
    if history is not None:
        heading_line.append(history_link(history, margin_left="auto"))
    header = rx.vstack(
        *([back] if back is not None else []),
        rx.flex(*heading_line, align="center", gap="12px", wrap="wrap"),
        spacing="2",
        align="start",
        width="100%",
    )
    areas: list[rx.Component] = []
    if facts:
        areas.append(rx.card(facts_list(facts), size="2", grid_area="facts", width="100%"))
    areas.append(rx.box(main, grid_area="main", min_width="0", width="100%"))
    if aside is not None:
        areas.append(rx.box(aside, grid_area="aside", width="100%", role="region", aria_label=aside_label))
    side = [name for name, present in (("facts", bool(facts)), ("aside", aside is not None)) if present]
    order = [name for name in ("facts", "main", "aside") if name == "main" or name in side]
    phone = " ".join(f'"{name}"' for name in order)
    if side:
        rows = [f'"main {name}"' for name in side]
        # The main body spans every row of the side column; the last row takes the remaining height.
        wide = " ".join(rows)
        wide_rows = " ".join(["auto"] * (len(side) - 1) + ["1fr"])
        columns = rx.breakpoints(initial="minmax(0, 1fr)", md="minmax(0, 1fr) 320px")
    else:
        wide, wide_rows = '"main"', "auto"
        columns = rx.breakpoints(initial="minmax(0, 1fr)")
    grid = rx.box(
        *areas,
        display="grid",
        grid_template_columns=columns,
        grid_template_areas=rx.breakpoints(initial=phone, md=wide),
        grid_template_rows=rx.breakpoints(initial="auto", md=wide_rows),
        gap="24px",
        align_items="start",
        width="100%",
    )
    return rx.vstack(header, grid, spacing="5", align="stretch", width="100%", **props)


def totals_list(*items: tuple[str, Any], **props: Any) -> rx.Component:
    """Amounts under a document's lines ("Subtotal", "Tax", "Total"…): ``(label, value)`` pairs, figures aligned."""
    return rx.data_list.root(
        *(rx.data_list.item(rx.data_list.label(k), rx.data_list.value(v)) for k, v in items),
        size="2",
        font_variant_numeric="tabular-nums",
        **props,
    )


def note_block(label: str, text: Any, *, quote: bool = False) -> rx.Component:
    """A labelled block of free text (a document's notes, a customer's comment), left out while it is empty."""
    body = rx.blockquote if quote else rx.text
    return rx.cond(
        text != "",
        rx.vstack(
            rx.text(label, size="2", weight="medium"),
            body(text, size="2", white_space="pre-wrap"),  # type: ignore[operator]
            spacing="1",
        ),
    )
