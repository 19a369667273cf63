"""Line items shared by estimates and invoices: validated input and server-side totals.

Every amount is an integer number of minor units (cents). The bounds below are business limits chosen well
inside the 64-bit (BIGINT) amount columns and the 32-bit quantity and tax-rate columns, so anything that passes
``compute`` can be stored on SQLite and PostgreSQL alike, and a payment, a statement sum or a running balance
built from stored totals stays far from an overflow. Input beyond a bound is refused with ``ValidationFailed``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from portal_app.services.errors import ValidationFailed

INT64_MAX = 2**63 - 1  # BIGINT on both engines
MAX_LINES = 200  # per document
MAX_DESCRIPTION_CHARS = 500
MAX_QUANTITY = 1_000_000  # whole units per line
MAX_TAX_RATE_BP = 10_000  # basis points: 100 %
MAX_UNIT_AMOUNT_MINOR = 10**13  # unit price and unit cost: 100 billion in a two-decimal currency
# Per line and per document, for net, tax, total and internal cost alike: 10 trillion in a two-decimal
# currency. Over 9,000 such documents still sum inside 64 bits (statements add invoice totals in SQL).
MAX_TOTAL_MINOR = 10**15
_BP = 10_000


@dataclass(frozen=True)
class LineInput:
    description: str
    quantity: int = 1
    unit_price_minor: int = 0
    tax_rate_bp: int = 0  # basis points: 2000 = 20 %
    unit_cost_minor: int = 0  # internal (estimates only)


@dataclass(frozen=True)
class ComputedLine:
    position: int
    description: str
    quantity: int
    unit_price_minor: int
    tax_rate_bp: int
    unit_cost_minor: int
    net_minor: int
    tax_minor: int

    @property
    def total_minor(self) -> int:
        return self.net_minor


@dataclass(frozen=True)
class Totals:
    lines: list[ComputedLine]
    subtotal_minor: int
    tax_minor: int
    total_minor: int
    cost_minor: int


def _round_half_up(numerator: int, denominator: int) -> int:
    """``numerator / denominator`` rounded half up, for a non-negative numerator and a positive denominator."""
    return (numerator * 2 + denominator) // (denominator * 2)


def _whole(value: object, low: int, high: int) -> bool:
    # bool is an int subclass: True must not pass as a quantity of 1.
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high


def _check_line(i: int, line: object) -> str:
    """The line's cleaned description; ``ValidationFailed`` naming the line and the field otherwise."""
    if not isinstance(line, LineInput):
        raise ValidationFailed(f"Line {i} is not valid.")
    desc = " ".join(str(line.description).split())
    if not 1 <= len(desc) <= MAX_DESCRIPTION_CHARS:
        raise ValidationFailed(f"Line {i}: the description must be 1-{MAX_DESCRIPTION_CHARS} characters.")
    if not _whole(line.quantity, 1, MAX_QUANTITY):
        raise ValidationFailed(f"Line {i}: the quantity must be a whole number from 1 to {MAX_QUANTITY:,}.")
    for label, value in (("price", line.unit_price_minor), ("cost", line.unit_cost_minor)):
        if not _whole(value, 0, MAX_UNIT_AMOUNT_MINOR):
            raise ValidationFailed(
                f"Line {i}: the unit {label} must be a whole number of minor units "
                f"from 0 to {MAX_UNIT_AMOUNT_MINOR:,}."
            )
    if not _whole(line.tax_rate_bp, 0, MAX_TAX_RATE_BP):
        raise ValidationFailed(f"Line {i}: the tax rate must be between 0 % and {MAX_TAX_RATE_BP // 100} %.")
    return desc


def compute(lines: Sequence[LineInput]) -> Totals:
    """Validate lines and compute totals in integer minor units; tax rounds half up per line.

    Raises ``ValidationFailed`` (never another error) for a missing or malformed line, a value outside the
    bounds above, or a line or document amount above ``MAX_TOTAL_MINOR``.
    """
    if isinstance(lines, (str, bytes)) or not isinstance(lines, Sequence):
        raise ValidationFailed("The lines must be a list.")
    if not lines:
        raise ValidationFailed("Add at least one line.")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"A document can have at most {MAX_LINES} lines.")
    out: list[ComputedLine] = []
    for i, line in enumerate(lines, start=1):
        desc = _check_line(i, line)
        net = line.quantity * line.unit_price_minor
        tax = _round_half_up(net * line.tax_rate_bp, _BP)
        if net + tax > MAX_TOTAL_MINOR:
            raise ValidationFailed(
                f"Line {i}: quantity × price plus tax is too large; a line can total at most "
                f"{MAX_TOTAL_MINOR:,} minor units."
            )
        if line.quantity * line.unit_cost_minor > MAX_TOTAL_MINOR:
            raise ValidationFailed(
                f"Line {i}: quantity × cost is too large; a line can cost at most {MAX_TOTAL_MINOR:,} minor units."
            )
        out.append(
            ComputedLine(
                i,
                desc,
                line.quantity,
                line.unit_price_minor,
                line.tax_rate_bp,
                line.unit_cost_minor,
                net,
                tax,
            )
        )
    subtotal = sum(c.net_minor for c in out)
    tax_total = sum(c.tax_minor for c in out)
    cost = sum(c.quantity * c.unit_cost_minor for c in out)
    if subtotal + tax_total > MAX_TOTAL_MINOR:
        raise ValidationFailed(
            f"The total is too large for one document (at most {MAX_TOTAL_MINOR:,} minor units). "
            "Split it into several."
        )
    if cost > MAX_TOTAL_MINOR:
        raise ValidationFailed(
            f"The total cost is too large for one document (at most {MAX_TOTAL_MINOR:,} minor units)."
        )
    return Totals(out, subtotal, tax_total, subtotal + tax_total, cost)
