"""Staff invoice pages without a browser: the list's filters (forged values ignored) and CSV link; forged and
foreign ids; who may issue, void and record payments; recording a payment moves the balance once; voiding needs a
reason; the draft form creates and edits drafts and refuses bad lines.

Handlers are called directly, with a router carrying the session cookie and the page's route (see
``tests/state/test_estimate_pages.py``). Data is committed and wiped.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import Invoice, InvoiceStatus, Payment  # noqa: E402
from portal_app.services import intake, invoices  # noqa: E402
from state.invoice_form import InvoiceFormState  # noqa: E402
from state.invoices import InvoiceDetailState, InvoicesListState  # noqa: E402
from tests.factories import make_tenant  # noqa: E402
from tests.state.test_estimate_pages import call, page_state, staff_token  # noqa: E402
from tests.state.test_page_states import contact_token  # noqa: E402

WORK = [{"description": "Design work", "quantity": 2, "unit_price_minor": 50_000, "tax_rate_bp": 2000}]
PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
DETAIL, EDIT, NEW = "/app/invoices/[id]", "/app/invoices/[id]/edit", "/app/invoices/new"


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def _draft(db: Session, t: Any, account: Any = None, **kw: Any) -> int:
    return invoices.create_invoice(db, t.finance, (account or t.account).id, lines=WORK, **kw).id


def _issued(db: Session, t: Any, account: Any = None, *, days_ago: int = 0, terms: int = 30) -> int:
    inv_id = _draft(db, t, account)
    on = invoices.today() - timedelta(days=days_ago)
    invoices.issue_invoice(db, t.finance, inv_id, issue_date=on, due_date=on + timedelta(days=terms))
    return inv_id


def _invoice(db: Session, inv_id: int) -> Invoice:
    db.rollback()
    inv = db.get(Invoice, inv_id)
    assert inv is not None
    db.refresh(inv)
    db.expunge(inv)  # a detached copy: reading it later opens no transaction
    db.rollback()  # never hold SQLite's lock while a handler runs
    return inv


def _detail(db: Session, actor: Any, inv_id: Any) -> InvoiceDetailState:
    db.rollback()
    state = page_state(InvoiceDetailState, staff_token(db, actor), path=DETAIL, record_id=inv_id)
    db.rollback()
    call(state, "load")
    return state


# -- list -------------------------------------------------------------------------------------------------------


def test_list_filters_search_order_and_csv_link_ignore_forged_values(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    t.account.name, t.other_account.name = "Contoso Retail", "Fabrikam"
    db.add_all([t.account, t.other_account])
    db.commit()
    drafts = [_draft(db, t) for _ in range(21)]
    late = _issued(db, t, t.other_account, days_ago=45)
    _issued(db, other)

    state = page_state(InvoicesListState, staff_token(db, t.team_lead))
    call(state, "load")
    assert state.gate == "ready" and state.total == 22 and len(state.rows) == 20
    assert state.can_manage is False  # a team lead reads invoices but does not bill
    assert state.rows[0].id == late  # newest first
    assert state.rows[1].total == "$1,200.00" and state.rows[1].issued == "Not issued"
    assert state.rows[1].due == "—" and not state.rows[1].overdue
    assert state.csv_href.endswith("/files/invoices.csv")

    call(state, "set_filter", "order", "overdue")
    row = state.rows[0]
    assert (
        row.id == late
        and row.overdue
        and row.due.endswith("· overdue by 15 days")
        and row.account == "Fabrikam"
    )
    assert row.balance == "$1,200.00" and row.status_label == "Open"
    call(state, "set_filter", "order", "sideways")  # forged: back to the default order
    assert state.filters["order"] == "newest"

    call(state, "set_filter", "status", "haunted")
    assert state.filters["status"] == "all" and state.total == 22
    call(state, "set_filter", "status", "open")
    assert [r.id for r in state.rows] == [late] and "status=open" in state.csv_href
    call(state, "set_filter", "account", str(t.account.id))
    assert state.rows == [] and f"account={t.account.id}" in state.csv_href
    call(state, "set_filter", "status", "all")
    assert state.total == 21 and "status" not in state.csv_href
    call(state, "set_filter", "account", str(other.account.id))  # another workspace's account: nothing
    assert state.total == 0 and state.rows == []
    call(state, "set_filter", "account", "'; drop table invoice; --")
    assert state.filters["account"] == "all" and state.total == 22
    call(state, "set_filter", "workspace_id", str(other.ws.id))
    assert "workspace_id" not in state.filters

    call(state, "apply_search", {"search": "  contoso "})
    assert state.total == 21 and all(r.account == "Contoso Retail" for r in state.rows)
    number = _invoice(db, drafts[3]).number
    call(state, "apply_search", {"search": number.lower()})
    assert [r.id for r in state.rows] == [drafts[3]]
    call(state, "apply_search", {"search": {"not": "text"}})
    assert state.search == "" and state.total == 22
    call(state, "next_page")
    assert state.page_label == "21-22 of 22"


def test_list_signed_out_and_contact_sessions_show_nothing(db: Session) -> None:
    t = make_tenant(db)
    _draft(db, t)
    state = page_state(InvoicesListState, None)
    call(state, "load")
    assert state.gate == "signed_out" and state.rows == []
    contact = page_state(InvoicesListState, contact_token(db, t.billing_contact))
    call(contact, "load")
    assert contact.gate == "no_access" and contact.rows == [] and contact.csv_href == ""


# -- detail: scope and permissions ------------------------------------------------------------------------------


def test_forged_and_foreign_ids_are_not_found(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    draft_id, open_id = _draft(db, t), _issued(db, t)
    token = staff_token(db, other.manager)
    for path, cls in ((DETAIL, InvoiceDetailState), (EDIT, InvoiceFormState)):
        for record_id in (draft_id, open_id, "abc", -1, 0, "1e3", 10**30):
            state = page_state(cls, token, path=path, record_id=record_id)
            call(state, "load")
            assert state.gate == "not_found", (path, record_id)
            assert t.account.name not in repr(state.dict())
    foreign = page_state(InvoiceDetailState, token, path=DETAIL, record_id=draft_id)
    call(foreign, "issue")
    call(foreign, "void", {"reason": "forged"})
    foreign_open = page_state(InvoiceDetailState, token, path=DETAIL, record_id=open_id)
    call(foreign_open, "set_payment_open", True)
    foreign_open._currency = "USD"
    call(foreign_open, "record_payment", _payment_form("100"))
    assert _invoice(db, draft_id).status is InvoiceStatus.DRAFT
    after = _invoice(db, open_id)
    assert after.status is InvoiceStatus.OPEN and after.amount_paid_minor == 0


def test_team_lead_reads_but_cannot_issue_void_or_record(db: Session) -> None:
    t = make_tenant(db)
    draft_id, open_id = _draft(db, t), _issued(db, t)
    lead = _detail(db, t.team_lead, draft_id)
    assert lead.gate == "ready" and lead.number.startswith("INV-") and lead.status_label == "Draft"
    assert not (lead.can_edit or lead.can_issue or lead.can_void or lead.can_record)
    assert lead.pdf_href.endswith(f"/files/invoices/{draft_id}.pdf")
    call(lead, "issue")
    call(lead, "void", {"reason": "Not needed"})
    assert _invoice(db, draft_id).status is InvoiceStatus.DRAFT

    lead_open = _detail(db, t.team_lead, open_id)
    assert not lead_open.can_record and not lead_open.can_void
    call(lead_open, "set_payment_open", True)
    call(lead_open, "record_payment", _payment_form("100"))
    call(lead_open, "void", {"reason": "Not needed"})
    after = _invoice(db, open_id)
    assert after.status is InvoiceStatus.OPEN and after.amount_paid_minor == 0

    form = page_state(InvoiceFormState, staff_token(db, t.team_lead), path=NEW)
    call(form, "load")
    assert form.gate == "no_access" and form.account_choices == []


def test_issue_from_the_detail_uses_the_drafts_due_date_or_the_terms(db: Session) -> None:
    t = make_tenant(db)
    today = invoices.today()
    plain = _draft(db, t)
    dated = _draft(db, t, due_date=today + timedelta(days=10))
    state = _detail(db, t.finance, plain)
    assert state.can_issue and state.can_edit and state.can_void and not state.can_record
    assert "30 days later" in state.issue_terms
    call(state, "issue")
    inv = _invoice(db, plain)
    assert inv.status is InvoiceStatus.OPEN and inv.issue_date == today
    assert inv.due_date == today + timedelta(days=30)
    assert state.status_label == "Open" and not state.can_issue and state.can_record
    call(state, "issue")  # again: refused by the service, nothing changes
    assert _invoice(db, plain).issue_date == today

    dated_state = _detail(db, t.manager, dated)
    assert "the date on the draft" in dated_state.issue_terms
    call(dated_state, "issue")
    assert _invoice(db, dated).due_date == today + timedelta(days=10)


# -- record a payment ------------------------------------------------------------------------------------------


def _payment_form(amount: str, **kw: str) -> dict[str, str]:
    return {
        "amount": amount,
        "received_on": kw.get("received_on", invoices.today().isoformat()),
        "method": kw.get("method", "bank_transfer"),
        "reference": kw.get("reference", "TRX-1"),
    }


def test_record_payment_checks_each_field_and_moves_the_balance_once(db: Session) -> None:
    t = make_tenant(db)
    inv_id = _issued(db, t, days_ago=5)
    state = _detail(db, t.finance, inv_id)
    assert state.can_record and state.balance == "$1,200.00" and state.payments == []
    call(state, "set_payment_open", True)
    assert state.payment_open and state.payment_today == invoices.today().isoformat()

    future = (invoices.today() + timedelta(days=3)).isoformat()
    call(state, "record_payment", _payment_form("12,34.5", received_on=future, method="bitcoin"))
    assert set(state.errors) == {"amount", "received_on", "method"} and state.payment_open
    call(state, "record_payment", _payment_form("5,000.00"))  # more than the balance
    assert "balance due ($1,200.00)" in state.errors["amount"]
    call(state, "record_payment", _payment_form("100", reference="x" * 300))
    assert "reference" in state.errors
    assert _invoice(db, inv_id).amount_paid_minor == 0

    call(state, "record_payment", _payment_form("200.50"))
    call(state, "record_payment", _payment_form("200.50"))  # the same form sent twice: recorded once
    inv = _invoice(db, inv_id)
    assert inv.amount_paid_minor == 20_050 and inv.status is InvoiceStatus.PARTIALLY_PAID
    assert len(db.exec(select(Payment).where(Payment.invoice_id == inv_id)).all()) == 1
    db.rollback()
    assert state.errors == {} and state.payment_open is False
    assert state.balance == "$999.50" and state.paid == "$200.50" and state.status_label == "Partially paid"
    assert [(p.amount, p.method, p.reference, p.source) for p in state.payments] == [
        ("$200.50", "Bank transfer", "TRX-1", "Recorded by hand")
    ]
    assert not state.can_void  # it has a payment now

    call(state, "set_payment_open", True)  # a new form: a second payment is a new one
    call(state, "record_payment", _payment_form("999.50", method="card"))
    inv = _invoice(db, inv_id)
    assert inv.status is InvoiceStatus.PAID and inv.amount_paid_minor == 120_000
    assert state.balance == "$0.00" and not state.can_record


# -- void -------------------------------------------------------------------------------------------------------


def test_void_needs_a_reason(db: Session) -> None:
    t = make_tenant(db)
    inv_id = _issued(db, t)
    state = _detail(db, t.finance, inv_id)
    for form in ({}, {"reason": "   "}, {"reason": ["a list"]}, "not a form"):
        call(state, "void", form)
    assert _invoice(db, inv_id).status is InvoiceStatus.OPEN
    call(state, "void", {"reason": "  Billed   twice  "})
    inv = _invoice(db, inv_id)
    assert inv.status is InvoiceStatus.VOID and inv.void_reason == "Billed twice"
    assert state.void_reason == "Billed twice" and state.status_label == "Void"
    assert not (state.can_void or state.can_record or state.can_issue) and state.balance == "None (void)"


# -- proofs on the detail ---------------------------------------------------------------------------------------


def test_detail_lists_the_payment_proofs_with_their_state(db: Session, storage_dir: Any) -> None:
    t = make_tenant(db)
    inv_id = _issued(db, t)
    sent = intake.submit_payment_proof(
        db,
        t.billing_contact,
        inv_id,
        filename="receipt.pdf",
        data=PDF,
        claimed_amount_minor=40_000,
        claimed_paid_on=invoices.today(),
        idempotency_key=uuid.uuid4().hex,
    )
    state = _detail(db, t.team_lead, inv_id)
    assert state.proofs_waiting == 1
    proof = state.proofs[0]
    assert (proof.name, proof.kind, proof.claimed_amount, proof.status_label) == (
        "receipt.pdf",
        "PDF",
        "$400.00",
        "In review",
    )
    assert proof.awaiting and proof.file_href.endswith(f"/files/intake/{sent.id}")
    assert state.review_href == "/app/review"
    assert [row.title for row in state.tasks] == [f"Review payment proof for {state.number}"]
    assert state.balance == "$1,200.00"  # a proof moves nothing

    db.rollback()
    intake.review_intake(db, t.finance, sent.id, accept=False, reason="Unreadable scan")
    state = _detail(db, t.team_lead, inv_id)
    assert state.proofs_waiting == 0 and state.proofs[0].reason == "Unreadable scan"
    assert state.proofs[0].status_label == "Rejected" and state.tasks == []


# -- the draft form ---------------------------------------------------------------------------------------------


def _line_fields(state: InvoiceFormState, **values: str) -> dict[str, str]:
    out: dict[str, str] = {}
    for ln in state.lines:
        out.update({f"line-{ln.key}-{n}": getattr(ln, n) for n in ("description", "quantity", "unit_price")})
        out[f"line-{ln.key}-tax_rate"] = ln.tax_rate
    key = state.lines[0].key
    out.update({f"line-{key}-{name}": value for name, value in values.items()})
    return out


def test_form_refuses_bad_lines_and_foreign_accounts_then_creates_a_draft(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    account_id = (
        t.account.id
    )  # read now: after a rollback the fixture rows would load again (and lock SQLite)
    state = page_state(InvoiceFormState, staff_token(db, t.finance), path=NEW)
    call(state, "load")
    assert state.gate == "ready" and state.mode == "new" and state.submit_label == "Create draft"
    assert {a.label for a in state.account_choices} == {t.account.name, t.other_account.name}
    bad = {
        "account_id": str(other.account.id),
        "due_date": "2001-01-01",
        "customer_notes": "Pay to IBAN X",
        **_line_fields(state, description=" ", quantity="0", unit_price="abc", tax_rate="101"),
    }
    call(state, "submit", bad)
    db.rollback()
    assert db.exec(select(Invoice)).all() == []
    db.rollback()
    assert set(state.errors) >= {"account_id", "due_date", "lines"}
    line = state.lines[0]
    assert line.description_error and line.quantity_error and line.unit_price_error and line.tax_rate_error
    assert state.customer_notes == "Pay to IBAN X" and line.unit_price == "abc"  # kept as typed

    call(state, "choose_account", str(account_id))
    due = (invoices.today() + timedelta(days=14)).isoformat()
    good = {
        "account_id": str(account_id),
        "due_date": due,
        "customer_notes": "Pay to IBAN X",
        "internal_notes": "Rush job",
        **_line_fields(state, description="Design work", quantity="3", unit_price="1,000.00", tax_rate="20"),
    }
    call(state, "submit", good)
    call(state, "submit", good)  # a double click: the first save stands
    db.rollback()
    saved = db.exec(select(Invoice)).all()
    db.rollback()
    assert len(saved) == 1 and state.errors == {}
    inv = saved[0]
    assert inv.status is InvoiceStatus.DRAFT and inv.total_minor == 360_000
    assert inv.due_date is not None and inv.due_date.isoformat() == due
    assert (inv.customer_notes, inv.internal_notes, inv.account_id) == (
        "Pay to IBAN X",
        "Rush job",
        account_id,
    )


def test_form_edits_a_draft_and_locks_an_issued_invoice(db: Session) -> None:
    t = make_tenant(db)
    draft_id, open_id = _draft(db, t, due_date=invoices.today() + timedelta(days=7)), _issued(db, t)
    token = staff_token(db, t.manager)
    state = page_state(InvoiceFormState, token, path=EDIT, record_id=draft_id)
    call(state, "load")
    assert state.mode == "edit" and state.submit_label == "Save draft" and state.total == "$1,200.00"
    assert [(ln.description, ln.unit_price, ln.tax_rate) for ln in state.lines] == [
        ("Design work", "500.00", "20")
    ]
    assert state.due_date == (invoices.today() + timedelta(days=7)).isoformat()
    call(state, "submit", {"due_date": "", **_line_fields(state, quantity="abc")})
    assert "whole quantity" in state.lines[0].quantity_error
    assert _invoice(db, draft_id).total_minor == 120_000
    call(state, "submit", {"due_date": "", "customer_notes": "Thanks", **_line_fields(state, quantity="1")})
    inv = _invoice(db, draft_id)
    assert inv.total_minor == 60_000 and inv.due_date is None and inv.customer_notes == "Thanks"

    locked = page_state(InvoiceFormState, token, path=EDIT, record_id=open_id)
    call(locked, "load")
    assert locked.mode == "locked" and locked.status_text == "Open"
    call(locked, "submit", {"due_date": "", **_line_fields(locked, quantity="9")})
    call(locked, "set_line", locked.lines[0].key, "quantity", "9")
    assert _invoice(db, open_id).total_minor == 120_000
    assert locked.lines[0].quantity == "2"
