"""Receivables aging, defined once: the buckets of days past due and their SQL.

The command center ages the workspace's open invoices (``signals.invoice_signals``, what is left to pay today);
statements and the account view age one account's issued invoices as of a date (``statements``, what payments
received by then leave). Both sum their amount per bucket with ``aging_sums``, so a bucket's edges are the same
everywhere. Bounds are written as dates (``due <= as_of - 1 day``), so the SQL is the same on every engine.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import sqlalchemy as sa

from models.schemas import AgingBuckets

# Days past due (fewest, most) of each bucket after "current" (not yet due, or due that very day); None: no end.
PAST_DUE_DAYS: tuple[tuple[int, int | None], ...] = ((1, 30), (31, 60), (61, 90), (91, None))
# What the pages call the buckets, "current" first (in ``AgingBuckets``' order).
AGING_LABELS: tuple[str, ...] = ("Current", "1-30 days", "31-60 days", "61-90 days", "Over 90 days")


def aging_sums(due: Any, as_of: date, amount: Any) -> list[Any]:
    """``SUM(CASE WHEN <bucket> THEN amount ELSE 0 END)`` per bucket as of ``as_of``, in ``AgingBuckets``' order:
    current (no due date, or due on ``as_of`` or later), then one per ``PAST_DUE_DAYS``."""
    buckets = [sa.or_(due.is_(None), due >= as_of)]
    for fewest, most in PAST_DUE_DAYS:
        clause = [due <= as_of - timedelta(days=fewest)]
        if most is not None:
            clause.append(due >= as_of - timedelta(days=most))
        buckets.append(sa.and_(*clause))
    return [sa.func.sum(sa.case((bucket, amount), else_=0)) for bucket in buckets]


def aging_buckets(sums: Sequence[Any]) -> AgingBuckets:
    """The values of ``aging_sums``' columns (NULL over no rows, a Decimal on PostgreSQL) as ``AgingBuckets``."""
    current, days_1_30, days_31_60, days_61_90, days_90_plus = (int(v or 0) for v in sums)
    return AgingBuckets(
        current=current,
        days_1_30=days_1_30,
        days_31_60=days_31_60,
        days_61_90=days_61_90,
        days_90_plus=days_90_plus,
    )
