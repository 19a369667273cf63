"""One delivery for staff (``/app/deliveries/[id]``): its facts, the timeline newest first (internal updates
marked), "Add update" (status, note, carrier, tracking reference, expected date, internal only), share or stop
sharing, and its follow-up tasks."""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.deliveries import delivery_badge, delivery_timeline
from components.detail import detail_layout, note_block
from components.dialog import confirm_dialog
from components.form import control_field, control_props, field, submit_button
from components.tasks import record_tasks
from components.ui import section_card
from portal_app import routes
from portal_app.pages.staff.frame import staff_frame
from state.deliveries import DeliveryDetailState

# Typed as Any: the class attributes are Vars in the page, which mypy cannot see.
D: Any = DeliveryDetailState

TITLE = "Delivery — Customer Portal"
DESCRIPTION = (
    "One delivery: its status, timeline and follow-ups; add an update or share it with the customer."
)


def _err(name: str) -> Any:
    return D.errors[name]


def _update_form() -> rx.Component:
    return rx.form(
        rx.vstack(
            field(
                "Status",
                rx.select.root(
                    rx.select.trigger(width="100%", **control_props("update-status", _err("status"), True)),
                    rx.select.content(
                        rx.foreach(D.next_statuses, lambda s: rx.select.item(s.label, value=s.value))
                    ),
                    default_value=D.current_status,
                    name="status",
                ),
                control_id="update-status",
                hint="Only the statuses this delivery can move to now.",
                error=_err("status"),
            ),
            control_field(
                "Note",
                rx.text_area,
                control_id="update-note",
                error=_err("note"),
                hint="What happened, in words the customer understands.",
                name="note",
                rows="3",
                max_length=1000,
            ),
            control_field(
                "Carrier",
                rx.input,
                control_id="update-carrier",
                error=_err("carrier"),
                name="carrier",
                default_value=D.carrier,
                max_length=100,
            ),
            control_field(
                "Tracking reference",
                rx.input,
                control_id="update-tracking",
                error=_err("tracking_ref"),
                name="tracking_ref",
                default_value=D.tracking_ref,
                max_length=100,
            ),
            control_field(
                "Expected delivery date",
                rx.input,
                control_id="update-eta",
                error=_err("expected_on"),
                hint="Change it to give the customer a new date; empty it to remove the date.",
                name="expected_on",
                type="date",
                default_value=D.eta_value,
            ),
            rx.text(
                rx.checkbox(name="internal", id="update-internal"),
                " Internal only: contacts never see this update",
                as_="label",
                size="2",
                display="flex",
                gap="8px",
                align_items="center",
                custom_attrs={"htmlFor": "update-internal"},
            ),
            submit_button("Add update", loading=D.submitting, size="2", width="100%"),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        on_submit=D.add_update,
        key=D.form_version.to_string(),
        width="100%",
    )


def _share_action() -> rx.Component:
    return rx.cond(
        D.shared,
        confirm_dialog(
            "Stop sharing",
            title="Stop sharing " + D.reference + "?",
            description="Its contacts no longer see this delivery or its timeline in the portal.",
            confirm_label="Stop sharing",
            on_confirm=D.unshare,
            icon="eye-off",
            color_scheme="gray",
            trigger_size="2",
            width="100%",
        ),
        confirm_dialog(
            "Share with " + D.account_name,
            title="Share " + D.reference + " with " + D.account_name + "?",
            description="Its contacts with operations access see the status, the expected date and every update "
            "that is not internal, and get an email.",
            confirm_label="Share " + D.reference,
            on_confirm=D.share,
            icon="share-2",
            color_scheme="blue",
            trigger_variant="solid",
            trigger_size="2",
            width="100%",
        ),
    )


def _aside() -> rx.Component:
    return rx.card(
        rx.vstack(
            rx.heading("Add update", size="3", as_="h2"),
            rx.cond(
                D.closed,
                rx.text(
                    "This delivery is " + D.status_label.lower() + ": its timeline is closed.",
                    size="2",
                    color_scheme="gray",
                ),
                _update_form(),
            ),
            rx.divider(),
            rx.heading("Sharing", size="3", as_="h2"),
            rx.text(
                rx.cond(
                    D.shared, "Shared with " + D.account_name + ".", "Not shared: contacts do not see it."
                ),
                size="2",
            ),
            _share_action(),
            spacing="3",
            align="stretch",
            width="100%",
        ),
        size="2",
        width="100%",
    )


def delivery_detail_page() -> rx.Component:
    return staff_frame(
        D,
        detail_layout(
            title=D.reference,
            status=delivery_badge(D.status_label, D.status_color, D.status_icon, size="2"),
            back=rx.link("← All deliveries", href=routes.STAFF_DELIVERIES, size="2"),
            history=D.history_href,
            facts=[
                ("Account", rx.link(D.account_name, href=D.account_href)),
                ("Carrier", rx.cond(D.carrier != "", D.carrier, "—")),
                ("Tracking", rx.cond(D.tracking_ref != "", D.tracking_ref, "—")),
                ("Expected", D.eta),
                ("Shared", rx.cond(D.shared, "Yes", "No")),
                ("Updated", D.updated),
            ],
            main=rx.vstack(
                rx.cond(
                    (D.description != "") | (D.internal_notes != ""),
                    section_card(
                        "About this delivery",
                        note_block("Description", D.description),
                        note_block("Internal notes (your team only)", D.internal_notes),
                    ),
                ),
                section_card(
                    "Timeline",
                    delivery_timeline(D.events, staff=True),
                    description="Newest first. Internal updates are marked; contacts never see them.",
                    id="delivery-timeline",
                ),
                record_tasks(
                    D.tasks,
                    title="Follow-up tasks",
                    empty="No follow-up tasks for this delivery.",
                    id="delivery-tasks",
                ),
                spacing="4",
                width="100%",
            ),
            aside=rx.cond(D.can_manage, _aside()),
            aside_label="Update and share",
        ),
        back=routes.STAFF_DELIVERIES,
        back_label="Back to deliveries",
    )
