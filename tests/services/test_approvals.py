import threading
import uuid

import pytest
from sqlmodel import Session, func, select

from models import ApprovalRequest, ApprovalStatus, AuditEvent, FollowUpTask, Role
from models.portal import PortalApproval
from portal_app.services import approvals, audit
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import make_contact, make_tenant


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


def new_approval(session, tenant, *, account=None, **kw):
    kw.setdefault("title", "Approve the artwork")
    kw.setdefault("internal_notes", "margin is thin")
    return approvals.create_approval_request(session, tenant.team_lead, (account or tenant.account).id, **kw)


def tasks_for(session, approval_id):
    return session.exec(
        select(FollowUpTask).where(
            FollowUpTask.source_type == "approval", FollowUpTask.source_id == approval_id
        )
    ).all()


def events_for(session, workspace_id, approval_id, action=None):
    query = select(AuditEvent).where(
        AuditEvent.workspace_id == workspace_id,
        AuditEvent.target_type == "approval",
        AuditEvent.target_id == approval_id,
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return session.exec(query).all()


@pytest.fixture()
def tenants(session):
    return make_tenant(session), make_tenant(session)


# --- creation ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.TEAM_LEAD])
def test_managers_create_pending_request(session, tenants, role):
    a, _ = tenants
    read = approvals.create_approval_request(
        session, a.staff[role], a.account.id, title="  Approve   the proof ", description="Page 3"
    )
    assert read.status is ApprovalStatus.PENDING
    assert read.title == "Approve the proof"
    assert read.account_id == a.account.id
    row = session.get(ApprovalRequest, read.id)
    assert row.workspace_id == a.ws.id
    assert [e.action for e in events_for(session, a.ws.id, read.id)] == ["approval.created"]


def test_finance_reviewer_cannot_create(session, tenants):
    a, _ = tenants
    with pytest.raises(Forbidden):
        approvals.create_approval_request(session, a.finance, a.account.id, title="x")


def test_contact_cannot_create(session, tenants):
    a, _ = tenants
    with pytest.raises(NotFound):
        approvals.create_approval_request(session, a.contact, a.account.id, title="x")


def test_account_of_other_workspace_is_not_found(session, tenants):
    a, b = tenants
    with pytest.raises(NotFound):
        approvals.create_approval_request(session, a.team_lead, b.account.id, title="x")
    assert session.exec(select(func.count()).select_from(ApprovalRequest)).one() == 0


@pytest.mark.parametrize("title", ["", "   ", "x" * 201])
def test_bad_title_refused(session, tenants, title):
    a, _ = tenants
    with pytest.raises(ValidationFailed):
        approvals.create_approval_request(session, a.team_lead, a.account.id, title=title)


def test_too_long_description_refused(session, tenants):
    a, _ = tenants
    with pytest.raises(ValidationFailed):
        approvals.create_approval_request(
            session, a.team_lead, a.account.id, title="x", description="d" * 4001
        )


# --- cancellation ------------------------------------------------------------------------------------------


def test_cancel_pending(session, tenants):
    a, _ = tenants
    ap = new_approval(session, a)
    read = approvals.cancel_approval_request(session, a.manager, ap.id)
    assert read.status is ApprovalStatus.CANCELLED
    assert len(events_for(session, a.ws.id, ap.id, "approval.cancelled")) == 1
    with pytest.raises(Conflict):
        approvals.cancel_approval_request(session, a.manager, ap.id)


@pytest.mark.parametrize("decision", ["approve", "decline", "request_changes"])
def test_cancel_after_answer_is_conflict(session, tenants, decision):
    a, _ = tenants
    ap = new_approval(session, a)
    approvals.respond_to_approval(
        session, a.contact, ap.id, decision=decision, note="because", idempotency_key=key()
    )
    with pytest.raises(Conflict):
        approvals.cancel_approval_request(session, a.team_lead, ap.id)


def test_cancel_refused_outside_workspace_and_role(session, tenants):
    a, b = tenants
    ap = new_approval(session, a)
    with pytest.raises(NotFound):
        approvals.cancel_approval_request(session, b.owner, ap.id)
    with pytest.raises(Forbidden):
        approvals.cancel_approval_request(session, a.finance, ap.id)
    with pytest.raises(NotFound):
        approvals.cancel_approval_request(session, a.contact, ap.id)
    assert approvals.get_approval(session, a.owner, ap.id).status is ApprovalStatus.PENDING


# --- contact answers ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("decision", "status"),
    [
        ("approve", ApprovalStatus.APPROVED),
        ("decline", ApprovalStatus.DECLINED),
        ("request_changes", ApprovalStatus.CHANGES_REQUESTED),
    ],
)
def test_contact_answers_with_task_and_audit(session, tenants, decision, status):
    a, _ = tenants
    ap = new_approval(session, a)
    result = approvals.respond_to_approval(
        session, a.contact, ap.id, decision=decision, note="  Looks fine  ", idempotency_key=key()
    )
    assert isinstance(result, PortalApproval)
    assert result.status is status
    assert result.decision_note == "Looks fine"
    assert result.decided_at is not None
    row = session.get(ApprovalRequest, ap.id)
    assert row.decided_by_contact_id == a.contact.contact_id
    [task] = tasks_for(session, ap.id)
    assert task.trigger == f"approval.{status.value}"
    assert task.workspace_id == a.ws.id and task.account_id == a.account.id
    assert task.created_by_contact_id == a.contact.contact_id
    [event] = events_for(session, a.ws.id, ap.id, f"approval.{status.value}")
    assert event.actor_kind == "contact" and event.actor_id == a.contact.contact_id
    assert "Looks fine" not in event.data
    assert audit.verify_chain(session, a.ws.id).ok


def test_approve_without_note_is_fine(session, tenants):
    a, _ = tenants
    ap = new_approval(session, a)
    result = approvals.respond_to_approval(
        session, a.contact, ap.id, decision="approve", note="", idempotency_key=key()
    )
    assert result.status is ApprovalStatus.APPROVED


@pytest.mark.parametrize("decision", ["decline", "request_changes"])
@pytest.mark.parametrize("note", ["", "   \n "])
def test_decline_and_changes_need_a_note(session, tenants, decision, note):
    a, _ = tenants
    ap = new_approval(session, a)
    with pytest.raises(ValidationFailed):
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision=decision, note=note, idempotency_key=key()
        )
    assert session.get(ApprovalRequest, ap.id).status is ApprovalStatus.PENDING
    assert tasks_for(session, ap.id) == []


@pytest.mark.parametrize("decision", ["", "approved", "APPROVE", "cancel"])
def test_unknown_decision_refused(session, tenants, decision):
    a, _ = tenants
    ap = new_approval(session, a)
    with pytest.raises(ValidationFailed):
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision=decision, note="x", idempotency_key=key()
        )


def test_too_long_note_refused(session, tenants):
    a, _ = tenants
    ap = new_approval(session, a)
    with pytest.raises(ValidationFailed):
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision="decline", note="n" * 4001, idempotency_key=key()
        )


def test_missing_idempotency_key_refused(session, tenants):
    a, _ = tenants
    ap = new_approval(session, a)
    with pytest.raises(ValidationFailed):
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision="approve", note="", idempotency_key=""
        )


@pytest.mark.parametrize("first", ["approve", "decline", "request_changes", "cancel"])
@pytest.mark.parametrize("second", ["approve", "decline", "request_changes"])
def test_only_pending_can_be_answered(session, tenants, first, second):
    a, _ = tenants
    ap = new_approval(session, a)
    if first == "cancel":
        approvals.cancel_approval_request(session, a.team_lead, ap.id)
    else:
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision=first, note="one", idempotency_key=key()
        )
    before = session.get(ApprovalRequest, ap.id).status
    with pytest.raises(Conflict):
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision=second, note="two", idempotency_key=key()
        )
    session.expire_all()
    assert session.get(ApprovalRequest, ap.id).status is before
    assert len(tasks_for(session, ap.id)) == (0 if first == "cancel" else 1)


def test_other_account_other_workspace_and_no_operations_get_not_found(session, tenants):
    a, b = tenants
    ap = new_approval(session, a)
    no_ops = make_contact(session, a.account, billing=True, operations=False, documents=True)
    for contact in (a.other_contact, b.contact, b.other_contact, a.billing_contact, no_ops):
        with pytest.raises(NotFound):
            approvals.respond_to_approval(
                session, contact, ap.id, decision="approve", note="", idempotency_key=key()
            )
        with pytest.raises(NotFound):
            approvals.portal_get_approval(session, contact, ap.id)
    with pytest.raises(NotFound):
        approvals.respond_to_approval(
            session, a.owner, ap.id, decision="approve", note="", idempotency_key=key()
        )
    assert session.get(ApprovalRequest, ap.id).status is ApprovalStatus.PENDING
    assert tasks_for(session, ap.id) == []
    assert events_for(session, a.ws.id, ap.id, "approval.approved") == []


def test_missing_approval_not_found(session, tenants):
    a, _ = tenants
    with pytest.raises(NotFound):
        approvals.respond_to_approval(
            session, a.contact, 999_999, decision="approve", note="", idempotency_key=key()
        )


def test_retry_with_same_key_returns_first_result(session, tenants):
    a, _ = tenants
    ap = new_approval(session, a)
    k = key()
    first = approvals.respond_to_approval(
        session, a.contact, ap.id, decision="approve", note="ok", idempotency_key=k
    )
    again = approvals.respond_to_approval(
        session, a.contact, ap.id, decision="approve", note="ok", idempotency_key=k
    )
    # Even a retry whose payload changed (double click after editing) answers with the first result.
    changed = approvals.respond_to_approval(
        session, a.contact, ap.id, decision="decline", note="no", idempotency_key=k
    )
    assert first == again == changed
    assert changed.status is ApprovalStatus.APPROVED
    assert len(tasks_for(session, ap.id)) == 1
    assert len(events_for(session, a.ws.id, ap.id, "approval.approved")) == 1


def test_key_reused_for_another_approval_is_conflict(session, tenants):
    a, _ = tenants
    ap1, ap2 = new_approval(session, a), new_approval(session, a)
    k = key()
    approvals.respond_to_approval(session, a.contact, ap1.id, decision="approve", note="", idempotency_key=k)
    with pytest.raises(Conflict):
        approvals.respond_to_approval(
            session, a.contact, ap2.id, decision="approve", note="", idempotency_key=k
        )
    assert session.get(ApprovalRequest, ap2.id).status is ApprovalStatus.PENDING


def test_failure_mid_action_leaves_nothing(session, tenants, monkeypatch):
    a, _ = tenants
    ap = new_approval(session, a)

    def boom(*args, **kwargs):
        raise RuntimeError("audit store down")

    monkeypatch.setattr(audit, "append_event", boom)
    with pytest.raises(RuntimeError):
        approvals.respond_to_approval(
            session, a.contact, ap.id, decision="approve", note="", idempotency_key=key()
        )
    monkeypatch.undo()
    session.expire_all()
    assert session.get(ApprovalRequest, ap.id).status is ApprovalStatus.PENDING
    assert tasks_for(session, ap.id) == []


# --- reads -------------------------------------------------------------------------------------------------


def test_portal_projection_has_no_internal_notes(session, tenants):
    a, _ = tenants
    ap = new_approval(session, a, internal_notes="secret margin 40%")
    assert "internal_notes" not in PortalApproval.model_fields
    view = approvals.portal_get_approval(session, a.contact, ap.id)
    assert not hasattr(view, "internal_notes")
    assert "secret margin" not in view.model_dump_json()
    page = approvals.portal_list_approvals(session, a.contact)
    assert "secret margin" not in page.model_dump_json()


def test_staff_list_filters_and_pages(session, tenants):
    a, b = tenants
    for i in range(3):
        new_approval(session, a, title=f"A main {i}")
    other = new_approval(session, a, account=a.other_account, title="A other")
    new_approval(session, b, title="B only")
    approvals.cancel_approval_request(session, a.team_lead, other.id)

    page = approvals.list_approvals(session, a.finance, limit=2)
    assert page.total == 4 and len(page.items) == 2 and page.has_more
    rest = approvals.list_approvals(session, a.finance, offset=2, limit=2)
    assert {i.id for i in page.items}.isdisjoint({i.id for i in rest.items})
    assert all(i.title.startswith("A ") for i in page.items + rest.items)

    by_account = approvals.list_approvals(session, a.owner, account_id=a.account.id)
    assert by_account.total == 3
    cancelled = approvals.list_approvals(session, a.owner, status=ApprovalStatus.CANCELLED)
    assert [i.id for i in cancelled.items] == [other.id]
    assert approvals.list_approvals(session, a.owner, account_id=b.account.id).total == 0
    with pytest.raises(NotFound):
        approvals.list_approvals(session, a.contact)


def test_portal_list_is_own_account_only(session, tenants):
    a, b = tenants
    mine = new_approval(session, a)
    new_approval(session, a, account=a.other_account)
    new_approval(session, b)
    page = approvals.portal_list_approvals(session, a.contact)
    assert [i.id for i in page.items] == [mine.id]
    with pytest.raises(NotFound):
        approvals.portal_list_approvals(session, a.billing_contact)
    with pytest.raises(NotFound):
        approvals.portal_list_approvals(session, a.owner)


def test_staff_of_other_workspace_cannot_read(session, tenants):
    a, b = tenants
    ap = new_approval(session, a)
    with pytest.raises(NotFound):
        approvals.get_approval(session, b.owner, ap.id)


# --- concurrency -------------------------------------------------------------------------------------------


def test_twenty_concurrent_answers_give_one_decision(committed_engine):
    with Session(committed_engine, expire_on_commit=False) as setup:
        a = make_tenant(setup)
        make_tenant(setup)
        setup.commit()
        ap = new_approval(setup, a)
        workspace_id = a.ws.id
    contact = a.contact
    decisions = ["approve", "decline", "request_changes"]
    barrier = threading.Barrier(20)
    outcomes: list[object] = []
    lock = threading.Lock()

    def answer(i: int) -> None:
        with Session(committed_engine) as s:
            barrier.wait()
            try:
                result: object = approvals.respond_to_approval(
                    s,
                    contact,
                    ap.id,
                    decision=decisions[i % 3],
                    note=f"note {i}",
                    idempotency_key=f"race-{i:04d}",
                )
            except Exception as exc:  # collected and asserted below
                result = exc
        with lock:
            outcomes.append(result)

    threads = [threading.Thread(target=answer, args=(i,)) for i in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=120)

    assert len(outcomes) == 20
    wins = [o for o in outcomes if isinstance(o, PortalApproval)]
    losses = [o for o in outcomes if not isinstance(o, PortalApproval)]
    assert len(wins) == 1, outcomes
    assert all(isinstance(o, Conflict) for o in losses), losses
    with Session(committed_engine) as check:
        row = check.get(ApprovalRequest, ap.id)
        assert row.status is wins[0].status
        assert len(tasks_for(check, ap.id)) == 1
        decided = [e for e in events_for(check, workspace_id, ap.id) if e.action != "approval.created"]
        assert len(decided) == 1
        assert audit.verify_chain(check, workspace_id).ok
