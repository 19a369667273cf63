"""Message threads between a customer account and the team.

Bodies are stored as the text that was typed (stripped, never interpreted) and rendered as text. Internal
notes are staff-only: portal reads exclude them and they do not move a thread's ``last_message_at``, which
contacts see.
A contact's message is a customer action: message + follow-up task + audit event in one transaction.
"""

from __future__ import annotations

from typing import Any

from sqlmodel import Session, SQLModel, col, select

from models import (
    ApprovalRequest,
    CustomerAccount,
    Delivery,
    DocumentRequest,
    Estimate,
    Invoice,
    Message,
    MessageThread,
    utcnow,
)
from models.portal import PortalMessage, PortalThread
from models.schemas import MessageRead, Page, ThreadRead
from portal_app.services import audit
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    get_scoped,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.idempotency import run_customer_action
from portal_app.services.permissions import ContactPermission, Permission
from portal_app.services.tasks import open_follow_up

BODY_MAX = 8000
SUBJECT_MAX = 200
_PREVIEW = 200

# The records a thread may be about; each is checked with the actor's own scope for that kind.
SOURCE_MODELS: dict[str, type[SQLModel]] = {
    "estimate": Estimate,
    "invoice": Invoice,
    "approval": ApprovalRequest,
    "document_request": DocumentRequest,
    "delivery": Delivery,
}


def _body(value: str) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationFailed("Please write a message.")
    if len(value) > BODY_MAX:
        raise ValidationFailed(f"A message must be at most {BODY_MAX} characters.")
    return value


def _subject(value: str) -> str:
    value = " ".join((value or "").split())
    if not value:
        raise ValidationFailed("A subject is required.")
    if len(value) > SUBJECT_MAX:
        raise ValidationFailed(f"The subject must be at most {SUBJECT_MAX} characters.")
    return value


def _source(
    session: Session,
    actor: StaffActor | ContactActor,
    account_id: int,
    source_type: str,
    source_id: int | None,
) -> tuple[str, int | None]:
    """The record a thread is about must be one the actor may read, of the thread's account."""
    source_type = (source_type or "").strip()
    if not source_type and source_id is None:
        return "", None
    model = SOURCE_MODELS.get(source_type)
    if model is None or source_id is None:
        raise ValidationFailed("That conversation topic is not recognised.")
    record = get_scoped(session, actor, model, source_id)
    if getattr(record, "account_id", None) != account_id:
        raise ValidationFailed("That record belongs to another account.")
    return source_type, source_id


def _preview(body: str) -> str:
    flat = " ".join(body.split())
    return flat if len(flat) <= _PREVIEW else flat[: _PREVIEW - 1] + "…"


def _portal_messages_query(contact: ContactActor, thread_id: int) -> Any:
    """Customer-visible messages of one thread, already checked to be the contact's: never internal notes."""
    return select(
        Message.id,
        Message.body,
        col(Message.author_user_id).is_not(None).label("from_team"),
        Message.created_at,
    ).where(
        Message.thread_id == thread_id,
        Message.workspace_id == contact.workspace_id,
        Message.account_id == contact.account_id,
        col(Message.internal).is_(False),
    )


# ----------------------------------------------------------------------------------------------------
# Staff


def start_thread(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    subject: str,
    body: str,
    source_type: str = "",
    source_id: int | None = None,
) -> ThreadRead:
    """Open a thread with an account of the staff member's workspace, with a first (customer-visible) message.

    Needs ``messages:send``; the account and the optional source record are looked up in the actor's scope.
    Raises ``NotFound`` (account or source not in the workspace), ``Forbidden`` (role), ``Conflict`` (archived
    account), ``ValidationFailed`` (subject, body, source of another account).
    """
    staff = require_staff(actor, Permission.MESSAGES_SEND)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    if account.archived:
        raise Conflict("This account is archived.")
    assert account.id is not None
    subject = _subject(subject)
    body = _body(body)
    source_type, source_id = _source(session, staff, account.id, source_type, source_id)
    now = utcnow()
    thread = MessageThread(
        workspace_id=staff.workspace_id,
        account_id=account.id,
        subject=subject,
        source_type=source_type,
        source_id=source_id,
        created_at=now,
        last_message_at=now,
    )
    session.add(thread)
    session.flush()
    assert thread.id is not None
    message = Message(
        workspace_id=staff.workspace_id,
        account_id=account.id,
        thread_id=thread.id,
        author_user_id=staff.user_id,
        body=body,
        created_at=now,
    )
    session.add(message)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="message_thread.started",
        target_type="message_thread",
        target_id=thread.id,
        data={
            "account_id": account.id,
            "message_id": message.id,
            "body_length": len(body),
            "source_type": source_type,
            "source_id": source_id,
        },
    )
    session.commit()
    return ThreadRead.model_validate(thread)


def post_staff_message(
    session: Session, actor: Actor, thread_id: int, *, body: str, internal: bool = False
) -> MessageRead:
    """Reply in a thread of the staff member's workspace (``messages:send``), or add an internal note.

    Internal notes never reach the portal and leave ``last_message_at`` alone. Raises ``NotFound``,
    ``Forbidden`` (role) or ``ValidationFailed`` (body).
    """
    staff = require_staff(actor, Permission.MESSAGES_SEND)
    body = _body(body)
    thread = get_scoped(session, staff, MessageThread, thread_id, change=True)
    assert thread.id is not None
    now = utcnow()
    message = Message(
        workspace_id=staff.workspace_id,
        account_id=thread.account_id,
        thread_id=thread.id,
        author_user_id=staff.user_id,
        body=body,
        internal=internal,
        created_at=now,
    )
    session.add(message)
    if not internal:
        thread.last_message_at = now
        session.add(thread)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="message.internal_note" if internal else "message.posted",
        target_type="message_thread",
        target_id=thread.id,
        data={"message_id": message.id, "body_length": len(body), "internal": internal},
    )
    session.commit()
    return MessageRead.model_validate(message)


def get_thread(session: Session, actor: Actor, thread_id: int) -> ThreadRead:
    """One thread of the staff member's workspace (``messages:read``); ``NotFound`` otherwise."""
    staff = require_staff(actor, Permission.MESSAGES_READ)
    return ThreadRead.model_validate(get_scoped(session, staff, MessageThread, thread_id))


def list_threads(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[ThreadRead]:
    """One page of the workspace's threads, most recent activity first (``messages:read``).

    ``account_id`` narrows to one account of the workspace; another workspace's id yields an empty page.
    """
    staff = require_staff(actor, Permission.MESSAGES_READ)
    query = scoped_select(staff, MessageThread)
    if account_id is not None:
        query = query.where(MessageThread.account_id == account_id)
    query = query.order_by(col(MessageThread.last_message_at).desc(), col(MessageThread.id).desc())
    return Page.fetch(session, query, ThreadRead, offset=offset, limit=limit)


def get_thread_messages(
    session: Session, actor: Actor, thread_id: int, *, offset: int = 0, limit: int = 50
) -> Page[MessageRead]:
    """One page of a thread's messages in the staff member's workspace, oldest first, internal notes included.

    Raises ``NotFound`` for a thread outside the workspace.
    """
    staff = require_staff(actor, Permission.MESSAGES_READ)
    thread = get_scoped(session, staff, MessageThread, thread_id)
    query = (
        select(Message)
        .where(Message.thread_id == thread.id, Message.workspace_id == staff.workspace_id)
        .order_by(col(Message.created_at), col(Message.id))
    )
    return Page.fetch(session, query, MessageRead, offset=offset, limit=limit)


# ----------------------------------------------------------------------------------------------------
# Portal (contacts)


def _portal_thread(session: Session, contact: ContactActor, thread_id: int) -> PortalThread:
    thread = get_scoped(session, contact, MessageThread, thread_id)
    session.refresh(thread)
    return PortalThread.model_validate(thread)


def _portal_message(
    session: Session, contact: ContactActor, thread_id: int, message_id: int
) -> PortalMessage:
    thread = get_scoped(session, contact, MessageThread, thread_id)
    assert thread.id is not None
    row = session.exec(_portal_messages_query(contact, thread.id).where(Message.id == message_id)).first()
    if row is None:
        raise NotFound()
    return PortalMessage.model_validate(row)


def portal_get_thread(session: Session, actor: Actor, thread_id: int) -> PortalThread:
    """One thread of the contact's account; ``NotFound`` otherwise."""
    contact = require_contact(actor, ContactPermission.MESSAGES)
    return PortalThread.model_validate(get_scoped(session, contact, MessageThread, thread_id))


def portal_list_threads(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> Page[PortalThread]:
    """One page of the contact's account's threads, most recent customer-visible activity first."""
    contact = require_contact(actor, ContactPermission.MESSAGES)
    query = scoped_select(contact, MessageThread).order_by(
        col(MessageThread.last_message_at).desc(), col(MessageThread.id).desc()
    )
    return Page.fetch(session, query, PortalThread, offset=offset, limit=limit)


def portal_get_thread_messages(
    session: Session, actor: Actor, thread_id: int, *, offset: int = 0, limit: int = 50
) -> Page[PortalMessage]:
    """One page of a thread of the contact's account, oldest first, without internal notes.

    ``from_team`` marks staff messages. Raises ``NotFound`` for a thread of another account or workspace.
    """
    contact = require_contact(actor, ContactPermission.MESSAGES)
    thread = get_scoped(session, contact, MessageThread, thread_id)
    assert thread.id is not None
    query = _portal_messages_query(contact, thread.id).order_by(col(Message.created_at), col(Message.id))
    return Page.fetch(session, query, PortalMessage, offset=offset, limit=limit)


def _contact_message(session: Session, contact: ContactActor, thread: MessageThread, body: str) -> Message:
    """Add a contact's message, its follow-up task and its audit event to the caller's transaction."""
    assert thread.id is not None
    now = utcnow()
    message = Message(
        workspace_id=contact.workspace_id,
        account_id=contact.account_id,
        thread_id=thread.id,
        author_contact_id=contact.contact_id,
        body=body,
        created_at=now,
    )
    session.add(message)
    thread.last_message_at = now
    session.add(thread)
    session.flush()
    task = open_follow_up(
        session,
        contact,
        trigger="message.posted",
        source_type="message_thread",
        source_id=thread.id,
        title=f"New message: {thread.subject}",
        detail=_preview(body),
    )
    audit.append_event(
        session,
        workspace_id=contact.workspace_id,
        actor=contact,
        action="message.posted",
        target_type="message_thread",
        target_id=thread.id,
        # Never the body itself: its length is enough to reconstruct what happened.
        data={"message_id": message.id, "body_length": len(body), "task_id": task.id},
    )
    return message


def portal_start_thread(
    session: Session,
    actor: Actor,
    *,
    subject: str,
    body: str,
    idempotency_key: str,
    source_type: str = "",
    source_id: int | None = None,
) -> PortalThread:
    """A contact opens a thread with the team for their account, optionally about a record they can see.

    Thread + first message + follow-up task + audit event commit together; a retry with the same key returns
    the first thread. Raises ``NotFound`` (not a contact, or the source is outside their scope) or
    ``ValidationFailed``.
    """
    contact = require_contact(actor, ContactPermission.MESSAGES)
    subject = _subject(subject)
    body = _body(body)

    def perform() -> tuple[str, int]:
        src_type, src_id = _source(session, contact, contact.account_id, source_type, source_id)
        now = utcnow()
        thread = MessageThread(
            workspace_id=contact.workspace_id,
            account_id=contact.account_id,
            subject=subject,
            source_type=src_type,
            source_id=src_id,
            created_at=now,
            last_message_at=now,
        )
        session.add(thread)
        session.flush()
        assert thread.id is not None
        _contact_message(session, contact, thread, body)
        return "message_thread", thread.id

    return run_customer_action(
        session,
        contact,
        idempotency_key=idempotency_key,
        action="message.start_thread",
        perform=perform,
        present=lambda result_id: _portal_thread(session, contact, result_id),
    )


def portal_post_message(
    session: Session, actor: Actor, thread_id: int, *, body: str, idempotency_key: str
) -> PortalMessage:
    """A contact posts in a thread of their own account.

    Message + follow-up task (``message.posted``) + audit event (body length only) commit together and bump
    the thread's ``last_message_at``; a retry with the same key returns the first message. Raises ``NotFound``
    (thread of another account or workspace) or ``ValidationFailed`` (body, key).
    """
    contact = require_contact(actor, ContactPermission.MESSAGES)
    body = _body(body)

    def perform() -> tuple[str, int]:
        thread = get_scoped(session, contact, MessageThread, thread_id, change=True)
        message = _contact_message(session, contact, thread, body)
        assert message.id is not None
        return "message", message.id

    return run_customer_action(
        session,
        contact,
        idempotency_key=idempotency_key,
        # The thread id in the action makes a key reused for another thread a conflict, not a silent replay.
        action=f"message.post:{thread_id}",
        perform=perform,
        present=lambda result_id: _portal_message(session, contact, thread_id, result_id),
    )
