"""Files a contact attaches to their own messages: quarantined intake like any upload.

An attachment is an ``IntakeKind.ATTACHMENT`` intake row linked to the message (``message_id``): stored privately
under a random name, size-limited, type-sniffed from the content, hashed, awaiting review in the review queue, and
changing nothing else. One customer action: the intake row, its follow-up task and its audit event commit
together (``intake._store_and_run``), and a retry with the same key stores nothing twice.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlmodel import Session

from models import IntakeKind
from models.portal import PortalUpload
from portal_app.services import intake, messages, storage
from portal_app.services.access import Actor, require_contact
from portal_app.services.permissions import ContactPermission


def attach_file(
    session: Session,
    actor: Actor,
    thread_id: int,
    message_id: int,
    *,
    filename: str,
    data: bytes,
    idempotency_key: str,
) -> PortalUpload:
    """Attach one file to a message the contact wrote in a thread of their account.

    Scoped: a contact (``messages``) of the thread's account, the message theirs (``NotFound`` otherwise).
    Raises ``ValidationFailed`` (size, type, quota) and ``Conflict`` (the message already has a file).
    """
    contact = require_contact(actor, ContactPermission.MESSAGES)
    display_name = storage.sanitize_filename(filename)
    sniffed = intake._check_content(data)

    def build(store: Callable[[], str], digest: str, size: int) -> int:
        message = messages.portal_attachable_message(session, contact, thread_id, message_id)
        return intake._record_intake(
            session,
            contact,
            IntakeKind.ATTACHMENT,
            {"message_id": message.id},
            store=store,
            digest=digest,
            size=size,
            sniffed=sniffed,
            display_name=display_name,
            title="Review a file attached to a message",
            detail=f"{display_name} ({sniffed}, {size:,} bytes)",
            audit_data={"message_id": message.id, "thread_id": thread_id},
        )

    return intake._store_and_run(
        session,
        contact,
        idempotency_key=idempotency_key,
        action="intake.attachment",
        target=("message", message_id),
        data=data,
        build=build,
    )


def precheck(session: Session, actor: Actor, thread_id: int, message_id: int) -> None:
    """Before an upload's body is read: the thread and the message are the contact's (``NotFound``). Reads only;
    whether the message has a file already is decided with the upload, so a retry with the same key still gets
    its first answer."""
    contact = require_contact(actor, ContactPermission.MESSAGES)
    messages.portal_attachable_message(session, contact, thread_id, message_id, free=False)
    session.rollback()
