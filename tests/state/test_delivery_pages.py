"""Delivery pages without a browser: the staff list (filters, exceptions marked and first), the new-delivery form,
the detail with "Add update", share and stop sharing; the portal list and detail. Forged and foreign ids, contacts
without operations, internal events kept off portal pages, who may add an update, a refused transition's toast.

Handlers are called directly with a router carrying the session cookie and the page's route (see
``tests/state/test_estimate_pages.py``). Data is committed and wiped.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, func, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import Delivery, DeliveryEvent, DeliveryStatus  # noqa: E402
from portal_app.services import deliveries  # noqa: E402
from state.deliveries import DeliveriesListState, DeliveryDetailState  # noqa: E402
from state.delivery_form import DeliveryFormState  # noqa: E402
from state.portal_deliveries import PortalDeliveriesState, PortalDeliveryState  # noqa: E402
from tests.factories import make_contact, make_tenant  # noqa: E402
from tests.state.test_estimate_pages import call, page_state, staff_token  # noqa: E402
from tests.state.test_page_states import contact_token  # noqa: E402

S = DeliveryStatus
LIST, NEW, DETAIL = "/app/deliveries", "/app/deliveries/new", "/app/deliveries/[id]"
P_LIST, P_DETAIL = "/portal/deliveries", "/portal/deliveries/[id]"


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def _new(db: Session, t: Any, *, account: Any = None, shared: bool = False, **kw: Any) -> int:
    kw.setdefault("reference", "PO-100")
    kw.setdefault("internal_notes", "carrier overcharges us")
    d = deliveries.create_delivery(db, t.team_lead, (account or t.account).id, **kw)
    if shared:
        deliveries.share_delivery(db, t.team_lead, d.id)
    db.commit()
    return d.id


def _events(db: Session, delivery_id: int) -> int:
    db.rollback()
    n = db.exec(
        select(func.count()).select_from(DeliveryEvent).where(DeliveryEvent.delivery_id == delivery_id)
    ).one()
    db.rollback()  # never hold SQLite's lock while a handler runs
    return int(n)


def _row(db: Session, delivery_id: int) -> Delivery:
    db.rollback()
    row = db.get(Delivery, delivery_id)
    assert row is not None
    db.refresh(row)
    db.expunge(row)
    db.rollback()
    return row


def _staff(db: Session, cls: Any, actor: Any, path: str, record_id: Any = None) -> Any:
    db.rollback()
    state = page_state(cls, staff_token(db, actor), path=path, record_id=record_id)
    db.rollback()
    call(state, "load")
    return state


def _contact(db: Session, cls: Any, actor: Any, path: str, record_id: Any = None) -> Any:
    db.rollback()
    state = page_state(cls, contact_token(db, actor), path=path, record_id=record_id)
    db.rollback()
    call(state, "load")
    return state


def _update(**kw: Any) -> dict[str, Any]:
    form = {"status": "in_transit", "note": "", "carrier": "", "tracking_ref": "", "expected_on": ""}
    return {**form, **kw}


# -- staff list ----------------------------------------------------------------------------------------------


def test_list_marks_exceptions_puts_them_first_and_ignores_forged_filters(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    today = deliveries.today()
    calm = _new(db, t, reference="CALM", carrier="DHL", expected_on=today + timedelta(days=4))
    late = _new(db, t, reference="LATE", expected_on=today - timedelta(days=3))
    problem = _new(db, t, account=t.other_account, reference="PROBLEM")
    deliveries.add_delivery_event(db, t.team_lead, problem, status=S.EXCEPTION, note="Wrong address")
    db.commit()
    _new(db, other, reference="THEIRS")

    state = _staff(db, DeliveriesListState, t.team_lead, LIST)
    assert state.gate == "ready" and state.total == 3 and state.can_manage
    by_id = {r.id: r for r in state.rows}
    assert by_id[problem].status_label == "Delivery problem" and by_id[problem].status_color == "red"
    assert by_id[problem].status_icon == "triangle-alert" and by_id[problem].exception
    assert by_id[late].status_label == "Delayed" and by_id[late].status_color == "amber"
    assert by_id[late].status_icon == "clock-alert" and by_id[late].eta.endswith("3 days late")
    assert by_id[calm].status_icon == "" and not by_id[calm].exception and by_id[calm].carrier == "DHL"

    call(state, "set_filter", "order", "exceptions")
    assert [r.id for r in state.rows] == [problem, late, calm]
    call(state, "set_filter", "status", "exceptions")
    assert {r.id for r in state.rows} == {problem, late}
    call(state, "set_filter", "status", "teleported")  # forged: back to all
    assert state.filters["status"] == "all" and state.total == 3
    call(state, "set_filter", "account", str(other.account.id))  # another workspace's account: nothing
    assert state.total == 0 and state.rows == []
    call(state, "set_filter", "account", "1 OR 1=1")
    assert state.filters["account"] == "all" and state.total == 3
    call(state, "apply_search", {"search": " late "})
    assert [r.id for r in state.rows] == [late]

    reader = _staff(db, DeliveriesListState, t.finance, LIST)
    assert reader.gate == "ready" and reader.total == 3 and reader.can_manage is False
    contact = _contact(db, DeliveriesListState, t.contact, LIST)
    assert contact.gate == "no_access" and contact.rows == []


# -- new -----------------------------------------------------------------------------------------------------


def test_new_form_creates_a_scheduled_unshared_delivery_and_refuses_bad_input(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    db.commit()
    form = _staff(db, DeliveryFormState, t.team_lead, NEW)
    assert form.gate == "ready" and {a.id for a in form.account_choices} == {
        str(t.account.id),
        str(t.other_account.id),
    }
    base = {"account_id": str(t.account.id), "reference": "PO-7", "carrier": "DHL", "expected_on": ""}

    call(form, "submit", {**base, "reference": "  "})
    call(form, "submit", {**base, "account_id": str(other.account.id)})  # another workspace's account
    assert form.errors["account_id"].startswith("Choose")
    call(form, "submit", {**base, "expected_on": (deliveries.today() - timedelta(days=1)).isoformat()})
    assert "expected_on" in form.errors and form.values["carrier"] == "DHL"  # what was typed is kept
    db.rollback()
    assert db.exec(select(func.count()).select_from(Delivery)).one() == 0
    db.rollback()

    eta = (deliveries.today() + timedelta(days=3)).isoformat()
    result = call(form, "submit", {**base, "expected_on": eta, "internal_notes": "fragile"})
    assert "created" in str(result)
    db.rollback()
    made = db.exec(select(Delivery)).one()
    db.rollback()
    assert (made.reference, made.carrier, made.status, made.shared) == ("PO-7", "DHL", S.SCHEDULED, False)
    assert made.expected_on is not None and made.expected_on.isoformat() == eta
    assert made.workspace_id == t.ws.id and made.account_id == t.account.id
    call(form, "submit", {**base, "reference": "PO-8"})  # a second click: no second delivery
    db.rollback()
    assert db.exec(select(func.count()).select_from(Delivery)).one() == 1
    db.rollback()

    reviewer = _staff(db, DeliveryFormState, t.finance, NEW)  # no deliveries:manage
    assert reviewer.gate == "no_access"
    call(reviewer, "submit", {**base, "reference": "PO-9"})
    db.rollback()
    assert db.exec(select(func.count()).select_from(Delivery)).one() == 1
    db.rollback()


# -- detail --------------------------------------------------------------------------------------------------


def test_detail_forged_and_foreign_ids_are_not_found(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    theirs = _new(db, other)
    for record_id in ("abc", "0", "-3", "1 OR 1=1", str(theirs), "99999999"):
        state = _staff(db, DeliveryDetailState, t.owner, DETAIL, record_id)
        assert state.gate == "not_found" and state.reference == "" and state.events == []
    contact = _contact(db, DeliveryDetailState, other.contact, DETAIL, theirs)
    assert contact.gate == "no_access" and contact.internal_notes == ""


def test_team_lead_adds_an_update_and_the_timeline_is_newest_first(db: Session) -> None:
    t = make_tenant(db)
    d = _new(db, t, carrier="DHL", shared=True)
    state = _staff(db, DeliveryDetailState, t.team_lead, DETAIL, d)
    assert state.gate == "ready" and state.can_manage and state.internal_notes == "carrier overcharges us"
    assert [c.value for c in state.next_statuses] == ["scheduled", "in_transit", "exception", "cancelled"]
    eta = (deliveries.today() + timedelta(days=2)).isoformat()

    result = call(
        state,
        "add_update",
        _update(note="Left the depot", carrier="DHL", tracking_ref="JD9", expected_on=eta),
    )
    assert "Update added" in str(result) and "see it in the portal" in str(result)
    assert state.form_version == 1 and state.tracking_ref == "JD9" and state.status_label == "In transit"
    newest = state.events[0]
    assert newest.note == "Left the depot" and newest.status_label == "In transit"
    assert "Tracking: JD9" in newest.changes and "Carrier" not in newest.changes and newest.by != ""
    assert state.events[-1].status_label == "Scheduled"

    result = call(
        state, "add_update", _update(note="driver lost", internal="on", carrier="DHL", expected_on=eta)
    )
    assert "Only your team" in str(result) and state.events[0].internal
    assert _events(db, d) == 3

    # The update acts on the delivery the page loaded, whatever id the client puts in its route afterwards.
    other_d = _new(db, t, reference="OTHER")
    forged = page_state(DeliveryDetailState, None, path=DETAIL, record_id=other_d).router
    state.router = forged
    state.parent_state.router = forged  # type: ignore[union-attr]
    call(state, "add_update", _update(note="x"))
    assert _events(db, other_d) == 1 and state.gate in ("signed_out", "ready")


def test_finance_reviewer_reads_but_cannot_update_or_share(db: Session) -> None:
    t = make_tenant(db)
    d = _new(db, t)
    state = _staff(db, DeliveryDetailState, t.finance, DETAIL, d)
    assert state.gate == "ready" and state.can_manage is False
    result = call(state, "add_update", _update(note="sneaky"))
    assert "toast" in str(result).lower()
    call(state, "share")
    assert _events(db, d) == 1 and _row(db, d).status is S.SCHEDULED and not _row(db, d).shared


def test_a_transition_that_is_not_allowed_gives_a_clear_toast(db: Session) -> None:
    t = make_tenant(db)
    d = _new(db, t)
    state = _staff(db, DeliveryDetailState, t.team_lead, DETAIL, d)
    result = call(state, "add_update", _update(status="delivered"))
    assert "A delivery that is scheduled cannot become delivered." in str(result)
    result = call(state, "add_update", _update(status="teleported"))
    assert state.errors["status"] == "Choose the delivery's status." and "no update was added" in str(result)
    call(state, "add_update", _update(status="cancelled"))
    assert state.closed and state.next_statuses == []
    result = call(state, "add_update", _update(status="cancelled", note="again"))
    assert "its timeline is closed" in str(result)
    assert _events(db, d) == 2


def test_share_and_stop_sharing(db: Session) -> None:
    t = make_tenant(db)
    d = _new(db, t)
    state = _staff(db, DeliveryDetailState, t.team_lead, DETAIL, d)
    assert "is shared" in str(call(state, "share")) and state.shared and _row(db, d).shared
    portal = _contact(db, PortalDeliveriesState, t.contact, P_LIST)
    assert [r.reference for r in portal.rows] == ["PO-100"]
    assert "no longer shared" in str(call(state, "unshare")) and not _row(db, d).shared
    assert _contact(db, PortalDeliveryState, t.contact, P_DETAIL, d).gate == "not_found"


# -- portal --------------------------------------------------------------------------------------------------


def test_portal_pages_show_own_shared_deliveries_without_internal_events(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    mine = _new(db, t, shared=True, expected_on=deliveries.today() - timedelta(days=1))
    deliveries.add_delivery_event(db, t.team_lead, mine, status=S.IN_TRANSIT, note="On the road")
    deliveries.add_delivery_event(
        db, t.team_lead, mine, status=S.IN_TRANSIT, note="driver drunk", internal=True
    )
    db.commit()
    hidden = _new(db, t, reference="UNSHARED")
    sibling = _new(db, t, account=t.other_account, shared=True, reference="SIBLING")
    theirs = _new(db, other, shared=True, reference="THEIRS")

    listing = _contact(db, PortalDeliveriesState, t.contact, P_LIST)
    assert listing.gate == "ready" and [r.reference for r in listing.rows] == ["PO-100"]
    row = listing.rows[0]
    assert row.status_label == "Delayed" and row.status_icon == "clock-alert" and row.latest == "On the road"
    detail = _contact(db, PortalDeliveryState, t.contact, P_DETAIL, mine)
    assert detail.gate == "ready" and [e.note for e in detail.events] == ["On the road", ""]  # newest first
    shown = repr(listing.rows) + repr(detail.events) + detail.description + detail.problem_note
    assert (
        "driver" not in shown and "overcharges" not in shown and "internal" not in repr(detail.events).lower()
    )
    assert not any(hasattr(e, "internal") or hasattr(e, "by") for e in detail.events)

    for record_id in (hidden, sibling, theirs, "abc", "0"):
        assert _contact(db, PortalDeliveryState, t.contact, P_DETAIL, record_id).gate == "not_found"
    no_ops = make_contact(db, t.account, billing=True, operations=False, documents=True)
    db.commit()
    for cls, path, rid in ((PortalDeliveriesState, P_LIST, None), (PortalDeliveryState, P_DETAIL, mine)):
        for contact in (no_ops, t.billing_contact):
            state = _contact(db, cls, contact, path, rid)
            assert state.gate == "not_found"
    deliveries.add_delivery_event(db, t.team_lead, mine, status=S.EXCEPTION, note="Dock closed <b>today</b>")
    db.commit()
    problem = _contact(db, PortalDeliveryState, t.contact, P_DETAIL, mine)
    assert problem.status_label == "Delivery problem" and problem.status_icon == "triangle-alert"
    assert problem.problem_note == "Dock closed <b>today</b>"  # the team's words, as text
    staff = _staff(db, PortalDeliveryState, t.owner, P_DETAIL, mine)
    assert staff.gate == "no_access" and staff.events == []
