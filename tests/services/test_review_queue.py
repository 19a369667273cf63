"""The review queue: what waits for a reviewer, oldest first, scoped to the workspace, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import IntakeFile, IntakeKind, Role
from portal_app.services import intake
from portal_app.services.errors import Forbidden, NotFound
from tests.factories import days, make_contact, make_tenant, operator
from tests.services.test_intake import PDF, doc_request, open_invoice, png, send_doc, send_proof


@pytest.fixture()
def two(session: Session, storage_dir: Path):
    a, b = make_tenant(session), make_tenant(session)
    session.commit()
    return a, b


def _age(session: Session, intake_id: int, minutes: int) -> None:
    """Make an upload look ``minutes`` old (uploads in one test are microseconds apart)."""
    row = session.get(IntakeFile, intake_id)
    assert row is not None
    row.created_at = row.created_at - timedelta(minutes=minutes)
    session.add(row)
    session.commit()


class _Queries:
    def __init__(self, session: Session) -> None:
        self.count = 0
        self.engine = session.get_bind()

    def __enter__(self) -> _Queries:
        sa.event.listen(self.engine, "before_cursor_execute", self._seen)
        return self

    def __exit__(self, *exc: object) -> None:
        sa.event.remove(self.engine, "before_cursor_execute", self._seen)

    def _seen(self, *args: object) -> None:
        self.count += 1


def test_queue_lists_what_waits_oldest_first_with_its_record(session, two):
    t, _ = two
    inv = open_invoice(session, t, amount=10_000)
    req = doc_request(session, t, account=t.other_account)
    newer = send_proof(session, t.billing_contact, inv.id, amount=4_000, filename="receipt.pdf")
    older = send_doc(session, t.other_contact, req.id, data=png(), filename="scan <1>.png")
    _age(session, newer.id, 5)
    _age(session, older.id, 60)  # created after ``newer`` but dated earlier: the date decides, not the id

    page = intake.review_queue(session, t.finance)
    assert page.total == 2 and [i.id for i in page.items] == [older.id, newer.id]
    assert intake.review_queue_count(session, t.finance) == 2

    doc, proof = page.items
    assert doc.kind is IntakeKind.DOCUMENT and doc.request_title == "Signed W-9"
    assert doc.account_name == t.other_account.name and doc.invoice_number == "" and doc.currency == ""
    assert doc.balance_due_minor is None and doc.claimed_amount_minor is None
    assert (
        doc.original_name == "scan <1>.png" and doc.sniffed_type == "image/png" and doc.note == "here you go"
    )

    assert proof.kind is IntakeKind.PAYMENT_PROOF and proof.invoice_id == inv.id
    assert (
        proof.invoice_number == inv.number and proof.currency == "USD" and proof.balance_due_minor == 10_000
    )
    assert proof.claimed_amount_minor == 4_000 and proof.claimed_paid_on == days(3)
    assert proof.account_name == t.account.name and proof.contact_email
    assert proof.original_name == "receipt.pdf" and proof.size_bytes == len(PDF)
    assert proof.sniffed_type == "application/pdf" and proof.note == "wired on Monday"

    only_proofs = intake.review_queue(session, t.finance, kind="payment_proof")
    assert [i.id for i in only_proofs.items] == [newer.id] and only_proofs.total == 1
    assert intake.review_queue_count(session, t.finance, kind=IntakeKind.DOCUMENT) == 1
    by_account = intake.review_queue(session, t.finance, account_id=t.other_account.id)
    assert [i.id for i in by_account.items] == [older.id]
    second = intake.review_queue(session, t.finance, offset=1, limit=1)
    assert [i.id for i in second.items] == [newer.id] and second.total == 2


def test_decided_items_leave_the_queue(session, two):
    t, _ = two
    inv = open_invoice(session, t)
    first = send_proof(session, t.billing_contact, inv.id, amount=1_000)
    second = send_proof(session, t.billing_contact, inv.id, amount=2_000)
    third = send_proof(session, t.billing_contact, inv.id, amount=3_000)
    intake.review_intake(session, t.finance, first.id, accept=True)
    intake.review_intake(session, t.manager, second.id, accept=False, reason="Unreadable scan.")
    page = intake.review_queue(session, t.owner)
    assert [i.id for i in page.items] == [third.id] and page.total == 1
    assert page.items[0].balance_due_minor == 9_000  # the accepted proof moved the balance shown
    assert intake.review_queue_count(session, t.owner) == 1


def test_queue_is_scoped_to_the_workspace(session, two):
    a, b = two
    inv_a, inv_b = open_invoice(session, a), open_invoice(session, b)
    mine = send_proof(session, a.billing_contact, inv_a.id)
    send_proof(session, b.billing_contact, inv_b.id)
    page = intake.review_queue(session, a.finance)
    assert [i.id for i in page.items] == [mine.id]
    # Another workspace's account as a filter finds nothing, it does not widen the scope.
    assert intake.review_queue(session, a.finance, account_id=b.account.id).total == 0
    assert intake.review_queue_count(session, a.finance, account_id=b.account.id) == 0


@pytest.mark.parametrize("role", [Role.TEAM_LEAD])
def test_roles_without_review_are_forbidden(session, two, role):
    t, _ = two
    with pytest.raises(Forbidden):
        intake.review_queue(session, t.staff[role])
    with pytest.raises(Forbidden):
        intake.review_queue_count(session, t.staff[role])


def test_contacts_and_operators_get_not_found(session, two):
    t, _ = two
    for actor in (t.contact, t.billing_contact, operator()):
        with pytest.raises(NotFound):
            intake.review_queue(session, actor)
        with pytest.raises(NotFound):
            intake.review_queue_count(session, actor)


def test_bad_kind_is_refused(session, two):
    t, _ = two
    with pytest.raises(ValueError):
        intake.review_queue(session, t.finance, kind="everything")


def test_query_count_does_not_grow_with_the_page(session, two):
    t, _ = two
    inv = open_invoice(session, t, amount=100_000)
    req = doc_request(session, t)
    send_proof(session, t.billing_contact, inv.id, amount=100)
    with _Queries(session) as few:
        assert len(intake.review_queue(session, t.finance).items) == 1
    for i in range(6):
        if i % 2:
            send_doc(session, t.contact, req.id)
        else:
            payer = make_contact(session, t.account)  # another contact: one more row to join, no more queries
            session.commit()
            send_proof(session, payer, inv.id, amount=100 + i)
    with _Queries(session) as many:
        assert len(intake.review_queue(session, t.finance).items) == 7
    assert many.count == few.count <= 3
