"""Deliveries and their timeline.

Status moves scheduled → in transit → delivered; any open delivery may hit an exception or be cancelled; an
exception resumes in transit or ends delivered; delivered and cancelled are final. An event with the current
status is a timeline update on an open delivery. Contacts (operations permission) see only shared deliveries
of their account, and only the events that are not internal.

An open delivery whose expected date (ETA) has passed is *delayed*; a delivery in ``exception`` has a problem.
Both are exceptions: the staff list can put them first, and the pages mark them (``is_delayed``).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from pydantic import BaseModel
from sqlmodel import Session, col, select

from models import CustomerAccount, Delivery, DeliveryEvent, DeliveryStatus, Membership, User, utcnow
from models.portal import PortalDelivery, PortalDeliveryEvent
from models.schemas import DeliveryEventRead, DeliveryRead, Page
from portal_app.services import audit, notify
from portal_app.services.access import Actor, get_scoped, require_contact, require_staff, scoped_select
from portal_app.services.errors import Conflict, ValidationFailed
from portal_app.services.permissions import ContactPermission, Permission

# The most recent events shown per delivery in lists: keeps a page's size bounded whatever a timeline grows to.
MAX_EVENTS_PER_DELIVERY = 50
# A detail page shows this many of the latest events (a bound, not a page: timelines rarely come near it).
MAX_EVENTS_DETAIL = 200
SEARCH_MAX_CHARS = 100
OPEN = frozenset({DeliveryStatus.SCHEDULED, DeliveryStatus.IN_TRANSIT, DeliveryStatus.EXCEPTION})
# On its way (not flagged, not final): late once its expected date has passed (``is_delayed``, ``delayed_clause``).
MOVING = (DeliveryStatus.SCHEDULED, DeliveryStatus.IN_TRANSIT)

FINAL = frozenset({DeliveryStatus.DELIVERED, DeliveryStatus.CANCELLED})
TRANSITIONS: dict[DeliveryStatus, frozenset[DeliveryStatus]] = {
    DeliveryStatus.SCHEDULED: frozenset(
        {
            DeliveryStatus.SCHEDULED,
            DeliveryStatus.IN_TRANSIT,
            DeliveryStatus.EXCEPTION,
            DeliveryStatus.CANCELLED,
        }
    ),
    DeliveryStatus.IN_TRANSIT: frozenset(
        {
            DeliveryStatus.IN_TRANSIT,
            DeliveryStatus.DELIVERED,
            DeliveryStatus.EXCEPTION,
            DeliveryStatus.CANCELLED,
        }
    ),
    DeliveryStatus.EXCEPTION: frozenset(
        {
            DeliveryStatus.EXCEPTION,
            DeliveryStatus.IN_TRANSIT,
            DeliveryStatus.DELIVERED,
            DeliveryStatus.CANCELLED,
        }
    ),
    DeliveryStatus.DELIVERED: frozenset(),
    DeliveryStatus.CANCELLED: frozenset(),
}
_LABELS = {s: s.value.replace("_", " ") for s in DeliveryStatus}

EventT = TypeVar("EventT", bound=BaseModel)
_UNSET: Any = object()
DeliveryT = TypeVar("DeliveryT", DeliveryRead, PortalDelivery)


def today() -> date:
    return datetime.now(UTC).date()


def is_delayed(status: DeliveryStatus, expected_on: date | None, *, on: date | None = None) -> bool:
    """A scheduled or moving delivery whose expected date has passed (an exception delivery is flagged already)."""
    return expected_on is not None and status in MOVING and expected_on < (on or today())


def allowed_next(status: DeliveryStatus) -> list[DeliveryStatus]:
    """The statuses an update may give a delivery now, the current one first (an update without a move)."""
    nxt = TRANSITIONS[status]
    return sorted(nxt, key=lambda s: (s != status, list(DeliveryStatus).index(s)))


def delayed_clause(on: date) -> Any:
    """SQL of ``is_delayed`` on ``on``: moving, with an expected date before it (the list's and the command
    center's "late")."""
    return sa.and_(
        col(Delivery.status).in_(MOVING),
        col(Delivery.expected_on).is_not(None),
        col(Delivery.expected_on) < on,
    )


def _like_term(text: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``text`` literally (``%``, ``_`` and ``\\`` escaped)."""
    text = " ".join(text.split())[:SEARCH_MAX_CHARS].lower()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def _text(value: str, *, what: str, max_len: int, required: bool = False, one_line: bool = False) -> str:
    value = " ".join((value or "").split()) if one_line else (value or "").strip()
    if required and not value:
        raise ValidationFailed(f"{what} is required.")
    if len(value) > max_len:
        raise ValidationFailed(f"{what} must be at most {max_len} characters.")
    return value


def _events_by_delivery(
    session: Session,
    delivery_ids: Iterable[int | None],
    item: type[EventT],
    *,
    include_internal: bool,
    limit: int = MAX_EVENTS_PER_DELIVERY,
) -> dict[int, list[EventT]]:
    """The latest events of several deliveries with one query, oldest first within each delivery."""
    ids = [i for i in delivery_ids if i is not None]
    grouped: dict[int, list[EventT]] = defaultdict(list)
    if not ids:
        return grouped
    rank = (
        sa.func.row_number()
        .over(
            partition_by=col(DeliveryEvent.delivery_id),
            order_by=(col(DeliveryEvent.occurred_at).desc(), col(DeliveryEvent.id).desc()),
        )
        .label("rank")
    )
    inner = select(DeliveryEvent.id, rank).where(col(DeliveryEvent.delivery_id).in_(ids))
    if not include_internal:
        inner = inner.where(col(DeliveryEvent.internal).is_(False))
    latest = inner.subquery()
    query = (
        select(DeliveryEvent)
        .join(latest, latest.c.id == DeliveryEvent.id)
        .where(latest.c.rank <= limit)
        .order_by(col(DeliveryEvent.delivery_id), col(DeliveryEvent.occurred_at), col(DeliveryEvent.id))
    )
    for event in session.exec(query):
        grouped[event.delivery_id].append(item.model_validate(event))
    return grouped


def _with_events(
    session: Session, page: Page[DeliveryT], item: type[EventT], *, include_internal: bool
) -> Page[DeliveryT]:
    events = _events_by_delivery(session, (d.id for d in page.items), item, include_internal=include_internal)
    items = [d.model_copy(update={"events": events.get(d.id, [])}) for d in page.items]
    return page.model_copy(update={"items": items})


def _staff_read(session: Session, delivery: Delivery) -> DeliveryRead:
    events = _events_by_delivery(session, [delivery.id], DeliveryEventRead, include_internal=True)
    return DeliveryRead.model_validate(delivery).model_copy(
        update={"events": events.get(delivery.id or 0, [])}
    )


# ----------------------------------------------------------------------------------------------------
# Staff


def create_delivery(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    reference: str,
    description: str = "",
    carrier: str = "",
    tracking_ref: str = "",
    expected_on: date | None = None,
    internal_notes: str = "",
) -> DeliveryRead:
    """A scheduled delivery for an account of the staff member's workspace (``deliveries:manage``), unshared.

    Raises ``NotFound`` (account not in the workspace), ``Forbidden`` (role), ``Conflict`` (archived account),
    ``ValidationFailed`` (text fields).
    """
    staff = require_staff(actor, Permission.DELIVERIES_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    if account.archived:
        raise Conflict("This account is archived.")
    assert account.id is not None
    now = utcnow()
    delivery = Delivery(
        workspace_id=staff.workspace_id,
        account_id=account.id,
        reference=_text(reference, what="The reference", max_len=64, required=True, one_line=True),
        description=_text(description, what="The description", max_len=1000),
        carrier=_text(carrier, what="The carrier", max_len=100, one_line=True),
        tracking_ref=_text(tracking_ref, what="The tracking reference", max_len=100, one_line=True),
        expected_on=expected_on,
        internal_notes=_text(internal_notes, what="The internal notes", max_len=4000),
        status=DeliveryStatus.SCHEDULED,
        shared=False,
        created_at=now,
        updated_at=now,
    )
    session.add(delivery)
    session.flush()
    assert delivery.id is not None
    session.add(
        DeliveryEvent(
            workspace_id=staff.workspace_id,
            delivery_id=delivery.id,
            status=DeliveryStatus.SCHEDULED,
            occurred_at=now,
            recorded_by_user_id=staff.user_id,
        )
    )
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="delivery.created",
        target_type="delivery",
        target_id=delivery.id,
        data={"account_id": account.id},
    )
    session.commit()
    return _staff_read(session, delivery)


def _set_shared(session: Session, actor: Actor, delivery_id: int, *, shared: bool) -> DeliveryRead:
    staff = require_staff(actor, Permission.DELIVERIES_MANAGE)
    delivery = get_scoped(session, staff, Delivery, delivery_id, change=True, lock=True)
    if delivery.shared != shared:
        delivery.shared = shared
        session.add(delivery)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="delivery.shared" if shared else "delivery.unshared",
            target_type="delivery",
            target_id=delivery.id,
            account_id=delivery.account_id,
        )
        if shared:
            assert delivery.id is not None
            notify.record_shared(
                session,
                workspace_id=staff.workspace_id,
                account_id=delivery.account_id,
                kind="delivery",
                record_id=delivery.id,
                title=delivery.reference,
            )
    session.commit()
    return _staff_read(session, delivery)


def share_delivery(session: Session, actor: Actor, delivery_id: int) -> DeliveryRead:
    """Show a delivery of the staff member's workspace in its account's portal (no-op if already shared).

    Raises ``NotFound`` or ``Forbidden`` (role).
    """
    return _set_shared(session, actor, delivery_id, shared=True)


def unshare_delivery(session: Session, actor: Actor, delivery_id: int) -> DeliveryRead:
    """Hide a delivery from the portal again (no-op if not shared). Raises ``NotFound`` or ``Forbidden``."""
    return _set_shared(session, actor, delivery_id, shared=False)


def add_delivery_event(
    session: Session,
    actor: Actor,
    delivery_id: int,
    *,
    status: DeliveryStatus,
    note: str = "",
    internal: bool = False,
    carrier: str | None = None,
    tracking_ref: str | None = None,
    expected_on: date | None = _UNSET,
) -> DeliveryRead:
    """Record a timeline event on a delivery of the staff member's workspace and move its status.

    ``status`` equal to the current one adds an update without a transition (open deliveries only). ``carrier``,
    ``tracking_ref`` and ``expected_on`` (the ETA; ``None`` clears it) change the delivery when given and
    different; the event keeps what it changed. An internal event is hidden from the portal (a status, carrier
    or ETA change still shows on the delivery itself). Raises ``NotFound``, ``Forbidden`` (role), ``Conflict``
    (transition not allowed, final delivery), ``ValidationFailed`` (note, carrier, tracking reference, ETA).
    """
    staff = require_staff(actor, Permission.DELIVERIES_MANAGE)
    try:
        status = DeliveryStatus(status)
    except ValueError as exc:
        raise ValidationFailed("That delivery status is not recognised.") from exc
    note = _text(note, what="The note", max_len=1000)
    if carrier is not None:
        carrier = _text(carrier, what="The carrier", max_len=100, one_line=True)
    if tracking_ref is not None:
        tracking_ref = _text(tracking_ref, what="The tracking reference", max_len=100, one_line=True)
    if expected_on is not _UNSET and expected_on is not None and not isinstance(expected_on, date):
        raise ValidationFailed("The expected date is not a date.")
    delivery = get_scoped(session, staff, Delivery, delivery_id, change=True, lock=True)
    assert delivery.id is not None
    previous = delivery.status
    if previous in FINAL:
        raise Conflict(f"This delivery is {_LABELS[previous]}: its timeline is closed.")
    if status not in TRANSITIONS[previous]:
        raise Conflict(f"A delivery that is {_LABELS[previous]} cannot become {_LABELS[status]}.")
    changed: dict[str, Any] = {}
    if carrier is not None and carrier != delivery.carrier:
        changed["carrier"] = delivery.carrier = carrier
    if tracking_ref is not None and tracking_ref != delivery.tracking_ref:
        changed["tracking_ref"] = delivery.tracking_ref = tracking_ref
    if expected_on is not _UNSET and expected_on != delivery.expected_on:
        delivery.expected_on = expected_on
        changed["expected_on"] = expected_on.isoformat() if expected_on else None
    now = utcnow()
    session.add(
        DeliveryEvent(
            workspace_id=staff.workspace_id,
            delivery_id=delivery.id,
            status=status,
            note=note,
            carrier=changed.get("carrier", ""),
            tracking_ref=changed.get("tracking_ref", ""),
            expected_on=delivery.expected_on if "expected_on" in changed else None,
            internal=internal,
            occurred_at=now,
            recorded_by_user_id=staff.user_id,
        )
    )
    # An internal note must not show up as "updated" in the portal; a change to what the portal shows does.
    if status != previous or changed or not internal:
        delivery.updated_at = now
    delivery.status = status
    session.add(delivery)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="delivery.event_added",
        target_type="delivery",
        target_id=delivery.id,
        data={"from": previous.value, "to": status.value, "internal": internal, "changed": sorted(changed)},
        account_id=delivery.account_id,
    )
    session.commit()
    return _staff_read(session, delivery)


def get_delivery(session: Session, actor: Actor, delivery_id: int) -> DeliveryRead:
    """One delivery of the staff member's workspace with its latest events, internal ones included."""
    staff = require_staff(actor, Permission.DELIVERIES_READ)
    return _staff_read(session, get_scoped(session, staff, Delivery, delivery_id))


@dataclass(frozen=True)
class DeliveryDetail:
    delivery: DeliveryRead  # with its latest MAX_EVENTS_DETAIL events, oldest first, internal ones included
    account_name: str
    recorded_by: dict[int, str] = field(default_factory=dict)  # user id -> the member's name or email
    next_statuses: list[DeliveryStatus] = field(default_factory=list)  # empty once the delivery is final


def get_delivery_detail(session: Session, actor: Actor, delivery_id: int) -> DeliveryDetail:
    """Everything the staff delivery page shows: the delivery, every event (up to ``MAX_EVENTS_DETAIL``, internal
    ones too), the account's name, who recorded each event and the statuses an update may choose now.

    Scoped to the staff member's workspace (``deliveries:read``); ``NotFound`` otherwise. Four queries.
    """
    staff = require_staff(actor, Permission.DELIVERIES_READ)
    delivery = get_scoped(session, staff, Delivery, delivery_id)
    assert delivery.id is not None
    events = _events_by_delivery(
        session, [delivery.id], DeliveryEventRead, include_internal=True, limit=MAX_EVENTS_DETAIL
    ).get(delivery.id, [])
    account = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.workspace_id == staff.workspace_id, CustomerAccount.id == delivery.account_id
        )
    ).one()
    user_ids = sorted({e.recorded_by_user_id for e in events if e.recorded_by_user_id is not None})
    names: dict[int, str] = {}
    if user_ids:
        # Members of this workspace only: a user who left shows as "A former member".
        rows = session.exec(
            select(User)
            .join(Membership, col(Membership.user_id) == col(User.id))
            .where(Membership.workspace_id == staff.workspace_id, col(User.id).in_(user_ids))
        ).all()
        names = {u.id: (u.name or u.email) for u in rows if u.id is not None}
    read = DeliveryRead.model_validate(delivery).model_copy(update={"events": events})
    return DeliveryDetail(
        delivery=read,
        account_name=account.name,
        recorded_by=names,
        next_statuses=allowed_next(delivery.status),
    )


def account_names(session: Session, actor: Actor, account_ids: Iterable[int]) -> dict[int, str]:
    """Names of the actor's workspace's accounts among ``account_ids`` (at most 100), in one query: a delivery
    list shows the account beside each row. ``deliveries:read``."""
    staff = require_staff(actor, Permission.DELIVERIES_READ)
    ids = sorted({i for i in account_ids if isinstance(i, int) and not isinstance(i, bool)})[:100]
    if not ids:
        return {}
    rows = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.workspace_id == staff.workspace_id, col(CustomerAccount.id).in_(ids)
        )
    ).all()
    return {a.id: a.name for a in rows if a.id is not None}


def list_deliveries(
    session: Session,
    actor: Actor,
    *,
    status: DeliveryStatus | None = None,
    account_id: int | None = None,
    shared: bool | None = None,
    search: str = "",
    exceptions_only: bool = False,
    exceptions_first: bool = False,
    offset: int = 0,
    limit: int = 25,
    with_events: bool = True,
) -> Page[DeliveryRead]:
    """One page of the workspace's deliveries, most recently updated first, each with its latest events (not
    ``with_events``: none, and one query fewer, for lists that show only the delivery's own columns).

    ``search`` matches the reference or the tracking reference, case-insensitively and literally.
    ``exceptions_only`` keeps deliveries with a problem (``exception``) or delayed (open, ETA passed);
    ``exceptions_first`` puts problems first, then delayed ones (longest overdue first), then the rest. An
    ``account_id`` of another workspace matches nothing. Three queries per page (count, deliveries, events by
    one IN query). ``deliveries:read``.
    """
    staff = require_staff(actor, Permission.DELIVERIES_READ)
    query = scoped_select(staff, Delivery)
    if account_id is not None:
        query = query.where(Delivery.account_id == account_id)
    if status is not None:
        query = query.where(Delivery.status == DeliveryStatus(status))
    if shared is not None:
        query = query.where(Delivery.shared == shared)
    if isinstance(search, str) and search.strip():
        term = _like_term(search)
        query = query.where(
            sa.or_(
                sa.func.lower(Delivery.reference).like(term, escape="\\"),
                sa.func.lower(Delivery.tracking_ref).like(term, escape="\\"),
            )
        )
    delayed = delayed_clause(today())
    problem = col(Delivery.status) == DeliveryStatus.EXCEPTION
    if exceptions_only:
        query = query.where(sa.or_(problem, delayed))
    order: list[Any] = [col(Delivery.updated_at).desc(), col(Delivery.id).desc()]
    if exceptions_first:
        order = [
            sa.case((problem, 0), (delayed, 1), else_=2),
            sa.case((delayed, col(Delivery.expected_on)), else_=None),
            *order,
        ]
    query = query.order_by(*order)
    page = Page.fetch(session, query, DeliveryRead, offset=offset, limit=limit, small=account_id is not None)
    if not with_events:
        return page
    return _with_events(session, page, DeliveryEventRead, include_internal=True)


# ----------------------------------------------------------------------------------------------------
# Portal (contacts)


def portal_get_delivery(session: Session, actor: Actor, delivery_id: int) -> PortalDelivery:
    """One shared delivery of the contact's account (operations permission), without internal events.

    ``NotFound`` for unshared, other accounts' and missing deliveries alike.
    """
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    delivery = get_scoped(session, contact, Delivery, delivery_id)
    assert delivery.id is not None
    events = _events_by_delivery(session, [delivery.id], PortalDeliveryEvent, include_internal=False)
    return PortalDelivery.model_validate(delivery).model_copy(update={"events": events.get(delivery.id, [])})


def portal_list_deliveries(
    session: Session,
    actor: Actor,
    *,
    status: DeliveryStatus | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[PortalDelivery]:
    """One page of the contact's account's shared deliveries, latest update first, public events only."""
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    query = scoped_select(contact, Delivery)
    if status is not None:
        query = query.where(Delivery.status == status)
    query = query.order_by(col(Delivery.updated_at).desc(), col(Delivery.id).desc())
    page = Page.fetch(session, query, PortalDelivery, offset=offset, limit=limit)
    return _with_events(session, page, PortalDeliveryEvent, include_internal=False)


def portal_open_count(session: Session, actor: Actor) -> int:
    """How many of the contact's account's shared deliveries are still under way (scheduled, in transit or with a
    problem); one query. Scoped: a contact with ``operations`` (``NotFound`` otherwise)."""
    return int(session.scalar(portal_open_count_query(actor)) or 0)


def portal_open_count_query(actor: Actor) -> sa.Select[Any]:
    """``portal_open_count``'s statement, to be run alone or with other counts (``badges.portal_glance``)."""
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    query = scoped_select(contact, Delivery).where(col(Delivery.status).in_(OPEN))
    return sa.select(sa.func.count()).select_from(query.subquery())
