"""Document requests: staff ask a customer account for a document; contacts with the documents permission
see them in the portal and answer with uploads (written by ``intake``, which moves a request to submitted and
fulfilled).
"""

from __future__ import annotations

from datetime import date

from sqlmodel import Session, col

from models import CustomerAccount, DocumentRequest, DocumentRequestStatus, utcnow
from models.portal import PortalDocumentRequest
from models.schemas import DocumentRequestRead, Page
from portal_app.services import audit
from portal_app.services.access import Actor, get_scoped, require_contact, require_staff, scoped_select
from portal_app.services.errors import Conflict, ValidationFailed
from portal_app.services.permissions import ContactPermission, Permission

TITLE_MAX = 200
TEXT_MAX = 4000

_CANCELLABLE = frozenset({DocumentRequestStatus.OPEN, DocumentRequestStatus.SUBMITTED})
_STATE_MESSAGES: dict[DocumentRequestStatus, str] = {
    DocumentRequestStatus.FULFILLED: "This request is already fulfilled.",
    DocumentRequestStatus.CANCELLED: "This request is already cancelled.",
}


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


# ----------------------------------------------------------------------------------------------------
# Staff


def create_document_request(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    title: str,
    description: str = "",
    due_on: date | None = None,
    internal_notes: str = "",
) -> DocumentRequestRead:
    """Ask an account of the staff member's workspace for a document (``documents:manage``); starts open.

    Raises ``NotFound`` (account missing or in another workspace), ``Forbidden`` (role), ``Conflict``
    (archived account), ``ValidationFailed`` (title/text).
    """
    staff = require_staff(actor, Permission.DOCUMENTS_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    if account.archived:
        raise Conflict("This account is archived.")
    assert account.id is not None
    request = DocumentRequest(
        workspace_id=staff.workspace_id,
        account_id=account.id,
        title=_title(title),
        description=_text(description, what="The description"),
        due_on=due_on,
        internal_notes=_text(internal_notes, what="The internal notes"),
        requested_by_user_id=staff.user_id,
    )
    session.add(request)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="document_request.created",
        target_type="document_request",
        target_id=request.id,
        data={"account_id": account.id},
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
    )
    session.commit()
    return DocumentRequestRead.model_validate(request)


def get_document_request(session: Session, actor: Actor, request_id: int) -> DocumentRequestRead:
    """One document request of the staff member's workspace (``documents:read``); ``NotFound`` otherwise."""
    staff = require_staff(actor, Permission.DOCUMENTS_READ)
    return DocumentRequestRead.model_validate(get_scoped(session, staff, DocumentRequest, request_id))


def list_document_requests(
    session: Session,
    actor: Actor,
    *,
    status: DocumentRequestStatus | None = None,
    account_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[DocumentRequestRead]:
    """One page of the workspace's document requests, newest first (``documents:read``).

    ``account_id`` only narrows within the workspace: an id from another workspace yields an empty page.
    """
    staff = require_staff(actor, Permission.DOCUMENTS_READ)
    query = scoped_select(staff, DocumentRequest)
    if account_id is not None:
        query = query.where(DocumentRequest.account_id == account_id)
    if status is not None:
        query = query.where(DocumentRequest.status == status)
    query = query.order_by(col(DocumentRequest.created_at).desc(), col(DocumentRequest.id).desc())
    return Page.fetch(session, query, DocumentRequestRead, offset=offset, limit=limit)


# ----------------------------------------------------------------------------------------------------
# Portal (contacts)


def portal_get_document_request(session: Session, actor: Actor, request_id: int) -> PortalDocumentRequest:
    """One document request of the contact's account (documents permission); ``NotFound`` otherwise."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    return PortalDocumentRequest.model_validate(get_scoped(session, contact, DocumentRequest, request_id))


def portal_list_document_requests(
    session: Session,
    actor: Actor,
    *,
    status: DocumentRequestStatus | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[PortalDocumentRequest]:
    """One page of the contact's account's document requests, newest first (documents permission)."""
    contact = require_contact(actor, ContactPermission.DOCUMENTS)
    query = scoped_select(contact, DocumentRequest)
    if status is not None:
        query = query.where(DocumentRequest.status == status)
    query = query.order_by(col(DocumentRequest.created_at).desc(), col(DocumentRequest.id).desc())
    return Page.fetch(session, query, PortalDocumentRequest, offset=offset, limit=limit)
