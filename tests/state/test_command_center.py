"""The staff home by role (the command center for owners and managers, a redirect for the others) and list pages
opened filtered from a URL (``/app/invoices?status=overdue``): each value checked like a filter the page set."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import (  # noqa: E402
    Delivery,
    DeliveryStatus,
    DocumentRequest,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
    utcnow,
)
from portal_app import routes  # noqa: E402
from portal_app.services import invoices as invoice_service  # noqa: E402
from state.deliveries import DeliveriesListState  # noqa: E402
from state.documents import DocumentsListState  # noqa: E402
from state.estimates import EstimatesListState  # noqa: E402
from state.invoices import InvoicesListState  # noqa: E402
from state.messages import MessagesInboxState  # noqa: E402
from state.review import ReviewQueueState  # noqa: E402
from state.staff import StaffHomeState  # noqa: E402
from state.tasks import TasksListState  # noqa: E402
from tests.factories import Tenant, make_task, make_tenant  # noqa: E402
from tests.state.test_page_states import call, page_state, staff_token  # noqa: E402


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


@pytest.fixture()
def two(db: Session) -> tuple[Tenant, Tenant]:
    a, b = make_tenant(db), make_tenant(db)
    db.commit()
    return a, b


def invoice(
    db: Session, t: Tenant, number: str, status: InvoiceStatus, due_in: int, total: int = 10_000
) -> None:
    today = invoice_service.today()
    db.add(
        Invoice(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            number=number,
            status=status,
            total_minor=total,
            subtotal_minor=total,
            issue_date=today - timedelta(days=60),
            due_date=today + timedelta(days=due_in),
        )
    )


def tab(cls: type[Any], db: Session, member: Any, path: str, **params: Any) -> Any:
    state = page_state(cls, staff_token(db, member.user_id, member.workspace_id), path=path, params=params)
    return state


# -- the home by role --------------------------------------------------------------------------------------------


def test_owner_sees_the_command_center_with_signals_linked_to_filtered_lists(
    db: Session, two: tuple[Tenant, Tenant]
) -> None:
    a, b = two
    invoice(db, a, "A-1", InvoiceStatus.OPEN, -5, 12_345)
    invoice(db, a, "A-2", InvoiceStatus.OPEN, 3)
    invoice(db, b, "B-1", InvoiceStatus.OPEN, -5, 99_999)  # another workspace: never counted
    invoice(db, b, "B-2", InvoiceStatus.OPEN, -9, 99_999)
    make_task(db, a.ws, due_in=timedelta(days=-2))
    db.commit()

    home = page_state(StaffHomeState, staff_token(db, a.owner.user_id, a.ws.id))
    result = call(home, "load")
    assert result is None and home.gate == "ready" and home.landing == ""
    cards = {c.name: c for c in home.cards}
    overdue = cards["invoices-overdue"]
    assert (overdue.value, overdue.link_label, overdue.href) == (
        "1",
        "Overdue invoices: 1",
        routes.url_for(routes.STAFF_INVOICES, status="overdue"),
    )
    assert overdue.detail == "Owed: $123.45" and overdue.waiting
    assert overdue.trend.startswith(("Up", "Down", "No change"))
    assert cards["invoices-due-soon"].value == "1"
    assert cards["tasks-overdue"].value == "1" and cards["tasks-overdue"].href == "/app/tasks?state=overdue"
    assert {c.href for c in home.cards} >= {
        "/app/estimates?status=shared",
        "/app/estimates?status=decided_7d",
        "/app/review?kind=payment_proof",
        "/app/review?kind=document",
        "/app/messages?state=unanswered",
        "/app/documents?status=past_due",
        "/app/deliveries?status=exceptions",
        "/app/tasks?state=open",
    }
    assert len(home.decisions) == 8 and home.decisions_summary.startswith("Estimate decisions per week")
    assert home.aging_currency == "USD" and [r["amount"] for r in home.aging] == [
        100.0,
        123.45,
        0.0,
        0.0,
        0.0,
    ]
    assert home.aging_table[0].days_1_30 == "$123.45" and "Receivables aging in USD" in home.aging_summary
    assert [r["age"] for r in home.review_ages][0] == "Under 1 day"
    assert home.reminders_sent.startswith("0 reminders sent")
    assert routes.STAFF in {n.href for n in home.nav}  # owners keep Home
    assert routes.STAFF_AUDIT in {d.href for d in home.destinations}
    assert "B-1" not in str(home.dict()) and "$999.99" not in str(home.dict())


@pytest.mark.parametrize(
    ("role", "target"),
    [("team_lead", "/app/tasks?who=mine"), ("finance", routes.STAFF_REVIEW)],
)
def test_other_roles_land_on_their_own_work(
    db: Session, two: tuple[Tenant, Tenant], role: str, target: str
) -> None:
    a, _ = two
    member = getattr(a, role)
    home = page_state(StaffHomeState, staff_token(db, member.user_id, a.ws.id))
    result = call(home, "load")
    assert home.landing == target and target in str(result)
    assert home.cards == [] and home.destinations == [] and home.reminders_sent == ""
    assert routes.STAFF not in {n.href for n in home.nav}  # no Home entry: their home is Tasks / Review


def test_manager_sees_the_command_center(db: Session, two: tuple[Tenant, Tenant]) -> None:
    a, _ = two
    home = page_state(StaffHomeState, staff_token(db, a.manager.user_id, a.ws.id))
    assert call(home, "load") is None
    assert home.gate == "ready" and len(home.cards) == 11


# -- lists opened from a URL -------------------------------------------------------------------------------------


def test_invoices_open_overdue_or_due_soon_from_the_url(db: Session, two: tuple[Tenant, Tenant]) -> None:
    a, b = two
    invoice(db, a, "A-LATE", InvoiceStatus.PARTIALLY_PAID, -3)
    invoice(db, a, "A-SOON", InvoiceStatus.OPEN, 6)
    invoice(db, a, "A-LATER", InvoiceStatus.OPEN, 30)
    invoice(db, a, "A-PAID", InvoiceStatus.PAID, -30)
    invoice(db, b, "B-LATE", InvoiceStatus.OPEN, -3)
    db.commit()

    late = tab(InvoicesListState, db, a.finance, routes.STAFF_INVOICES, status="overdue")
    call(late, "load")
    assert [r.number for r in late.rows] == ["A-LATE"] and late.filter_values["status"] == "overdue"
    assert late.filtered and "status=overdue" in late.csv_href  # the export takes the same filter
    soon = tab(InvoicesListState, db, a.finance, routes.STAFF_INVOICES, status="due_soon")
    call(soon, "load")
    assert [r.number for r in soon.rows] == ["A-SOON"] and "status=due_soon" in soon.csv_href
    paid = tab(InvoicesListState, db, a.finance, routes.STAFF_INVOICES, status="paid", q="a-p")
    call(paid, "load")
    assert (
        [r.number for r in paid.rows] == ["A-PAID"]
        and paid.search == "a-p"
        and "status=paid" in paid.csv_href
    )
    # Forged values fall back to the defaults; an id filter takes only a positive id (scoped by the service).
    forged = tab(
        InvoicesListState, db, a.finance, routes.STAFF_INVOICES, status="1 OR 1=1", account="-3", order=[1]
    )
    call(forged, "load")
    assert forged.filters == {"status": "all", "account": "all", "order": "newest"} and len(forged.rows) == 4
    theirs = tab(InvoicesListState, db, a.finance, routes.STAFF_INVOICES, account=str(b.account.id))
    call(theirs, "load")
    assert theirs.rows == [] and theirs.filter_values["account"] == str(b.account.id)
    mine = tab(InvoicesListState, db, a.finance, routes.STAFF_INVOICES, account=f" {a.account.id}")
    call(mine, "load")
    assert len(mine.rows) == 4


def test_without_url_filters_a_list_keeps_what_the_viewer_chose(
    db: Session, two: tuple[Tenant, Tenant]
) -> None:
    a, _ = two
    invoice(db, a, "A-LATE", InvoiceStatus.OPEN, -3)
    invoice(db, a, "A-SOON", InvoiceStatus.OPEN, 6)
    db.commit()
    state = tab(InvoicesListState, db, a.finance, routes.STAFF_INVOICES)
    call(state, "load")
    assert len(state.rows) == 2 and not state.filtered
    call(state, "set_filter", "status", "due_soon")
    call(state, "load")  # back on the page through the navigation: no query in the URL
    assert [r.number for r in state.rows] == ["A-SOON"]
    state.router.page.params.update({"status": "overdue"})  # a signal's link
    call(state, "load")
    assert [r.number for r in state.rows] == ["A-LATE"]


def test_other_lists_take_their_signal_filters_from_the_url(db: Session, two: tuple[Tenant, Tenant]) -> None:
    a, _ = two
    now, today = utcnow(), invoice_service.today()
    db.add(
        DocumentRequest(
            workspace_id=a.ws.id, account_id=a.account.id, title="Late W-9", due_on=today - timedelta(days=2)
        )
    )
    db.add(
        DocumentRequest(
            workspace_id=a.ws.id, account_id=a.account.id, title="Later", due_on=today + timedelta(days=2)
        )
    )
    db.add(
        Estimate(
            workspace_id=a.ws.id,
            account_id=a.account.id,
            number="E-1",
            title="Decided",
            status=EstimateStatus.DECLINED,
            decided_at=now,
        )
    )
    db.add(
        Estimate(
            workspace_id=a.ws.id,
            account_id=a.account.id,
            number="E-2",
            title="Waiting",
            status=EstimateStatus.SHARED,
        )
    )
    db.add(
        Delivery(
            workspace_id=a.ws.id, account_id=a.account.id, reference="D-1", status=DeliveryStatus.EXCEPTION
        )
    )
    db.add(
        Delivery(
            workspace_id=a.ws.id, account_id=a.account.id, reference="D-2", status=DeliveryStatus.SCHEDULED
        )
    )
    make_task(db, a.ws, title="Late task", due_in=timedelta(days=-1))
    make_task(db, a.ws, title="Fresh task", due_in=timedelta(days=1))
    db.commit()

    docs = tab(DocumentsListState, db, a.owner, routes.STAFF_DOCUMENTS, status="past_due")
    call(docs, "load")
    assert [r.title for r in docs.rows] == ["Late W-9"]
    decided = tab(EstimatesListState, db, a.owner, routes.STAFF_ESTIMATES, status="decided")
    call(decided, "load")
    assert [r.number for r in decided.rows] == ["E-1"] and decided.status_filter == "decided"
    this_week = tab(EstimatesListState, db, a.owner, routes.STAFF_ESTIMATES, status="decided_7d")
    call(this_week, "load")
    assert [r.number for r in this_week.rows] == ["E-1"] and this_week.status_filter == "decided_7d"
    shared = tab(EstimatesListState, db, a.owner, routes.STAFF_ESTIMATES, status="shared")
    call(shared, "load")
    assert [r.number for r in shared.rows] == ["E-2"]
    late = tab(DeliveriesListState, db, a.owner, routes.STAFF_DELIVERIES, status="exceptions")
    call(late, "load")
    assert [r.reference for r in late.rows] == ["D-1"]
    overdue = tab(TasksListState, db, a.owner, routes.STAFF_TASKS, state="overdue")
    call(overdue, "load")
    assert [r.title for r in overdue.rows] == ["Late task"]
    review = tab(ReviewQueueState, db, a.owner, routes.STAFF_REVIEW, kind="payment_proof")
    call(review, "load")
    assert review.kind_filter == "payment_proof" and review.gate == "ready"
    inbox = tab(MessagesInboxState, db, a.owner, routes.STAFF_MESSAGES, state="unanswered")
    call(inbox, "load")
    assert inbox.filter_values["state"] == "unanswered"
    mine = tab(TasksListState, db, a.team_lead, routes.STAFF_TASKS, who="mine")
    call(mine, "load")
    assert mine.filter_values == {"who": "mine", "state": "open", "account": "all"}


def test_trends_ages_and_durations_read_as_words() -> None:
    from datetime import UTC, datetime

    from state.command_center import age, duration, trend

    assert trend(5, 2) == ("Up: +3 vs last week", "trending-up")
    assert trend(1, 3) == ("Down: \u22122 vs last week", "trending-down")
    assert trend(4, 4, against="the 7 days before") == ("No change vs the 7 days before", "minus")
    assert trend(4, None) == ("", "minus")
    now = datetime(2026, 6, 15, 12, tzinfo=UTC)
    assert age(now - timedelta(minutes=5), now) == "less than an hour"
    assert age(now - timedelta(hours=5), now) == "5 hours"
    assert age(now - timedelta(days=1, hours=2), now) == "1 day"
    assert age(None, now) == ""
    assert duration(timedelta(hours=36)) == "36 hours"
    assert duration(timedelta(days=3)) == "3 days"
    assert duration(timedelta(days=2, hours=12)) == "2.5 days"
    assert duration(None) == ""
