"""Shared column types and helpers for every table."""

from datetime import UTC, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Dialect


def utcnow() -> datetime:
    return datetime.now(UTC)


class UTCDateTime(sa.types.TypeDecorator[datetime]):
    """Stores naive UTC on every engine and always hands back aware UTC datetimes.

    SQLite has no time zone support, so storing naive UTC keeps both engines comparable and sortable.
    """

    impl = sa.DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetimes are refused: pass an aware UTC datetime")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


def enum_column(enum_cls: type[StrEnum], **kwargs: Any) -> sa.Column[Any]:
    """A VARCHAR column holding a StrEnum's value (no native enum types: migrations stay portable)."""
    length = max(len(m.value) for m in enum_cls)
    return sa.Column(
        sa.Enum(
            enum_cls,
            native_enum=False,
            length=max(length, 16),
            values_callable=lambda e: [m.value for m in e],
        ),
        **kwargs,
    )


class Currency(StrEnum):
    USD = "USD"
    EUR = "EUR"
    GBP = "GBP"
    CAD = "CAD"
    AUD = "AUD"
    CHF = "CHF"
    JPY = "JPY"
