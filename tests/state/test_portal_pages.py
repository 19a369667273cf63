"""Contact pages for estimates and approvals, driven without a browser: gates, decisions, forged input.

Each state is built for one tab whose websocket carried a contact's session cookie and whose route is the page's
(the ``[id]`` of a detail page comes from the route, as the browser would send it). Data is committed.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any, TypeVar

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import ApprovalRequest, ApprovalStatus, AuditEvent, Estimate, EstimateStatus, FollowUpTask  # noqa: E402
from portal_app import routes
from portal_app.services import approvals, estimates, identity  # noqa: E402
from portal_app.services.lines import LineInput  # noqa: E402
from portal_app.services.permissions import ContactPermission  # noqa: E402
from portal_app.services.sessions import COOKIE_NAME  # noqa: E402
from state.portal import GLANCE_ICONS, PortalHomeState  # noqa: E402
from state.portal_approvals import PortalApprovalsState, PortalApprovalState  # noqa: E402
from state.portal_estimates import PortalEstimatesState, PortalEstimateState  # noqa: E402
from tests.factories import Tenant, make_tenant  # noqa: E402

S = TypeVar("S", bound=rx.State)

LINES = [
    LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000),
    LineInput("Hosting", quantity=1, unit_price_minor=4_999),
]


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def token_for(db: Session, actor: Any) -> str:
    from models import Contact

    issued = identity.start_contact_session(
        db, db.get(Contact, actor.contact_id), actor.account_id, via="test"
    )
    db.commit()
    return issued.token


def tab(cls: type[S], token: str | None, pattern: str, record_id: Any = None) -> S:
    """A fresh state tree for one tab on ``pattern`` (``/portal/estimates/[id]`` with ``record_id``)."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    query = {"id": str(record_id)} if record_id is not None else {}
    path = pattern.replace("[id]", str(record_id)) if record_id is not None else pattern
    router = RouterData.from_router_data(
        {
            "headers": {"cookie": f"{COOKIE_NAME}={token}" if token else ""},
            "pathname": pattern,
            "asPath": path,
            "query": query,
            "token": "t",
        }
    )
    current: Any = state
    while current is not None:
        current.router = router
        current = current.parent_state
    object.__setattr__(root, "router", router)
    return state  # type: ignore[return-value]


def call(state: rx.State, handler: str, *args: Any) -> Any:
    return getattr(type(state), handler).fn(state, *args)


def shared_estimate(db: Session, t: Tenant, *, title: str = "Website rebuild", **kw: Any) -> int:
    est = estimates.create_estimate(db, t.team_lead, t.account.id, title=title, lines=LINES, **kw)
    estimates.share_estimate(db, t.team_lead, est.id)
    return est.id


def estimate_tab(db: Session, actor: Any, estimate_id: Any) -> PortalEstimateState:
    state = tab(
        PortalEstimateState, token_for(db, actor), routes.record_pattern(routes.PORTAL_ESTIMATES), estimate_id
    )
    call(state, "load")
    return state


def status_of(db: Session, estimate_id: int) -> EstimateStatus:
    db.rollback()
    est = db.get(Estimate, estimate_id)
    assert est is not None
    db.refresh(est)
    return est.status


def tasks_for(db: Session, source_type: str, source_id: int) -> int:
    db.rollback()
    return len(
        db.exec(
            select(FollowUpTask).where(
                FollowUpTask.source_type == source_type, FollowUpTask.source_id == source_id
            )
        ).all()
    )


APPROVE = {"decision": "approve", "signature": "Alice Buyer", "accept_terms": "on"}


# -- gates --------------------------------------------------------------------------------------------------------


def test_contact_of_another_account_gets_not_found_on_an_estimate(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    for forged in (est_id, "abc", "-1", est_id + 1000):
        state = estimate_tab(db, t.other_contact, forged)
        assert state.gate == "not_found"
        assert state.title == "" and state.lines == [] and state.total == ""
    # The rightful contact sees it.
    assert estimate_tab(db, t.contact, est_id).gate == "ready"


def test_a_draft_is_not_found_for_the_accounts_own_contact(db: Session) -> None:
    t = make_tenant(db)
    draft = estimates.create_estimate(db, t.team_lead, t.account.id, title="Secret draft", lines=LINES)
    state = estimate_tab(db, t.contact, draft.id)
    assert state.gate == "not_found" and state.title == ""


@pytest.mark.parametrize(
    ("cls", "pattern", "with_id"),
    [
        (PortalEstimatesState, routes.PORTAL_ESTIMATES, False),
        (PortalApprovalsState, routes.PORTAL_APPROVALS, False),
        (PortalEstimateState, routes.record_pattern(routes.PORTAL_ESTIMATES), True),
        (PortalApprovalState, routes.record_pattern(routes.PORTAL_APPROVALS), True),
    ],
)
def test_billing_only_contact_gets_not_found(
    db: Session, cls: type[rx.State], pattern: str, with_id: bool
) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    appr = approvals.create_approval_request(db, t.team_lead, t.account.id, title="Artwork")
    record = (est_id if cls is PortalEstimateState else appr.id) if with_id else None
    state = tab(cls, token_for(db, t.billing_contact), pattern, record)
    call(state, "load")
    assert state.gate == "not_found"  # type: ignore[attr-defined]
    assert "Website rebuild" not in repr(state.dict()) and "Artwork" not in repr(state.dict())
    # The shell still shows the way on, without the operations areas.
    assert [n.label for n in state.portal_nav] == ["Home", "Invoices", "Statements", "Messages"]  # type: ignore[attr-defined]
    # The phone's bottom bar groups invoices and statements under one tab.
    assert [(n.label, n.href) for n in state.portal_tabs] == [  # type: ignore[attr-defined]
        ("Home", routes.PORTAL),
        ("Billing", routes.PORTAL_INVOICES),
        ("Messages", routes.PORTAL_MESSAGES),
    ]


def test_staff_and_anonymous_get_no_portal_data(db: Session) -> None:
    t = make_tenant(db)
    shared_estimate(db, t)
    state = tab(PortalEstimatesState, None, routes.PORTAL_ESTIMATES)
    call(state, "load")
    assert state.gate == "signed_out" and state.rows == []


# -- home ---------------------------------------------------------------------------------------------------------


def test_home_lists_what_waits_nearest_deadline_first(db: Session) -> None:
    t = make_tenant(db)
    today = estimates.today()
    shared_estimate(db, t, title="Later", valid_until=today + timedelta(days=30))
    shared_estimate(db, t, title="Sooner", valid_until=today + timedelta(days=3))
    shared_estimate(db, t, title="Open-ended")
    decided = shared_estimate(db, t, title="Decided")
    estimates.decide_estimate(
        db,
        t.contact,
        decided,
        decision="approve",
        version=1,
        signature="Al",
        idempotency_key=uuid.uuid4().hex,
    )
    approvals.create_approval_request(
        db, t.team_lead, t.account.id, title="Proof", due_on=today + timedelta(days=1)
    )
    approvals.create_approval_request(db, t.team_lead, t.other_account.id, title="Not theirs")
    state = tab(PortalHomeState, token_for(db, t.contact), routes.PORTAL)
    call(state, "load")
    assert state.gate == "ready" and state.operations is True
    assert state.estimates_waiting == 3 and state.approvals_waiting == 1
    assert [r.title for r in state.waiting_estimates] == ["Sooner", "Later", "Open-ended"]
    assert state.waiting_estimates[0].href.startswith("/portal/estimates/")
    assert state.waiting_approvals[0].title == "Proof" and state.waiting_approvals[0].deadline.startswith(
        "Due "
    )
    assert "Not theirs" not in repr(state.dict())
    glance = {g.key: (g.count, g.href) for g in state.glance}
    assert glance["decisions"] == (4, routes.PORTAL_ESTIMATES)
    assert set(glance) == {"decisions", "messages", "deliveries"} | (
        {"billing"} if ContactPermission.BILLING in t.contact.permissions else set()
    ) | ({"documents"} if ContactPermission.DOCUMENTS in t.contact.permissions else set())
    # The page draws each tile's icon from a fixed list (a dynamic icon would pull a 54 KB loader): all are in it.
    assert {g.icon for g in state.glance} <= set(GLANCE_ICONS)


def test_home_of_a_billing_contact_has_no_decision_areas(db: Session) -> None:
    t = make_tenant(db)
    shared_estimate(db, t)
    state = tab(PortalHomeState, token_for(db, t.billing_contact), routes.PORTAL)
    call(state, "load")
    assert state.gate == "ready" and state.operations is False
    assert state.estimates_waiting == 0 and state.waiting_estimates == []
    assert "Estimates" not in [n.label for n in state.portal_nav]
    # Only the areas a billing contact has: invoices and messages, each with a count and a link.
    assert [(g.key, g.href) for g in state.glance] == [
        ("billing", routes.PORTAL_INVOICES),
        ("messages", routes.PORTAL_MESSAGES),
    ]
    assert call(state, "send_to_sign_in") is None


def test_home_sends_the_signed_out_to_sign_in(db: Session) -> None:
    state = tab(PortalHomeState, None, routes.PORTAL)
    call(state, "load")
    assert state.gate == "signed_out" and state.account_name == ""
    assert call(state, "send_to_sign_in") is not None


# -- estimate decisions ------------------------------------------------------------------------------------------


def test_list_shows_totals_and_waiting_first(db: Session) -> None:
    t = make_tenant(db)
    first = shared_estimate(db, t, title="Old and waiting")
    done = shared_estimate(db, t, title="Newer, decided")
    estimates.decide_estimate(
        db, t.contact, done, decision="approve", version=1, signature="Al", idempotency_key=uuid.uuid4().hex
    )
    state = tab(PortalEstimatesState, token_for(db, t.contact), routes.PORTAL_ESTIMATES)
    call(state, "load")
    assert [r.title for r in state.rows] == ["Old and waiting", "Newer, decided"]
    assert state.rows[0].total == "$1,549.99" and state.rows[0].status == "Awaiting your decision"
    assert state.rows[0].href == f"/portal/estimates/{first}"
    assert state.rows[1].status == "Approved" and state.page_label == "1-2 of 2"


def test_approve_with_a_blank_signature_shows_a_field_error_and_decides_nothing(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    state = estimate_tab(db, t.contact, est_id)
    assert state.open_for_decision is True
    call(state, "decide", {"decision": "approve", "signature": "   ", "accept_terms": "on"})
    assert "signature" in state.errors
    call(state, "decide", {"decision": "approve", "signature": "Alice Buyer"})
    assert "accept_terms" in state.errors and "signature" not in state.errors
    assert status_of(db, est_id) is EstimateStatus.SHARED
    assert tasks_for(db, "estimate", est_id) == 0


def test_approve_signs_and_confirms_what_comes_next(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t, customer_notes="Two rounds of revisions included.")
    state = estimate_tab(db, t.contact, est_id)
    assert state.terms == "Two rounds of revisions included."
    assert [ln.total for ln in state.lines] == ["$1,250.00", "$49.99"] and state.total == "$1,549.99"
    result = call(state, "decide", APPROVE)
    assert "Estimate approved. The " + t.ws.name + " team has been notified" in str(result)
    assert status_of(db, est_id) is EstimateStatus.APPROVED
    assert db.get(Estimate, est_id).signature == "Alice Buyer"  # type: ignore[union-attr]
    assert state.open_for_decision is False and "approved on" in state.closed_reason
    assert state.errors == {}


def test_a_double_submit_with_the_same_form_key_decides_once(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    state = estimate_tab(db, t.contact, est_id)
    key = state._key()
    call(state, "decide", APPROVE)
    # The same form sent again (a retried event from a tab that had not seen the answer yet).
    state._form_key, state.open_for_decision = key, True
    result = call(state, "decide", APPROVE)
    assert "Estimate approved" in str(result)
    assert tasks_for(db, "estimate", est_id) == 1
    approved = db.exec(
        select(AuditEvent).where(AuditEvent.action == "estimate.approved", AuditEvent.target_id == est_id)
    ).all()
    assert len(approved) == 1
    # A click after the page shows the answer does nothing at all.
    assert call(state, "decide", APPROVE) is None
    assert tasks_for(db, "estimate", est_id) == 1


@pytest.mark.parametrize(
    "form",
    [
        {"decision": "approved", "signature": "Alice Buyer", "accept_terms": "on"},
        {"decision": "expire"},
        {"decision": ["approve"], "signature": "Alice Buyer", "accept_terms": "on"},
        {"signature": "Alice Buyer", "accept_terms": "on"},
        "approve",
    ],
)
def test_forged_decision_values_are_refused(db: Session, form: Any) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    state = estimate_tab(db, t.contact, est_id)
    call(state, "decide", form)
    assert "decision" in state.errors
    assert status_of(db, est_id) is EstimateStatus.SHARED
    assert tasks_for(db, "estimate", est_id) == 0


def test_forged_route_id_after_load_decides_only_the_loaded_estimate(db: Session) -> None:
    t = make_tenant(db)
    mine = shared_estimate(db, t)
    theirs = estimates.create_estimate(db, t.team_lead, t.other_account.id, title="Theirs", lines=LINES)
    estimates.share_estimate(db, t.team_lead, theirs.id)
    state = estimate_tab(db, t.contact, mine)
    state.router.page.params["id"] = str(theirs.id)  # a forged router_data on the next event
    call(state, "decide", APPROVE)
    assert status_of(db, theirs.id) is EstimateStatus.SHARED
    assert tasks_for(db, "estimate", theirs.id) == 0


def test_request_changes_and_decline_need_a_note(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    state = estimate_tab(db, t.contact, est_id)
    call(state, "decide", {"decision": "request_changes", "request_changes_note": "  "})
    assert "request_changes_note" in state.errors
    call(state, "decide", {"decision": "decline", "decline_note": ""})
    assert "decline_note" in state.errors
    result = call(state, "decide", {"decision": "request_changes", "request_changes_note": "Four templates?"})
    assert "Change request sent" in str(result)
    assert status_of(db, est_id) is EstimateStatus.CHANGES_REQUESTED
    assert tasks_for(db, "estimate", est_id) == 1
    assert state.decision_note == "Four templates?" and "new version" in state.closed_reason


def test_reissued_version_shows_what_changed(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    estimates.decide_estimate(
        db,
        t.contact,
        est_id,
        decision="request_changes",
        version=1,
        note="Cheaper?",
        idempotency_key="k" * 12,
    )
    estimates.reissue_estimate(
        db,
        t.team_lead,
        est_id,
        lines=[
            LineInput("Design work", quantity=8, unit_price_minor=12_500, tax_rate_bp=2000),
            LineInput("SEO", 1, 900),
        ],
        valid_until=None,
    )
    state = estimate_tab(db, t.contact, est_id)
    assert state.version == 2 and state.previous_version == 1 and state.open_for_decision is True
    assert {(c.change, c.description) for c in state.changes} == {
        ("Changed", "Design work"),
        ("Added", "SEO"),
        ("Removed", "Hosting"),
    }
    changed = next(c for c in state.changes if c.change == "Changed")
    assert changed.before.startswith("10 × $125.00") and changed.after.startswith("8 × $125.00")
    assert state.previous_total == "$1,549.99"


def test_a_superseded_version_cannot_be_decided_and_the_page_says_why(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t)
    state = estimate_tab(db, t.contact, est_id)
    assert state.version == 1
    estimates.reissue_estimate(db, t.team_lead, est_id, lines=LINES[:1], valid_until=None)
    db.rollback()  # the service's read-back left a transaction open: SQLite would keep its write lock
    result = call(state, "decide", APPROVE)
    assert "newer version" in str(result)
    assert status_of(db, est_id) is EstimateStatus.SHARED and tasks_for(db, "estimate", est_id) == 0
    assert state.version == 2 and state.previous_version == 1  # the page now shows the new version


def test_an_expired_estimate_says_why_it_cannot_be_decided(db: Session) -> None:
    t = make_tenant(db)
    est_id = shared_estimate(db, t, valid_until=estimates.today())
    db.rollback()
    db.execute(
        sa.update(Estimate)
        .where(col(Estimate.id) == est_id)
        .values(valid_until=estimates.today() - timedelta(days=2))
    )
    db.commit()
    state = estimate_tab(db, t.contact, est_id)
    assert state.open_for_decision is False and "expired" in state.closed_reason
    assert call(state, "decide", APPROVE) is None
    assert status_of(db, est_id) is EstimateStatus.SHARED


# -- approvals ----------------------------------------------------------------------------------------------------


def approval_tab(db: Session, actor: Any, approval_id: Any) -> PortalApprovalState:
    state = tab(
        PortalApprovalState, token_for(db, actor), routes.record_pattern(routes.PORTAL_APPROVALS), approval_id
    )
    call(state, "load")
    return state


def test_approval_list_and_not_found_for_another_account(db: Session) -> None:
    t = make_tenant(db)
    appr = approvals.create_approval_request(db, t.team_lead, t.account.id, title="Hero artwork")
    state = tab(PortalApprovalsState, token_for(db, t.contact), routes.PORTAL_APPROVALS)
    call(state, "load")
    assert [r.title for r in state.rows] == ["Hero artwork"] and state.rows[0].status == "Awaiting decision"
    other = approval_tab(db, t.other_contact, appr.id)
    assert other.gate == "not_found" and other.title == ""


def test_approve_a_request_with_a_comment_once(db: Session) -> None:
    t = make_tenant(db)
    appr = approvals.create_approval_request(db, t.team_lead, t.account.id, title="Hero artwork")
    state = approval_tab(db, t.contact, appr.id)
    assert state.open_for_decision is True
    key = state._key()
    result = call(state, "respond", {"decision": "approve", "approve_note": "Looks great."})
    assert "Approved. The " + t.ws.name + " team has been notified" in str(result)
    state._form_key, state.open_for_decision = key, True
    call(state, "respond", {"decision": "approve", "approve_note": "Looks great."})
    db.rollback()
    assert db.get(ApprovalRequest, appr.id).status is ApprovalStatus.APPROVED  # type: ignore[union-attr]
    assert tasks_for(db, "approval", appr.id) == 1
    assert state.open_for_decision is False and "answered" in state.closed_reason


@pytest.mark.parametrize(
    "form",
    [
        {"decision": "request_changes", "request_changes_note": "x"},
        {"decision": "cancel"},
        {"decision": "decline", "decline_note": ""},
        None,
    ],
)
def test_forged_or_incomplete_answers_are_refused(db: Session, form: Any) -> None:
    t = make_tenant(db)
    appr = approvals.create_approval_request(db, t.team_lead, t.account.id, title="Hero artwork")
    state = approval_tab(db, t.contact, appr.id)
    call(state, "respond", form)
    assert state.errors
    db.rollback()
    assert db.get(ApprovalRequest, appr.id).status is ApprovalStatus.PENDING  # type: ignore[union-attr]
    assert tasks_for(db, "approval", appr.id) == 0


def test_bottom_bar_groups_decisions_and_billing_and_keeps_counts_and_active() -> None:
    from components.shell import NavItem
    from state.pages import portal_tabs

    def item(label: str, href: str, active: bool = False, count: int = 0) -> NavItem:
        return NavItem(label=label, href=href, group="", icon="dot", active=active, count=count)

    tabs = portal_tabs(
        [
            item("Home", routes.PORTAL),
            item("Estimates", routes.PORTAL_ESTIMATES),
            item("Approvals", routes.PORTAL_APPROVALS, active=True),
            item("Invoices", routes.PORTAL_INVOICES),
            item("Statements", routes.PORTAL_STATEMENTS),
            item("Documents", routes.PORTAL_DOCUMENTS),
            item("Messages", routes.PORTAL_MESSAGES, count=2),
            item("Deliveries", routes.PORTAL_DELIVERIES),
        ]
    )
    assert [(t.label, t.href, t.active, t.count) for t in tabs] == [
        ("Home", routes.PORTAL, False, 0),
        ("Decisions", routes.PORTAL_ESTIMATES, True, 0),
        ("Billing", routes.PORTAL_INVOICES, False, 0),
        ("Documents", routes.PORTAL_DOCUMENTS, False, 0),
        ("Messages", routes.PORTAL_MESSAGES, False, 2),
        ("Deliveries", routes.PORTAL_DELIVERIES, False, 0),
    ]


def test_grouped_pages_link_to_each_other_on_the_page() -> None:
    from state.pages import NavItem, portal_group

    nav = [
        NavItem("Home", routes.PORTAL, "", "house"),
        NavItem("Estimates", routes.PORTAL_ESTIMATES, "", "file-text", active=True),
        NavItem("Approvals", routes.PORTAL_APPROVALS, "", "badge-check"),
        NavItem("Invoices", routes.PORTAL_INVOICES, "", "receipt"),
    ]
    assert [i.label for i in portal_group(nav)] == ["Estimates", "Approvals"]
    # A group with one page the contact may see needs no links; a page outside any group neither.
    nav[1].active, nav[3].active = False, True
    assert portal_group(nav) == []
    nav[3].active, nav[0].active = False, True
    assert portal_group(nav) == []
