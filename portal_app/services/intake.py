"""Review-only intake: documents and payment proof that contacts upload, quarantined until a reviewer decides.

An upload changes nothing but itself (and moves a document request to "submitted"): no payment, no balance.
Each upload is one customer action: the intake row, its follow-up task and its audit event commit together,
and the stored file is removed again when that transaction does not commit. Only reviewers (finance/admin
reviewer, manager, owner) accept or reject; accepting payment proof is what records the payment.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col

from models import (
    Contact,
    CustomerAccount,
    DocumentRequest,
    DocumentRequestItem,
    DocumentRequestStatus,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    TaskStatus,
    utcnow,
)
from models.portal import PortalUpload
from models.schemas import MAX_PAGE_SIZE, IntakeFileRead, Page, ReadModel
from portal_app.services import audit, document_requests, invoices, notify, storage, tasks
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    get_scoped,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, ValidationFailed
from portal_app.services.idempotency import run_customer_action
from portal_app.services.permissions import ContactPermission, Permission
from portal_app.settings import get_settings

OPEN_REQUEST = (DocumentRequestStatus.OPEN, DocumentRequestStatus.SUBMITTED)
PAYABLE = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
MAX_NOTE = 2000
MAX_REASON = 2000
MAX_REFERENCE = 200


def today() -> date:
    return datetime.now(UTC).date()


def _megabytes(size: int) -> str:
    value = size / (1024 * 1024)
    return f"{value:.0f} MB" if value >= 1 else f"{size // 1024} KB"


def _clean_note(note: str) -> str:
    note = str(note or "").strip()
    if len(note) > MAX_NOTE:
        raise ValidationFailed(f"The note must be at most {MAX_NOTE:,} characters.")
    return note


def _check_content(data: bytes) -> str:
    """Size and type, from the content only; returns the sniffed type or raises ``ValidationFailed``."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise ValidationFailed("No file was received.")
    limit = get_settings().upload_max_bytes
    size = len(data)
    if size == 0:
        raise ValidationFailed("The file is empty.")
    if size > limit:
        raise ValidationFailed(f"The file is too large: the limit is {_megabytes(limit)} ({limit:,} bytes).")
    sniffed = storage.classify(bytes(data))
    if sniffed.content_type is None:
        raise ValidationFailed(sniffed.reason)
    return sniffed.content_type


def _check_quota(session: Session, actor: ContactActor, size: int) -> None:
    # Locking the account row serialises an account's concurrent uploads: together they cannot pass the quota.
    get_scoped(session, actor, CustomerAccount, actor.account_id, lock=True)
    used = session.scalar(
        sa.select(sa.func.coalesce(sa.func.sum(col(IntakeFile.size_bytes)), 0)).where(
            col(IntakeFile.workspace_id) == actor.workspace_id, col(IntakeFile.account_id) == actor.account_id
        )
    )
    quota = get_settings().account_quota_bytes
    if int(used or 0) + size > quota:
        raise ValidationFailed(
            f"This upload would exceed your account's storage allowance of {_megabytes(quota)}. "
            "Please contact us before sending more files."
        )


def _present(session: Session, actor: ContactActor) -> Callable[[int], PortalUpload]:
    def present(intake_id: int) -> PortalUpload:
        return PortalUpload.model_validate(get_scoped(session, actor, IntakeFile, intake_id))

    return present


def _committed(session: Session, intake_id: object) -> bool:
    """Whether our intake row is in the database after all (a failure after the commit must keep its file)."""
    if not isinstance(intake_id, int):
        return False
    try:
        session.rollback()
        return (
            session.scalar(sa.select(col(IntakeFile.id)).where(col(IntakeFile.id) == intake_id)) is not None
        )
    except Exception:  # the database is unreachable: the transaction cannot have committed
        return False


def _record_intake(
    session: Session,
    contact: ContactActor,
    kind: IntakeKind,
    links: dict[str, Any],
    *,
    store: Callable[[], str],
    digest: str,
    size: int,
    sniffed: str,
    display_name: str,
    title: str,
    detail: str,
    audit_data: dict[str, object],
) -> int:
    """Quota, private storage, the quarantined row, its follow-up task and audit event (the caller commits).

    ``links`` holds only the kind-specific fields; ownership, file facts and status are set here.
    """
    _check_quota(session, contact, size)
    intake = IntakeFile(
        **links,
        kind=kind,
        workspace_id=contact.workspace_id,
        account_id=contact.account_id,
        contact_id=contact.contact_id,
        storage_key=store(),
        original_name=display_name,
        sniffed_type=sniffed,
        size_bytes=size,
        sha256=digest,
        status=IntakeStatus.AWAITING_REVIEW,
    )
    session.add(intake)
    session.flush()
    assert intake.id is not None
    tasks.open_follow_up(
        session,
        contact,
        trigger=f"intake.{kind.value}",
        source_type="intake_file",
        source_id=intake.id,
        title=title,
        detail=detail,
    )
    audit.append_event(
        session,
        workspace_id=contact.workspace_id,
        actor=contact,
        action=f"intake.{kind.value}_submitted",
        target_type="intake_file",
        target_id=intake.id,
        data={**audit_data, "sniffed_type": sniffed, "size_bytes": size, "sha256": digest},
    )
    return intake.id


def _store_and_run(
    session: Session,
    actor: ContactActor,
    *,
    idempotency_key: str,
    action: str,
    target: tuple[str, int],
    data: bytes,
    build: Callable[[Callable[[], str], str, int], int],
) -> PortalUpload:
    """Run the upload as one customer action; remove the stored file unless its intake row committed.

    ``build(store, sha256, size)`` validates, calls ``store()`` for the storage key, adds the intake row, task
    and audit event and returns the intake id. It runs only when the idempotency key is new, so a retry stores
    nothing.
    """
    content = bytes(data)
    digest = hashlib.sha256(content).hexdigest()
    stored: dict[str, int | str] = {}

    def store() -> str:
        key = storage.save(content)
        stored["key"] = key
        return key

    def perform() -> tuple[str, int]:
        intake_id = build(store, digest, len(content))
        stored["id"] = intake_id
        return "intake_file", intake_id

    try:
        result = run_customer_action(
            session,
            actor,
            idempotency_key=idempotency_key,
            action=action,
            target=target,
            perform=perform,
            present=_present(session, actor),
        )
    except BaseException:
        if "key" in stored and not _committed(session, stored.get("id")):
            storage.delete(str(stored["key"]))
        raise
    # A concurrent duplicate with the same key may have won the race: ours rolled back, so drop our file.
    if "key" in stored and result.id != stored.get("id"):
        storage.delete(str(stored["key"]))
    return result


def submit_document(
    session: Session,
    actor: Actor,
    document_request_id: int,
    *,
    filename: str,
    data: bytes,
    note: str = "",
    idempotency_key: str,
    item_id: int | None = None,
) -> PortalUpload:
    """Upload a file for one checklist item of an open (or already submitted) document request of the contact's
    account.

    Scoped: a contact with ``documents`` on the request's account (``NotFound`` otherwise, and for an
    ``item_id`` that is not one of this request's items). Without ``item_id`` the file is for the request's
    only item (``ValidationFailed`` when it has several). The file is size-limited, type-sniffed, hashed and
    stored privately; the request moves to "submitted" and a follow-up task goes to the reviewers. Raises
    ``ValidationFailed`` (size, type, quota, note) and ``Conflict`` (request closed, item already accepted). A
    retry with the same idempotency key returns the first upload.
    """
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    display_name = storage.sanitize_filename(filename)
    clean_note = _clean_note(note)

    sniffed = _check_content(data)

    def build(store: Callable[[], str], digest: str, size: int) -> int:
        request = get_scoped(session, contact, DocumentRequest, document_request_id, change=True, lock=True)
        if request.status not in OPEN_REQUEST:
            raise Conflict(document_requests.closed_message(request.status))
        item = document_requests.resolve_item(session, request, item_id)
        if item is not None and document_requests.item_accepted(session, item):
            raise Conflict(f"“{item.label}” was already accepted: no other file is needed for it.")
        request.status = DocumentRequestStatus.SUBMITTED
        request.updated_at = utcnow()
        session.add(request)
        what = item.label if item is not None and item.label != request.title else ""
        return _record_intake(
            session,
            contact,
            IntakeKind.DOCUMENT,
            {
                "document_request_id": request.id,
                "document_request_item_id": item.id if item is not None else None,
                "note": clean_note,
            },
            store=store,
            digest=digest,
            size=size,
            sniffed=sniffed,
            display_name=display_name,
            title=f"Review “{what}” for “{request.title}”"
            if what
            else f"Review document for “{request.title}”",
            detail=f"{display_name} ({sniffed}, {size:,} bytes)",
            audit_data={
                "document_request_id": request.id,
                "document_request_item_id": item.id if item is not None else None,
            },
        )

    return _store_and_run(
        session,
        contact,
        idempotency_key=idempotency_key,
        action="intake.document",
        target=("document_request", document_request_id),
        data=data,
        build=build,
    )


def submit_payment_proof(
    session: Session,
    actor: Actor,
    invoice_id: int,
    *,
    filename: str,
    data: bytes,
    claimed_amount_minor: int,
    claimed_paid_on: date | None = None,
    reference: str = "",
    note: str = "",
    idempotency_key: str,
) -> PortalUpload:
    """Upload proof of a payment for an open or partly paid invoice of the contact's account.

    Nothing is paid by this: the proof waits for a reviewer. Scoped: a contact with ``billing`` (drafts and
    other accounts' invoices are ``NotFound``). Raises ``ValidationFailed`` (size, type, quota, amount, date),
    ``Conflict`` when the invoice is not awaiting payment. A retry with the same key returns the first upload.
    """
    contact = require_contact(actor, ContactPermission.BILLING)
    display_name = storage.sanitize_filename(filename)
    clean_note = _clean_note(note)
    clean_reference = " ".join(str(reference or "").split())
    if len(clean_reference) > MAX_REFERENCE:
        raise ValidationFailed(f"The payment reference must be at most {MAX_REFERENCE} characters.")
    if isinstance(claimed_amount_minor, bool) or not isinstance(claimed_amount_minor, int):
        raise ValidationFailed("Enter the amount you paid.")
    if claimed_amount_minor <= 0:
        raise ValidationFailed("The amount paid must be more than zero.")
    if claimed_paid_on is not None:
        if not isinstance(claimed_paid_on, date) or isinstance(claimed_paid_on, datetime):
            raise ValidationFailed("The payment date is not valid.")
        if claimed_paid_on > today() + timedelta(days=1):
            raise ValidationFailed("The payment date cannot be in the future.")

    sniffed = _check_content(data)

    def build(store: Callable[[], str], digest: str, size: int) -> int:
        invoice = get_scoped(session, contact, Invoice, invoice_id, change=True)
        if invoice.status not in PAYABLE:
            state = "already paid" if invoice.status is InvoiceStatus.PAID else "not awaiting payment"
            raise Conflict(f"Invoice {invoice.number} is {state}, so no payment proof is needed.")
        balance = invoice.total_minor - invoice.amount_paid_minor
        if claimed_amount_minor > balance:
            raise ValidationFailed(
                f"The amount is more than the balance due on invoice {invoice.number} "
                f"({balance} minor units)."
            )
        return _record_intake(
            session,
            contact,
            IntakeKind.PAYMENT_PROOF,
            {
                "invoice_id": invoice.id,
                "claimed_amount_minor": claimed_amount_minor,
                "claimed_paid_on": claimed_paid_on,
                "claimed_reference": clean_reference,
                "note": clean_note,
            },
            store=store,
            digest=digest,
            size=size,
            sniffed=sniffed,
            display_name=display_name,
            title=f"Review payment proof for {invoice.number}",
            detail=f"Claimed {claimed_amount_minor} {invoice.currency} minor units; {display_name}",
            audit_data={
                "invoice_id": invoice.id,
                "claimed_amount_minor": claimed_amount_minor,
                "claimed_paid_on": claimed_paid_on,
            },
        )

    return _store_and_run(
        session,
        contact,
        idempotency_key=idempotency_key,
        action="intake.payment_proof",
        target=("invoice", invoice_id),
        data=data,
        build=build,
    )


def _close_tasks(session: Session, staff_actor: Actor, intake: IntakeFile, user_id: int) -> None:
    open_tasks = session.exec(
        scoped_select(staff_actor, FollowUpTask)
        .where(
            col(FollowUpTask.source_type) == "intake_file",
            col(FollowUpTask.source_id) == intake.id,
            col(FollowUpTask.status).in_((TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),
        )
        .with_for_update()
    ).all()
    now = utcnow()
    for task in open_tasks:
        task.status = TaskStatus.DONE
        task.completed_at = now
        task.completed_by_user_id = user_id
        session.add(task)


def _claimed_date(intake: IntakeFile) -> date | None:
    try:
        return intake.claimed_paid_on
    except ValueError:
        return None


def review_intake(
    session: Session,
    actor: Actor,
    intake_id: int,
    *,
    accept: bool,
    reason: str = "",
    received_on: date | None = None,
    amount_minor: int | None = None,
) -> IntakeFileRead:
    """Accept or reject a file that awaits review.

    Scoped: staff with ``intake:review`` (finance/admin reviewer, manager, owner; others get ``Forbidden``)
    in the file's workspace (``NotFound`` otherwise). Accepting payment proof records a payment in the same
    transaction (``amount_minor`` defaults to the claimed amount, ``received_on`` to the claimed date or
    today; it must not exceed the balance); accepting a document fulfils its request once every checklist item has
    an accepted file; rejecting needs a reason (the sender is notified) and reopens the request when no other
    file awaits review. The file's follow-up task is closed. Raises
    ``Conflict`` when the file was already decided or the invoice cannot take the payment, and
    ``ValidationFailed`` for bad input.
    """
    staff = require_staff(actor, Permission.INTAKE_REVIEW)
    reason = str(reason or "").strip()
    if len(reason) > MAX_REASON:
        raise ValidationFailed(f"The reason must be at most {MAX_REASON:,} characters.")
    if not accept and not reason:
        raise ValidationFailed("Give a reason for rejecting the file; the customer will see it.")
    intake = get_scoped(session, staff, IntakeFile, intake_id, change=True, lock=True)
    if intake.status is not IntakeStatus.AWAITING_REVIEW:
        raise Conflict(f"This file was already {intake.status.value.replace('_', ' ')}.")
    assert intake.id is not None

    payment_id: int | None = None
    if intake.kind is IntakeKind.PAYMENT_PROOF:
        if intake.invoice_id is None:
            raise Conflict("This payment proof is not linked to an invoice.")
        if accept:
            already = session.scalar(
                sa.select(col(Payment.id)).where(
                    col(Payment.workspace_id) == staff.workspace_id, col(Payment.intake_file_id) == intake.id
                )
            )
            if already is not None:
                payment_id = already  # recorded earlier by hand from this proof: do not pay twice
            else:
                amount = intake.claimed_amount_minor if amount_minor is None else amount_minor
                if amount is None:
                    raise ValidationFailed("Enter the amount received.")
                invoice = get_scoped(session, staff, Invoice, intake.invoice_id)
                payment = invoices.add_payment(
                    session,
                    staff,
                    intake.invoice_id,
                    amount_minor=amount,
                    currency=invoice.currency,
                    received_on=received_on or _claimed_date(intake) or today(),
                    method="payment_proof",
                    # The contact's own reference is what shows on the bank statement and on their statement.
                    reference=intake.claimed_reference or f"Payment proof #{intake.id}",
                    intake_file_id=intake.id,
                )
                payment_id = payment.id

    intake.status = IntakeStatus.ACCEPTED if accept else IntakeStatus.REJECTED
    intake.reviewer_user_id = staff.user_id
    intake.reviewed_at = utcnow()
    intake.review_reason = reason
    session.add(intake)
    if intake.kind is IntakeKind.DOCUMENT and intake.document_request_id is not None:
        # Fulfilled only once every checklist item has an accepted file; otherwise submitted while a file still
        # awaits review, else open (a rejected item waits for a new file). Closed requests stay as they are.
        request = get_scoped(session, staff, DocumentRequest, intake.document_request_id, lock=True)
        if request.status in OPEN_REQUEST:
            session.flush()
            after = document_requests.status_after_review(session, request)
            if after is not request.status:
                request.status = after
                request.updated_at = utcnow()
                session.add(request)
    if not accept:
        notify.upload_rejected(session, workspace_id=staff.workspace_id, intake_id=intake.id, reason=reason)
    _close_tasks(session, staff, intake, staff.user_id)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="intake.accepted" if accept else "intake.rejected",
        target_type="intake_file",
        target_id=intake.id,
        data={"kind": intake.kind.value, "reason": reason, "payment_id": payment_id},
        account_id=intake.account_id,
    )
    session.commit()
    return IntakeFileRead.model_validate(intake)


def get_intake(session: Session, actor: Actor, intake_id: int) -> IntakeFileRead:
    """One intake file's details. Scoped: staff with ``intake:read`` in its workspace, else ``NotFound``."""
    staff = require_staff(actor, Permission.INTAKE_READ)
    return IntakeFileRead.model_validate(get_scoped(session, staff, IntakeFile, intake_id))


def list_intake(
    session: Session,
    actor: Actor,
    *,
    status: IntakeStatus | None = None,
    kind: IntakeKind | None = None,
    account_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[IntakeFileRead]:
    """One page of the workspace's intake, newest first. Scoped: staff with ``intake:read``."""
    staff = require_staff(actor, Permission.INTAKE_READ)
    query = scoped_select(staff, IntakeFile)
    if status is not None:
        query = query.where(col(IntakeFile.status) == IntakeStatus(status))
    if kind is not None:
        query = query.where(col(IntakeFile.kind) == IntakeKind(kind))
    if account_id is not None:
        query = query.where(col(IntakeFile.account_id) == account_id)
    return Page.fetch(
        session,
        query.order_by(col(IntakeFile.created_at).desc(), col(IntakeFile.id).desc()),
        IntakeFileRead,
        offset=offset,
        limit=limit,
    )


def portal_list_uploads(
    session: Session,
    actor: Actor,
    *,
    document_request_id: int | None = None,
    invoice_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[PortalUpload]:
    """One page of the contact's account's uploads, newest first.

    Scoped: a contact; documents need ``documents`` and payment proof ``billing`` (a contact with neither gets
    ``NotFound``).
    """
    if not isinstance(actor, ContactActor):
        require_contact(actor, ContactPermission.DOCUMENTS)  # raises NotFound for staff and operators
    query = scoped_select(actor, IntakeFile)
    if document_request_id is not None:
        query = query.where(col(IntakeFile.document_request_id) == document_request_id)
    if invoice_id is not None:
        query = query.where(col(IntakeFile.invoice_id) == invoice_id)
    return Page.fetch(
        session,
        query.order_by(col(IntakeFile.created_at).desc(), col(IntakeFile.id).desc()),
        PortalUpload,
        offset=offset,
        limit=limit,
    )


def open_intake_file(session: Session, actor: Actor, intake_id: int) -> tuple[Path, str, str]:
    """``(path, sniffed_type, display_name)`` for the authenticated download route.

    Scoped: staff with ``intake:read`` in the file's workspace, or a contact of the file's account holding
    the permission for its kind. ``NotFound`` otherwise and when the stored file is missing. The route must
    send it as an attachment with ``nosniff``.
    """
    row = get_scoped(session, actor, IntakeFile, intake_id)
    return storage.open_path(row.storage_key), row.sniffed_type, row.original_name


# ---------------------------------------------------------------------------------------------------------------
# The review queue


class ReviewItem(ReadModel):
    """One file awaiting a reviewer's decision, with what the queue shows of its account, contact and record."""

    id: int
    kind: IntakeKind
    account_id: int
    account_name: str
    contact_name: str
    contact_email: str
    invoice_id: int | None
    invoice_number: str  # "" for a document
    currency: str  # the invoice's currency ("" for a document)
    balance_due_minor: int | None  # the invoice's balance now (None for a document)
    document_request_id: int | None
    request_title: str  # "" for payment proof
    item_label: str = ""  # the checklist item the document is for ("" for payment proof and older requests)
    claimed_amount_minor: int | None
    claimed_paid_on: date | None
    claimed_reference: str
    note: str
    original_name: str
    size_bytes: int
    sniffed_type: str
    created_at: datetime


def _queue_filter(staff: StaffActor, kind: IntakeKind | str | None, account_id: int | None) -> list[Any]:
    where: list[Any] = [
        col(IntakeFile.workspace_id) == staff.workspace_id,
        col(IntakeFile.status) == IntakeStatus.AWAITING_REVIEW,
    ]
    if kind is not None:
        where.append(col(IntakeFile.kind) == IntakeKind(kind))
    if account_id is not None:
        where.append(col(IntakeFile.account_id) == account_id)
    return where


def review_queue_count(
    session: Session, actor: Actor, *, kind: IntakeKind | str | None = None, account_id: int | None = None
) -> int:
    """How many files await review in the actor's workspace (one query).

    Scoped like ``review_queue``: staff with ``intake:review`` (``Forbidden`` for other roles, ``NotFound``
    for contacts and operators).
    """
    return int(session.scalar(review_queue_count_query(actor, kind=kind, account_id=account_id)) or 0)


def review_queue_count_query(
    actor: Actor, *, kind: IntakeKind | str | None = None, account_id: int | None = None
) -> Any:
    """``review_queue_count`` as a statement (the staff navigation asks for all its badges in one)."""
    staff = require_staff(actor, Permission.INTAKE_REVIEW)
    return sa.select(sa.func.count()).select_from(IntakeFile).where(*_queue_filter(staff, kind, account_id))


def review_queue(
    session: Session,
    actor: Actor,
    *,
    kind: IntakeKind | str | None = None,
    account_id: int | None = None,
    offset: int = 0,
    limit: int = 20,
) -> Page[ReviewItem]:
    """One page of the files awaiting review, oldest first, each with its account, contact and record.

    Scoped: staff with ``intake:review`` in their workspace (``Forbidden`` for other roles, ``NotFound`` for
    contacts and operators); ``account_id`` is only a filter, another workspace's account finds nothing.
    Two queries whatever the page size: the count and one joined select (every joined row is held to the same
    workspace as well).
    """
    staff = require_staff(actor, Permission.INTAKE_REVIEW)
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    where = _queue_filter(staff, kind, account_id)
    total = int(session.scalar(sa.select(sa.func.count()).select_from(IntakeFile).where(*where)) or 0)
    # One joined select for the page (typed loosely: sqlmodel's ``exec`` overloads stop at fewer columns).
    query: Any = (
        sa.select(
            IntakeFile,
            col(CustomerAccount.name),
            col(Contact.name),
            col(Contact.email),
            col(Invoice.number),
            col(Invoice.currency),
            col(Invoice.total_minor),
            col(Invoice.amount_paid_minor),
            col(DocumentRequest.title),
            col(DocumentRequestItem.label),
        )
        .join(
            CustomerAccount,
            sa.and_(
                col(CustomerAccount.id) == col(IntakeFile.account_id),
                col(CustomerAccount.workspace_id) == col(IntakeFile.workspace_id),
            ),
        )
        .join(
            Contact,
            sa.and_(
                col(Contact.id) == col(IntakeFile.contact_id),
                col(Contact.workspace_id) == col(IntakeFile.workspace_id),
            ),
        )
        .outerjoin(
            Invoice,
            sa.and_(
                col(Invoice.id) == col(IntakeFile.invoice_id),
                col(Invoice.workspace_id) == col(IntakeFile.workspace_id),
            ),
        )
        .outerjoin(
            DocumentRequest,
            sa.and_(
                col(DocumentRequest.id) == col(IntakeFile.document_request_id),
                col(DocumentRequest.workspace_id) == col(IntakeFile.workspace_id),
            ),
        )
        .outerjoin(
            DocumentRequestItem,
            sa.and_(
                col(DocumentRequestItem.id) == col(IntakeFile.document_request_item_id),
                col(DocumentRequestItem.workspace_id) == col(IntakeFile.workspace_id),
            ),
        )
        .where(*where)
        .order_by(col(IntakeFile.created_at).asc(), col(IntakeFile.id).asc())
        .offset(offset)
        .limit(limit)
    )
    items: list[ReviewItem] = []
    for row in session.exec(query).all():
        file, account_name, contact_name, contact_email, number, currency, total_minor, paid, title, label = (
            row
        )
        assert file.id is not None
        items.append(
            ReviewItem(
                id=file.id,
                kind=file.kind,
                account_id=file.account_id,
                account_name=account_name,
                contact_name=contact_name,
                contact_email=contact_email,
                invoice_id=file.invoice_id,
                invoice_number=number or "",
                currency=currency or "",
                balance_due_minor=None if total_minor is None else total_minor - (paid or 0),
                document_request_id=file.document_request_id,
                request_title=title or "",
                item_label=label or "",
                claimed_amount_minor=file.claimed_amount_minor,
                claimed_paid_on=_claimed_date(file),
                claimed_reference=file.claimed_reference,
                note=file.note,
                original_name=file.original_name,
                size_bytes=file.size_bytes,
                sniffed_type=file.sniffed_type,
                created_at=file.created_at,
            )
        )
    return Page[ReviewItem](items=items, total=total, offset=offset, limit=limit)
