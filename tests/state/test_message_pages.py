"""Message pages without a browser: the staff inbox and thread, the contact's list and thread, the thread panel on
record pages, the task page's reply, the unread badge in the portal navigation, and the near-live check. Forged
thread ids, other accounts and workspaces, internal notes never reaching a contact's page, text kept as text."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import FollowUpTask, Invoice, InvoiceStatus, Message, TaskStatus  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.db import session_scope  # noqa: E402
from portal_app.services import messages  # noqa: E402
from state.messages import MessagesInboxState, MessageThreadState  # noqa: E402
from state.portal_invoices import PortalInvoiceState  # noqa: E402
from state.portal_messages import PortalMessagesState, PortalThreadState  # noqa: E402
from state.tasks import TaskDetailState  # noqa: E402
from state.threads import body_parts, check_marker  # noqa: E402
from tests.factories import make_contact, make_tenant, n  # noqa: E402
from tests.state.test_page_states import call, contact_token, staff_token  # noqa: E402
from tests.state.test_task_and_approval_pages import page  # noqa: E402

XSS = "<img src=x onerror=alert(1)> **bold** javascript:alert(1) see https://example.com/a?b=1."


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def key() -> str:
    return uuid.uuid4().hex


def read(db: Session, query: Any) -> Any:
    db.rollback()
    try:
        return db.exec(query).all()
    finally:
        db.rollback()


@pytest.fixture()
def world(db: Session) -> dict[str, Any]:
    a, b = make_tenant(db), make_tenant(db)
    thread = messages.portal_start_thread(db, a.contact, subject="Delivery", body=XSS, idempotency_key=key())
    messages.post_staff_message(db, a.team_lead, thread.id, body="SECRET note", internal=True)
    messages.post_staff_message(db, a.team_lead, thread.id, body="On its way")
    elsewhere = messages.portal_start_thread(
        db, a.other_contact, subject="Other", body="x", idempotency_key=key()
    )
    foreign = messages.portal_start_thread(db, b.contact, subject="Foreign", body="y", idempotency_key=key())
    db.commit()
    return {
        "a": a,
        "b": b,
        "thread": thread.id,
        "elsewhere": elsewhere.id,
        "foreign": foreign.id,
        "lead": staff_token(db, a.team_lead.user_id, a.ws.id),
        "other_staff": staff_token(db, b.owner.user_id, b.ws.id),
        "contact": contact_token(db, a.contact),
    }


def staff_thread_tab(token: str, thread_id: Any) -> Any:
    state = page(MessageThreadState, token, routes.STAFF_MESSAGES, thread_id)
    call(state, "load")
    return state


def portal_thread_tab(token: str, thread_id: Any) -> Any:
    state = page(PortalThreadState, token, routes.PORTAL_MESSAGES, thread_id)
    call(state, "load")
    return state


def texts(rows: Any) -> list[str]:
    return ["".join(p.text for p in r.parts) for r in rows]


# -- staff ------------------------------------------------------------------------------------------------------


def test_staff_inbox_lists_unanswered_first_with_unread_markers(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    waiting = messages.portal_start_thread(
        db, a.contact, subject="Urgent", body="Help", idempotency_key=key()
    )
    db.commit()
    state = page(MessagesInboxState, world["lead"], routes.STAFF_MESSAGES)
    call(state, "load")
    assert state.gate == "ready" and state.can_send
    assert [r.subject for r in state.rows][:2] == ["Urgent", "Other"]
    assert state.rows[0].waiting and state.rows[0].unread
    assert "Foreign" not in [r.subject for r in state.rows]
    call(state, "set_filter", "state", "unanswered")
    assert {r.id for r in state.rows} == {waiting.id, world["elsewhere"]}
    call(state, "set_filter", "account", str(world["b"].account.id))  # another workspace's account: nothing
    assert state.rows == []
    call(state, "set_filter", "state", "forged")  # an unknown value falls back to its default
    assert state.filter_values["state"] == "all"


def test_staff_thread_shows_internal_notes_marked_and_forged_ids_find_nothing(
    db: Session, world: dict[str, Any]
) -> None:
    state = staff_thread_tab(world["lead"], world["thread"])
    assert state.gate == "ready" and state.subject == "Delivery"
    assert [r.internal for r in state.rows] == [False, True, False]
    assert texts(state.rows)[0] == XSS  # every character as typed
    for forged in (world["foreign"], "abc", -1, 10**20):
        other = staff_thread_tab(world["lead"], forged)
        assert other.gate == "not_found" and other.rows == [] and other.subject == ""
    assert staff_thread_tab(world["other_staff"], world["thread"]).gate == "not_found"
    assert staff_thread_tab(world["contact"], world["thread"]).gate == "no_access"


def test_staff_reply_and_internal_note_from_the_thread_page(db: Session, world: dict[str, Any]) -> None:
    state = staff_thread_tab(world["lead"], world["thread"])
    call(state, "send", {"mode": "note", "message": "Call them tomorrow"})
    assert state.rows[-1].internal and not state.errors
    call(state, "send", {"mode": "reply", "message": "  "})
    assert state.errors["message"]
    call(state, "send", {"mode": "shout", "message": "x"})
    assert state.errors["mode"]
    call(state, "send", {"mode": "reply", "message": "All good"})
    assert not state.rows[-1].internal and texts(state.rows)[-1] == "All good"
    # The route says which thread: a forged one is refused by the service.
    forged = page(MessageThreadState, world["lead"], routes.STAFF_MESSAGES, world["foreign"])
    call(forged, "send", {"mode": "reply", "message": "leak?"})
    assert not read(db, select(Message).where(Message.body == "leak?"))


def test_reply_from_the_task_closes_it(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    thread = messages.portal_start_thread(
        db, a.contact, subject="Refund", body="Please", idempotency_key=key()
    )
    task_id = db.exec(
        select(FollowUpTask.id).where(
            FollowUpTask.source_type == "message_thread", FollowUpTask.source_id == thread.id
        )
    ).one()
    db.commit()
    state = page(TaskDetailState, world["lead"], routes.STAFF_TASKS, task_id)
    call(state, "load")
    assert state.can_reply and state.thread_href == routes.record_url(routes.STAFF_MESSAGES, thread.id)
    call(state, "reply_to_customer", {"message": "Refund sent"})
    assert read(db, select(FollowUpTask.status).where(FollowUpTask.id == task_id)) == [TaskStatus.DONE]
    assert state.task.status == "done" and not state.can_reply
    body = read(db, select(Message.body, Message.internal).where(Message.thread_id == thread.id))
    assert ("Refund sent", False) in body
    # Another workspace's member cannot reply through the task page.
    other = page(TaskDetailState, world["other_staff"], routes.STAFF_TASKS, task_id)
    call(other, "reply_to_customer", {"message": "from another workspace"})
    assert not read(db, select(Message).where(Message.body == "from another workspace"))


# -- portal -----------------------------------------------------------------------------------------------------


def test_portal_thread_never_shows_internal_notes_and_keeps_text(db: Session, world: dict[str, Any]) -> None:
    state = portal_thread_tab(world["contact"], world["thread"])
    assert state.gate == "ready"
    assert texts(state.rows) == [XSS, "On its way"]
    assert state.rows[0].author == "You" and state.rows[0].mine
    assert "SECRET" not in repr(state.dict())
    links = [p for p in state.rows[0].parts if p.href]
    assert [p.href for p in links] == ["https://example.com/a?b=1"]  # javascript: stays text
    for forged in (world["elsewhere"], world["foreign"], "1 OR 1=1"):
        other = portal_thread_tab(world["contact"], forged)
        assert other.gate == "not_found" and other.rows == []


def test_portal_list_and_nav_show_unread_counts(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    messages.start_thread(db, a.team_lead, a.account.id, subject="News", body="One")
    db.commit()
    state = page(PortalMessagesState, world["contact"], routes.PORTAL_MESSAGES)
    call(state, "load")
    unread = {r.subject: r.unread for r in state.rows}
    assert unread == {"News": 1, "Delivery": 1}
    nav = {item.label: item.count for item in state.portal_nav}
    assert nav["Messages"] == 2 and nav["Home"] == 0
    portal_thread_tab(world["contact"], world["thread"])  # reading it clears its count
    call(state, "load")
    assert {item.label: item.count for item in state.portal_nav}["Messages"] == 1


def test_portal_new_message_and_reply(db: Session, world: dict[str, Any]) -> None:
    state = page(PortalMessagesState, world["contact"], routes.PORTAL_MESSAGES)
    call(state, "load")
    call(state, "set_new_open", True)
    call(state, "start", {"subject": "", "message": "x"})
    assert state.errors["subject"]
    result = call(state, "start", {"subject": "Hello", "message": "<script>1</script>"})
    assert result is not None
    [created] = read(db, select(Message.thread_id).where(Message.body == "<script>1</script>"))
    thread = portal_thread_tab(world["contact"], created)
    call(thread, "send", {"message": "Second"})
    assert texts(thread.rows) == ["<script>1</script>", "Second"]
    assert len(read(db, select(FollowUpTask).where(FollowUpTask.source_id == created))) == 2


def test_invoice_page_thread_panel(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    inv = Invoice(
        workspace_id=a.ws.id, account_id=a.account.id, number=f"INV-{n()}", status=InvoiceStatus.OPEN
    )
    db.add(inv)
    db.commit()
    inv_id = inv.id
    state = page(PortalInvoiceState, world["contact"], routes.PORTAL_INVOICES, inv_id)
    call(state, "load")
    assert state.gate == "ready" and state.thread_rows == [] and state.thread_href == ""
    call(state, "send_about_record", {"message": ""})
    assert state.thread_error
    call(state, "send_about_record", {"message": "Is this right?"})
    assert texts(state.thread_rows) == ["Is this right?"] and state.thread_href
    # A contact without billing access does not get the page, so no panel either.
    db.expire_all()  # the page wrote meanwhile (audit chain): read the workspace afresh
    ops = make_contact(db, a.account, billing=False)
    db.commit()
    other = page(PortalInvoiceState, contact_token(db, ops), routes.PORTAL_INVOICES, inv_id)
    call(other, "load")
    assert other.gate == "not_found" and other.thread_rows == []


def test_document_request_and_delivery_pages_carry_the_thread_panel(
    db: Session, world: dict[str, Any]
) -> None:
    from portal_app.services import deliveries, document_requests
    from state.portal_deliveries import PortalDeliveryState
    from state.portal_documents import PortalDocumentState

    a = world["a"]
    req = document_requests.create_document_request(db, a.team_lead, a.account.id, title="W-9", items=["W-9"])
    dlv = deliveries.create_delivery(db, a.team_lead, a.account.id, reference=f"DLV-{n()}")
    deliveries.share_delivery(db, a.team_lead, dlv.id)
    db.commit()
    for cls, base, record_id, kind in (
        (PortalDocumentState, routes.PORTAL_DOCUMENTS, req.id, "document_request"),
        (PortalDeliveryState, routes.PORTAL_DELIVERIES, dlv.id, "delivery"),
    ):
        state = page(cls, world["contact"], base, record_id)
        call(state, "load")
        assert state.gate == "ready" and state.thread_rows == []
        call(state, "send_about_record", {"message": f"A question about {kind}"})
        assert texts(state.thread_rows) == [f"A question about {kind}"] and state.thread_href
        db.expire_all()
        thread = db.exec(select(Message).where(Message.body == f"A question about {kind}")).one()
        assert messages.get_thread(db, a.team_lead, thread.thread_id).source_type == kind
        db.commit()


# -- near-live --------------------------------------------------------------------------------------------------


def test_the_watch_tick_sees_new_messages_and_ends_with_access(db: Session, world: dict[str, Any]) -> None:
    a = world["a"]
    state = portal_thread_tab(world["contact"], world["thread"])
    actor, marker = check_marker(session_scope, world["contact"], world["thread"], None, verify=True)
    assert actor is not None and marker == state._watch_marker
    assert state._apply_marker(marker) is None  # unchanged: nothing reloaded
    messages.post_staff_message(db, a.team_lead, world["thread"], body="New!")
    messages.post_staff_message(db, a.team_lead, world["thread"], body="Team only", internal=True)
    db.commit()
    _, changed = check_marker(session_scope, None, world["thread"], actor, verify=False)
    assert changed != marker
    state._apply_marker(changed)
    assert texts(state.rows)[-1] == "New!"
    # Signed out, another account's thread, or a forged token: the tick answers nothing.
    assert check_marker(session_scope, "forged", world["thread"], None, verify=True) == (None, None)
    assert check_marker(session_scope, world["contact"], world["elsewhere"], None, verify=True) == (
        None,
        None,
    )
    # The watch stops when the tab shows another thread.
    state._watch_gen = "g"
    assert state._watching("g", world["thread"])
    assert not state._watching("g", world["elsewhere"]) and not state._watching("other", world["thread"])


def test_body_parts_link_only_http() -> None:
    parts = body_parts("a http://x.test/p, b ftp://no c data:text/html,<b> https://ok.test/(x)")
    assert [(p.text, p.href) for p in parts if p.href] == [
        ("http://x.test/p", "http://x.test/p"),
        ("https://ok.test/(x)", "https://ok.test/(x)"),
    ]
    assert (
        "".join(p.text for p in parts)
        == "a http://x.test/p, b ftp://no c data:text/html,<b> https://ok.test/(x)"
    )
