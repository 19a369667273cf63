"""What waits for a contact (portal home), the portal estimate list with totals, and re-issue differences."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from models.portal import PortalLine, PortalLineChange
from portal_app.services import approvals, estimates
from portal_app.services.errors import NotFound
from portal_app.services.lines import LineInput
from tests.factories import make_tenant

LINES = [
    LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000),
    LineInput("Hosting", quantity=1, unit_price_minor=4_999),
]


def shared(session, t, title="Website", account=None, **kw):
    est = estimates.create_estimate(
        session, t.team_lead, (account or t.account).id, title=title, lines=LINES, **kw
    )
    return estimates.share_estimate(session, t.team_lead, est.id)


def test_waiting_estimates_are_scoped_counted_and_nearest_first(session):
    t, other = make_tenant(session), make_tenant(session)
    today = estimates.today()
    shared(session, t, "Later", valid_until=today + timedelta(days=9))
    shared(session, t, "Sooner", valid_until=today + timedelta(days=2))
    shared(session, t, "No end")
    shared(session, t, "Other account", account=t.other_account)
    shared(session, other, "Other workspace")
    estimates.create_estimate(session, t.team_lead, t.account.id, title="Draft", lines=LINES)
    done = shared(session, t, "Decided")
    estimates.decide_estimate(
        session,
        t.contact,
        done.id,
        decision="approve",
        version=1,
        signature="Al",
        idempotency_key=uuid.uuid4().hex,
    )
    page = estimates.portal_waiting_estimates(session, t.contact, limit=2)
    assert page.total == 3
    assert [e.title for e in page.items] == ["Sooner", "Later"]
    assert page.items[0].total_minor == 154_999
    with pytest.raises(NotFound):
        estimates.portal_waiting_estimates(session, t.billing_contact)
    with pytest.raises(NotFound):
        estimates.portal_waiting_estimates(session, t.owner)


def test_portal_list_carries_totals_and_puts_waiting_first(session):
    t = make_tenant(session)
    first = shared(session, t, "Waiting")
    second = shared(session, t, "Declined")
    estimates.decide_estimate(
        session,
        t.contact,
        second.id,
        decision="decline",
        version=1,
        note="No",
        idempotency_key=uuid.uuid4().hex,
    )
    newest_first = estimates.portal_list_estimates(session, t.contact)
    assert [e.id for e in newest_first.items] == [second.id, first.id]
    waiting_first = estimates.portal_list_estimates(session, t.contact, waiting_first=True)
    assert [e.id for e in waiting_first.items] == [first.id, second.id]
    assert {e.total_minor for e in waiting_first.items} == {154_999}
    assert all(e.lines == [] for e in waiting_first.items)


def test_version_changes_compare_with_the_previous_version_without_costs(session):
    t = make_tenant(session)
    est = shared(session, t, customer_notes="Old terms")
    assert estimates.portal_version_changes(session, t.contact, est.id) is None
    estimates.reissue_estimate(
        session,
        t.team_lead,
        est.id,
        lines=[LineInput("Design work", 10, 12_500, 2000, unit_cost_minor=1), LineInput("SEO", 1, 900)],
        valid_until=None,
        customer_notes="New terms",
    )
    diff = estimates.portal_version_changes(session, t.contact, est.id)
    assert diff is not None and diff.previous_version == 1 and diff.previous_total_minor == 154_999
    assert diff.notes_changed is True
    # A change of internal cost only is not a change the customer sees.
    assert [(c.change, c.description) for c in diff.lines] == [("added", "SEO"), ("removed", "Hosting")]
    assert "cost" not in repr(diff)
    with pytest.raises(NotFound):
        estimates.portal_version_changes(session, t.other_contact, est.id)


def test_diff_lines_matches_by_description_and_keeps_duplicates_apart():
    def line(desc, qty=1, price=100, position=1):
        return PortalLine(
            position=position,
            description=desc,
            quantity=qty,
            unit_price_minor=price,
            tax_rate_bp=0,
            total_minor=0,
        )

    before = [line("A"), line("A", 2), line("B")]
    after = [line("a", 1), line("C"), line("B", price=150)]
    changes = estimates.diff_lines(before, after)
    assert [(c.change, c.description) for c in changes] == [
        ("added", "C"),
        ("changed", "B"),
        ("removed", "A"),
    ]
    assert isinstance(changes[0], PortalLineChange) and changes[1].before is not None


def test_pending_approvals_nearest_due_first_and_scoped(session):
    t = make_tenant(session)
    today = estimates.today()
    approvals.create_approval_request(session, t.team_lead, t.account.id, title="Undated")
    approvals.create_approval_request(
        session, t.team_lead, t.account.id, title="Soon", due_on=today + timedelta(days=1)
    )
    answered = approvals.create_approval_request(session, t.team_lead, t.account.id, title="Answered")
    approvals.respond_to_approval(
        session, t.contact, answered.id, decision="approve", idempotency_key=uuid.uuid4().hex
    )
    approvals.create_approval_request(session, t.team_lead, t.other_account.id, title="Other")
    page = approvals.portal_pending_approvals(session, t.contact)
    assert page.total == 2 and [a.title for a in page.items] == ["Soon", "Undated"]
    listed = approvals.portal_list_approvals(session, t.contact, waiting_first=True)
    assert [a.title for a in listed.items][-1] == "Answered"
    with pytest.raises(NotFound):
        approvals.portal_pending_approvals(session, t.billing_contact)
