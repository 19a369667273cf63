"""Reminder page parts: the schedule and today's reminders on ``/app/settings``, an account's pause, and the
"Reminders" card of an estimate, an invoice or a document request.

Each function takes the page's state class (``S``/``D``) and reads the vars of the matching mixin in
``state/reminders.py`` (``ReminderSettingsMixin``, ``AccountRemindersMixin``, ``RecordRemindersMixin``). No
state, services or database are imported here.
"""

from __future__ import annotations

from typing import Any

import reflex as rx

from components.dialog import confirm_dialog
from components.form import control_props, field, field_error, hint_id, submit_button
from components.table import data_table
from components.toggle import switch_row
from components.ui import empty_text, section_card

PAUSE_HINT = "Your team reads it wherever the pause shows, e.g. “On a payment plan until June”."


# -- settings ----------------------------------------------------------------------------------------------------


def _summary(S: Any) -> rx.Component:
    return rx.el.ul(
        rx.foreach(S.reminder_summary, lambda line: rx.el.li(rx.text(line, size="2"))),
        id="reminder-summary",
        margin="0",
        padding_left="20px",
        list_style="disc",
        display="flex",
        flex_direction="column",
        gap="4px",
    )


def _days_input(S: Any, name: str, label: str, hint: str) -> rx.Component:
    control_id = f"reminder-{name.replace('_', '-')}"
    error = S.reminder_errors[name]
    return field(
        label,
        rx.input(
            name=name,
            default_value=S.reminder_values[name],
            input_mode="numeric",
            max_length=6,
            width="120px",
            **control_props(control_id, error, True),
        ),
        control_id=control_id,
        hint=hint,
        error=error,
    )


def _check(S: Any, name: str, label: str) -> rx.Component:
    control_id = f"reminder-{name.replace('_', '-')}"
    return rx.text(
        rx.checkbox(
            name=name,
            id=control_id,
            default_checked=S.reminder_values[name] == "on",
        ),
        " " + label,
        as_="label",
        size="2",
        display="flex",
        gap="8px",
        align_items="center",
        custom_attrs={"htmlFor": control_id},
    )


def _group(legend: str, *children: rx.Component) -> rx.Component:
    """A fieldset: its legend names the group for screen readers and for ``get_by_role("group", name=…)``."""
    return rx.el.fieldset(
        rx.el.legend(rx.text(legend, size="3", weight="bold"), padding="0 4px"),
        rx.vstack(*children, spacing="3", align="stretch", width="100%"),
        border=f"1px solid {rx.color('gray', 5)}",
        border_radius="8px",
        padding="12px 16px 16px",
        margin="0",
        min_width="0",
    )


def _schedule_form(S: Any) -> rx.Component:
    off = "From 1 to 60. Empty: this reminder is off."
    return rx.form(
        rx.vstack(
            _group(
                "Document requests",
                _days_input(S, "documents_before_days", "Days before the due date", off),
                _check(S, "documents_on_due", "On the due date"),
                _days_input(S, "documents_every_days", "Days between reminders while overdue", off),
            ),
            _group(
                "Estimates",
                _days_input(S, "estimates_before_days", "Days before it expires", off),
            ),
            _group(
                "Invoices",
                _check(S, "invoices_on_due", "On the due date"),
                _days_input(S, "invoices_every_days", "Days between reminders while overdue", off),
            ),
            _days_input(
                S,
                "max_per_record",
                "Most reminders about any one record",
                "From 1 to 20. After that, reminders about the record stop.",
            ),
            field_error(S.reminder_errors["schedule"], control_id="reminder-schedule"),
            submit_button("Save reminder schedule", size="2"),
            spacing="4",
            align="stretch",
            width="100%",
        ),
        on_submit=S.save_reminder_schedule,
        reset_on_submit=False,
        key=S.reminder_form_version.to_string(),
        id="reminder-schedule-form",
        width="100%",
    )


def _time_zone(S: Any) -> rx.Component:
    return field(
        "Time zone",
        rx.select.root(
            rx.select.trigger(
                id="reminder-time-zone",
                max_width="100%",
                min_width="220px",
                aria_describedby=hint_id("reminder-time-zone"),
            ),
            rx.select.content(rx.foreach(S.time_zones, lambda tz: rx.select.item(tz, value=tz))),
            value=S.time_zone,
            on_change=S.set_time_zone,
            disabled=~S.can_manage_reminders,
            size="2",
        ),
        control_id="reminder-time-zone",
        hint="Decides which day is “the due date” for your workspace.",
        max_width="320px",
    )


def reminder_schedule_panel(S: Any) -> rx.Component:
    """On/off, the schedule in words, the form (owners and managers) and the time zone."""
    return section_card(
        "Reminders",
        switch_row(
            control_id="reminders-toggle",
            label="Reminder mails to contacts",
            checked=S.reminders_on,
            on_change=S.set_reminders_on,
            on_text="On: contacts get at most one mail a day gathering what is due.",
            off_text="Off: no reminder mail goes out.",
            disabled=~S.can_manage_reminders,
        ),
        rx.vstack(
            rx.text("The schedule", size="2", weight="bold"),
            _summary(S),
            spacing="2",
            align="stretch",
        ),
        rx.cond(
            S.can_manage_reminders,
            rx.vstack(
                rx.separator(size="4"),
                rx.heading("Change the schedule", size="3", as_="h3"),
                _schedule_form(S),
                spacing="3",
                align="stretch",
            ),
            rx.text("Only owners and managers can change reminders.", size="1", color_scheme="gray"),
        ),
        rx.separator(size="4"),
        _time_zone(S),
        description="When contacts are reminded of what is due. Pause an account or a record on its own page.",
        id="reminders-panel",
    )


def _digest(d: Any) -> rx.Component:
    return rx.el.li(
        rx.vstack(
            rx.flex(
                rx.text(d.contact, size="2", weight="bold"),
                rx.text(d.email, size="1", color_scheme="gray", word_break="break-all"),
                rx.badge(d.account, variant="soft", color_scheme="gray"),
                rx.cond(d.sent, rx.badge("Sent today", variant="soft", color_scheme="green")),
                gap="8px",
                align="center",
                wrap="wrap",
            ),
            rx.text("Subject: ", rx.el.span(d.subject, font_style="italic"), size="2"),
            rx.el.ul(
                rx.foreach(d.lines, lambda line: rx.el.li(rx.text(line, size="2"))),
                margin="0",
                padding_left="20px",
                list_style="disc",
            ),
            spacing="1",
            align="stretch",
        ),
        list_style="none",
        padding_y="10px",
        border_bottom=f"1px solid {rx.color('gray', 4)}",
        class_name="digest",
    )


def todays_reminders_panel(S: Any) -> rx.Component:
    """What the sweep would send today in this workspace: one digest per contact."""
    return section_card(
        "Today's reminders",
        rx.flex(
            rx.text(S.digests_day, size="2", color_scheme="gray"),
            rx.button(
                rx.icon("refresh-cw", size=14, aria_hidden="true"),
                "Refresh today's reminders",
                variant="soft",
                size="1",
                on_click=S.refresh_reminders,
                type="button",
            ),
            justify="between",
            align="center",
            gap="8px",
            wrap="wrap",
        ),
        rx.text(S.digest_count_text, size="2", weight="medium", role="status"),
        rx.cond(
            S.digests.length() > 0,  # type: ignore[attr-defined]
            rx.el.ul(rx.foreach(S.digests, _digest), margin="0", padding="0", id="todays-reminders"),
        ),
        rx.cond(
            S.digests_more > 0,
            rx.text("And ", S.digests_more, " more contacts.", size="2", color_scheme="gray"),
        ),
        description="Each contact gets one mail gathering what is due for them, within what they may see. "
        "Paused accounts and records and contacts who turned reminders off are left out.",
        id="todays-reminders-panel",
    )


# -- pauses ------------------------------------------------------------------------------------------------------


def _paused_note(D: Any, headline: Any = None, *extra: rx.Component) -> rx.Component:
    """What is paused (``headline``), the reason as written, who paused it and when."""
    return rx.callout(
        rx.vstack(
            *([rx.text(headline, size="2", weight="bold")] if headline is not None else []),
            rx.text(
                "Reason: ",
                rx.el.span(D.reminders_pause_reason, white_space="pre-wrap", word_break="break-word"),
                size="2",
            ),
            rx.text(
                "Paused by ",
                D.reminders_paused_by,
                ", ",
                rx.el.span(D.reminders_paused_when, title=D.reminders_paused_exact),
                size="1",
            ),
            *extra,
            spacing="1",
            align="start",
        ),
        icon="pause",
        color_scheme="amber",
        size="1",
    )


def account_reminders_panel(D: Any, account_name: Any) -> rx.Component:
    """On an account's page: whether its reminders are paused (why, by whom, when), and Pause / Resume."""
    return section_card(
        "Reminders",
        rx.cond(
            D.reminders_paused,
            rx.vstack(
                rx.hstack(
                    rx.badge("Reminders paused", color_scheme="amber", variant="soft", size="2"),
                    spacing="2",
                ),
                _paused_note(D),
                spacing="2",
                align="stretch",
            ),
            rx.text(
                "On: this account's contacts get reminders on the workspace's schedule.",
                size="2",
                color_scheme="gray",
            ),
        ),
        rx.cond(
            D.can_pause_reminders,
            rx.box(
                rx.cond(
                    D.reminders_paused,
                    rx.button(
                        rx.icon("play", size=14, aria_hidden="true"),
                        "Resume reminders",
                        variant="soft",
                        size="2",
                        on_click=D.resume_account_reminders,
                        type="button",
                    ),
                    confirm_dialog(
                        "Pause reminders",
                        title="Pause reminders for " + account_name + "?",
                        description="Its contacts get no reminder mail until you resume them. Mails about what "
                        "you share with them still go out.",
                        confirm_label="Pause reminders",
                        on_confirm=D.pause_account_reminders,
                        reason=True,
                        reason_hint=PAUSE_HINT,
                        color_scheme="amber",
                        icon="pause",
                        trigger_size="2",
                    ),
                ),
            ),
        ),
        description="Reminder mails about what is due on this account's records.",
        id="account-reminders",
    )


def reminders_off_badge(off: Any) -> rx.Component:
    """Beside a contact who turned reminder mails off through the link in one."""
    return rx.cond(off, rx.badge("Reminders off", color_scheme="gray", variant="outline"))


# -- a record's card ---------------------------------------------------------------------------------------------


def _sent_cells(row: Any) -> list[rx.Component]:
    return [
        rx.text(row.day, size="2", white_space="nowrap"),
        rx.text(row.recipient, size="2", word_break="break-word"),
    ]


def record_reminders_card(D: Any, *, record_word: str) -> rx.Component:
    """The "Reminders" card of a record page: sent (day and to whom), next planned, paused and why, with Pause /
    Resume for the record (an account's pause is resumed on the account's page)."""
    return section_card(
        "Reminders",
        rx.cond(
            D.reminders_paused,
            _paused_note(
                D,
                rx.cond(
                    D.reminders_paused_account,
                    "Paused for the whole account",
                    f"Paused for {record_word}",
                ),
                rx.cond(
                    D.reminders_paused_account,
                    rx.link("Resume on the account's page", href=D.reminders_account_href, size="2"),
                ),
            ),
        ),
        rx.text(
            rx.text("Next reminder: ", as_="span", weight="medium"),
            rx.cond(
                D.reminders_paused,
                "none while paused",
                rx.cond(D.reminders_next != "", D.reminders_next, "none planned"),
            ),
            size="2",
            class_name="reminder-next",
        ),
        data_table(
            ["Sent", "To"],
            D.reminders_sent,
            _sent_cells,
            caption=f"Reminders sent about {record_word}",
            empty=empty_text("No reminder sent yet."),
            stack_on_phone=False,
        ),
        rx.cond(
            D.reminders_unsubscribed.length() > 0,  # type: ignore[attr-defined]
            rx.text(
                "Turned reminders off: ",
                D.reminders_unsubscribed.join(", "),  # type: ignore[attr-defined]
                size="1",
                color_scheme="gray",
            ),
        ),
        rx.cond(
            D.can_pause_reminders & ~D.reminders_paused_account,
            rx.box(
                rx.cond(
                    D.reminders_paused,
                    rx.button(
                        rx.icon("play", size=14, aria_hidden="true"),
                        "Resume reminders",
                        variant="soft",
                        size="2",
                        on_click=D.resume_record_reminders,
                        type="button",
                    ),
                    confirm_dialog(
                        "Pause reminders",
                        title=f"Pause reminders for {record_word}?",
                        description="Its contacts get no reminder about it until you resume them. Reminders "
                        "about the account's other records still go out.",
                        confirm_label="Pause reminders",
                        on_confirm=D.pause_record_reminders,
                        reason=True,
                        reason_hint=PAUSE_HINT,
                        color_scheme="amber",
                        icon="pause",
                        trigger_size="2",
                    ),
                ),
            ),
        ),
        description=f"Reminder mails to contacts about {record_word}.",
        id="record-reminders",
    )
