"""Staff delivery pages: the list (``/app/deliveries``, exceptions first on request) and one delivery
(``/app/deliveries/[id]``) with its timeline, "Add update", share and stop sharing; the new-delivery form is
``state/delivery_form.py``.

Display rows only. Every action re-resolves the actor; the services check ``deliveries:manage``, scope and the
allowed transitions again (what the page shows with ``can_manage`` is intent only). The detail page acts on the
delivery it loaded (``_loaded_id``, a backend var), never on an id the browser sends.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import DeliveryStatus
from portal_app import formatting, routes
from portal_app.services import deliveries, tasks
from portal_app.services.access import StaffActor, log_authorization_failure
from portal_app.services.errors import NotFound
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_label
from state.audit import history_href
from state.base import Events, event
from state.delivery_rows import StaffTimelineRow, delivery_flag, eta_text, staff_timeline
from state.inputs import InputError, parse_day
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import StaffArea, StaffPage, SwitchOption
from state.tasks import ALL_STATUSES, TaskRow, account_choices, task_rows

STATUS_VALUES = tuple(s.value for s in DeliveryStatus)
TASKS_SHOWN = 20
NOTE_MAX, LINE_MAX, REFERENCE_MAX, DESCRIPTION_MAX, NOTES_MAX = 1000, 100, 64, 1000, 4000


def one_line(form: dict[str, Any], name: str, limit: int) -> str:
    raw = form.get(name) if isinstance(form, dict) else None
    return " ".join(raw.split())[: limit + 1] if isinstance(raw, str) else ""


# -- list ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class DeliveryRow:
    id: int
    href: str
    reference: str
    account: str
    status_label: str
    status_color: str
    status_icon: str
    exception: bool
    carrier: str
    eta: str
    updated: str
    updated_exact: str
    shared: bool


class DeliveriesListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.DELIVERIES_READ
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "status": ("all", "exceptions", *STATUS_VALUES),
        "account": ("all",),
        "order": ("recent", "exceptions"),
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[DeliveryRow] = []
    account_choices: list[SwitchOption] = []
    can_manage: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        status = self._filter("status")
        query: dict[str, Any] = {
            "status": DeliveryStatus(status) if status in STATUS_VALUES else None,
            "exceptions_only": status == "exceptions",
            "account_id": self._filter_id("account"),
            "search": self.search,
            "exceptions_first": self._filter("order") == "exceptions",
        }
        page = self._fetch_page(
            lambda offset: deliveries.list_deliveries(
                session, actor, offset=offset, limit=self.PAGE_SIZE, with_events=False, **query
            )
        )
        names = deliveries.account_names(session, actor, [d.account_id for d in page.items])
        rows = []
        for d in page.items:
            flag = delivery_flag(d.status, d.expected_on)
            rows.append(
                DeliveryRow(
                    id=d.id,
                    href=routes.record_url(routes.STAFF_DELIVERIES, d.id),
                    reference=d.reference,
                    account=names.get(d.account_id, ""),
                    status_label=flag.label,
                    status_color=flag.color,
                    status_icon=flag.icon,
                    exception=flag.exception,
                    carrier=d.carrier or "—",
                    eta=eta_text(d.status, d.expected_on),
                    updated=formatting.relative(d.updated_at),
                    updated_exact=formatting.exact(d.updated_at),
                    shared=d.shared,
                )
            )
        self.rows = rows
        self.account_choices = account_choices(session, actor)
        self.can_manage = role_has(actor.role, Permission.DELIVERIES_MANAGE)
        return None


# -- detail ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class StatusChoice:
    value: str
    label: str


class DeliveryDetailState(StaffPage, DetailMixin, FormMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.DELIVERIES_READ

    reference: str = ""
    status_label: str = ""
    status_color: str = ""
    status_icon: str = ""
    exception: bool = False
    account_name: str = ""
    account_href: str = ""
    description: str = ""
    carrier: str = ""
    tracking_ref: str = ""
    eta: str = ""
    eta_value: str = ""  # the ETA as the date input wants it
    shared: bool = False
    updated: str = ""
    internal_notes: str = ""
    events: list[StaffTimelineRow] = []
    next_statuses: list[StatusChoice] = []
    current_status: str = ""
    tasks: list[TaskRow] = []
    can_manage: bool = False
    history_href: str = ""  # the audit log filtered to this delivery ("" for members who may not read it)
    form_version: int = 0  # bumped after an update so the form starts empty again
    _loaded_id: int = 0
    _eta: date | None = None

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self._show(session, actor, self._record_id())
        return None

    def _show(self, session: Session, actor: StaffActor, record_id: int) -> None:
        detail = deliveries.get_delivery_detail(session, actor, record_id)
        d = detail.delivery
        if d.id != self._loaded_id:
            self._new_form()
        self._loaded_id = d.id
        flag = delivery_flag(d.status, d.expected_on)
        self.reference = d.reference
        self.status_label, self.status_color, self.status_icon = flag.label, flag.color, flag.icon
        self.exception = flag.exception
        self.account_name = detail.account_name
        self.account_href = routes.record_url(routes.STAFF_ACCOUNTS, d.account_id)
        self.history_href = history_href(actor, "delivery", d.id)
        self.description, self.internal_notes = d.description, d.internal_notes
        self.carrier, self.tracking_ref = d.carrier, d.tracking_ref
        self._eta = d.expected_on
        self.eta = eta_text(d.status, d.expected_on)
        self.eta_value = d.expected_on.isoformat() if d.expected_on else ""
        self.shared = d.shared
        self.updated = formatting.relative(d.updated_at)
        self.events = staff_timeline(d.events, detail.recorded_by)
        self.current_status = d.status.value
        self.next_statuses = [
            StatusChoice(
                s.value,
                f"{status_label('delivery', s.value)} (no change)"
                if s == d.status
                else status_label("delivery", s.value),
            )
            for s in detail.next_statuses
        ]
        self.can_manage = role_has(actor.role, Permission.DELIVERIES_MANAGE)
        own = tasks.list_tasks(
            session, actor, source_type="delivery", source_id=d.id, statuses=ALL_STATUSES, limit=TASKS_SHOWN
        )
        self.tasks = task_rows(own)

    def _loaded(self) -> int:
        if not self._loaded_id:
            # Only a forged client acts on a delivery page it never loaded (or that closed): on the record.
            log_authorization_failure("staff", None, "DeliveryDetailState.action-before-load", None)
            raise NotFound()
        return self._loaded_id

    @event
    def add_update(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            delivery_id = self._loaded()
            self.errors = {}
            raw_status = form.get("status")
            try:
                status = DeliveryStatus(raw_status if isinstance(raw_status, str) else "")
            except ValueError:
                self._fail("status", "Choose the delivery's status.")
                status = DeliveryStatus.SCHEDULED
            note = self._text(form, "note", label="the note", max_len=NOTE_MAX)
            carrier = self._text(form, "carrier", label="the carrier", max_len=LINE_MAX)
            tracking = self._text(form, "tracking_ref", label="the tracking reference", max_len=LINE_MAX)
            eta: date | None = None
            try:
                eta = parse_day(one_line(form, "expected_on", 20))
                if eta is not None and eta != self._eta and eta < deliveries.today():
                    self._fail("expected_on", "Choose today or a later date for the new expected date.")
            except InputError as exc:
                self._fail("expected_on", exc.message)
            if not self._valid():
                return rx.toast.error("Check the highlighted fields: no update was added.")
            internal = form.get("internal") in ("on", "true", True)
            done = deliveries.add_delivery_event(
                session,
                actor,
                delivery_id,
                status=status,
                note=note,
                internal=internal,
                carrier=carrier,
                tracking_ref=tracking,
                expected_on=eta,
            )
            self._new_form()
            self.form_version += 1
            self._show(session, actor, delivery_id)
            word = status_label("delivery", done.status.value)
            if internal:
                said = "Only your team sees this update."
            elif done.shared:
                said = f"{self.account_name}'s contacts see it in the portal."
            else:
                said = "The delivery is not shared: contacts see nothing until you share it."
            return rx.toast.success(f"Update added: {done.reference} is {word.lower()}. {said}")

        return self._act(work)

    @event
    def share(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            done = deliveries.share_delivery(session, actor, self._loaded())
            self._show(session, actor, done.id)
            return rx.toast.success(
                f"{done.reference} is shared. {self.account_name}'s contacts with operations access can follow it "
                "in the portal and get an email."
            )

        return self._act(work)

    @event
    def unshare(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            done = deliveries.unshare_delivery(session, actor, self._loaded())
            self._show(session, actor, done.id)
            return rx.toast.success(f"{done.reference} is no longer shared: contacts no longer see it.")

        return self._act(work)

    @rx.var
    def closed(self) -> bool:
        return self.current_status in ("delivered", "cancelled")
