"""Money, dates, sizes and the status table: what every page shows, checked without a browser."""

from __future__ import annotations

import inspect
import re
from datetime import UTC, date, datetime, timedelta, timezone
from enum import StrEnum

import pytest
from sqlmodel import SQLModel

import models
from portal_app import statuses
from portal_app.formatting import balance, day, due, exact, file_size, money, relative
from portal_app.statuses import STATUS_TABLE, example_status_color, status_color, status_label, status_options

# -- money ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("minor", "currency", "expected"),
    [
        (1250, "EUR", "€12.50"),
        (5, "EUR", "€0.05"),
        (0, "EUR", "€0.00"),
        (123456789, "USD", "$1,234,567.89"),
        (1250, "JPY", "¥1,250"),
        (0, "JPY", "¥0"),
        (12345, "BHD", "BHD 12.345"),
        (1, "BHD", "BHD 0.001"),
        (1999, "GBP", "£19.99"),
        (1999, "chf", "CHF 19.99"),
        (-1250, "EUR", "-€12.50"),
        (-1250, "JPY", "-¥1,250"),
    ],
)
def test_money_uses_each_currencys_decimals(minor: int, currency: str, expected: str) -> None:
    assert money(minor, currency).replace("\xa0", " ") == expected


def test_money_large_amounts_are_exact() -> None:
    # 10^15 minor units: well past float precision if it were converted through float.
    assert money(10**15, "EUR") == "€10,000,000,000,000.00"
    assert money(10**15 + 1, "USD") == "$10,000,000,000,000.01"
    assert money(10**15, "JPY") == "¥1,000,000,000,000,000"
    assert money(10**15 + 7, "BHD").replace("\xa0", " ") == "BHD 1,000,000,000,000.007"
    assert money(-(10**15) - 1, "EUR") == "-€10,000,000,000,000.01"


def test_every_model_currency_formats() -> None:
    for currency in models.base.Currency:
        assert money(100, currency.value)


def test_balance_says_credit_for_negative_amounts() -> None:
    assert balance(1250, "EUR") == "€12.50"
    assert balance(0, "EUR") == "€0.00"
    assert balance(-1250, "EUR") == "€12.50 credit"
    assert balance(-500, "JPY") == "¥500 credit"


# -- dates ---------------------------------------------------------------------------------------------------


def test_day() -> None:
    assert day(date(2027, 3, 12)) == "12 Mar 2027"
    assert day(date(2027, 3, 5)) == "5 Mar 2027"
    assert day(date(2027, 9, 30)) == "30 Sep 2027"
    assert day(datetime(2027, 3, 12, 23, 30, tzinfo=UTC)) == "12 Mar 2027"
    # An aware datetime in another zone is shown on its UTC day; a naive one is taken as UTC.
    assert day(datetime(2027, 3, 12, 23, 30, tzinfo=timezone(timedelta(hours=-5)))) == "13 Mar 2027"
    assert day(datetime(2027, 3, 12, 23, 30)) == "12 Mar 2027"
    assert day(None) == ""


def test_exact() -> None:
    assert exact(datetime(2027, 3, 12, 14, 5, tzinfo=UTC)) == "12 Mar 2027, 14:05 UTC"
    assert exact(None) == ""


NOW = datetime(2027, 3, 12, 12, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("age", "expected"),
    [
        (timedelta(seconds=0), "just now"),
        (timedelta(seconds=59), "just now"),
        (timedelta(seconds=-20), "just now"),  # a little clock skew
        (timedelta(minutes=1), "1 minute ago"),
        (timedelta(minutes=5, seconds=40), "5 minutes ago"),
        (timedelta(hours=1), "1 hour ago"),
        (timedelta(hours=2, minutes=59), "2 hours ago"),
        (timedelta(hours=23, minutes=59), "23 hours ago"),
        (timedelta(days=1), "1 day ago"),
        (timedelta(days=3, hours=5), "3 days ago"),
        (timedelta(days=6, hours=23), "6 days ago"),
        (timedelta(days=7), "5 Mar 2027"),
        (timedelta(days=400), "5 Feb 2026"),
        (timedelta(hours=-3), "12 Mar 2027"),  # in the future: not recent activity
    ],
)
def test_relative(age: timedelta, expected: str) -> None:
    assert relative(NOW - age, now=NOW) == expected


def test_relative_naive_and_none() -> None:
    assert relative(datetime(2027, 3, 12, 10, 0), now=NOW) == "2 hours ago"
    assert relative(None, now=NOW) == ""
    assert relative(datetime.now(UTC)) == "just now"


@pytest.mark.parametrize(
    ("when", "expected"),
    [
        (date(2027, 3, 12), "due today"),
        (date(2027, 3, 13), "due 13 Mar 2027"),
        (date(2028, 1, 1), "due 1 Jan 2028"),
        (date(2027, 3, 11), "overdue by 1 day"),
        (date(2027, 3, 7), "overdue by 5 days"),
        (datetime(2027, 3, 12, 8, 0, tzinfo=UTC), "due today"),
        (None, ""),
    ],
)
def test_due(when: date | None, expected: str) -> None:
    assert due(when, today=date(2027, 3, 12)) == expected


def test_due_defaults_to_today() -> None:
    assert due(datetime.now(UTC).date()) == "due today"


# -- sizes ---------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("n", "expected"),
    [
        (0, "0 bytes"),
        (1, "1 byte"),
        (12, "12 bytes"),
        (999, "999 bytes"),
        (1000, "1 KB"),
        (1234, "1.2 KB"),
        (340_000, "340 KB"),
        (999_600, "1 MB"),  # rounds up into the next unit, never "1,000 KB"
        (1_200_000, "1.2 MB"),
        (25_000_000, "25 MB"),
        (3_400_000_000, "3.4 GB"),
        (5 * 10**15, "5,000 TB"),
    ],
)
def test_file_size(n: int, expected: str) -> None:
    assert file_size(n) == expected


def test_file_size_refuses_negative() -> None:
    with pytest.raises(ValueError):
        file_size(-1)


# -- the status table ----------------------------------------------------------------------------------------


def _kind(enum_name: str) -> str:
    """``DocumentRequestStatus`` -> ``document_request``: the table's key for an enum."""
    stem = enum_name.removesuffix("Status")
    return re.sub(r"(?<!^)(?=[A-Z])", "_", stem).lower()


def _model_enums() -> list[type[StrEnum]]:
    found: dict[str, type[StrEnum]] = {}
    for module in vars(models).values():
        if not inspect.ismodule(module) or not module.__name__.startswith("models."):
            continue
        for obj in vars(module).values():
            if inspect.isclass(obj) and issubclass(obj, StrEnum) and obj.__module__ == module.__name__:
                found[obj.__name__] = obj
    return list(found.values())


def _status_enums() -> list[type[StrEnum]]:
    """Every ``*Status`` enum in models/, plus any StrEnum a table uses for a column named like a status."""
    enums = {e for e in _model_enums() if e.__name__.endswith("Status")}
    for table in SQLModel.metadata.tables.values():
        for column in table.columns:
            enum_class = getattr(column.type, "enum_class", None)
            if "status" in column.name and enum_class is not None:
                enums.add(enum_class)
    return sorted(enums, key=lambda e: e.__name__)


def test_the_models_have_status_enums() -> None:
    names = {e.__name__ for e in _status_enums()}
    assert {"EstimateStatus", "InvoiceStatus", "ApprovalStatus", "TaskStatus", "ContactStatus"} <= names


@pytest.mark.parametrize("enum", _status_enums(), ids=lambda e: e.__name__)
def test_every_status_value_has_a_word_and_a_colour(enum: type[StrEnum]) -> None:
    kind = _kind(enum.__name__)
    assert kind in STATUS_TABLE, f"no status table entry for {enum.__name__} (kind {kind!r})"
    missing = [v.value for v in enum if v.value not in STATUS_TABLE[kind]]
    assert missing == [], f"{enum.__name__} values without an entry: {missing}"
    stale = sorted(set(STATUS_TABLE[kind]) - {v.value for v in enum})
    assert stale == [], f"{kind!r} has entries for values {enum.__name__} no longer has: {stale}"


def test_every_table_kind_belongs_to_an_enum() -> None:
    kinds = {_kind(e.__name__) for e in _status_enums()}
    assert set(STATUS_TABLE) == kinds


def test_entries_are_words_in_known_colours() -> None:
    for kind, values in STATUS_TABLE.items():
        for value, (label, color) in values.items():
            assert color in statuses.COLORS, (kind, value, color)
            assert label and label[0].isupper() and "_" not in label, (kind, value, label)


def test_colours_follow_the_ux_rules() -> None:
    assert status_color("estimate", "draft") == "gray"
    assert status_color("estimate", "shared") == "blue"
    assert status_color("approval", "pending") == "amber"
    assert status_color("invoice", "open") == "amber"
    for kind, value in [("estimate", "approved"), ("intake", "accepted"), ("invoice", "paid")]:
        assert status_color(kind, value) == "green"
    for kind, value in [("estimate", "declined"), ("intake", "rejected"), ("invoice", "void")]:
        assert status_color(kind, value) == "red"
    for kind, value in [("estimate", "expired"), ("approval", "cancelled"), ("task", "cancelled")]:
        assert status_color(kind, value) == "gray"


def test_lookup() -> None:
    assert status_label("estimate", "changes_requested") == "Changes requested"
    assert status_label("estimate", models.EstimateStatus.CHANGES_REQUESTED) == "Changes requested"
    assert status_label("estimate", "brand_new") == "Brand new"
    assert status_label("nothing", "x") == "X"
    assert status_color("estimate", "brand_new") == "gray"
    assert status_color("nothing", "x") == "gray"
    assert status_options("task")[0] == ("open", "Open")
    assert [v for v, _ in status_options("task")] == [s.value for s in models.TaskStatus]


@pytest.mark.parametrize(
    ("phrase", "color"),
    [
        ("Awaiting approval", "amber"),
        ("Payment proof in review", "blue"),
        ("Uploaded, in review", "blue"),
        ("Paid", "green"),
        ("Overdue", "red"),
        ("Task open", "amber"),
        ("Task done", "green"),
        ("Current", "blue"),
        ("Something else", "gray"),
    ],
)
def test_example_phrases(phrase: str, color: str) -> None:
    assert example_status_color(phrase) == color


def test_moments_in_a_time_zone() -> None:
    """The audit log shows times in the workspace's time zone: the day, the time and the zone's name move."""
    moment = datetime(2027, 1, 12, 14, 5, tzinfo=UTC)  # 03:05 on the 13th in Auckland (UTC+13 in January)
    assert exact(moment, tz="Pacific/Auckland") == "13 Jan 2027, 03:05 NZDT"
    assert exact(moment, tz="America/Sao_Paulo") == "12 Jan 2027, 11:05 UTC-03"
    assert exact(moment, tz="UTC") == exact(moment) == "12 Jan 2027, 14:05 UTC"
    assert exact(moment, tz="Not/AZone") == "12 Jan 2027, 14:05 UTC"
    assert day(moment, tz="Pacific/Auckland") == "13 Jan 2027" and day(moment) == "12 Jan 2027"
    later = moment + timedelta(days=30)
    assert relative(moment, now=later, tz="Pacific/Auckland") == "13 Jan 2027"
    assert relative(moment, now=moment + timedelta(hours=2), tz="Pacific/Auckland") == "2 hours ago"
