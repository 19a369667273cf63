"""The audit log page without a browser: who may open it, keyset pages back and forth, filters from the URL and
from the controls (forged values dropped), the dates form, the chain check naming the first broken entry, and
the CSV link carrying the filters. Handlers are called directly with a router carrying the session cookie and
the page's URL query. Data is committed and wiped."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import AuditEvent  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.services import audit, audit_words, invoices  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state.audit import ACTION_MENU, PAGE_SIZE, PAYMENT_MENU, AuditLogState, history_url  # noqa: E402
from tests.factories import make_tenant  # noqa: E402
from tests.state.test_estimate_pages import call, staff_token  # noqa: E402
from tests.state.test_page_states import contact_token  # noqa: E402

LINE = [{"description": "Work", "quantity": 1, "unit_price_minor": 10_000}]


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
    state = opened(db, world["a"].finance)
    assert state.gate == "ready" and state.payments_only
    assert [r.sentence.split(" ")[2] for r in state.rows] == ["issued", "created"]
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
