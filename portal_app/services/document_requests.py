"""Document requests: staff ask a customer account for documents as a checklist of items; contacts with the
documents permission see them in the portal and answer each item with one or more uploads (written by ``intake``,
which moves a request to submitted, and to fulfilled once every item has an accepted file).

Item states, from the item's files: ``missing`` (no file yet), ``in_review`` (a file awaits a reviewer),
``accepted`` (a file was accepted: the item is done) and ``rejected`` (every file sent was rejected: a new file is
needed). A request created before checklists existed has no items: its files show under one item that stands for
the request (id 0), and a single accepted file fulfils it, as before.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, date, datetime
from typing import Any

import sqlalchemy as sa
from pydantic import BaseModel, ConfigDict
from sqlmodel import Session, col, select

from models import (
    Contact,
    CustomerAccount,
    DocumentRequest,
    DocumentRequestItem,
    DocumentRequestStatus,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    User,
    utcnow,
)
from models.portal import PortalDocumentRequest
from models.schemas import MAX_PAGE_SIZE, DocumentRequestRead, Page, ReadModel
from portal_app.services import audit, notify
from portal_app.services.access import (
    Actor,
    ContactActor,
    get_scoped,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.permissions import ContactPermission, Permission

TITLE_MAX = 200
TEXT_MAX = 4000
ITEM_MAX = 200
ITEMS_MAX = 20
FILES_SHOWN = (
    200  # the newest files of one request a detail page shows (uploads are bounded by the quota anyway)
)

OPEN_STATUSES = (DocumentRequestStatus.OPEN, DocumentRequestStatus.SUBMITTED)
CLOSED_STATUSES = (DocumentRequestStatus.FULFILLED, DocumentRequestStatus.CANCELLED)
_CANCELLABLE = frozenset(OPEN_STATUSES)
_STATE_MESSAGES: dict[DocumentRequestStatus, str] = {
    DocumentRequestStatus.FULFILLED: "This request is already fulfilled.",
    DocumentRequestStatus.CANCELLED: "This request is already cancelled.",
}

# An item's state, from its files.
ITEM_MISSING = "missing"
ITEM_IN_REVIEW = "in_review"
ITEM_ACCEPTED = "accepted"
ITEM_REJECTED = "rejected"  # every file sent was rejected: it needs a new file
_WAITING = (IntakeStatus.RECEIVED, IntakeStatus.AWAITING_REVIEW)


def today() -> date:
    return datetime.now(UTC).date()


def _title(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed("A title is required.")
    if len(value) > TITLE_MAX:
        raise ValidationFailed(f"The title must be at most {TITLE_MAX} characters.")
    return value


def _text(value: str, *, what: str) -> str:
    value = (value or "").strip()
    if len(value) > TEXT_MAX:
        raise ValidationFailed(f"{what} must be at most {TEXT_MAX} characters.")
    return value


def clean_items(items: Sequence[str]) -> list[str]:
    """The checklist's labels, trimmed: 1 to 20, each 1 to 200 characters, no two alike (ignoring case).

    Raises ``ValidationFailed`` naming the item ("Item 2 …") so a form can show it under that row.
    """
    if isinstance(items, str) or not isinstance(items, Sequence):
        raise ValidationFailed("The checklist must be a list of items.")
    labels: list[str] = []
    seen: set[str] = set()
    for number, raw in enumerate(items, start=1):
        label = " ".join(raw.split()) if isinstance(raw, str) else ""
        if not label:
            raise ValidationFailed(f"Item {number} needs a label: say which document you need.")
        if len(label) > ITEM_MAX:
            raise ValidationFailed(f"Item {number} must be at most {ITEM_MAX} characters.")
        if label.casefold() in seen:
            raise ValidationFailed(f"Item {number} repeats an earlier item: each item must be different.")
        seen.add(label.casefold())
        labels.append(label)
    if not labels:
        raise ValidationFailed("Add at least one item to the checklist.")
    if len(labels) > ITEMS_MAX:
        raise ValidationFailed(f"A request can have at most {ITEMS_MAX} items.")
    return labels


def closed_message(status: DocumentRequestStatus) -> str:
    """Why a closed request takes no more files, in the contact's words."""
    if status is DocumentRequestStatus.CANCELLED:
        return "This document request is closed: it was cancelled, so no files are needed for it any more."
    return "This document request is closed: every document was accepted, so no more files are needed."


def item_state(statuses: Sequence[IntakeStatus]) -> str:
    """``accepted`` > ``in_review`` > ``rejected`` > ``missing``, from the statuses of an item's files."""
    if IntakeStatus.ACCEPTED in statuses:
        return ITEM_ACCEPTED
    if any(s in _WAITING for s in statuses):
        return ITEM_IN_REVIEW
    return ITEM_REJECTED if statuses else ITEM_MISSING


# ----------------------------------------------------------------------------------------------------
# What the pages read


class ItemFile(ReadModel):
    """One file sent for an item, as staff see it."""

    id: int
    original_name: str
    size_bytes: int
    sniffed_type: str
    status: IntakeStatus
    review_reason: str
    note: str
    contact_name: str
    created_at: datetime
    reviewed_at: datetime | None


class RequestItem(ReadModel):
    id: int  # 0: the request itself (a request from before checklists)
    position: int
    label: str
    state: str
    files: list[ItemFile]


class DocumentRequestSummary(ReadModel):
    """A row of the staff list: the request, its account's name and how far the checklist is."""

    id: int
    account_id: int
    account_name: str
    title: str
    status: DocumentRequestStatus
    due_on: date | None
    created_at: datetime
    items_total: int
    items_done: int
    files_waiting: int


class DocumentRequestDetail(ReadModel):
    request: DocumentRequestRead
    account_name: str
    requested_by: str
    items: list[RequestItem]

    @property
    def items_done(self) -> int:
        return sum(1 for i in self.items if i.state == ITEM_ACCEPTED)

    @property
    def files_waiting(self) -> int:
        return sum(1 for i in self.items for f in i.files if f.status in _WAITING)


class _PortalModel(BaseModel):
    model_config = ConfigDict(from_attributes=True, frozen=True, extra="ignore")


class PortalItemFile(_PortalModel):
    """One file the account sent for an item: no reviewer, no internal type details."""

    id: int
    original_name: str
    size_bytes: int
    status: IntakeStatus
    review_reason: str  # the team's reason, only when not accepted
    created_at: datetime


class PortalRequestItem(_PortalModel):
    id: int
    position: int
    label: str
    state: str
    files: list[PortalItemFile]


class PortalDocumentRequestSummary(_PortalModel):
    id: int
    title: str
    status: DocumentRequestStatus
    due_on: date | None
    created_at: datetime
    items_total: int
    items_done: int


class PortalDocumentRequestDetail(_PortalModel):
    request: PortalDocumentRequest
    items: list[PortalRequestItem]


# ----------------------------------------------------------------------------------------------------
# Items (shared by the staff and portal reads and by ``intake``)


def list_items(session: Session, workspace_id: int, request_id: int) -> list[DocumentRequestItem]:
    """The checklist of a request the caller has already scoped, in order."""
    return list(
        session.exec(
            select(DocumentRequestItem)
            .where(
                col(DocumentRequestItem.workspace_id) == workspace_id,
                col(DocumentRequestItem.request_id) == request_id,
            )
            .order_by(col(DocumentRequestItem.position), col(DocumentRequestItem.id))
        ).all()
    )


def resolve_item(
    session: Session, request: DocumentRequest, item_id: int | None
) -> DocumentRequestItem | None:
    """The item a file is for: ``item_id`` must be one of ``request``'s items (already scoped by the caller).

    Without ``item_id``: the request's only item, or None for a request without a checklist. Raises
    ``NotFound`` for an item of another request (or none), ``ValidationFailed`` when the request has several
    items and none was named.
    """
    assert request.id is not None
    if item_id is not None:
        if isinstance(item_id, bool) or not isinstance(item_id, int):
            raise NotFound()
        item = session.exec(
            select(DocumentRequestItem).where(
                col(DocumentRequestItem.id) == item_id,
                col(DocumentRequestItem.workspace_id) == request.workspace_id,
                col(DocumentRequestItem.request_id) == request.id,
            )
        ).first()
        if item is None:
            raise NotFound()
        return item
    items = list_items(session, request.workspace_id, request.id)
    if len(items) > 1:
        raise ValidationFailed("Choose which item of the checklist this file is for.")
    return items[0] if items else None


def item_accepted(session: Session, item: DocumentRequestItem) -> bool:
    return (
        session.scalar(
            sa.select(col(IntakeFile.id))
            .where(
                col(IntakeFile.workspace_id) == item.workspace_id,
                col(IntakeFile.document_request_item_id) == item.id,
                col(IntakeFile.status) == IntakeStatus.ACCEPTED,
            )
            .limit(1)
        )
        is not None
    )


def status_after_review(session: Session, request: DocumentRequest) -> DocumentRequestStatus:
    """Where an open or submitted request stands after a decision was flushed: fulfilled when every item has an
    accepted file (a request without a checklist: when any file is accepted), else submitted while a file awaits
    review, else open (a rejected file waits for a new one)."""
    assert request.id is not None
    files = _scope_files(request.workspace_id, request.id)
    items = list_items(session, request.workspace_id, request.id)
    if items:
        done = session.scalar(
            sa.select(sa.func.count(sa.distinct(col(IntakeFile.document_request_item_id)))).where(
                *files,
                col(IntakeFile.document_request_item_id).in_([i.id for i in items]),
                col(IntakeFile.status) == IntakeStatus.ACCEPTED,
            )
        )
        complete = int(done or 0) == len(items)
    else:
        complete = bool(
            session.scalar(
                sa.select(sa.func.count()).where(*files, col(IntakeFile.status) == IntakeStatus.ACCEPTED)
            )
        )
    if complete:
        return DocumentRequestStatus.FULFILLED
    waiting = session.scalar(sa.select(sa.func.count()).where(*files, col(IntakeFile.status).in_(_WAITING)))
    return DocumentRequestStatus.SUBMITTED if waiting else DocumentRequestStatus.OPEN


def _scope_files(workspace_id: int, request_id: int) -> list[Any]:
    return [
        col(IntakeFile.workspace_id) == workspace_id,
        col(IntakeFile.document_request_id) == request_id,
        col(IntakeFile.kind) == IntakeKind.DOCUMENT,
    ]


def _item_files(
    session: Session, request: DocumentRequest
) -> tuple[list[DocumentRequestItem], dict[int, list[tuple[IntakeFile, str]]]]:
    """The request's items and, per item id (0 for files without an item), its files oldest first with the
    sender's name. Two queries."""
    assert request.id is not None
    items = list_items(session, request.workspace_id, request.id)
    query: Any = (
        sa.select(IntakeFile, col(Contact.name), col(Contact.email))
        .join(
            Contact,
            sa.and_(
                col(Contact.id) == col(IntakeFile.contact_id),
                col(Contact.workspace_id) == col(IntakeFile.workspace_id),
            ),
        )
        .where(
            *_scope_files(request.workspace_id, request.id), col(IntakeFile.account_id) == request.account_id
        )
        .order_by(col(IntakeFile.created_at).desc(), col(IntakeFile.id).desc())
        .limit(FILES_SHOWN)
    )
    known = {i.id for i in items}
    files: dict[int, list[tuple[IntakeFile, str]]] = defaultdict(list)
    for file, name, email in reversed(session.exec(query).all()):
        item_id = file.document_request_item_id
        files[item_id if item_id in known and item_id is not None else 0].append((file, name or email or ""))
    return items, files


def _checklist(
    request: DocumentRequest, items: list[DocumentRequestItem], files: dict[int, list[tuple[IntakeFile, str]]]
) -> list[tuple[int, int, str, list[tuple[IntakeFile, str]]]]:
    """(id, position, label, files) per item; a request without a checklist is one item standing for itself."""
    rows = [(i.id or 0, i.position, i.label, files.get(i.id or 0, [])) for i in items]
    if not items:
        rows = [(0, 1, request.title, files.get(0, []))]
    return rows


def _progress(
    session: Session, workspace_id: int, request_ids: Sequence[int]
) -> dict[int, tuple[int, int, int]]:
    """Per request id: (items, items with an accepted file, files awaiting review). Three queries."""
    ids = list(request_ids)
    if not ids:
        return {}
    totals = dict(
        session.exec(  # type: ignore[call-overload]
            sa.select(col(DocumentRequestItem.request_id), sa.func.count())
            .where(
                col(DocumentRequestItem.workspace_id) == workspace_id,
                col(DocumentRequestItem.request_id).in_(ids),
            )
            .group_by(col(DocumentRequestItem.request_id))
        ).all()
    )
    base = [
        col(IntakeFile.workspace_id) == workspace_id,
        col(IntakeFile.document_request_id).in_(ids),
        col(IntakeFile.kind) == IntakeKind.DOCUMENT,
    ]
    done_rows = session.exec(  # type: ignore[call-overload]
        sa.select(
            col(IntakeFile.document_request_id),
            sa.func.count(sa.distinct(col(IntakeFile.document_request_item_id))),
            sa.func.count(),
        )
        .where(*base, col(IntakeFile.status) == IntakeStatus.ACCEPTED)
        .group_by(col(IntakeFile.document_request_id))
    ).all()
    done = {rid: (items, files) for rid, items, files in done_rows}
    waiting = dict(
        session.exec(  # type: ignore[call-overload]
            sa.select(col(IntakeFile.document_request_id), sa.func.count())
            .where(*base, col(IntakeFile.status).in_(_WAITING))
            .group_by(col(IntakeFile.document_request_id))
        ).all()
    )
    result: dict[int, tuple[int, int, int]] = {}
    for rid in ids:
        total = int(totals.get(rid, 0))
        items_done, files_done = done.get(rid, (0, 0))
        if total == 0:  # no checklist: the request is its one item
            total, items_done = 1, 1 if files_done else 0
        result[rid] = (total, min(int(items_done), total), int(waiting.get(rid, 0)))
    return result


# ----------------------------------------------------------------------------------------------------
# Staff


def create_document_request(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    title: str,
    items: Sequence[str] | None = None,
    description: str = "",
    due_on: date | None = None,
    internal_notes: str = "",
) -> DocumentRequestRead:
    """Ask an account of the staff member's workspace for documents (``documents:manage``); starts open.

    ``items`` is the checklist (1-20 labels of 1-200 characters, trimmed, no duplicates); without it the request
    has one item, its title. The account's contacts with ``documents`` are notified in the same transaction.
    Raises ``NotFound`` (account missing or in another workspace), ``Forbidden`` (role), ``Conflict``
    (archived account), ``ValidationFailed`` (title, items, text, due date).
    """
    staff = require_staff(actor, Permission.DOCUMENTS_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    if account.archived:
        raise Conflict("This account is archived.")
    assert account.id is not None
    clean_title = _title(title)
    labels = clean_items([clean_title] if items is None else items)
    if due_on is not None and (not isinstance(due_on, date) or isinstance(due_on, datetime)):
        raise ValidationFailed("The due date is not valid.")
    request = DocumentRequest(
        workspace_id=staff.workspace_id,
        account_id=account.id,
        title=clean_title,
        description=_text(description, what="The instructions"),
        due_on=due_on,
        internal_notes=_text(internal_notes, what="The internal notes"),
        requested_by_user_id=staff.user_id,
    )
    session.add(request)
    session.flush()
    assert request.id is not None
    for position, label in enumerate(labels, start=1):
        session.add(
            DocumentRequestItem(
                workspace_id=staff.workspace_id, request_id=request.id, position=position, label=label
            )
        )
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="document_request.created",
        target_type="document_request",
        target_id=request.id,
        data={"account_id": account.id, "items": len(labels)},
    )
    notify.document_requested(
        session,
        workspace_id=staff.workspace_id,
        account_id=account.id,
        request_id=request.id,
        title=clean_title,
    )
    session.commit()
    return DocumentRequestRead.model_validate(request)


def cancel_document_request(session: Session, actor: Actor, request_id: int) -> DocumentRequestRead:
    """Withdraw an open or submitted request (→ cancelled), scoped to the staff member's workspace.

    Files already uploaded against it stay in intake for review. Raises ``NotFound``, ``Forbidden`` (role) or
    ``Conflict`` (already fulfilled or cancelled).
    """
    staff = require_staff(actor, Permission.DOCUMENTS_MANAGE)
    request = get_scoped(session, staff, DocumentRequest, request_id, change=True, lock=True)
    if request.status not in _CANCELLABLE:
        raise Conflict(_STATE_MESSAGES.get(request.status, "This request can no longer be cancelled."))
    previous = request.status
    request.status = DocumentRequestStatus.CANCELLED
    request.updated_at = utcnow()
    session.add(request)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="document_request.cancelled",
        target_type="document_request",
        target_id=request.id,
        data={"from": previous.value},
        account_id=request.account_id,
    )
    session.commit()
    return DocumentRequestRead.model_validate(request)


def get_document_request(session: Session, actor: Actor, request_id: int) -> DocumentRequestRead:
    """One document request of the staff member's workspace (``documents:read``); ``NotFound`` otherwise."""
    staff = require_staff(actor, Permission.DOCUMENTS_READ)
    return DocumentRequestRead.model_validate(get_scoped(session, staff, DocumentRequest, request_id))


def get_document_request_detail(session: Session, actor: Actor, request_id: int) -> DocumentRequestDetail:
    """A request of the staff member's workspace with its account, who asked, and each item with its files
    (name, size, type, state, reason, when) and state (``documents:read``). ``NotFound`` otherwise. Five
    queries."""
    staff = require_staff(actor, Permission.DOCUMENTS_READ)
    request = get_scoped(session, staff, DocumentRequest, request_id)
    account = get_scoped(session, staff, CustomerAccount, request.account_id)
    asker = session.get(User, request.requested_by_user_id) if request.requested_by_user_id else None
    items, files = _item_files(session, request)
    return DocumentRequestDetail(
        request=DocumentRequestRead.model_validate(request),
        account_name=account.name,
        requested_by=(asker.name or asker.email) if asker else "",
        items=[
            RequestItem(
                id=item_id,
                position=position,
                label=label,
                state=item_state([f.status for f, _ in sent]),
                files=[
                    ItemFile(
                        id=f.id or 0,
                        original_name=f.original_name,
                        size_bytes=f.size_bytes,
                        sniffed_type=f.sniffed_type,
                        status=f.status,
                        review_reason=f.review_reason,
                        note=f.note,
                        contact_name=sender,
                        created_at=f.created_at,
                        reviewed_at=f.reviewed_at,
                    )
                    for f, sender in sent
                ],
            )
            for item_id, position, label, sent in _checklist(request, items, files)
        ],
    )


def _overdue(today_: date) -> Any:
    return sa.and_(
        col(DocumentRequest.status).in_(OPEN_STATUSES),
        col(DocumentRequest.due_on).is_not(None),
        col(DocumentRequest.due_on) < today_,
    )


def list_document_requests(
    session: Session,
    actor: Actor,
    *,
    status: DocumentRequestStatus | None = None,
    account_id: int | None = None,
    overdue_first: bool = False,
    past_due: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[DocumentRequestRead]:
    """One page of the workspace's document requests, newest first (``documents:read``); with
    ``overdue_first``, open or submitted requests past their due date come first, the longest overdue first;
    ``past_due`` keeps only those.

    ``account_id`` only narrows within the workspace: an id from another workspace yields an empty page.
    """
    staff = require_staff(actor, Permission.DOCUMENTS_READ)
    query = scoped_select(staff, DocumentRequest)
    if account_id is not None:
        query = query.where(DocumentRequest.account_id == account_id)
    if status is not None:
        query = query.where(DocumentRequest.status == DocumentRequestStatus(status))
    if past_due:
        query = query.where(_overdue(today()))
    if overdue_first:
        late = _overdue(today())
        query = query.order_by(
            sa.case((late, 0), else_=1), sa.case((late, col(DocumentRequest.due_on)), else_=None)
        )
    query = query.order_by(col(DocumentRequest.created_at).desc(), col(DocumentRequest.id).desc())
    return Page.fetch(
        session, query, DocumentRequestRead, offset=offset, limit=limit, small=account_id is not None
    )


def list_document_request_summaries(
    session: Session,
    actor: Actor,
    *,
    status: DocumentRequestStatus | None = None,
    account_id: int | None = None,
    overdue_first: bool = False,
    past_due: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[DocumentRequestSummary]:
    """``list_document_requests`` with each row's account name and checklist progress ("2 of 3" items done,
    files awaiting review), for the staff list. Scoped the same way; six queries whatever the page size."""
    page = list_document_requests(
        session,
        actor,
        status=status,
        account_id=account_id,
        overdue_first=overdue_first,
        past_due=past_due,
        offset=offset,
        limit=limit,
    )
    staff = require_staff(actor, Permission.DOCUMENTS_READ)
    ids = [r.id for r in page.items]
    progress = _progress(session, staff.workspace_id, ids)
    account_ids = sorted({r.account_id for r in page.items})
    names = (
        dict(
            session.exec(  # type: ignore[call-overload]
                sa.select(col(CustomerAccount.id), col(CustomerAccount.name)).where(
                    col(CustomerAccount.workspace_id) == staff.workspace_id,
                    col(CustomerAccount.id).in_(account_ids),
                )
            ).all()
        )
        if account_ids
        else {}
    )
    items = []
    for r in page.items:
        total, done, waiting = progress.get(r.id, (1, 0, 0))
        items.append(
            DocumentRequestSummary(
                id=r.id,
                account_id=r.account_id,
                account_name=names.get(r.account_id, ""),
                title=r.title,
                status=r.status,
                due_on=r.due_on,
                created_at=r.created_at,
                items_total=total,
                items_done=done,
                files_waiting=waiting,
            )
        )
    return Page[DocumentRequestSummary](items=items, total=page.total, offset=page.offset, limit=page.limit)


def account_choices(session: Session, actor: Actor, *, limit: int = MAX_PAGE_SIZE) -> list[tuple[int, str]]:
    """(id, name) of the workspace's accounts that can be asked for documents (not archived), by name
    (``documents:manage``)."""
    staff = require_staff(actor, Permission.DOCUMENTS_MANAGE)
    rows = session.exec(  # type: ignore[call-overload]
        sa.select(col(CustomerAccount.id), col(CustomerAccount.name))
        .where(
            col(CustomerAccount.workspace_id) == staff.workspace_id, col(CustomerAccount.archived).is_(False)
        )
        .order_by(col(CustomerAccount.name), col(CustomerAccount.id))
        .limit(max(1, min(int(limit), MAX_PAGE_SIZE)))
    ).all()
    return [(int(i), str(n)) for i, n in rows]


# ----------------------------------------------------------------------------------------------------
# Portal (contacts)


def portal_get_document_request(session: Session, actor: Actor, request_id: int) -> PortalDocumentRequest:
    """One document request of the contact's account (documents permission); ``NotFound`` otherwise."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    return PortalDocumentRequest.model_validate(get_scoped(session, contact, DocumentRequest, request_id))


def portal_get_document_request_detail(
    session: Session, actor: Actor, request_id: int
) -> PortalDocumentRequestDetail:
    """A request of the contact's account with its checklist: each item's state and the files the account sent
    for it (with the team's reason when one was not accepted). No internal notes, reviewers or other accounts.
    Scoped: a contact with ``documents`` (``NotFound`` otherwise)."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    request = get_scoped(session, contact, DocumentRequest, request_id)
    items, files = _item_files(session, request)
    return PortalDocumentRequestDetail(
        request=PortalDocumentRequest.model_validate(request),
        items=[
            PortalRequestItem(
                id=item_id,
                position=position,
                label=label,
                state=item_state([f.status for f, _ in sent]),
                files=[
                    PortalItemFile(
                        id=f.id or 0,
                        original_name=f.original_name,
                        size_bytes=f.size_bytes,
                        status=f.status,
                        review_reason=f.review_reason if f.status is IntakeStatus.REJECTED else "",
                        created_at=f.created_at,
                    )
                    for f, _ in sent
                ],
            )
            for item_id, position, label, sent in _checklist(request, items, files)
        ],
    )


class PortalItemTarget(_PortalModel):
    """What an upload to one checklist item needs to know before the file is read."""

    request_id: int
    item_id: int
    label: str


def portal_item_for_upload(session: Session, actor: Actor, item_id: int) -> PortalItemTarget:
    """The checklist item a contact is about to send a file for, if it still takes files.

    Scoped: a contact with ``documents`` whose account the item's request belongs to (``NotFound`` otherwise:
    missing, another account's or another workspace's item alike). Raises ``Conflict`` when the request is
    closed (fulfilled or cancelled) or the item already has an accepted file. ``intake.submit_document`` checks
    all of it again in its own transaction.
    """
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    if isinstance(item_id, bool) or not isinstance(item_id, int):
        raise NotFound()
    row = session.exec(
        scoped_select(contact, DocumentRequest)
        .join(
            DocumentRequestItem,
            sa.and_(
                col(DocumentRequestItem.request_id) == col(DocumentRequest.id),
                col(DocumentRequestItem.workspace_id) == col(DocumentRequest.workspace_id),
            ),
        )
        .where(col(DocumentRequestItem.id) == item_id)
    ).first()
    if row is None:
        raise NotFound()
    assert row.id is not None
    item = resolve_item(session, row, item_id)
    assert item is not None and item.id is not None
    if row.status not in OPEN_STATUSES:
        raise Conflict(closed_message(row.status))
    if item_accepted(session, item):
        raise Conflict(f"“{item.label}” was already accepted: no other file is needed for it.")
    return PortalItemTarget(request_id=row.id, item_id=item.id, label=item.label)


def _portal_query(contact: ContactActor, status: DocumentRequestStatus | None, open_first: bool) -> Any:
    query = scoped_select(contact, DocumentRequest)
    if status is not None:
        query = query.where(DocumentRequest.status == DocumentRequestStatus(status))
    if open_first:
        query = query.order_by(
            sa.case((col(DocumentRequest.status).in_(OPEN_STATUSES), 0), else_=1),
            sa.case((col(DocumentRequest.due_on).is_(None), 1), else_=0),
            col(DocumentRequest.due_on),
        )
    return query.order_by(col(DocumentRequest.created_at).desc(), col(DocumentRequest.id).desc())


def portal_list_document_requests(
    session: Session,
    actor: Actor,
    *,
    status: DocumentRequestStatus | None = None,
    open_first: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[PortalDocumentRequest]:
    """One page of the contact's account's document requests, newest first (documents permission); with
    ``open_first``, open and submitted ones first, the soonest due first."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    return Page.fetch(
        session, _portal_query(contact, status, open_first), PortalDocumentRequest, offset=offset, limit=limit
    )


def portal_list_document_request_summaries(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> Page[PortalDocumentRequestSummary]:
    """The contact's account's requests, open first and soonest due first, each with "2 of 3" items done.
    Scoped: a contact with ``documents`` (``NotFound`` otherwise); five queries whatever the page size."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    page = Page.fetch(
        session, _portal_query(contact, None, True), PortalDocumentRequest, offset=offset, limit=limit
    )
    progress = _progress(session, contact.workspace_id, [r.id for r in page.items])
    items = []
    for r in page.items:
        total, done, _ = progress.get(r.id, (1, 0, 0))
        items.append(
            PortalDocumentRequestSummary(
                id=r.id,
                title=r.title,
                status=r.status,
                due_on=r.due_on,
                created_at=r.created_at,
                items_total=total,
                items_done=done,
            )
        )
    return Page[PortalDocumentRequestSummary](
        items=items, total=page.total, offset=page.offset, limit=page.limit
    )


__all__ = [
    "ITEM_ACCEPTED",
    "ITEM_IN_REVIEW",
    "ITEM_MISSING",
    "ITEM_REJECTED",
    "DocumentRequestDetail",
    "DocumentRequestSummary",
    "ItemFile",
    "PortalDocumentRequestDetail",
    "PortalDocumentRequestSummary",
    "PortalItemFile",
    "PortalItemTarget",
    "PortalRequestItem",
    "RequestItem",
    "account_choices",
    "cancel_document_request",
    "clean_items",
    "closed_message",
    "create_document_request",
    "get_document_request",
    "get_document_request_detail",
    "item_state",
    "list_document_request_summaries",
    "list_document_requests",
    "portal_get_document_request",
    "portal_get_document_request_detail",
    "portal_item_for_upload",
    "portal_list_document_request_summaries",
    "portal_list_document_requests",
    "resolve_item",
    "status_after_review",
]


def portal_open_count(session: Session, actor: Actor) -> int:
    """How many of the contact's account's requests still wait for files or a review (open or submitted); one
    query. Scoped: a contact with ``documents`` (``NotFound`` otherwise)."""
    return int(session.scalar(portal_open_count_query(actor)) or 0)


def portal_open_count_query(actor: Actor) -> sa.Select[Any]:
    """``portal_open_count``'s statement, to be run alone or with other counts (``badges.portal_glance``)."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    query = scoped_select(contact, DocumentRequest).where(col(DocumentRequest.status).in_(OPEN_STATUSES))
    return sa.select(sa.func.count()).select_from(query.subquery())
