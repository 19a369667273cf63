"""The audit chain: appends link up, the verifier names an edited or deleted row, concurrency keeps one chain."""

from __future__ import annotations

import hashlib
import threading

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuditEvent, Workspace
from portal_app.services import audit
from portal_app.settings import get_settings
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


def _stale_reader(committed_engine, t) -> tuple[Session, Workspace]:
    """A session that read the workspace row (as resolving the actor does) and then ended its transaction, so
    the row sits in its identity map with the chain head of that moment (held: the map's references are weak)."""
    reader = Session(committed_engine, expire_on_commit=False)
    held = reader.get(Workspace, t.ws.id)
    assert held is not None and held.audit_seq == 5
    reader.commit()
    return reader, held


def _append_elsewhere(committed_engine, t, n: int) -> None:
    with Session(committed_engine) as other:
        for _ in range(n):
            audit.append_event(other, workspace_id=t.ws.id, actor=t.owner, action="meanwhile")
        other.commit()


def test_verify_reads_the_head_afresh_not_from_the_identity_map(committed_engine):
    """Events committed after the reader's workspace row was loaded do not read as "the latest was removed"."""
    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        _fill(s, t)
    reader, held = _stale_reader(committed_engine, t)
    try:
        _append_elsewhere(committed_engine, t, 3)
        assert reader.get(Workspace, t.ws.id) is held and held.audit_seq == 5  # the old head, in the map
        report = audit.verify_chain(reader, t.ws.id)
        assert report.ok and report.events == 8, report
        reader.commit()
        # A removed latest event is still caught, whatever the identity map holds.
        with Session(committed_engine) as s:
            s.execute(sa.delete(AuditEvent).where(AuditEvent.workspace_id == t.ws.id, AuditEvent.seq == 8))
            s.commit()
        gone = audit.verify_chain(reader, t.ws.id)
        assert not gone.ok and gone.first_broken_seq == 8 and "removed" in gone.reason
    finally:
        reader.close()


def test_verify_walks_up_to_the_head_it_read(session, monkeypatch):
    """An event appended after the head was read (a concurrent append) is the next check's, not a break."""
    t = make_tenant(session)
    _fill(session, t)
    real = audit._head_now

    def head_then_append(s, workspace_id):
        head = real(s, workspace_id)
        audit.append_event(s, workspace_id=workspace_id, actor=t.owner, action="meanwhile")
        return head

    monkeypatch.setattr(audit, "_head_now", head_then_append)
    report = audit.verify_chain(session, t.ws.id)
    assert report.ok and report.events == 5
    monkeypatch.setattr(audit, "_head_now", real)
    assert audit.verify_chain(session, t.ws.id).events == 6


def test_append_after_a_stale_read_continues_the_chain(committed_engine):
    """Appending locks the workspace row and reads the head under the lock, not from the identity map."""
    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        _fill(s, t)
    reader, held = _stale_reader(committed_engine, t)
    try:
        _append_elsewhere(committed_engine, t, 2)
        assert held.audit_seq == 5
        event = audit.append_event(reader, workspace_id=t.ws.id, actor=t.owner, action="after")
        reader.commit()
        assert event.seq == 8
        report = audit.verify_chain(reader, t.ws.id)
        assert report.ok and report.events == 8
        # Re-sealing (which locks first) sees the same fresh head.
        assert audit.reseal_chain(reader, t.ws.id).ok
        reader.commit()
        assert audit.verify_chain(reader, t.ws.id).ok
    finally:
        reader.close()


# --- the chain is keyed: database access alone cannot rebuild it ----------------------------------------------


@pytest.fixture()
def secret(monkeypatch):
    """Switch ``PORTAL_SESSION_SECRET`` (and the previous ones) for the rest of the test."""

    def use(current: str, *previous: str) -> None:
        monkeypatch.setenv("PORTAL_SESSION_SECRET", current)
        monkeypatch.setenv("PORTAL_SESSION_SECRET_PREVIOUS", ",".join(previous))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


def _rebuild(session, workspace_id: int, digest) -> None:
    """What someone with write access to the database does after editing a row: recompute every later link."""
    prev = audit.GENESIS
    rows = session.exec(
        select(AuditEvent).where(AuditEvent.workspace_id == workspace_id).order_by(AuditEvent.seq)
    )
    for row in rows.all():
        row.prev_hash = prev
        row.hash = digest(row)
        prev = row.hash
        session.add(row)
    ws = session.get(Workspace, workspace_id)
    ws.audit_head = prev
    session.add(ws)
    session.flush()


def _edit(session, workspace_id: int, seq: int) -> None:
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.workspace_id == workspace_id, AuditEvent.seq == seq)
        .values(data='{"i":"forged"}')
    )
    session.expire_all()


def test_a_chain_rebuilt_without_the_secret_is_caught(session):
    t = make_tenant(session)
    _fill(session, t)
    _edit(session, t.ws.id, 3)
    _rebuild(session, t.ws.id, lambda row: hashlib.sha256(audit._canonical(row).encode()).hexdigest())
    report = audit.verify_chain(session, t.ws.id)
    assert not report.ok and report.first_broken_seq == 1 and "altered" in report.reason


def test_a_chain_rebuilt_with_another_secret_is_caught(session):
    t = make_tenant(session)
    _fill(session, t)
    _edit(session, t.ws.id, 4)
    guessed = audit._derive_key("dev-insecure-secret-guess")
    _rebuild(session, t.ws.id, lambda row: audit._digest(row, guessed))
    assert not audit.verify_chain(session, t.ws.id).ok


def test_rotation_keeps_old_events_verifiable_and_reseal_moves_them_to_the_new_key(session, secret):
    t = make_tenant(session)
    old, new = "o" * 48, "n" * 48
    secret(old)
    _fill(session, t, 3)
    secret(new, old)
    audit.append_event(session, workspace_id=t.ws.id, actor=t.owner, action="after.rotation")
    assert audit.verify_chain(session, t.ws.id).ok
    secret(new)
    assert not audit.verify_chain(session, t.ws.id).ok  # the old secret dropped too early

    secret(new, old)
    assert audit.reseal_chain(session, t.ws.id).ok
    secret(new)
    report = audit.verify_chain(session, t.ws.id)
    events = session.exec(select(sa.func.count()).where(AuditEvent.workspace_id == t.ws.id)).one()
    assert report.ok and report.events == events


def test_reseal_refuses_a_tampered_chain_and_changes_nothing(session):
    t = make_tenant(session)
    _fill(session, t)
    _edit(session, t.ws.id, 2)
    before = [
        (e.seq, e.hash) for e in session.exec(select(AuditEvent).where(AuditEvent.workspace_id == t.ws.id))
    ]
    report = audit.reseal_chain(session, t.ws.id)
    assert not report.ok and report.first_broken_seq == 2
    after = [
        (e.seq, e.hash) for e in session.exec(select(AuditEvent).where(AuditEvent.workspace_id == t.ws.id))
    ]
    assert sorted(after) == sorted(before)
    assert not audit.verify_chain(session, t.ws.id).ok


def test_a_chain_sealed_before_keying_is_resealed_only_on_request(session):
    t = make_tenant(session)
    _fill(session, t)
    _rebuild(session, t.ws.id, audit._unkeyed_digest)  # as this version's predecessor sealed it
    assert not audit.verify_chain(session, t.ws.id).ok
    assert audit.reseal_chain(session, t.ws.id, accept_unkeyed=True).ok
    assert audit.verify_chain(session, t.ws.id).ok
