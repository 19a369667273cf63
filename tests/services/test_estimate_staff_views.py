"""Staff estimate views: list search (scoped, literal), the detail with versions, differences and the decision."""

from __future__ import annotations

import uuid

import pytest
from sqlmodel import Session

from models import Estimate, EstimateStatus
from portal_app.services import estimates
from portal_app.services.errors import NotFound
from portal_app.services.lines import LineInput
from tests.factories import make_tenant

LINES = [
    LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000),
    LineInput("Hosting", quantity=1, unit_price_minor=4_999),
]


def _create(session: Session, t, title: str, account=None, lines=LINES):  # type: ignore[no-untyped-def]
    account = account or t.account
    return estimates.create_estimate(session, t.team_lead, account.id, title=title, lines=lines)


def test_search_matches_number_title_and_account_name_within_the_workspace(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    t.account.name, t.other_account.name = "Contoso Retail", "Fabrikam Logistics"
    other.account.name = "Contoso Retail"
    session.add_all([t.account, t.other_account, other.account])
    session.flush()
    a = _create(session, t, "Website rebuild")
    b = _create(session, t, "Warehouse signage", account=t.other_account)
    _create(session, other, "Website rebuild")

    def found(text: str, actor=None) -> set[int]:  # type: ignore[no-untyped-def]
        page = estimates.list_estimates(session, actor or t.owner, search=text)
        assert page.total == len(page.items)
        return {e.id for e in page.items}

    assert found("website") == {a.id}
    assert found("CONTOSO") == {a.id}
    assert found("fabrikam") == {b.id}
    assert found(a.number) == {a.id}
    assert found("  ware  ") == {b.id}
    assert found("nothing like it") == set()
    # Wildcards are matched literally, not as patterns.
    assert found("%") == set() and found("_") == set()
    # Another workspace's estimate with the same account name and title never shows.
    assert found("contoso", other.owner) != found("contoso")


def test_search_combines_with_status_and_pages_in_the_database(session: Session) -> None:
    t = make_tenant(session)
    ids = [_create(session, t, f"Job {i}").id for i in range(5)]
    estimates.share_estimate(session, t.team_lead, ids[0])
    page = estimates.list_estimates(session, t.owner, search="job", status=EstimateStatus.DRAFT, limit=2)
    assert page.total == 4 and len(page.items) == 2
    shared = estimates.list_estimates(session, t.owner, search="job", status=EstimateStatus.SHARED)
    assert [e.id for e in shared.items] == [ids[0]]
    # Each row carries its current version's amounts (one query for the page).
    assert shared.items[0].total_minor == 154_999 and shared.items[0].cost_minor == 60_000
    assert all(e.total_minor == 154_999 for e in page.items)


def test_detail_of_a_first_version_has_no_changes(session: Session) -> None:
    t = make_tenant(session)
    est = _create(session, t, "Website rebuild")
    detail = estimates.get_estimate_detail(session, t.finance, est.id)
    assert detail.account_name == t.account.name
    assert [v.version for v in detail.versions] == [1]
    assert detail.versions[0].line_count == 2 and detail.versions[0].total_minor == est.total_minor
    assert detail.changes == [] and detail.signature == "" and detail.decided_by == ""


def test_detail_shows_what_a_reissue_changed_and_the_decision(session: Session) -> None:
    t = make_tenant(session)
    est = _create(session, t, "Website rebuild")
    estimates.share_estimate(session, t.team_lead, est.id)
    estimates.decide_estimate(
        session,
        t.contact,
        est.id,
        decision="request_changes",
        version=1,
        note="Hosting for two years, please",
        idempotency_key=uuid.uuid4().hex,
    )
    decided = estimates.get_estimate_detail(session, t.owner, est.id)
    assert decided.estimate.status is EstimateStatus.CHANGES_REQUESTED
    assert decided.estimate.decision_note == "Hosting for two years, please"
    assert decided.decided_by != ""
    new_lines = [
        LineInput(
            "design   WORK", quantity=12, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000
        ),
        LineInput("Support", quantity=1, unit_price_minor=1_000),
    ]
    estimates.reissue_estimate(session, t.team_lead, est.id, lines=new_lines, valid_until=None)
    estimates.decide_estimate(
        session,
        t.contact,
        est.id,
        decision="approve",
        version=2,
        signature="Alice Example",
        idempotency_key=uuid.uuid4().hex,
    )
    detail = estimates.get_estimate_detail(session, t.owner, est.id)
    assert [v.version for v in detail.versions] == [2, 1]
    kinds = {(c.kind, c.description) for c in detail.changes}
    assert kinds == {("changed", "design WORK"), ("added", "Support"), ("removed", "Hosting")}
    changed = next(c for c in detail.changes if c.kind == "changed")
    assert changed.before is not None and changed.after is not None
    assert (changed.before.quantity, changed.after.quantity) == (10, 12)
    assert detail.signature == "Alice Example" and detail.estimate.decided_at is not None


def test_detail_and_names_of_another_workspace_are_not_found(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    est = _create(session, t, "Website rebuild")
    with pytest.raises(NotFound):
        estimates.get_estimate_detail(session, other.owner, est.id)
    with pytest.raises(NotFound):
        estimates.get_estimate_detail(session, t.owner, 10**9)
    assert estimates.account_names(session, other.owner, [t.account.id]) == {}
    assert estimates.account_names(session, t.owner, [t.account.id]) == {t.account.id: t.account.name}
    assert session.get(Estimate, est.id) is not None
