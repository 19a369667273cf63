"""Reminders on staff pages: the workspace's schedule and today's digests (``/app/settings``), an account's pause
(``/app/accounts/[id]``) and the "Reminders" card of an estimate, an invoice or a document request.

Three mixins, each used by one kind of page state (``class SettingsState(StaffPage, ReminderSettingsMixin, ...)``);
the page's ``_fetch`` calls the mixin's ``_fill_…`` and the page part in ``components/reminders.py`` renders it.
Every handler re-resolves the actor and the reminders service checks the permission again: ``can_…`` vars are
intent only. Record and account ids come from the route (untrusted, scoped by the services), never from handler
arguments; a pause to resume is looked up on the server, never named by the browser.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, ClassVar

import reflex as rx

from portal_app import routes
from portal_app.formatting import day, exact, relative
from portal_app.services import reminders
from portal_app.services.access import StaffActor
from portal_app.services.errors import ValidationFailed
from portal_app.services.permissions import Permission, role_has
from state.base import Events, event

if TYPE_CHECKING:
    from sqlmodel import Session

MAX_REASON = 500
DIGESTS_SHOWN = 50  # today's digests listed on the settings page; the rest are counted
DAYS_MIN, DAYS_MAX = 1, 60
MAX_MIN, MAX_MAX = 1, 20

# The record kinds with a reminders card: the area permission that may pause them and how a person names them.
RECORD_KINDS: dict[str, tuple[Permission, str]] = {
    "estimate": (Permission.ESTIMATES_MANAGE, "this estimate"),
    "invoice": (Permission.INVOICES_MANAGE, "this invoice"),
    "document_request": (Permission.DOCUMENTS_MANAGE, "this document request"),
}

# The schedule form: (field name, label) for the day fields (empty = that reminder off) and the checkboxes.
DAY_FIELDS: tuple[tuple[str, str], ...] = (
    ("documents_before_days", "Days before the due date"),
    ("documents_every_days", "Days between reminders while overdue"),
    ("estimates_before_days", "Days before it expires"),
    ("invoices_every_days", "Days between reminders while overdue"),
)
CHECK_FIELDS: tuple[str, ...] = ("documents_on_due", "invoices_on_due")


def _days(n: int) -> str:
    return "1 day" if n == 1 else f"{n} days"


def _every(n: int) -> str:
    return "every day while overdue" if n == 1 else f"every {n} days while overdue"


def _schedule(parts: list[str], every: str | None) -> str:
    """ "3 days before the due date, on the due date, then every 7 days while overdue"."""
    if every and parts:
        return ", ".join(parts) + ", then " + every
    if every or parts:
        return every or ", ".join(parts)
    return "no reminders"


def policy_summary(policy: reminders.ReminderPolicy) -> list[str]:
    """The schedule in plain words, one line per kind of record and one for the maximum."""
    doc_parts = []
    if policy.documents_before_days:
        doc_parts.append(f"{_days(policy.documents_before_days)} before the due date")
    if policy.documents_on_due:
        doc_parts.append("on the due date")
    est = (
        f"{_days(policy.estimates_before_days)} before they expire" if policy.estimates_before_days else None
    )
    inv_parts = ["on the due date"] if policy.invoices_on_due else []
    at_most = policy.max_per_record
    return [
        "Document requests: "
        + _schedule(doc_parts, _every(policy.documents_every_days) if policy.documents_every_days else None),
        "Estimates: " + _schedule([est] if est else [], None),
        "Invoices: "
        + _schedule(inv_parts, _every(policy.invoices_every_days) if policy.invoices_every_days else None),
        f"At most {at_most} reminder{'s' if at_most != 1 else ''} about any one record.",
    ]


def _form_values(policy: reminders.ReminderPolicy) -> dict[str, str]:
    """The saved schedule as the form shows it: numbers as text ("" for off), checkboxes as "on" / ""."""
    values = {name: str(getattr(policy, name) or "") for name, _ in DAY_FIELDS}
    values.update({name: "on" if getattr(policy, name) else "" for name in CHECK_FIELDS})
    values["max_per_record"] = str(policy.max_per_record)
    return values


def _whole(raw: Any) -> int | None:
    text = raw.strip() if isinstance(raw, str) else ""
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 6 else None


def parse_schedule(form: Any) -> tuple[dict[str, Any], dict[str, str], dict[str, str]]:
    """Submitted form data → (policy fields, per-field errors, what was typed).

    A day field may be empty (that reminder off) or a whole number of days from 1 to 60; the maximum is a whole
    number from 1 to 20. Anything else is an error that says how to fix it; nothing is guessed.
    """
    data = form if isinstance(form, dict) else {}
    values: dict[str, Any] = {}
    errors: dict[str, str] = {}
    typed: dict[str, str] = {}
    for name, _ in DAY_FIELDS:
        raw = data.get(name)
        text = raw.strip()[:20] if isinstance(raw, str) else ""
        typed[name] = text
        if not text:
            values[name] = None
            continue
        number = _whole(text)
        if number is None or not DAYS_MIN <= number <= DAYS_MAX:
            errors[name] = (
                f"Enter a whole number of days from {DAYS_MIN} to {DAYS_MAX}, or leave it empty to turn this "
                "reminder off."
            )
        else:
            values[name] = number
    for name in CHECK_FIELDS:
        values[name] = data.get(name) in ("on", "true", True)
        typed[name] = "on" if values[name] else ""
    raw_max = data.get("max_per_record")
    typed["max_per_record"] = raw_max.strip()[:20] if isinstance(raw_max, str) else ""
    most = _whole(raw_max)
    if most is None or not MAX_MIN <= most <= MAX_MAX:
        errors["max_per_record"] = f"Enter a whole number from {MAX_MIN} to {MAX_MAX}."
    else:
        values["max_per_record"] = most
    return values, errors, typed


def _reason(form: Any) -> str:
    raw = form.get("reason") if isinstance(form, dict) else None
    return raw.strip() if isinstance(raw, str) else ""


def _pause_fields(pause: reminders.PauseRead | None) -> tuple[str, str, str, str]:
    """(reason, by, when, exact time) of a pause, as the page shows them; all "" without one."""
    if pause is None:
        return "", "", "", ""
    return (
        pause.reason,
        pause.paused_by or "A former member",
        relative(pause.paused_at),
        exact(pause.paused_at),
    )


class _Acting(rx.State, mixin=True):
    if TYPE_CHECKING:  # provided by the page state (StaffPage, DetailMixin) that also inherits the mixin

        def _act(self, work: Callable[[Session, Any], Events]) -> Events: ...
        def _fetch(self, session: Session, actor: Any) -> Events: ...
        def _record_id(self) -> int: ...


# -- settings: the schedule, the time zone and today's digests ---------------------------------------------------


@dataclasses.dataclass
class DigestRow:
    """One contact's reminder mail of today, as support reads it."""

    contact: str = ""
    email: str = ""
    account: str = ""
    subject: str = ""
    lines: list[str] = dataclasses.field(default_factory=list)
    sent: bool = False  # already went out today


class ReminderSettingsMixin(_Acting, mixin=True):
    """The "Reminders" panel of ``/app/settings``: owners and managers (``workspace:manage``) change the schedule
    and the time zone; every member reads them and today's reminders."""

    reminders_on: bool = True
    reminder_summary: list[str] = []
    reminder_values: dict[str, str] = {}  # the form's values: the saved schedule, or what was typed on error
    reminder_errors: dict[str, str] = {}
    reminder_form_version: int = 0  # a new value re-renders the form with ``reminder_values``
    time_zone: str = "UTC"
    time_zones: list[str] = []
    can_manage_reminders: bool = False
    digests: list[DigestRow] = []
    digests_more: int = 0
    digests_day: str = ""

    def _fill_reminder_settings(
        self, session: Session, actor: StaffActor, *, keep_typed: bool = False
    ) -> None:
        policy = reminders.get_policy(session, actor)
        self.can_manage_reminders = role_has(actor.role, Permission.WORKSPACE_MANAGE)
        self.reminders_on = policy.enabled
        self.reminder_summary = policy_summary(policy)
        if not keep_typed:
            self.reminder_values = _form_values(policy)
            self.reminder_errors = {}
            self.reminder_form_version += 1
        self.time_zone = reminders.get_time_zone(session, actor)
        self.time_zones = list(reminders.TIME_ZONES) if self.can_manage_reminders else [self.time_zone]
        self._fill_digests(session, actor)

    def _fill_digests(self, session: Session, actor: StaffActor) -> None:
        planned = reminders.preview(session, actor)
        self.digests = [
            DigestRow(
                contact=d.contact_name or d.contact_email,
                email=d.contact_email,
                account=d.account_name,
                subject=d.subject,
                lines=list(d.lines),
                sent=d.already_sent,
            )
            for d in planned[:DIGESTS_SHOWN]
        ]
        self.digests_more = max(0, len(planned) - DIGESTS_SHOWN)
        today = reminders.workspace_today(session, actor)
        self.digests_day = f"Today is {day(today)} in {self.time_zone}."

    @rx.var
    def digest_count_text(self) -> str:
        count = len(self.digests) + self.digests_more
        if not self.reminders_on:
            return "Reminders are off: nothing goes out today."
        if count == 0:
            return "Nothing goes out today."
        return f"{count} reminder mail{'s' if count != 1 else ''} go out today, one per contact."

    @event
    def set_reminders_on(self, enabled: bool) -> Events:
        """Owners and managers: every reminder on or off, the schedule kept as it is."""
        if not isinstance(enabled, bool):  # a forged value changes nothing
            return rx.toast.error("Choose on or off.")

        def run(session: Session, actor: StaffActor) -> Events:
            policy = reminders.get_policy(session, actor)
            saved = reminders.set_policy(session, actor, policy.model_copy(update={"enabled": enabled}))
            self._fill_reminder_settings(session, actor)
            if saved.enabled:
                return rx.toast.success(
                    "Reminders on. Contacts hear about what is due on the schedule below."
                )
            return rx.toast.success("Reminders off. No reminder mail goes out until they are on again.")

        return self._act(run)

    @event
    def save_reminder_schedule(self, form: dict[str, Any]) -> Events:
        """Owners and managers: the days of each reminder and the maximum per record. Bad values: errors under
        their fields, what was typed kept, nothing saved."""
        values, errors, typed = parse_schedule(form)
        if errors:
            self.reminder_errors = errors
            self.reminder_values = typed
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            current = reminders.get_policy(session, actor)  # on/off is the switch's, not the form's
            try:
                reminders.set_policy(
                    session, actor, reminders.ReminderPolicy(enabled=current.enabled, **values)
                )
            except ValidationFailed as exc:
                self.reminder_values = typed
                self.reminder_errors = {"schedule": exc.message}
                return None
            self._fill_reminder_settings(session, actor)
            return rx.toast.success("Reminder schedule saved. Today's reminders below follow it.")

        return self._act(run)

    @event
    def set_time_zone(self, value: str) -> Events:
        """Owners and managers: the workspace's time zone, which decides which day is "the due date"."""
        if not isinstance(value, str) or value not in reminders.TIME_ZONES:
            return rx.toast.error("Choose a time zone from the list.")
        if value == self.time_zone:
            return None

        def run(session: Session, actor: StaffActor) -> Events:
            saved = reminders.set_time_zone(session, actor, value)
            self._fill_reminder_settings(session, actor, keep_typed=bool(self.reminder_errors))
            return rx.toast.success(f"Time zone set to {saved}: reminders follow the date there.")

        return self._act(run)

    @event
    def refresh_reminders(self) -> Events:
        def run(session: Session, actor: StaffActor) -> Events:
            self._fill_reminder_settings(session, actor, keep_typed=bool(self.reminder_errors))
            return None

        return self._act(run)


# -- an account's pause ------------------------------------------------------------------------------------------


class AccountRemindersMixin(_Acting, mixin=True):
    """Pause and resume reminders for a whole account (``accounts:manage`` or ``invoices:manage``)."""

    reminders_paused: bool = False
    reminders_pause_reason: str = ""
    reminders_paused_by: str = ""
    reminders_paused_when: str = ""
    reminders_paused_exact: str = ""
    can_pause_reminders: bool = False

    def _fill_account_reminders(self, session: Session, actor: StaffActor, account_id: int) -> None:
        pause = reminders.active_pause(session, actor, account_id=account_id)
        self.reminders_paused = pause is not None
        (
            self.reminders_pause_reason,
            self.reminders_paused_by,
            self.reminders_paused_when,
            self.reminders_paused_exact,
        ) = _pause_fields(pause)
        self.can_pause_reminders = role_has(actor.role, Permission.ACCOUNTS_MANAGE) or role_has(
            actor.role, Permission.INVOICES_MANAGE
        )

    @event
    def pause_account_reminders(self, form: dict[str, Any]) -> Events:
        reason = _reason(form)
        if not reason:
            return rx.toast.error("Give a reason for the pause: your team reads it on the account's records.")
        if len(reason) > MAX_REASON:
            return rx.toast.error(f"Keep the reason to {MAX_REASON} characters or fewer.")

        def run(session: Session, actor: StaffActor) -> Events:
            reminders.pause(session, actor, reason=reason, account_id=self._record_id())
            self._fetch(session, actor)
            return rx.toast.success(
                "Reminders paused for this account. Its contacts get no reminder mail until you resume them."
            )

        return self._act(run)

    @event
    def resume_account_reminders(self) -> Events:
        def run(session: Session, actor: StaffActor) -> Events:
            account_id = self._record_id()
            pause = reminders.active_pause(session, actor, account_id=account_id)
            if pause is None or pause.account_id != account_id or pause.record_id is not None:
                self._fetch(session, actor)
                return rx.toast.info("Reminders for this account are not paused.")
            reminders.resume(session, actor, pause.id)
            self._fetch(session, actor)
            return rx.toast.success("Reminders resumed. Its contacts hear about what is due again.")

        return self._act(run)


# -- a record's "Reminders" card ---------------------------------------------------------------------------------


@dataclasses.dataclass
class SentReminderRow:
    day: str = ""
    recipient: str = ""


class RecordRemindersMixin(_Acting, mixin=True):
    """The "Reminders" card of a record page: what was sent, what is next, and the pause (the record's own or its
    account's). Set ``REMINDER_RECORD`` to "estimate", "invoice" or "document_request"."""

    REMINDER_RECORD: ClassVar[str] = ""

    reminders_sent: list[SentReminderRow] = []
    reminders_next: str = ""
    reminders_paused: bool = False
    reminders_paused_account: bool = False  # the pause is the account's: resumed on the account page
    reminders_pause_reason: str = ""
    reminders_paused_by: str = ""
    reminders_paused_when: str = ""
    reminders_paused_exact: str = ""
    reminders_unsubscribed: list[str] = []
    reminders_account_href: str = ""
    can_pause_reminders: bool = False

    def _fill_reminders(self, session: Session, actor: StaffActor, record_id: int, account_id: int) -> None:
        kind = self.REMINDER_RECORD
        shown = reminders.record_reminders(session, actor, kind, record_id)
        self.reminders_sent = [SentReminderRow(day=day(s.day), recipient=_recipient(s)) for s in shown.sent]
        self.reminders_next = day(shown.next_planned) if shown.next_planned else ""
        pause = shown.paused
        self.reminders_paused = pause is not None
        self.reminders_paused_account = pause is not None and pause.record_id is None
        (
            self.reminders_pause_reason,
            self.reminders_paused_by,
            self.reminders_paused_when,
            self.reminders_paused_exact,
        ) = _pause_fields(pause)
        self.reminders_unsubscribed = list(shown.unsubscribed)
        self.reminders_account_href = routes.record_url(routes.STAFF_ACCOUNTS, account_id)
        self.can_pause_reminders = role_has(actor.role, RECORD_KINDS[kind][0])

    @event
    def pause_record_reminders(self, form: dict[str, Any]) -> Events:
        reason = _reason(form)
        if not reason:
            return rx.toast.error("Give a reason for the pause: your team reads it on this page.")
        if len(reason) > MAX_REASON:
            return rx.toast.error(f"Keep the reason to {MAX_REASON} characters or fewer.")
        kind = self.REMINDER_RECORD

        def run(session: Session, actor: StaffActor) -> Events:
            reminders.pause(session, actor, reason=reason, record_type=kind, record_id=self._record_id())
            self._fetch(session, actor)
            return rx.toast.success(
                f"Reminders paused for {RECORD_KINDS[kind][1]}. Its contacts get no reminder about it until "
                "you resume them."
            )

        return self._act(run)

    @event
    def resume_record_reminders(self) -> Events:
        kind = self.REMINDER_RECORD

        def run(session: Session, actor: StaffActor) -> Events:
            record_id = self._record_id()
            pause = reminders.active_pause(session, actor, record_type=kind, record_id=record_id)
            if pause is None or pause.record_type != kind or pause.record_id != record_id:
                self._fetch(session, actor)
                return rx.toast.info(f"Reminders for {RECORD_KINDS[kind][1]} are not paused on their own.")
            reminders.resume(session, actor, pause.id)
            self._fetch(session, actor)
            return rx.toast.success(
                f"Reminders resumed for {RECORD_KINDS[kind][1]}: the next one follows the schedule."
            )

        return self._act(run)


def _recipient(sent: Any) -> str:
    name = getattr(sent, "contact_name", "") or ""
    email = getattr(sent, "contact_email", "") or ""
    return f"{name} ({email})" if name and email else name or email


__all__ = [
    "AccountRemindersMixin",
    "DigestRow",
    "RecordRemindersMixin",
    "ReminderSettingsMixin",
    "SentReminderRow",
    "parse_schedule",
    "policy_summary",
]
