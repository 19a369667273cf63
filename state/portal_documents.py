"""Contact document request pages: the list (``/portal/documents``, open requests first, soonest due first) and
one request's checklist (``/portal/documents/[id]``) with an upload per item.

Uploading: "Send" on an item asks the browser to send the files chosen in that item's file input, one after
another, straight to the authenticated upload route (``assets/portal_upload.js``, ``multiple``) with this form's
idempotency key; ``files_sent`` shows the per-file answers. Which request and which items may take files is what
this tab loaded (backend vars the browser cannot set); the route and the services check scope and state again.
The file inputs are outside any form and keyed by item, so a state change (another item's upload, a reload of
the checklist) keeps the files chosen elsewhere.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import DocumentRequestStatus
from portal_app import formatting, routes
from portal_app.services import document_requests as docs
from portal_app.services.access import ContactActor
from portal_app.services.errors import Conflict
from portal_app.services.permissions import ContactPermission
from portal_app.settings import get_settings
from state.base import Events, event, parse_id
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import ContactArea, ContactPage
from state.portal import team_phrase
from state.threads import RecordThreadMixin

MESSAGE_MAX = 500  # what is shown of one answer (it arrives from the browser)
FILES_MAX = 10  # files sent at once for one item
OPEN = frozenset(docs.OPEN_STATUSES)

# How a contact reads a request, an item and a file ("Not accepted" comes with the team's reason, as written).
REQUEST_STATES = {
    "open": ("Waiting for your files", "amber"),
    "submitted": ("In review", "blue"),
    "fulfilled": ("Complete", "green"),
    "cancelled": ("Cancelled", "gray"),
}
ITEM_STATES = {
    docs.ITEM_MISSING: ("Not sent yet", "gray"),
    docs.ITEM_IN_REVIEW: ("In review", "blue"),
    docs.ITEM_ACCEPTED: ("Accepted", "green"),
    docs.ITEM_REJECTED: ("Not accepted", "red"),
}
FILE_STATES = {
    "received": ("Received", "blue"),
    "awaiting_review": ("In review", "blue"),
    "accepted": ("Accepted", "green"),
    "rejected": ("Not accepted", "red"),
}


def input_id(item_id: int) -> str:
    return f"document-file-{item_id}"


def progress_id(item_id: int) -> str:
    return f"document-progress-{item_id}"


def _state(status: DocumentRequestStatus, due_on: Any) -> tuple[str, str, str]:
    """(label, colour, due text) of a request; an open one past its due date reads "Overdue"."""
    label, color = REQUEST_STATES[status.value]
    when = formatting.due(due_on, docs.today()) if status in OPEN and due_on else ""
    if when.startswith("overdue"):
        label, color = "Overdue", "red"
    return label, color, when


# -- list ------------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class RequestRow:
    href: str
    title: str
    status: str
    color: str
    due: str  # "due 12 Mar 2027" / "overdue by 3 days" while open, else the due date or "—"
    progress: str  # "1 of 3 accepted"


class PortalDocumentsState(ContactPage, ListMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.DOCUMENTS

    rows: rx.Field[list[RequestRow]] = rx.field([])

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        page = self._fetch_page(
            lambda offset: docs.portal_list_document_request_summaries(
                session, actor, offset=offset, limit=self.PAGE_SIZE
            )
        )
        rows = []
        for r in page.items:
            label, color, when = _state(r.status, r.due_on)
            rows.append(
                RequestRow(
                    href=routes.record_url(routes.PORTAL_DOCUMENTS, r.id),
                    title=r.title,
                    status=label,
                    color=color,
                    due=when or formatting.day(r.due_on) or "—",
                    progress=f"{r.items_done} of {r.items_total} accepted",
                )
            )
        self.rows = rows
        return None


# -- detail ----------------------------------------------------------------------------------------------------


@dataclasses.dataclass
class FileRow:
    name: str = ""
    size: str = ""
    sent: str = ""
    state: str = ""
    color: str = ""
    reason: str = ""  # the team's reason when not accepted, exactly as written
    href: str = ""


@dataclasses.dataclass
class ItemRow:
    id: int = 0
    key: str = ""
    number: str = ""
    label: str = ""
    state: str = ""
    color: str = ""
    can_upload: bool = False
    needs_new_file: bool = False
    input_id: str = ""
    progress_id: str = ""
    files: list[FileRow] = dataclasses.field(default_factory=list)


def _file_row(f: docs.PortalItemFile) -> FileRow:
    state, color = FILE_STATES.get(f.status.value, ("In review", "blue"))
    return FileRow(
        name=f.original_name,
        size=formatting.file_size(f.size_bytes),
        sent=formatting.day(f.created_at),
        state=state,
        color=color,
        reason=f.review_reason if f.status.value == "rejected" else "",
        href=routes.file_url(routes.FILES_INTAKE, f.id),
    )


class PortalDocumentState(ContactPage, DetailMixin, FormMixin, RecordThreadMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.DOCUMENTS

    title: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    color: rx.Field[str] = rx.field("gray")
    requested_on: rx.Field[str] = rx.field("")
    due_on: rx.Field[str] = rx.field("")
    due_text: rx.Field[str] = rx.field("")
    instructions: rx.Field[str] = rx.field("")
    progress: rx.Field[str] = rx.field("")
    is_open: rx.Field[bool] = rx.field(False)
    closed_note: rx.Field[str] = rx.field("")
    items: rx.Field[list[ItemRow]] = rx.field([])
    limit_label: rx.Field[str] = rx.field("")
    sending_item: rx.Field[int] = rx.field(0)  # the item whose files are being sent (0: none)
    item_errors: rx.Field[dict[str, str]] = rx.field({})  # per item id: what was refused, in words
    _loaded_id: int = 0
    _uploadable: list[int] = []

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        return self._load(session, actor, self._record_id())

    def _load(self, session: Session, actor: ContactActor, request_id: int) -> Events:
        detail = docs.portal_get_document_request_detail(session, actor, request_id)
        req = detail.request
        if req.id != self._loaded_id:
            self._new_form()  # another request: a new form, a new key
            self.item_errors = {}
            self.sending_item = 0
        self._loaded_id = req.id
        self.title = req.title
        self.status, self.color, when = _state(req.status, req.due_on)
        # Next to the date only what it adds ("due today", "overdue by 3 days"), never the same date again.
        self.due_text = "" if when.startswith("due ") and when != "due today" else when
        self.requested_on = formatting.day(req.created_at)
        self.due_on = formatting.day(req.due_on)
        self.instructions = req.description
        self.is_open = req.status in OPEN
        done = sum(1 for i in detail.items if i.state == docs.ITEM_ACCEPTED)
        self.progress = f"{done} of {len(detail.items)} accepted"
        self.closed_note = {
            DocumentRequestStatus.FULFILLED: "This request is complete: every document was accepted. Thank you.",
            DocumentRequestStatus.CANCELLED: "This request was cancelled: no files are needed for it any more.",
        }.get(req.status, "")
        rows = []
        for number, item in enumerate(detail.items, start=1):
            state, color = ITEM_STATES[item.state]
            can_upload = self.is_open and item.id > 0 and item.state != docs.ITEM_ACCEPTED
            rows.append(
                ItemRow(
                    id=item.id,
                    key=f"item-{item.id}-{number}",
                    number=str(number),
                    label=item.label,
                    state=state,
                    color=color,
                    can_upload=can_upload,
                    needs_new_file=item.state == docs.ITEM_REJECTED,
                    input_id=input_id(item.id),
                    progress_id=progress_id(item.id),
                    files=[_file_row(f) for f in item.files],
                )
            )
        self.items = rows
        self._uploadable = [r.id for r in rows if r.can_upload]
        self.limit_label = formatting.file_size(get_settings().upload_max_bytes)
        self._load_thread(session, actor, "document_request", req.id, f"the request “{req.title}”")
        return None

    @event
    def send_files(self, item_id: Any) -> Events:
        """Send the files chosen for one item. The id is only a handle into the items this tab loaded."""
        wanted = parse_id(item_id)
        if wanted is None or wanted not in self._uploadable or self.sending_item:
            return None
        return self._act(lambda session, actor: self._start_upload(session, actor, wanted))

    def _start_upload(self, session: Session, actor: ContactActor, item_id: int) -> Events:
        try:
            docs.portal_item_for_upload(session, actor, item_id)  # still theirs and open (NotFound reloads)
        except Conflict as exc:
            self._load(session, actor, self._loaded_id)
            return rx.toast.info(exc.message)
        limit = get_settings().upload_max_bytes
        options = {
            "url": routes.file_url(routes.FILES_UPLOAD_DOCUMENT, item_id),
            "inputId": input_id(item_id),
            "progressId": progress_id(item_id),
            "key": f"{self._key()}.{item_id}",
            "multiple": True,
            "maxFiles": FILES_MAX,
            "maxBytes": limit,
            "maxLabel": formatting.file_size(limit),
            "notFoundMessage": "This request is no longer available to you. Reload the page and sign in again "
            "if asked.",
        }
        unavailable = {
            "ok": False,
            "field": "",
            "message": "The page is still loading. Try again in a moment.",
        }
        script = (
            f"(window.portalUpload ? window.portalUpload({json.dumps(options)}) "
            f": Promise.resolve({json.dumps(unavailable)}))"
        )
        self.sending_item = item_id
        self.item_errors = {k: v for k, v in self.item_errors.items() if k != str(item_id)}
        return rx.call_script(script, callback=PortalDocumentState.files_sent)

    @event
    def files_sent(self, result: Any) -> Events:
        """The upload route's answers, as the browser hands them back: shown, never trusted for anything else."""
        item_id, self.sending_item = self.sending_item, 0
        if not item_id:
            return None
        self._new_form()  # the next send is new files: a new key (a retry of these would replay the answers)
        ok = result.get("ok") if isinstance(result, dict) else None
        message = result.get("message") if isinstance(result, dict) else None
        if not isinstance(ok, bool) or not isinstance(message, str):
            self.item_errors = {
                **self.item_errors,
                str(item_id): "The upload could not be completed. Try again.",
            }
            return None
        files = result.get("files") if isinstance(result.get("files"), list) else []
        sent = [f for f in files[:FILES_MAX] if isinstance(f, dict) and f.get("ok") is True]
        refused = [
            f"{str(f.get('name', ''))[:120]}: {' '.join(str(f.get('message', '')).split())[:MESSAGE_MAX]}"
            for f in files[:FILES_MAX]
            if isinstance(f, dict) and f.get("ok") is not True
        ]
        if not files and not ok:
            refused = [" ".join(message.split())[:MESSAGE_MAX] or "The file was not accepted."]
        if refused:
            self.item_errors = {**self.item_errors, str(item_id): "\n".join(refused)}
        events: list[Any] = [rx.set_value(input_id(item_id), "")] if sent else []
        if sent:
            count = "1 file" if len(sent) == 1 else f"{len(sent)} files"
            events.append(
                rx.toast.success(f"{count} sent. {team_phrase(self.team_name)} will review and let you know.")
            )
            events.append(PortalDocumentState.reload_items)
        return events or None

    @event
    def reload_items(self) -> Events:
        """The checklist of the request this tab loaded (after files were sent): never another record."""
        loaded = self._loaded_id
        if not loaded:
            return None
        return self._act(lambda session, actor: self._load(session, actor, loaded))


__all__ = ["FileRow", "ItemRow", "PortalDocumentState", "PortalDocumentsState", "RequestRow"]
