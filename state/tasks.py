"""Follow-up tasks: the list (``/app/tasks``), one task (``/app/tasks/[id]``), and the rows other pages reuse.

For "Tasks for this record" on another detail page (an estimate, an approval): call
``tasks.list_tasks(session, actor, statuses=ALL_STATUSES, source_type="estimate", source_id=id, limit=...)`` in
that page's ``_fetch``, keep ``task_rows(page)`` in a ``list[TaskRow]`` var and render it with
``components.tasks.record_tasks(rows)``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import TaskStatus
from models.schemas import Page
from portal_app import formatting, routes
from portal_app.services import accounts, members, messages, tasks
from portal_app.services.access import StaffActor
from portal_app.services.permissions import ROLE_LABELS, Permission, role_has
from portal_app.services.tasks import TaskActivity, TaskView
from portal_app.statuses import status_color, status_label
from state.base import Events, event, parse_id
from state.inputs import InputError, parse_day
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import RecordRow, StaffArea, StaffPage, SwitchOption

ALL_STATUSES: tuple[TaskStatus, ...] = tuple(TaskStatus)
_DONE = (TaskStatus.DONE, TaskStatus.CANCELLED)

# Where a task's source record lives; kinds without a staff page yet show as plain text.
SOURCE_PAGES: dict[str, tuple[str, str]] = {
    "estimate": ("Estimate", routes.STAFF_ESTIMATES),
    "approval": ("Approval", routes.STAFF_APPROVALS),
    "message_thread": ("Conversation", routes.STAFF_MESSAGES),
    "document_request": ("Document request", routes.STAFF_DOCUMENTS),
    "delivery": ("Delivery", routes.STAFF_DELIVERIES),
    "invoice": ("Invoice", routes.STAFF_INVOICES),
    "intake_file": ("File sent", ""),  # judged in the review queue: no page of its own
}


@dataclasses.dataclass
class TaskRow(RecordRow):
    """One task as lists show it: display strings only."""

    account_name: str = ""
    assignee: str = ""
    due: str = ""
    overdue: bool = False
    source_kind: str = ""
    source_label: str = ""
    source_href: str = ""


def _assignee(t: TaskView) -> str:
    if t.assignee_user_id:
        return t.assignee_name or "A former member"
    if t.assignee_role is not None:
        return f"Any {ROLE_LABELS[t.assignee_role].lower()}"
    return "Unassigned"


def task_row(t: TaskView) -> TaskRow:
    kind, base = SOURCE_PAGES.get(t.source_type, (t.source_type.replace("_", " ").capitalize(), ""))
    closed = t.status in _DONE
    due = formatting.day(t.due_at) if closed else formatting.due(t.due_at)
    return TaskRow(
        id=t.id,
        ref=f"Task #{t.id}",
        href=routes.record_url(routes.STAFF_TASKS, t.id),
        title=t.title,
        status=t.status.value,
        status_label=status_label("task", t.status.value),
        status_color=status_color("task", t.status.value),
        account_name=t.account_name,
        assignee=_assignee(t),
        due=due,
        overdue=due.startswith("overdue"),
        source_kind=kind,
        source_label=t.source_label or f"#{t.source_id}",
        source_href=routes.record_url(base, t.source_id) if base and t.source_label else "",
    )


def task_rows(page: Page[TaskView] | Sequence[TaskView]) -> list[TaskRow]:
    """Display rows for a page of ``tasks.list_tasks`` (or its items): for the task list and for any record page
    that shows the tasks raised from its record."""
    return [task_row(t) for t in (page.items if isinstance(page, Page) else page)]


# -- /app/tasks -------------------------------------------------------------------------------------------------

STATE_QUERIES: dict[str, tuple[tuple[TaskStatus, ...], bool]] = {
    "open": ((TaskStatus.OPEN, TaskStatus.IN_PROGRESS), False),
    "overdue": ((TaskStatus.OPEN, TaskStatus.IN_PROGRESS), True),
    "done": ((TaskStatus.DONE,), False),
    "all": (ALL_STATUSES, False),
}


def account_choices(session: Session, actor: StaffActor) -> list[SwitchOption]:
    """The workspace's accounts for an account filter or picker (the first 100 by name)."""
    page = accounts.list_accounts(session, actor, limit=100)
    return [SwitchOption(id=str(a.id), label=a.name) for a in page.items]


class TasksListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.TASKS_READ
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "who": ("all", "mine", "role"),
        "state": tuple(STATE_QUERIES),
        "account": ("all",),
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[TaskRow] = []
    account_choices: list[SwitchOption] = []

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        statuses, overdue = STATE_QUERIES[self._filter("state")]
        who = self._filter("who")
        page = tasks.list_tasks(
            session,
            actor,
            statuses=statuses,
            overdue=overdue,
            mine=who == "mine",
            role=actor.role if who == "role" else None,
            account_id=self._filter_id("account"),
            offset=self.offset,
            limit=self.PAGE_SIZE,
        )
        self.rows, self.total = task_rows(page), page.total
        self.account_choices = account_choices(session, actor)
        self._clamp_offset()
        return None


# -- /app/tasks/[id] --------------------------------------------------------------------------------------------


@dataclasses.dataclass
class ActivityRow:
    id: int = 0
    who: str = ""
    what: str = ""
    when: str = ""
    exact: str = ""
    comment: str = ""


_STATUS_WORDS = {
    "task.open": "reopened the task",
    "task.in_progress": "started work",
    "task.done": "marked it done",
}


def activity_row(a: TaskActivity) -> ActivityRow:
    if a.action == "task.commented":
        what = "commented"
    elif a.action == "task.assigned":
        what = f"assigned it to {a.assignee_name}" if a.assignee_name else "unassigned it"
    elif a.action == "task.due_changed":
        what = f"set the due date to {formatting.day(a.due_on)}" if a.due_on else "cleared the due date"
    else:
        what = _STATUS_WORDS.get(a.action, a.action.removeprefix("task.").replace("_", " "))
    return ActivityRow(
        id=a.id,
        who=a.actor_name,
        what=what,
        when=formatting.relative(a.at),
        exact=formatting.exact(a.at),
        comment=a.comment,
    )


# The status moves the page offers from each status, as (target, button text). Cancelling is not a page action.
STATUS_ACTIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "open": (("in_progress", "Start work"), ("done", "Mark done")),
    "in_progress": (("done", "Mark done"), ("open", "Move back to open")),
    "done": (("open", "Reopen"),),
    "cancelled": (("open", "Reopen"),),
}
SETTABLE = frozenset({"open", "in_progress", "done"})


class TaskDetailState(StaffPage, DetailMixin, FormMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.TASKS_READ

    task: TaskRow = TaskRow()
    detail: str = ""
    created: str = ""
    due_value: str = ""  # yyyy-mm-dd for the date input
    assignee_value: str = "none"
    member_choices: list[SwitchOption] = []
    activity: list[ActivityRow] = []
    can_manage: bool = False
    # A task raised by a customer's message: answer it here (the reply closes the task).
    thread_href: str = ""
    can_reply: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        view = tasks.get_task(session, actor, self._record_id())
        from_message = view.source_type == "message_thread"
        self.thread_href = routes.record_url(routes.STAFF_MESSAGES, view.source_id) if from_message else ""
        self.can_reply = (
            from_message
            and view.status in (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
            and role_has(actor.role, Permission.MESSAGES_SEND)
        )
        self.task = task_row(view)
        self.detail = view.detail
        self.created = formatting.day(view.created_at)
        self.due_value = view.due_at.date().isoformat() if view.due_at else ""
        self.assignee_value = str(view.assignee_user_id) if view.assignee_user_id else "none"
        self.member_choices = [
            SwitchOption(id=str(m.user_id), label=f"{m.name or m.email} ({ROLE_LABELS[m.role]})")
            for m in members.list_members(session, actor)
        ]
        self.activity = [activity_row(a) for a in tasks.task_activity(session, actor, view.id)]
        self.can_manage = role_has(actor.role, Permission.TASKS_MANAGE)
        return None

    @rx.var
    def status_actions(self) -> list[SwitchOption]:
        """The status moves open to this task, as buttons: (target status, what the button says)."""
        return [SwitchOption(id=v, label=label) for v, label in STATUS_ACTIONS.get(self.task.status, ())]

    @event
    def pick_assignee(self, value: Any) -> None:
        """The assignee select, before "Assign" is pressed: nothing changes until then."""
        member = parse_id(value)
        self.assignee_value = str(member) if member is not None else "none"

    @event
    def assign(self, form: dict[str, Any]) -> Events:
        value = form.get("assignee", self.assignee_value) if isinstance(form, dict) else None
        assignee = parse_id(value)
        if assignee is None and value != "none":
            return rx.toast.error("Choose a member of this workspace.")

        def work(session: Session, actor: StaffActor) -> Events:
            tasks.assign_task(session, actor, self._record_id(), assignee_user_id=assignee)
            self._fetch(session, actor)
            if assignee is None:
                return rx.toast.success("Task unassigned. It stays with its role until someone takes it.")
            return rx.toast.success(f"Assigned to {self.task.assignee}. It now shows under their tasks.")

        return self._act(work)

    @event
    def set_status(self, value: Any) -> Events:
        if not isinstance(value, str) or value not in SETTABLE:  # a forged dict is unhashable: refuse it too
            return rx.toast.error("Choose open, in progress or done.")
        status = TaskStatus(value)

        def work(session: Session, actor: StaffActor) -> Events:
            tasks.set_task_status(session, actor, self._record_id(), status=status)
            self._fetch(session, actor)
            if status is TaskStatus.DONE:
                return rx.toast.success(
                    "Task marked done. It leaves the open list; reopen it here if needed."
                )
            return rx.toast.success(f"Task is {status_label('task', status.value).lower()} now.")

        return self._act(work)

    @event
    def save_due(self, form: dict[str, Any]) -> Events:
        self.errors = {}
        try:
            due_on = parse_day(str(form.get("due", "")) if isinstance(form, dict) else "")
        except InputError as exc:
            self._fail("due", exc.message)
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            tasks.set_task_due(session, actor, self._record_id(), due_on=due_on)
            self._fetch(session, actor)
            if due_on is None:
                return rx.toast.success("Due date cleared. The task stays open without a deadline.")
            return rx.toast.success(f"Due date set to {formatting.day(due_on)}.")

        return self._act(work)

    @event
    def reply_to_customer(self, form: dict[str, Any]) -> Events:
        """Answer the message the task is about: the reply goes to the customer and closes the task."""
        self.errors = {}
        body = self._text(form, "message", label="your reply", required=True, max_len=messages.BODY_MAX)
        if not self._valid():
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            view = tasks.get_task(
                session, actor, self._record_id()
            )  # the thread comes from the task, not the page
            if view.source_type != "message_thread":
                return rx.toast.error("This task is not about a message.")
            messages.post_staff_message(session, actor, view.source_id, body=body)
            self._fetch(session, actor)
            return [
                rx.set_value("task-reply", ""),
                rx.toast.success("Reply sent to the customer. This task is done."),
            ]

        return self._act(work)

    @event
    def add_comment(self, form: dict[str, Any]) -> Events:
        self.errors = {}
        text = self._text(form, "comment", label="a comment", required=True, max_len=tasks.COMMENT_MAX)
        if not self._valid():
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            tasks.comment_on_task(session, actor, self._record_id(), text=text)
            self._fetch(session, actor)
            return [
                rx.set_value("task-comment", ""),
                rx.toast.success("Comment added to the task's history."),
            ]

        return self._act(work)
