"""Typed form text to values: money, whole numbers, percentages and dates, with messages that say how to fix.

Pure functions (no reflex): a state calls them on submitted form data and shows ``InputError.message`` under the
field. The bounds are the services' own (``portal_app.services.lines``): the services check again.
"""

from __future__ import annotations

import re
from datetime import date
from decimal import Decimal, InvalidOperation

from babel.numbers import format_decimal, get_currency_precision

from portal_app.services.lines import MAX_QUANTITY, MAX_TAX_RATE_BP, MAX_UNIT_AMOUNT_MINOR

# "1234.50", "1,234.50", "1 234.50": digits with optional thousands separators (comma or space), a point for
# decimals. "1.234,50" is refused rather than guessed at.
_AMOUNT = re.compile(r"^(\d{1,3}(?:[, ]\d{3})+|\d+)(?:\.(\d+))?$")


class InputError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def _example(currency: str) -> str:
    return "1,250" if get_currency_precision(currency.upper()) == 0 else "1,234.50"


def parse_money(text: str, currency: str, *, what: str = "an amount") -> int:
    """``"1,234.50"`` in ``currency`` as minor units (123450 for USD; ``"1,250"`` is 1250 for JPY)."""
    code = currency.upper()
    digits = get_currency_precision(code)
    raw = " ".join(str(text).split()).lstrip("$€£¥").strip()
    match = _AMOUNT.match(raw)
    if not raw or match is None:
        raise InputError(f"Enter {what} as a number like {_example(code)}.")
    whole, fraction = match.group(1), match.group(2) or ""
    if len(fraction) > digits:
        if digits == 0:
            raise InputError(f"{code} has no decimals: enter a whole number like {_example(code)}.")
        raise InputError(f"Use at most {digits} decimals, like {_example(code)}.")
    minor = int(re.sub(r"[, ]", "", whole)) * 10**digits + int(fraction.ljust(digits, "0") or "0")
    if minor > MAX_UNIT_AMOUNT_MINOR:
        top = format_decimal(Decimal(MAX_UNIT_AMOUNT_MINOR).scaleb(-digits), locale="en")
        raise InputError(f"Enter {what} of at most {top}.")
    return minor


def money_text(minor: int, currency: str) -> str:
    """Minor units as a form shows them for editing: ``123450`` USD is ``"1,234.50"``."""
    digits = get_currency_precision(currency.upper())
    amount = Decimal(int(minor)).scaleb(-digits)
    return format_decimal(amount, format="#,##0." + "0" * digits if digits else "#,##0", locale="en")


def parse_quantity(text: str) -> int:
    """A whole number of units from 1 to ``MAX_QUANTITY`` ("1,000" is accepted)."""
    raw = str(text).strip().replace(",", "")
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_QUANTITY:
        raise InputError(f"Enter a whole quantity from 1 to {MAX_QUANTITY:,}.")
    return int(raw)


def parse_percent_bp(text: str) -> int:
    """A tax rate in percent ("20", "7.5", "7.25 %") as basis points (2000, 750, 725); empty is 0 %."""
    raw = str(text).strip().rstrip("%").strip() or "0"
    message = (
        f"Enter a tax rate from 0 to {MAX_TAX_RATE_BP // 100} %, with at most 2 decimals, like 20 or 7.5."
    )
    if not re.fullmatch(r"\d{1,3}(\.\d{1,2})?", raw):
        raise InputError(message)
    try:
        bp = int(Decimal(raw) * 100)
    except InvalidOperation as exc:  # pragma: no cover - the pattern above only lets numbers through
        raise InputError(message) from exc
    if bp > MAX_TAX_RATE_BP:
        raise InputError(message)
    return bp


def percent_text(bp: int) -> str:
    """Basis points as a form shows them: 2000 is ``"20"``, 750 is ``"7.5"``."""
    return format_decimal(Decimal(int(bp)) / 100, format="0.##", locale="en")


def parse_day(text: str, *, not_before: date | None = None) -> date | None:
    """A date input's value (``YYYY-MM-DD``), or None when empty; ``not_before`` refuses earlier dates."""
    raw = str(text).strip()
    if not raw:
        return None
    try:
        value = date.fromisoformat(raw)
    except ValueError as exc:
        raise InputError("Enter a date like 2027-03-12, or pick one from the calendar.") from exc
    if not_before is not None and value < not_before:
        raise InputError("Choose today or a later date.")
    return value
