"""Synthetic data for benchmarks: one workspace with staff of every role and a large customer account."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from sqlmodel import Session, select

from models import (
    AuditEvent,
    Contact,
    ContactAccess,
    ContactStatus,
    CustomerAccount,
    Estimate,
    EstimateStatus,
    EstimateVersion,
    FollowUpTask,
    Invoice,
    InvoiceStatus,
    Membership,
    Message,
    MessageThread,
    Payment,
    Role,
    User,
    Workspace,
    utcnow,
)
from portal_app.services import access
from portal_app.services.access import ContactActor, StaffActor


@dataclass(frozen=True)
class Dataset:
    account_id: int
    contact: ContactActor
    finance: StaffActor
    team_lead: StaffActor
    owner: StaffActor


# What a record's life leaves in the audit log: shared by staff, seen to by the customer, answered.
_TRAIL = (
    ("staff", "invoice.issued", "invoice"),
    ("staff", "estimate.shared", "estimate"),
    ("contact", "message.posted", "message_thread"),
)


def _audit_trail(
    session: Session,
    ws: Workspace,
    accounts: list[CustomerAccount],
    contact_id: int,
    user_id: int,
    per_account: int,
) -> None:
    """Three audit events per record per account, interleaved across accounts as they would be in time (hashes
    are placeholders: the benchmark reads the log, it does not verify it)."""
    start = utcnow() - timedelta(days=400)
    rows = []
    seq = 0
    for n in range(per_account):
        for acct in accounts:
            for kind, action, target in _TRAIL:
                seq += 1
                rows.append(
                    {
                        "workspace_id": ws.id,
                        "seq": seq,
                        "actor_kind": kind,
                        "actor_id": contact_id if kind == "contact" else user_id,
                        "action": action,
                        "target_type": target,
                        "target_id": n + 1,
                        "account_id": acct.id,
                        "data": "{}",
                        "created_at": start + timedelta(minutes=seq),
                        "prev_hash": "0" * 64,
                        "hash": "0" * 64,
                    }
                )
    for i in range(0, len(rows), 5000):
        session.execute(sa.insert(AuditEvent), rows[i : i + 5000])
    ws.audit_seq = seq
    session.add(ws)


def generate(session: Session, *, per_account: int, seed: int = 7) -> Dataset:
    """Bulk rows (not through the services: that would benchmark the generator) shaped like real use."""
    rng = random.Random(seed)
    ws = Workspace(name="Bench Co", slug="bench-co", portal_enabled=True)
    session.add(ws)
    session.flush()
    assert ws.id is not None
    staff: dict[Role, StaffActor] = {}
    for role in Role:
        user = User(
            issuer="bench", subject=role.value, email=f"{role.value}@bench.example", email_verified=True
        )
        session.add(user)
        session.flush()
        assert user.id is not None
        session.add(Membership(workspace_id=ws.id, user_id=user.id, role=role))
        session.flush()
        staff[role] = access.resolve_staff(session, user_id=user.id, workspace_id=ws.id)
    accounts = []
    for i in range(3):  # the measured account plus neighbours, so scoping has something to filter
        acct = CustomerAccount(workspace_id=ws.id, code=f"B{i}", name=f"Bench account {i}")
        session.add(acct)
        session.flush()
        accounts.append(acct)
    contact = Contact(
        workspace_id=ws.id, email="buyer@bench.example", name="Buyer", status=ContactStatus.ACTIVE
    )
    session.add(contact)
    session.flush()
    assert contact.id is not None and accounts[0].id is not None
    session.add(
        ContactAccess(
            workspace_id=ws.id,
            contact_id=contact.id,
            account_id=accounts[0].id,
            can_billing=True,
            can_operations=True,
            can_documents=True,
        )
    )
    today = utcnow().date()
    now = utcnow()
    for acct in accounts:
        assert acct.id is not None
        for n in range(per_account):
            issued = today - timedelta(days=rng.randint(0, 400))
            total = rng.randint(1_000, 500_000)
            status = rng.choice([InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID])
            paid = (
                total
                if status is InvoiceStatus.PAID
                else (total // 3 if status is InvoiceStatus.PARTIALLY_PAID else 0)
            )
            inv = Invoice(
                workspace_id=ws.id,
                account_id=acct.id,
                number=f"I-{acct.id}-{n}",
                status=status,
                issue_date=issued,
                due_date=issued + timedelta(days=30),
                subtotal_minor=total,
                total_minor=total,
                amount_paid_minor=paid,
            )
            session.add(inv)
            est = Estimate(
                workspace_id=ws.id,
                account_id=acct.id,
                number=f"E-{acct.id}-{n}",
                title=f"Estimate {n}",
                status=EstimateStatus.SHARED,
            )
            session.add(est)
            thread = MessageThread(workspace_id=ws.id, account_id=acct.id, subject=f"Thread {n}")
            session.add(thread)
            if n % 500 == 499:
                session.flush()
        session.flush()
        for inv in session.exec(  # payments for the paid part
            select(Invoice).where(Invoice.account_id == acct.id, Invoice.amount_paid_minor > 0)
        ).all():
            assert inv.id is not None and inv.issue_date is not None
            session.add(
                Payment(
                    workspace_id=ws.id,
                    account_id=acct.id,
                    invoice_id=inv.id,
                    amount_minor=inv.amount_paid_minor,
                    currency="USD",
                    received_on=inv.issue_date + timedelta(days=10),
                )
            )
        for est in session.exec(select(Estimate).where(Estimate.account_id == acct.id)).all():
            assert est.id is not None
            session.add(
                EstimateVersion(workspace_id=ws.id, estimate_id=est.id, version=1, total_minor=10_000)
            )
        for thread in session.exec(select(MessageThread).where(MessageThread.account_id == acct.id)).all():
            assert thread.id is not None
            session.add(
                Message(
                    workspace_id=ws.id,
                    account_id=acct.id,
                    thread_id=thread.id,
                    author_contact_id=contact.id,
                    body="Hello",
                )
            )
            session.add(
                FollowUpTask(
                    workspace_id=ws.id,
                    account_id=acct.id,
                    title="Reply",
                    source_type="message_thread",
                    source_id=thread.id,
                    trigger="message.posted",
                    assignee_role=Role.TEAM_LEAD,
                    due_at=now + timedelta(hours=rng.randint(1, 72)),
                )
            )
        session.flush()
    _audit_trail(session, ws, accounts, contact.id, staff[Role.TEAM_LEAD].user_id, per_account)
    session.commit()
    return Dataset(
        account_id=accounts[0].id,
        contact=access.resolve_contact(session, contact_id=contact.id, account_id=accounts[0].id),
        finance=staff[Role.FINANCE_REVIEWER],
        team_lead=staff[Role.TEAM_LEAD],
        owner=staff[Role.OWNER],
    )
