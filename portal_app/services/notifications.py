"""Mail goes through the outbox table in the same transaction as what caused it; a sender drains it."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session

from models import OutboxMail


def enqueue_mail(
    session: Session,
    *,
    workspace_id: int | None,
    to_email: str,
    subject: str,
    body_text: str,
    links_expire_at: datetime | None = None,
    body_html: str = "",
    from_name: str = "",
) -> OutboxMail:
    """Queue a mail (plain text, plus an HTML alternative when ``body_html`` is given) and return its row (no id
    before a flush); the caller commits.

    ``from_name`` is the sender's display name (a workspace's mails carry its name: "<name> via Customer Portal");
    the address is always the configured sender. ``body_html`` is built by the caller from escaped text only.

    A mail carrying a sign-in or invitation link passes the link's expiry as ``links_expire_at``: the stored copy
    is blanked when the mail is delivered or fails for good, and by the mailer's sweep once the link has expired.
    """
    mail = OutboxMail(
        workspace_id=workspace_id,
        to_email=to_email,
        subject=subject[:200],
        body_text=body_text[:20000],
        body_html=body_html,
        from_name=" ".join(from_name.split())[:120],
        links_expire_at=links_expire_at,
    )
    session.add(mail)
    return mail
