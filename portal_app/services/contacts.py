"""Contacts of customer accounts and their per-account portal permissions."""

from __future__ import annotations

from sqlmodel import Session, select

from models import (
    AuthSession,
    Contact,
    ContactAccess,
    ContactInvitation,
    ContactStatus,
    CustomerAccount,
    MagicLink,
    utcnow,
)
from models.schemas import ContactAccessRead, ContactRead
from portal_app.services import audit
from portal_app.services.access import Actor, get_scoped, require_staff
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.members import normalize_email
from portal_app.services.permissions import Permission


def add_contact(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    email: str,
    name: str,
    billing: bool,
    operations: bool,
    documents: bool,
) -> ContactRead:
    """Add a contact to an account of the workspace (or link an existing contact of the workspace to it)."""
    staff = require_staff(actor, Permission.CONTACTS_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id, change=False)
    email = normalize_email(email)
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("The contact's name must be 1-200 characters.")
    contact = session.exec(
        select(Contact).where(Contact.workspace_id == staff.workspace_id, Contact.email == email)
    ).first()
    if contact is None:
        contact = Contact(workspace_id=staff.workspace_id, email=email, name=name)
        session.add(contact)
        session.flush()
    linked = session.exec(
        select(ContactAccess).where(
            ContactAccess.contact_id == contact.id, ContactAccess.account_id == account.id
        )
    ).first()
    if linked is not None:
        session.rollback()
        raise Conflict("That contact already has access to this account.")
    assert contact.id is not None and account.id is not None
    session.add(
        ContactAccess(
            workspace_id=staff.workspace_id,
            contact_id=contact.id,
            account_id=account.id,
            can_billing=billing,
            can_operations=operations,
            can_documents=documents,
        )
    )
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="contact.linked",
        target_type="contact",
        target_id=contact.id,
        data={"account_id": account.id, "billing": billing, "operations": operations, "documents": documents},
    )
    session.commit()
    return ContactRead.model_validate(contact)


def set_contact_permissions(
    session: Session,
    actor: Actor,
    contact_id: int,
    account_id: int,
    *,
    billing: bool,
    operations: bool,
    documents: bool,
) -> ContactAccessRead:
    staff = require_staff(actor, Permission.CONTACTS_MANAGE)
    get_scoped(session, staff, Contact, contact_id)
    link = session.exec(
        select(ContactAccess).where(
            ContactAccess.workspace_id == staff.workspace_id,
            ContactAccess.contact_id == contact_id,
            ContactAccess.account_id == account_id,
        )
    ).first()
    if link is None:
        raise NotFound()
    link.can_billing, link.can_operations, link.can_documents = billing, operations, documents
    session.add(link)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="contact.permissions_changed",
        target_type="contact",
        target_id=contact_id,
        data={"account_id": account_id, "billing": billing, "operations": operations, "documents": documents},
    )
    session.commit()
    return ContactAccessRead.model_validate(link)


def list_account_contacts(
    session: Session, actor: Actor, account_id: int
) -> list[tuple[ContactRead, ContactAccessRead]]:
    """Contacts linked to one account of the workspace (bounded: at most 200)."""
    staff = require_staff(actor, Permission.ACCOUNTS_READ)
    get_scoped(session, staff, CustomerAccount, account_id)
    rows = session.exec(
        select(Contact, ContactAccess)
        .join(ContactAccess, ContactAccess.contact_id == Contact.id)  # type: ignore[arg-type]
        .where(ContactAccess.workspace_id == staff.workspace_id, ContactAccess.account_id == account_id)
        .order_by(Contact.name)
        .limit(200)
    ).all()
    return [(ContactRead.model_validate(c), ContactAccessRead.model_validate(a)) for c, a in rows]


def deactivate_contact(session: Session, actor: Actor, contact_id: int) -> ContactRead:
    """Deactivate a contact and revoke all of its sessions, invitations and magic links in one transaction."""
    staff = require_staff(actor, Permission.CONTACTS_MANAGE)
    contact = get_scoped(session, staff, Contact, contact_id, change=True, lock=True)
    if contact.status is ContactStatus.DEACTIVATED:
        raise Conflict("That contact is already deactivated.")
    now = utcnow()
    contact.status = ContactStatus.DEACTIVATED
    contact.deactivated_at = now
    session.add(contact)
    for auth in session.exec(select(AuthSession).where(AuthSession.contact_id == contact_id)).all():
        session.delete(auth)
    for link in session.exec(
        select(MagicLink).where(MagicLink.contact_id == contact_id, MagicLink.used_at.is_(None))  # type: ignore[union-attr]
    ).all():
        link.revoked_at = now
        session.add(link)
    for inv in session.exec(
        select(ContactInvitation).where(
            ContactInvitation.contact_id == contact_id,
            ContactInvitation.accepted_at.is_(None),  # type: ignore[union-attr]
        )
    ).all():
        inv.revoked_at = now
        session.add(inv)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="contact.deactivated",
        target_type="contact",
        target_id=contact_id,
    )
    session.commit()
    return ContactRead.model_validate(contact)


def reactivate_contact(session: Session, actor: Actor, contact_id: int) -> ContactRead:
    staff = require_staff(actor, Permission.CONTACTS_MANAGE)
    contact = get_scoped(session, staff, Contact, contact_id, change=True, lock=True)
    if contact.status is not ContactStatus.DEACTIVATED:
        raise Conflict("That contact is not deactivated.")
    contact.status = ContactStatus.ACTIVE
    contact.deactivated_at = None
    session.add(contact)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="contact.reactivated",
        target_type="contact",
        target_id=contact_id,
    )
    session.commit()
    return ContactRead.model_validate(contact)
