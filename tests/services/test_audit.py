"""The audit chain: appends link up, the verifier names an edited or deleted row, concurrency keeps one chain."""

from __future__ import annotations

import threading

import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuditEvent
from portal_app.services import audit
from tests.factories import make_tenant


def _fill(session, t, n=5):
    for i in range(n):
        audit.append_event(session, workspace_id=t.ws.id, actor=t.owner, action="test.event", data={"i": i})
    session.commit()


def test_chain_verifies_and_is_per_workspace(session):
    a, b = make_tenant(session), make_tenant(session)
    _fill(session, a)
    _fill(session, b, 3)
    assert audit.verify_chain(session, a.ws.id).ok
    assert audit.verify_chain(session, a.ws.id).events == 5
    assert audit.verify_chain(session, b.ws.id).events == 3
    assert [e.seq for e in audit.list_events(session, a.finance)] == [5, 4, 3, 2, 1]


def test_verifier_names_an_edited_row(session):
    t = make_tenant(session)
    _fill(session, t)
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.workspace_id == t.ws.id, AuditEvent.seq == 3)
        .values(data='{"i":99}')
    )
    report = audit.verify_chain(session, t.ws.id)
    assert not report.ok and report.first_broken_seq == 3 and "altered" in report.reason


def test_verifier_names_a_deleted_row(session):
    t = make_tenant(session)
    _fill(session, t)
    session.execute(sa.delete(AuditEvent).where(AuditEvent.workspace_id == t.ws.id, AuditEvent.seq == 2))
    report = audit.verify_chain(session, t.ws.id)
    assert not report.ok and report.first_broken_seq == 2 and "missing" in report.reason


def test_verifier_notices_the_latest_row_removed(session):
    t = make_tenant(session)
    _fill(session, t)
    session.execute(sa.delete(AuditEvent).where(AuditEvent.workspace_id == t.ws.id, AuditEvent.seq == 5))
    report = audit.verify_chain(session, t.ws.id)
    assert not report.ok and report.first_broken_seq == 5


def test_verifier_notices_a_rehashed_forgery(session):
    """Editing a row and recomputing its own hash still breaks the link to the next row."""
    t = make_tenant(session)
    _fill(session, t)
    row = session.exec(
        select(AuditEvent).where(AuditEvent.workspace_id == t.ws.id, AuditEvent.seq == 2)
    ).one()
    row.data = '{"i":42}'
    row.hash = audit._digest(row)
    session.add(row)
    session.flush()
    report = audit.verify_chain(session, t.ws.id)
    assert not report.ok and report.first_broken_seq == 3


def test_concurrent_appends_form_one_chain(committed_engine):
    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
    barrier = threading.Barrier(8)

    def writer() -> None:
        barrier.wait()
        for _ in range(5):
            with Session(committed_engine) as s:
                audit.append_event(s, workspace_id=t.ws.id, actor=t.owner, action="race")
                s.commit()

    threads = [threading.Thread(target=writer) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    with Session(committed_engine) as s:
        report = audit.verify_chain(s, t.ws.id)
        assert report.ok and report.events == 40
