"""Deliveries and their timeline."""

from datetime import date, datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class DeliveryStatus(StrEnum):
    SCHEDULED = "scheduled"
    IN_TRANSIT = "in_transit"
    DELIVERED = "delivered"
    EXCEPTION = "exception"
    CANCELLED = "cancelled"


class Delivery(SQLModel, table=True):
    __table_args__ = (
        sa.Index("ix_delivery_ws_account_status", "workspace_id", "account_id", "status"),
        # The command center: problems and late deliveries by status and ETA (services/signals_work.py).
        sa.Index("ix_delivery_ws_status_expected", "workspace_id", "status", "expected_on"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    account_id: int = Field(foreign_key="customer_account.id")
    reference: str = Field(max_length=64)
    description: str = Field(default="", max_length=1000)
    status: DeliveryStatus = Field(
        default=DeliveryStatus.SCHEDULED, sa_column=enum_column(DeliveryStatus, nullable=False)
    )
    shared: bool = False
    carrier: str = Field(default="", max_length=100)
    tracking_ref: str = Field(default="", max_length=100)
    expected_on: date | None = None
    internal_notes: str = Field(default="", max_length=4000)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    updated_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class DeliveryEvent(SQLModel, table=True):
    __tablename__ = "delivery_event"
    __table_args__ = (sa.Index("ix_delivery_event_delivery_time", "delivery_id", "occurred_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    delivery_id: int = Field(foreign_key="delivery.id")
    status: DeliveryStatus = Field(sa_column=enum_column(DeliveryStatus, nullable=False))
    note: str = Field(default="", max_length=1000)
    carrier: str = Field(default="", max_length=100)  # set when this event changed the carrier
    tracking_ref: str = Field(
        default="", max_length=100
    )  # set when this event changed the tracking reference
    expected_on: date | None = None  # the ETA this event gave
    internal: bool = False
    occurred_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    recorded_by_user_id: int | None = Field(default=None, foreign_key="user.id")
