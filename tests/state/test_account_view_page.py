"""The account view (``/app/accounts/[id]``) without a browser: what loads for an owner and a team lead, each
area's latest records with links to the list filtered by the account, balance and aging, open tasks, and the
timeline of portal activity (a contact's decision a moment earlier, "Show older" by keyset)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import Role, utcnow
from models.schemas import AgingBuckets
from portal_app import routes
from portal_app.services import approvals, estimates, invoices, messages, permissions
from portal_app.services.audit_log import AuditEntry
from portal_app.services.lines import LineInput
from portal_app.services.permissions import Permission
from portal_app.services.statements import CurrencyAging
from state.account_view import AREAS, activity_rows, balance_rows, balance_summary
from state.accounts import TIMELINE_PAGE, AccountDetailState
from tests.factories import Tenant, make_task, make_tenant
from tests.state.test_page_states import call, page_state, staff_token


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def _open(db: Session, t: Tenant, role: Role, account_id: int | None = None) -> AccountDetailState:
    member = t.staff[role]
    state = page_state(
        AccountDetailState,
        staff_token(db, member.user_id, t.ws.id),
        path=routes.record_url(routes.STAFF_ACCOUNTS, account_id or t.account.id),
    )
    call(state, "load")
    return state


def _invoice(db: Session, t: Tenant, amount: int, *, due: date, on: date) -> int:
    inv = invoices.create_invoice(
        db,
        t.finance,
        t.account.id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": amount, "tax_rate_bp": 0}],
    )
    return invoices.issue_invoice(db, t.finance, inv.id, issue_date=on, due_date=due).id


@pytest.mark.parametrize("role", [Role.OWNER, Role.TEAM_LEAD])
def test_owner_and_team_lead_see_every_area_of_the_account(db: Session, role: Role) -> None:
    t, other = make_tenant(db), make_tenant(db)
    today = date.today()
    est = estimates.create_estimate(
        db, t.team_lead, t.account.id, title="Spring fit-out", lines=[LineInput("Shelving", 2, 12_500)]
    )
    invoice_id = _invoice(db, t, 30_000, on=today - timedelta(days=40), due=today - timedelta(days=35))
    messages.start_thread(db, t.team_lead, t.account.id, subject="Opening hours", body="When do you open?")
    # Due at noon two days ago (UTC): "overdue by 2 days" at any time of day, just after midnight included.
    now = datetime.now(UTC)
    noon_two_days_ago = datetime.combine(now.date() - timedelta(days=2), time(12), tzinfo=UTC)
    make_task(db, t.ws, account=t.account, title="Call about the fit-out", due_in=noon_two_days_ago - now)
    make_task(db, t.ws, account=t.other_account, title="Other account's task")
    estimates.create_estimate(
        db, other.team_lead, other.account.id, title="Other workspace", lines=[LineInput("Crates")]
    )
    db.commit()

    state = _open(db, t, role)
    assert state.gate == "ready" and state.name == t.account.name and state.code == t.account.code
    aid = t.account.id
    assert state.areas == {key: routes.url_for(base, account=aid) for key, (base, _) in AREAS.items()}
    assert state.areas["invoices"] == f"/app/invoices?account={aid}"
    assert state.statement_href == f"{routes.STAFF_STATEMENTS}?account={aid}"
    assert state.can_manage_contacts  # owner and team lead both manage contacts

    assert [(e.href, e.title, e.ref) for e in state.estimates] == [
        (routes.record_url(routes.STAFF_ESTIMATES, est.id), "Spring fit-out", est.number)
    ]
    assert state.estimates_total == 1 and state.estimates[0].detail == "$250.00"
    assert [(i.href, i.status_label, i.ref, i.detail) for i in state.invoices] == [
        (routes.record_url(routes.STAFF_INVOICES, invoice_id), "Open", "overdue by 35 days", "$300.00")
    ]
    assert [(c.title, c.status_label) for c in state.conversations] == [("Opening hours", "Answered")]
    assert state.approvals == [] and state.documents == [] and state.deliveries == []

    assert state.balance == "$300.00"
    assert [(b.currency, b.balance, b.days_31_60, b.current) for b in state.balances] == [
        ("USD", "$300.00", "$300.00", "$0.00")
    ]

    assert [(r.title, r.assignee, r.due, r.overdue) for r in state.tasks] == [
        ("Call about the fit-out", "Any team lead", "overdue by 2 days", True)
    ]
    assert state.tasks_total == 1

    # Nothing of the other account or the other workspace reaches the browser.
    sent = str(state.dict())
    assert "Other account's task" not in sent and "Other workspace" not in sent
    assert "secret margin" not in str([state.estimates, state.invoices, state.timeline])


def test_an_area_the_role_may_not_read_has_no_section(db: Session, monkeypatch: pytest.MonkeyPatch) -> None:
    t = make_tenant(db)
    today = date.today()
    _invoice(db, t, 30_000, on=today - timedelta(days=10), due=today + timedelta(days=20))
    db.commit()
    narrowed = permissions.ROLE_PERMISSIONS[Role.TEAM_LEAD] - {
        Permission.INVOICES_READ,
        Permission.STATEMENTS_READ,
    }
    monkeypatch.setitem(permissions.ROLE_PERMISSIONS, Role.TEAM_LEAD, narrowed)
    state = _open(db, t, Role.TEAM_LEAD)
    assert state.gate == "ready"
    assert state.areas["invoices"] == "" and state.invoices == [] and state.invoices_total == 0
    assert state.statement_href == "" and state.balance == "" and state.balances == []
    assert state.areas["estimates"] == f"/app/estimates?account={t.account.id}"
    # A finance reviewer reads everything but manages neither the account nor its contacts.
    finance = _open(db, t, Role.FINANCE_REVIEWER)
    assert finance.balance == "$300.00" and finance.invoices_total == 1
    assert not finance.can_manage_contacts and not finance.can_manage_account


def test_a_contacts_decision_appears_at_the_top_of_the_timeline(db: Session) -> None:
    t = make_tenant(db)
    est = estimates.create_estimate(
        db, t.team_lead, t.account.id, title="Storefront rebuild", lines=[LineInput("Design", 1, 90_000)]
    )
    estimates.share_estimate(db, t.team_lead, est.id)
    db.commit()
    state = _open(db, t, Role.OWNER)
    shared = [r for r in state.timeline if "/app/estimates/" in r.href]
    assert shared and not shared[0].from_contact and shared[0].actor_kind == "staff"

    estimates.decide_estimate(
        db,
        t.contact,
        est.id,
        decision="approve",
        version=1,
        signature="Alice Buyer",
        idempotency_key=uuid.uuid4().hex,
    )
    db.commit()
    state = _open(db, t, Role.TEAM_LEAD)
    top = state.timeline[0]
    contact_name = next(c.name for c in state.contacts if c.id == t.contact.contact_id)
    assert top.from_contact and top.actor_kind == "contact"
    assert contact_name in top.sentence
    assert top.href == routes.record_url(routes.STAFF_ESTIMATES, est.id)
    assert top.when == "just now" and top.exact.endswith("UTC")
    # The decision made a follow-up task: it is among the account's open tasks.
    assert state.tasks_total >= 1


def test_show_older_pages_back_by_keyset(db: Session) -> None:
    t = make_tenant(db)
    count = TIMELINE_PAGE + 5
    for i in range(count):
        approvals.create_approval_request(db, t.team_lead, t.account.id, title=f"Proof {i}")
    approvals.create_approval_request(db, t.team_lead, t.other_account.id, title="Other account's proof")
    db.commit()
    state = _open(db, t, Role.OWNER)
    assert len(state.timeline) == TIMELINE_PAGE and state.timeline_more
    first_ids = [r.id for r in state.timeline]
    call(state, "show_older_activity")
    ids = [r.id for r in state.timeline]
    assert ids[:TIMELINE_PAGE] == first_ids and len(ids) == len(set(ids))
    assert len(ids) >= count and not state.timeline_more
    hrefs = {r.href for r in state.timeline}
    assert all(h.startswith(routes.STAFF_APPROVALS + "/") for h in hrefs if h)
    # Once everything is shown, the handler does nothing more.
    call(state, "show_older_activity")
    assert [r.id for r in state.timeline] == ids


def test_show_older_stops_at_the_cap_and_points_to_the_audit_log(
    db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    import state.accounts as accounts_state

    monkeypatch.setattr(accounts_state, "TIMELINE_PAGE", 4)
    monkeypatch.setattr(accounts_state, "TIMELINE_MAX", 8)
    t = make_tenant(db)
    for i in range(12):
        approvals.create_approval_request(db, t.team_lead, t.account.id, title=f"Proof {i}")
    db.commit()
    state = _open(db, t, Role.OWNER)
    call(state, "show_older_activity")
    assert len(state.timeline) == 8 and state.timeline_capped and not state.timeline_more
    assert state.timeline_audit_href == routes.url_for(routes.STAFF_AUDIT, account=t.account.id)
    call(state, "show_older_activity")  # nothing more is loaded past the cap
    assert len(state.timeline) == 8
    lead = _open(db, t, Role.TEAM_LEAD)
    call(lead, "show_older_activity")
    assert lead.timeline_capped and lead.timeline_audit_href == ""  # no audit log for team leads


def test_a_page_of_another_workspace_shows_no_timeline(db: Session) -> None:
    mine, theirs = make_tenant(db), make_tenant(db)
    approvals.create_approval_request(db, theirs.team_lead, theirs.account.id, title="Their proof")
    db.commit()
    state = _open(db, mine, Role.OWNER, theirs.account.id)
    assert state.gate == "not_found" and state.timeline == [] and state.areas == {}
    call(state, "show_older_activity")
    assert state.timeline == []


# -- display rows ----------------------------------------------------------------------------------------------


def test_balance_rows_say_credit_and_summary_joins_currencies() -> None:
    owed = CurrencyAging(currency="EUR", aging=AgingBuckets(current=1_000, days_90_plus=250))
    credit = CurrencyAging(currency="USD", aging=AgingBuckets(current=-2_000))
    rows = balance_rows([owed, credit])
    assert [(r.balance, r.credit) for r in rows] == [("€12.50", False), ("$20.00 credit", True)]
    assert rows[0].days_90_plus == "€2.50" and rows[1].current == "$20.00 credit"
    assert balance_summary([owed, credit]) == "€12.50 · $20.00 credit"
    assert balance_summary([]) == "Nothing owed"
    assert balance_summary([CurrencyAging(currency="USD", aging=AgingBuckets())]) == "Nothing owed"


def _entry(target_type: str, target_id: int | None, kind: str = "contact") -> AuditEntry:
    return AuditEntry(
        id=1,
        seq=1,
        created_at=utcnow(),
        actor_kind=kind,
        actor_name="Alice",
        action="x",
        sentence="Alice did x",
        target_type=target_type,
        target_id=target_id,
        account_id=7,
        account_name="Contoso",
    )


def test_timeline_links_only_to_pages_the_role_may_open() -> None:
    cases = {
        "estimate": routes.record_url(routes.STAFF_ESTIMATES, 5),
        "approval": routes.record_url(routes.STAFF_APPROVALS, 5),
        "invoice": routes.record_url(routes.STAFF_INVOICES, 5),
        "document_request": routes.record_url(routes.STAFF_DOCUMENTS, 5),
        "delivery": routes.record_url(routes.STAFF_DELIVERIES, 5),
        "message_thread": routes.record_url(routes.STAFF_MESSAGES, 5),
        "task": routes.record_url(routes.STAFF_TASKS, 5),
        "intake_file": routes.STAFF_REVIEW,
        "statement_snapshot": f"{routes.STAFF_STATEMENTS}?account=7",
        "contact": "",
        "account": "",
        "mystery": "",
    }
    for target, href in cases.items():
        [row] = activity_rows(Role.OWNER, [_entry(target, 5)])
        assert row.href == href, target
    # The review queue is for reviewers: a team lead reads about the file without a link to the queue.
    assert activity_rows(Role.TEAM_LEAD, [_entry("intake_file", 5)])[0].href == ""
    assert activity_rows(Role.FINANCE_REVIEWER, [_entry("intake_file", 5)])[0].href == routes.STAFF_REVIEW
    assert activity_rows(Role.OWNER, [_entry("estimate", None)])[0].href == ""
    staff_row, system_row = activity_rows(
        Role.OWNER, [_entry("task", 1, "staff"), _entry("task", 1, "system")]
    )
    assert not staff_row.from_contact and not system_row.from_contact
