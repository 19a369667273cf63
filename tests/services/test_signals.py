"""The command center's signals: hand-counted figures now and a week ago, totals per currency, the median time to
a decision, the oldest waiting item, scoping to the workspace, the roles that may read them, and a statement count
that does not grow with the data."""

from __future__ import annotations

import itertools
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import (
    Delivery,
    DeliveryStatus,
    DocumentRequest,
    DocumentRequestStatus,
    Estimate,
    EstimateStatus,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    Message,
    MessageThread,
    Role,
    TaskStatus,
)
from models.schemas import AgingBuckets
from portal_app.services import signals
from portal_app.services.errors import Forbidden, NotFound
from portal_app.services.tasks import member_names
from tests.factories import Tenant, make_tenant, operator

NOW = datetime(2026, 6, 15, 12, 0, tzinfo=UTC)
TODAY = NOW.date()
_n = itertools.count(1)


def ago(**kw: float) -> datetime:
    return NOW - timedelta(**kw)


def day(k: int) -> date:
    return TODAY + timedelta(days=k)


@contextmanager
def count_queries(session: Session):
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def add(session: Session, row: Any) -> Any:
    session.add(row)
    session.flush()
    return row


def estimate(session: Session, t: Tenant, status: EstimateStatus, **kw: Any) -> Estimate:
    i = next(_n)
    return add(
        session,
        Estimate(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            number=f"E-{i}",
            title=f"Job {i}",
            status=status,
            **kw,
        ),
    )


def invoice(session: Session, t: Tenant, status: InvoiceStatus, total: int, **kw: Any) -> Invoice:
    i = next(_n)
    kw.setdefault("issue_date", day(-60))
    return add(
        session,
        Invoice(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            number=f"I-{i}",
            status=status,
            total_minor=total,
            subtotal_minor=total,
            **kw,
        ),
    )


def intake(
    session: Session, t: Tenant, kind: IntakeKind, status: IntakeStatus, created: datetime, **kw: Any
) -> None:
    i = next(_n)
    add(
        session,
        IntakeFile(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            contact_id=t.contact.contact_id,
            kind=kind,
            status=status,
            storage_key=f"key-{i}",
            original_name=f"file-{i}.pdf",
            sniffed_type="application/pdf",
            size_bytes=100,
            sha256="0" * 64,
            created_at=created,
            **kw,
        ),
    )


def thread(session: Session, t: Tenant, *messages: tuple[str, datetime]) -> None:
    """A thread and its messages in order: ("contact" | "staff" | "note", when)."""
    th = add(session, MessageThread(workspace_id=t.ws.id, account_id=t.account.id, subject="Question"))
    for who, when in messages:
        add(
            session,
            Message(
                workspace_id=t.ws.id,
                account_id=t.account.id,
                thread_id=th.id,
                author_contact_id=t.contact.contact_id if who == "contact" else None,
                author_user_id=None if who == "contact" else t.team_lead.user_id,
                internal=who == "note",
                body="…",
                created_at=when,
            ),
        )


def request(session: Session, t: Tenant, status: DocumentRequestStatus, due: date | None, **kw: Any) -> None:
    add(
        session,
        DocumentRequest(
            workspace_id=t.ws.id, account_id=t.account.id, title="W-9", status=status, due_on=due, **kw
        ),
    )


def delivery(session: Session, t: Tenant, status: DeliveryStatus, **kw: Any) -> None:
    add(
        session,
        Delivery(
            workspace_id=t.ws.id, account_id=t.account.id, reference=f"D-{next(_n)}", status=status, **kw
        ),
    )


def task(session: Session, t: Tenant, status: TaskStatus = TaskStatus.OPEN, **kw: Any) -> None:
    add(
        session,
        FollowUpTask(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            title="Follow up",
            source_type="estimate",
            source_id=1,
            trigger="estimate.approved",
            status=status,
            **kw,
        ),
    )


@pytest.fixture()
def two(session: Session) -> tuple[Tenant, Tenant]:
    a, b = make_tenant(session), make_tenant(session)
    session.commit()
    return a, b


def noise(session: Session, t: Tenant) -> None:
    """One of everything that counts, for the other workspace: none of it may show in the first one's figures."""
    estimate(session, t, EstimateStatus.SHARED, shared_at=ago(days=30))
    estimate(session, t, EstimateStatus.APPROVED, shared_at=ago(days=3), decided_at=ago(days=1))
    invoice(session, t, InvoiceStatus.OPEN, 999_999, due_date=day(-3))
    invoice(session, t, InvoiceStatus.OPEN, 999_999, due_date=day(2))
    intake(session, t, IntakeKind.PAYMENT_PROOF, IntakeStatus.AWAITING_REVIEW, ago(days=40))
    intake(session, t, IntakeKind.DOCUMENT, IntakeStatus.AWAITING_REVIEW, ago(days=40))
    thread(session, t, ("contact", ago(days=50)))
    request(session, t, DocumentRequestStatus.OPEN, day(-30))
    delivery(session, t, DeliveryStatus.EXCEPTION, updated_at=ago(hours=1))
    task(session, t, due_at=ago(days=30), created_at=ago(days=40))
    session.flush()


def test_estimates_waiting_decided_rate_and_median(session: Session, two: tuple[Tenant, Tenant]) -> None:
    a, b = two
    estimate(session, a, EstimateStatus.SHARED, shared_at=ago(days=10))  # waiting, and a week ago
    estimate(session, a, EstimateStatus.SHARED, shared_at=ago(days=2))
    estimate(session, a, EstimateStatus.APPROVED, shared_at=ago(days=3), decided_at=ago(days=1))  # 2 days
    estimate(
        session, a, EstimateStatus.APPROVED, shared_at=ago(days=12), decided_at=ago(days=5)
    )  # 7; waiting then
    estimate(session, a, EstimateStatus.DECLINED, shared_at=ago(days=10), decided_at=ago(days=9))  # 1 day
    estimate(
        session, a, EstimateStatus.CHANGES_REQUESTED, shared_at=ago(days=24), decided_at=ago(days=20)
    )  # 4
    estimate(
        session, a, EstimateStatus.APPROVED, shared_at=ago(days=41), decided_at=ago(days=40)
    )  # chart only
    estimate(
        session, a, EstimateStatus.EXPIRED, shared_at=ago(days=20), updated_at=ago(days=2)
    )  # waiting then
    estimate(session, a, EstimateStatus.DRAFT)
    noise(session, b)

    e = signals.command_center(session, a.owner, now=NOW).estimates
    assert (e.awaiting, e.awaiting_week_ago, e.oldest_shared_at) == (2, 3, ago(days=10))
    assert (e.decided_7, e.decided_prev_7, e.decided_30, e.approved_30) == (2, 1, 4, 2)
    assert e.approval_rate == 0.5
    assert e.median_to_decision == timedelta(days=3)  # median of 1, 2, 4 and 7 days
    assert len(e.weeks) == 8 and e.weeks[-1].start == day(-7) and e.weeks[0].start == day(-56)
    assert [(w.approved, w.declined, w.changes_requested) for w in e.weeks] == [
        (0, 0, 0),
        (0, 0, 0),
        (1, 0, 0),  # 35-42 days ago
        (0, 0, 0),
        (0, 0, 0),
        (0, 0, 1),  # 14-21 days ago
        (0, 1, 0),
        (2, 0, 0),  # the last 7 days
    ]


def test_invoices_overdue_due_soon_totals_per_currency_and_aging(
    session: Session, two: tuple[Tenant, Tenant]
) -> None:
    a, b = two
    invoice(
        session,
        a,
        InvoiceStatus.PARTIALLY_PAID,
        10_000,
        amount_paid_minor=2_500,
        due_date=day(-5),
        issue_date=day(-35),
    )
    invoice(session, a, InvoiceStatus.OPEN, 3_000, due_date=day(-40), issue_date=day(-70))
    invoice(session, a, InvoiceStatus.OPEN, 2_000, due_date=day(3), issue_date=day(-10))
    invoice(session, a, InvoiceStatus.OPEN, 1_000, due_date=day(30))  # not due yet, not soon
    invoice(
        session,
        a,
        InvoiceStatus.PARTIALLY_PAID,
        50_000,
        amount_paid_minor=10_000,
        currency="EUR",
        due_date=day(-100),
    )
    # Settled this week: overdue a week ago.
    invoice(
        session,
        a,
        InvoiceStatus.PAID,
        4_000,
        amount_paid_minor=4_000,
        due_date=day(-20),
        updated_at=ago(days=2),
    )
    invoice(
        session, a, InvoiceStatus.VOID, 7_000, due_date=day(-10), issue_date=day(-40), voided_at=ago(days=3)
    )
    invoice(
        session,
        a,
        InvoiceStatus.PAID,
        4_000,
        amount_paid_minor=4_000,
        due_date=day(-60),
        updated_at=ago(days=30),
    )
    invoice(session, a, InvoiceStatus.DRAFT, 8_000, due_date=day(-3), issue_date=None)
    noise(session, b)

    inv = signals.command_center(session, a.owner, now=NOW).invoices
    assert (inv.overdue, inv.overdue_week_ago) == (3, 4)
    assert inv.overdue_totals == (signals.Amount("USD", 10_500), signals.Amount("EUR", 40_000))
    assert (inv.due_soon, inv.due_soon_week_ago) == (1, 1)  # a week ago the first one was due within 7 days
    assert inv.due_soon_totals == (signals.Amount("USD", 2_000),)
    assert [(r.currency, r.aging) for r in inv.aging] == [
        ("USD", AgingBuckets(current=3_000, days_1_30=7_500, days_31_60=3_000)),
        ("EUR", AgingBuckets(days_90_plus=40_000)),
    ]
    assert inv.aging[0].balance_minor == 13_500


def test_queues_review_messages_documents_deliveries(session: Session, two: tuple[Tenant, Tenant]) -> None:
    a, b = two
    proof, doc = IntakeKind.PAYMENT_PROOF, IntakeKind.DOCUMENT
    intake(session, a, proof, IntakeStatus.AWAITING_REVIEW, ago(hours=2))
    intake(session, a, proof, IntakeStatus.AWAITING_REVIEW, ago(days=2))
    intake(session, a, doc, IntakeStatus.AWAITING_REVIEW, ago(days=10))
    intake(
        session, a, proof, IntakeStatus.ACCEPTED, ago(days=8), reviewed_at=ago(days=1)
    )  # waiting a week ago
    intake(session, a, doc, IntakeStatus.REJECTED, ago(days=12), reviewed_at=ago(days=10))
    thread(session, a, ("contact", ago(days=3)))
    thread(session, a, ("contact", ago(days=10)), ("staff", ago(days=1)))  # answered since
    thread(session, a, ("contact", ago(days=9)), ("note", ago(days=1)))  # a note is no answer
    thread(session, a, ("staff", ago(days=2)))
    request(session, a, DocumentRequestStatus.OPEN, day(-3), created_at=ago(days=20))
    request(session, a, DocumentRequestStatus.OPEN, day(-10), created_at=ago(days=20))
    request(session, a, DocumentRequestStatus.SUBMITTED, day(-1), created_at=ago(days=5))
    request(session, a, DocumentRequestStatus.OPEN, day(1))
    request(session, a, DocumentRequestStatus.OPEN, None)
    request(
        session, a, DocumentRequestStatus.FULFILLED, day(-9), created_at=ago(days=30), updated_at=ago(days=2)
    )
    request(
        session,
        a,
        DocumentRequestStatus.CANCELLED,
        day(-30),
        created_at=ago(days=40),
        updated_at=ago(days=20),
    )
    delivery(session, a, DeliveryStatus.EXCEPTION, updated_at=ago(days=1))
    delivery(session, a, DeliveryStatus.EXCEPTION, updated_at=ago(days=20))
    delivery(session, a, DeliveryStatus.IN_TRANSIT, expected_on=day(-2))
    delivery(session, a, DeliveryStatus.SCHEDULED, expected_on=day(-30))
    delivery(session, a, DeliveryStatus.SCHEDULED, expected_on=day(2))
    delivery(session, a, DeliveryStatus.DELIVERED, expected_on=day(-30))
    noise(session, b)

    cc = signals.command_center(session, a.manager, now=NOW)
    p, d = cc.review[proof], cc.review[doc]
    assert (p.waiting, p.week_ago, p.oldest_at, p.by_age) == (2, 1, ago(days=2), (1, 1, 0, 0))
    assert (d.waiting, d.week_ago, d.oldest_at, d.by_age) == (1, 1, ago(days=10), (0, 0, 0, 1))
    assert cc.review[IntakeKind.ATTACHMENT].waiting == 0
    m = cc.messages
    assert (m.unanswered, m.week_ago, m.oldest_at) == (2, 2, ago(days=9))
    docs = cc.documents
    assert (docs.past_due, docs.week_ago, docs.oldest_due_on) == (3, 2, day(-10))
    dl = cc.deliveries
    assert (dl.problems, dl.late, dl.exceptions, dl.new_this_week) == (2, 2, 4, 2)


def test_tasks_open_and_overdue_by_assignee(session: Session, two: tuple[Tenant, Tenant]) -> None:
    a, b = two
    task(session, a, assignee_user_id=a.team_lead.user_id, due_at=ago(days=1), created_at=ago(days=10))
    task(session, a, assignee_role=Role.TEAM_LEAD, due_at=ago(days=-1), created_at=ago(days=1))
    task(session, a, due_at=ago(days=8), created_at=ago(days=20))  # nobody's
    task(session, a, TaskStatus.DONE, due_at=ago(days=8), created_at=ago(days=9), completed_at=ago(days=2))
    task(session, a, TaskStatus.DONE, created_at=ago(days=40), completed_at=ago(days=30))
    task(session, a, TaskStatus.CANCELLED, due_at=ago(days=3))
    noise(session, b)

    ts = signals.command_center(session, a.owner, now=NOW).tasks
    assert (ts.open, ts.overdue, ts.open_week_ago, ts.overdue_week_ago) == (3, 2, 3, 2)
    people = {(x.user_id, x.role): (x.name, x.open, x.overdue) for x in ts.by_assignee}
    lead_name = next(iter(member_names(session, a.owner, [a.team_lead.user_id]).values()))
    assert people == {
        (a.team_lead.user_id, None): (lead_name, 1, 1),
        (None, Role.TEAM_LEAD): ("", 1, 0),
        (None, None): ("", 1, 1),
    }


def test_an_empty_workspace_reads_zero_everywhere(session: Session, two: tuple[Tenant, Tenant]) -> None:
    a, b = two
    noise(session, b)
    cc = signals.command_center(session, a.owner, now=NOW)
    assert cc.default_currency == "USD"
    assert (cc.estimates.awaiting, cc.estimates.decided_30, cc.estimates.approval_rate) == (0, 0, None)
    assert cc.estimates.median_to_decision is None and cc.estimates.oldest_shared_at is None
    assert (cc.invoices.overdue, cc.invoices.overdue_totals, cc.invoices.aging) == (0, (), ())
    assert all(r.waiting == 0 and r.oldest_at is None for r in cc.review.values())
    assert (cc.messages.unanswered, cc.messages.oldest_at) == (0, None)
    assert (cc.documents.past_due, cc.deliveries.exceptions, cc.tasks.open, cc.tasks.by_assignee) == (
        0,
        0,
        0,
        (),
    )


def test_only_owners_and_managers_read_the_signals(session: Session, two: tuple[Tenant, Tenant]) -> None:
    a, _ = two
    for member in (a.team_lead, a.finance):
        with pytest.raises(Forbidden):
            signals.command_center(session, member)
    for outsider in (a.contact, operator()):
        with pytest.raises(NotFound):
            signals.command_center(session, outsider)
    assert signals.command_center(session, a.manager).now.tzinfo is not None


def test_statements_do_not_grow_with_the_data(session: Session, two: tuple[Tenant, Tenant]) -> None:
    a, b = two
    noise(session, a)
    task(session, a, assignee_user_id=a.team_lead.user_id)  # the names lookup runs only when someone is named
    with count_queries(session) as few:
        signals.command_center(session, a.owner, now=NOW)
    for _ in range(15):
        noise(session, a)
        noise(session, b)
        task(session, a, assignee_user_id=a.finance.user_id, due_at=ago(days=1))
        estimate(session, a, EstimateStatus.DECLINED, shared_at=ago(days=4), decided_at=ago(days=2))
    with count_queries(session) as many:
        big = signals.command_center(session, a.owner, now=NOW)
    assert big.tasks.open == 32 and big.estimates.decided_7 == 31
    assert len(few) == len(many) <= 16


def test_each_signal_counts_what_its_filtered_list_shows(
    session: Session, two: tuple[Tenant, Tenant]
) -> None:
    """The link behind a number opens a list of that many rows (the lists use today's date: so does this)."""
    from portal_app.services import (
        deliveries,
        document_requests,
        estimates,
        invoices,
        messages,
        tasks,
    )
    from portal_app.services import (
        intake as intake_service,
    )

    a, b = two
    now = datetime.now(UTC)
    today = now.date()

    def rel(k: int) -> date:
        return today + timedelta(days=k)

    for t in (a, b):
        invoice(session, t, InvoiceStatus.OPEN, 1_000, due_date=rel(-1))
        invoice(session, t, InvoiceStatus.PARTIALLY_PAID, 5_000, amount_paid_minor=1, due_date=rel(-30))
        invoice(session, t, InvoiceStatus.OPEN, 1_000, due_date=rel(0))
        invoice(session, t, InvoiceStatus.OPEN, 1_000, due_date=rel(7))
        invoice(session, t, InvoiceStatus.OPEN, 1_000, due_date=rel(8))
        invoice(session, t, InvoiceStatus.PAID, 1_000, amount_paid_minor=1_000, due_date=rel(-3))
        estimate(session, t, EstimateStatus.SHARED, shared_at=now - timedelta(days=1))
        estimate(
            session,
            t,
            EstimateStatus.APPROVED,
            shared_at=now - timedelta(days=3),
            decided_at=now - timedelta(days=2),
        )
        estimate(
            session,
            t,
            EstimateStatus.CHANGES_REQUESTED,
            shared_at=now - timedelta(days=3),
            decided_at=now - timedelta(hours=2),
        )
        # Decided before the window: the list behind "decided in the last 7 days" leaves it out too.
        estimate(
            session,
            t,
            EstimateStatus.DECLINED,
            shared_at=now - timedelta(days=20),
            decided_at=now - timedelta(days=9),
        )
        request(session, t, DocumentRequestStatus.OPEN, rel(-1))
        request(session, t, DocumentRequestStatus.SUBMITTED, rel(-5))
        request(session, t, DocumentRequestStatus.OPEN, rel(0))
        delivery(session, t, DeliveryStatus.EXCEPTION)
        delivery(session, t, DeliveryStatus.IN_TRANSIT, expected_on=rel(-1))
        delivery(session, t, DeliveryStatus.SCHEDULED, expected_on=rel(0))
        intake(session, t, IntakeKind.PAYMENT_PROOF, IntakeStatus.AWAITING_REVIEW, now - timedelta(hours=3))
        intake(session, t, IntakeKind.DOCUMENT, IntakeStatus.AWAITING_REVIEW, now - timedelta(days=3))
        thread(session, t, ("contact", now - timedelta(hours=5)))
        task(session, t, due_at=now - timedelta(hours=1))
        task(session, t, TaskStatus.IN_PROGRESS, due_at=now + timedelta(hours=1))
    session.commit()

    cc = signals.command_center(session, a.owner)
    owner = a.owner
    assert cc.invoices.overdue == invoices.list_invoices(session, owner, overdue_only=True).total == 2
    assert cc.invoices.due_soon == invoices.list_invoices(session, owner, due_within_days=7).total == 2
    assert (
        cc.estimates.awaiting == estimates.list_estimates(session, owner, status=EstimateStatus.SHARED).total
    )
    last_week = estimates.list_estimates(session, owner, decided=True, decided_within_days=7)
    assert cc.estimates.decided_7 == last_week.total == 2
    assert estimates.list_estimates(session, owner, decided=True).total == 3
    assert (
        cc.documents.past_due
        == document_requests.list_document_requests(session, owner, past_due=True).total
        == 2
    )
    assert (
        cc.deliveries.exceptions
        == deliveries.list_deliveries(session, owner, exceptions_only=True).total
        == 2
    )
    assert cc.tasks.overdue == tasks.list_tasks(session, owner, overdue=True).total == 1
    assert cc.tasks.open == tasks.list_tasks(session, owner).total == 2
    for kind in (IntakeKind.PAYMENT_PROOF, IntakeKind.DOCUMENT):
        assert cc.review[kind].waiting == intake_service.review_queue_count(session, owner, kind=kind) == 1
    assert cc.messages.unanswered == messages.unanswered_count(session, owner) == 1
