"""Message views: the staff inbox (filters, unanswered first, unread per member), thread reads that mark seen,
replies that close the customer's follow-up tasks, portal reads without internal notes, unread counts, record
threads, and a fixed number of queries whatever the data size."""

from __future__ import annotations

import uuid
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import AuditEvent, FollowUpTask, Invoice, InvoiceStatus, Role, TaskStatus
from portal_app.services import messages, notify
from portal_app.services.errors import NotFound
from tests.factories import add_member, make_contact, make_tenant, n


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


@pytest.fixture()
def tenants(session):
    return make_tenant(session), make_tenant(session)


@contextmanager
def count_queries(session):
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    bind = session.get_bind()
    sa.event.listen(bind, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(bind, "before_cursor_execute", before)


def invoice(session, account, status=InvoiceStatus.OPEN):
    inv = Invoice(
        workspace_id=account.workspace_id, account_id=account.id, number=f"INV-{n()}", status=status
    )
    session.add(inv)
    session.flush()
    return inv


def customer_thread(session, contact, subject="Question", body="Hello?", **kw):
    return messages.portal_start_thread(
        session, contact, subject=subject, body=body, idempotency_key=key(), **kw
    )


def open_tasks(session, thread_id):
    return session.exec(
        select(FollowUpTask).where(
            FollowUpTask.source_type == "message_thread",
            FollowUpTask.source_id == thread_id,
            FollowUpTask.status.in_((TaskStatus.OPEN, TaskStatus.IN_PROGRESS)),  # type: ignore[attr-defined]
        )
    ).all()


# -- staff inbox ------------------------------------------------------------------------------------------------


def test_inbox_puts_unanswered_first_and_filters(session, tenants):
    a, b = tenants
    answered = customer_thread(session, a.contact, subject="Answered")
    messages.post_staff_message(session, a.team_lead, answered.id, body="Done")
    waiting = customer_thread(session, a.contact, subject="Waiting")
    team_only = messages.start_thread(
        session, a.team_lead, a.other_account.id, subject="Team news", body="Hi"
    )
    customer_thread(session, b.contact, subject="Other workspace")
    page = messages.list_inbox(session, a.owner)
    assert [r.subject for r in page.items] == ["Waiting", "Team news", "Answered"]
    assert page.total == 3
    first = page.items[0]
    assert first.last_from_customer and first.preview == "Hello?" and first.account_name == a.account.name
    unanswered = messages.list_inbox(session, a.owner, unanswered=True)
    assert [r.id for r in unanswered.items] == [waiting.id]
    assert [r.id for r in messages.list_inbox(session, a.owner, account_id=a.other_account.id).items] == [
        team_only.id
    ]
    # Another workspace's account id is only a filter value: nothing is found.
    assert messages.list_inbox(session, a.owner, account_id=b.account.id).total == 0


def test_an_internal_note_does_not_answer_the_customer(session, tenants):
    a, _ = tenants
    thread = customer_thread(session, a.contact)
    messages.post_staff_message(session, a.team_lead, thread.id, body="Checking with finance", internal=True)
    [row] = messages.list_inbox(session, a.owner, unanswered=True).items
    assert row.id == thread.id and row.preview == "Hello?"  # the preview is never an internal note


def test_mine_keeps_accounts_the_member_looks_after(session, tenants):
    a, _ = tenants
    a.account.owner_user_id = a.team_lead.user_id
    session.add(a.account)
    session.commit()
    mine = customer_thread(session, a.contact, subject="Mine")
    customer_thread(session, a.other_contact, subject="Not mine")
    assert [r.id for r in messages.list_inbox(session, a.team_lead, mine=True).items] == [mine.id]
    assert messages.list_inbox(session, a.owner, mine=True).total == 0


def test_unread_is_per_member_and_cleared_by_reading(session, tenants):
    a, _ = tenants
    thread = customer_thread(session, a.contact)
    assert messages.list_inbox(session, a.owner).items[0].unread
    view = messages.read_thread(session, a.owner, thread.id)
    assert [m.body for m in view.messages] == ["Hello?"]
    assert not messages.list_inbox(session, a.owner).items[0].unread
    assert messages.list_inbox(session, a.manager).items[0].unread  # another member has not read it
    messages.portal_post_message(session, a.contact, thread.id, body="Anyone?", idempotency_key=key())
    assert messages.list_inbox(session, a.owner).items[0].unread


def test_staff_read_marks_internal_notes_and_names_authors(session, tenants):
    a, b = tenants
    thread = customer_thread(session, a.contact)
    messages.post_staff_message(session, a.team_lead, thread.id, body="<b>note</b>", internal=True)
    view = messages.read_thread(session, a.manager, thread.id)
    assert [(m.body, m.internal, m.from_customer) for m in view.messages] == [
        ("Hello?", False, True),
        ("<b>note</b>", True, False),
    ]
    assert all(m.author for m in view.messages)
    with pytest.raises(NotFound):
        messages.read_thread(session, b.owner, thread.id)
    with pytest.raises(NotFound):
        messages.read_thread(session, a.contact, thread.id)


def test_inbox_costs_a_fixed_number_of_queries(session, tenants):
    a, _ = tenants
    customer_thread(session, a.contact, source_type="invoice", source_id=invoice(session, a.account).id)
    messages.start_thread(session, a.team_lead, a.account.id, subject="From us", body="Hi")
    with count_queries(session) as few:
        messages.list_inbox(session, a.owner)
    for i in range(12):
        thread = customer_thread(session, a.contact, subject=f"Q{i}")
        messages.post_staff_message(session, a.team_lead, thread.id, body="Answer")
        customer_thread(
            session, a.other_contact, source_type="invoice", source_id=invoice(session, a.other_account).id
        )
    with count_queries(session) as many:
        page = messages.list_inbox(session, a.owner)
    # The same queries, plus the list's count once the page is full (a short page tells its own total).
    assert page.total == 26 and len(page.items) == 25 and len(many) == len(few) + 1
    with count_queries(session) as portal_few:
        messages.portal_list_inbox(session, a.contact)
        messages.portal_unread_count(session, a.contact)
    assert len(portal_few) <= 5


# -- replies close the loop ---------------------------------------------------------------------------------------


def test_a_reply_closes_the_threads_open_tasks_audited_and_notifies(session, tenants, monkeypatch):
    a, b = tenants
    told: list[tuple[int, int]] = []
    monkeypatch.setattr(
        notify, "staff_replied", lambda s, **kw: told.append((kw["thread_id"], kw["message_id"]))
    )
    thread = customer_thread(session, a.contact)
    messages.portal_post_message(session, a.contact, thread.id, body="Still there?", idempotency_key=key())
    other = customer_thread(session, a.contact, subject="Other")
    assert len(open_tasks(session, thread.id)) == 2
    messages.post_staff_message(session, a.team_lead, thread.id, body="Internal first", internal=True)
    assert len(open_tasks(session, thread.id)) == 2 and told == []  # a note answers nobody and mails nobody
    reply = messages.post_staff_message(session, a.team_lead, thread.id, body="Here!")
    assert open_tasks(session, thread.id) == []
    assert len(open_tasks(session, other.id)) == 1  # another thread's task stays open
    done = session.exec(
        select(AuditEvent).where(AuditEvent.target_type == "task", AuditEvent.action == "task.done")
    ).all()
    assert len(done) == 2 and all(str(reply.id) in e.data for e in done)
    assert told == [(thread.id, reply.id)]
    # Another workspace cannot reply (or close anything).
    with pytest.raises(NotFound):
        messages.post_staff_message(session, b.team_lead, other.id, body="Hi")
    assert len(open_tasks(session, other.id)) == 1


# -- portal -----------------------------------------------------------------------------------------------------


def test_portal_reads_never_show_internal_notes(session, tenants):
    a, _ = tenants
    thread = messages.start_thread(session, a.team_lead, a.account.id, subject="Order", body="Shipped")
    messages.post_staff_message(session, a.team_lead, thread.id, body="SECRET margin", internal=True)
    view = messages.portal_read_thread(session, a.contact, thread.id)
    assert [m.body for m in view.messages] == ["Shipped"]
    row = messages.portal_list_inbox(session, a.contact).items[0]
    assert "SECRET" not in row.preview
    assert "SECRET" not in view.model_dump_json() and "internal" not in view.model_dump_json()


def test_portal_other_accounts_thread_is_not_found(session, tenants):
    a, b = tenants
    theirs = customer_thread(session, a.other_contact)
    foreign = customer_thread(session, b.contact)
    for thread_id in (theirs.id, foreign.id):
        with pytest.raises(NotFound):
            messages.portal_read_thread(session, a.contact, thread_id)
        with pytest.raises(NotFound):
            messages.thread_marker(session, a.contact, thread_id)
        with pytest.raises(NotFound):
            messages.mark_thread_seen(session, a.contact, thread_id)
    assert messages.portal_list_inbox(session, a.contact).total == 0
    with pytest.raises(NotFound):
        messages.thread_marker(session, b.owner, theirs.id)


def test_unread_counts_per_thread_and_in_total(session, tenants):
    a, _ = tenants
    one = messages.start_thread(session, a.team_lead, a.account.id, subject="One", body="1")
    messages.post_staff_message(session, a.team_lead, one.id, body="2")
    two = messages.start_thread(session, a.finance, a.account.id, subject="Two", body="3")
    messages.post_staff_message(session, a.team_lead, two.id, body="note", internal=True)
    messages.start_thread(session, a.team_lead, a.other_account.id, subject="Elsewhere", body="x")
    counts = {r.subject: r.unread for r in messages.portal_list_inbox(session, a.contact).items}
    assert counts == {"One": 2, "Two": 1}
    assert messages.portal_unread_count(session, a.contact) == 3
    messages.portal_read_thread(session, a.contact, one.id)
    assert messages.portal_unread_count(session, a.contact) == 1
    # The contact's own message is never unread for them; a new team answer is.
    messages.portal_post_message(session, a.contact, two.id, body="Thanks", idempotency_key=key())
    assert messages.portal_unread_count(session, a.contact) == 0
    messages.post_staff_message(session, a.team_lead, two.id, body="Welcome")
    assert messages.portal_unread_count(session, a.contact) == 1
    # Another contact of the same account has its own reading state.
    colleague = make_contact(session, a.account)
    session.commit()
    assert messages.portal_unread_count(session, colleague) == 4


def test_record_threads_need_the_records_area(session, tenants):
    a, b = tenants
    inv = invoice(session, a.account)
    session.commit()
    assert messages.portal_record_thread(session, a.contact, "invoice", inv.id) is None
    first = messages.portal_message_record(
        session, a.contact, "invoice", inv.id, subject="About INV", body="Why?", idempotency_key=key()
    )
    again = messages.portal_message_record(
        session, a.contact, "invoice", inv.id, subject="About INV", body="And?", idempotency_key=key()
    )
    assert again.id == first.id and (first.source_type, first.source_id) == ("invoice", inv.id)
    assert [m.body for m in messages.portal_read_thread(session, a.contact, first.id).messages] == [
        "Why?",
        "And?",
    ]
    # An operations-only contact cannot see invoices, so cannot attach a thread to one.
    ops_only = make_contact(session, a.account, billing=False)
    session.commit()
    for call in (
        lambda: messages.portal_record_thread(session, ops_only, "invoice", inv.id),
        lambda: customer_thread(session, ops_only, source_type="invoice", source_id=inv.id),
        lambda: messages.portal_message_record(
            session, ops_only, "invoice", inv.id, subject="s", body="b", idempotency_key=key()
        ),
    ):
        with pytest.raises(NotFound):
            call()
    # A draft is not shared, and another account's or workspace's record is not theirs.
    draft = invoice(session, a.account, InvoiceStatus.DRAFT)
    elsewhere = invoice(session, b.account)
    session.commit()
    for record_id in (draft.id, elsewhere.id):
        with pytest.raises(NotFound):
            messages.portal_record_thread(session, a.contact, "invoice", record_id)


def test_staff_source_labels_and_new_member_sees_everything_unread(session, tenants):
    a, _ = tenants
    inv = invoice(session, a.account)
    thread = messages.start_thread(
        session,
        a.team_lead,
        a.account.id,
        subject="Your invoice",
        body="See it",
        source_type="invoice",
        source_id=inv.id,
    )
    row = messages.list_inbox(session, a.team_lead).items[0]
    assert row.source_label == inv.number and not row.unread  # the starter has read their own thread
    newcomer = add_member(session, a.ws, Role.TEAM_LEAD)
    session.commit()
    assert messages.list_inbox(session, newcomer).items[0].unread
    assert messages.read_thread(session, newcomer, thread.id).source_label == inv.number


def test_a_thread_read_marks_it_seen_and_gives_its_marker_in_few_statements(session, tenants):
    a, _ = tenants
    thread = customer_thread(session, a.contact)
    messages.post_staff_message(session, a.team_lead, thread.id, body="Answer")
    messages.post_staff_message(session, a.team_lead, thread.id, body="note", internal=True)
    for reader, read, most in (
        (a.contact, messages.portal_read_thread, 4),
        (a.owner, messages.read_thread, 5),
    ):
        first = read(session, reader, thread.id)  # no reading state yet: it is created
        # The marker the page watches comes from the read itself and equals a fresh one.
        assert messages.view_marker(first) == messages.thread_marker(session, reader, thread.id)
        with count_queries(session) as seen:
            again = read(session, reader, thread.id)  # the reading state exists: moved forward
        assert messages.view_marker(again) == messages.thread_marker(session, reader, thread.id)
        # The thread (and for staff its account), its messages with their total, the authors' names (members and
        # contacts at once), the attachments; the reading state moves in one UPDATE, which this leaves out.
        assert len(seen) <= most, "\n".join(s[:90] for s in seen)
    assert messages.portal_unread_count(session, a.contact) == 0
    assert not messages.list_inbox(session, a.owner).items[0].unread
    assert messages.list_inbox(session, a.manager).items[0].unread
    # Earlier messages beyond the limit are counted, not shown.
    view = messages.read_thread(session, a.owner, thread.id, limit=1)
    assert [m.body for m in view.messages] == ["note"] and view.earlier == 2
    portal = messages.portal_read_thread(session, a.contact, thread.id, limit=1)
    assert [m.body for m in portal.messages] == ["Answer"] and portal.earlier == 1
