"""Properties of ``lines.compute``: exact half-up totals inside the bounds, ``ValidationFailed`` outside them.

A plain ``Decimal`` implementation (``ROUND_HALF_UP``) is the reference. Runs are derandomized, so CI sees the
same examples every time.
"""

from __future__ import annotations

from dataclasses import replace
from decimal import ROUND_HALF_UP, Decimal, localcontext
from typing import Any

import pytest
from hypothesis import event, given, settings
from hypothesis import strategies as st

from portal_app.services.errors import ValidationFailed
from portal_app.services.lines import (
    INT64_MAX,
    MAX_DESCRIPTION_CHARS,
    MAX_LINES,
    MAX_QUANTITY,
    MAX_TAX_RATE_BP,
    MAX_TOTAL_MINOR,
    MAX_UNIT_AMOUNT_MINOR,
    LineInput,
    Totals,
    compute,
)

PROPERTY = settings(max_examples=200, deadline=None, derandomize=True)
INT32_MAX = 2**31 - 1


# ----------------------------------------------------------------------------------------------------
# Reference


def reference(lines: list[LineInput]) -> tuple[list[tuple[int, int, int]], int, int, int, int]:
    """Per line (net, tax, cost) and the document's subtotal, tax, total and cost, in Decimal arithmetic."""
    with localcontext() as ctx:
        ctx.prec = 60  # exact for every product these tests build (at most ~10^25)
        rows = []
        for ln in lines:
            net = Decimal(ln.quantity) * Decimal(ln.unit_price_minor)
            tax = (net * Decimal(ln.tax_rate_bp) / Decimal(10_000)).quantize(
                Decimal(1), rounding=ROUND_HALF_UP
            )
            cost = Decimal(ln.quantity) * Decimal(ln.unit_cost_minor)
            rows.append((int(net), int(tax), int(cost)))
    subtotal = sum(r[0] for r in rows)
    tax_total = sum(r[1] for r in rows)
    cost_total = sum(r[2] for r in rows)
    return rows, subtotal, tax_total, subtotal + tax_total, cost_total


def within_bounds(lines: list[LineInput]) -> bool:
    rows, _, _, total, cost = reference(lines)
    return (
        all(net + tax <= MAX_TOTAL_MINOR and c <= MAX_TOTAL_MINOR for net, tax, c in rows)
        and total <= MAX_TOTAL_MINOR
        and cost <= MAX_TOTAL_MINOR
    )


def assert_matches_reference(totals: Totals, lines: list[LineInput]) -> None:
    rows, subtotal, tax_total, total, cost = reference(lines)
    assert [(c.net_minor, c.tax_minor) for c in totals.lines] == [(n, t) for n, t, _ in rows]
    assert [c.position for c in totals.lines] == list(range(1, len(lines) + 1))
    assert (totals.subtotal_minor, totals.tax_minor, totals.total_minor, totals.cost_minor) == (
        subtotal,
        tax_total,
        total,
        cost,
    )


# ----------------------------------------------------------------------------------------------------
# Strategies

descriptions = st.text(
    st.characters(codec="utf-8", exclude_categories=["Cs"]), min_size=1, max_size=40
).filter(lambda s: bool(s.split()))


def _amount(high: int) -> st.SearchStrategy[int]:
    # Mostly everyday amounts, often the extremes, sometimes anything in range.
    return st.one_of(st.integers(0, min(high, 100_000)), st.sampled_from([0, high]), st.integers(0, high))


@st.composite
def valid_document(draw: st.DrawFn) -> list[LineInput]:
    """Lines whose totals fit by construction: each line gets an equal share of half the document bound
    (tax can at most double a line) and of the whole bound for its cost."""
    count = draw(st.integers(1, 12))
    budget = MAX_TOTAL_MINOR // (2 * count)
    lines = []
    for _ in range(count):
        quantity = draw(_amount(min(MAX_QUANTITY, budget)).filter(lambda q: q >= 1))
        per_unit = min(MAX_UNIT_AMOUNT_MINOR, budget // quantity)
        lines.append(
            LineInput(
                description=draw(descriptions),
                quantity=quantity,
                unit_price_minor=draw(_amount(per_unit)),
                tax_rate_bp=draw(_amount(MAX_TAX_RATE_BP)),
                unit_cost_minor=draw(
                    _amount(min(MAX_UNIT_AMOUNT_MINOR, MAX_TOTAL_MINOR // count // quantity))
                ),
            )
        )
    return lines


in_range_line = st.builds(
    LineInput,
    description=descriptions,
    quantity=st.one_of(
        st.integers(1, 1_000), st.sampled_from([1, MAX_QUANTITY]), st.integers(1, MAX_QUANTITY)
    ),
    unit_price_minor=_amount(MAX_UNIT_AMOUNT_MINOR),
    tax_rate_bp=_amount(MAX_TAX_RATE_BP),
    unit_cost_minor=_amount(MAX_UNIT_AMOUNT_MINOR),
)

non_ints: st.SearchStrategy[Any] = st.one_of(
    st.booleans(),
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True),
    st.text(max_size=5),
    st.none(),
    st.just([1]),
)


def outside(low: int, high: int) -> st.SearchStrategy[Any]:
    """Whole numbers just past either bound or far past it (beyond 64 bits), and things that are not numbers."""
    return st.one_of(
        st.integers(max_value=low - 1),
        st.integers(min_value=high + 1),
        st.sampled_from([low - 1, high + 1, -(2**63), 2**63, 2**80]),
        non_ints,
    )


BAD_FIELD: dict[str, st.SearchStrategy[Any]] = {
    "quantity": outside(1, MAX_QUANTITY),
    "unit_price_minor": outside(0, MAX_UNIT_AMOUNT_MINOR),
    "unit_cost_minor": outside(0, MAX_UNIT_AMOUNT_MINOR),
    "tax_rate_bp": outside(0, MAX_TAX_RATE_BP),
    "description": st.one_of(
        st.just(""),
        st.text(" \t\n", max_size=5),
        st.just("x" * (MAX_DESCRIPTION_CHARS + 1)),
    ),
}


# ----------------------------------------------------------------------------------------------------
# Properties


def test_bounds_fit_the_columns():
    assert MAX_QUANTITY <= INT32_MAX and MAX_TAX_RATE_BP <= INT32_MAX  # INTEGER columns
    assert MAX_UNIT_AMOUNT_MINOR <= MAX_TOTAL_MINOR
    # Intermediate products are Python ints; what is stored is at most MAX_TOTAL_MINOR, with a wide margin.
    assert MAX_TOTAL_MINOR * 1_000 < INT64_MAX


@PROPERTY
@given(valid_document())
def test_valid_documents_match_the_decimal_reference(lines):
    totals = compute(lines)
    assert_matches_reference(totals, lines)
    assert totals.total_minor == totals.subtotal_minor + totals.tax_minor
    assert totals.subtotal_minor == sum(c.net_minor for c in totals.lines)
    assert totals.tax_minor == sum(c.tax_minor for c in totals.lines)
    amounts = [totals.subtotal_minor, totals.tax_minor, totals.total_minor, totals.cost_minor]
    amounts += [a for c in totals.lines for a in (c.net_minor, c.tax_minor, c.net_minor + c.tax_minor)]
    assert all(0 <= a <= MAX_TOTAL_MINOR <= INT64_MAX for a in amounts)
    for c, ln in zip(totals.lines, lines, strict=True):
        assert c.net_minor == ln.quantity * ln.unit_price_minor
        assert c.tax_minor <= c.net_minor  # at most 100 %
        # Half up: the rounded tax is within half a minor unit of the exact one, and an exact half goes up.
        assert -5_000 < c.tax_minor * 10_000 - c.net_minor * ln.tax_rate_bp <= 5_000
        assert c.description == " ".join(ln.description.split())
    # Deterministic, and the document totals do not depend on line order.
    assert compute(list(lines)) == totals
    flipped = compute(lines[::-1])
    assert (flipped.subtotal_minor, flipped.tax_minor, flipped.total_minor, flipped.cost_minor) == (
        totals.subtotal_minor,
        totals.tax_minor,
        totals.total_minor,
        totals.cost_minor,
    )


@PROPERTY
@given(st.lists(in_range_line, min_size=1, max_size=8))
def test_in_range_fields_are_accepted_exactly_when_the_totals_fit(lines):
    """Every field within its own bound: either the exact reference totals or a clear ValidationFailed."""
    if within_bounds(lines):
        event("accepted")
        assert_matches_reference(compute(lines), lines)
    else:
        event("refused")
        with pytest.raises(ValidationFailed, match="too large"):
            compute(lines)


@PROPERTY
@given(
    st.lists(in_range_line, min_size=1, max_size=5),
    st.data(),
)
def test_a_field_outside_its_bounds_raises_validation_failed(lines, data):
    field = data.draw(st.sampled_from(sorted(BAD_FIELD)), label="field")
    value = data.draw(BAD_FIELD[field], label="value")
    at = data.draw(st.integers(0, len(lines) - 1), label="at")
    bad = list(lines)
    bad[at] = replace(bad[at], **{field: value})
    with pytest.raises(ValidationFailed) as refused:
        compute(bad)
    assert refused.value.message.startswith(f"Line {at + 1}:") or "too large" in refused.value.message


@PROPERTY
@given(
    st.one_of(
        st.none(),
        st.text(max_size=5),
        st.binary(max_size=5),
        st.integers(),
        st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
        st.just([]),
        st.lists(
            st.one_of(
                st.none(), st.integers(), st.text(max_size=3), st.dictionaries(st.text(), st.integers())
            ),
            min_size=1,
            max_size=3,
        ),
        st.just([LineInput("x", 1, 1)] * (MAX_LINES + 1)),
    )
)
def test_malformed_line_lists_raise_validation_failed(lines):
    with pytest.raises(ValidationFailed):
        compute(lines)


def test_generator_of_lines_is_refused_not_crashed():
    with pytest.raises(ValidationFailed):
        compute(LineInput("x", 1, 1) for _ in range(2))  # type: ignore[arg-type]


# ----------------------------------------------------------------------------------------------------
# Edges worth naming


@pytest.mark.parametrize(
    ("quantity", "price", "rate", "tax"),
    [
        (1, 5, 1000, 1),  # 0.5 → 1
        (1, 15, 1000, 2),  # 1.5 → 2
        (1, 25, 1000, 3),  # 2.5 → 3 (half up, not half even)
        (1, 4, 1000, 0),  # 0.4 → 0
        (3, 1999, 2000, 1199),  # 1199.4 → 1199
        (1, 1, 5000, 1),  # 0.5 → 1
        (1, 1, 4999, 0),  # 0.4999 → 0
    ],
)
def test_tax_rounds_half_up(quantity, price, rate, tax):
    assert compute([LineInput("x", quantity, price, rate)]).tax_minor == tax


def test_most_lines_at_the_largest_share_each_are_accepted():
    share = MAX_TOTAL_MINOR // MAX_LINES // 2  # tax at 100 % doubles each line
    totals = compute([LineInput(f"line {i}", 1, share, MAX_TAX_RATE_BP, share) for i in range(MAX_LINES)])
    assert totals.total_minor == MAX_TOTAL_MINOR and totals.cost_minor == MAX_TOTAL_MINOR // 2
    with pytest.raises(ValidationFailed, match=f"at most {MAX_LINES} lines"):
        compute([LineInput("x", 1, 1)] * (MAX_LINES + 1))


def test_largest_document_is_accepted_and_one_more_minor_unit_is_not():
    half = MAX_TOTAL_MINOR // 2
    top = [LineInput("a", 1, MAX_UNIT_AMOUNT_MINOR, MAX_TAX_RATE_BP)] * (half // MAX_UNIT_AMOUNT_MINOR)
    totals = compute(top)
    assert totals.total_minor == MAX_TOTAL_MINOR
    with pytest.raises(ValidationFailed, match="too large for one document"):
        compute([*top, LineInput("b", 1, 1)])


def test_line_and_cost_bounds():
    # The largest unit price at the largest quantity is 10^19: above the bound, refused (not stored).
    with pytest.raises(ValidationFailed, match="Line 1: quantity × price"):
        compute([LineInput("x", MAX_QUANTITY, MAX_UNIT_AMOUNT_MINOR)])
    with pytest.raises(ValidationFailed, match="Line 2: quantity × cost"):
        compute([LineInput("x", 1, 1), LineInput("y", MAX_QUANTITY, 1, 0, MAX_UNIT_AMOUNT_MINOR)])
    per_line = MAX_TOTAL_MINOR // 100  # 100 lines at the per-line bound sum to the document bound
    ok = [LineInput("x", 100, 0, 0, per_line // 100)] * 100
    assert compute(ok).cost_minor == MAX_TOTAL_MINOR
    with pytest.raises(ValidationFailed, match="total cost is too large"):
        compute([*ok, LineInput("y", 1, 0, 0, 1)])


@pytest.mark.parametrize("field", ["quantity", "unit_price_minor", "tax_rate_bp", "unit_cost_minor"])
def test_booleans_are_not_numbers(field):
    with pytest.raises(ValidationFailed, match="Line 1"):
        compute([replace(LineInput("x", 1, 1), **{field: True})])  # type: ignore[arg-type]
