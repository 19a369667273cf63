"""Approval requests for staff: the list (``/app/approvals``), the request form (``/app/approvals/new``) and one
request (``/app/approvals/[id]``) with the customer's answer and the follow-up tasks it raised."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import ApprovalStatus
from portal_app import formatting, routes
from portal_app.services import approvals, estimates, tasks
from portal_app.services.access import StaffActor
from portal_app.services.approvals import ApprovalView
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_color, status_label
from state.audit import history_href
from state.base import Events, event, parse_id
from state.inputs import InputError, parse_day
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import RecordRow, StaffArea, StaffPage, SwitchOption
from state.tasks import ALL_STATUSES, TaskRow, account_choices, task_rows

NO_ESTIMATE = "none"
TASKS_SHOWN = 20


@dataclasses.dataclass
class ApprovalRow(RecordRow):
    account_name: str = ""
    due: str = ""
    requested: str = ""


def approval_row(a: ApprovalView) -> ApprovalRow:
    pending = a.status is ApprovalStatus.PENDING
    return ApprovalRow(
        id=a.id,
        ref=f"Approval #{a.id}",
        href=routes.record_url(routes.STAFF_APPROVALS, a.id),
        title=a.title,
        account_name=a.account_name,
        status=a.status.value,
        status_label=status_label("approval", a.status.value),
        status_color=status_color("approval", a.status.value),
        due=formatting.due(a.due_on) if pending else formatting.day(a.due_on),
        requested=formatting.day(a.created_at),
    )


class ApprovalsListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.APPROVALS_READ
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "status": ("all", *(s.value for s in ApprovalStatus)),
        "account": ("all",),
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[ApprovalRow] = []
    account_choices: list[SwitchOption] = []
    can_request: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        status = self._filter("status")
        page = approvals.list_approvals(
            session,
            actor,
            status=None if status == "all" else ApprovalStatus(status),
            account_id=self._filter_id("account"),
            search=self.search,
            offset=self.offset,
            limit=self.PAGE_SIZE,
        )
        self.rows, self.total = [approval_row(a) for a in page.items], page.total
        self.account_choices = account_choices(session, actor)
        self.can_request = role_has(actor.role, Permission.APPROVALS_MANAGE)
        self._clamp_offset()
        return None


class ApprovalNewState(StaffPage, FormMixin, StaffArea):
    """The request form. The account and estimate pickers are client input: the service scopes both again."""

    NEED: ClassVar[Permission | None] = Permission.APPROVALS_MANAGE

    account_choices: list[SwitchOption] = []
    estimate_choices: list[SwitchOption] = []
    account_value: str = ""
    estimate_value: str = NO_ESTIMATE
    # The request this form already made: a second submit of the same form (double click, retried event) goes
    # there instead of asking the customer twice.
    _made_id: int = 0

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self._new_form()
        self._made_id = 0
        self.account_choices = account_choices(session, actor)
        self.account_value, self.estimate_value, self.estimate_choices = "", NO_ESTIMATE, []
        return None

    def _load_estimates(self, session: Session, actor: StaffActor, account_id: int) -> None:
        page = estimates.list_estimates(session, actor, account_id=account_id, limit=50)
        self.estimate_choices = [
            SwitchOption(id=str(e.id), label=f"{e.number} {e.title}") for e in page.items
        ]

    @event
    def pick_account(self, value: Any) -> Events:
        account_id = parse_id(value)
        if account_id is None:
            return None
        self.account_value, self.estimate_value = str(account_id), NO_ESTIMATE
        self.errors = {k: v for k, v in self.errors.items() if k != "account"}

        def work(session: Session, actor: StaffActor) -> Events:
            self._load_estimates(session, actor, account_id)
            return None

        return self._act(work)

    @event
    def pick_estimate(self, value: Any) -> None:
        estimate_id = parse_id(value)
        self.estimate_value = str(estimate_id) if estimate_id is not None else NO_ESTIMATE

    @event
    def submit(self, form: dict[str, Any]) -> Events:
        if self._made_id:
            return rx.redirect(routes.record_url(routes.STAFF_APPROVALS, self._made_id))
        self.errors = {}
        title = self._text(form, "title", label="a title", required=True, max_len=approvals.TITLE_MAX)
        description = self._text(form, "description", label="the description", max_len=approvals.TEXT_MAX)
        account_id = parse_id(self.account_value)
        if account_id is None:
            self._fail("account", "Choose the account whose approval you need.")
        try:
            due_on = parse_day(
                str(form.get("due", "")) if isinstance(form, dict) else "",
                not_before=datetime.now(UTC).date(),
            )
        except InputError as exc:
            self._fail("due", exc.message)
            due_on = None
        if not self._valid() or account_id is None:
            return None
        estimate_id = parse_id(self.estimate_value)

        def work(session: Session, actor: StaffActor) -> Events:
            made = approvals.create_approval_request(
                session,
                actor,
                account_id,
                title=title,
                description=description,
                due_on=due_on,
                estimate_id=estimate_id,
            )
            self._made_id = made.id
            account = next((a.label for a in self.account_choices if a.id == str(account_id)), "the account")
            return [
                rx.toast.success(
                    f"Approval requested from {account}. Their contacts see it in the portal and you will see "
                    "their answer here."
                ),
                rx.redirect(routes.record_url(routes.STAFF_APPROVALS, made.id)),
            ]

        return self._act(work)


class ApprovalDetailState(StaffPage, DetailMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.APPROVALS_READ

    approval: ApprovalRow = ApprovalRow()
    description: str = ""
    due_date: str = ""
    requested_by: str = ""
    estimate_label: str = ""
    estimate_href: str = ""
    answered: bool = False
    answered_by: str = ""
    answered_at: str = ""
    answer_note: str = ""
    internal_notes: str = ""
    tasks: list[TaskRow] = []
    can_cancel: bool = False
    history_href: str = ""  # the audit log filtered to this request ("" for members who may not read it)

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        view = approvals.get_approval(session, actor, self._record_id())
        self.approval = approval_row(view)
        self.history_href = history_href(actor, "approval", view.id)
        self.description = view.description
        self.due_date = formatting.day(view.due_on)
        self.requested_by = view.requested_by_name
        self.estimate_label = view.estimate_label
        self.estimate_href = (
            routes.record_url(routes.STAFF_ESTIMATES, view.estimate_id) if view.estimate_id else ""
        )
        self.answered = view.decided_at is not None
        self.answered_by = view.decided_by_name
        self.answered_at = formatting.exact(view.decided_at)
        self.answer_note = view.decision_note
        self.internal_notes = view.internal_notes
        page = tasks.list_tasks(
            session,
            actor,
            statuses=ALL_STATUSES,
            source_type="approval",
            source_id=view.id,
            limit=TASKS_SHOWN,
        )
        self.tasks = task_rows(page)
        self.can_cancel = view.status is ApprovalStatus.PENDING and role_has(
            actor.role, Permission.APPROVALS_MANAGE
        )
        return None

    @event
    def cancel(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            approvals.cancel_approval_request(session, actor, self._record_id())
            self._fetch(session, actor)
            return rx.toast.success(
                f"Request withdrawn. {self.approval.account_name}'s contacts can no longer answer it."
            )

        return self._act(work)
