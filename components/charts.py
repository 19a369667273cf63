"""Charts for trends that read better as a picture (``rx.recharts``), each with its heading and its numbers in
words: a one-line summary under the chart and a "Show the numbers" table, so a screen reader (and anyone who
prefers numbers) gets the same figures.

Charts fill their container's width (Reflex wraps every chart in a responsive container), so they fit a 390 px
phone; bars take colours from the theme's palette at the step (11) that keeps the legend's text readable.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import reflex as rx

CHART_HEIGHT = 240


def bar_chart(
    data: Any,
    *,
    x_key: str,
    bars: Sequence[tuple[str, str, str]],
    stacked: bool = True,
    height: int = CHART_HEIGHT,
) -> rx.Component:
    """A bar chart of ``data`` (rows of dicts): ``bars`` are (data key, legend name, palette colour)."""
    return rx.recharts.bar_chart(
        rx.recharts.cartesian_grid(stroke_dasharray="3 3", vertical=False),
        rx.recharts.x_axis(data_key=x_key, tick_line=False, font_size=12, interval="preserveStartEnd"),
        rx.recharts.y_axis(allow_decimals=False, width=48, font_size=12),
        rx.recharts.graphing_tooltip(),
        *([rx.recharts.legend(icon_size=10, wrapper_style={"fontSize": "12px"})] if len(bars) > 1 else []),
        *(
            rx.recharts.bar(
                data_key=key,
                name=name,
                fill=rx.color(color, 11),  # type: ignore[arg-type]  # step 11: the legend's text stays readable
                **({"stack_id": "stack"} if stacked else {}),
                is_animation_active=False,
            )
            for key, name, color in bars
        ),
        data=data,
        width="100%",
        height=height,
        margin={"top": 8, "right": 8, "left": 0, "bottom": 0},
    )


def chart_panel(
    title: str,
    chart: rx.Component,
    *,
    summary: Any,
    numbers: rx.Component,
    id: str,
    note: Any = None,
) -> rx.Component:
    """A titled chart (an h3) in a card with ``id``: the chart, its summary sentence and its numbers."""
    heading_id = f"{id}-title"
    return rx.card(
        rx.el.figure(
            rx.vstack(
                rx.heading(title, size="3", as_="h3", id=heading_id),
                *([rx.text(note, size="1", color_scheme="gray")] if note is not None else []),
                rx.box(chart, width="100%", height=f"{CHART_HEIGHT}px", min_width="0"),
                rx.el.figcaption(rx.text(summary, size="1", color_scheme="gray", high_contrast=True)),
                rx.el.details(
                    rx.el.summary(
                        rx.text("Show the numbers", size="2", as_="span"),
                        cursor="pointer",
                        color=rx.color("accent", 11),
                    ),
                    rx.box(numbers, padding_top="8px"),
                    width="100%",
                ),
                spacing="3",
                align="start",
                width="100%",
            ),
            aria_labelledby=heading_id,
            margin="0",
            width="100%",
        ),
        id=id,
        width="100%",
        min_width="0",
    )
