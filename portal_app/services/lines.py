"""Line items shared by estimates and invoices: validated input and server-side totals."""

from __future__ import annotations

from dataclasses import dataclass

from portal_app.services.errors import ValidationFailed

MAX_LINES = 200
MAX_AMOUNT_MINOR = 10**13  # per unit; far above any real price
MAX_TOTAL_MINOR = 10**15  # per line and per document; keeps every stored sum well inside 64-bit integers


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
    return (numerator * 2 + denominator) // (denominator * 2)


def compute(lines: list[LineInput]) -> Totals:
    """Validate lines and compute totals in integer minor units; tax rounds half up per line."""
    if not lines:
        raise ValidationFailed("Add at least one line.")
    if len(lines) > MAX_LINES:
        raise ValidationFailed(f"At most {MAX_LINES} lines.")
    out: list[ComputedLine] = []
    for i, line in enumerate(lines, start=1):
        desc = " ".join(str(line.description).split())
        if not 1 <= len(desc) <= 500:
            raise ValidationFailed(f"Line {i}: the description must be 1-500 characters.")
        if not isinstance(line.quantity, int) or not 1 <= line.quantity <= 1_000_000:
            raise ValidationFailed(f"Line {i}: the quantity must be a whole number from 1 to 1,000,000.")
        for label, value in (("price", line.unit_price_minor), ("cost", line.unit_cost_minor)):
            if not isinstance(value, int) or not 0 <= value <= MAX_AMOUNT_MINOR:
                raise ValidationFailed(f"Line {i}: the {label} must be zero or more.")
        if not isinstance(line.tax_rate_bp, int) or not 0 <= line.tax_rate_bp <= 10_000:
            raise ValidationFailed(f"Line {i}: the tax rate must be between 0 % and 100 %.")
        net = line.quantity * line.unit_price_minor
        tax = _round_half_up(net * line.tax_rate_bp, 10_000)
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
    if any(c.net_minor > MAX_TOTAL_MINOR for c in out) or subtotal * 2 > MAX_TOTAL_MINOR:
        raise ValidationFailed("The amounts are too large for one document. Split it into several.")
    tax_total = sum(c.tax_minor for c in out)
    cost = sum(c.quantity * c.unit_cost_minor for c in out)
    return Totals(out, subtotal, tax_total, subtotal + tax_total, cost)
