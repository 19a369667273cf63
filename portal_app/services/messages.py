"""Message threads between a customer account and the team.

Bodies are stored as the text that was typed (stripped, never interpreted) and rendered as text. Internal
notes are staff-only: portal reads exclude them and they do not move a thread's ``last_message_at``, which
contacts see.
A contact's message is a customer action: message + follow-up task + audit event in one transaction.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased
from sqlmodel import Session, SQLModel, col, select

from models import (
    ApprovalRequest,
    Contact,
    CustomerAccount,
    Delivery,
    DocumentRequest,
    Estimate,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    Message,
    MessageThread,
    TaskStatus,
    ThreadSeen,
    User,
    utcnow,
)
from models.portal import PortalMessage, PortalModel, PortalThread
from models.schemas import MAX_PAGE_SIZE, MessageRead, Page, ReadModel, ThreadRead, fetch_rows
from portal_app.services import audit, notify
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    get_scoped,
    remembered,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.idempotency import run_customer_action
from portal_app.services.permissions import ContactPermission, Permission, role_has
from portal_app.services.tasks import OPEN_STATUSES, open_follow_up

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

    Needs ``messages:send``; the account and the optional source record are looked up in the actor's scope. The
    account's contacts are mailed (``notify.staff_replied``); the thread counts as read by its starter.
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
    assert message.id is not None
    _mark_seen(session, staff, thread.id, now)
    notify.staff_replied(session, workspace_id=staff.workspace_id, thread_id=thread.id, message_id=message.id)
    session.commit()
    return ThreadRead.model_validate(thread)


def post_staff_message(
    session: Session, actor: Actor, thread_id: int, *, body: str, internal: bool = False
) -> MessageRead:
    """Reply in a thread of the staff member's workspace (``messages:send``), or add an internal note.

    Internal notes never reach the portal, leave ``last_message_at`` alone and send no mail. A reply (customer
    visible) closes the open follow-up tasks the thread's customer messages raised, in the same transaction and
    audited (answering the message is what the task asked for), and mails the account's contacts. Raises
    ``NotFound``, ``Forbidden`` (role) or ``ValidationFailed`` (body).
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
        account_id=thread.account_id,
    )
    assert message.id is not None
    if not internal:
        _close_answered_tasks(session, staff, thread.id, message.id)
        notify.staff_replied(
            session, workspace_id=staff.workspace_id, thread_id=thread.id, message_id=message.id
        )
    _mark_seen(session, staff, thread.id, now)
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
    return Page.fetch(session, query, ThreadRead, offset=offset, limit=limit, small=account_id is not None)


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
    return Page.fetch(session, query, MessageRead, offset=offset, limit=limit, small=True)  # one thread


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
    return Page.fetch(session, query, PortalMessage, offset=offset, limit=limit, small=True)  # one thread


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
    _mark_seen(session, contact, thread.id, now)
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


# ----------------------------------------------------------------------------------------------------
# Reading state, answered tasks, record labels


def _mark_seen(session: Session, reader: StaffActor | ContactActor, thread_id: int, at: datetime) -> None:
    """Record that ``reader`` has read ``thread_id`` up to ``at`` (the caller commits). One row per reader."""
    where: list[Any] = [
        col(ThreadSeen.workspace_id) == reader.workspace_id,
        col(ThreadSeen.thread_id) == thread_id,
    ]
    if isinstance(reader, StaffActor):
        where.append(col(ThreadSeen.user_id) == reader.user_id)
        new = ThreadSeen(workspace_id=reader.workspace_id, thread_id=thread_id, user_id=reader.user_id)
    else:
        where.append(col(ThreadSeen.contact_id) == reader.contact_id)
        new = ThreadSeen(workspace_id=reader.workspace_id, thread_id=thread_id, contact_id=reader.contact_id)
    # The usual case, one statement: the reader's row exists and is older. Nothing updated: no row yet (insert
    # it), or one as new (the insert meets the unique key and changes nothing).
    moved = session.execute(  # type: ignore[deprecated]
        sa.update(ThreadSeen).where(*where, col(ThreadSeen.seen_at) < at).values(seen_at=at)
    )
    if moved.rowcount:  # type: ignore[attr-defined]
        return
    new.seen_at = at
    try:
        with session.begin_nested():  # a second tab of the same reader may insert first: theirs is as good
            session.add(new)
    except IntegrityError:
        pass


def mark_thread_seen(session: Session, actor: Actor, thread_id: int) -> None:
    """The staff member or contact has now read the thread (scoped like a read of it; ``NotFound`` otherwise)."""
    if isinstance(actor, ContactActor):
        reader: StaffActor | ContactActor = require_contact(actor, ContactPermission.MESSAGES)
    else:
        reader = require_staff(actor, Permission.MESSAGES_READ)
    thread = get_scoped(session, reader, MessageThread, thread_id)
    assert thread.id is not None
    _mark_seen(session, reader, thread.id, utcnow())
    session.commit()


def _close_answered_tasks(session: Session, staff: StaffActor, thread_id: int, message_id: int) -> list[int]:
    """Close the open follow-ups raised by this thread's customer messages: the reply answers them.

    Only for a member who may work tasks; each closure is audited like a task marked done, naming the reply.
    """
    if not role_has(staff.role, Permission.TASKS_MANAGE):
        return []
    open_tasks = session.exec(
        scoped_select(staff, FollowUpTask, change=True).where(
            FollowUpTask.source_type == "message_thread",
            FollowUpTask.source_id == thread_id,
            col(FollowUpTask.status).in_(OPEN_STATUSES),
        )
    ).all()
    now = utcnow()
    closed = []
    for task in open_tasks:
        previous = task.status
        task.status = TaskStatus.DONE
        task.completed_at = now
        task.completed_by_user_id = staff.user_id
        session.add(task)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="task.done",
            target_type="task",
            target_id=task.id,
            data={"from": previous.value, "answered_by_message_id": message_id},
            account_id=task.account_id,
        )
        assert task.id is not None
        closed.append(task.id)
    return closed


SOURCE_WORDS = {
    "estimate": "Estimate",
    "invoice": "Invoice",
    "approval": "Approval",
    "document_request": "Document request",
    "delivery": "Delivery",
}


def _label(source_type: str, record: Any) -> str:
    if source_type == "estimate":
        return f"{record.number} {record.title}"
    if source_type == "invoice":
        return str(record.number)
    if source_type == "delivery":
        return str(record.reference)
    return str(record.title)


def source_labels(
    session: Session, actor: StaffActor | ContactActor, pairs: Iterable[tuple[str, int | None]]
) -> dict[tuple[str, int], str]:
    """Labels of the records threads are about ("EST-0007 Fit-out", "INV-0042"), in the actor's scope.

    One query per kind present (at most five). A record the actor may not read (a contact without the area's
    permission, a draft) gets no label.
    """
    wanted: dict[str, set[int]] = {}
    for kind, record_id in pairs:
        if kind in SOURCE_MODELS and record_id is not None:
            wanted.setdefault(kind, set()).add(record_id)
    labels: dict[tuple[str, int], str] = {}
    for kind, ids in wanted.items():
        model = SOURCE_MODELS[kind]
        try:
            query = scoped_select(actor, model)
        except NotFound:
            continue
        for record in session.exec(query.where(col(model.id).in_(ids))):  # type: ignore[attr-defined]
            labels[(kind, record.id)] = _label(kind, record)  # type: ignore[attr-defined]
    return labels


def _last_visible_id() -> Any:
    """The id of a thread's newest customer-visible message (correlated to ``MessageThread``)."""
    return (
        sa.select(col(Message.id))
        .where(col(Message.thread_id) == col(MessageThread.id), col(Message.internal).is_(False))
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(1)
        .correlate(MessageThread)
        .scalar_subquery()
    )


def _bounded(offset: int, limit: int) -> tuple[int, int]:
    return max(0, int(offset)), max(1, min(int(limit), MAX_PAGE_SIZE))


# ----------------------------------------------------------------------------------------------------
# Staff inbox and thread


class InboxRow(ReadModel):
    """One thread as the staff inbox shows it."""

    id: int
    account_id: int
    account_name: str
    subject: str
    source_type: str
    source_id: int | None
    source_label: str  # "" when the thread is about the account in general
    last_message_at: datetime
    preview: str  # the newest customer-visible message, flattened and shortened
    last_from_customer: bool  # the newest customer-visible message is a contact's: it waits for an answer
    last_author: str
    unread: bool  # for this member: activity since they last read it


def list_inbox(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    mine: bool = False,
    unanswered: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[InboxRow]:
    """One page of the workspace's threads for the staff inbox (``messages:read``): unanswered first, then the
    most recent activity.

    ``mine`` keeps threads of accounts the member looks after (``owner_user_id``); ``unanswered`` keeps threads
    whose newest customer-visible message is a contact's; ``account_id`` only narrows within the workspace.
    A fixed number of queries whatever the data size: the count, the page, the authors' names and at most one
    per kind of record the page's threads are about.
    """
    staff = require_staff(actor, Permission.MESSAGES_READ)
    offset, limit = _bounded(offset, limit)
    last = aliased(Message)
    seen = aliased(ThreadSeen)
    waiting = col(last.author_contact_id).is_not(None)
    where: list[Any] = [col(MessageThread.workspace_id) == staff.workspace_id]
    if account_id is not None:
        where.append(col(MessageThread.account_id) == account_id)
    if mine:
        where.append(col(CustomerAccount.owner_user_id) == staff.user_id)
    if unanswered:
        where.append(waiting)
    base: Any = (
        sa.select(MessageThread, col(CustomerAccount.name), last, col(seen.seen_at))
        .join(
            CustomerAccount,
            sa.and_(
                col(CustomerAccount.id) == col(MessageThread.account_id),
                col(CustomerAccount.workspace_id) == col(MessageThread.workspace_id),
            ),
        )
        .outerjoin(last, col(last.id) == _last_visible_id())
        .outerjoin(
            seen,
            sa.and_(
                col(seen.thread_id) == col(MessageThread.id),
                col(seen.workspace_id) == col(MessageThread.workspace_id),
                col(seen.user_id) == staff.user_id,
            ),
        )
        .where(*where)
    )
    rows, total = fetch_rows(
        session,
        base.order_by(
            sa.case((waiting, 0), else_=1),
            col(MessageThread.last_message_at).desc(),
            col(MessageThread.id).desc(),
        ),
        offset=offset,
        limit=limit,
        small=account_id is not None,  # one account's threads
    )
    messages = [m for _, _, m, _ in rows if m is not None]
    authors = _author_names(session, staff, messages)
    labels = source_labels(session, staff, [(t.source_type, t.source_id) for t, _, _, _ in rows])
    items = []
    for thread, account_name, message, seen_at in rows:
        items.append(
            InboxRow(
                id=thread.id,
                account_id=thread.account_id,
                account_name=account_name,
                subject=thread.subject,
                source_type=thread.source_type,
                source_id=thread.source_id,
                source_label=labels.get((thread.source_type, thread.source_id), ""),
                last_message_at=thread.last_message_at,
                preview=_preview(message.body) if message is not None else "",
                last_from_customer=message is not None and message.author_contact_id is not None,
                last_author=authors.get(_author_key(message), "") if message is not None else "",
                unread=seen_at is None or _aware(seen_at) < _aware(thread.last_message_at),
            )
        )
    return Page[InboxRow](items=items, total=total, offset=offset, limit=limit)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _author_key(message: Message) -> tuple[str, int]:
    if message.author_contact_id is not None:
        return ("contact", message.author_contact_id)
    return ("user", message.author_user_id or 0)


def _author_names(
    session: Session, reader: StaffActor | ContactActor, messages: Sequence[Message]
) -> dict[tuple[str, int], str]:
    """Who wrote each message, in one query: members by name (or e-mail), contacts by name."""
    user_ids = {m.author_user_id for m in messages if m.author_user_id}
    contact_ids = {m.author_contact_id for m in messages if m.author_contact_id}
    parts: list[Any] = []
    if user_ids:
        parts.append(
            sa.select(sa.literal("user"), col(User.id), col(User.name), col(User.email)).where(
                col(User.id).in_(user_ids)
            )
        )
    if contact_ids:
        parts.append(
            sa.select(
                sa.literal("contact"), col(Contact.id), col(Contact.name), sa.cast(sa.null(), sa.String)
            ).where(col(Contact.id).in_(contact_ids), col(Contact.workspace_id) == reader.workspace_id)
        )
    if not parts:
        return {}
    names: dict[tuple[str, int], str] = {}
    for kind, rid, name, email in session.execute(
        parts[0] if len(parts) == 1 else sa.union_all(*parts)
    ).all():  # type: ignore[deprecated]
        if kind == "user":
            # Contacts see a member's name, never their e-mail address.
            names[("user", int(rid or 0))] = name or (email if isinstance(reader, StaffActor) else "The team")
        else:
            names[("contact", int(rid or 0))] = name
    return names


class AttachmentRead(ReadModel):
    """A file a contact attached to a message: its name and review state (staff download it by id)."""

    id: int
    message_id: int
    original_name: str
    size_bytes: int
    status: IntakeStatus


class ThreadMessageView(ReadModel):
    id: int
    body: str
    internal: bool
    from_customer: bool
    author: str
    created_at: datetime
    attachments: list[AttachmentRead] = []


class ThreadView(ReadModel):
    """One thread for staff: what it is about, and its newest messages oldest first (internal notes marked)."""

    thread: ThreadRead
    account_name: str
    source_label: str
    messages: list[ThreadMessageView]
    earlier: int  # older messages not included


MESSAGES_SHOWN = 100


def _attachments(
    session: Session, reader: StaffActor | ContactActor, message_ids: Sequence[int]
) -> dict[int, list[AttachmentRead]]:
    if not message_ids:
        return {}
    where: list[Any] = [
        col(IntakeFile.workspace_id) == reader.workspace_id,
        col(IntakeFile.kind) == IntakeKind.ATTACHMENT,
        col(IntakeFile.message_id).in_(list(message_ids)),
    ]
    if isinstance(reader, ContactActor):
        where.append(col(IntakeFile.account_id) == reader.account_id)
    found: dict[int, list[AttachmentRead]] = {}
    for row in session.exec(select(IntakeFile).where(*where).order_by(col(IntakeFile.id))):
        assert row.message_id is not None
        found.setdefault(row.message_id, []).append(AttachmentRead.model_validate(row))
    return found


def _newest(session: Session, query: Any, limit: int) -> tuple[list[Message], int]:
    """The newest ``limit`` messages of ``query`` (one thread's: short), oldest first, and how many older ones were
    left out. One statement: the thread's total comes with the rows (``count(*) over ()``)."""
    found = session.execute(  # type: ignore[deprecated]
        query.add_columns(sa.func.count().over().label("total"))
        .order_by(col(Message.created_at).desc(), col(Message.id).desc())
        .limit(limit)
    ).all()
    rows = [row[0] for row in reversed(found)]
    total = int(found[0][1]) if found else 0
    return rows, max(0, total - len(rows))


def read_thread(session: Session, actor: Actor, thread_id: int, *, limit: int = MESSAGES_SHOWN) -> ThreadView:
    """A thread of the staff member's workspace with its newest messages, internal notes included and marked
    (``messages:read``); marks it read for this member. ``NotFound`` for a thread outside the workspace."""
    staff = require_staff(actor, Permission.MESSAGES_READ)
    thread = get_scoped(session, staff, MessageThread, thread_id)
    assert thread.id is not None
    account = get_scoped(session, staff, CustomerAccount, thread.account_id)
    rows, earlier = _newest(
        session,
        select(Message).where(Message.thread_id == thread.id, Message.workspace_id == staff.workspace_id),
        max(1, min(limit, 500)),
    )
    names = _author_names(session, staff, rows)
    files = _attachments(session, staff, [m.id for m in rows if m.id is not None])
    labels = source_labels(session, staff, [(thread.source_type, thread.source_id)])
    view = ThreadView(
        thread=ThreadRead.model_validate(thread),
        account_name=account.name,
        source_label=labels.get((thread.source_type, thread.source_id or 0), ""),
        messages=[
            ThreadMessageView(
                id=m.id or 0,
                body=m.body,
                internal=m.internal,
                from_customer=m.author_contact_id is not None,
                author=names.get(_author_key(m), "A former member" if m.author_user_id else "A contact"),
                created_at=m.created_at,
                attachments=files.get(m.id or 0, []),
            )
            for m in rows
        ],
        earlier=earlier,
    )
    _mark_seen(session, staff, thread.id, utcnow())
    session.commit()
    return view


def view_marker(view: ThreadView | PortalThreadView) -> str | None:
    """``thread_marker`` of a thread just read, from the read itself (no statement): the contact's is the thread's
    ``last_message_at``, a member's the newest message shown (internal notes included). None when it cannot tell
    (a thread with no message shown)."""
    if isinstance(view, PortalThreadView):
        return view.thread.last_message_at.isoformat()
    return view.messages[-1].created_at.isoformat() if view.messages else None


def thread_marker(session: Session, actor: Actor, thread_id: int) -> str:
    """What changes when a thread gets a message the actor may see, for a page that watches it: one indexed read.

    Contacts: the thread's ``last_message_at`` (internal notes leave it alone). Staff: the newest message's time,
    internal notes included. ``NotFound`` for a thread outside the actor's scope.
    """
    if isinstance(actor, ContactActor):
        contact = require_contact(actor, ContactPermission.MESSAGES)
        value = session.scalar(
            sa.select(col(MessageThread.last_message_at)).where(
                col(MessageThread.id) == thread_id,
                col(MessageThread.workspace_id) == contact.workspace_id,
                col(MessageThread.account_id) == contact.account_id,
            )
        )
    else:
        staff = require_staff(actor, Permission.MESSAGES_READ)
        value = session.scalar(
            sa.select(sa.func.max(col(Message.created_at))).where(
                col(Message.thread_id) == thread_id, col(Message.workspace_id) == staff.workspace_id
            )
        )
    if value is None:
        raise NotFound()
    return value.isoformat() if isinstance(value, datetime) else str(value)


# ----------------------------------------------------------------------------------------------------
# Portal reads with unread counts


class PortalThreadRow(PortalModel):
    id: int
    subject: str
    source_type: str
    source_id: int | None
    source_label: str
    last_message_at: datetime
    preview: str
    last_from_team: bool
    unread: int


class PortalThreadMessage(PortalModel):
    id: int
    body: str
    from_team: bool
    mine: bool  # written by this contact
    author: str
    created_at: datetime
    attachments: list[AttachmentRead] = []


class PortalThreadView(PortalModel):
    thread: PortalThread
    source_label: str
    messages: list[PortalThreadMessage]
    earlier: int


def _unread_clause(contact: ContactActor, seen: Any) -> list[Any]:
    """Team messages a contact has not read: customer-visible, by a member, newer than their last read."""
    return [
        col(Message.workspace_id) == contact.workspace_id,
        col(Message.account_id) == contact.account_id,
        col(Message.internal).is_(False),
        col(Message.author_user_id).is_not(None),
        sa.or_(col(seen.seen_at).is_(None), col(Message.created_at) > col(seen.seen_at)),
    ]


def _seen_join(contact: ContactActor, seen: Any) -> Any:
    return sa.and_(
        col(seen.thread_id) == col(MessageThread.id),
        col(seen.workspace_id) == contact.workspace_id,
        col(seen.contact_id) == contact.contact_id,
    )


@functools.cache
def _unread_count_query() -> Any:
    """The unread-count statement, built once with bound parameters: the portal shell runs it on every page load,
    and building the aliased join each time cost more than running it."""
    seen = aliased(ThreadSeen)
    workspace: Any = sa.bindparam("workspace_id")
    account: Any = sa.bindparam("account_id")
    return (
        sa.select(sa.func.count(col(Message.id)))
        .select_from(MessageThread)
        .outerjoin(
            seen,
            sa.and_(
                col(seen.thread_id) == col(MessageThread.id),
                col(seen.workspace_id) == workspace,
                col(seen.contact_id) == sa.bindparam("contact_id"),
            ),
        )
        .join(Message, col(Message.thread_id) == col(MessageThread.id))
        .where(
            col(MessageThread.workspace_id) == workspace,
            col(MessageThread.account_id) == account,
            sa.or_(col(seen.seen_at).is_(None), col(MessageThread.last_message_at) > col(seen.seen_at)),
            col(Message.workspace_id) == workspace,
            col(Message.account_id) == account,
            col(Message.internal).is_(False),
            col(Message.author_user_id).is_not(None),
            sa.or_(col(seen.seen_at).is_(None), col(Message.created_at) > col(seen.seen_at)),
        )
    )


def portal_unread_count(session: Session, actor: Actor) -> int:
    """How many team messages the contact has not read, over all threads of their account (one query).

    Only threads with activity since the contact last read them are looked into (``last_message_at`` is
    indexed with the account). The conditions are ``_unread_clause``'s. ``NotFound`` for anyone but a contact.
    """
    contact = require_contact(actor, ContactPermission.MESSAGES)
    params = {
        "workspace_id": contact.workspace_id,
        "account_id": contact.account_id,
        "contact_id": contact.contact_id,
    }
    return remembered(  # the portal shell's badge and the home page's figure: one query per page load
        session,
        ("portal_unread", contact),
        lambda: int(session.scalar(_unread_count_query(), params) or 0),
    )


def portal_list_inbox(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> Page[PortalThreadRow]:
    """One page of the contact's account's threads, most recent activity first, each with its unread count
    and newest message. A fixed number of queries: the page with its total and unread counts, and the record
    labels."""
    contact = require_contact(actor, ContactPermission.MESSAGES)
    offset, limit = _bounded(offset, limit)
    last = aliased(Message)
    seen = aliased(ThreadSeen)
    # Each thread's unread count with the thread: a count of its own messages, correlated to the row.
    unread: Any = (
        sa.select(sa.func.count(col(Message.id)))
        .where(col(Message.thread_id) == col(MessageThread.id), *_unread_clause(contact, seen))
        .correlate(MessageThread, seen)
        .scalar_subquery()
    )
    base: Any = (
        sa.select(MessageThread, last, unread.label("unread"))
        .outerjoin(last, col(last.id) == _last_visible_id())
        .outerjoin(seen, _seen_join(contact, seen))
        .where(
            col(MessageThread.workspace_id) == contact.workspace_id,
            col(MessageThread.account_id) == contact.account_id,
        )
        .order_by(col(MessageThread.last_message_at).desc(), col(MessageThread.id).desc())
    )
    found, total = fetch_rows(session, base, offset=offset, limit=limit, small=True)  # one account's threads
    rows = [(t, m) for t, m, _ in found]
    unread_of = {t.id: int(n or 0) for t, _, n in found}
    labels = source_labels(session, contact, [(t.source_type, t.source_id) for t, _ in rows])
    items = [
        PortalThreadRow(
            id=t.id,
            subject=t.subject,
            source_type=t.source_type,
            source_id=t.source_id,
            source_label=labels.get((t.source_type, t.source_id), ""),
            last_message_at=t.last_message_at,
            preview=_preview(m.body) if m is not None else "",
            last_from_team=m is not None and m.author_user_id is not None,
            unread=unread_of.get(t.id, 0),
        )
        for t, m in rows
    ]
    return Page[PortalThreadRow](items=items, total=total, offset=offset, limit=limit)


def portal_read_thread(
    session: Session, actor: Actor, thread_id: int, *, limit: int = MESSAGES_SHOWN
) -> PortalThreadView:
    """A thread of the contact's account with its newest customer-visible messages (never internal notes),
    oldest first; marks it read for the contact. ``NotFound`` for another account's or workspace's thread."""
    contact = require_contact(actor, ContactPermission.MESSAGES)
    thread = get_scoped(session, contact, MessageThread, thread_id)
    assert thread.id is not None
    query = select(Message).where(
        Message.thread_id == thread.id,
        Message.workspace_id == contact.workspace_id,
        Message.account_id == contact.account_id,
        col(Message.internal).is_(False),
    )
    rows, earlier = _newest(session, query, max(1, min(limit, 500)))
    names = _author_names(session, contact, rows)
    files = _attachments(session, contact, [m.id for m in rows if m.id is not None])
    labels = source_labels(session, contact, [(thread.source_type, thread.source_id)])
    view = PortalThreadView(
        thread=PortalThread.model_validate(thread),
        source_label=labels.get((thread.source_type, thread.source_id or 0), ""),
        messages=[
            PortalThreadMessage(
                id=m.id or 0,
                body=m.body,
                from_team=m.author_user_id is not None,
                mine=m.author_contact_id == contact.contact_id,
                author=names.get(_author_key(m), "The team" if m.author_user_id else "A colleague"),
                created_at=m.created_at,
                attachments=files.get(m.id or 0, []),
            )
            for m in rows
        ],
        earlier=earlier,
    )
    _mark_seen(session, contact, thread.id, utcnow())
    session.commit()
    return view


def portal_record_thread(
    session: Session, actor: Actor, source_type: str, source_id: int
) -> PortalThread | None:
    """The newest thread of the contact's account about one record they may see, or None when there is none
    yet (the record page starts one with the contact's first message). ``NotFound`` when the record is not
    theirs or not in an area they may see; ``ValidationFailed`` for an unknown kind of record."""
    contact = require_contact(actor, ContactPermission.MESSAGES)
    kind, record_id = _source(session, contact, contact.account_id, source_type, source_id)
    thread = session.exec(
        scoped_select(contact, MessageThread)
        .where(MessageThread.source_type == kind, MessageThread.source_id == record_id)
        .order_by(col(MessageThread.last_message_at).desc(), col(MessageThread.id).desc())
    ).first()
    return PortalThread.model_validate(thread) if thread is not None else None


def portal_message_record(
    session: Session,
    actor: Actor,
    source_type: str,
    source_id: int,
    *,
    subject: str,
    body: str,
    idempotency_key: str,
) -> PortalThread:
    """A contact's message about a record: posted in the record's thread, or starting it (``subject``) when
    there is none yet. One customer action either way (message + follow-up task + audit event)."""
    existing = portal_record_thread(session, actor, source_type, source_id)
    if existing is None:
        return portal_start_thread(
            session,
            actor,
            subject=subject,
            body=body,
            idempotency_key=idempotency_key,
            source_type=source_type,
            source_id=source_id,
        )
    portal_post_message(session, actor, existing.id, body=body, idempotency_key=idempotency_key)
    return portal_get_thread(session, actor, existing.id)


def portal_attachable_message(
    session: Session, contact: ContactActor, thread_id: int, message_id: int, *, free: bool = True
) -> Message:
    """A message this contact wrote in a thread of their account (for the upload route); with ``free``, one that
    has no attachment yet. ``NotFound`` otherwise, ``Conflict`` when it already has a file."""
    thread = get_scoped(session, contact, MessageThread, thread_id, change=True)
    message = session.exec(
        select(Message).where(
            Message.id == message_id,
            Message.thread_id == thread.id,
            Message.workspace_id == contact.workspace_id,
            Message.account_id == contact.account_id,
            Message.author_contact_id == contact.contact_id,
            col(Message.internal).is_(False),
        )
    ).first()
    if message is None:
        raise NotFound()
    if not free:
        return message
    taken = session.scalar(
        sa.select(col(IntakeFile.id)).where(
            col(IntakeFile.workspace_id) == contact.workspace_id, col(IntakeFile.message_id) == message_id
        )
    )
    if taken is not None:
        raise Conflict("This message already has a file. Send another message to add one more.")
    return message


def unanswered_count(session: Session, actor: Actor) -> int:
    """Threads of the workspace whose newest customer-visible message is a contact's: the navigation's badge.
    One query. Scoped: staff with ``messages:read``."""
    return int(session.scalar(unanswered_count_query(actor)) or 0)


def unanswered_count_query(actor: Actor) -> Any:
    """``unanswered_count`` as a statement (the staff navigation asks for all its badges in one)."""
    staff = require_staff(actor, Permission.MESSAGES_READ)
    latest = (
        sa.select(col(Message.thread_id), sa.func.max(col(Message.id)).label("newest"))
        .where(col(Message.workspace_id) == staff.workspace_id, col(Message.internal).is_(False))
        .group_by(col(Message.thread_id))
        .subquery()
    )
    return (
        sa.select(sa.func.count())
        .select_from(latest)
        .join(Message, col(Message.id) == latest.c.newest)
        # The workspace again: without it PostgreSQL hash-joins every workspace's messages (30 ms at 100 workspaces).
        .where(col(Message.workspace_id) == staff.workspace_id, col(Message.author_contact_id).is_not(None))
    )
