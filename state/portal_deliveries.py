"""Contact delivery pages (operations permission): the list (``/portal/deliveries``) with each shared delivery's
status and expected date, problems and delays marked; and one delivery (``/portal/deliveries/[id]``) with its
timeline, newest first.

The services return only shared deliveries of the contact's account and never internal events or notes; the rows
here carry display strings only.
"""

from __future__ import annotations

import dataclasses
from typing import ClassVar

import reflex as rx
from sqlmodel import Session

from models import DeliveryStatus
from models.portal import PortalDelivery
from portal_app import formatting, routes
from portal_app.services import deliveries
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from state.base import Events
from state.delivery_rows import TimelineRow, delivery_flag, eta_text, timeline
from state.mixins import DetailMixin, ListMixin
from state.pages import ContactArea, ContactPage
from state.threads import RecordThreadMixin


@dataclasses.dataclass
class PortalDeliveryRow:
    href: str
    reference: str
    description: str
    status_label: str
    status_color: str
    status_icon: str
    exception: bool
    eta: str
    latest: str  # the newest update's note, or its status when it has none
    updated: str
    updated_exact: str


def _latest(d: PortalDelivery) -> str:
    if not d.events:
        return ""
    newest = d.events[-1]
    return newest.note or timeline([newest])[0].status_label


class PortalDeliveriesState(ContactPage, ListMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.OPERATIONS

    rows: rx.Field[list[PortalDeliveryRow]] = rx.field([])

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        page = self._fetch_page(
            lambda offset: deliveries.portal_list_deliveries(
                session, actor, offset=offset, limit=self.PAGE_SIZE
            )
        )
        rows = []
        for d in page.items:
            flag = delivery_flag(d.status, d.expected_on)
            rows.append(
                PortalDeliveryRow(
                    href=routes.record_url(routes.PORTAL_DELIVERIES, d.id),
                    reference=d.reference,
                    description=d.description,
                    status_label=flag.label,
                    status_color=flag.color,
                    status_icon=flag.icon,
                    exception=flag.exception,
                    eta=eta_text(d.status, d.expected_on),
                    latest=_latest(d),
                    updated=formatting.relative(d.updated_at),
                    updated_exact=formatting.exact(d.updated_at),
                )
            )
        self.rows = rows
        return None


class PortalDeliveryState(ContactPage, DetailMixin, RecordThreadMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.OPERATIONS

    reference: rx.Field[str] = rx.field("")
    description: rx.Field[str] = rx.field("")
    status_label: rx.Field[str] = rx.field("")
    status_color: rx.Field[str] = rx.field("gray")
    status_icon: rx.Field[str] = rx.field("")
    exception: rx.Field[bool] = rx.field(False)
    problem_note: rx.Field[str] = rx.field("")  # what the team said when the problem was reported
    carrier: rx.Field[str] = rx.field("")
    tracking_ref: rx.Field[str] = rx.field("")
    eta: rx.Field[str] = rx.field("")
    updated: rx.Field[str] = rx.field("")
    events: rx.Field[list[TimelineRow]] = rx.field([])

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        d = deliveries.portal_get_delivery(session, actor, self._record_id())
        flag = delivery_flag(d.status, d.expected_on)
        self.reference, self.description = d.reference, d.description
        self.status_label, self.status_color, self.status_icon = flag.label, flag.color, flag.icon
        self.exception = flag.exception
        newest = d.events[-1] if d.events else None
        # What the team said when it reported the problem (a delay has no such note: the date says it).
        problem = d.status is DeliveryStatus.EXCEPTION and newest is not None and newest.status == d.status
        self.problem_note = newest.note if problem and newest is not None else ""
        self.carrier, self.tracking_ref = d.carrier, d.tracking_ref
        self.eta = eta_text(d.status, d.expected_on)
        self.updated = formatting.relative(d.updated_at)
        self.events = timeline(d.events)
        self._load_thread(session, actor, "delivery", d.id, f"delivery {d.reference}")
        return None
