"""Display rows shared by the staff and the portal delivery pages: the status word with its colour and icon (a
problem and a delay stand out), and the timeline, newest first.

Display strings only. Internal events are left out by the portal's service already; ``timeline`` never shows the
``internal`` flag or who recorded an event unless the caller asks (staff pages).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from datetime import date

from models import DeliveryStatus
from models.portal import PortalDeliveryEvent
from models.schemas import DeliveryEventRead
from portal_app import formatting
from portal_app.services import deliveries
from portal_app.statuses import DELIVERY_DELAYED, DELIVERY_ICONS, status_color, status_label


@dataclasses.dataclass
class DeliveryFlag:
    label: str
    color: str
    icon: str  # "" for an ordinary status; an exception has one, so it is not told by colour alone
    exception: bool


def delivery_flag(status: DeliveryStatus, expected_on: date | None) -> DeliveryFlag:
    """The badge of a delivery: its status word, or "Delayed" (amber) when open past its expected date."""
    if status is DeliveryStatus.EXCEPTION:
        return DeliveryFlag(
            status_label("delivery", status.value),
            status_color("delivery", status.value),
            DELIVERY_ICONS["exception"],
            True,
        )
    if deliveries.is_delayed(status, expected_on):
        label, color = DELIVERY_DELAYED
        return DeliveryFlag(label, color, DELIVERY_ICONS["delayed"], True)
    return DeliveryFlag(
        status_label("delivery", status.value), status_color("delivery", status.value), "", False
    )


def eta_text(status: DeliveryStatus, expected_on: date | None) -> str:
    """ "12 Mar 2027"; for an open delivery past it "12 Mar 2027 · 3 days late"; "Not set" without one."""
    if expected_on is None:
        return "Not set" if status in deliveries.OPEN else "—"
    text = formatting.day(expected_on)
    if deliveries.is_delayed(status, expected_on):
        late = (deliveries.today() - expected_on).days
        text += f" · {late} day{'s' if late != 1 else ''} late"
    return text


@dataclasses.dataclass
class TimelineRow:
    status_label: str
    status_color: str
    status_icon: str
    note: str
    changes: str  # "Carrier: DHL · Tracking: JD0001 · Expected: 12 Mar 2027", "" when nothing changed
    when: str
    when_exact: str


@dataclasses.dataclass
class StaffTimelineRow(TimelineRow):
    """A staff page's event: also whether it is internal and who recorded it (never on portal pages)."""

    internal: bool = False
    by: str = ""


def _changes(event: DeliveryEventRead | PortalDeliveryEvent) -> str:
    parts = []
    if event.carrier:
        parts.append(f"Carrier: {event.carrier}")
    if event.tracking_ref:
        parts.append(f"Tracking: {event.tracking_ref}")
    if event.expected_on is not None:
        parts.append(f"Expected: {formatting.day(event.expected_on)}")
    return " · ".join(parts)


def _fields(e: DeliveryEventRead | PortalDeliveryEvent) -> dict[str, str]:
    return {
        "status_label": status_label("delivery", e.status.value),
        "status_color": status_color("delivery", e.status.value),
        "status_icon": DELIVERY_ICONS["exception"] if e.status is DeliveryStatus.EXCEPTION else "",
        "note": e.note,
        "changes": _changes(e),
        "when": formatting.relative(e.occurred_at),
        "when_exact": formatting.exact(e.occurred_at),
    }


def timeline(events: Sequence[PortalDeliveryEvent]) -> list[TimelineRow]:
    """A contact's timeline, newest first (the service left internal events out)."""
    return [TimelineRow(**_fields(e)) for e in reversed(events)]


def staff_timeline(events: Sequence[DeliveryEventRead], names: Mapping[int, str]) -> list[StaffTimelineRow]:
    """Every event newest first, marked internal or not, with who recorded it (``names``: user id -> name)."""
    rows = []
    for e in reversed(events):
        uid = e.recorded_by_user_id
        by = names.get(uid, "A former member") if uid is not None else ""
        rows.append(StaffTimelineRow(**_fields(e), internal=e.internal, by=by))
    return rows
