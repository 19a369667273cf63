import uuid
from datetime import timedelta

import pytest
from sqlmodel import func, select

from models import (
    AuditEvent,
    Delivery,
    Estimate,
    EstimateStatus,
    FollowUpTask,
    Invoice,
    InvoiceStatus,
    Message,
    MessageThread,
    Role,
)
from models.portal import PortalMessage, PortalThread
from portal_app.services import audit, messages
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from tests.factories import make_contact, make_tenant, n

XSS = "<img src=x onerror=alert(1)>"


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


@pytest.fixture()
def tenants(session):
    return make_tenant(session), make_tenant(session)


def staff_thread(session, tenant, *, account=None, subject="Your order", body="Hello from the team", **kw):
    return messages.start_thread(
        session, tenant.team_lead, (account or tenant.account).id, subject=subject, body=body, **kw
    )


def make_invoice(session, account, *, status=InvoiceStatus.OPEN):
    inv = Invoice(
        workspace_id=account.workspace_id, account_id=account.id, number=f"INV-{n()}", status=status
    )
    session.add(inv)
    session.flush()
    return inv


def make_estimate(session, account, *, status=EstimateStatus.SHARED):
    est = Estimate(
        workspace_id=account.workspace_id,
        account_id=account.id,
        number=f"EST-{n()}",
        title="Fit-out",
        status=status,
    )
    session.add(est)
    session.flush()
    return est


def make_delivery(session, account, *, shared=True):
    d = Delivery(
        workspace_id=account.workspace_id, account_id=account.id, reference=f"D-{n()}", shared=shared
    )
    session.add(d)
    session.flush()
    return d


def count(session, model, *where):
    return session.exec(select(func.count()).select_from(model).where(*where)).one()


def thread_tasks(session, thread_id):
    return session.exec(
        select(FollowUpTask).where(
            FollowUpTask.source_type == "message_thread", FollowUpTask.source_id == thread_id
        )
    ).all()


def thread_events(session, thread_id, action=None):
    query = select(AuditEvent).where(
        AuditEvent.target_type == "message_thread", AuditEvent.target_id == thread_id
    )
    if action:
        query = query.where(AuditEvent.action == action)
    return session.exec(query).all()


# --- staff threads -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_staff_start_thread_with_first_message(session, tenants, role):
    a, _ = tenants
    thread = messages.start_thread(
        session, a.staff[role], a.account.id, subject="  Hello  there ", body=" Hi! "
    )
    assert thread.subject == "Hello there" and thread.account_id == a.account.id
    page = messages.portal_get_thread_messages(session, a.contact, thread.id)
    assert [(m.body, m.from_team) for m in page.items] == [("Hi!", True)]
    [event] = thread_events(session, thread.id)
    assert event.action == "message_thread.started" and "Hi!" not in event.data
    # Staff-started threads are the team's own work: no follow-up task.
    assert thread_tasks(session, thread.id) == []


def test_staff_start_thread_refusals(session, tenants):
    a, b = tenants
    with pytest.raises(NotFound):
        messages.start_thread(session, a.team_lead, b.account.id, subject="s", body="b")
    with pytest.raises(NotFound):
        messages.start_thread(session, a.contact, a.account.id, subject="s", body="b")
    for subject, body in (("", "b"), ("s" * 201, "b"), ("s", ""), ("s", "  \n\t "), ("s", "b" * 8001)):
        with pytest.raises(ValidationFailed):
            messages.start_thread(session, a.team_lead, a.account.id, subject=subject, body=body)
    assert count(session, MessageThread) == 0


def test_staff_thread_source_must_be_in_workspace_and_account(session, tenants):
    a, b = tenants
    own = make_invoice(session, a.account)
    thread = staff_thread(session, a, source_type="invoice", source_id=own.id)
    assert (thread.source_type, thread.source_id) == ("invoice", own.id)
    with pytest.raises(NotFound):
        staff_thread(session, a, source_type="invoice", source_id=make_invoice(session, b.account).id)
    with pytest.raises(ValidationFailed):
        staff_thread(session, a, source_type="invoice", source_id=make_invoice(session, a.other_account).id)


def test_internal_note_invisible_to_contact(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    before = messages.portal_get_thread(session, a.contact, thread.id).last_message_at
    note = messages.post_staff_message(
        session, a.manager, thread.id, body="customer is slow to pay", internal=True
    )
    assert note.internal

    portal = messages.portal_get_thread_messages(session, a.contact, thread.id)
    assert portal.total == 1
    assert all("slow to pay" not in m.body for m in portal.items)
    assert messages.portal_get_thread(session, a.contact, thread.id).last_message_at == before
    staff = messages.get_thread_messages(session, a.finance, thread.id)
    assert [m.internal for m in staff.items] == [False, True]
    assert [e.action for e in thread_events(session, thread.id, "message.internal_note")] == [
        "message.internal_note"
    ]
    assert "slow to pay" not in thread_events(session, thread.id, "message.internal_note")[0].data


def test_staff_reply_bumps_thread_and_shows_from_team(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    row = session.get(MessageThread, thread.id)
    row.last_message_at = row.last_message_at - timedelta(hours=1)
    session.add(row)
    session.flush()
    msg = messages.post_staff_message(session, a.team_lead, thread.id, body="Shipped today")
    assert session.get(MessageThread, thread.id).last_message_at == msg.created_at
    assert [
        m.from_team for m in messages.portal_get_thread_messages(session, a.contact, thread.id).items
    ] == [
        True,
        True,
    ]


def test_staff_of_other_workspace_cannot_reach_thread(session, tenants):
    a, b = tenants
    thread = staff_thread(session, a)
    with pytest.raises(NotFound):
        messages.post_staff_message(session, b.owner, thread.id, body="hi")
    with pytest.raises(NotFound):
        messages.get_thread_messages(session, b.owner, thread.id)
    with pytest.raises(NotFound):
        messages.get_thread(session, b.owner, thread.id)
    with pytest.raises(NotFound):
        messages.post_staff_message(session, a.contact, thread.id, body="hi")
    assert count(session, Message, Message.thread_id == thread.id) == 1


# --- contact messages --------------------------------------------------------------------------------------


def test_contact_post_creates_message_task_and_audit(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    row = session.get(MessageThread, thread.id)
    row.last_message_at = row.last_message_at - timedelta(hours=1)
    session.add(row)
    session.flush()

    msg = messages.portal_post_message(
        session, a.contact, thread.id, body="  When is delivery?  ", idempotency_key=key()
    )
    assert isinstance(msg, PortalMessage)
    assert msg.body == "When is delivery?" and msg.from_team is False
    stored = session.get(Message, msg.id)
    assert stored.author_contact_id == a.contact.contact_id and stored.author_user_id is None
    assert stored.workspace_id == a.ws.id and stored.account_id == a.account.id
    assert session.get(MessageThread, thread.id).last_message_at == msg.created_at

    [task] = thread_tasks(session, thread.id)
    assert task.trigger == "message.posted" and task.source_id == thread.id
    assert task.created_by_contact_id == a.contact.contact_id
    [event] = thread_events(session, thread.id, "message.posted")
    assert event.actor_kind == "contact"
    assert "When is delivery" not in event.data and '"body_length":17' in event.data
    assert audit.verify_chain(session, a.ws.id).ok


def test_markup_is_stored_verbatim_as_text(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    msg = messages.portal_post_message(session, a.contact, thread.id, body=XSS, idempotency_key=key())
    assert msg.body == XSS
    assert session.get(Message, msg.id).body == XSS
    assert messages.get_thread_messages(session, a.owner, thread.id).items[-1].body == XSS
    assert XSS not in thread_events(session, thread.id, "message.posted")[0].data


def test_retry_with_same_key_is_idempotent(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    k = key()
    first = messages.portal_post_message(session, a.contact, thread.id, body="once", idempotency_key=k)
    again = messages.portal_post_message(session, a.contact, thread.id, body="once", idempotency_key=k)
    assert first == again
    assert count(session, Message, Message.thread_id == thread.id) == 2  # staff opener + one
    assert len(thread_tasks(session, thread.id)) == 1
    assert len(thread_events(session, thread.id, "message.posted")) == 1
    other = staff_thread(session, a, subject="Second")
    with pytest.raises(Conflict):
        messages.portal_post_message(session, a.contact, other.id, body="once", idempotency_key=k)


def test_failure_mid_action_writes_nothing(session, tenants, monkeypatch):
    a, _ = tenants
    thread = staff_thread(session, a)
    before = session.get(MessageThread, thread.id).last_message_at

    def boom(*args, **kwargs):
        raise RuntimeError("audit down")

    monkeypatch.setattr(audit, "append_event", boom)
    with pytest.raises(RuntimeError):
        messages.portal_post_message(session, a.contact, thread.id, body="lost?", idempotency_key=key())
    monkeypatch.undo()
    session.expire_all()
    assert count(session, Message, Message.thread_id == thread.id) == 1
    assert thread_tasks(session, thread.id) == []
    assert session.get(MessageThread, thread.id).last_message_at == before


@pytest.mark.parametrize("body", ["", "   ", "\n\t", "x" * 8001])
def test_bad_body_refused(session, tenants, body):
    a, _ = tenants
    thread = staff_thread(session, a)
    with pytest.raises(ValidationFailed):
        messages.portal_post_message(session, a.contact, thread.id, body=body, idempotency_key=key())
    assert thread_tasks(session, thread.id) == []


def test_longest_body_accepted(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    msg = messages.portal_post_message(session, a.contact, thread.id, body="y" * 8000, idempotency_key=key())
    assert len(msg.body) == 8000


def test_contact_of_other_account_or_workspace_cannot_post_or_read(session, tenants):
    a, b = tenants
    thread = staff_thread(session, a)
    for contact in (a.other_contact, b.contact, b.other_contact):
        with pytest.raises(NotFound):
            messages.portal_post_message(session, contact, thread.id, body="hi", idempotency_key=key())
        with pytest.raises(NotFound):
            messages.portal_get_thread_messages(session, contact, thread.id)
        with pytest.raises(NotFound):
            messages.portal_get_thread(session, contact, thread.id)
        assert messages.portal_list_threads(session, contact).total == 0
    with pytest.raises(NotFound):
        messages.portal_post_message(session, a.owner, thread.id, body="hi", idempotency_key=key())
    assert count(session, Message, Message.thread_id == thread.id) == 1
    assert thread_tasks(session, thread.id) == []


def test_every_contact_may_message(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a)
    msg = messages.portal_post_message(
        session, a.billing_contact, thread.id, body="hi", idempotency_key=key()
    )
    assert msg.body == "hi"


# --- contact-started threads -------------------------------------------------------------------------------


def test_contact_starts_thread_atomically_and_idempotently(session, tenants):
    a, _ = tenants
    k = key()
    thread = messages.portal_start_thread(session, a.contact, subject="Question", body=XSS, idempotency_key=k)
    again = messages.portal_start_thread(session, a.contact, subject="Question", body=XSS, idempotency_key=k)
    assert isinstance(thread, PortalThread) and thread == again
    assert count(session, MessageThread, MessageThread.account_id == a.account.id) == 1
    row = session.get(MessageThread, thread.id)
    assert row.workspace_id == a.ws.id and row.account_id == a.account.id
    [msg] = messages.portal_get_thread_messages(session, a.contact, thread.id).items
    assert msg.body == XSS and not msg.from_team
    assert len(thread_tasks(session, thread.id)) == 1
    [event] = thread_events(session, thread.id)
    assert XSS not in event.data
    staff_view = messages.list_threads(session, a.team_lead, account_id=a.account.id)
    assert [t.id for t in staff_view.items] == [thread.id]


@pytest.mark.parametrize("kind", ["estimate", "invoice", "delivery", "approval", "document_request"])
def test_contact_thread_source_in_scope(session, tenants, kind):
    from portal_app.services import approvals, document_requests

    a, b = tenants

    def record(account, tenant):
        if kind == "estimate":
            return make_estimate(session, account).id
        if kind == "invoice":
            return make_invoice(session, account).id
        if kind == "delivery":
            return make_delivery(session, account).id
        if kind == "approval":
            return approvals.create_approval_request(session, tenant.team_lead, account.id, title="t").id
        return document_requests.create_document_request(session, tenant.team_lead, account.id, title="t").id

    own = record(a.account, a)
    thread = messages.portal_start_thread(
        session,
        a.contact,
        subject="About it",
        body="?",
        idempotency_key=key(),
        source_type=kind,
        source_id=own,
    )
    assert (thread.source_type, thread.source_id) == (kind, own)
    for foreign in (record(a.other_account, a), record(b.account, b), 999_999):
        with pytest.raises(NotFound):
            messages.portal_start_thread(
                session,
                a.contact,
                subject="x",
                body="?",
                idempotency_key=key(),
                source_type=kind,
                source_id=foreign,
            )
    assert count(session, MessageThread, MessageThread.account_id == a.account.id) == 1


def test_contact_thread_source_respects_visibility_and_permissions(session, tenants):
    a, _ = tenants
    draft_invoice = make_invoice(session, a.account, status=InvoiceStatus.DRAFT)
    draft_estimate = make_estimate(session, a.account, status=EstimateStatus.DRAFT)
    hidden = make_delivery(session, a.account, shared=False)
    no_billing = make_contact(session, a.account, billing=False, operations=True, documents=True)
    cases = [
        (a.contact, "invoice", draft_invoice.id),
        (a.contact, "estimate", draft_estimate.id),
        (a.contact, "delivery", hidden.id),
        (no_billing, "invoice", make_invoice(session, a.account).id),
        (a.billing_contact, "estimate", make_estimate(session, a.account).id),
    ]
    for contact, kind, rid in cases:
        with pytest.raises(NotFound):
            messages.portal_start_thread(
                session,
                contact,
                subject="x",
                body="?",
                idempotency_key=key(),
                source_type=kind,
                source_id=rid,
            )
    for kind, rid in (("payment", 1), ("invoice", None), ("", 5), ("message_thread", 1)):
        with pytest.raises(ValidationFailed):
            messages.portal_start_thread(
                session,
                a.contact,
                subject="x",
                body="?",
                idempotency_key=key(),
                source_type=kind,
                source_id=rid,
            )
    assert count(session, MessageThread) == 0
    assert count(session, FollowUpTask) == 0


# --- lists -------------------------------------------------------------------------------------------------


def test_thread_lists_ordered_and_paginated(session, tenants):
    a, b = tenants
    threads = [staff_thread(session, a, subject=f"T{i}") for i in range(4)]
    staff_thread(session, a, account=a.other_account, subject="other account")
    staff_thread(session, b, subject="other workspace")
    base = session.get(MessageThread, threads[0].id).last_message_at
    for i, t in enumerate(threads):
        row = session.get(MessageThread, t.id)
        row.last_message_at = base - timedelta(minutes=10 * (i + 1))
        session.add(row)
    session.flush()
    # The oldest thread gets a customer message and jumps to the top.
    messages.portal_post_message(session, a.contact, threads[3].id, body="bump", idempotency_key=key())

    page = messages.list_threads(session, a.owner, account_id=a.account.id, limit=3)
    assert [t.subject for t in page.items] == ["T3", "T0", "T1"]
    assert page.total == 4 and page.has_more
    assert messages.list_threads(session, a.owner).total == 5
    assert messages.list_threads(session, a.owner, account_id=b.account.id).total == 0

    portal = messages.portal_list_threads(session, a.contact, limit=10)
    assert [t.subject for t in portal.items] == ["T3", "T0", "T1", "T2"]
    with pytest.raises(NotFound):
        messages.list_threads(session, a.contact)


def test_message_pages(session, tenants):
    a, _ = tenants
    thread = staff_thread(session, a, body="m0")
    for i in range(1, 6):
        messages.post_staff_message(session, a.team_lead, thread.id, body=f"m{i}", internal=(i % 2 == 0))
    staff = messages.get_thread_messages(session, a.owner, thread.id, offset=2, limit=2)
    assert [m.body for m in staff.items] == ["m2", "m3"] and staff.total == 6
    portal = messages.portal_get_thread_messages(session, a.contact, thread.id, limit=2)
    assert [m.body for m in portal.items] == ["m0", "m1"] and portal.total == 4
    assert [
        m.body for m in messages.portal_get_thread_messages(session, a.contact, thread.id, offset=2).items
    ] == [
        "m3",
        "m5",
    ]
