"""Task and approval pages without a browser: forged filter values, forged ids, cross-workspace records, audit."""

from __future__ import annotations

import os
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import reflex as rx  # noqa: E402
from reflex.istate.data import RouterData  # noqa: E402

from models import ApprovalRequest, ApprovalStatus, AuditEvent, FollowUpTask, TaskStatus  # noqa: E402
from portal_app.services import approvals  # noqa: E402
from state.approvals import ApprovalDetailState, ApprovalNewState, ApprovalsListState  # noqa: E402
from state.tasks import TaskDetailState, TasksListState  # noqa: E402
from tests.factories import make_task, make_tenant  # noqa: E402
from tests.state.test_page_states import call, staff_token  # noqa: E402


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def page(cls: type[Any], token: str | None, path: str = "/app", record_id: Any = None) -> Any:
    """A fresh state tree for a tab on ``path`` (a record page's ``[id]`` is ``record_id``, as the client sent it)."""
    root = rx.State(_reflex_internal_init=True)  # type: ignore[call-arg]
    state = root.get_substate(cls.get_full_name().split(".")[1:])
    data: dict[str, Any] = {"headers": {"cookie": f"portal_session={token}" if token else ""}, "token": "t"}
    if record_id is not None:
        data |= {"pathname": f"{path}/[id]", "asPath": f"{path}/{record_id}", "query": {"id": str(record_id)}}
    else:
        data |= {"pathname": path, "asPath": path}
    router = RouterData.from_router_data(data)
    current: Any = state
    object.__setattr__(root, "router", router)
    while current is not None:
        current.router = router
        current = current.parent_state
    return state


def audit_actions(db: Session, task_id: int) -> list[str]:
    db.rollback()
    rows = db.exec(
        select(AuditEvent.action)
        .where(AuditEvent.target_type == "task", AuditEvent.target_id == task_id)
        .order_by(AuditEvent.seq)  # type: ignore[arg-type]
    ).all()
    db.rollback()  # never hold SQLite's lock while a handler writes
    return list(rows)


def read(db: Session, query: Any) -> Any:
    """Read committed data now, then let go of SQLite's lock before the next handler writes."""
    db.rollback()
    try:
        return db.exec(query).all()
    finally:
        db.rollback()


def task_field(db: Session, column: Any, task_id: int) -> Any:
    return read(db, select(column).where(FollowUpTask.id == task_id))[0]


def approval_status(db: Session, approval_id: int) -> ApprovalStatus:
    return read(db, select(ApprovalRequest.status).where(ApprovalRequest.id == approval_id))[0]


@pytest.fixture()
def two(db: Session) -> Any:
    from portal_app.services.sessions import COOKIE_NAME

    assert COOKIE_NAME == "portal_session"
    mine, theirs = make_tenant(db), make_tenant(db)
    return mine, theirs


# -- /app/tasks --------------------------------------------------------------------------------------------------


def test_task_list_ignores_forged_filter_values(db: Session, two: Any) -> None:
    mine, theirs = two
    make_task(db, mine.ws, account=mine.account, title="ours, late", due_in=sa_days(-2))
    make_task(db, mine.ws, account=mine.other_account, title="ours, later")
    make_task(db, theirs.ws, account=theirs.account, title="theirs")
    db.commit()
    state = page(TasksListState, staff_token(db, mine.manager.user_id, mine.ws.id), "/app/tasks")
    call(state, "load")
    assert state.gate == "ready"
    assert [r.title for r in state.rows] == ["ours, late", "ours, later"]
    # A value outside the allow-list falls back to the default; another workspace's account finds nothing.
    call(state, "set_filter", "state", "'; DROP TABLE follow_up_task; --")
    assert state.filter_values["state"] == "open"
    call(state, "set_filter", "workspace_id", str(theirs.ws.id))
    assert "workspace_id" not in state.filters
    call(state, "set_filter", "account", str(theirs.account.id))
    assert state.rows == [] and state.total == 0 and state.filtered is True
    call(state, "set_filter", "account", "-3")
    assert state.filter_values["account"] == "all" and len(state.rows) == 2
    call(state, "set_filter", "account", str(mine.account.id))
    assert [r.title for r in state.rows] == ["ours, late"]
    assert state.rows[0].overdue and state.rows[0].due.startswith("overdue by")
    call(state, "clear_filters")
    call(state, "set_filter", "state", "overdue")
    assert [r.title for r in state.rows] == ["ours, late"]
    state.offset = 10_000  # a forged page move
    call(state, "next_page")
    assert state.offset == 0
    assert all("theirs" not in str(v) for v in state.dict().values())


def test_task_list_mine_and_role(db: Session, two: Any) -> None:
    mine, _ = two
    make_task(db, mine.ws, title="for leads")
    make_task(db, mine.ws, title="for finance", assignee_role=mine.finance.role)
    db.commit()
    state = page(TasksListState, staff_token(db, mine.finance.user_id, mine.ws.id), "/app/tasks")
    call(state, "load")
    assert len(state.rows) == 2
    call(state, "set_filter", "who", "mine")
    assert [r.title for r in state.rows] == ["for finance"]
    assert state.rows[0].assignee == "Any finance/admin reviewer"


def test_task_of_another_workspace_is_not_found(db: Session, two: Any) -> None:
    mine, theirs = two
    task = make_task(db, theirs.ws, title="their secret")
    db.commit()
    token = staff_token(db, mine.owner.user_id, mine.ws.id)
    for forged in (task.id, "abc", "-1", "0"):
        state = page(TaskDetailState, token, "/app/tasks", forged)
        call(state, "load")
        assert state.gate == "not_found"
        assert state.task.title == ""
    state = page(TaskDetailState, token, "/app/tasks", task.id)
    call(state, "assign", {"assignee": str(mine.team_lead.user_id)})
    call(state, "set_status", "done")
    call(state, "add_comment", {"comment": "forged"})
    assert task_field(db, FollowUpTask.status, task.id) is TaskStatus.OPEN
    assert task_field(db, FollowUpTask.assignee_user_id, task.id) is None
    assert audit_actions(db, task.id) == []


def test_assign_to_a_member_of_another_workspace_is_refused(db: Session, two: Any) -> None:
    mine, theirs = two
    task = make_task(db, mine.ws)
    db.commit()
    state = page(TaskDetailState, staff_token(db, mine.manager.user_id, mine.ws.id), "/app/tasks", task.id)
    call(state, "load")
    assert state.gate == "ready"
    assert str(theirs.owner.user_id) not in [m.id for m in state.member_choices]
    result = call(state, "assign", {"assignee": str(theirs.owner.user_id)})
    assert "toast" in str(result).lower()
    call(state, "assign", {"assignee": "1 OR 1=1"})
    assert task_field(db, FollowUpTask.assignee_user_id, task.id) is None
    assert audit_actions(db, task.id) == []
    done = call(state, "assign", {"assignee": str(mine.team_lead.user_id)})
    assert "Assigned to" in str(done.args)
    assert task_field(db, FollowUpTask.assignee_user_id, task.id) == mine.team_lead.user_id
    assert state.task.assignee != "" and state.assignee_value == str(mine.team_lead.user_id)


def test_status_change_due_date_and_comment_are_audited(db: Session, two: Any) -> None:
    mine, _ = two
    task = make_task(db, mine.ws)
    db.commit()
    state = page(TaskDetailState, staff_token(db, mine.team_lead.user_id, mine.ws.id), "/app/tasks", task.id)
    call(state, "load")
    assert [a.id for a in state.status_actions] == ["in_progress", "done"]
    call(state, "set_status", "cancelled")  # not offered by the page: refused
    call(state, "set_status", "done")
    assert state.task.status == "done" and [a.id for a in state.status_actions] == ["open"]
    call(state, "save_due", {"due": "not a date"})
    assert "due" in state.errors
    call(state, "save_due", {"due": "2031-02-03"})
    assert state.due_value == "2031-02-03"
    call(state, "add_comment", {"comment": "   "})
    assert "comment" in state.errors
    call(state, "add_comment", {"comment": "<script>alert(1)</script> called them"})
    assert state.activity[0].comment == "<script>alert(1)</script> called them"
    assert state.activity[0].what == "commented"
    assert audit_actions(db, task.id) == ["task.done", "task.due_changed", "task.commented"]
    assert task_field(db, FollowUpTask.status, task.id) is TaskStatus.DONE


def sa_days(k: int) -> Any:
    from datetime import timedelta

    return timedelta(days=k)


# -- /app/approvals ----------------------------------------------------------------------------------------------


def test_approval_list_filters_and_forged_values(db: Session, two: Any) -> None:
    mine, theirs = two
    approvals.create_approval_request(db, mine.team_lead, mine.account.id, title="Hero artwork")
    approvals.create_approval_request(db, mine.team_lead, mine.other_account.id, title="Terms")
    approvals.create_approval_request(db, theirs.team_lead, theirs.account.id, title="Their secret")
    state = page(ApprovalsListState, staff_token(db, mine.finance.user_id, mine.ws.id), "/app/approvals")
    call(state, "load")
    assert {r.title for r in state.rows} == {"Hero artwork", "Terms"}
    assert state.can_request is False  # finance reads approvals but does not request them
    call(state, "set_filter", "status", "approved' OR 1=1")
    assert len(state.rows) == 2
    call(state, "set_filter", "status", "cancelled")
    assert state.rows == [] and state.filtered
    call(state, "clear_filters")
    call(state, "apply_search", {"search": "hero"})
    assert [r.title for r in state.rows] == ["Hero artwork"]
    call(state, "apply_search", {"search": ["not", "text"]})
    assert state.search == "" and len(state.rows) == 2
    call(state, "set_filter", "account", str(theirs.account.id))
    assert state.rows == []
    assert all("Their secret" not in str(v) for v in state.dict().values())


def test_request_form_scopes_account_and_estimate(db: Session, two: Any) -> None:
    mine, theirs = two
    token = staff_token(db, mine.manager.user_id, mine.ws.id)
    state = page(ApprovalNewState, token, "/app/approvals/new")
    call(state, "load")
    assert state.gate == "ready" and str(theirs.account.id) not in [a.id for a in state.account_choices]
    call(state, "submit", {"title": ""})
    assert set(state.errors) >= {"title", "account"}
    call(state, "pick_account", str(theirs.account.id))
    call(state, "submit", {"title": "Forged", "due": ""})
    call(state, "pick_account", str(mine.account.id))
    call(state, "submit", {"title": "Past", "due": "2001-01-01"})
    assert "due" in state.errors
    result = call(state, "submit", {"title": "Change order", "description": "Extra page", "due": ""})
    assert "redirect" in str(result).lower() or "approvals/" in str(result)
    again = call(state, "submit", {"title": "Change order", "description": "Extra page", "due": ""})
    assert "approvals/" in str(again)
    assert read(db, select(ApprovalRequest.title).where(ApprovalRequest.workspace_id == mine.ws.id)) == [
        "Change order"
    ]
    assert read(db, select(ApprovalRequest.id).where(ApprovalRequest.title == "Forged")) == []

    lead = page(ApprovalNewState, staff_token(db, mine.finance.user_id, mine.ws.id), "/app/approvals/new")
    call(lead, "load")
    assert lead.gate == "no_access"


def test_approval_detail_cancel_and_foreign_id(db: Session, two: Any) -> None:
    mine, theirs = two
    ours = approvals.create_approval_request(db, mine.team_lead, mine.account.id, title="Proof")
    other = approvals.create_approval_request(db, theirs.team_lead, theirs.account.id, title="Their proof")
    token = staff_token(db, mine.manager.user_id, mine.ws.id)
    state = page(ApprovalDetailState, token, "/app/approvals", other.id)
    call(state, "load")
    assert state.gate == "not_found" and state.approval.title == ""
    call(state, "cancel")
    assert approval_status(db, other.id) is ApprovalStatus.PENDING

    state = page(ApprovalDetailState, token, "/app/approvals", ours.id)
    call(state, "load")
    assert state.gate == "ready" and state.can_cancel and state.approval.title == "Proof"
    call(state, "cancel")
    assert state.approval.status == "cancelled" and state.can_cancel is False
    assert approval_status(db, ours.id) is ApprovalStatus.CANCELLED


def test_approval_detail_shows_answer_and_its_tasks(db: Session, two: Any) -> None:
    mine, _ = two
    ours = approvals.create_approval_request(db, mine.team_lead, mine.account.id, title="Proof")
    approvals.respond_to_approval(
        db, mine.contact, ours.id, decision="request_changes", note="Bigger logo", idempotency_key="k-state-1"
    )
    state = page(
        ApprovalDetailState, staff_token(db, mine.owner.user_id, mine.ws.id), "/app/approvals", ours.id
    )
    call(state, "load")
    assert state.answered and state.answer_note == "Bigger logo" and state.answered_by != ""
    assert len(state.tasks) == 1 and state.tasks[0].href.startswith("/app/tasks/")
    assert state.can_cancel is False


def test_task_rows_link_conversations_requests_and_deliveries_by_name() -> None:
    from models import TaskStatus
    from portal_app import routes
    from portal_app.services.tasks import TaskView
    from state.tasks import task_row

    def view(kind: str, label: str) -> TaskView:
        return TaskView.model_construct(
            id=5,
            title="t",
            source_type=kind,
            source_id=9,
            status=TaskStatus.OPEN,
            due_at=None,
            assignee_role=None,
            assignee_user_id=None,
            assignee_name="",
            account_name="",
            source_label=label,
        )

    thread = task_row(view("message_thread", "Invoice address"))
    assert (thread.source_kind, thread.source_label) == ("Conversation", "Invoice address")
    assert thread.source_href == routes.record_url(routes.STAFF_MESSAGES, 9)
    assert task_row(view("delivery", "DEL-7")).source_href == routes.record_url(routes.STAFF_DELIVERIES, 9)
    # A file sent for review has no page of its own; an unnamed source (another workspace's id) is never a link.
    assert task_row(view("intake_file", "scan.pdf")).source_href == ""
    assert task_row(view("document_request", "")).source_href == ""
