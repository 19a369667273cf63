"""The audit log page without a browser: who may open it, keyset pages back and forth, filters from the URL and
from the controls (forged values dropped), the dates form, the chain check naming the first broken entry, and
the CSV link carrying the filters. Handlers are called directly with a router carrying the session cookie and
the page's URL query. Data is committed and wiped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, date, datetime
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import AuditEvent, Workspace  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.services import (  # noqa: E402
    approvals,
    audit,
    audit_log,
    audit_words,
    deliveries,
    document_requests,
    estimates,
    invoices,
    snapshots,
    tasks,
)
from portal_app.services.lines import LineInput  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state.approvals import ApprovalDetailState  # noqa: E402
from state.audit import ACTION_MENU, PAGE_SIZE, PAYMENT_MENU, AuditLogState, history_url  # noqa: E402
from state.deliveries import DeliveryDetailState  # noqa: E402
from state.documents import DocumentDetailState  # noqa: E402
from state.estimates import EstimateDetailState  # noqa: E402
from state.invoices import InvoiceDetailState  # noqa: E402
from tests.factories import make_task, make_tenant  # noqa: E402
from tests.state.test_estimate_pages import call, page_state, staff_token  # noqa: E402
from tests.state.test_page_states import contact_token  # noqa: E402

LINE = [{"description": "Work", "quantity": 1, "unit_price_minor": 10_000}]


@pytest.fixture(autouse=True)
def _fresh_verify_budget() -> Iterator[None]:
    # Ids repeat from test to test (the tables are wiped): earlier checks must not count against later ones.
    audit_log.verify_limiter.clear()
    yield
    audit_log.verify_limiter.clear()


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def page(token: str | None, **query: str) -> AuditLogState:
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(AuditLogState.get_full_name().split(".")[1:])
    url = routes.url_for(routes.STAFF_AUDIT, **query)
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"{COOKIE_NAME}={token}" if token else ""},
            "pathname": routes.STAFF_AUDIT,
            "asPath": url,
            "query": query,
            "token": "t",
        }
    )
    object.__setattr__(root, "router", router)
    current: Any = state
    while current is not None:
        current.router = router
        current = current.parent_state
    return state  # type: ignore[return-value]


def opened(db: Session, who: Any, /, **query: str) -> AuditLogState:
    token = staff_token(db, who)
    db.rollback()
    state = page(token, **query)
    call(state, "load")
    return state


@pytest.fixture()
def world(db: Session) -> dict[str, Any]:
    a, b = make_tenant(db), make_tenant(db)
    for t in (a, b):
        for _ in range(PAGE_SIZE + 20):
            audit.append_event(
                db,
                workspace_id=t.ws.id,
                actor=None,
                actor_override=("staff", t.owner.user_id),
                action="auth.signed_in",
                target_type="user",
                target_id=t.owner.user_id,
            )
        db.commit()
    inv = invoices.create_invoice(db, a.finance, a.account.id, lines=LINE)
    invoices.issue_invoice(db, a.finance, inv.id)
    # Plain values: reading an expired ORM attribute later would open a transaction that blocks the handlers.
    ids = {"account": a.account.id, "other_account": b.account.id, "other_ws": b.ws.id, "ws": a.ws.id}
    ids |= {"finance_user": a.finance.user_id}
    db.rollback()
    return {"a": a, "b": b, "invoice": inv, "ids": ids}


def test_who_may_open_it(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    assert opened(db, a.owner).gate == "ready"
    assert opened(db, a.manager).gate == "ready"
    lead = opened(db, a.team_lead)
    assert lead.gate == "no_access" and lead.rows == []
    token = contact_token(db, a.contact)
    db.rollback()
    state = page(token)
    call(state, "load")
    assert state.gate == "no_access" and state.rows == []
    signed_out = page(None)
    call(signed_out, "load")
    assert signed_out.gate == "signed_out"


def test_finance_sees_payment_entries_and_is_told_so(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    snapshots.share_statement(
        db, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
    )
    task = make_task(db, a.ws, account=a.account, title="Chase")
    db.commit()
    tasks.comment_on_task(db, a.finance, task.id, text="Internal remark")
    db.rollback()
    state = opened(db, a.finance)
    assert state.gate == "ready" and state.payments_only
    # The statement shared is listed under "Invoices & payments": the finance reviewer sees it; not the task.
    assert [r.sentence.split(" ")[2] for r in state.rows] == ["shared", "issued", "created"]
    assert [r.action_label for r in state.rows][0] == "Statement shared"
    call(state, "set_filter", "action", "group:tasks")  # forged: not on their menu, and nothing anyway
    assert state.rows == []
    call(state, "set_filter", "action", "group:invoices")
    assert len(state.rows) == 3
    assert PAYMENT_MENU[0][1][0] == ("group:invoices", "Invoices & payments (all)")
    assert ("invoice.payment_recorded", "Payment recorded") in PAYMENT_MENU[0][1]
    assert len(ACTION_MENU) == len(audit_words.GROUPS) > len(PAYMENT_MENU) == 2
    assert not state.has_older and not state.has_newer


def test_newer_and_older_walk_the_keyset_and_come_back(db: Session, world: dict[str, Any]) -> None:
    state = opened(db, world["a"].owner)
    first = [r.seq for r in state.rows]
    assert len(first) == PAGE_SIZE and first == sorted(first, reverse=True) and first[0] == PAGE_SIZE + 22
    assert (
        state.has_older and not state.has_newer and state.page_label.startswith("Newest entries · #72 to #23")
    )
    call(state, "older_page")
    second = [r.seq for r in state.rows]
    assert second == list(range(first[-1] - 1, 0, -1)) and not state.has_older and state.has_newer
    assert state.page_label.startswith("Page 2")
    call(state, "older_page")  # nothing older: stays
    assert [r.seq for r in state.rows] == second
    call(state, "newer_page")
    assert [r.seq for r in state.rows] == first and not state.has_newer
    call(state, "newer_page")  # already the newest
    assert [r.seq for r in state.rows] == first
    assert state.rows[0].sentence.startswith("User ") and " issued invoice INV-" in state.rows[0].sentence
    assert state.rows[2].sentence.endswith(" signed in") and state.rows[2].record.startswith("Member User ")
    assert state.rows[0].who_kind == "Member" and state.rows[0].when == "just now"


def test_filters_from_the_url_and_the_controls(db: Session, world: dict[str, Any]) -> None:
    a, inv, ids = world["a"], world["invoice"], world["ids"]
    state = opened(db, a.owner, record=f"invoice:{inv.id}")
    assert [r.record for r in state.rows] == [f"Invoice {inv.number}"] * 2
    assert state.record_label == f"Invoice {inv.number}" and state.filtered
    assert state.rows[0].record_href == routes.record_url(routes.STAFF_INVOICES, inv.id)
    assert state.rows[0].account_href == routes.record_url(routes.STAFF_ACCOUNTS, ids["account"])
    assert f"record=invoice%3A{inv.id}" in state.csv_href and state.csv_href.startswith("http")
    assert history_url("invoice", inv.id) == f"/app/audit?record=invoice%3A{inv.id}"

    call(state, "clear_filter", "record")
    assert state.filters == {} and len(state.rows) == PAGE_SIZE
    call(state, "set_filter", "action", "group:invoices")
    assert len(state.rows) == 2 and "action=group%3Ainvoices" in state.csv_href
    call(state, "set_filter", "action", "all")
    call(state, "set_filter", "actor", f"member:{ids['finance_user']}")
    assert len(state.rows) == 2 and state.actor_value == f"member:{ids['finance_user']}"
    call(state, "set_filter", "actor", "member:'; drop table")  # forged: dropped
    assert "actor" not in state.filters and len(state.rows) == PAGE_SIZE
    call(state, "set_filter", "workspace_id", str(ids["other_ws"]))  # not a filter
    assert state.filters == {}
    call(state, "set_filter", "account", str(ids["other_account"]))  # another workspace's account: nothing
    assert state.rows == [] and state.account_label == "An account"
    call(state, "clear_filters")
    assert state.filters == {} and len(state.rows) == PAGE_SIZE

    forged = opened(db, a.owner, record="secret:1", account="-3", actor="member:x")
    assert forged.filters == {} and len(forged.rows) == PAGE_SIZE


def test_dates_form_checks_what_was_typed(db: Session, world: dict[str, Any]) -> None:
    state = opened(db, world["a"].owner)
    call(state, "apply_dates", {"since": "31/03/2027", "until": ""})
    assert state.date_error == "Enter dates like 2027-03-31." and "since" not in state.filters
    call(state, "apply_dates", {"since": "2027-03-31", "until": "2027-03-01"})
    assert "before" in state.date_error and "since" not in state.filters
    call(state, "apply_dates", {"since": "2000-01-01", "until": "2000-01-31"})
    assert state.date_error == "" and state.rows == [] and state.dates_label == "1 Jan 2000 – 31 Jan 2000"
    call(state, "clear_filter", "dates")
    assert state.filters == {} and len(state.rows) == PAGE_SIZE


def test_verify_says_all_good_then_names_the_broken_entry(db: Session, world: dict[str, Any]) -> None:
    a, ids = world["a"], world["ids"]
    state = opened(db, a.owner)
    call(state, "verify")
    assert state.verify_state == "ok" and state.verify_message.startswith("All 72 entries verified")
    db.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.workspace_id == ids["ws"], AuditEvent.seq == 60)
        .values(action="auth.signed_out")
    )
    db.commit()
    call(state, "verify")
    assert state.verify_state == "broken"
    assert state.verify_message == "Entry #60 was altered: entries from #60 on cannot be trusted."
    assert state.verify_anchor == "audit-entry-60"
    assert [r.seq for r in state.rows if r.broken] == [60]
    call(state, "older_page")  # the broken entry is not on this page: no link to it
    assert state.verify_anchor == "" and not any(r.broken for r in state.rows)
    other = opened(db, world["b"].owner)
    call(other, "verify")
    assert other.verify_state == "ok"  # each workspace's chain is its own


def test_times_show_in_the_workspace_time_zone(db: Session, world: dict[str, Any]) -> None:
    """The rows' dates and times are the workspace's, as the date filter's days are."""
    ids = world["ids"]
    db.execute(sa.update(Workspace).where(Workspace.id == ids["ws"]).values(time_zone="Pacific/Auckland"))
    # 11:30 UTC on 10 January is 00:30 on the 11th in Auckland (UTC+13 in January).
    db.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.workspace_id == ids["ws"], AuditEvent.seq == 1)
        .values(created_at=datetime(2026, 1, 10, 11, 30, tzinfo=UTC))
    )
    db.commit()
    state = opened(db, world["a"].owner, since="2026-01-11", until="2026-01-11")
    assert state.time_zone == "Pacific/Auckland"
    assert [(r.seq, r.when, r.when_exact) for r in state.rows] == [
        (1, "11 Jan 2026", "11 Jan 2026, 00:30 NZDT")
    ]
    assert state.rows[0].when_exact.endswith("NZDT")
    recent = opened(db, world["a"].owner)
    assert recent.rows[0].when == "just now" and recent.rows[0].when_exact.endswith(("NZDT", "NZST"))


def test_verify_is_limited_per_member(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    state = opened(db, a.owner)
    for _ in range(audit_log.VERIFY_PER_MEMBER):
        assert call(state, "verify") is None and state.verify_state == "ok"
    state.verify_message = "shown before"
    refused = call(state, "verify")
    assert audit_log.VERIFY_LIMITED in str(refused)  # a toast says to wait; the check did not run
    assert state.verify_message == "shown before"
    manager = opened(db, a.manager)  # another member has their own budget
    call(manager, "verify")
    assert manager.verify_state == "ok"


def test_record_pages_link_to_their_history_for_members_who_may_read_it(
    db: Session, world: dict[str, Any]
) -> None:
    """Estimate, invoice, approval, document request and delivery pages carry a "History" link (the audit log
    filtered to the record) for owners and managers; a finance reviewer gets it on invoices only (their log holds
    nothing else); a team lead never (no audit log)."""
    a, inv = world["a"], world["invoice"]
    est = estimates.create_estimate(db, a.team_lead, a.account.id, title="Plan", lines=[LineInput("W", 1, 9)])
    approval = approvals.create_approval_request(db, a.team_lead, a.account.id, title="Site plan")
    req = document_requests.create_document_request(
        db, a.team_lead, a.account.id, title="Forms", items=["W-9"]
    )
    parcel = deliveries.create_delivery(db, a.team_lead, a.account.id, reference="PO-1")
    db.commit()
    records = [
        (EstimateDetailState, routes.STAFF_ESTIMATES, "estimate", est.id),
        (InvoiceDetailState, routes.STAFF_INVOICES, "invoice", inv.id),
        (ApprovalDetailState, routes.STAFF_APPROVALS, "approval", approval.id),
        (DocumentDetailState, routes.STAFF_DOCUMENTS, "document_request", req.id),
        (DeliveryDetailState, routes.STAFF_DELIVERIES, "delivery", parcel.id),
    ]
    tokens = {who: staff_token(db, getattr(a, who)) for who in ("owner", "manager", "finance", "team_lead")}
    db.rollback()
    for cls, base, kind, record_id in records:
        for who, token in tokens.items():
            state = page_state(cls, token, path=f"{base}/[id]", record_id=record_id)
            call(state, "load")
            assert state.gate == "ready", (cls, who)
            allowed = who in ("owner", "manager") or (who == "finance" and kind == "invoice")
            assert state.history_href == (history_url(kind, record_id) if allowed else ""), (kind, who)
    # The link opens the log on that record's entries.
    delivery_log = opened(db, a.owner, record=f"delivery:{parcel.id}")
    assert [r.action_label for r in delivery_log.rows] == ["Delivery added"]
    finance_log = opened(db, a.finance, record=f"invoice:{inv.id}")
    assert [r.action_label for r in finance_log.rows] == ["Invoice issued", "Invoice created"]
