"""The N+1 guard: every page's load issues the same number of SQL statements whatever the data size.

The whole load of each page runs through its real state (the page kit's ``load``: session, shell, page data) on a
dataset of ``SMALL`` and then ``LARGE`` records of every kind per account (bench/generate.py, plus approvals,
deliveries with events, document requests with items and payment proofs awaiting review). A page whose statement
count grows with the data loads rows one by one: this test names it. ``make bench`` prints the times.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from bench.generate import generate  # noqa: E402
from bench.page_list import PAGES  # noqa: E402
from models import (  # noqa: E402
    ApprovalRequest,
    Delivery,
    DeliveryEvent,
    DeliveryStatus,
    DocumentRequest,
    DocumentRequestItem,
    Estimate,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    MessageThread,
    SessionKind,
    utcnow,
)
from portal_app.services import sessions  # noqa: E402
from state.pages import GATE_READY  # noqa: E402
from tests.conftest import _wipe  # noqa: E402
from tests.security.inventory import handler_names  # noqa: E402
from tests.security.test_every_actor import call_handler  # noqa: E402
from tests.state.test_page_states import page_state, staff_token  # noqa: E402

SMALL, LARGE = 4, 24
_LIST_TOTAL = "SELECT COUNT(*) AS COUNT_1 \nFROM (SELECT"  # Page.fetch's count of a whole list


@dataclass
class Loaded:
    statements: int
    gate: str


def _extra_kinds(db: Session, workspace_id: int, account_id: int, contact_id: int, n: int) -> None:
    """What bench/generate.py does not make: ``n`` approvals, deliveries (three events each), document requests
    (two items each) and payment proofs awaiting review on the account."""
    invoice_ids = db.exec(select(Invoice.id).where(Invoice.account_id == account_id).limit(n)).all()
    for i in range(n):
        db.add(ApprovalRequest(workspace_id=workspace_id, account_id=account_id, title=f"Approval {i}"))
        delivery = Delivery(
            workspace_id=workspace_id,
            account_id=account_id,
            reference=f"DEL-{i:04d}",
            shared=True,
            description=f"Delivery {i}",
        )
        request = DocumentRequest(workspace_id=workspace_id, account_id=account_id, title=f"Documents {i}")
        db.add(delivery)
        db.add(request)
        db.flush()
        assert delivery.id is not None and request.id is not None
        for k, status in enumerate(
            (DeliveryStatus.SCHEDULED, DeliveryStatus.IN_TRANSIT, DeliveryStatus.DELIVERED)
        ):
            db.add(
                DeliveryEvent(
                    workspace_id=workspace_id,
                    delivery_id=delivery.id,
                    status=status,
                    occurred_at=utcnow() - timedelta(days=3 - k),
                )
            )
        for k in range(2):
            db.add(
                DocumentRequestItem(
                    workspace_id=workspace_id, request_id=request.id, position=k + 1, label=f"Item {k}"
                )
            )
        db.add(
            IntakeFile(
                workspace_id=workspace_id,
                account_id=account_id,
                contact_id=contact_id,
                kind=IntakeKind.PAYMENT_PROOF,
                invoice_id=invoice_ids[i % len(invoice_ids)],
                claimed_amount_minor=1000 + i,
                storage_key=uuid.uuid4().hex,
                sha256="0" * 64,
                original_name=f"proof-{i}.pdf",
                sniffed_type="application/pdf",
                size_bytes=1234,
                status=IntakeStatus.AWAITING_REVIEW,
            )
        )


def _first_id(db: Session, model: Any, account_id: int) -> int:
    column = model.account_id
    row = db.exec(select(model.id).where(column == account_id).order_by(model.id)).first()
    assert row is not None, f"no {model.__name__} on the account"
    return int(row)


def _measure(engine: sa.Engine, size: int) -> dict[str, Loaded]:
    _wipe(engine)
    with Session(engine, expire_on_commit=False) as db:
        data = generate(db, per_account=size)
        ws_id = data.owner.workspace_id
        _extra_kinds(db, ws_id, data.account_id, data.contact.contact_id, size)
        db.commit()
        contact = sessions.create_session(
            db, kind=SessionKind.CONTACT, contact_id=data.contact.contact_id, account_id=data.account_id
        )
        db.commit()
        tokens = {
            "contact": contact.token,
            "owner": staff_token(db, data.owner.user_id, ws_id),
            "finance": staff_token(db, data.finance.user_id, ws_id),
            "lead": staff_token(db, data.team_lead.user_id, ws_id),
        }
        task = db.exec(
            select(FollowUpTask.id).where(FollowUpTask.workspace_id == ws_id).order_by(FollowUpTask.id)
        ).first()
        ids = {
            "account": data.account_id,
            "invoice": _first_id(db, Invoice, data.account_id),
            "estimate": _first_id(db, Estimate, data.account_id),
            "approval": _first_id(db, ApprovalRequest, data.account_id),
            "delivery": _first_id(db, Delivery, data.account_id),
            "document": _first_id(db, DocumentRequest, data.account_id),
            "thread": _first_id(db, MessageThread, data.account_id),
            "task": int(task or 0),
        }
    classes = handler_names()
    out: dict[str, Loaded] = {}
    for state_name, who, pattern, kind in PAGES:
        cls = classes[f"{state_name}.load"]
        path = pattern.replace("[id]", str(ids[kind])) if kind else pattern
        tab = page_state(cls, tokens[who], path=path)
        call_handler(tab, "load", ())  # warm: the first load of a process compiles what it caches
        tab = page_state(cls, tokens[who], path=path)
        seen: list[str] = []

        def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            head = statement.lstrip().upper()
            # A list's total is counted only when its page is full (Page.fetch): one statement per list, present at
            # one size and not the other by design, never one per row. Left out of the comparison.
            if not head.startswith(("BEGIN", "SAVEPOINT", "RELEASE", "COMMIT", "ROLLBACK", _LIST_TOTAL)):
                seen.append(statement)  # noqa: B023  (one listener per page, removed below)

        sa.event.listen(sa.Engine, "before_cursor_execute", count)  # the app's own engine too
        try:
            call_handler(tab, "load", ())
        finally:
            sa.event.remove(sa.Engine, "before_cursor_execute", count)
        out[state_name] = Loaded(len(seen), str(getattr(tab, "gate", "")))
    return out


@pytest.fixture(scope="module")
def loads(engine: sa.Engine) -> Iterator[dict[int, dict[str, Loaded]]]:
    yield {size: _measure(engine, size) for size in (SMALL, LARGE)}
    _wipe(engine)


@pytest.mark.parametrize("page", [p[0] for p in PAGES])
def test_a_page_load_costs_the_same_statements_at_any_size(
    loads: dict[int, dict[str, Loaded]], page: str
) -> None:
    small, large = loads[SMALL][page], loads[LARGE][page]
    assert small.gate == large.gate == GATE_READY, f"{page} did not load: {small.gate} / {large.gate}"
    assert small.statements > 0, f"{page}: no statement was counted"
    assert large.statements == small.statements, (
        f"{page}: {small.statements} statements with {SMALL} records of each kind, {large.statements} with "
        f"{LARGE}: something is loaded row by row"
    )
