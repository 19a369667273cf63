"""Plain factory functions: rows inserted directly, actors resolved through the real access layer."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlmodel import Session

from models import (
    Contact,
    ContactAccess,
    ContactStatus,
    CustomerAccount,
    FollowUpTask,
    Membership,
    Role,
    TaskStatus,
    User,
    Workspace,
    utcnow,
)
from portal_app.services import access
from portal_app.services.access import ContactActor, OperatorActor, StaffActor

_seq = itertools.count(1)


def n() -> int:
    return next(_seq)


def make_user(session: Session, *, email: str | None = None, name: str = "") -> User:
    i = n()
    user = User(
        issuer="https://id.test",
        subject=f"sub-{i}",
        email=email or f"user{i}@example.test",
        email_verified=True,
        name=name or f"User {i}",
    )
    session.add(user)
    session.flush()
    return user


def make_workspace(session: Session, *, name: str | None = None, portal_enabled: bool = True) -> Workspace:
    i = n()
    ws = Workspace(name=name or f"Workspace {i}", slug=f"ws-{i}", portal_enabled=portal_enabled)
    session.add(ws)
    session.flush()
    return ws


def add_member(session: Session, ws: Workspace, role: Role, *, user: User | None = None) -> StaffActor:
    user = user or make_user(session)
    assert ws.id is not None and user.id is not None
    session.add(Membership(workspace_id=ws.id, user_id=user.id, role=role))
    session.flush()
    return access.resolve_staff(session, user_id=user.id, workspace_id=ws.id)


def make_account(
    session: Session, ws: Workspace, *, name: str | None = None, currency: str = "USD"
) -> CustomerAccount:
    i = n()
    assert ws.id is not None
    acct = CustomerAccount(
        workspace_id=ws.id,
        code=f"A{i}",
        name=name or f"Account {i}",
        currency=currency,
        internal_notes="secret margin",
    )
    session.add(acct)
    session.flush()
    return acct


def make_contact(
    session: Session,
    account: CustomerAccount,
    *,
    billing: bool = True,
    operations: bool = True,
    documents: bool = True,
    status: ContactStatus = ContactStatus.ACTIVE,
    contact: Contact | None = None,
) -> ContactActor:
    if contact is None:
        i = n()
        contact = Contact(
            workspace_id=account.workspace_id,
            email=f"contact{i}@customer.test",
            name=f"Contact {i}",
            status=status,
        )
        session.add(contact)
        session.flush()
    assert contact.id is not None and account.id is not None
    session.add(
        ContactAccess(
            workspace_id=account.workspace_id,
            contact_id=contact.id,
            account_id=account.id,
            can_billing=billing,
            can_operations=operations,
            can_documents=documents,
        )
    )
    session.flush()
    return access.resolve_contact(session, contact_id=contact.id, account_id=account.id)


@dataclass
class Tenant:
    ws: Workspace
    owner: StaffActor
    manager: StaffActor
    team_lead: StaffActor
    finance: StaffActor
    account: CustomerAccount
    other_account: CustomerAccount
    contact: ContactActor  # every permission on ``account``
    billing_contact: ContactActor  # billing only on ``account``
    other_contact: ContactActor  # every permission on ``other_account``
    staff: dict[Role, StaffActor] = field(default_factory=dict)


def make_tenant(session: Session, *, name: str | None = None) -> Tenant:
    ws = make_workspace(session, name=name)
    owner = add_member(session, ws, Role.OWNER)
    manager = add_member(session, ws, Role.MANAGER)
    lead = add_member(session, ws, Role.TEAM_LEAD)
    finance = add_member(session, ws, Role.FINANCE_REVIEWER)
    a1 = make_account(session, ws)
    a2 = make_account(session, ws)
    tenant = Tenant(
        ws=ws,
        owner=owner,
        manager=manager,
        team_lead=lead,
        finance=finance,
        account=a1,
        other_account=a2,
        contact=make_contact(session, a1),
        billing_contact=make_contact(session, a1, operations=False, documents=False),
        other_contact=make_contact(session, a2),
        staff={
            Role.OWNER: owner,
            Role.MANAGER: manager,
            Role.TEAM_LEAD: lead,
            Role.FINANCE_REVIEWER: finance,
        },
    )
    # Services own their unit of work (they commit or roll back), so the fixture data must already be committed.
    session.commit()
    return tenant


def operator() -> OperatorActor:
    return OperatorActor(email="operator@platform.test")


def days(k: int) -> date:
    return date(2026, 1, 1) + timedelta(days=k)


def make_task(
    session: Session,
    ws: Workspace,
    *,
    account: CustomerAccount | None = None,
    title: str | None = None,
    source_type: str = "estimate",
    source_id: int = 1,
    assignee_role: Role | None = Role.TEAM_LEAD,
    assignee_user_id: int | None = None,
    due_in: timedelta | None = timedelta(days=1),
    status: TaskStatus = TaskStatus.OPEN,
) -> FollowUpTask:
    """A follow-up task inserted directly (the services create them only from customer actions)."""
    task = FollowUpTask(
        workspace_id=ws.id,  # type: ignore[arg-type]
        account_id=account.id if account else None,
        title=title or f"Follow up {n()}",
        source_type=source_type,
        source_id=source_id,
        trigger="estimate.approved",
        assignee_role=assignee_role,
        assignee_user_id=assignee_user_id,
        due_at=utcnow() + due_in if due_in is not None else None,
        status=status,
    )
    session.add(task)
    session.flush()
    return task
