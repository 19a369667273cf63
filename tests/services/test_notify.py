"""Notification mails: each trigger reaches the right people only, escaped, linked, and over real SMTP as
multipart/alternative with the workspace's name as sender; the daily digest once per member and day."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from models import (
    Contact,
    ContactStatus,
    CustomerAccount,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    Membership,
    Message,
    MessageThread,
    OutboxMail,
    Role,
    Workspace,
)
from portal_app import routes
from portal_app.services import (
    approvals,
    estimates,
    invoices,
    mailer,
    notify,
    periodic,
    snapshots,
    tasks,
    workspaces,
)
from portal_app.services.errors import Forbidden
from portal_app.services.lines import LineInput
from portal_app.services.permissions import ContactPermission
from tests.factories import Tenant, make_contact, make_task, make_tenant
from tests.services.test_mailer import smtp_server, smtp_settings

LINES = [LineInput("Design work", quantity=2, unit_price_minor=10_000, tax_rate_bp=0)]
WORK = [{"description": "Work", "quantity": 1, "unit_price_minor": 5_000}]


def mails(session: Session, ws_id: int | None = None) -> list[OutboxMail]:
    query = select(OutboxMail).order_by(col(OutboxMail.id))
    if ws_id is not None:
        query = query.where(OutboxMail.workspace_id == ws_id)
    return list(session.exec(query).all())


def email_of(session: Session, contact_id: int) -> str:
    contact = session.get(Contact, contact_id)
    assert contact is not None
    return contact.email


def user_email(session: Session, t: Tenant, role: Role) -> str:
    from models import User

    user = session.get(User, t.staff[role].user_id)
    assert user is not None
    return user.email


@pytest.fixture()
def two(session: Session) -> tuple[Tenant, Tenant]:
    a, b = make_tenant(session, name="Acme Services"), make_tenant(session, name="Other Co")
    # a's account also has a contact without any area permission and a deactivated one with all of them.
    make_contact(session, a.account, billing=False, operations=False, documents=False)
    gone = make_contact(session, a.account)
    row = session.get(Contact, gone.contact_id)
    row.status = ContactStatus.DEACTIVATED
    session.add(row)
    session.commit()
    return a, b


def shared_estimate(session: Session, t: Tenant, title: str = "Website rebuild"):
    est = estimates.create_estimate(session, t.team_lead, t.account.id, title=title, lines=LINES)
    return estimates.share_estimate(session, t.team_lead, est.id)


# -- records shared with an account -------------------------------------------------------------------------


def test_shared_estimate_mails_only_the_accounts_operations_contacts(session, two):
    a, b = two
    est = shared_estimate(session, a)
    queued = mails(session)
    # contact (all permissions) only: not the billing-only one, not the one without permissions, not the
    # deactivated one, not the other account's contact, not the other workspace.
    assert [m.to_email for m in queued] == [email_of(session, a.contact.contact_id)]
    mail = queued[0]
    link = routes.absolute_url(routes.record_url(routes.PORTAL_ESTIMATES, est.id))
    assert mail.workspace_id == a.ws.id and mail.from_name == "Acme Services"
    assert link in mail.body_text and f'href="{link}"' in mail.body_html
    assert est.number in mail.subject and "Website rebuild" in mail.body_text
    assert "Acme Services" in mail.body_html
    assert "/auth/magic" not in mail.body_text + mail.body_html  # never a sign-in token
    assert b.account.name not in mail.body_text and a.other_account.name not in mail.body_text


def test_reissue_mails_again(session, two):
    a, _ = two
    est = shared_estimate(session, a)
    estimates.reissue_estimate(session, a.team_lead, est.id, lines=LINES, valid_until=None)
    assert [("version 2" in m.body_text) for m in mails(session)] == [False, True]


def test_issued_invoice_mails_billing_contacts(session, two):
    a, _ = two
    inv = invoices.create_invoice(session, a.finance, a.account.id, lines=WORK)
    assert mails(session) == []  # a draft is not shared
    inv = invoices.issue_invoice(session, a.finance, inv.id)
    queued = mails(session)
    assert sorted(m.to_email for m in queued) == sorted(
        [email_of(session, a.contact.contact_id), email_of(session, a.billing_contact.contact_id)]
    )
    link = routes.absolute_url(routes.record_url(routes.PORTAL_INVOICES, inv.id))
    assert all(link in m.body_text and inv.number in m.subject for m in queued)
    assert all("$50.00" in m.body_text for m in queued)


def test_approval_request_mails_operations_contacts(session, two):
    a, _ = two
    appr = approvals.create_approval_request(session, a.team_lead, a.account.id, title="Sign off the plan")
    queued = mails(session)
    assert [m.to_email for m in queued] == [email_of(session, a.contact.contact_id)]
    assert routes.absolute_url(routes.record_url(routes.PORTAL_APPROVALS, appr.id)) in queued[0].body_text


def test_shared_statement_mails_billing_contacts_with_the_statements_page(session, two):
    a, _ = two
    snapshots.share_statement(
        session, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
    )
    queued = mails(session)
    assert len(queued) == 2
    assert all(routes.absolute_url(routes.PORTAL_STATEMENTS) in m.body_text for m in queued)
    # The same statement shared twice is the same snapshot: no second round of mails.
    snapshots.share_statement(
        session, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
    )
    assert len(mails(session)) == 2


def test_a_record_of_another_workspace_mails_nobody(session, two):
    a, b = two
    # Forged ids: b's account under a's workspace id finds no contacts (and no account).
    notify.record_shared(
        session, workspace_id=a.ws.id, account_id=b.account.id, kind="invoice", record_id=1, title="x"
    )
    assert mails(session) == []
    with pytest.raises(KeyError):
        notify.record_shared(
            session, workspace_id=a.ws.id, account_id=a.account.id, kind="payroll", record_id=1, title="x"
        )


def test_customer_mails_off_means_none_to_contacts_but_staff_still_get_theirs(session, two):
    a, _ = two
    workspaces.set_customer_mails(session, a.owner, enabled=False)
    shared_estimate(session, a)
    invoices.issue_invoice(
        session, a.finance, invoices.create_invoice(session, a.finance, a.account.id, lines=WORK).id
    )
    assert mails(session) == []
    task = make_task(session, a.ws, account=a.account)
    session.commit()
    tasks.assign_task(session, a.owner, task.id, assignee_user_id=a.team_lead.user_id)
    assert [m.to_email for m in mails(session)] == [user_email(session, a, Role.TEAM_LEAD)]
    workspaces.set_customer_mails(session, a.owner, enabled=True)
    shared_estimate(session, a)
    assert len(mails(session)) == 2


def test_portal_off_means_no_mails_to_contacts(session, two):
    a, _ = two
    workspaces.set_portal_enabled(session, a.owner, enabled=False)
    shared_estimate(session, a)
    assert mails(session) == []


def test_user_text_is_escaped_in_the_html_part(session, two):
    a, _ = two
    shared_estimate(session, a, title='<script>alert("x")</script> & <b>bold</b>')
    (mail,) = mails(session)
    assert "<script>" not in mail.body_html and "<b>" not in mail.body_html
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &lt;b&gt;bold&lt;/b&gt;" in mail.body_html
    assert '<script>alert("x")</script> & <b>bold</b>' in mail.body_text  # the text part is the text


def test_html_mail_goes_out_as_multipart_alternative_from_the_workspace(session, two, monkeypatch):
    a, _ = two
    a.ws.name = 'Acme "Quotes", Inc.\r\nBcc: x@evil.test'
    session.add(a.ws)
    session.commit()
    shared_estimate(session, a, title="<img src=x onerror=alert(1)>")
    with smtp_server() as (recorder, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 1
    ((envelope_from, rcpts, msg),) = recorder.received
    assert envelope_from == "portal@example.test"
    assert rcpts == [email_of(session, a.contact.contact_id)]
    assert msg.get_content_type() == "multipart/alternative"
    assert msg["From"].addresses[0].display_name == 'Acme "Quotes", Inc. Bcc: x@evil.test via Customer Portal'
    assert msg["From"].addresses[0].addr_spec == "portal@example.test"
    assert msg["Bcc"] is None
    text = msg.get_body(preferencelist=("plain",)).get_content()
    html = msg.get_body(preferencelist=("html",)).get_content()
    assert "<img src=x onerror=alert(1)>" in text
    assert "&lt;img src=x onerror=alert(1)&gt;" in html and "<img" not in html
    assert "Acme &quot;Quotes&quot;, Inc." in html


def test_mail_without_a_workspace_keeps_the_configured_sender_and_one_part(session, monkeypatch):
    from portal_app.services import notifications

    notifications.enqueue_mail(
        session, workspace_id=None, to_email="ann@customer.test", subject="Hi", body_text="x"
    )
    session.commit()
    with smtp_server() as (recorder, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 1
    msg = recorder.received[0][2]
    assert msg["From"] == "Customer Portal <portal@example.test>" and msg.get_content_type() == "text/plain"


# -- contacts: requests, rejections, replies ----------------------------------------------------------------


def test_document_request_mails_documents_contacts(session, two):
    a, _ = two
    notify.document_requested(
        session, workspace_id=a.ws.id, account_id=a.account.id, request_id=5, title="W-9"
    )
    assert [m.to_email for m in mails(session)] == [email_of(session, a.contact.contact_id)]
    assert routes.absolute_url(routes.record_url(routes.PORTAL_DOCUMENTS, 5)) in mails(session)[0].body_text


def _intake(session: Session, t: Tenant, contact_id: int, kind: IntakeKind, **kw) -> IntakeFile:
    row = IntakeFile(
        workspace_id=t.ws.id,
        account_id=t.account.id,
        contact_id=contact_id,
        kind=kind,
        storage_key=uuid.uuid4().hex,
        original_name="proof <1>.pdf",
        sniffed_type="application/pdf",
        size_bytes=10,
        sha256="0" * 64,
        **kw,
    )
    session.add(row)
    session.commit()
    return row


def test_rejected_upload_mails_its_sender_only_with_the_reason(session, two):
    a, b = two
    inv = invoices.issue_invoice(
        session, a.finance, invoices.create_invoice(session, a.finance, a.account.id, lines=WORK).id
    )
    for m in mails(session):
        session.delete(m)
    session.commit()
    proof = _intake(session, a, a.billing_contact.contact_id, IntakeKind.PAYMENT_PROOF, invoice_id=inv.id)
    notify.upload_rejected(session, workspace_id=a.ws.id, intake_id=proof.id, reason="Amount <unreadable>")
    (mail,) = mails(session)
    assert mail.to_email == email_of(session, a.billing_contact.contact_id)
    assert "Amount <unreadable>" in mail.body_text and "Amount &lt;unreadable&gt;" in mail.body_html
    assert routes.absolute_url(routes.record_url(routes.PORTAL_INVOICES, inv.id)) in mail.body_text
    # Another workspace's id finds nothing; a sender who lost access gets nothing.
    notify.upload_rejected(session, workspace_id=b.ws.id, intake_id=proof.id, reason="x")
    contact = session.get(Contact, a.billing_contact.contact_id)
    contact.status = ContactStatus.DEACTIVATED
    session.add(contact)
    session.commit()
    notify.upload_rejected(session, workspace_id=a.ws.id, intake_id=proof.id, reason="x")
    assert len(mails(session)) == 1


def test_rejected_document_needs_the_documents_permission(session, two):
    a, _ = two
    doc = _intake(session, a, a.billing_contact.contact_id, IntakeKind.DOCUMENT)  # billing-only sender
    notify.upload_rejected(session, workspace_id=a.ws.id, intake_id=doc.id, reason="Blurry")
    assert mails(session) == []


def _thread(session: Session, t: Tenant, *, internal: bool, by_staff: bool = True) -> Message:
    thread = MessageThread(workspace_id=t.ws.id, account_id=t.account.id, subject="Delivery <date>")
    session.add(thread)
    session.flush()
    message = Message(
        workspace_id=t.ws.id,
        account_id=t.account.id,
        thread_id=thread.id,
        author_user_id=t.team_lead.user_id if by_staff else None,
        author_contact_id=None if by_staff else t.contact.contact_id,
        body="We ship <Monday>.\nSee you",
        internal=internal,
    )
    session.add(message)
    session.commit()
    return message


def test_staff_reply_mails_every_active_contact_of_the_account_never_a_note(session, two):
    a, b = two
    note = _thread(session, a, internal=True)
    notify.staff_replied(session, workspace_id=a.ws.id, thread_id=note.thread_id, message_id=note.id)
    assert mails(session) == []
    mine = _thread(session, a, internal=False, by_staff=False)
    notify.staff_replied(session, workspace_id=a.ws.id, thread_id=mine.thread_id, message_id=mine.id)
    assert mails(session) == []  # a contact's own message is no staff reply
    reply = _thread(session, a, internal=False)
    notify.staff_replied(session, workspace_id=b.ws.id, thread_id=reply.thread_id, message_id=reply.id)
    assert mails(session) == []  # another workspace's ids
    notify.staff_replied(session, workspace_id=a.ws.id, thread_id=reply.thread_id, message_id=reply.id)
    queued = mails(session)
    active = [
        c.email
        for c in notify.account_contacts(
            session, workspace_id=a.ws.id, account_id=a.account.id, permission=ContactPermission.MESSAGES
        )
    ]
    assert sorted(m.to_email for m in queued) == sorted(active) and len(active) == 3
    assert email_of(session, a.other_contact.contact_id) not in active
    assert all(
        "We ship &lt;Monday&gt;." in m.body_html and "We ship <Monday>." in m.body_text for m in queued
    )
    link = routes.absolute_url(routes.record_url(routes.PORTAL_MESSAGES, reply.thread_id))
    assert all(link in m.body_text for m in queued)


# -- staff: assignments and customer actions ------------------------------------------------------------------


def test_assigned_task_mails_the_assignee_not_a_self_assignment(session, two):
    a, b = two
    task = make_task(session, a.ws, account=a.account, title="Call <them>")
    session.commit()
    tasks.assign_task(session, a.team_lead, task.id, assignee_user_id=a.team_lead.user_id)
    assert mails(session) == []
    tasks.assign_task(session, a.owner, task.id, assignee_user_id=a.finance.user_id)
    (mail,) = mails(session)
    assert mail.to_email == user_email(session, a, Role.FINANCE_REVIEWER)
    assert routes.absolute_url(routes.record_url(routes.STAFF_TASKS, task.id)) in mail.body_text
    assert "Call &lt;them&gt;" in mail.body_html and mail.from_name == a.ws.name
    tasks.assign_task(session, a.owner, task.id, assignee_user_id=a.finance.user_id)  # unchanged: no mail
    tasks.assign_task(session, a.owner, task.id, assignee_user_id=None)
    assert len(mails(session)) == 1
    # Forged: a member of another workspace is never mailed.
    notify.task_assigned(session, workspace_id=a.ws.id, task_id=task.id, assignee_user_id=b.owner.user_id)
    assert len(mails(session)) == 1


def test_customer_action_mails_the_accounts_owner(session, two):
    a, _ = two
    est = shared_estimate(session, a)
    estimates.decide_estimate(
        session, a.contact, est.id, decision="approve", version=1, signature="Ann", idempotency_key="k" * 12
    )
    assert [m.to_email for m in mails(session)] == [email_of(session, a.contact.contact_id)]  # no owner yet
    account = session.get(CustomerAccount, a.account.id)
    account.owner_user_id = a.manager.user_id
    session.add(account)
    session.commit()
    est2 = shared_estimate(session, a, title="Second")
    estimates.decide_estimate(
        session, a.contact, est2.id, decision="decline", version=1, note="Too dear", idempotency_key="k" * 13
    )
    staff = [m for m in mails(session) if m.to_email == user_email(session, a, Role.MANAGER)]
    task = session.exec(select(FollowUpTask).where(FollowUpTask.source_id == est2.id)).one()
    assert len(staff) == 1
    assert routes.absolute_url(routes.record_url(routes.STAFF_TASKS, task.id)) in staff[0].body_text
    assert account.name in staff[0].subject
    # The owner left the workspace: nobody is mailed.
    session.delete(session.get(Membership, a.manager.membership_id))
    session.commit()
    notify.customer_action(session, workspace_id=a.ws.id, account_id=a.account.id, task_id=task.id)
    # A task of another account is not this account's action.
    notify.customer_action(session, workspace_id=a.ws.id, account_id=a.other_account.id, task_id=task.id)
    assert len([m for m in mails(session) if m.to_email == user_email(session, a, Role.MANAGER)]) == 1


# -- daily digest ---------------------------------------------------------------------------------------------


def test_daily_digest_once_per_member_and_day(session, two):
    a, b = two
    today = datetime.now(UTC).date()
    make_task(session, a.ws, account=a.account, title="Overdue <one>", due_in=timedelta(days=-3))
    make_task(session, a.ws, account=a.account, title="Due later", due_in=timedelta(days=2))
    make_task(session, a.ws, assignee_role=None, assignee_user_id=a.finance.user_id, title="Mine")
    make_task(session, a.ws, assignee_role=Role.FINANCE_REVIEWER, assignee_user_id=a.owner.user_id)
    make_task(session, b.ws, title="Other workspace")
    session.commit()
    assert notify.daily_digests(session, today=today, dry_run=True) == 4  # a: lead, finance, owner; b: lead
    assert mails(session) == []
    assert notify.daily_digests(session, today=today) == 4
    assert notify.daily_digests(session, today=today) == 0  # idempotent per (member, day)
    lead = next(m for m in mails(session, a.ws.id) if m.to_email == user_email(session, a, Role.TEAM_LEAD))
    assert "2 open tasks, 1 of them overdue" in lead.body_text
    assert "Overdue &lt;one&gt; (overdue by 3 days)" in lead.body_html
    assert lead.body_text.index("Overdue <one>") < lead.body_text.index("Due later")
    assert "Other workspace" not in lead.body_text and "Mine" not in lead.body_text
    finance = next(
        m for m in mails(session, a.ws.id) if m.to_email == user_email(session, a, Role.FINANCE_REVIEWER)
    )
    # The task assigned to the owner in person is not the finance reviewers' any more.
    assert "1 open task." in finance.body_text and "Mine" in finance.body_text
    # Tomorrow: again; a member who turned it off: not.
    from portal_app.services import members

    members.set_daily_digest(session, a.team_lead, enabled=False)
    assert notify.daily_digests(session, today=today + timedelta(days=1)) == 3


def test_mail_loop_queues_the_digest_once_a_day_after_the_hour(session, two):
    a, _ = two
    make_task(session, a.ws, account=a.account)
    session.commit()
    digest = tuple(j for j in periodic.JOBS if j.name == "daily-digest")
    early = datetime(2026, 3, 2, periodic.DIGEST_HOUR_UTC - 1, 30, tzinfo=UTC)
    assert periodic.run_due(session, now=early, jobs=digest) == {}
    later = early + timedelta(hours=1)
    assert periodic.run_due(session, now=later, jobs=digest) == {"daily-digest": 1}
    assert periodic.run_due(session, now=later + timedelta(hours=3), jobs=digest) == {}  # done for today
    # Another worker with its own clock cannot run it again today either; tomorrow it is due again.
    assert periodic.run_due(session, now=later + timedelta(hours=17), jobs=digest) == {}
    assert periodic.run_due(session, now=later + timedelta(days=1), jobs=digest) == {"daily-digest": 1}


def test_manage_digest_command(monkeypatch, capsys):
    from portal_app import manage

    seen: list[bool] = []

    def fake(session, *, today, dry_run=False):
        seen.append(dry_run)
        return 3

    monkeypatch.setattr(notify, "daily_digests", fake)
    assert manage.main(["digest", "--dry-run"]) == 0
    assert manage.main(["digest"]) == 0
    assert seen == [True, False]
    out = capsys.readouterr().out
    assert "3 daily digests would be queued" in out and "3 daily digests queued" in out


# -- settings services ----------------------------------------------------------------------------------------


def test_customer_mails_switch_is_for_owners_and_managers_and_audited(session, two):
    from models import AuditEvent

    a, _ = two
    for role in (Role.TEAM_LEAD, Role.FINANCE_REVIEWER):
        with pytest.raises(Forbidden):
            workspaces.set_customer_mails(session, a.staff[role], enabled=False)
    assert workspaces.set_customer_mails(session, a.manager, enabled=False).customer_mails_enabled is False
    assert session.get(Workspace, a.ws.id).customer_mails_enabled is False
    workspaces.set_customer_mails(session, a.manager, enabled=False)  # unchanged: no second event
    events = session.exec(
        select(AuditEvent.action).where(
            AuditEvent.workspace_id == a.ws.id, col(AuditEvent.action).startswith("workspace.customer_mails")
        )
    ).all()
    assert events == ["workspace.customer_mails_off"]


def test_daily_digest_switch_changes_only_the_members_own(session, two):
    from portal_app.services import members

    a, b = two
    assert members.daily_digest_enabled(session, a.team_lead) is True
    assert members.set_daily_digest(session, a.team_lead, enabled=False) is False
    flags = {m.user_id: m.daily_digest for m in session.exec(select(Membership)).all()}
    assert flags[a.team_lead.user_id] is False
    assert sum(1 for v in flags.values() if v is False) == 1
    assert members.daily_digest_enabled(session, b.team_lead) is True
