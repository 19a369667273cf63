"""The realistic-size dataset: ``workspaces`` x 200 accounts, about 62 rows per account (1.2 million rows at 100
workspaces), in bulk through SQLAlchemy Core with explicit ids (no ORM, no round-trip per row).

Per workspace: six members (one of each role, plus a second manager and lead). Per account: two contacts (one with
every permission, one billing only), three estimates (a version, two lines each), five invoices (two lines each,
payments for what is paid), an approval request, a document request with two items, two threads of three messages,
a delivery with three events, a payment proof awaiting review, three follow-up tasks and eight audit events. Dates
spread over the last 400 days. Run: ``.venv/bin/python bench/generate_large.py --workspaces 100`` (SQLite in a
temp dir, or PORTAL_BENCH_DATABASE_URL); ``bench/pages.py`` uses it.
"""

from __future__ import annotations

import random
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import SQLModel

from models import (
    ApprovalStatus,
    ContactStatus,
    DeliveryStatus,
    DocumentRequestStatus,
    EstimateStatus,
    IntakeKind,
    IntakeStatus,
    InvoiceStatus,
    Role,
    TaskStatus,
    WorkspaceStatus,
    utcnow,
)

ACCOUNTS = 200
ROLES = (Role.OWNER, Role.MANAGER, Role.TEAM_LEAD, Role.FINANCE_REVIEWER, Role.MANAGER, Role.TEAM_LEAD)
BATCH = 5000


@dataclass(frozen=True)
class Large:
    """What the page benchmarks load: workspace 1, its first account, that account's records."""

    rows: int
    seconds: float
    workspace_id: int
    account_id: int
    contact_id: int
    user_ids: dict[str, int]  # owner, manager, lead, finance
    record_ids: dict[str, int]  # invoice, estimate, approval, delivery, document, thread, task


class _Ids:
    def __init__(self) -> None:
        self._next: dict[str, int] = {}

    def __call__(self, table: str) -> int:
        self._next[table] = self._next.get(table, 0) + 1
        return self._next[table]


def _tables() -> dict[str, sa.Table]:
    return dict(SQLModel.metadata.tables)


def generate_large(engine: sa.Engine, *, workspaces: int, seed: int = 11) -> Large:
    """Fill an empty, migrated database. Returns the ids the page benchmarks need and how long it took."""
    rng = random.Random(seed)
    t = _tables()
    ids = _Ids()
    pending: dict[str, list[dict[str, Any]]] = {}
    total = 0
    started = time.perf_counter()
    now = utcnow()
    today = now.date()
    first: dict[str, int] = {}

    def add(table: str, row: dict[str, Any]) -> int:
        nonlocal total
        row.setdefault("id", ids(table))
        pending.setdefault(table, []).append(row)
        total += 1
        return int(row["id"])

    def when(days_back: int) -> datetime:
        return now - timedelta(days=days_back, minutes=rng.randint(0, 1440))

    def flush(conn: sa.Connection, *, force: bool = False) -> None:
        """Write everything pending, parents first, once some table has a full batch (or at the end)."""
        if not force and all(len(rows) < BATCH for rows in pending.values()):
            return
        for name in _ORDER:
            rows = pending.get(name)
            if rows:
                for chunk in _chunks(rows, BATCH):
                    conn.execute(t[name].insert(), chunk)
                pending[name] = []

    with engine.begin() as conn:
        for w in range(workspaces):
            ws = add(
                "workspace",
                {
                    "name": f"Company {w:03d}",
                    "slug": f"company-{w:03d}",
                    "status": WorkspaceStatus.ACTIVE,
                    "portal_enabled": True,
                },
            )
            users = []
            for r, role in enumerate(ROLES):
                uid = add(
                    "user",
                    {
                        "issuer": "bench",
                        "subject": f"{w}-{r}",
                        "email": f"m{r}@company-{w:03d}.example",
                        "email_verified": True,
                        "name": f"Member {r}",
                    },
                )
                add("membership", {"workspace_id": ws, "user_id": uid, "role": role})
                users.append(uid)
            seq = 0
            for a in range(ACCOUNTS):
                acct = add(
                    "customer_account",
                    {"workspace_id": ws, "code": f"C{a:04d}", "name": f"Customer {w:03d}-{a:03d}"},
                )
                contacts = []
                for c, full in enumerate((True, False)):
                    cid = add(
                        "contact",
                        {
                            "workspace_id": ws,
                            "email": f"c{c}@cust-{w}-{a}.example",
                            "name": f"Contact {a}-{c}",
                            "status": ContactStatus.ACTIVE,
                        },
                    )
                    add(
                        "contact_access",
                        {
                            "workspace_id": ws,
                            "contact_id": cid,
                            "account_id": acct,
                            "can_billing": True,
                            "can_operations": full,
                            "can_documents": full,
                        },
                    )
                    contacts.append(cid)
                for e in range(3):
                    status = rng.choice(
                        [EstimateStatus.SHARED, EstimateStatus.APPROVED, EstimateStatus.DRAFT]
                    )
                    est = add(
                        "estimate",
                        {
                            "workspace_id": ws,
                            "account_id": acct,
                            "number": f"E-{acct}-{e}",
                            "title": f"Estimate {e}",
                            "status": status,
                            "current_version": 1,
                            "valid_until": today + timedelta(days=rng.randint(-30, 60)),
                            "shared_at": when(rng.randint(1, 400)),
                            "created_at": when(400),
                            "updated_at": when(30),
                        },
                    )
                    ver = add(
                        "estimate_version",
                        {"workspace_id": ws, "estimate_id": est, "version": 1, "total_minor": 20_000},
                    )
                    for p in range(2):
                        add(
                            "estimate_line",
                            {
                                "workspace_id": ws,
                                "version_id": ver,
                                "position": p + 1,
                                "description": f"Work item {p}",
                                "quantity": 1,
                                "unit_price_minor": 10_000,
                            },
                        )
                    first.setdefault("estimate", est)
                for i in range(5):
                    issued = today - timedelta(days=rng.randint(0, 400))
                    amount = rng.randint(1_000, 500_000)
                    status = rng.choice(
                        [InvoiceStatus.OPEN, InvoiceStatus.PAID, InvoiceStatus.PARTIALLY_PAID]
                    )
                    paid = (
                        amount
                        if status is InvoiceStatus.PAID
                        else amount // 3
                        if status is InvoiceStatus.PARTIALLY_PAID
                        else 0
                    )
                    inv = add(
                        "invoice",
                        {
                            "workspace_id": ws,
                            "account_id": acct,
                            "number": f"I-{acct}-{i}",
                            "status": status,
                            "issue_date": issued,
                            "due_date": issued + timedelta(days=30),
                            "subtotal_minor": amount,
                            "total_minor": amount,
                            "amount_paid_minor": paid,
                            "created_at": when(400),
                            "updated_at": when(30),
                        },
                    )
                    for p in range(2):
                        add(
                            "invoice_line",
                            {
                                "workspace_id": ws,
                                "invoice_id": inv,
                                "position": p + 1,
                                "description": f"Line {p}",
                                "quantity": 1,
                                "unit_price_minor": amount // 2,
                            },
                        )
                    if paid:
                        add(
                            "payment",
                            {
                                "workspace_id": ws,
                                "account_id": acct,
                                "invoice_id": inv,
                                "amount_minor": paid,
                                "currency": "USD",
                                "received_on": issued + timedelta(days=10),
                            },
                        )
                    first.setdefault("invoice", inv)
                first.setdefault(
                    "approval",
                    add(
                        "approval_request",
                        {
                            "workspace_id": ws,
                            "account_id": acct,
                            "title": "Sign off the plan",
                            "status": rng.choice([ApprovalStatus.PENDING, ApprovalStatus.APPROVED]),
                            "created_at": when(rng.randint(1, 200)),
                        },
                    ),
                )
                req = add(
                    "document_request",
                    {
                        "workspace_id": ws,
                        "account_id": acct,
                        "title": "Year-end documents",
                        "status": DocumentRequestStatus.OPEN,
                        "due_on": today + timedelta(days=rng.randint(-20, 30)),
                        "created_at": when(60),
                        "updated_at": when(10),
                    },
                )
                first.setdefault("document", req)
                for p in range(2):
                    add(
                        "document_request_item",
                        {"workspace_id": ws, "request_id": req, "position": p + 1, "label": f"Document {p}"},
                    )
                for h in range(2):
                    last = when(rng.randint(0, 120))
                    thread = add(
                        "message_thread",
                        {
                            "workspace_id": ws,
                            "account_id": acct,
                            "subject": f"Question {h}",
                            "created_at": last,
                            "last_message_at": last,
                        },
                    )
                    first.setdefault("thread", thread)
                    for m in range(3):
                        by_contact = m % 2 == 0
                        add(
                            "message",
                            {
                                "workspace_id": ws,
                                "account_id": acct,
                                "thread_id": thread,
                                "author_contact_id": contacts[0] if by_contact else None,
                                "author_user_id": None if by_contact else users[2],
                                "body": "Thanks, see the attached figures.",
                                "created_at": last,
                            },
                        )
                dlv = add(
                    "delivery",
                    {
                        "workspace_id": ws,
                        "account_id": acct,
                        "reference": f"D-{acct}",
                        "description": "Shipment",
                        "status": DeliveryStatus.IN_TRANSIT,
                        "shared": True,
                        "expected_on": today + timedelta(days=rng.randint(-5, 10)),
                        "created_at": when(20),
                        "updated_at": when(2),
                    },
                )
                first.setdefault("delivery", dlv)
                for k, status in enumerate(
                    (DeliveryStatus.SCHEDULED, DeliveryStatus.IN_TRANSIT, DeliveryStatus.IN_TRANSIT)
                ):
                    add(
                        "delivery_event",
                        {
                            "workspace_id": ws,
                            "delivery_id": dlv,
                            "status": status,
                            "occurred_at": when(10 - k),
                        },
                    )
                add(
                    "intake_file",
                    {
                        "workspace_id": ws,
                        "account_id": acct,
                        "contact_id": contacts[0],
                        "kind": IntakeKind.PAYMENT_PROOF,
                        "claimed_amount_minor": 1_000,
                        "storage_key": uuid.uuid4().hex,
                        "original_name": "proof.pdf",
                        "sniffed_type": "application/pdf",
                        "size_bytes": 20_000,
                        "sha256": "0" * 64,
                        "status": IntakeStatus.AWAITING_REVIEW,
                        "created_at": when(rng.randint(0, 20)),
                    },
                )
                for k in range(3):
                    task = add(
                        "follow_up_task",
                        {
                            "workspace_id": ws,
                            "account_id": acct,
                            "title": "Reply to the customer",
                            "source_type": "message_thread",
                            "source_id": 1,
                            "trigger": "message.posted",
                            "status": TaskStatus.OPEN if k else TaskStatus.DONE,
                            "assignee_role": Role.TEAM_LEAD,
                            "due_at": now + timedelta(hours=rng.randint(-48, 72)),
                            "created_at": when(rng.randint(0, 60)),
                        },
                    )
                    first.setdefault("task", task)
                for k in range(8):
                    seq += 1
                    add(
                        "audit_event",
                        {
                            "workspace_id": ws,
                            "seq": seq,
                            "actor_kind": "staff",
                            "actor_id": users[0],
                            "action": "invoice.issued",
                            "target_type": "invoice",
                            "target_id": k + 1,
                            "account_id": acct,
                            "data": "{}",
                            "created_at": when(400 - seq % 400),
                            "prev_hash": "0" * 64,
                            "hash": "0" * 64,
                        },
                    )
            pending["workspace"][-1]["audit_seq"] = (
                seq  # appends after the load continue the chain's numbering
            )
            flush(conn)
        flush(conn, force=True)
        if engine.dialect.name == "postgresql":
            for name in _ORDER:
                conn.exec_driver_sql(
                    f"SELECT setval(pg_get_serial_sequence('\"{name}\"', 'id'), (SELECT max(id) FROM \"{name}\"))"  # noqa: S608  names from _ORDER
                )
            conn.exec_driver_sql("ANALYZE")
    return Large(
        rows=total,
        seconds=time.perf_counter() - started,
        workspace_id=1,
        account_id=1,
        contact_id=1,
        user_ids={"owner": 1, "manager": 2, "lead": 3, "finance": 4},
        record_ids=first,
    )


# Parents before children (foreign keys).
_ORDER = (
    "workspace",
    "user",
    "membership",
    "customer_account",
    "contact",
    "contact_access",
    "estimate",
    "estimate_version",
    "estimate_line",
    "invoice",
    "invoice_line",
    "payment",
    "approval_request",
    "document_request",
    "document_request_item",
    "message_thread",
    "message",
    "delivery",
    "delivery_event",
    "intake_file",
    "follow_up_task",
    "audit_event",
)


def _chunks(rows: list[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    for i in range(0, len(rows), size):
        yield rows[i : i + size]
