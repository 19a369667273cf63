"""How numbers and dates read on every page: money, balances, dates, due dates, recent activity, file sizes.

Pure Python (babel, no reflex, no database): states call these to build display rows, and the strings go to the
browser as they are. English ("en") until workspaces carry a locale; the currency decides the symbol and its
own number of decimals (JPY none, BHD three).
"""

from __future__ import annotations

import functools
import re
from datetime import UTC, date, datetime, timedelta, tzinfo
from decimal import Decimal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from babel import Locale
from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, get_currency_precision

LOCALE = "en"
_LOCALE = Locale.parse(LOCALE)  # parsed once: babel parses a locale name on every call

# Recent activity reads as "3 days ago" up to this age; older activity shows its date.
RELATIVE_LIMIT = timedelta(days=7)


_CODE_DIGITS = re.compile(r"(?<=[A-Za-z])(?=\d)")


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


# -- money ---------------------------------------------------------------------------------------------------


def money(minor: int, currency: str) -> str:
    """An amount held in minor units, e.g. ``money(1250, "EUR") == "€12.50"``, ``money(1250, "JPY") == "¥1,250"``.

    Negative amounts keep their sign ("-€12.50"); balances use :func:`balance`.
    """
    return _money(int(minor), currency.upper())


@functools.lru_cache(maxsize=8192)  # pages show the same amounts again and again; babel costs ~15 µs a call
def _money(minor: int, code: str) -> str:
    amount = Decimal(minor).scaleb(-get_currency_precision(code))
    # CLDR puts a space between a currency code and the digits ("BHD 12.345", "CHF 19.99"); babel does not.
    return _CODE_DIGITS.sub("\xa0", format_currency(amount, code, locale=_LOCALE))


def balance(minor: int, currency: str) -> str:
    """An account or invoice balance: what is owed, or "€12.50 credit" when the customer is owed money."""
    if minor < 0:
        return f"{money(-minor, currency)} credit"
    return money(minor, currency)


# -- dates ---------------------------------------------------------------------------------------------------


def _as_utc(dt: datetime) -> datetime:
    # The database hands back aware UTC datetimes; a naive one is taken to be UTC as well.
    return dt.replace(tzinfo=UTC) if dt.tzinfo is None else dt.astimezone(UTC)


def _as_date(d: date | datetime) -> date:
    return _as_utc(d).date() if isinstance(d, datetime) else d


def _zone(tz: str | None) -> tzinfo:
    """An IANA time zone by name ("Pacific/Auckland"); UTC for none or one this system does not know."""
    if not tz:
        return UTC
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError):
        return UTC


def day(d: date | datetime | None, *, tz: str | None = None) -> str:
    """A date as lists and details show it: "12 Mar 2027" ("" for no date). A moment's day is its day in ``tz``
    (an IANA name, e.g. the workspace's time zone; UTC by default)."""
    if d is None:
        return ""
    when = _as_utc(d).astimezone(_zone(tz)).date() if isinstance(d, datetime) else d
    return _day(when)


@functools.lru_cache(maxsize=4096)  # lists show the same few hundred days again and again; babel is slow
def _day(when: date) -> str:
    return format_date(when, "d MMM y", locale=_LOCALE)


def exact(dt: datetime | None, *, tz: str | None = None) -> str:
    """A moment to the minute, "12 Mar 2027, 14:05 UTC": the hover text beside a :func:`relative` time. With
    ``tz`` (an IANA name) the time there and its zone: "13 Mar 2027, 03:05 NZDT", "12 Mar 2027, 11:05 UTC-03"."""
    if dt is None:
        return ""
    local = _as_utc(dt).astimezone(_zone(tz))
    name = local.tzname() or "UTC"
    return f"{format_datetime(local, 'd MMM y, HH:mm', tzinfo=local.tzinfo, locale=_LOCALE)} " + (
        name if name.isalpha() else f"UTC{name}"
    )


def relative(dt: datetime | None, now: datetime | None = None, *, tz: str | None = None) -> str:
    """Recent activity: "just now", "5 minutes ago", "2 hours ago", "3 days ago"; older than a week, its date
    (its day in ``tz`` when given, see :func:`day`)."""
    if dt is None:
        return ""
    moment = _as_utc(dt)
    current = _as_utc(now) if now is not None else datetime.now(UTC)
    age = current - moment
    if age < timedelta(0):
        # A little clock skew reads as now; anything further ahead is not recent activity.
        return "just now" if -age < timedelta(minutes=1) else day(moment, tz=tz)
    if age < timedelta(minutes=1):
        return "just now"
    if age < timedelta(hours=1):
        return f"{_plural(int(age.total_seconds() // 60), 'minute')} ago"
    if age < timedelta(days=1):
        return f"{_plural(int(age.total_seconds() // 3600), 'hour')} ago"
    if age < RELATIVE_LIMIT:
        return f"{_plural(age.days, 'day')} ago"
    return day(moment, tz=tz)


def due(d: date | datetime | None, today: date | None = None) -> str:
    """A due date: "due 12 Mar 2027", "due today" or "overdue by 5 days" ("" for no due date)."""
    if d is None:
        return ""
    when = _as_date(d)
    current = today if today is not None else datetime.now(UTC).date()
    if when == current:
        return "due today"
    if when < current:
        return f"overdue by {_plural((current - when).days, 'day')}"
    return f"due {day(when)}"


# -- sizes ---------------------------------------------------------------------------------------------------

_UNITS = ("KB", "MB", "GB", "TB")


def file_size(n: int) -> str:
    """A file size in decimal units: "12 bytes", "340 KB", "1.2 MB"."""
    if n < 0:
        raise ValueError("a file size cannot be negative")
    if n < 1000:
        return "1 byte" if n == 1 else f"{n} bytes"
    value = Decimal(n)
    for unit in _UNITS:
        value /= 1000
        # One decimal under 10 ("1.2 MB"), whole numbers above ("340 KB"); 999.96 KB rounds up into MB.
        shown = value.quantize(Decimal("0.1")) if value < 10 else value.quantize(Decimal("1"))
        if shown < 1000 or unit == _UNITS[-1]:
            text = format_decimal(shown, format="#,##0.#", locale=_LOCALE)
            return f"{text} {unit}"
    raise AssertionError("unreachable")  # pragma: no cover
