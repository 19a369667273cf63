"""Statement snapshots: who may share and read them, frozen numbers, newest first, audited."""

from __future__ import annotations

from datetime import date

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import AuditEvent, StatementSnapshot
from portal_app.services import invoices, snapshots
from portal_app.services.errors import Forbidden, NotFound, ValidationFailed
from tests.factories import make_contact, make_tenant, operator

START, END = date(2026, 1, 1), date(2026, 3, 31)


@pytest.fixture()
def world(session):
    a, b = make_tenant(session), make_tenant(session)
    inv = invoices.create_invoice(
        session, a.finance, a.account.id, lines=[{"description": "Work", "unit_price_minor": 10_000}]
    )
    inv = invoices.issue_invoice(session, a.finance, inv.id, issue_date=date(2026, 1, 10))
    invoices.record_payment(
        session, a.finance, inv.id, amount_minor=4_000, currency="USD", received_on=date(2026, 1, 20)
    )
    return a, b, inv


def share(session, actor, account_id, start=START, end=END):
    return snapshots.share_statement(session, actor, account_id, period_start=start, period_end=end)


@pytest.mark.parametrize("role", ["finance", "manager", "owner"])
def test_reviewers_managers_and_owners_share(session, world, role):
    a, _, _ = world
    snap = share(session, getattr(a, role), a.account.id)
    assert snap.statement.closing_balance_minor == 6_000
    assert snap.account_id == a.account.id and (snap.period_start, snap.period_end) == (START, END)
    assert snap.shared_by.startswith("User ")
    event = session.exec(
        select(AuditEvent).where(AuditEvent.workspace_id == a.ws.id, AuditEvent.action == "statement.shared")
    ).one()
    assert event.target_id == snap.id


def test_team_lead_cannot_share(session, world):
    a, _, _ = world
    with pytest.raises(Forbidden):
        share(session, a.team_lead, a.account.id)
    assert session.scalar(sa.select(sa.func.count()).select_from(StatementSnapshot)) == 0


def test_nobody_shares_into_another_workspace_or_as_a_contact(session, world):
    a, b, _ = world
    for actor, account_id in (
        (b.owner, a.account.id),
        (a.contact, a.account.id),
        (a.billing_contact, a.account.id),
        (operator(), a.account.id),
    ):
        with pytest.raises(NotFound):
            share(session, actor, account_id)
    assert session.scalar(sa.select(sa.func.count()).select_from(StatementSnapshot)) == 0


def test_bad_period_is_refused(session, world):
    a, _, _ = world
    with pytest.raises(ValidationFailed):
        share(session, a.finance, a.account.id, start=END, end=START)


def test_the_shared_numbers_are_frozen(session, world):
    a, _, inv = world
    snap = share(session, a.finance, a.account.id)
    invoices.record_payment(
        session, a.finance, inv.id, amount_minor=1_000, currency="USD", received_on=date(2026, 2, 1)
    )
    again = snapshots.get_snapshot(session, a.billing_contact, snap.id)
    assert again.statement.closing_balance_minor == 6_000
    assert again.statement == snap.statement
    newer = share(session, a.finance, a.account.id)
    assert newer.id != snap.id and newer.statement.closing_balance_minor == 5_000


def test_sharing_the_same_statement_twice_keeps_one(session, world):
    a, _, _ = world
    first = share(session, a.finance, a.account.id)
    second = share(session, a.manager, a.account.id)
    assert second.id == first.id
    assert session.scalar(sa.select(sa.func.count()).select_from(StatementSnapshot)) == 1


def test_get_snapshot_scope(session, world):
    a, b, _ = world
    snap = share(session, a.finance, a.account.id)
    no_billing = make_contact(session, a.account, billing=False)
    session.commit()
    for actor in (a.contact, a.billing_contact, a.team_lead, a.finance):
        assert snapshots.get_snapshot(session, actor, snap.id).id == snap.id
    for actor in (
        b.owner,  # another workspace
        b.contact,
        a.other_contact,  # another account of the same workspace
        no_billing,  # a contact of the account without billing
        operator(),
    ):
        with pytest.raises(NotFound):
            snapshots.get_snapshot(session, actor, snap.id)
    with pytest.raises(NotFound):
        snapshots.get_snapshot(session, a.finance, snap.id + 10_000)


def test_lists_are_scoped_and_newest_first(session, world):
    a, b, inv = world
    first = share(session, a.finance, a.account.id)
    other_account = share(session, a.finance, a.other_account.id)
    second = share(session, a.finance, a.account.id, start=date(2026, 1, 15))
    b_snap = share(session, b.finance, b.account.id)

    staff = snapshots.list_snapshots(session, a.team_lead)
    assert [s.id for s in staff.items] == [second.id, other_account.id, first.id] and staff.total == 3
    only = snapshots.list_snapshots(session, a.team_lead, account_id=a.account.id)
    assert [s.id for s in only.items] == [second.id, first.id]
    assert snapshots.list_snapshots(session, a.owner, account_id=b.account.id).items == []

    portal = snapshots.portal_list_snapshots(session, a.billing_contact)
    assert [s.id for s in portal.items] == [second.id, first.id]
    assert b_snap.id not in [s.id for s in snapshots.portal_list_snapshots(session, a.contact).items]
    assert [s.id for s in snapshots.portal_list_snapshots(session, a.other_contact).items] == [
        other_account.id
    ]

    no_billing = make_contact(session, a.account, billing=False)
    session.commit()
    for actor in (no_billing, a.owner, operator()):
        with pytest.raises(NotFound):
            snapshots.portal_list_snapshots(session, actor)
    for actor in (a.contact, operator()):
        with pytest.raises(NotFound):
            snapshots.list_snapshots(session, actor)
