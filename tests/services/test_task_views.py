"""Task list filters (account, overdue), task detail names, due dates, comments as audit events, and the approval
list's search, account names and estimate link."""

from datetime import date, timedelta

import pytest
from sqlmodel import select

from models import ApprovalStatus, AuditEvent, FollowUpTask, Role, TaskStatus
from portal_app.services import (
    approvals,
    audit,
    deliveries,
    document_requests,
    estimates,
    messages,
    tasks,
)
from portal_app.services.errors import NotFound, ValidationFailed
from portal_app.services.lines import LineInput
from tests.factories import make_task, make_tenant


@pytest.fixture()
def tenants(session):
    return make_tenant(session), make_tenant(session)


def titles(page):
    return [t.title for t in page.items]


def test_account_filter_narrows_within_the_workspace(session, tenants):
    a, b = tenants
    make_task(session, a.ws, account=a.account, title="mine")
    make_task(session, a.ws, account=a.other_account, title="other account")
    make_task(session, b.ws, account=b.account, title="other workspace")
    session.commit()
    assert titles(tasks.list_tasks(session, a.owner, account_id=a.account.id)) == ["mine"]
    # Another workspace's account id is only a filter value: it finds nothing, it reveals nothing.
    assert tasks.list_tasks(session, a.owner, account_id=b.account.id).total == 0
    assert set(titles(tasks.list_tasks(session, a.owner))) == {"mine", "other account"}


def test_overdue_keeps_open_tasks_past_due_soonest_first(session, tenants):
    a, _ = tenants
    make_task(session, a.ws, title="late 1", due_in=timedelta(days=-1))
    make_task(session, a.ws, title="late 3", due_in=timedelta(days=-3))
    make_task(session, a.ws, title="future", due_in=timedelta(days=2))
    make_task(session, a.ws, title="no due", due_in=None)
    make_task(session, a.ws, title="done late", due_in=timedelta(days=-5), status=TaskStatus.DONE)
    session.commit()
    page = tasks.list_tasks(session, a.owner, overdue=True)
    assert titles(page) == ["late 3", "late 1"]
    done = tasks.list_tasks(session, a.owner, statuses=(TaskStatus.DONE,))
    assert titles(done) == ["done late"]


def test_mine_and_role_filters_with_account_and_names(session, tenants):
    a, _ = tenants
    make_task(session, a.ws, account=a.account, title="for leads", assignee_role=Role.TEAM_LEAD)
    make_task(session, a.ws, title="for finance", assignee_role=Role.FINANCE_REVIEWER, assignee_user_id=None)
    make_task(
        session,
        a.ws,
        title="for the manager",
        assignee_role=None,
        assignee_user_id=a.manager.user_id,
    )
    session.commit()
    assert titles(tasks.list_tasks(session, a.team_lead, mine=True)) == ["for leads"]
    assert titles(tasks.list_tasks(session, a.manager, mine=True)) == ["for the manager"]
    by_role = tasks.list_tasks(session, a.owner, role=Role.FINANCE_REVIEWER)
    assert titles(by_role) == ["for finance"]
    leads = tasks.list_tasks(session, a.owner, mine=False, role=Role.TEAM_LEAD, account_id=a.account.id)
    assert leads.items[0].account_name == a.account.name
    mine = tasks.list_tasks(session, a.manager, mine=True).items[0]
    assert mine.assignee_name != ""


def test_source_labels_name_estimates_and_approvals_of_the_workspace(session, tenants):
    a, b = tenants
    est = estimates.create_estimate(
        session, a.team_lead, a.account.id, title="Website", lines=[LineInput("Design", 1, 1000)]
    )
    appr = approvals.create_approval_request(session, a.team_lead, a.account.id, title="Hero artwork")
    theirs = approvals.create_approval_request(session, b.team_lead, b.account.id, title="Secret")
    make_task(session, a.ws, source_type="estimate", source_id=est.id, title="t1")
    make_task(session, a.ws, source_type="approval", source_id=appr.id, title="t2")
    # A forged source id pointing into another workspace never shows that workspace's title.
    make_task(session, a.ws, source_type="approval", source_id=theirs.id, title="t3")
    make_task(session, a.ws, source_type="message", source_id=4, title="t4")
    session.commit()
    labels = {t.title: t.source_label for t in tasks.list_tasks(session, a.owner, limit=10).items}
    assert labels == {"t1": f"{est.number} Website", "t2": "Hero artwork", "t3": "", "t4": ""}


def test_source_labels_name_threads_requests_and_deliveries_of_the_workspace(session, tenants):
    a, b = tenants
    thread = messages.start_thread(session, a.team_lead, a.account.id, subject="Invoice address", body="Hi")
    request = document_requests.create_document_request(
        session, a.team_lead, a.account.id, title="Insurance papers", items=["Certificate"]
    )
    delivery = deliveries.create_delivery(session, a.team_lead, a.account.id, reference="DEL-77")
    theirs = messages.start_thread(session, b.team_lead, b.account.id, subject="Secret", body="Hi")
    make_task(session, a.ws, source_type="message_thread", source_id=thread.id, title="t1")
    make_task(session, a.ws, source_type="document_request", source_id=request.id, title="t2")
    make_task(session, a.ws, source_type="delivery", source_id=delivery.id, title="t3")
    # A forged id pointing into another workspace never shows that workspace's subject.
    make_task(session, a.ws, source_type="message_thread", source_id=theirs.id, title="t4")
    session.commit()
    labels = {t.title: t.source_label for t in tasks.list_tasks(session, a.owner, limit=10).items}
    assert labels == {"t1": "Invoice address", "t2": "Insurance papers", "t3": "DEL-77", "t4": ""}


def test_get_task_of_another_workspace_is_not_found(session, tenants):
    a, b = tenants
    task = make_task(session, b.ws)
    session.commit()
    with pytest.raises(NotFound):
        tasks.get_task(session, a.owner, task.id)
    with pytest.raises(NotFound):
        tasks.get_task(session, a.contact, task.id)


def test_due_date_change_is_audited(session, tenants):
    a, b = tenants
    task = make_task(session, a.ws)
    session.commit()
    read = tasks.set_task_due(session, a.finance, task.id, due_on=date(2030, 5, 1))
    assert read.due_at is not None and read.due_at.date() == date(2030, 5, 1)
    activity = tasks.task_activity(session, a.owner, task.id)
    assert activity[0].action == "task.due_changed" and activity[0].due_on == date(2030, 5, 1)
    tasks.set_task_due(session, a.finance, task.id, due_on=None)
    assert session.get(FollowUpTask, task.id).due_at is None
    with pytest.raises(NotFound):
        tasks.set_task_due(session, b.owner, task.id, due_on=date(2030, 1, 1))
    assert audit.verify_chain(session, a.ws.id).ok


def test_comments_are_audit_events_listed_with_the_task(session, tenants):
    a, b = tenants
    task = make_task(session, a.ws)
    other = make_task(session, a.ws)
    session.commit()
    tasks.comment_on_task(session, a.team_lead, task.id, text="  Called them; <b>waiting</b>  ")
    tasks.comment_on_task(session, a.team_lead, other.id, text="not this one")
    tasks.assign_task(session, a.owner, task.id, assignee_user_id=a.team_lead.user_id)
    activity = tasks.task_activity(session, a.owner, task.id)
    assert [e.action for e in activity] == ["task.assigned", "task.commented"]
    assert activity[1].comment == "Called them; <b>waiting</b>"
    assert activity[0].assignee_name != "" and activity[1].actor_name != ""
    rows = session.exec(select(AuditEvent).where(AuditEvent.action == "task.commented")).all()
    assert len(rows) == 2
    with pytest.raises(ValidationFailed):
        tasks.comment_on_task(session, a.team_lead, task.id, text="   ")
    with pytest.raises(ValidationFailed):
        tasks.comment_on_task(session, a.team_lead, task.id, text="😀" * 900)
    with pytest.raises(NotFound):
        tasks.comment_on_task(session, b.owner, task.id, text="forged")
    with pytest.raises(NotFound):
        tasks.task_activity(session, b.owner, task.id)
    assert audit.verify_chain(session, a.ws.id).ok


def test_approval_search_and_account_names(session, tenants):
    a, b = tenants
    approvals.create_approval_request(session, a.team_lead, a.account.id, title="Hero artwork")
    approvals.create_approval_request(session, a.team_lead, a.other_account.id, title="Terms 100% final")
    approvals.create_approval_request(session, b.team_lead, b.account.id, title="Hero artwork too")
    page = approvals.list_approvals(session, a.owner, search="  HERO ")
    assert [(r.title, r.account_name) for r in page.items] == [("Hero artwork", a.account.name)]
    # LIKE wildcards in the search are literal characters.
    assert [r.title for r in approvals.list_approvals(session, a.owner, search="100%").items] == [
        "Terms 100% final"
    ]
    assert approvals.list_approvals(session, a.owner, search="%").total == 1
    assert approvals.list_approvals(session, a.owner, search="_").total == 0
    pending = approvals.list_approvals(session, a.owner, status=ApprovalStatus.PENDING, search="terms")
    assert pending.total == 1


def test_approval_links_an_estimate_of_its_own_account(session, tenants):
    a, b = tenants
    est = estimates.create_estimate(
        session, a.team_lead, a.account.id, title="Website", lines=[LineInput("Design", 1, 1000)]
    )
    other = estimates.create_estimate(
        session, a.team_lead, a.other_account.id, title="Other", lines=[LineInput("X", 1, 1000)]
    )
    theirs = estimates.create_estimate(
        session, b.team_lead, b.account.id, title="Theirs", lines=[LineInput("X", 1, 1000)]
    )
    read = approvals.create_approval_request(
        session, a.manager, a.account.id, title="Change order", estimate_id=est.id
    )
    view = approvals.get_approval(session, a.finance, read.id)
    assert view.estimate_id == est.id and view.estimate_label == f"{est.number} Website"
    assert view.account_name == a.account.name and view.requested_by_name != ""
    with pytest.raises(ValidationFailed):
        approvals.create_approval_request(
            session, a.manager, a.account.id, title="Wrong account", estimate_id=other.id
        )
    with pytest.raises(NotFound):
        approvals.create_approval_request(
            session, a.manager, a.account.id, title="Foreign", estimate_id=theirs.id
        )
    plain = approvals.create_approval_request(session, a.manager, a.account.id, title="No link")
    assert approvals.get_approval(session, a.owner, plain.id).estimate_id is None


def test_approval_answer_shows_who_answered(session, tenants):
    a, _ = tenants
    read = approvals.create_approval_request(session, a.team_lead, a.account.id, title="Proof")
    approvals.respond_to_approval(
        session, a.contact, read.id, decision="decline", note="Too dark", idempotency_key="k-answer-1"
    )
    view = approvals.get_approval(session, a.owner, read.id)
    assert view.status is ApprovalStatus.DECLINED and view.decision_note == "Too dark"
    assert view.decided_by_name != "" and view.decided_at is not None
    follow_ups = tasks.list_tasks(
        session, a.owner, statuses=tuple(TaskStatus), source_type="approval", source_id=read.id
    )
    assert follow_ups.total == 1 and follow_ups.items[0].source_label == "Proof"
