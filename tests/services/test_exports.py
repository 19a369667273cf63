"""CSV exports: header, ISO dates, decimals in each currency's exponent from integers, formula cells made inert."""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta

import pytest

from models import InvoiceStatus
from models.schemas import AgingBuckets, StatementLine, StatementRead
from portal_app.services import exports, invoices
from portal_app.services.errors import NotFound
from portal_app.services.exports import amount, neutralise
from tests.factories import make_account, make_tenant, operator


def read(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    text = data.decode("utf-8-sig")
    assert "\r\n" in text
    return list(csv.reader(io.StringIO(text)))


@pytest.mark.parametrize(
    "cell",
    ['=HYPERLINK("http://x")', "+1+1", "-2+3", "@SUM(A1)", "\t=1", "\r=1", "\n=1", "  =cmd|' /C calc'!A0"],
)
def test_formula_cells_are_neutralised(cell):
    assert neutralise(cell) == "'" + cell


@pytest.mark.parametrize("cell", ["INV-0001", "Zoë Ångström", "Łódź", "12.50", "", "a=b", "Payment (ref -3)"])
def test_plain_text_is_unchanged(cell):
    assert neutralise(cell) == cell


@pytest.mark.parametrize(
    ("minor", "currency", "text"),
    [
        (125_050, "USD", "1250.50"),
        (-1_250, "USD", "-12.50"),
        (5, "EUR", "0.05"),
        (-5, "EUR", "-0.05"),
        (0, "USD", "0.00"),
        (137_501, "JPY", "137501"),
        (-1_250, "JPY", "-1250"),
        (1_250, "BHD", "1.250"),
        (9_007_199_254_740_993, "USD", "90071992547409.93"),  # past a float's exact range
    ],
)
def test_amounts_are_decimals_in_the_currency_exponent(minor, currency, text):
    assert amount(minor, currency) == text


def test_amount_refuses_floats():
    with pytest.raises(TypeError):
        amount(12.5, "USD")  # type: ignore[arg-type]


def statement(currency: str = "USD") -> StatementRead:
    return StatementRead(
        account_id=1,
        account_name="=Evil Corp",
        currency=currency,
        period_start=date(2026, 1, 1),
        period_end=date(2026, 3, 31),
        opening_balance_minor=-1_250,
        closing_balance_minor=8_750,
        lines=[
            StatementLine(
                on=date(2026, 2, 1),
                kind="invoice",
                reference="INV-0001",
                description="Invoice INV-0001",
                debit_minor=10_000,
                credit_minor=0,
                balance_minor=8_750,
            ),
            StatementLine(
                on=date(2026, 2, 3),
                kind="payment",
                reference="INV-0001",
                description='Payment for INV-0001 (=HYPERLINK("http://evil"))',
                debit_minor=0,
                credit_minor=0,
                balance_minor=8_750,
            ),
        ],
        aging=AgingBuckets(current=8_750),
    )


def test_statement_csv_has_header_iso_dates_numbers_and_inert_text():
    rows = read(exports.statement_csv(statement()))
    assert rows[0] == list(exports.STATEMENT_HEADER)
    opening, invoice, payment, closing, *aging = rows[1:]
    assert opening == ["2026-01-01", "Opening balance", "", "", "", "", "-12.50", "USD"]
    assert invoice == ["2026-02-01", "Invoice", "INV-0001", "Invoice INV-0001", "100.00", "", "87.50", "USD"]
    assert payment[3] == 'Payment for INV-0001 (=HYPERLINK("http://evil"))'  # does not start with "="
    assert closing == ["2026-03-31", "Closing balance", "", "", "", "", "87.50", "USD"]
    assert [r[3] for r in aging] == ["Current", "1-30 days", "31-60 days", "61-90 days", "90+ days"]
    assert aging[0][6] == "87.50"


def test_statement_csv_free_text_starting_with_a_formula_is_quoted():
    evil = statement().model_copy(
        update={
            "lines": [
                StatementLine(
                    on=date(2026, 2, 1),
                    kind="payment",
                    reference="@cmd",
                    description="-2+3+cmd|' /C calc'!A0",
                    debit_minor=0,
                    credit_minor=500,
                    balance_minor=-1_750,
                )
            ]
        }
    )
    row = read(exports.statement_csv(evil))[2]
    assert row[2] == "'@cmd"
    assert row[3] == "'-2+3+cmd|' /C calc'!A0"
    assert row[5] == "5.00" and row[6] == "-17.50"  # our own negative amount stays a number


def test_jpy_statement_has_no_decimals():
    rows = read(exports.statement_csv(statement("JPY")))
    assert rows[1][6] == "-1250" and rows[2][4] == "10000"


def test_invoice_list_csv_scoped_filtered_and_inert(session):
    t = make_tenant(session)
    other = make_tenant(session)
    evil = make_account(session, t.ws, name="=cmd|' /C calc'!A0", currency="JPY")
    session.commit()
    yen = invoices.create_invoice(
        session, t.finance, evil.id, lines=[{"description": "x", "quantity": 1, "unit_price_minor": 1250}]
    )
    invoices.issue_invoice(session, t.finance, yen.id, issue_date=date(2026, 3, 2), due_date=date(2026, 4, 1))
    invoices.create_invoice(
        session,
        t.finance,
        t.account.id,
        lines=[{"description": "y", "quantity": 2, "unit_price_minor": 1999}],
    )
    invoices.create_invoice(
        session, other.finance, other.account.id, lines=[{"description": "z", "unit_price_minor": 7}]
    )

    name, data = exports.invoice_list_export(session, t.team_lead)
    rows = read(data)
    assert name == "invoices.csv"
    assert rows[0] == list(exports.INVOICE_HEADER)
    assert len(rows) == 3  # the other workspace's invoice is not there
    by_currency = {r[3]: r for r in rows[1:]}
    assert by_currency["JPY"] == [
        yen.number, "'=cmd|' /C calc'!A0", "Open", "JPY", "2026-03-02", "2026-04-01",
        "1250", "0", "1250", "0", "1250",
    ]  # fmt: skip
    assert by_currency["USD"][6:] == ["39.98", "0.00", "39.98", "0.00", "39.98"]
    assert by_currency["USD"][4:6] == ["", ""]

    _, data = exports.invoice_list_export(session, t.finance, status=InvoiceStatus.DRAFT)
    assert [r[3] for r in read(data)[1:]] == ["USD"]
    _, data = exports.invoice_list_export(session, t.finance, account_id=other.account.id)
    assert read(data)[1:] == []
    for actor in (t.contact, operator()):
        with pytest.raises(NotFound):
            exports.invoice_list_export(session, actor)


def test_statement_export_is_scoped(session):
    t = make_tenant(session)
    other = make_tenant(session)
    start, end = date(2026, 1, 1), date(2026, 3, 31)
    name, data = exports.statement_export(
        session, t.billing_contact, t.account.id, period_start=start, period_end=end
    )
    assert name.endswith("statement-2026-01-01-to-2026-03-31.csv")
    assert read(data)[0] == list(exports.STATEMENT_HEADER)
    for actor, account_id in ((t.billing_contact, t.other_account.id), (t.other_contact, t.account.id),
                              (other.owner, t.account.id), (operator(), t.account.id)):  # fmt: skip
        with pytest.raises(NotFound):
            exports.statement_export(session, actor, account_id, period_start=start, period_end=end)


def test_invoice_list_csv_takes_the_lists_overdue_and_due_soon_filters(session):
    t = make_tenant(session)
    other = make_tenant(session)
    session.commit()
    today = invoices.today()

    def issued(tenant, due_in: int, *, pay: bool = False) -> str:
        inv = invoices.create_invoice(
            session, tenant.finance, tenant.account.id, lines=[{"description": "x", "unit_price_minor": 1000}]
        )
        inv = invoices.issue_invoice(
            session,
            tenant.finance,
            inv.id,
            issue_date=today - timedelta(days=60),
            due_date=today + timedelta(days=due_in),
        )
        if pay:
            invoices.record_payment(
                session, tenant.finance, inv.id, amount_minor=1000, currency=inv.currency, received_on=today
            )
        return inv.number

    late = issued(t, -5)
    soon = issued(t, 3)
    issued(t, 30)  # due later
    issued(t, -5, pay=True)  # paid: not overdue
    issued(other, -5)  # another workspace's

    name, data = exports.invoice_list_export(session, t.finance, overdue_only=True)
    assert name == "invoices-overdue.csv" and [r[0] for r in read(data)[1:]] == [late]
    name, data = exports.invoice_list_export(
        session, t.finance, due_within_days=invoices.DUE_SOON_DAYS, account_id=t.account.id
    )
    assert name == "invoices-due-soon.csv" and [r[0] for r in read(data)[1:]] == [soon]
    _, data = exports.invoice_list_export(session, t.finance, overdue_only=True, account_id=other.account.id)
    assert read(data)[1:] == []
