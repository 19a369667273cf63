"""Mail goes through the outbox table in the same transaction as what caused it; a sender drains it."""

from __future__ import annotations

from sqlmodel import Session

from models import OutboxMail


def enqueue_mail(
    session: Session, *, workspace_id: int | None, to_email: str, subject: str, body_text: str
) -> None:
    """Queue a plain-text mail; the caller commits."""
    session.add(
        OutboxMail(
            workspace_id=workspace_id, to_email=to_email, subject=subject[:200], body_text=body_text[:20000]
        )
    )
