"""What the command center shows, in words: signal cards, chart rows and their text alternatives, made from the
numbers ``services.signals.command_center`` answers. Pure functions (no database, no Reflex state): the home
page's state (state/staff.py) assigns what they return.

Each card says its number, a secondary line (what is owed per currency, how old the oldest is) and its trend in
words ("Up: +3 vs last week"), and links to the list behind it, filtered the same way (``routes.url_for`` with the
list's own filter names: state/invoices.py "overdue", state/documents.py "past_due", ...).
"""

from __future__ import annotations

import dataclasses
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from babel.dates import format_date
from babel.numbers import get_currency_precision

from models import IntakeKind
from portal_app import routes
from portal_app.formatting import LOCALE, balance, due, money
from portal_app.services.aging import AGING_LABELS
from portal_app.services.invoices import DUE_SOON_DAYS
from portal_app.services.permissions import ROLE_LABELS
from portal_app.services.signals import Amount, CommandCenter
from portal_app.services.signals_work import REVIEW_AGES
from state.account_view import BalanceRow, balance_rows


@dataclasses.dataclass
class SignalCard:
    name: str = ""  # the card's id is "signal-<name>"
    label: str = ""
    value: str = ""
    detail: str = ""
    trend: str = ""  # "Up: +3 vs last week"; "" when there is nothing to compare
    trend_icon: str = "minus"
    href: str = ""
    link_label: str = ""  # the link's accessible name: "Overdue invoices: 3"
    waiting: bool = False  # something waits behind it: the number takes the accent colour


@dataclasses.dataclass
class AssigneeRow:
    name: str = ""
    open: int = 0
    overdue: int = 0


REVIEW_AGE_LABELS = [label for label, _, _ in REVIEW_AGES]


def plural(n: int, word: str, words: str | None = None) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {words or word + 's'}"


def trend(now: int, before: int | None, *, against: str = "last week") -> tuple[str, str]:
    """("Up: +3 vs last week", icon), ("Down: -2 …"), ("No change vs …"); ("", "minus") with nothing to compare."""
    if before is None:
        return "", "minus"
    diff = now - before
    if diff > 0:
        return f"Up: +{diff} vs {against}", "trending-up"
    if diff < 0:
        return f"Down: \u2212{-diff} vs {against}", "trending-down"
    return f"No change vs {against}", "minus"


def age(then: datetime | None, now: datetime) -> str:
    """How long something has waited: "less than an hour", "5 hours", "3 days"."""
    if then is None:
        return ""
    waited = now - then
    if waited < timedelta(hours=1):
        return "less than an hour"
    if waited < timedelta(days=1):
        return plural(int(waited.total_seconds() // 3600), "hour")
    return plural(waited.days, "day")


def duration(span: timedelta | None) -> str:
    """A median time to decide: "5 hours", "36 hours", "2.5 days"."""
    if span is None:
        return ""
    hours = span.total_seconds() / 3600
    if hours < 48:
        return plural(max(1, round(hours)), "hour")
    days = Decimal(hours / 24).quantize(Decimal("0.1"))
    return f"{days.normalize():f} days"


def totals(amounts: tuple[Amount, ...]) -> str:
    return " · ".join(money(a.minor, a.currency) for a in amounts)


def major(minor: int, currency: str) -> float:
    """An amount in the currency's main unit, for a chart's axis (JPY has no minor unit, BHD three)."""
    return float(Decimal(int(minor)).scaleb(-get_currency_precision(currency.upper())))


def _card(
    name: str,
    label: str,
    count: int,
    href: str,
    *,
    detail: str = "",
    trend_pair: tuple[str, str],
    waits: bool = True,
) -> SignalCard:
    return SignalCard(
        name=name,
        label=label,
        value=str(count),
        detail=detail,
        trend=trend_pair[0],
        trend_icon=trend_pair[1],
        href=href,
        link_label=f"{label}: {count}",
        waiting=waits and count > 0,
    )


def signal_cards(cc: CommandCenter) -> list[SignalCard]:
    """The cards, in the order an owner reads them: money, customers' decisions, what waits for the team."""
    inv, est, now = cc.invoices, cc.estimates, cc.now
    proofs, documents = cc.review[IntakeKind.PAYMENT_PROOF], cc.review[IntakeKind.DOCUMENT]
    url = routes.url_for
    decided_detail = "None in the last 30 days"
    if est.decided_30:
        rate = round(100 * est.approved_30 / est.decided_30)
        decided_detail = f"Last 30 days: {est.decided_30} decided, {rate} % approved"
        if est.median_to_decision is not None:
            decided_detail += f", median {duration(est.median_to_decision)} to decide"
    oldest_due = due(cc.documents.oldest_due_on, now.date()) if cc.documents.oldest_due_on else ""
    dl = cc.deliveries
    return [
        _card(
            "invoices-overdue",
            "Overdue invoices",
            inv.overdue,
            url(routes.STAFF_INVOICES, status="overdue"),
            detail=f"Owed: {totals(inv.overdue_totals)}" if inv.overdue_totals else "Nothing overdue",
            trend_pair=trend(inv.overdue, inv.overdue_week_ago),
        ),
        _card(
            "invoices-due-soon",
            f"Invoices due in {DUE_SOON_DAYS} days",
            inv.due_soon,
            url(routes.STAFF_INVOICES, status="due_soon"),
            detail=f"Owed: {totals(inv.due_soon_totals)}" if inv.due_soon_totals else "Nothing due this week",
            trend_pair=trend(inv.due_soon, inv.due_soon_week_ago),
        ),
        _card(
            "estimates-awaiting",
            "Estimates awaiting a decision",
            est.awaiting,
            url(routes.STAFF_ESTIMATES, status="shared"),
            detail=f"Oldest shared {age(est.oldest_shared_at, now)} ago" if est.oldest_shared_at else "",
            trend_pair=trend(est.awaiting, est.awaiting_week_ago),
        ),
        _card(
            "estimates-decided",
            "Estimates decided in the last 7 days",
            est.decided_7,
            url(routes.STAFF_ESTIMATES, status="decided_7d"),
            detail=decided_detail,
            trend_pair=trend(est.decided_7, est.decided_prev_7, against="the 7 days before"),
            waits=False,  # done, not waiting: no accent
        ),
        _card(
            "review-payment-proofs",
            "Payment proofs to review",
            proofs.waiting,
            url(routes.STAFF_REVIEW, kind=IntakeKind.PAYMENT_PROOF.value),
            detail=f"Oldest waiting {age(proofs.oldest_at, now)}" if proofs.oldest_at else "",
            trend_pair=trend(proofs.waiting, proofs.week_ago),
        ),
        _card(
            "review-documents",
            "Documents to review",
            documents.waiting,
            url(routes.STAFF_REVIEW, kind=IntakeKind.DOCUMENT.value),
            detail=f"Oldest waiting {age(documents.oldest_at, now)}" if documents.oldest_at else "",
            trend_pair=trend(documents.waiting, documents.week_ago),
        ),
        _card(
            "messages-unanswered",
            "Unanswered customer messages",
            cc.messages.unanswered,
            url(routes.STAFF_MESSAGES, state="unanswered"),
            detail=f"Oldest waiting {age(cc.messages.oldest_at, now)}" if cc.messages.oldest_at else "",
            trend_pair=trend(cc.messages.unanswered, cc.messages.week_ago),
        ),
        _card(
            "documents-past-due",
            "Document requests past due",
            cc.documents.past_due,
            url(routes.STAFF_DOCUMENTS, status="past_due"),
            detail=f"Longest {oldest_due}" if oldest_due else "",
            trend_pair=trend(cc.documents.past_due, cc.documents.week_ago),
        ),
        _card(
            "deliveries-exceptions",
            "Delivery exceptions",
            dl.exceptions,
            url(routes.STAFF_DELIVERIES, status="exceptions"),
            detail=f"{dl.problems} with a problem · {dl.late} late" if dl.exceptions else "",
            trend_pair=(f"{dl.new_this_week} new in the last 7 days", "minus")
            if dl.exceptions
            else ("", "minus"),
        ),
        _card(
            "tasks-open",
            "Open follow-up tasks",
            cc.tasks.open,
            url(routes.STAFF_TASKS, state="open"),
            detail=f"{cc.tasks.overdue} overdue" if cc.tasks.open else "",
            trend_pair=trend(cc.tasks.open, cc.tasks.open_week_ago),
        ),
        _card(
            "tasks-overdue",
            "Overdue follow-up tasks",
            cc.tasks.overdue,
            url(routes.STAFF_TASKS, state="overdue"),
            trend_pair=trend(cc.tasks.overdue, cc.tasks.overdue_week_ago),
        ),
    ]


def assignee_rows(cc: CommandCenter) -> list[AssigneeRow]:
    rows = []
    for a in cc.tasks.by_assignee:
        if a.user_id is not None:
            name = a.name
        elif a.role is not None:
            name = f"{ROLE_LABELS[a.role]} (anyone in the role)"
        else:
            name = "Nobody yet"
        rows.append(AssigneeRow(name=name, open=a.open, overdue=a.overdue))
    return rows


# -- charts --------------------------------------------------------------------------------------------------


def decision_chart(cc: CommandCenter) -> tuple[list[dict[str, Any]], str]:
    """Rows for the decisions-per-week chart (oldest week first) and the sentence a screen reader hears."""
    weeks = cc.estimates.weeks
    rows = [
        {
            "week": format_date(w.start, "d MMM", locale=LOCALE),
            "approved": w.approved,
            "declined": w.declined,
            "changes": w.changes_requested,
        }
        for w in weeks
    ]
    approved = sum(w.approved for w in weeks)
    declined = sum(w.declined for w in weeks)
    changes = sum(w.changes_requested for w in weeks)
    summary = (
        f"Estimate decisions per week over the last {len(weeks)} weeks: {approved} approved, {declined} declined, "
        f"{changes} with changes requested."
    )
    return rows, summary


def aging_chart(cc: CommandCenter) -> tuple[str, list[dict[str, Any]], list[BalanceRow], str]:
    """(chart currency, rows for it, every currency's aging in words, summary). The chart shows one currency: the
    workspace's default when something is owed in it, else the first one; the table lists them all, in the
    account view's rows (``balance_rows``: a negative amount reads "credit")."""
    aging = cc.invoices.aging
    if not aging:
        return "", [], [], "Nothing is owed on open invoices."
    shown = aging[0]  # the default currency sorts first
    cur, buckets = shown.currency, shown.aging
    amounts = (
        buckets.current,
        buckets.days_1_30,
        buckets.days_31_60,
        buckets.days_61_90,
        buckets.days_90_plus,
    )
    rows = [
        {"bucket": label, "amount": major(minor, cur)}
        for label, minor in zip(AGING_LABELS, amounts, strict=True)
    ]
    parts = ", ".join(
        f"{balance(m, cur)} {label.lower() if label == 'Current' else label + ' overdue'}"
        for label, m in zip(AGING_LABELS, amounts, strict=True)
    )
    summary = f"Receivables aging in {cur}: {parts}."
    return cur, rows, balance_rows(aging), summary


def review_age_chart(cc: CommandCenter) -> tuple[list[dict[str, Any]], str]:
    """Rows for the review queue's age chart (files per age bucket, by kind) and its summary."""
    proofs, documents = cc.review[IntakeKind.PAYMENT_PROOF], cc.review[IntakeKind.DOCUMENT]
    attachments = cc.review[IntakeKind.ATTACHMENT]
    per_age = list(zip(REVIEW_AGE_LABELS, proofs.by_age, documents.by_age, attachments.by_age, strict=True))
    rows: list[dict[str, Any]] = [
        {"age": label, "proofs": p, "documents": d, "attachments": a} for label, p, d, a in per_age
    ]
    parts = ", ".join(f"{p + d + a} {label.lower()}" for label, p, d, a in per_age)
    return rows, f"Files waiting for review by age: {parts}."
