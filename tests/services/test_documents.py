"""PDF documents: the numbers read back from the PDF are the page's numbers, names in any Latin script print,
internal notes and costs never do, and every loader is scoped like the record it prints."""

from __future__ import annotations

import io
import re
from datetime import date

import pytest
from pypdf import PdfReader
from sqlmodel import Session

from models import Workspace
from portal_app import formatting
from portal_app.services import documents, estimates, invoices, snapshots
from portal_app.services.documents import tax_percent
from portal_app.services.errors import Forbidden, NotFound
from portal_app.services.lines import LineInput
from portal_app.services.statements import compute_statement
from tests.factories import make_account, make_contact, make_tenant, operator

INTERNAL = "INTERNAL-ONLY margin talk 7731"
ISSUED = date(2026, 3, 2)
DUE = date(2026, 4, 1)
PERIOD = (date(2026, 1, 1), date(2026, 6, 30))


def pdf_text(data: bytes) -> str:
    assert data.startswith(b"%PDF-")
    reader = PdfReader(io.BytesIO(data))
    # Whitespace (including the no-break space babel puts after a currency code) read back as single spaces.
    return " ".join(" ".join(page.extract_text() for page in reader.pages).split())


def norm(text: str) -> str:
    return " ".join(text.split())


def has(text: str, expected: str) -> bool:
    return norm(expected) in text


@pytest.fixture()
def world(session: Session):
    t = make_tenant(session, name="Łódź Studio")
    other = make_tenant(session)
    zoe = make_account(session, t.ws, name="Zoë Ångström", currency="EUR")
    zoe_contact = make_contact(session, zoe, operations=False, documents=False)
    ws = session.get(Workspace, t.ws.id)
    ws.payment_instructions = "IBAN PL61 1090 1014 0000 0712 1981 2874, quote the invoice number."
    session.add(ws)
    session.commit()
    return t, other, zoe, zoe_contact


def lines() -> list[dict]:
    return [
        {
            "description": "Kraków workshop, two days",
            "quantity": 2,
            "unit_price_minor": 125_050,
            "tax_rate_bp": 2300,
        },
        {"description": "Travel (Łódź)", "quantity": 1, "unit_price_minor": 9_999, "tax_rate_bp": 725},
    ]


def issued_invoice(session, t, account, *, currency_lines=None, paid: int = 0):
    inv = invoices.create_invoice(
        session,
        t.finance,
        account.id,
        lines=currency_lines or lines(),
        customer_notes="Thank you, Zoë!",
        internal_notes=INTERNAL,
    )
    inv = invoices.issue_invoice(session, t.finance, inv.id, issue_date=ISSUED, due_date=DUE)
    if paid:
        invoices.record_payment(
            session,
            t.finance,
            inv.id,
            amount_minor=paid,
            currency=inv.currency,
            received_on=date(2026, 3, 10),
            reference="SEPA 42",
        )
    return invoices.get_invoice(session, t.finance, inv.id)


def test_invoice_pdf_prints_the_same_numbers_as_the_page(session, world):
    t, _, zoe, zoe_contact = world
    inv = issued_invoice(session, t, zoe, paid=50_000)
    name, data = documents.invoice_document(session, zoe_contact, inv.id)
    text = pdf_text(data)
    assert name == f"{inv.number}.pdf"
    cur = inv.currency
    expected = [
        "Łódź Studio",
        "Zoë Ångström",
        inv.number,
        formatting.day(ISSUED),
        formatting.day(DUE),
        "Kraków workshop, two days",
        "Travel (Łódź)",
        formatting.money(inv.subtotal_minor, cur),
        formatting.money(inv.tax_minor, cur),
        formatting.money(inv.total_minor, cur),
        formatting.money(inv.amount_paid_minor, cur),
        formatting.balance(inv.total_minor - inv.amount_paid_minor, cur),
        "SEPA 42",
        "Thank you, Zoë!",
        "IBAN PL61 1090 1014 0000 0712 1981 2874",
    ]
    for ln in inv.lines:
        expected += [
            formatting.money(ln.unit_price_minor, cur),
            tax_percent(ln.tax_rate_bp),
            formatting.money(ln.total_minor, cur),
        ]
    missing = [e for e in expected if not has(text, e)]
    assert missing == []
    assert inv.amount_paid_minor == 50_000 and "€" in text


def test_staff_and_contact_copies_never_print_internal_notes(session, world):
    t, _, zoe, zoe_contact = world
    inv = issued_invoice(session, t, zoe)
    for actor in (zoe_contact, t.finance, t.team_lead):
        _, data = documents.invoice_document(session, actor, inv.id)
        assert INTERNAL not in pdf_text(data)
        assert b"INTERNAL-ONLY" not in data


def test_jpy_invoice_has_no_decimals(session, world):
    t, *_ = world
    yen = make_account(session, t.ws, name="Tōkyō Trading", currency="JPY")
    contact = make_contact(session, yen)
    session.commit()
    inv = issued_invoice(
        session,
        t,
        yen,
        currency_lines=[
            {"description": "Consulting", "quantity": 3, "unit_price_minor": 41_667, "tax_rate_bp": 1000}
        ],
    )
    _, data = documents.invoice_document(session, contact, inv.id)
    text = pdf_text(data)
    assert formatting.money(inv.total_minor, "JPY") == "¥137,501"
    for amount in (inv.subtotal_minor, inv.tax_minor, inv.total_minor, 41_667):
        assert has(text, formatting.money(amount, "JPY"))
    assert not re.search(r"¥[\d,]+\.\d", text), text
    assert "Tōkyō Trading" in text


def test_names_in_latin_scripts_round_trip(world):
    t, *_ = world
    inv = invoices.InvoiceRead(
        id=1,
        account_id=1,
        number="INV-9",
        status="open",
        currency="PLN",
        issue_date=ISSUED,
        due_date=DUE,
        subtotal_minor=100,
        tax_minor=0,
        total_minor=100,
        amount_paid_minor=0,
        customer_notes="",
        internal_notes="",
        created_at="2026-03-01T00:00:00Z",
        lines=[
            {
                "position": 1,
                "description": "Łódź – Gdańsk – Zürich – Ærøskøbing",
                "quantity": 1,
                "unit_price_minor": 100,
                "tax_rate_bp": 0,
                "total_minor": 100,
            }
        ],
    )
    text = pdf_text(documents.invoice_pdf(inv, workspace_name="Zoë Ångström", account_name="Łódź Ltd"))
    for word in ("Zoë Ångström", "Łódź Ltd", "Łódź – Gdańsk – Zürich – Ærøskøbing"):
        assert word in text


def test_empty_payment_instructions_ask_for_the_number(session, world):
    t, other, *_ = world
    inv = issued_invoice(session, other, other.account)
    _, data = documents.invoice_document(session, other.billing_contact, inv.id)
    assert has(pdf_text(data), f"Please quote {inv.number} with your payment.")


def test_drafts_print_for_staff_and_do_not_exist_for_contacts(session, world):
    t, _, zoe, zoe_contact = world
    draft = invoices.create_invoice(session, t.finance, zoe.id, lines=lines())
    _, data = documents.invoice_document(session, t.team_lead, draft.id)
    assert "Draft" in pdf_text(data)
    with pytest.raises(NotFound):
        documents.invoice_document(session, zoe_contact, draft.id)


def test_invoice_document_scope(session, world):
    t, other, zoe, zoe_contact = world
    inv = issued_invoice(session, t, zoe)
    for actor in (other.owner, other.contact, t.contact, t.other_contact, operator()):
        with pytest.raises(NotFound):
            documents.invoice_document(session, actor, inv.id)
    no_billing = make_contact(session, zoe, billing=False)
    session.commit()
    with pytest.raises(NotFound):
        documents.invoice_document(session, no_billing, inv.id)
    with pytest.raises(NotFound):
        documents.invoice_document(session, t.finance, inv.id + 10_000)


def test_estimate_pdf_numbers_and_no_costs(session, world):
    t, other, zoe, _ = world
    ops = make_contact(session, zoe, billing=False)
    session.commit()
    est = estimates.create_estimate(
        session,
        t.team_lead,
        zoe.id,
        title="Façade redesign",
        lines=[LineInput("Scaffolding", 3, 80_000, 2300, unit_cost_minor=61_234)],
        valid_until=date(2026, 12, 31),
        customer_notes="Prices include setup.",
        internal_notes=INTERNAL,
    )
    with pytest.raises(NotFound):  # a draft does not exist for contacts
        documents.estimate_document(session, ops, est.id)
    estimates.share_estimate(session, t.team_lead, est.id)
    staff_view = estimates.get_estimate(session, t.team_lead, est.id)
    for actor in (ops, t.team_lead):
        name, data = documents.estimate_document(session, actor, est.id)
        text = pdf_text(data)
        assert name == f"{est.number}-v1.pdf"
        for expected in (
            "Łódź Studio",
            "Zoë Ångström",
            "Façade redesign",
            est.number,
            formatting.day(date(2026, 12, 31)),
            formatting.money(80_000, "EUR"),
            tax_percent(2300),
            formatting.money(staff_view.subtotal_minor, "EUR"),
            formatting.money(staff_view.tax_minor, "EUR"),
            formatting.money(staff_view.total_minor, "EUR"),
            "Prices include setup.",
        ):
            assert has(text, expected), expected
        assert INTERNAL not in text
        assert formatting.money(61_234, "EUR") not in text
        assert formatting.money(staff_view.cost_minor, "EUR") not in text
        assert "cost" not in text.lower() and "margin" not in text.lower()
    # billing-only contacts, other accounts, other workspaces: not found
    _, _, _, zoe_billing = world
    for actor in (zoe_billing, t.contact, other.owner, operator()):
        with pytest.raises(NotFound):
            documents.estimate_document(session, actor, est.id)


def _statement_world(session, t, zoe):
    a = issued_invoice(session, t, zoe, paid=50_000)
    return a


def test_statement_pdf_prints_balances_and_aging(session, world):
    t, _, zoe, zoe_contact = world
    _statement_world(session, t, zoe)
    start, end = PERIOD
    statement = compute_statement(session, zoe_contact, zoe.id, period_start=start, period_end=end)
    name, data = documents.statement_document(
        session, zoe_contact, zoe.id, period_start=start, period_end=end
    )
    text = pdf_text(data)
    assert name == "Zoë-Ångström-statement-2026-01-01-to-2026-06-30.pdf"
    cur = statement.currency
    expected = [
        "Łódź Studio",
        "Zoë Ångström",
        "Opening balance",
        "Closing balance",
        formatting.balance(statement.opening_balance_minor, cur),
        formatting.balance(statement.closing_balance_minor, cur),
        "Current",
        "1-30 days",
        "31-60 days",
        "61-90 days",
        "90+ days",
        "IBAN PL61 1090 1014 0000 0712 1981 2874",
    ]
    for ln in statement.lines:
        expected += [ln.description, formatting.day(ln.on), formatting.balance(ln.balance_minor, cur)]
    aging = statement.aging
    for value in (aging.current, aging.days_1_30, aging.days_31_60, aging.days_61_90, aging.days_90_plus):
        expected.append(formatting.money(value, cur))
    assert statement.closing_balance_minor > 0 and aging.days_61_90 == statement.closing_balance_minor
    missing = [e for e in expected if not has(text, e)]
    assert missing == []


def test_statement_document_scope(session, world):
    t, other, zoe, zoe_contact = world
    start, end = PERIOD
    no_billing = make_contact(session, zoe, billing=False)
    session.commit()
    for actor, account_id in (
        (t.contact, zoe.id),  # a contact of another account of the same workspace
        (zoe_contact, t.account.id),
        (no_billing, zoe.id),
        (other.owner, zoe.id),
        (operator(), zoe.id),
    ):
        with pytest.raises(NotFound):
            documents.statement_document(session, actor, account_id, period_start=start, period_end=end)
    _, data = documents.statement_document(session, t.team_lead, zoe.id, period_start=start, period_end=end)
    assert "Zoë Ångström" in pdf_text(data)


def test_snapshot_pdf_keeps_the_shared_numbers(session, world):
    t, other, zoe, zoe_contact = world
    inv = _statement_world(session, t, zoe)
    start, end = PERIOD
    snap = snapshots.share_statement(session, t.finance, zoe.id, period_start=start, period_end=end)
    # A later payment changes the live statement, not the shared one.
    invoices.record_payment(
        session, t.finance, inv.id, amount_minor=1_000, currency="EUR", received_on=date(2026, 3, 20)
    )
    _, data = documents.snapshot_document(session, zoe_contact, snap.id)
    text = pdf_text(data)
    assert has(text, formatting.balance(snap.statement.closing_balance_minor, "EUR"))
    assert not has(text, formatting.balance(snap.statement.closing_balance_minor - 1_000, "EUR"))
    assert "Shared on" in text
    for actor in (t.contact, other.owner, operator()):
        with pytest.raises(NotFound):
            documents.snapshot_document(session, actor, snap.id)


def test_preview_is_for_staff_with_intake_read_only(session, world, storage_dir):
    import uuid

    from portal_app.services import intake

    t, other, *_ = world
    inv = issued_invoice(session, t, t.account)
    pdf = documents.invoice_pdf(inv, workspace_name="x", account_name="y")
    up = intake.submit_payment_proof(
        session,
        t.billing_contact,
        inv.id,
        filename="proof.pdf",
        data=pdf,
        claimed_amount_minor=100,
        idempotency_key=uuid.uuid4().hex,
    )
    path, kind, _ = documents.preview_intake_file(session, t.finance, up.id)
    assert kind == "application/pdf" and path.read_bytes() == pdf
    for actor in (t.billing_contact, other.owner, operator()):
        with pytest.raises(NotFound):
            documents.preview_intake_file(session, actor, up.id)


def test_no_permission_is_forbidden_not_a_document(session, world, monkeypatch):
    t, _, zoe, _ = world
    inv = issued_invoice(session, t, zoe)
    from portal_app.services import permissions

    table = dict(permissions.ROLE_PERMISSIONS)
    table[t.team_lead.role] = table[t.team_lead.role] - {permissions.Permission.INVOICES_READ}
    monkeypatch.setattr(permissions, "ROLE_PERMISSIONS", table)
    with pytest.raises(Forbidden):
        documents.invoice_document(session, t.team_lead, inv.id)
