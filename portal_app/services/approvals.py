"""Approval requests: staff ask a customer account to approve something; a contact approves, declines or asks
for changes. The contact's answer is a customer action: decision + follow-up task + audit event in one
transaction, retried safely with an idempotency key, decided exactly once under concurrency.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date
from typing import Any, cast

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import ApprovalRequest, ApprovalStatus, AuditEvent, Contact, CustomerAccount, Estimate, utcnow
from models.portal import PortalApproval
from models.schemas import ApprovalRead, Page
from portal_app.services import audit, notify
from portal_app.services.access import (
    Actor,
    StaffActor,
    account_names,
    get_scoped,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, ValidationFailed
from portal_app.services.idempotency import run_customer_action
from portal_app.services.permissions import ContactPermission, Permission
from portal_app.services.tasks import member_names, open_follow_up

TITLE_MAX = 200
TEXT_MAX = 4000
SEARCH_MAX = 100


class ApprovalView(ApprovalRead):
    """An approval request as staff pages show it: the names behind its ids and the record it is about."""

    account_name: str = ""
    requested_by_name: str = ""
    decided_by_name: str = ""  # the contact who answered
    estimate_id: int | None = None  # the linked estimate, if the request named one
    estimate_label: str = ""  # "EST-0007 Website redesign"


# What a contact may answer, and the status each answer leads to.
DECISIONS: dict[str, ApprovalStatus] = {
    "approve": ApprovalStatus.APPROVED,
    "decline": ApprovalStatus.DECLINED,
    "request_changes": ApprovalStatus.CHANGES_REQUESTED,
}
_NOTE_REQUIRED = frozenset({ApprovalStatus.DECLINED, ApprovalStatus.CHANGES_REQUESTED})
_DECISION_LABELS: dict[ApprovalStatus, str] = {
    ApprovalStatus.APPROVED: "approved",
    ApprovalStatus.DECLINED: "declined",
    ApprovalStatus.CHANGES_REQUESTED: "changes requested",
}
_STATE_MESSAGES: dict[ApprovalStatus, str] = {
    ApprovalStatus.APPROVED: "This request has already been approved.",
    ApprovalStatus.DECLINED: "This request has already been declined.",
    ApprovalStatus.CHANGES_REQUESTED: "Changes have already been requested for this request.",
    ApprovalStatus.CANCELLED: "This request was withdrawn by the team.",
}


def _title(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed("A title is required.")
    if len(value) > TITLE_MAX:
        raise ValidationFailed(f"The title must be at most {TITLE_MAX} characters.")
    return value


def _text(value: str, *, what: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{what} is required.")
    if len(value) > TEXT_MAX:
        raise ValidationFailed(f"{what} must be at most {TEXT_MAX} characters.")
    return value


def _conflict_for(status: ApprovalStatus) -> Conflict:
    return Conflict(_STATE_MESSAGES.get(status, "This request can no longer be answered."))


# ----------------------------------------------------------------------------------------------------
# Staff


def create_approval_request(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    title: str,
    description: str = "",
    due_on: date | None = None,
    internal_notes: str = "",
    estimate_id: int | None = None,
) -> ApprovalRead:
    """Ask an account of the staff member's workspace for an approval (``approvals:manage``).

    The account is looked up in the actor's workspace. ``estimate_id`` optionally links the request to one of
    that account's estimates; the link is recorded in the request's ``approval.created`` audit event (the table
    has no link column yet), so it is as permanent as the audit trail. Raises ``NotFound`` (account or estimate
    missing or not in the workspace), ``Forbidden`` (role), ``Conflict`` (archived account),
    ``ValidationFailed`` (title/text, an estimate of another account).
    """
    staff = require_staff(actor, Permission.APPROVALS_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    if account.archived:
        raise Conflict("This account is archived.")
    assert account.id is not None
    if estimate_id is not None:
        estimate = get_scoped(session, staff, Estimate, estimate_id)
        if estimate.account_id != account.id:
            raise ValidationFailed(f"Estimate {estimate.number} belongs to another account.")
    approval = ApprovalRequest(
        workspace_id=staff.workspace_id,
        account_id=account.id,
        title=_title(title),
        description=_text(description, what="The description"),
        due_on=due_on,
        internal_notes=_text(internal_notes, what="The internal notes"),
        requested_by_user_id=staff.user_id,
    )
    session.add(approval)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="approval.created",
        target_type="approval",
        target_id=approval.id,
        data={"account_id": account.id, "estimate_id": estimate_id},
    )
    assert approval.id is not None
    notify.record_shared(
        session,
        workspace_id=staff.workspace_id,
        account_id=account.id,
        kind="approval",
        record_id=approval.id,
        title=approval.title,
    )
    session.commit()
    return ApprovalRead.model_validate(approval)


def cancel_approval_request(session: Session, actor: Actor, approval_id: int) -> ApprovalRead:
    """Withdraw a pending approval request (pending → cancelled), scoped to the staff member's workspace.

    The row is locked, so a concurrent contact answer and a cancellation cannot both win. Raises ``NotFound``,
    ``Forbidden`` (role) or ``Conflict`` (no longer pending).
    """
    staff = require_staff(actor, Permission.APPROVALS_MANAGE)
    approval = get_scoped(session, staff, ApprovalRequest, approval_id, change=True, lock=True)
    if approval.status is not ApprovalStatus.PENDING:
        raise _conflict_for(approval.status)
    approval.status = ApprovalStatus.CANCELLED
    session.add(approval)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="approval.cancelled",
        target_type="approval",
        target_id=approval.id,
        account_id=approval.account_id,
    )
    session.commit()
    return ApprovalRead.model_validate(approval)


def get_approval(session: Session, actor: Actor, approval_id: int) -> ApprovalView:
    """One approval request of the staff member's workspace (``approvals:read``) with its names, the contact who
    answered and the linked estimate; ``NotFound`` otherwise."""
    staff = require_staff(actor, Permission.APPROVALS_READ)
    row = get_scoped(session, staff, ApprovalRequest, approval_id)
    view = _describe(session, staff, [ApprovalRead.model_validate(row)])[0]
    people = member_names(session, staff, [row.requested_by_user_id] if row.requested_by_user_id else [])
    decided_by = ""
    if row.decided_by_contact_id is not None:
        contact = session.exec(
            scoped_select(staff, Contact).where(Contact.id == row.decided_by_contact_id)
        ).first()
        decided_by = (contact.name or contact.email) if contact else "A former contact"
    estimate_id, estimate_label = _linked_estimate(session, staff, row)
    return view.model_copy(
        update={
            "requested_by_name": people.get(row.requested_by_user_id or 0, ""),
            "decided_by_name": decided_by,
            "estimate_id": estimate_id,
            "estimate_label": estimate_label,
        }
    )


def _linked_estimate(session: Session, staff: StaffActor, row: ApprovalRequest) -> tuple[int | None, str]:
    """The estimate named when the request was created (read from its creation event), if still in scope."""
    created = session.exec(
        select(AuditEvent.data).where(
            AuditEvent.workspace_id == staff.workspace_id,
            AuditEvent.target_type == "approval",
            AuditEvent.target_id == row.id,
            AuditEvent.action == "approval.created",
        )
    ).first()
    linked = json.loads(created or "{}").get("estimate_id")
    if not isinstance(linked, int):
        return None, ""
    estimate = session.exec(
        scoped_select(staff, Estimate).where(Estimate.id == linked, Estimate.account_id == row.account_id)
    ).first()
    if estimate is None:
        return None, ""
    return linked, f"{estimate.number} {estimate.title}"


def _describe(session: Session, staff: StaffActor, rows: Sequence[ApprovalRead]) -> list[ApprovalView]:
    names = account_names(session, staff.workspace_id, {r.account_id for r in rows})
    return [ApprovalView(**r.model_dump(), account_name=names.get(r.account_id, "")) for r in rows]


def list_approvals(
    session: Session,
    actor: Actor,
    *,
    status: ApprovalStatus | None = None,
    account_id: int | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 25,
) -> Page[ApprovalView]:
    """One page of the workspace's approval requests, newest first (``approvals:read``), with account names.

    ``account_id`` only narrows within the workspace: an id from another workspace yields an empty page.
    ``search`` matches the title, case-insensitively. Filtered and paged in the database.
    """
    staff = require_staff(actor, Permission.APPROVALS_READ)
    query = scoped_select(staff, ApprovalRequest)
    if account_id is not None:
        query = query.where(ApprovalRequest.account_id == account_id)
    if status is not None:
        query = query.where(ApprovalRequest.status == status)
    term = " ".join(search.split())[:SEARCH_MAX].lower()
    if term:
        escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(sa.func.lower(ApprovalRequest.title).like(f"%{escaped}%", escape="\\"))
    query = query.order_by(col(ApprovalRequest.created_at).desc(), col(ApprovalRequest.id).desc())
    page = Page.fetch(session, query, ApprovalRead, offset=offset, limit=limit, small=account_id is not None)
    return Page[ApprovalView](
        items=_describe(session, staff, page.items), total=page.total, offset=page.offset, limit=page.limit
    )


# ----------------------------------------------------------------------------------------------------
# Portal (contacts)


def _portal_view(session: Session, actor: Actor, approval_id: int, *, fresh: bool = False) -> PortalApproval:
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    approval = get_scoped(session, contact, ApprovalRequest, approval_id)
    if fresh:
        # A replayed answer may meet a copy loaded before the decision: show what is committed now.
        session.refresh(approval)
    return PortalApproval.model_validate(approval)


def portal_get_approval(session: Session, actor: Actor, approval_id: int) -> PortalApproval:
    """One approval request of the contact's account (operations permission); ``NotFound`` otherwise."""
    return _portal_view(session, actor, approval_id)


def portal_list_approvals(
    session: Session,
    actor: Actor,
    *,
    status: ApprovalStatus | None = None,
    offset: int = 0,
    limit: int = 25,
    waiting_first: bool = False,
) -> Page[PortalApproval]:
    """One page of the contact's account's approval requests, newest first (operations permission).

    ``waiting_first`` puts pending requests on top. ``NotFound`` without operations permission.
    """
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    query = scoped_select(contact, ApprovalRequest)
    if status is not None:
        query = query.where(ApprovalRequest.status == status)
    order: list[Any] = [col(ApprovalRequest.created_at).desc(), col(ApprovalRequest.id).desc()]
    if waiting_first:
        order.insert(0, sa.case((col(ApprovalRequest.status) == ApprovalStatus.PENDING, 0), else_=1))
    return Page.fetch(session, query.order_by(*order), PortalApproval, offset=offset, limit=limit)


def portal_pending_approvals(session: Session, actor: Actor, *, limit: int = 3) -> Page[PortalApproval]:
    """The contact's account's requests waiting for an answer, nearest due date first (undated last).

    Scoped to the contact's account and operations permission (``NotFound`` otherwise); ``total`` counts all
    of them, ``items`` holds at most ``limit``.
    """
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    query = (
        scoped_select(contact, ApprovalRequest)
        .where(ApprovalRequest.status == ApprovalStatus.PENDING)
        .order_by(col(ApprovalRequest.due_on).is_(None), col(ApprovalRequest.due_on), col(ApprovalRequest.id))
    )
    return Page.fetch(session, query, PortalApproval, offset=0, limit=limit)


def respond_to_approval(
    session: Session,
    actor: Actor,
    approval_id: int,
    *,
    decision: str,
    note: str = "",
    idempotency_key: str,
) -> PortalApproval:
    """A contact answers a pending approval request of their own account (operations permission).

    ``decision`` is ``"approve"``, ``"decline"`` or ``"request_changes"``; the last two need a note. The
    decision, its follow-up task and its audit event commit together. The status changes only through a
    conditional UPDATE (``WHERE status = 'pending'``), so of many concurrent answers exactly one wins; the
    others get ``Conflict``. A retry with the same idempotency key returns the first result, creating nothing.
    Raises ``NotFound`` (not a contact with operations on the approval's account, or missing),
    ``ValidationFailed`` (decision, note, key) or ``Conflict`` (not pending any more).
    """
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    new_status = DECISIONS.get(decision)
    if new_status is None:
        raise ValidationFailed("Choose approve, decline or request changes.")
    note = _text(
        note,
        what="A note explaining your answer" if new_status in _NOTE_REQUIRED else "The note",
        required=new_status in _NOTE_REQUIRED,
    )

    def perform() -> tuple[str, int]:
        approval = get_scoped(session, contact, ApprovalRequest, approval_id, change=True)
        assert approval.id is not None
        result = session.execute(
            sa.update(ApprovalRequest)
            .where(
                col(ApprovalRequest.id) == approval.id,
                col(ApprovalRequest.workspace_id) == contact.workspace_id,
                col(ApprovalRequest.account_id) == contact.account_id,
                col(ApprovalRequest.status) == ApprovalStatus.PENDING,
            )
            .values(
                status=new_status,
                decided_by_contact_id=contact.contact_id,
                decision_note=note,
                decided_at=utcnow(),
            )
            .execution_options(synchronize_session=False)
        )
        session.refresh(approval)
        if cast(Any, result).rowcount != 1:
            raise _conflict_for(approval.status)
        task = open_follow_up(
            session,
            contact,
            trigger=f"approval.{new_status.value}",
            source_type="approval",
            source_id=approval.id,
            title=f"Approval {_DECISION_LABELS[new_status]}: {approval.title}",
            detail=note,
        )
        audit.append_event(
            session,
            workspace_id=contact.workspace_id,
            actor=contact,
            action=f"approval.{new_status.value}",
            target_type="approval",
            target_id=approval.id,
            data={"account_id": contact.account_id, "note_length": len(note), "task_id": task.id},
        )
        return "approval", approval.id

    return run_customer_action(
        session,
        contact,
        idempotency_key=idempotency_key,
        # The id in the action makes a key reused for another approval a conflict, not a silent replay.
        action=f"approval.respond:{approval_id}",
        perform=perform,
        present=lambda result_id: _portal_view(session, contact, result_id, fresh=True),
    )
