"""Notification mails: who hears about what, queued in the outbox in the caller's transaction (the caller commits).

Every function is called by the service that made the change, after the change and before its commit, so the mail
leaves only if the change is stored. None of them raises for a missing recipient: no recipient, no mail.

Who: contacts are the *active* contacts of the record's own account whose permissions for that account cover the
area (billing: invoices and statements; operations: estimates, approvals, deliveries; documents: document requests;
messages: every contact), and none at all while the workspace has customer mails (or the portal) turned off. Staff
mails go to members of the workspace only. Every recipient is looked up by the record's workspace and account, so
a mail never names another account's records.

What: a plain-text part and an HTML part built from the same escaped text (user text is never markup), and a deep
link to the record's page. Mails to contacts carry the workspace's branding (``services/branding.py``): its display
name as the sender's name and in the text, and in the HTML a header with its logo (the public logo URL) and the
accent colour on the main link; staff mails use the workspace's own name and the plain look. Links carry no
sign-in token: a signed-out contact meets the page's gate, which sends them to the portal sign-in and back to the
page afterwards.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from html import escape

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    Contact,
    ContactAccess,
    ContactStatus,
    CustomerAccount,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    Membership,
    Message,
    MessageThread,
    OutboxMail,
    TaskStatus,
    User,
    Workspace,
    WorkspaceStatus,
)
from portal_app import formatting, routes
from portal_app.services import branding, notifications
from portal_app.services.branding import Branding
from portal_app.services.permissions import ContactPermission

log = logging.getLogger("portal.mail")

# What each shared record is called, which contact permission covers it and its portal page.
_RECORD_AREAS: dict[str, tuple[str, ContactPermission, str]] = {
    "estimate": ("an estimate", ContactPermission.OPERATIONS, routes.PORTAL_ESTIMATES),
    "approval": ("an approval request", ContactPermission.OPERATIONS, routes.PORTAL_APPROVALS),
    "delivery": ("a delivery", ContactPermission.OPERATIONS, routes.PORTAL_DELIVERIES),
    "invoice": ("an invoice", ContactPermission.BILLING, routes.PORTAL_INVOICES),
    "statement": ("a statement", ContactPermission.BILLING, routes.PORTAL_STATEMENTS),
}
RECORD_KINDS = tuple(_RECORD_AREAS)
# Kinds whose portal page lists them rather than showing one record.
_LIST_ONLY = frozenset({"statement"})
_INTAKE_AREAS: dict[IntakeKind, ContactPermission] = {
    IntakeKind.PAYMENT_PROOF: ContactPermission.BILLING,
    IntakeKind.DOCUMENT: ContactPermission.DOCUMENTS,
    IntakeKind.ATTACHMENT: ContactPermission.MESSAGES,
}
EXCERPT_CHARS = 600
DIGEST_SUBJECT = "Your tasks for {day}"  # the day makes the (member, day) marker; the workspace name follows
DIGEST_SHOWN = 5


# ---------------------------------------------------------------------------------------------------------------
# Composing


@dataclass(frozen=True)
class Composed:
    subject: str
    text: str
    html: str


def _one_line(value: str, limit: int = 200) -> str:
    value = " ".join(str(value).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


LINK_COLOR = "#1a56db"  # links of unbranded (staff) mails


def _header(workspace_name: str, brand: Branding | None) -> str:
    """The mail's first line: the logo (when the workspace has one) and the name, in the accent's text colour."""
    if brand is None:
        return f'<p style="margin:0 0 16px;font-size:17px;font-weight:bold">{escape(workspace_name)}</p>'
    logo_url = routes.logo_url(brand.logo_key)
    logo = (
        f'<img src="{escape(logo_url, quote=True)}" alt="{escape(brand.name, quote=True)}" height="40" '
        'style="display:block;height:40px;width:auto;max-width:240px;margin:0 0 8px;border:0">'
        if logo_url
        else ""
    )
    return (
        f'<div style="margin:0 0 16px;padding:0 0 12px;border-bottom:3px solid {brand.colors.solid}">{logo}'
        f'<p style="margin:0;font-size:17px;font-weight:bold;color:{brand.colors.text}">'
        f"{escape(brand.name)}</p></div>"
    )


def _link(label: str, url: str, brand: Branding | None, *, main: bool) -> str:
    """A link; a branded mail's main link is a button in the accent colour (white on the solid step: >= 4.5:1)."""
    href = escape(url, quote=True)
    if brand is not None and main:
        return (
            f'<p style="margin:20px 0"><a href="{href}" style="display:inline-block;padding:10px 18px;'
            f"border-radius:6px;background:{brand.colors.solid};color:#ffffff;font-weight:bold;"
            f'text-decoration:none">{escape(label)}</a></p>'
        )
    color = brand.colors.text if brand is not None else LINK_COLOR
    return f'<p><a href="{href}" style="color:{color}">{escape(label)}</a></p>'


def compose(
    *,
    workspace_name: str,
    subject: str,
    greeting: str,
    paragraphs: Sequence[str],
    links: Sequence[tuple[str, str]],
    quote: str = "",
    footer: str,
    brand: Branding | None = None,
) -> Composed:
    """The text and HTML parts of one mail from plain strings: every string is escaped into the HTML, so a title
    like ``<script>`` arrives as those characters. ``links`` are (label, absolute URL) pairs.

    With ``brand`` (mails to contacts) the header shows the workspace's logo and display name and the first link is
    a button in its accent colour; the text part is the same either way."""
    text = [greeting, ""]
    html = [f"<p>{escape(greeting)}</p>"]
    for para in paragraphs:
        text += [para, ""]
        html.append(f"<p>{escape(para)}</p>")
    if quote:
        text += ["\n".join(f"> {line}" for line in quote.splitlines() or [""]), ""]
        html.append(
            '<blockquote style="margin:0 0 16px;padding:8px 12px;border-left:3px solid #ccc;'
            f'white-space:pre-wrap;word-break:break-word">{escape(quote)}</blockquote>'
        )
    for i, (label, url) in enumerate(links):
        text += [f"{label}:", url, ""]
        html.append(_link(label, url, brand, main=i == 0))
    text += ["--", footer]
    body_html = (
        '<!DOCTYPE html><html><head><meta charset="utf-8">'
        f"<title>{escape(subject)}</title></head>"
        '<body style="margin:0;padding:24px;background:#f6f7f9;font-family:Arial,Helvetica,sans-serif;'
        'font-size:15px;line-height:1.5;color:#1f2328">'
        '<div style="max-width:560px;margin:0 auto;background:#ffffff;border:1px solid #e3e6ea;'
        'border-radius:8px;padding:24px">'
        + _header(workspace_name, brand)
        + "\n".join(["", *html, ""])
        + '<hr style="border:none;border-top:1px solid #e3e6ea;margin:24px 0 12px">'
        f'<p style="font-size:12px;color:#57606a">{escape(footer)}</p>'
        "</div></body></html>"
    )
    return Composed(subject=_one_line(subject), text="\n".join(text) + "\n", html=body_html)


def _queue(
    session: Session, ws: Workspace, to_email: str, mail: Composed, *, brand: Branding | None = None
) -> None:
    notifications.enqueue_mail(
        session,
        workspace_id=ws.id,
        to_email=to_email,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        from_name=brand.name if brand is not None else ws.name,
    )


def _brand(session: Session, ws: Workspace) -> Branding:
    """The branding of the workspace that sends (already loaded: no query)."""
    assert ws.id is not None
    return branding.get_branding(session, ws.id)


def portal_link(kind: str, record_id: int | None) -> str:
    """The absolute portal URL of a record (``kind`` as in ``record_shared``, or ``document_request`` and
    ``message_thread``); list pages for kinds without a page of their own."""
    base = {
        **{k: v[2] for k, v in _RECORD_AREAS.items()},
        "document_request": routes.PORTAL_DOCUMENTS,
        "message_thread": routes.PORTAL_MESSAGES,
    }[kind]
    if kind in _LIST_ONLY or not record_id:
        return routes.absolute_url(base)
    return routes.absolute_url(routes.record_url(base, record_id))


def staff_link(path: str, record_id: int | None = None) -> str:
    return routes.absolute_url(routes.record_url(path, record_id) if record_id else path)


def reminders_unsubscribe_link(token: str) -> str:
    """The absolute URL of the page that turns a contact's reminder mails off (``token`` signs who it is)."""
    return routes.absolute_url(f"{routes.REMINDERS_UNSUBSCRIBE}/{token}")


# ---------------------------------------------------------------------------------------------------------------
# Recipients


def _workspace(session: Session, workspace_id: int) -> Workspace | None:
    ws = session.get(Workspace, workspace_id)
    if ws is None or ws.status is not WorkspaceStatus.ACTIVE:
        return None
    return ws


def _customer_workspace(session: Session, workspace_id: int) -> Workspace | None:
    """The workspace, when its contacts may be mailed: active, portal on, customer mails on."""
    ws = _workspace(session, workspace_id)
    if ws is None or not ws.portal_enabled or not ws.customer_mails_enabled:
        return None
    return ws


def _account(session: Session, workspace_id: int, account_id: int) -> CustomerAccount | None:
    return session.exec(
        select(CustomerAccount).where(
            CustomerAccount.workspace_id == workspace_id, CustomerAccount.id == account_id
        )
    ).first()


def _permission_column(permission: ContactPermission) -> sa.ColumnElement[bool] | None:
    return {
        ContactPermission.BILLING: col(ContactAccess.can_billing).is_(True),
        ContactPermission.OPERATIONS: col(ContactAccess.can_operations).is_(True),
        ContactPermission.DOCUMENTS: col(ContactAccess.can_documents).is_(True),
    }.get(permission)


def account_contacts(
    session: Session, *, workspace_id: int, account_id: int, permission: ContactPermission
) -> list[Contact]:
    """Active contacts of one account (in its workspace) whose access to it covers ``permission``."""
    query = (
        select(Contact)
        .join(ContactAccess, col(ContactAccess.contact_id) == col(Contact.id))
        .where(
            Contact.workspace_id == workspace_id,
            ContactAccess.workspace_id == workspace_id,
            ContactAccess.account_id == account_id,
            Contact.status == ContactStatus.ACTIVE,
        )
        .order_by(col(Contact.id))
    )
    wanted = _permission_column(permission)
    if wanted is not None:
        query = query.where(wanted)
    return list(session.exec(query).all())


def _member(session: Session, workspace_id: int, user_id: int | None) -> User | None:
    """The user, only while they are a member of the workspace."""
    if not user_id:
        return None
    return session.exec(
        select(User)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.workspace_id == workspace_id, col(User.id) == user_id)
    ).first()


def _contact_footer(brand: Branding, account: CustomerAccount) -> str:
    return (
        f"You receive this because you are a contact of {account.name} in the {brand.name} customer portal. "
        "If you are signed out, the portal asks you to sign in first and then opens the page."
    )


def _staff_footer(ws: Workspace) -> str:
    return f"You receive this as a member of {ws.name}."


# ---------------------------------------------------------------------------------------------------------------
# To contacts


def record_shared(
    session: Session, *, workspace_id: int, account_id: int, kind: str, record_id: int, title: str
) -> None:
    """A record was shared with an account (``kind``: estimate, invoice, approval, delivery, statement): mail the
    account's active contacts whose permissions cover ``kind``."""
    noun, permission, _ = _RECORD_AREAS[kind]  # an unknown kind is a programming error
    ws = _customer_workspace(session, workspace_id)
    account = _account(session, workspace_id, account_id) if ws else None
    if ws is None or account is None:
        return
    link = portal_link(kind, record_id)
    title = _one_line(title)
    brand = _brand(session, ws)
    for contact in account_contacts(
        session, workspace_id=workspace_id, account_id=account_id, permission=permission
    ):
        mail = compose(
            workspace_name=brand.name,
            subject=f"{brand.name} shared {noun} with you: {title}",
            greeting=f"Hello {contact.name},",
            paragraphs=[f"{brand.name} shared {noun} with {account.name}:", title],
            links=[(f"Open {noun.split(' ', 1)[1]} in the portal", link)],
            footer=_contact_footer(brand, account),
            brand=brand,
        )
        _queue(session, ws, contact.email, mail, brand=brand)


def document_requested(
    session: Session, *, workspace_id: int, account_id: int, request_id: int, title: str
) -> None:
    """Staff asked the account for documents: mail its contacts with ``documents``."""
    ws = _customer_workspace(session, workspace_id)
    account = _account(session, workspace_id, account_id) if ws else None
    if ws is None or account is None:
        return
    link = portal_link("document_request", request_id)
    title = _one_line(title)
    brand = _brand(session, ws)
    for contact in account_contacts(
        session, workspace_id=workspace_id, account_id=account_id, permission=ContactPermission.DOCUMENTS
    ):
        mail = compose(
            workspace_name=brand.name,
            subject=f"{brand.name} asks for documents: {title}",
            greeting=f"Hello {contact.name},",
            paragraphs=[f"{brand.name} asks {account.name} for documents:", title],
            links=[("See what is needed and upload the files", link)],
            footer=_contact_footer(brand, account),
            brand=brand,
        )
        _queue(session, ws, contact.email, mail, brand=brand)


def upload_rejected(session: Session, *, workspace_id: int, intake_id: int, reason: str) -> None:
    """A reviewer rejected a payment proof or a document: mail the contact who sent it, with the reason."""
    ws = _customer_workspace(session, workspace_id)
    if ws is None:
        return
    intake = session.exec(
        select(IntakeFile).where(IntakeFile.workspace_id == workspace_id, IntakeFile.id == intake_id)
    ).first()
    if intake is None:
        return
    account = _account(session, workspace_id, intake.account_id)
    # The sender, only while they are still an active contact of that account with the area's permission.
    sender = next(
        (
            c
            for c in account_contacts(
                session,
                workspace_id=workspace_id,
                account_id=intake.account_id,
                permission=_INTAKE_AREAS.get(intake.kind, ContactPermission.MESSAGES),
            )
            if c.id == intake.contact_id
        ),
        None,
    )
    if account is None or sender is None:
        return
    if intake.kind is IntakeKind.PAYMENT_PROOF:
        what, link = "payment proof", portal_link("invoice", intake.invoice_id)
    elif intake.kind is IntakeKind.DOCUMENT:
        what, link = "document", portal_link("document_request", intake.document_request_id)
    else:
        thread_id = (
            session.scalar(
                select(Message.thread_id).where(
                    Message.workspace_id == workspace_id, Message.id == intake.message_id
                )
            )
            if intake.message_id
            else None
        )
        what, link = "attachment", portal_link("message_thread", thread_id)
    name = _one_line(intake.original_name, 120)
    brand = _brand(session, ws)
    mail = compose(
        workspace_name=brand.name,
        subject=f"{brand.name} could not accept your {what}: {name}",
        greeting=f"Hello {sender.name},",
        paragraphs=[
            f"{brand.name} reviewed the {what} you sent for {account.name} and could not accept it:",
            name,
            "The reason given:",
        ],
        quote=(reason or "").strip()[:2000] or "No reason was given.",
        links=[("Open the page to send a new file", link)],
        footer=_contact_footer(brand, account),
        brand=brand,
    )
    _queue(session, ws, sender.email, mail, brand=brand)


def staff_replied(session: Session, *, workspace_id: int, thread_id: int, message_id: int) -> None:
    """Staff posted a customer-visible message: mail the account's contacts (never for internal notes)."""
    ws = _customer_workspace(session, workspace_id)
    if ws is None:
        return
    row = session.exec(
        select(Message, MessageThread)
        .join(MessageThread, col(MessageThread.id) == col(Message.thread_id))
        .where(
            Message.workspace_id == workspace_id,
            Message.id == message_id,
            Message.thread_id == thread_id,
            MessageThread.workspace_id == workspace_id,
        )
    ).first()
    if row is None:
        return
    message, thread = row
    if message.internal or message.author_user_id is None or message.account_id != thread.account_id:
        return
    account = _account(session, workspace_id, thread.account_id)
    if account is None:
        return
    subject = _one_line(thread.subject)
    body = message.body.strip()
    excerpt = body if len(body) <= EXCERPT_CHARS else body[: EXCERPT_CHARS - 1] + "…"
    link = portal_link("message_thread", thread.id)
    brand = _brand(session, ws)
    for contact in account_contacts(
        session, workspace_id=workspace_id, account_id=account.id or 0, permission=ContactPermission.MESSAGES
    ):
        mail = compose(
            workspace_name=brand.name,
            subject=f"{brand.name} replied: {subject}",
            greeting=f"Hello {contact.name},",
            paragraphs=[f"{brand.name} replied in the conversation “{subject}”:"],
            quote=excerpt,
            links=[("Read and answer in the portal", link)],
            footer=_contact_footer(brand, account),
            brand=brand,
        )
        _queue(session, ws, contact.email, mail, brand=brand)


# ---------------------------------------------------------------------------------------------------------------
# To staff


def _task(session: Session, workspace_id: int, task_id: int) -> FollowUpTask | None:
    return session.exec(
        select(FollowUpTask).where(FollowUpTask.workspace_id == workspace_id, FollowUpTask.id == task_id)
    ).first()


def task_assigned(
    session: Session,
    *,
    workspace_id: int,
    task_id: int,
    assignee_user_id: int,
    assigned_by_user_id: int | None = None,
) -> None:
    """A follow-up task was assigned to a member (not by themselves): mail them."""
    if assigned_by_user_id is not None and assigned_by_user_id == assignee_user_id:
        return
    ws = _workspace(session, workspace_id)
    task = _task(session, workspace_id, task_id) if ws else None
    user = _member(session, workspace_id, assignee_user_id) if task else None
    if ws is None or task is None or user is None:
        return
    by = _member(session, workspace_id, assigned_by_user_id) if assigned_by_user_id else None
    account = _account(session, workspace_id, task.account_id) if task.account_id else None
    title = _one_line(task.title)
    lines = [
        f"{(by.name or by.email) if by else 'A colleague'} assigned a follow-up task to you:",
        title,
    ]
    if account is not None:
        lines.append(f"Account: {account.name}")
    if task.due_at is not None:
        lines.append(formatting.due(task.due_at).capitalize() + ".")
    mail = compose(
        workspace_name=ws.name,
        subject=f"Task assigned to you: {title}",
        greeting=f"Hello {user.name or user.email},",
        paragraphs=lines,
        links=[("Open the task", staff_link(routes.STAFF_TASKS, task.id))],
        footer=_staff_footer(ws),
    )
    _queue(session, ws, user.email, mail)


def customer_action(session: Session, *, workspace_id: int, account_id: int, task_id: int) -> None:
    """A customer action (message, decision, upload) raised a follow-up task: mail the account's owner."""
    ws = _workspace(session, workspace_id)
    account = _account(session, workspace_id, account_id) if ws else None
    task = _task(session, workspace_id, task_id) if account else None
    if ws is None or account is None or task is None or task.account_id != account.id:
        return
    user = _member(session, workspace_id, account.owner_user_id)
    if user is None:
        return
    title = _one_line(task.title)
    lines = [f"{account.name} took an action in the customer portal, and a follow-up task was opened:", title]
    if task.due_at is not None:
        lines.append(formatting.due(task.due_at).capitalize() + ".")
    mail = compose(
        workspace_name=ws.name,
        subject=f"{account.name}: {title}",
        greeting=f"Hello {user.name or user.email},",
        paragraphs=lines,
        links=[("Open the task", staff_link(routes.STAFF_TASKS, task.id))],
        footer=f"You receive this because you look after {account.name} in {ws.name}.",
    )
    _queue(session, ws, user.email, mail)


# ---------------------------------------------------------------------------------------------------------------
# Daily digest


def _digest_subject(today: date, ws: Workspace) -> str:
    return f"{DIGEST_SUBJECT.format(day=today.isoformat())} · {ws.name}"


def _already_sent(session: Session, ws: Workspace, today: date) -> set[str]:
    """Addresses that already have this workspace's digest for ``today`` (the subject carries the day)."""
    marker = DIGEST_SUBJECT.format(day=today.isoformat())
    rows = session.exec(
        select(OutboxMail.to_email).where(
            OutboxMail.workspace_id == ws.id,
            col(OutboxMail.subject).startswith(marker, autoescape=True),
        )
    ).all()
    return set(rows)


def _mine(membership: Membership) -> sa.ColumnElement[bool]:
    """Tasks of a member: assigned to them, or to their role and nobody in particular (the tasks page's "mine")."""
    return sa.or_(
        col(FollowUpTask.assignee_user_id) == membership.user_id,
        sa.and_(
            col(FollowUpTask.assignee_user_id).is_(None), col(FollowUpTask.assignee_role) == membership.role
        ),
    )


def daily_digests(session: Session, *, today: date, dry_run: bool = False) -> int:
    """One mail per member (``daily_digest`` on, active workspace) who has open tasks, with the counts of open and
    overdue tasks and the first few (overdue first), each with its link. Returns how many mails were (or, with
    ``dry_run``, would be) queued.

    Idempotent per (member, day): a digest already queued for that address, workspace and day is not queued again.
    Each workspace is handled under its row lock and committed on its own, so concurrent runs (several workers)
    queue each digest once.
    """
    ws_ids = session.exec(
        select(Workspace.id).where(Workspace.status == WorkspaceStatus.ACTIVE).order_by(col(Workspace.id))
    ).all()
    session.commit()
    start_of_day = datetime.combine(today, time.min, tzinfo=UTC)
    queued = 0
    open_statuses = (TaskStatus.OPEN, TaskStatus.IN_PROGRESS)
    for ws_id in ws_ids:
        assert ws_id is not None
        if not dry_run:
            # Serialises digest runs per workspace (a row lock on PostgreSQL; SQLite has one writer anyway).
            session.exec(select(Workspace.id).where(Workspace.id == ws_id).with_for_update()).first()
        ws = session.get(Workspace, ws_id)
        if ws is None:
            continue
        members = session.exec(
            select(Membership, User)
            .join(User, col(User.id) == col(Membership.user_id))
            .where(Membership.workspace_id == ws_id, col(Membership.daily_digest).is_(True))
            .order_by(col(Membership.id))
        ).all()
        sent = _already_sent(session, ws, today) if members else set()
        for membership, user in members:
            base = select(FollowUpTask).where(
                FollowUpTask.workspace_id == ws_id,
                col(FollowUpTask.status).in_(open_statuses),
                _mine(membership),
            )
            open_count = session.scalar(select(sa.func.count()).select_from(base.subquery())) or 0
            if not open_count or user.email in sent:
                continue
            overdue_count = (
                session.scalar(
                    select(sa.func.count()).select_from(
                        base.where(
                            col(FollowUpTask.due_at).is_not(None), col(FollowUpTask.due_at) < start_of_day
                        ).subquery()
                    )
                )
                or 0
            )
            queued += 1
            if dry_run:
                continue
            first = session.exec(
                base.order_by(
                    col(FollowUpTask.due_at).is_(None), col(FollowUpTask.due_at), col(FollowUpTask.id)
                ).limit(DIGEST_SHOWN)
            ).all()
            links = [
                (
                    _one_line(t.title, 120) + (f" ({formatting.due(t.due_at, today)})" if t.due_at else ""),
                    staff_link(routes.STAFF_TASKS, t.id),
                )
                for t in first
            ]
            links.append(("All your open tasks", staff_link(routes.STAFF_TASKS)))
            summary = f"You have {open_count} open task{'s' if open_count != 1 else ''}"
            summary += f", {overdue_count} of them overdue." if overdue_count else "."
            mail = compose(
                workspace_name=ws.name,
                subject=_digest_subject(today, ws),
                greeting=f"Hello {user.name or user.email},",
                paragraphs=[summary, "The first ones, soonest due:" if len(first) > 1 else "Next up:"],
                links=links,
                footer=_staff_footer(ws) + " Turn this daily mail off in Settings.",
            )
            _queue(session, ws, user.email, mail)
        if dry_run:
            session.rollback()
        else:
            session.commit()
    if queued and not dry_run:
        log.info("daily digests queued", extra={"count": queued})
    return queued


__all__ = [
    "RECORD_KINDS",
    "Composed",
    "account_contacts",
    "compose",
    "customer_action",
    "daily_digests",
    "document_requested",
    "portal_link",
    "record_shared",
    "staff_replied",
    "task_assigned",
    "upload_rejected",
]
