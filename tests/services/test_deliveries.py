from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlmodel import func, select

from models import AuditEvent, Delivery, DeliveryEvent, DeliveryStatus, Role
from models.portal import PortalDelivery
from portal_app.services import deliveries
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import make_contact, make_tenant

S = DeliveryStatus


@pytest.fixture()
def tenants(session):
    return make_tenant(session), make_tenant(session)


def new_delivery(session, tenant, *, account=None, shared=False, **kw):
    kw.setdefault("reference", "PO-100")
    kw.setdefault("internal_notes", "carrier overcharges us")
    d = deliveries.create_delivery(session, tenant.team_lead, (account or tenant.account).id, **kw)
    if shared:
        d = deliveries.share_delivery(session, tenant.team_lead, d.id)
    return d


def force_status(session, delivery_id, status):
    row = session.get(Delivery, delivery_id)
    row.status = status
    session.add(row)
    session.flush()


@contextmanager
def count_queries(session):
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


# --- creation and sharing ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.TEAM_LEAD])
def test_create_is_scheduled_and_unshared(session, tenants, role):
    a, _ = tenants
    d = deliveries.create_delivery(
        session, a.staff[role], a.account.id, reference=" PO-7 ", carrier="DHL", tracking_ref="JD0001"
    )
    assert d.status is S.SCHEDULED and d.shared is False
    assert d.reference == "PO-7"
    assert [e.status for e in d.events] == [S.SCHEDULED]
    row = session.get(Delivery, d.id)
    assert row.workspace_id == a.ws.id and row.account_id == a.account.id


def test_create_refusals(session, tenants):
    a, b = tenants
    with pytest.raises(Forbidden):
        deliveries.create_delivery(session, a.finance, a.account.id, reference="x")
    with pytest.raises(NotFound):
        deliveries.create_delivery(session, a.contact, a.account.id, reference="x")
    with pytest.raises(NotFound):
        deliveries.create_delivery(session, a.team_lead, b.account.id, reference="x")
    for kw in ({"reference": ""}, {"reference": "r" * 65}, {"reference": "x", "carrier": "c" * 101}):
        with pytest.raises(ValidationFailed):
            deliveries.create_delivery(session, a.team_lead, a.account.id, **kw)
    assert session.exec(select(func.count()).select_from(Delivery)).one() == 0


def test_unshared_is_invisible_until_shared(session, tenants):
    a, _ = tenants
    d = new_delivery(session, a)
    assert deliveries.portal_list_deliveries(session, a.contact).total == 0
    with pytest.raises(NotFound):
        deliveries.portal_get_delivery(session, a.contact, d.id)

    shared = deliveries.share_delivery(session, a.team_lead, d.id)
    assert shared.shared
    assert [x.id for x in deliveries.portal_list_deliveries(session, a.contact).items] == [d.id]
    assert deliveries.portal_get_delivery(session, a.contact, d.id).reference == "PO-100"

    deliveries.unshare_delivery(session, a.team_lead, d.id)
    with pytest.raises(NotFound):
        deliveries.portal_get_delivery(session, a.contact, d.id)
    actions = session.exec(
        select(AuditEvent.action).where(AuditEvent.target_type == "delivery", AuditEvent.target_id == d.id)
    ).all()
    assert actions == ["delivery.created", "delivery.shared", "delivery.unshared"]


def test_share_is_idempotent_and_scoped(session, tenants):
    a, b = tenants
    d = new_delivery(session, a, shared=True)
    deliveries.share_delivery(session, a.team_lead, d.id)
    shared_events = session.exec(
        select(AuditEvent).where(AuditEvent.action == "delivery.shared", AuditEvent.target_id == d.id)
    ).all()
    assert len(shared_events) == 1
    with pytest.raises(NotFound):
        deliveries.unshare_delivery(session, b.owner, d.id)
    with pytest.raises(Forbidden):
        deliveries.unshare_delivery(session, a.finance, d.id)
    with pytest.raises(NotFound):
        deliveries.unshare_delivery(session, a.contact, d.id)
    assert session.get(Delivery, d.id).shared


def test_portal_shows_only_own_account_shared_with_operations(session, tenants):
    a, b = tenants
    mine = new_delivery(session, a, shared=True)
    new_delivery(session, a, account=a.other_account, shared=True)
    new_delivery(session, b, shared=True)
    page = deliveries.portal_list_deliveries(session, a.contact)
    assert [x.id for x in page.items] == [mine.id]
    for contact in (a.other_contact, b.contact):
        with pytest.raises(NotFound):
            deliveries.portal_get_delivery(session, contact, mine.id)
    no_ops = make_contact(session, a.account, billing=True, operations=False, documents=True)
    for contact in (a.billing_contact, no_ops):
        with pytest.raises(NotFound):
            deliveries.portal_list_deliveries(session, contact)
        with pytest.raises(NotFound):
            deliveries.portal_get_delivery(session, contact, mine.id)
    with pytest.raises(NotFound):
        deliveries.portal_list_deliveries(session, a.owner)


def test_portal_projection_has_no_internal_fields(session, tenants):
    a, _ = tenants
    d = new_delivery(session, a, shared=True)
    view = deliveries.portal_get_delivery(session, a.contact, d.id)
    assert isinstance(view, PortalDelivery)
    assert "internal_notes" not in PortalDelivery.model_fields
    assert "overcharges" not in view.model_dump_json()


# --- transitions -------------------------------------------------------------------------------------------

ALLOWED = {
    (S.SCHEDULED, S.IN_TRANSIT),
    (S.SCHEDULED, S.EXCEPTION),
    (S.SCHEDULED, S.CANCELLED),
    (S.IN_TRANSIT, S.DELIVERED),
    (S.IN_TRANSIT, S.EXCEPTION),
    (S.IN_TRANSIT, S.CANCELLED),
    (S.EXCEPTION, S.IN_TRANSIT),
    (S.EXCEPTION, S.DELIVERED),
    (S.EXCEPTION, S.CANCELLED),
    # An update that keeps an open delivery's status (e.g. "left the hub").
    (S.SCHEDULED, S.SCHEDULED),
    (S.IN_TRANSIT, S.IN_TRANSIT),
    (S.EXCEPTION, S.EXCEPTION),
}


@pytest.mark.parametrize("start", list(S))
@pytest.mark.parametrize("target", list(S))
def test_transition_matrix(session, tenants, start, target):
    a, _ = tenants
    d = new_delivery(session, a)
    force_status(session, d.id, start)
    if (start, target) in ALLOWED:
        read = deliveries.add_delivery_event(session, a.team_lead, d.id, status=target, note="update")
        assert read.status is target
        assert read.events[-1].status is target and read.events[-1].note == "update"
    else:
        with pytest.raises(Conflict):
            deliveries.add_delivery_event(session, a.team_lead, d.id, status=target)
        session.expire_all()
        assert session.get(Delivery, d.id).status is start
        assert len(deliveries.get_delivery(session, a.owner, d.id).events) == 1


def test_full_journey_with_audit(session, tenants):
    a, _ = tenants
    d = new_delivery(session, a, shared=True)
    for status in (S.IN_TRANSIT, S.EXCEPTION, S.IN_TRANSIT, S.DELIVERED):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=status)
    read = deliveries.get_delivery(session, a.finance, d.id)
    assert [e.status for e in read.events] == [
        S.SCHEDULED,
        S.IN_TRANSIT,
        S.EXCEPTION,
        S.IN_TRANSIT,
        S.DELIVERED,
    ]
    n_events = session.exec(
        select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "delivery.event_added")
    ).one()
    assert n_events == 4


def test_event_refusals(session, tenants):
    a, b = tenants
    d = new_delivery(session, a)
    with pytest.raises(NotFound):
        deliveries.add_delivery_event(session, b.owner, d.id, status=S.IN_TRANSIT)
    with pytest.raises(Forbidden):
        deliveries.add_delivery_event(session, a.finance, d.id, status=S.IN_TRANSIT)
    with pytest.raises(NotFound):
        deliveries.add_delivery_event(session, a.contact, d.id, status=S.IN_TRANSIT)
    with pytest.raises(ValidationFailed):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, note="n" * 1001)
    with pytest.raises(ValidationFailed):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status="teleported")
    assert session.get(Delivery, d.id).status is S.SCHEDULED


def test_internal_events_hidden_from_portal(session, tenants):
    a, _ = tenants
    d = new_delivery(session, a, shared=True)
    deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, note="On its way")
    before = deliveries.portal_get_delivery(session, a.contact, d.id).updated_at
    deliveries.add_delivery_event(
        session, a.team_lead, d.id, status=S.IN_TRANSIT, note="driver drunk again", internal=True
    )

    staff = deliveries.get_delivery(session, a.owner, d.id)
    assert [e.internal for e in staff.events] == [False, False, True]
    view = deliveries.portal_get_delivery(session, a.contact, d.id)
    assert [e.note for e in view.events] == ["", "On its way"]
    assert view.updated_at == before  # an internal note does not announce itself
    listed = deliveries.portal_list_deliveries(session, a.contact).items[0]
    assert "driver" not in listed.model_dump_json()
    assert "driver" not in view.model_dump_json()


# --- lists -------------------------------------------------------------------------------------------------


def test_staff_list_filters_and_loads_events(session, tenants):
    a, b = tenants
    d1 = new_delivery(session, a, reference="D1")
    d2 = new_delivery(session, a, reference="D2", shared=True)
    d3 = new_delivery(session, a, account=a.other_account, reference="D3")
    new_delivery(session, b, reference="B1")
    deliveries.add_delivery_event(session, a.team_lead, d2.id, status=S.IN_TRANSIT, internal=True)

    page = deliveries.list_deliveries(session, a.finance)
    assert page.total == 3
    assert page.items[0].id == d2.id  # most recently updated first
    assert {x.id: len(x.events) for x in page.items} == {d1.id: 1, d2.id: 2, d3.id: 1}
    with count_queries(session) as seen:
        bare = deliveries.list_deliveries(session, a.finance, with_events=False)
    assert [x.id for x in bare.items] == [x.id for x in page.items] and all(not x.events for x in bare.items)
    assert len(seen) == 1  # the page alone (a short page tells its own total), no events
    assert [x.id for x in deliveries.list_deliveries(session, a.owner, shared=True).items] == [d2.id]
    assert [x.id for x in deliveries.list_deliveries(session, a.owner, status=S.IN_TRANSIT).items] == [d2.id]
    assert [
        x.id for x in deliveries.list_deliveries(session, a.owner, account_id=a.other_account.id).items
    ] == [d3.id]
    assert deliveries.list_deliveries(session, a.owner, account_id=b.account.id).total == 0
    paged = deliveries.list_deliveries(session, a.owner, limit=2)
    assert len(paged.items) == 2 and paged.has_more
    with pytest.raises(NotFound):
        deliveries.list_deliveries(session, a.contact)


def test_list_query_count_is_constant(session, tenants):
    a, _ = tenants

    def run():
        with count_queries(session) as seen:
            deliveries.list_deliveries(session, a.owner, limit=100)
            deliveries.portal_list_deliveries(session, a.contact, limit=100)
        return len(seen)

    d = new_delivery(session, a, shared=True)
    small = run()
    for _ in range(12):
        d = new_delivery(session, a, shared=True)
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT)
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, internal=True)
    assert small == 4  # page + events, for staff and for the portal (a short page tells its own total)
    assert run() == small


def test_events_per_delivery_are_bounded(session, tenants):
    a, _ = tenants
    d = new_delivery(session, a, shared=True)
    deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT)
    for i in range(deliveries.MAX_EVENTS_PER_DELIVERY + 5):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, note=f"hop {i}")
    read = deliveries.get_delivery(session, a.owner, d.id)
    assert len(read.events) == deliveries.MAX_EVENTS_PER_DELIVERY
    assert read.events[-1].note == f"hop {deliveries.MAX_EVENTS_PER_DELIVERY + 4}"
    assert (
        session.exec(
            select(func.count()).select_from(DeliveryEvent).where(DeliveryEvent.delivery_id == d.id)
        ).one()
        == deliveries.MAX_EVENTS_PER_DELIVERY + 7
    )
