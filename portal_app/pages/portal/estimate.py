"""Customer portal: one estimate (``/portal/estimates/[id]``): lines, totals, terms, what changed, and the decision."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.badges import status_badge
from components.decision import decision_panel, note_form
from components.detail import detail_layout
from components.form import control_field, control_props, field_error, submit_button
from components.table import data_table
from components.thread import record_thread
from components.ui import download_button, section_card
from portal_app import routes
from portal_app.pages.portal.frame import back_link, portal_page
from state.portal_estimates import ChangeRow, PortalEstimateState

S = PortalEstimateState

TITLE = "Estimate — Customer portal"
DESCRIPTION = "An estimate shared with your account: its lines, totals and terms, and your answer."


def _line(row: Any) -> list[rx.Component]:
    return [
        rx.text(row.description),
        rx.text(row.quantity),
        rx.text(row.unit_price),
        rx.text(row.tax),
        rx.text(row.total),
    ]


def _sum_line(label: str, value: rx.Var, *, strong: bool = False) -> rx.Component:
    return rx.hstack(
        rx.text(label, size="2", weight="bold" if strong else "regular"),
        rx.text(value, size="3" if strong else "2", weight="bold" if strong else "regular"),
        justify="between",
        width="100%",
        font_variant_numeric="tabular-nums",
    )


def _change(row: ChangeRow) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.hstack(
                status_badge(row.change, row.color),
                rx.text(row.description, size="2", weight="medium"),
                spacing="2",
                align="center",
                wrap="wrap",
            ),
            rx.cond(row.before != "", rx.text("Before: ", row.before, size="2", color_scheme="gray")),
            rx.cond(row.after != "", rx.text("Now: ", row.after, size="2")),
            spacing="1",
            align="start",
        ),
        padding_y="8px",
        list_style="none",
    )


def _changes() -> rx.Component:
    return rx.cond(
        S.previous_version > 0,
        section_card(
            "What changed",
            rx.text(
                "Compared with version ",
                S.previous_version.to_string(),
                ", shared before this one.",
                size="2",
            ),
            rx.cond(
                S.changes.length() > 0,
                rx.el.ul(rx.foreach(S.changes, _change), margin="0", padding="0"),
                rx.text("The lines are the same as before.", size="2"),
            ),
            rx.text("Total before: ", S.previous_total, " · now: ", S.total, size="2"),
            rx.cond(S.notes_changed, rx.text("The terms changed too: please read them again.", size="2")),
            id="changes",
        ),
    )


def _main() -> rx.Component:
    return rx.vstack(
        _changes(),
        section_card(
            "Lines",
            data_table(
                [
                    "Description",
                    ("Qty", "right"),
                    ("Unit price", "right"),
                    ("Tax", "right"),
                    ("Amount", "right"),
                ],
                S.lines,
                _line,
                caption="Estimate lines",
                empty=rx.text("No lines.", size="2"),
            ),
            rx.vstack(
                _sum_line("Subtotal", S.subtotal),
                _sum_line("Tax", S.tax),
                _sum_line("Total", S.total, strong=True),
                spacing="1",
                width="100%",
                max_width="320px",
                align_self="end",
            ),
        ),
        rx.cond(
            S.terms != "",
            section_card("Terms", rx.text(S.terms, size="2", white_space="pre-wrap"), id="terms"),
        ),
        record_thread(S, noun="estimate"),
        spacing="5",
        width="100%",
    )


def _note_form(decision: str, label: str, hint: str, button: str, color: str) -> rx.Component:
    return note_form(decision, label, hint, button, color, errors=S.errors, on_submit=S.decide)


def _approve_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            rx.el.input(type="hidden", name="decision", value="approve"),
            control_field(
                "Your full name",
                rx.input,
                control_id="signature",
                error=S.errors["signature"],
                hint="Typing your name signs this approval.",
                required=True,
                name="signature",
                max_length=200,
            ),
            rx.vstack(
                rx.hstack(
                    rx.el.input(
                        type="checkbox",
                        name="accept_terms",
                        width="18px",
                        height="18px",
                        margin_top="2px",
                        flex_shrink="0",
                        **control_props("accept-terms", S.errors["accept_terms"]),
                    ),
                    rx.text(
                        rx.cond(
                            S.terms != "",
                            "I accept the terms of this estimate",
                            "I accept this estimate as shown",
                        ),
                        as_="label",
                        size="2",
                        custom_attrs={"htmlFor": "accept-terms"},
                    ),
                    spacing="2",
                    align="start",
                ),
                field_error(S.errors["accept_terms"], control_id="accept-terms"),
                spacing="1",
            ),
            submit_button("Approve " + S.number, color_scheme="green", width="100%"),  # type: ignore[arg-type]
            spacing="3",
            width="100%",
        ),
        on_submit=S.decide,
        width="100%",
    )


def _decision() -> rx.Component:
    request_changes = _note_form(
        "request_changes",
        "What should change?",
        "The team reads this and shares a new version.",
        "Send change request",
        "amber",
    )
    decline = _note_form(
        "decline",
        "Why are you declining?",
        "The team is told; this version can no longer be approved.",
        "Decline estimate",
        "red",
    )
    return decision_panel(
        S.open_for_decision,
        [
            ("Approve", "approve", _approve_form()),
            ("Request changes", "request_changes", request_changes),
            ("Decline", "decline", decline),
        ],
        error=S.errors["decision"],
        closed_reason=S.closed_reason,
        decision_note=S.decision_note,
        intro=rx.text("Version ", S.version.to_string(), " is waiting for your decision.", size="2"),
    )


def _page() -> rx.Component:
    return detail_layout(
        title=S.title,
        number=S.number,
        status=status_badge(S.status, S.color),
        back=back_link("All estimates", routes.PORTAL_ESTIMATES),
        facts=[
            ("Total", rx.text(S.total, weight="bold")),
            ("Valid until", rx.cond(S.valid_until != "", S.valid_until, "No end date")),
            ("Version", S.version.to_string()),
            ("Shared", S.shared_on),
            (
                "Document",
                download_button("Download PDF", S.pdf_href, icon="file-down", size="1", id="estimate-pdf"),
            ),
        ],
        main=_main(),
        aside=_decision(),
        aside_label="Your answer",
    )


def portal_estimate() -> rx.Component:
    return portal_page(S, _page())
