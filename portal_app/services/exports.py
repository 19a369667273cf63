"""CSV exports: an account statement (live or a shared snapshot) and the staff invoice list.

The format, decided once for every export here:

- UTF-8 with a byte-order mark (so Excel opens "Zoë Ångström" and "Łódź" correctly; Python reads it with
  ``encoding="utf-8-sig"``), RFC 4180 quoting, CRLF line ends, one header row.
- Dates are ISO (``2027-03-12``).
- Amounts are plain decimals in the currency's own exponent (babel's currency digits: USD ``1234.50``, JPY
  ``1250``, BHD ``1.250``), written from the integer minor units, never through a float, with no thousands
  separator and no symbol; the currency code has its own column.
- Formula injection (OWASP "CSV injection"): every free-text cell (descriptions, references, names, numbers typed
  by people) whose first character is ``=``, ``+``, ``-``, ``@``, tab, CR or LF, or whose first non-blank
  character is ``=``, ``+``, ``-`` or ``@``, is prefixed with a single quote, so a spreadsheet shows it as text
  and never evaluates it. The amount columns are not neutralised: they are produced here from integers and always
  match ``-?[0-9]+(\\.[0-9]+)?``, so a negative amount such as ``-12.50`` stays a number a spreadsheet can add up
  and can never carry a formula (``_amount`` asserts the shape). Dates and counts are produced here too.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from datetime import date

from babel.numbers import get_currency_precision
from sqlmodel import Session, col

from models import CustomerAccount, Invoice, InvoiceStatus
from models.schemas import StatementRead
from portal_app.services import invoices, snapshots, statements
from portal_app.services.access import Actor, require_staff, scoped_select
from portal_app.services.documents import AGING_LABELS, safe_filename, statement_filename
from portal_app.services.permissions import Permission
from portal_app.statuses import status_label

CSV_TYPE = "text/csv; charset=utf-8"
# The invoice list export stops here (newest first); the list page filters further.
MAX_EXPORT_ROWS = 10_000

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
_AMOUNT = re.compile(r"-?[0-9]+(\.[0-9]+)?")

STATEMENT_HEADER = ("Date", "Type", "Reference", "Description", "Charge", "Payment", "Balance", "Currency")
INVOICE_HEADER = (
    "Number",
    "Account",
    "Status",
    "Currency",
    "Issue date",
    "Due date",
    "Subtotal",
    "Tax",
    "Total",
    "Paid",
    "Balance",
)


def neutralise(value: object) -> str:
    """A free-text cell made inert for spreadsheets: ``=SUM(A1)`` → ``'=SUM(A1)``; other text unchanged."""
    text = "" if value is None else str(value)
    if text.startswith(_FORMULA_START) or text.lstrip(" \t\r\n").startswith(_FORMULA_START[:4]):
        return "'" + text
    return text


def amount(minor: int, currency: str) -> str:
    """Minor units as a plain decimal in the currency's exponent: ``amount(-1250, "USD") == "-12.50"``,
    ``amount(1250, "JPY") == "1250"``. Integer arithmetic only."""
    if isinstance(minor, bool) or not isinstance(minor, int):
        raise TypeError("amounts are integer minor units")
    digits = get_currency_precision(currency.upper())
    sign = "-" if minor < 0 else ""
    whole, frac = divmod(abs(minor), 10**digits)
    text = f"{sign}{whole}.{frac:0{digits}d}" if digits else f"{sign}{whole}"
    assert _AMOUNT.fullmatch(text)
    return text


def _iso(d: date | None) -> str:
    return d.isoformat() if d is not None else ""


def csv_bytes(rows: Iterable[Sequence[str]], *, bom: bool = True) -> bytes:
    """``rows`` (the header row first) as this module's CSV: UTF-8, RFC 4180 quoting, CRLF line ends, and a
    byte-order mark unless ``bom=False`` (a streamed file's batches after the first)."""
    buf = io.StringIO()
    if bom:
        buf.write("\ufeff")
    csv.writer(buf, lineterminator="\r\n").writerows(rows)
    return buf.getvalue().encode("utf-8")


# -- statements ----------------------------------------------------------------------------------------------


def statement_csv(statement: StatementRead) -> bytes:
    """Opening balance, every invoice and payment with the running balance, the closing balance, then one row
    per aging bucket (its amount in the Balance column, dated the period's end)."""
    cur = statement.currency
    text = neutralise
    rows: list[tuple[str, ...]] = [
        (
            _iso(statement.period_start),
            "Opening balance",
            "",
            "",
            "",
            "",
            amount(statement.opening_balance_minor, cur),
            cur,
        )
    ]
    for ln in statement.lines:
        rows.append(
            (
                _iso(ln.on),
                "Invoice" if ln.kind == "invoice" else "Payment",
                text(ln.reference),
                text(ln.description),
                amount(ln.debit_minor, cur) if ln.debit_minor else "",
                amount(ln.credit_minor, cur) if ln.credit_minor else "",
                amount(ln.balance_minor, cur),
                cur,
            )
        )
    end = _iso(statement.period_end)
    rows.append((end, "Closing balance", "", "", "", "", amount(statement.closing_balance_minor, cur), cur))
    for key, label in AGING_LABELS:
        rows.append(
            (end, "Outstanding by age", "", label, "", "", amount(getattr(statement.aging, key), cur), cur)
        )
    return csv_bytes([STATEMENT_HEADER, *rows])


def statement_export(
    session: Session, actor: Actor, account_id: int, *, period_start: date, period_end: date
) -> tuple[str, bytes]:
    """``(filename, csv)`` of an account's statement. Scoped as ``statements.compute_statement``: staff with
    ``statements:read`` for their workspace's accounts, a contact with ``billing`` for their own account."""
    statement = statements.compute_statement(
        session, actor, account_id, period_start=period_start, period_end=period_end
    )
    return statement_filename(statement, ".csv"), statement_csv(statement)


def snapshot_export(session: Session, actor: Actor, snapshot_id: int) -> tuple[str, bytes]:
    """``(filename, csv)`` of a shared statement as it was shared. Scoped as ``snapshots.get_snapshot``."""
    snap = snapshots.get_snapshot(session, actor, snapshot_id)
    return statement_filename(snap.statement, ".csv"), statement_csv(snap.statement)


# -- the invoice list ----------------------------------------------------------------------------------------


def invoice_list_export(
    session: Session,
    actor: Actor,
    *,
    status: InvoiceStatus | None = None,
    account_id: int | None = None,
    overdue_only: bool = False,
    due_within_days: int | None = None,
) -> tuple[str, bytes]:
    """``(filename, csv)`` of the workspace's invoices, newest first, filtered like the list page (status, account,
    overdue or due within days: ``invoices.filtered_invoices``), at most ``MAX_EXPORT_ROWS``. Scoped: staff with
    ``invoices:read``; an account of another workspace matches nothing. Two queries whatever the size: the
    invoices, then their accounts' names."""
    staff = require_staff(actor, Permission.INVOICES_READ)
    query = invoices.filtered_invoices(
        staff,
        account_id=account_id,
        status=status,
        overdue_only=overdue_only,
        due_within_days=due_within_days,
    )
    rows = session.exec(
        query.order_by(col(Invoice.created_at).desc(), col(Invoice.id).desc()).limit(MAX_EXPORT_ROWS)
    ).all()
    ids = sorted({r.account_id for r in rows})
    names: dict[int, str] = {}
    if ids:
        accounts = session.exec(scoped_select(staff, CustomerAccount).where(col(CustomerAccount.id).in_(ids)))
        names = {a.id: a.name for a in accounts if a.id is not None}
    out = []
    for inv in rows:
        cur = inv.currency
        out.append(
            (
                neutralise(inv.number),
                neutralise(names.get(inv.account_id, "")),
                status_label("invoice", inv.status.value),
                cur,
                _iso(inv.issue_date),
                _iso(inv.due_date),
                amount(inv.subtotal_minor, cur),
                amount(inv.tax_minor, cur),
                amount(inv.total_minor, cur),
                amount(inv.amount_paid_minor, cur),
                amount(inv.total_minor - inv.amount_paid_minor, cur),
            )
        )
    stem = "invoices" if status is None else f"invoices-{InvoiceStatus(status).value}"
    if overdue_only:
        stem += "-overdue"
    elif due_within_days is not None:
        stem += "-due-soon"
    return safe_filename(stem, ".csv"), csv_bytes([INVOICE_HEADER, *out])
