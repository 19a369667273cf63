"""Staff document requests: the list (``/app/documents``) and one request (``/app/documents/[id]``) with each
checklist item's files and review state, its follow-up tasks and "Cancel request"; the form is
``state/document_form.py``.

Display rows only. Every action re-resolves the actor and the services check the permission and the request's
state again; what the page shows (``can_cancel``) is intent only.
"""

from __future__ import annotations

import dataclasses
from datetime import date
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import DocumentRequestStatus, IntakeStatus, TaskStatus
from portal_app import routes
from portal_app.formatting import day, due, exact, file_size, relative
from portal_app.services import document_requests as docs
from portal_app.services import tasks
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from portal_app.statuses import status_color, status_label
from state.audit import history_href
from state.base import Events, event
from state.mixins import DetailMixin, ListMixin
from state.pages import StaffArea, StaffPage, SwitchOption
from state.reminders import RecordRemindersMixin
from state.tasks import ALL_STATUSES, TaskRow, account_choices, task_rows

STATUS_VALUES = tuple(s.value for s in DocumentRequestStatus)
ORDERS = ("newest", "overdue")
TASKS_SHOWN = 20
OPEN = frozenset(docs.OPEN_STATUSES)

# How staff read an item's state (the contact's words are in state/portal_documents.py).
ITEM_STATES: dict[str, tuple[str, str]] = {
    docs.ITEM_MISSING: ("Missing", "gray"),
    docs.ITEM_IN_REVIEW: ("In review", "blue"),
    docs.ITEM_ACCEPTED: ("Accepted", "green"),
    docs.ITEM_REJECTED: ("Needs a new file", "red"),
}
FILE_TYPES = {
    "application/pdf": "PDF",
    "image/png": "PNG image",
    "image/jpeg": "JPEG image",
    "image/webp": "WebP image",
    "image/gif": "GIF image",
    "image/heic": "HEIC image",
}


def due_text(status: DocumentRequestStatus, due_on: date | None) -> str:
    """ "12 Mar 2027", and while the request is open and on or past it: "· overdue by 5 days" / "· due today"."""
    when = due(due_on, docs.today())
    if status in OPEN and when and not when.startswith("due "):
        return f"{day(due_on)} · {when}"
    return day(due_on)


def progress_text(done: int, total: int) -> str:
    return f"{done} of {total}"


# -- list ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class DocumentRow:
    id: int
    href: str
    title: str
    account: str
    status_label: str
    status_color: str
    due: str
    overdue: bool
    progress: str  # "2 of 3"
    waiting: str  # "1 file to review" or ""


class DocumentsListState(StaffPage, ListMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.DOCUMENTS_READ
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "status": ("all", "past_due", *STATUS_VALUES),  # past due: open or submitted, due date passed
        "account": ("all",),
        "order": ORDERS,
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[DocumentRow] = []
    account_choices: list[SwitchOption] = []
    can_manage: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        status = self._filter("status")
        query: dict[str, Any] = {
            "status": DocumentRequestStatus(status) if status in STATUS_VALUES else None,
            "past_due": status == "past_due",
            "account_id": self._filter_id("account"),
            "overdue_first": self._filter("order") == "overdue",
        }
        page = self._fetch_page(
            lambda offset: docs.list_document_request_summaries(
                session, actor, offset=offset, limit=self.PAGE_SIZE, **query
            )
        )
        self.rows = []
        for r in page.items:
            when = due_text(r.status, r.due_on)
            waiting = r.files_waiting
            self.rows.append(
                DocumentRow(
                    id=r.id,
                    href=routes.record_url(routes.STAFF_DOCUMENTS, r.id),
                    title=r.title,
                    account=r.account_name,
                    status_label=status_label("document_request", r.status.value),
                    status_color=status_color("document_request", r.status.value),
                    due=when or "—",
                    overdue="overdue by" in when,
                    progress=progress_text(r.items_done, r.items_total),
                    waiting=""
                    if not waiting
                    else "1 file to review"
                    if waiting == 1
                    else f"{waiting} files to review",
                )
            )
        self.account_choices = account_choices(session, actor)
        self.can_manage = role_has(actor.role, Permission.DOCUMENTS_MANAGE)
        return None


# -- detail ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class FileView:
    id: int = 0
    name: str = ""
    size: str = ""
    kind: str = ""
    sender: str = ""
    sent: str = ""
    sent_exact: str = ""
    status_label: str = ""
    status_color: str = ""
    reason: str = ""  # the reviewer's reason, exactly as written
    note: str = ""  # the contact's note, exactly as written
    awaiting: bool = False
    file_href: str = ""


@dataclasses.dataclass
class ItemView:
    id: int = 0
    number: str = ""
    label: str = ""
    state_label: str = ""
    state_color: str = ""
    files: list[FileView] = dataclasses.field(default_factory=list)


def _file_view(f: docs.ItemFile) -> FileView:
    return FileView(
        id=f.id,
        name=f.original_name,
        size=file_size(f.size_bytes),
        kind=FILE_TYPES.get(f.sniffed_type, f.sniffed_type or "Unknown"),
        sender=f.contact_name,
        sent=relative(f.created_at),
        sent_exact=exact(f.created_at),
        status_label=status_label("intake", f.status.value),
        status_color=status_color("intake", f.status.value),
        reason=f.review_reason,
        note=f.note,
        awaiting=f.status in (IntakeStatus.RECEIVED, IntakeStatus.AWAITING_REVIEW),
        file_href=routes.file_url(routes.FILES_INTAKE, f.id),
    )


def item_views(detail: docs.DocumentRequestDetail) -> list[ItemView]:
    return [
        ItemView(
            id=item.id,
            number=str(index),
            label=item.label,
            state_label=ITEM_STATES[item.state][0],
            state_color=ITEM_STATES[item.state][1],
            files=[_file_view(f) for f in item.files],
        )
        for index, item in enumerate(detail.items, start=1)
    ]


class DocumentDetailState(StaffPage, DetailMixin, RecordRemindersMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.DOCUMENTS_READ
    REMINDER_RECORD: ClassVar[str] = "document_request"

    title: str = ""
    status_label: str = ""
    status_color: str = ""
    account_name: str = ""
    account_href: str = ""
    requested_on: str = ""
    requested_by: str = ""
    due_text: str = ""
    progress: str = ""
    instructions: str = ""
    internal_notes: str = ""
    closed_note: str = ""  # fulfilled / cancelled, said in words
    items: list[ItemView] = []
    files_waiting: int = 0
    review_href: str = routes.STAFF_REVIEW
    tasks: list[TaskRow] = []
    can_cancel: bool = False
    history_href: str = ""  # the audit log filtered to this request ("" for members who may not read it)

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        detail = docs.get_document_request_detail(session, actor, self._record_id())
        req = detail.request
        self.title = req.title
        self.status_label = status_label("document_request", req.status.value)
        self.status_color = status_color("document_request", req.status.value)
        self.account_name = detail.account_name
        self.account_href = routes.record_url(routes.STAFF_ACCOUNTS, req.account_id)
        self.history_href = history_href(actor, "document_request", req.id)
        self.requested_on = day(req.created_at)
        self.requested_by = detail.requested_by or "—"
        self.due_text = due_text(req.status, req.due_on) or "No due date"
        self.progress = progress_text(detail.items_done, len(detail.items)) + " items accepted"
        self.instructions, self.internal_notes = req.description, req.internal_notes
        self.closed_note = {
            DocumentRequestStatus.FULFILLED: "Complete: every item has an accepted file.",
            DocumentRequestStatus.CANCELLED: "Cancelled: the contact can no longer send files for it.",
        }.get(req.status, "")
        self.items = item_views(detail)
        self.files_waiting = detail.files_waiting
        self.tasks = self._tasks(session, actor, detail)
        self.can_cancel = role_has(actor.role, Permission.DOCUMENTS_MANAGE) and req.status in OPEN
        self._fill_reminders(session, actor, req.id, req.account_id)
        return None

    def _tasks(
        self, session: Session, actor: StaffActor, detail: docs.DocumentRequestDetail
    ) -> list[TaskRow]:
        """The request's own follow-ups and the open review tasks of its files (two queries)."""
        req = detail.request
        own = tasks.list_tasks(
            session,
            actor,
            source_type="document_request",
            source_id=req.id,
            statuses=ALL_STATUSES,
            limit=TASKS_SHOWN,
        ).items
        file_ids = {f.id for item in detail.items for f in item.files}
        reviews = []
        if file_ids:
            page = tasks.list_tasks(
                session,
                actor,
                source_type="intake_file",
                account_id=req.account_id,
                statuses=(TaskStatus.OPEN, TaskStatus.IN_PROGRESS),
                limit=100,
            )
            reviews = [t for t in page.items if t.source_id in file_ids]
        return task_rows([*own, *reviews][:TASKS_SHOWN])

    @event
    def cancel_request(self) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            done = docs.cancel_document_request(session, actor, self._record_id())
            self._fetch(session, actor)
            return rx.toast.success(
                f"“{done.title}” is cancelled. {self.account_name}'s contacts see it as cancelled and can no "
                "longer send files for it; files already sent stay in the review queue."
            )

        return self._act(work)


__all__ = ["DocumentDetailState", "DocumentRow", "DocumentsListState", "FileView", "ItemView", "due_text"]
