"""Delivery views for the pages: an update that changes carrier, tracking reference and expected date; sharing
mails the account's contacts (through ``notify.record_shared``); the staff list's search, exception filter and
order; the detail with every event and who recorded it; the portal timeline without internal events; a constant
number of queries per page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlmodel import Session, select

from models import Delivery, DeliveryEvent, DeliveryStatus, User
from portal_app.services import deliveries, notify
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import make_tenant
from tests.services.test_deliveries import count_queries, force_status

S = DeliveryStatus


@pytest.fixture()
def tenants(session: Session) -> tuple[Any, Any]:
    return make_tenant(session), make_tenant(session)


def _new(session: Session, t: Any, *, account: Any = None, shared: bool = False, **kw: Any) -> Any:
    kw.setdefault("reference", "PO-100")
    d = deliveries.create_delivery(session, t.team_lead, (account or t.account).id, **kw)
    return deliveries.share_delivery(session, t.team_lead, d.id) if shared else d


def _ids(page: Any) -> list[int]:
    return [d.id for d in page.items]


# -- updates -------------------------------------------------------------------------------------------------


def test_update_changes_carrier_tracking_and_eta_and_the_event_keeps_what_changed(session, tenants) -> None:
    a, _ = tenants
    eta = deliveries.today() + timedelta(days=5)
    d = _new(session, a, carrier="DHL", tracking_ref="JD1", shared=True)
    read = deliveries.add_delivery_event(
        session,
        a.team_lead,
        d.id,
        status=S.IN_TRANSIT,
        note="Picked up",
        carrier="DHL",  # unchanged: not recorded as a change
        tracking_ref=" JD2 ",
        expected_on=eta,
    )
    assert (read.carrier, read.tracking_ref, read.expected_on) == ("DHL", "JD2", eta)
    last = read.events[-1]
    assert (last.carrier, last.tracking_ref, last.expected_on) == ("", "JD2", eta)
    assert last.recorded_by_user_id == a.team_lead.user_id

    # Not given = unchanged; None clears the ETA.
    read = deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, note="Hub")
    assert read.expected_on == eta and read.tracking_ref == "JD2"
    read = deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, expected_on=None)
    assert read.expected_on is None

    portal = deliveries.portal_get_delivery(session, a.contact, d.id)
    assert [e.tracking_ref for e in portal.events] == ["", "JD2", "", ""]
    assert portal.events[1].expected_on == eta and portal.tracking_ref == "JD2"


def test_update_refusals_leave_the_delivery_as_it_was(session, tenants) -> None:
    a, b = tenants
    d = _new(session, a, carrier="DHL")
    with pytest.raises(ValidationFailed):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, carrier="c" * 101)
    with pytest.raises(ValidationFailed):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, tracking_ref="t" * 101)
    with pytest.raises(ValidationFailed):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, expected_on="soon")
    with pytest.raises(Forbidden):
        deliveries.add_delivery_event(session, a.finance, d.id, status=S.IN_TRANSIT, carrier="UPS")
    with pytest.raises(NotFound):
        deliveries.add_delivery_event(session, b.owner, d.id, status=S.IN_TRANSIT, carrier="UPS")
    with pytest.raises(Conflict, match="cannot become delivered"):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.DELIVERED, carrier="UPS")
    session.expire_all()
    row = session.get(Delivery, d.id)
    assert row is not None and row.carrier == "DHL" and row.status is S.SCHEDULED


def test_internal_update_that_changes_the_eta_still_counts_as_updated(session, tenants) -> None:
    a, _ = tenants
    d = _new(session, a, shared=True)
    before = deliveries.portal_get_delivery(session, a.contact, d.id).updated_at
    deliveries.add_delivery_event(
        session,
        a.team_lead,
        d.id,
        status=S.SCHEDULED,
        note="supplier late again",
        internal=True,
        expected_on=deliveries.today() + timedelta(days=9),
    )
    view = deliveries.portal_get_delivery(session, a.contact, d.id)
    assert view.updated_at >= before and view.expected_on == deliveries.today() + timedelta(days=9)
    assert "supplier" not in view.model_dump_json()  # the event itself stays internal
    assert len(view.events) == 1


# -- sharing -------------------------------------------------------------------------------------------------


def test_sharing_notifies_once_before_commit(session, tenants, monkeypatch) -> None:
    a, _ = tenants
    calls: list[dict[str, Any]] = []

    def record(session_: Session, **kw: Any) -> None:
        assert session_.get(Delivery, kw["record_id"]).shared  # the change is made, not yet committed
        calls.append(kw)

    monkeypatch.setattr(notify, "record_shared", record)
    d = _new(session, a, reference="PO-9")
    assert calls == []
    deliveries.share_delivery(session, a.team_lead, d.id)
    deliveries.share_delivery(session, a.team_lead, d.id)  # already shared: nothing new
    deliveries.unshare_delivery(session, a.team_lead, d.id)
    assert calls == [
        {
            "workspace_id": a.ws.id,
            "account_id": a.account.id,
            "kind": "delivery",
            "record_id": d.id,
            "title": "PO-9",
        }
    ]


# -- staff list ----------------------------------------------------------------------------------------------


def test_list_search_is_scoped_and_literal(session, tenants) -> None:
    a, b = tenants
    one = _new(session, a, reference="PO-100_A", tracking_ref="1Z999")
    two = _new(session, a, account=a.other_account, reference="SHIP-7")
    _new(session, b, reference="PO-100_A")

    def found(text: str) -> set[int]:
        return set(_ids(deliveries.list_deliveries(session, a.owner, search=text)))

    assert found("po-100") == {one.id}  # the other workspace's PO-100_A stays out
    assert found("1z9") == {one.id}  # tracking reference
    assert found("_") == {one.id} and found("%") == set()  # literal, not wildcards
    assert found("  ") == {one.id, two.id}
    assert found("x" * 5000) == set()


def test_exceptions_filter_and_order(session, tenants) -> None:
    a, _ = tenants
    today = deliveries.today()
    calm = _new(session, a, reference="CALM", expected_on=today + timedelta(days=3))
    late = _new(session, a, reference="LATE", expected_on=today - timedelta(days=2))
    later = _new(session, a, reference="LATER", expected_on=today - timedelta(days=9))
    problem = _new(session, a, reference="PROBLEM")
    deliveries.add_delivery_event(session, a.team_lead, problem.id, status=S.EXCEPTION, note="Address")
    done = _new(session, a, reference="DONE", expected_on=today - timedelta(days=20))
    force_status(session, done.id, S.DELIVERED)  # past its date but delivered: not delayed
    newest = _new(session, a, reference="NEWEST")

    page = deliveries.list_deliveries(session, a.owner, exceptions_first=True)
    assert _ids(page)[:3] == [problem.id, later.id, late.id]
    assert set(_ids(page)[3:]) == {calm.id, done.id, newest.id}
    only = deliveries.list_deliveries(session, a.owner, exceptions_only=True)
    assert set(_ids(only)) == {problem.id, late.id, later.id} and only.total == 3
    assert _ids(deliveries.list_deliveries(session, a.owner, status=S.EXCEPTION)) == [problem.id]
    assert deliveries.is_delayed(S.IN_TRANSIT, today - timedelta(days=1))
    assert not deliveries.is_delayed(S.IN_TRANSIT, today)
    assert not deliveries.is_delayed(S.EXCEPTION, today - timedelta(days=1))
    assert not deliveries.is_delayed(S.DELIVERED, today - timedelta(days=1))


def test_allowed_next_follows_transitions_current_first() -> None:
    assert deliveries.allowed_next(S.SCHEDULED) == [S.SCHEDULED, S.IN_TRANSIT, S.EXCEPTION, S.CANCELLED]
    assert deliveries.allowed_next(S.IN_TRANSIT)[0] is S.IN_TRANSIT
    assert deliveries.allowed_next(S.DELIVERED) == [] and deliveries.allowed_next(S.CANCELLED) == []
    for status in S:
        assert set(deliveries.allowed_next(status)) == deliveries.TRANSITIONS[status]


def test_account_names_are_scoped(session, tenants) -> None:
    a, b = tenants
    names = deliveries.account_names(session, a.finance, [a.account.id, b.account.id, True])
    assert names == {a.account.id: a.account.name}
    with pytest.raises(NotFound):
        deliveries.account_names(session, a.contact, [a.account.id])


# -- detail --------------------------------------------------------------------------------------------------


def test_detail_has_every_event_names_and_next_statuses(session, tenants) -> None:
    a, b = tenants
    d = _new(session, a)
    deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT)
    deliveries.add_delivery_event(session, a.owner, d.id, status=S.IN_TRANSIT, note="psst", internal=True)
    for i in range(deliveries.MAX_EVENTS_PER_DELIVERY + 3):
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, note=f"hop {i}")
    detail = deliveries.get_delivery_detail(session, a.finance, d.id)
    assert len(detail.delivery.events) == deliveries.MAX_EVENTS_PER_DELIVERY + 6
    assert detail.delivery.events[2].internal and detail.delivery.events[2].note == "psst"
    assert detail.account_name == a.account.name
    lead = session.get(User, a.team_lead.user_id)
    assert lead is not None and detail.recorded_by[a.team_lead.user_id] == (lead.name or lead.email)
    assert a.owner.user_id in detail.recorded_by
    assert detail.next_statuses == deliveries.allowed_next(S.IN_TRANSIT)
    for actor in (b.owner, a.contact):
        with pytest.raises(NotFound):
            deliveries.get_delivery_detail(session, actor, d.id)


def test_portal_timeline_never_has_internal_events(session, tenants) -> None:
    a, _ = tenants
    d = _new(session, a, shared=True, internal_notes="margin is thin")
    deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT, note="On the road")
    deliveries.add_delivery_event(
        session, a.team_lead, d.id, status=S.IN_TRANSIT, note="secret hub", internal=True, carrier="Secret Co"
    )
    page = deliveries.portal_list_deliveries(session, a.contact)
    view = page.items[0]
    assert [e.note for e in view.events] == ["", "On the road"]
    dumped = (
        page.model_dump_json() + deliveries.portal_get_delivery(session, a.contact, d.id).model_dump_json()
    )
    assert "secret hub" not in dumped and "margin" not in dumped
    # The carrier change applies to the delivery (contacts see the carrier), the internal event does not show.
    assert view.carrier == "Secret Co"
    assert session.exec(select(DeliveryEvent).where(DeliveryEvent.internal)).one().carrier == "Secret Co"


def test_query_counts_are_constant(session, tenants) -> None:
    a, _ = tenants

    def run() -> int:
        with count_queries(session) as seen:
            page = deliveries.list_deliveries(
                session, a.owner, search="po", exceptions_first=True, exceptions_only=False, limit=100
            )
            deliveries.account_names(session, a.owner, [d.account_id for d in page.items])
            deliveries.get_delivery_detail(session, a.owner, page.items[0].id)
            deliveries.portal_list_deliveries(session, a.contact, limit=100)
        return len(seen)

    first = _new(session, a, shared=True)
    deliveries.add_delivery_event(session, a.team_lead, first.id, status=S.IN_TRANSIT)
    small = run()
    for i in range(10):
        d = _new(
            session, a, account=a.account if i % 2 else a.other_account, shared=True, reference=f"PO-{i}"
        )
        deliveries.add_delivery_event(session, a.team_lead, d.id, status=S.IN_TRANSIT)
        deliveries.add_delivery_event(session, a.owner, d.id, status=S.IN_TRANSIT, internal=True)
    assert run() == small
