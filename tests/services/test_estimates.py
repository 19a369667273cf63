"""Estimate workflow: every allowed and refused transition, versions, projections, concurrency."""

from __future__ import annotations

import threading
import uuid
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import AuditEvent, EstimateStatus, FollowUpTask, IdempotencyKey
from models.portal import PortalEstimate
from portal_app.services import estimates, idempotency
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal_app.services.lines import LineInput
from tests.factories import make_tenant

LINES = [
    LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000, unit_cost_minor=6_000),
    LineInput("Hosting", quantity=1, unit_price_minor=4_999, tax_rate_bp=0),
]


def key() -> str:
    return uuid.uuid4().hex


def shared_estimate(session, t, **kw):
    est = estimates.create_estimate(
        session, t.team_lead, t.account.id, title="Website rebuild", lines=LINES, **kw
    )
    return estimates.share_estimate(session, t.team_lead, est.id)


def test_create_computes_totals_server_side(session):
    t = make_tenant(session)
    make_tenant(session)
    est = estimates.create_estimate(
        session, t.team_lead, t.account.id, title="  Website   rebuild ", lines=LINES
    )
    assert est.status is EstimateStatus.DRAFT
    assert est.title == "Website rebuild"
    assert est.subtotal_minor == 125_000 + 4_999
    assert est.tax_minor == 25_000
    assert est.total_minor == 154_999
    assert est.cost_minor == 60_000
    assert est.number == "EST-0001"
    assert [ln.position for ln in est.lines] == [1, 2]


@pytest.mark.parametrize(
    "bad",
    [
        [],
        [LineInput("", 1, 100)],
        [LineInput("x", 0, 100)],
        [LineInput("x", 1, -1)],
        [LineInput("x", 1, 100, tax_rate_bp=10_001)],
    ],
)
def test_bad_lines_are_refused_and_nothing_is_written(session, bad):
    t = make_tenant(session)
    with pytest.raises(ValidationFailed):
        estimates.create_estimate(session, t.team_lead, t.account.id, title="x", lines=bad)
    assert estimates.list_estimates(session, t.owner).total == 0


def test_draft_is_invisible_to_contacts_until_shared(session):
    t = make_tenant(session)
    est = estimates.create_estimate(session, t.team_lead, t.account.id, title="Draft", lines=LINES)
    assert estimates.portal_list_estimates(session, t.contact).total == 0
    with pytest.raises(NotFound):
        estimates.portal_get_estimate(session, t.contact, est.id)
    estimates.share_estimate(session, t.team_lead, est.id)
    seen = estimates.portal_get_estimate(session, t.contact, est.id)
    assert seen.total_minor == 154_999
    assert "internal_notes" not in PortalEstimate.model_fields
    assert "cost_minor" not in PortalEstimate.model_fields
    assert not any("cost" in f for f in seen.lines[0].model_dump())


def test_other_account_other_workspace_and_permissionless_contacts_cannot_see(session):
    t = make_tenant(session)
    other = make_tenant(session)
    est = shared_estimate(session, t)
    for actor in (t.other_contact, t.billing_contact, other.contact):
        with pytest.raises(NotFound):
            estimates.portal_get_estimate(session, actor, est.id)
        with pytest.raises(NotFound):
            estimates.decide_estimate(
                session,
                actor,
                est.id,
                decision="approve",
                version=1,
                signature="Ann Lee",
                idempotency_key=key(),
            )
    with pytest.raises(NotFound):
        estimates.get_estimate(session, other.owner, est.id)


def test_finance_reviewer_cannot_manage_estimates(session):
    t = make_tenant(session)
    with pytest.raises(Forbidden):
        estimates.create_estimate(session, t.finance, t.account.id, title="x", lines=LINES)


@pytest.mark.parametrize(
    ("decision", "status", "trigger"),
    [
        ("approve", EstimateStatus.APPROVED, "estimate.approved"),
        ("decline", EstimateStatus.DECLINED, "estimate.declined"),
        ("request_changes", EstimateStatus.CHANGES_REQUESTED, "estimate.changes_requested"),
    ],
)
def test_contact_decisions_create_task_and_audit(session, decision, status, trigger):
    t = make_tenant(session)
    est = shared_estimate(session, t)
    result = estimates.decide_estimate(
        session,
        t.contact,
        est.id,
        decision=decision,
        version=1,
        note="Looks right",
        signature="Ann Lee",
        idempotency_key=key(),
    )
    assert result.status is status
    tasks = session.exec(select(FollowUpTask).where(FollowUpTask.source_id == est.id)).all()
    assert [(x.source_type, x.trigger) for x in tasks] == [("estimate", trigger)]
    assert tasks[0].workspace_id == t.ws.id and tasks[0].account_id == t.account.id
    events = session.exec(select(AuditEvent).where(AuditEvent.action == trigger)).all()
    assert len(events) == 1 and events[0].target_id == est.id


def test_decline_needs_a_reason_and_approval_a_signature(session):
    t = make_tenant(session)
    est = shared_estimate(session, t)
    with pytest.raises(ValidationFailed):
        estimates.decide_estimate(
            session, t.contact, est.id, decision="decline", version=1, idempotency_key=key()
        )
    with pytest.raises(ValidationFailed):
        estimates.decide_estimate(
            session, t.contact, est.id, decision="approve", version=1, idempotency_key=key()
        )
    with pytest.raises(ValidationFailed):
        estimates.decide_estimate(
            session, t.contact, est.id, decision="delete", version=1, idempotency_key=key()
        )
    assert estimates.get_estimate(session, t.owner, est.id).status is EstimateStatus.SHARED


def test_refused_transitions(session):
    t = make_tenant(session)
    draft = estimates.create_estimate(session, t.team_lead, t.account.id, title="Draft", lines=LINES)
    # a draft cannot be approved (the contact cannot even see it)
    with pytest.raises(NotFound):
        estimates.decide_estimate(
            session,
            t.contact,
            draft.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=key(),
        )
    # a draft cannot be re-issued
    with pytest.raises(Conflict):
        estimates.reissue_estimate(session, t.team_lead, draft.id, lines=LINES, valid_until=None)
    est = estimates.share_estimate(session, t.team_lead, draft.id)
    # sharing twice
    with pytest.raises(Conflict):
        estimates.share_estimate(session, t.team_lead, est.id)
    # editing a shared estimate
    with pytest.raises(Conflict):
        estimates.update_draft_estimate(
            session, t.team_lead, est.id, title="x", lines=LINES, valid_until=None
        )
    estimates.decide_estimate(
        session, t.contact, est.id, decision="approve", version=1, signature="Ann Lee", idempotency_key=key()
    )
    # double approval
    with pytest.raises(Conflict, match="already been approved"):
        estimates.decide_estimate(
            session,
            t.contact,
            est.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=key(),
        )
    # declining after approval
    with pytest.raises(Conflict):
        estimates.decide_estimate(
            session, t.contact, est.id, decision="decline", version=1, note="no", idempotency_key=key()
        )
    # an approved estimate cannot be re-issued
    with pytest.raises(Conflict):
        estimates.reissue_estimate(session, t.team_lead, est.id, lines=LINES, valid_until=None)


def test_reissue_creates_new_version_and_old_version_cannot_be_approved(session):
    t = make_tenant(session)
    est = shared_estimate(session, t)
    estimates.decide_estimate(
        session,
        t.contact,
        est.id,
        decision="request_changes",
        version=1,
        note="Cheaper hosting",
        idempotency_key=key(),
    )
    v2 = estimates.reissue_estimate(
        session, t.team_lead, est.id, lines=[LineInput("Design work", 10, 12_500)], valid_until=None
    )
    assert v2.current_version == 2 and v2.status is EstimateStatus.SHARED and v2.total_minor == 125_000
    with pytest.raises(Conflict, match="newer version"):
        estimates.decide_estimate(
            session,
            t.contact,
            est.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=key(),
        )
    ok = estimates.decide_estimate(
        session, t.contact, est.id, decision="approve", version=2, signature="Ann Lee", idempotency_key=key()
    )
    assert ok.status is EstimateStatus.APPROVED and ok.current_version == 2


def test_expired_estimate_cannot_be_approved_and_expires_by_job(session):
    t = make_tenant(session)
    est = shared_estimate(session, t, valid_until=estimates.today())
    later = estimates.today() + timedelta(days=1)
    assert estimates.expire_estimates(session, on=later) == 1
    assert estimates.get_estimate(session, t.owner, est.id).status is EstimateStatus.EXPIRED
    with pytest.raises(Conflict, match="expired"):
        estimates.decide_estimate(
            session,
            t.contact,
            est.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=key(),
        )
    again = estimates.reissue_estimate(session, t.team_lead, est.id, lines=LINES, valid_until=later)
    assert again.status is EstimateStatus.SHARED and again.current_version == 2


def test_share_refuses_past_validity(session):
    t = make_tenant(session)
    est = estimates.create_estimate(
        session,
        t.team_lead,
        t.account.id,
        title="Old",
        lines=LINES,
        valid_until=estimates.today() - timedelta(days=1),
    )
    with pytest.raises(ValidationFailed):
        estimates.share_estimate(session, t.team_lead, est.id)


def test_retry_with_same_key_returns_first_result_and_creates_nothing_twice(session):
    t = make_tenant(session)
    est = shared_estimate(session, t)
    k = key()
    first = estimates.decide_estimate(
        session, t.contact, est.id, decision="approve", version=1, signature="Ann Lee", idempotency_key=k
    )
    second = estimates.decide_estimate(
        session, t.contact, est.id, decision="approve", version=1, signature="Ann Lee", idempotency_key=k
    )
    assert first == second
    assert len(session.exec(select(FollowUpTask).where(FollowUpTask.source_id == est.id)).all()) == 1
    assert session.scalar(select(sa.func.count()).select_from(IdempotencyKey)) == 1
    with pytest.raises(ValidationFailed):
        estimates.decide_estimate(
            session,
            t.contact,
            est.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key="x",
        )


def test_failure_mid_action_leaves_nothing_half_written(session, monkeypatch):
    t = make_tenant(session)
    est = shared_estimate(session, t)

    def boom(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(estimates.audit, "append_event", boom)
    with pytest.raises(RuntimeError):
        estimates.decide_estimate(
            session,
            t.contact,
            est.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=key(),
        )
    monkeypatch.undo()
    assert estimates.get_estimate(session, t.owner, est.id).status is EstimateStatus.SHARED
    assert session.exec(select(FollowUpTask).where(FollowUpTask.source_id == est.id)).all() == []


@pytest.mark.parametrize("same_key", [False, True], ids=["different-keys", "same-key"])
def test_twenty_concurrent_approvals_give_one_approval_one_task_one_event(committed_engine, same_key):
    with Session(committed_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        est = shared_estimate(s, t)
        contact = t.contact
    shared_key = key()
    barrier = threading.Barrier(20)
    outcomes: list[str] = []
    lock = threading.Lock()

    def approve() -> None:
        with Session(committed_engine, expire_on_commit=False) as s:
            barrier.wait()
            try:
                estimates.decide_estimate(
                    s,
                    contact,
                    est.id,
                    decision="approve",
                    version=1,
                    signature="Ann Lee",
                    idempotency_key=shared_key if same_key else key(),
                )
                result = "ok"
            except Conflict:
                result = "conflict"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=approve) for _ in range(20)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(60)
    assert len(outcomes) == 20
    if same_key:
        assert outcomes.count("ok") == 20  # every retry answers with the first result
    else:
        assert outcomes.count("ok") == 1 and outcomes.count("conflict") == 19
    with Session(committed_engine) as s:
        tasks = s.exec(select(FollowUpTask).where(FollowUpTask.source_type == "estimate")).all()
        events = s.exec(select(AuditEvent).where(AuditEvent.action == "estimate.approved")).all()
        assert len(tasks) == 1 and len(events) == 1
        from portal_app.services.audit import verify_chain

        assert verify_chain(s, t.ws.id).ok


def test_a_key_reused_on_another_estimate_is_refused_and_leaves_both_as_they_were(session):
    t = make_tenant(session)
    first, second = shared_estimate(session, t), shared_estimate(session, t)
    k = key()
    approved = estimates.decide_estimate(
        session, t.contact, first.id, decision="approve", version=1, signature="Ann Lee", idempotency_key=k
    )
    with pytest.raises(Conflict) as info:
        estimates.decide_estimate(
            session,
            t.contact,
            second.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=k,
        )
    assert info.value.message == idempotency.OTHER_RECORD
    # The second estimate is untouched (not silently "approved" by the replay), and nothing was created for it.
    assert estimates.portal_get_estimate(session, t.contact, second.id).status is EstimateStatus.SHARED
    assert session.exec(select(FollowUpTask).where(FollowUpTask.source_id == second.id)).all() == []
    # The same key on the same estimate still replays the first result.
    again = estimates.decide_estimate(
        session, t.contact, first.id, decision="approve", version=1, signature="Ann Lee", idempotency_key=k
    )
    assert again == approved
    # A fresh key decides the second one.
    assert (
        estimates.decide_estimate(
            session,
            t.contact,
            second.id,
            decision="approve",
            version=1,
            signature="Ann Lee",
            idempotency_key=key(),
        ).status
        is EstimateStatus.APPROVED
    )
