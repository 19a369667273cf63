"""Reminders across a simulated month with a frozen clock (``now`` passed explicitly): the right mails on the right
days, one per contact and day, none when done, paused, not permitted, unsubscribed or switched off; the sweep runs
once whatever runs twice, crashes or races."""

from __future__ import annotations

import threading
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import Session, col, select

from models import (
    AuditEvent,
    Contact,
    DocumentRequest,
    DocumentRequestItem,
    DocumentRequestStatus,
    Estimate,
    EstimateStatus,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    JobLease,
    OutboxMail,
    Payment,
    ReminderDigest,
    ReminderSent,
    Workspace,
)
from portal_app.services import notifications, periodic, reminders
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import Tenant, make_account, make_contact, make_tenant, n

D0 = date(2027, 3, 1)  # a Monday


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def doc_request(
    session: Session, t: Tenant, due: date, *, title: str = "Signed W-9", items: int = 1, account=None
) -> DocumentRequest:
    account = account or t.account
    row = DocumentRequest(workspace_id=t.ws.id, account_id=account.id, title=title, due_on=due)
    session.add(row)
    session.flush()
    for i in range(items):
        session.add(
            DocumentRequestItem(
                workspace_id=t.ws.id, request_id=row.id, position=i + 1, label=f"{title} {i + 1}"
            )
        )
    session.commit()
    return row


def estimate(session: Session, t: Tenant, valid_until: date, *, title: str = "Website rebuild") -> Estimate:
    row = Estimate(
        workspace_id=t.ws.id,
        account_id=t.account.id,
        number=f"EST-{n():04d}",
        title=title,
        status=EstimateStatus.SHARED,
        valid_until=valid_until,
    )
    session.add(row)
    session.commit()
    return row


def invoice(session: Session, t: Tenant, due: date, *, account=None) -> Invoice:
    account = account or t.account
    row = Invoice(
        workspace_id=t.ws.id,
        account_id=account.id,
        number=f"INV-{n():04d}",
        status=InvoiceStatus.OPEN,
        issue_date=due - timedelta(days=30),
        due_date=due,
        total_minor=12_345,
    )
    session.add(row)
    session.commit()
    return row


def set_status(session: Session, row, status) -> None:
    row.status = status
    session.add(row)
    session.commit()


def email(session: Session, contact_id: int) -> str:
    contact = session.get(Contact, contact_id)
    assert contact is not None
    return contact.email


def mails_to(session: Session, address: str) -> list[OutboxMail]:
    rows = list(
        session.exec(
            select(OutboxMail).where(OutboxMail.to_email == address).order_by(col(OutboxMail.id))
        ).all()
    )
    session.commit()
    return rows


def sent_days(session: Session, contact_id: int, record_type: str) -> list[int]:
    rows = session.exec(
        select(ReminderSent.day).where(
            ReminderSent.contact_id == contact_id, ReminderSent.record_type == record_type
        )
    ).all()
    session.commit()
    return sorted((d - D0).days for d in rows)


def run_days(session: Session, first: int, last: int) -> int:
    return sum(reminders.sweep(session, now=at(D0 + timedelta(days=k))) for k in range(first, last + 1))


@pytest.fixture()
def two(session: Session) -> tuple[Tenant, Tenant]:
    return make_tenant(session, name="Acme <Services>"), make_tenant(session, name="Other Co")


# -- the schedule ------------------------------------------------------------------------------------------------


def test_a_month_of_reminders_on_the_right_days_for_each_kind(session, two):
    a, b = two
    doc_request(session, a, D0 + timedelta(days=10))
    estimate(session, a, D0 + timedelta(days=5))
    invoice(session, a, D0 + timedelta(days=3))
    invoice(session, b, D0 + timedelta(days=3))
    run_days(session, 0, 30)
    c, billing, other = a.contact.contact_id, a.billing_contact.contact_id, a.other_contact.contact_id
    # Documents: 3 days before, on the due date, then every 7 days while overdue.
    assert sent_days(session, c, "document_request") == [7, 10, 17, 24]
    # Estimates: 3 days before the last valid day, once.
    assert sent_days(session, c, "estimate") == [2]
    # Invoices: on the due date, then every 7 days.
    assert sent_days(session, c, "invoice") == [3, 10, 17, 24]
    # The billing-only contact hears about the invoice only; the other account's contact about nothing.
    assert sent_days(session, billing, "invoice") == [3, 10, 17, 24]
    assert sent_days(session, billing, "document_request") == sent_days(session, billing, "estimate") == []
    assert sent_days(session, other, "invoice") == []
    # One mail per contact and day: day 10 carries the document request and the invoice together.
    assert len(mails_to(session, email(session, c))) == len({2, 3, 7, 10, 17, 24})
    day10 = [m for m in mails_to(session, email(session, c)) if "“Signed W-9” is due today" in m.body_text]
    assert len(day10) == 1 and "overdue by 7 days" in day10[0].body_text
    # The other workspace's own contact got its own invoice's reminders, and nothing of a's.
    other_ws = mails_to(session, email(session, b.contact.contact_id))
    assert len(other_ws) == 4 and all("Signed W-9" not in m.body_text for m in other_ws)


def test_at_most_max_per_record(session, two):
    a, _ = two
    reminders.set_policy(session, a.owner, {"max_per_record": 2})
    invoice(session, a, D0)
    run_days(session, 0, 30)
    assert sent_days(session, a.contact.contact_id, "invoice") == [0, 7]


def test_a_switched_off_reminder_is_not_sent(session, two):
    a, _ = two
    reminders.set_policy(
        session,
        a.owner,
        {"documents_before_days": None, "documents_on_due": False, "invoices_every_days": None},
    )
    doc_request(session, a, D0 + timedelta(days=3))
    invoice(session, a, D0)
    run_days(session, 0, 20)
    assert sent_days(session, a.contact.contact_id, "document_request") == [10, 17]
    assert sent_days(session, a.contact.contact_id, "invoice") == [0]


def test_none_once_the_record_is_done(session, two):
    a, _ = two
    inv = invoice(session, a, D0)
    void = invoice(session, a, D0)
    req = doc_request(session, a, D0)
    cancelled = doc_request(session, a, D0, title="Insurance")
    est = estimate(session, a, D0 + timedelta(days=10))
    est_expired = estimate(session, a, D0 + timedelta(days=10))
    run_days(session, 0, 0)
    c = a.contact.contact_id
    assert sent_days(session, c, "invoice") == [0, 0]
    set_status(session, inv, InvoiceStatus.PAID)
    set_status(session, void, InvoiceStatus.VOID)
    set_status(session, req, DocumentRequestStatus.FULFILLED)
    set_status(session, cancelled, DocumentRequestStatus.CANCELLED)
    set_status(session, est, EstimateStatus.APPROVED)
    set_status(session, est_expired, EstimateStatus.EXPIRED)
    assert run_days(session, 1, 30) == 0
    assert sent_days(session, c, "estimate") == []


def test_no_document_reminder_while_every_item_is_in_review(session, two):
    a, _ = two
    req = doc_request(session, a, D0, items=2)
    items = session.exec(select(DocumentRequestItem).where(DocumentRequestItem.request_id == req.id)).all()

    def upload(item_id: int) -> None:
        session.add(
            IntakeFile(
                workspace_id=a.ws.id,
                account_id=a.account.id,
                contact_id=a.contact.contact_id,
                kind=IntakeKind.DOCUMENT,
                document_request_id=req.id,
                document_request_item_id=item_id,
                storage_key=f"key-{n()}",
                original_name="w9.pdf",
                sniffed_type="application/pdf",
                size_bytes=10,
                sha256="0" * 64,
                status=IntakeStatus.AWAITING_REVIEW,
            )
        )
        session.commit()

    upload(items[0].id)
    set_status(session, req, DocumentRequestStatus.SUBMITTED)
    assert reminders.sweep(session, now=at(D0)) == 1  # one item still needs a file
    body = mails_to(session, email(session, a.contact.contact_id))[0].body_text
    assert "1 of 2 documents still needed" in body
    upload(items[1].id)
    assert run_days(session, 1, 20) == 0


# -- pauses --------------------------------------------------------------------------------------------------------


def test_paused_account_gets_nothing_until_resumed(session, two):
    a, _ = two
    invoice(session, a, D0)
    invoice(session, a, D0, account=a.other_account)
    p = reminders.pause(session, a.finance, reason="  On a payment   plan ", account_id=a.account.id)
    assert p.reason == "On a payment plan" and p.account_id == a.account.id and p.record_type is None
    run_days(session, 0, 6)
    assert sent_days(session, a.contact.contact_id, "invoice") == []
    assert sent_days(session, a.other_contact.contact_id, "invoice") == [0]  # the other account is not paused
    reminders.resume(session, a.finance, p.id)
    run_days(session, 7, 7)
    assert sent_days(session, a.contact.contact_id, "invoice") == [7]
    actions = session.exec(
        select(AuditEvent.action, AuditEvent.data).where(
            AuditEvent.workspace_id == a.ws.id, col(AuditEvent.action).startswith("reminders.")
        )
    ).all()
    assert [x for x, _ in actions] == ["reminders.paused", "reminders.resumed"]
    assert "On a payment plan" in actions[0][1]


def test_paused_record_gets_nothing_until_resumed(session, two):
    a, _ = two
    inv = invoice(session, a, D0)
    other = invoice(session, a, D0)
    p = reminders.pause(session, a.finance, reason="Disputed", record_type="invoice", record_id=inv.id)
    run_days(session, 0, 0)
    rows = session.exec(
        select(ReminderSent.record_id).where(ReminderSent.contact_id == a.contact.contact_id)
    ).all()
    assert set(rows) == {other.id}
    reminders.resume(session, a.finance, p.id)
    run_days(session, 7, 7)
    rows = session.exec(
        select(ReminderSent.record_id).where(
            ReminderSent.contact_id == a.contact.contact_id, ReminderSent.day == D0 + timedelta(days=7)
        )
    ).all()
    assert set(rows) == {inv.id, other.id}


def test_pause_permissions_and_validation(session, two):
    a, b = two
    inv = invoice(session, a, D0)
    est = estimate(session, a, D0)
    req = doc_request(session, a, D0)
    with pytest.raises(Forbidden):  # finance/admin reviewers do not manage estimates
        reminders.pause(session, a.finance, reason="x", record_type="estimate", record_id=est.id)
    with pytest.raises(Forbidden):  # team leads do not manage invoices
        reminders.pause(session, a.team_lead, reason="x", record_type="invoice", record_id=inv.id)
    with pytest.raises(NotFound):
        reminders.pause(session, a.contact, reason="x", account_id=a.account.id)
    with pytest.raises(NotFound):  # another workspace's account and record
        reminders.pause(session, b.owner, reason="x", account_id=a.account.id)
    with pytest.raises(NotFound):
        reminders.pause(session, b.owner, reason="x", record_type="invoice", record_id=inv.id)
    with pytest.raises(ValidationFailed):
        reminders.pause(session, a.owner, reason="   ", account_id=a.account.id)
    with pytest.raises(ValidationFailed):
        reminders.pause(session, a.owner, reason="x" * 501, account_id=a.account.id)
    with pytest.raises(ValidationFailed):
        reminders.pause(
            session, a.owner, reason="x", account_id=a.account.id, record_type="invoice", record_id=inv.id
        )
    with pytest.raises(ValidationFailed):
        reminders.pause(session, a.owner, reason="x")
    with pytest.raises(ValidationFailed):
        reminders.pause(session, a.owner, reason="x", record_type="statement", record_id=1)
    # Team leads pause accounts (accounts:manage) and document requests; finance pauses accounts and invoices.
    p1 = reminders.pause(session, a.team_lead, reason="Holiday", account_id=a.account.id)
    reminders.pause(session, a.team_lead, reason="Waiting", record_type="document_request", record_id=req.id)
    with pytest.raises(Conflict):
        reminders.pause(session, a.finance, reason="Again", account_id=a.account.id)
    p3 = reminders.pause(session, a.finance, reason="Disputed", record_type="invoice", record_id=inv.id)
    assert reminders.active_pause(session, a.finance, account_id=a.account.id).id == p1.id
    assert reminders.active_pause(
        session, a.finance, record_type="invoice", record_id=inv.id
    ).target.startswith("Invoice INV-")
    assert reminders.active_pause(session, a.finance, account_id=a.other_account.id) is None
    assert len(reminders.list_pauses(session, a.team_lead)) == 3
    with pytest.raises(NotFound):
        reminders.resume(session, b.owner, p1.id)
    with pytest.raises(Forbidden):
        reminders.resume(session, a.team_lead, p3.id)
    reminders.resume(session, a.owner, p1.id)
    with pytest.raises(Conflict):
        reminders.resume(session, a.owner, p1.id)
    assert reminders.active_pause(session, a.owner, account_id=a.account.id) is None


# -- one mail per contact and day ----------------------------------------------------------------------------------


def test_one_digest_per_contact_and_day_gathers_every_item(session, two):
    a, _ = two
    d1 = doc_request(session, a, D0 + timedelta(days=3), title="<script>alert(1)</script>")
    doc_request(session, a, D0 + timedelta(days=3), title="Insurance certificate")
    inv = invoice(session, a, D0 - timedelta(days=7))
    est = estimate(session, a, D0 + timedelta(days=3))
    assert reminders.sweep(session, now=at(D0)) == 2  # the contact and the billing contact
    (mail,) = mails_to(session, email(session, a.contact.contact_id))
    ws_name = "Acme <Services>"
    assert mail.from_name == ws_name
    assert mail.subject == (
        f"Reminder from {ws_name}: 2 document requests due, 1 invoice overdue, 1 estimate to decide by Thursday"
    )
    assert "<script>alert(1)</script>" in mail.body_text
    assert "<script>" not in mail.body_html and "&lt;script&gt;alert(1)&lt;/script&gt;" in mail.body_html
    assert "Acme &lt;Services&gt;" in mail.body_html
    assert f"/portal/documents/{d1.id}" in mail.body_text
    assert f"/portal/invoices/{inv.id}" in mail.body_text and f"/portal/estimates/{est.id}" in mail.body_text
    assert f"Invoice {inv.number} ($123.45 to pay) is overdue by 7 days" in mail.body_text
    assert f"Estimate {est.number} “Website rebuild” is valid until Thursday, 4 Mar 2027" in mail.body_text
    assert reminders.unsubscribe_url(a.contact.contact_id, a.ws.id) in mail.body_text
    assert "Stop these reminders" in mail.body_html
    (billing,) = mails_to(session, email(session, a.billing_contact.contact_id))
    assert billing.subject.endswith(": 1 invoice overdue") and "Insurance" not in billing.body_text
    marker = session.exec(
        select(ReminderDigest).where(ReminderDigest.contact_id == a.contact.contact_id)
    ).one()
    assert marker.items == 4 and marker.outbox_mail_id == mail.id


def test_none_to_a_contact_without_the_permission(session, two):
    a, _ = two
    nobody = make_contact(session, a.account, billing=False, operations=False, documents=False)
    docs_only = make_contact(session, a.account, billing=False, operations=False, documents=True)
    session.commit()
    invoice(session, a, D0)
    estimate(session, a, D0 + timedelta(days=3))
    run_days(session, 0, 0)
    assert mails_to(session, email(session, nobody.contact_id)) == []
    assert mails_to(session, email(session, docs_only.contact_id)) == []
    assert sent_days(session, a.billing_contact.contact_id, "estimate") == []
    assert sent_days(session, a.contact.contact_id, "estimate") == [0]


def test_unsubscribe_stops_reminders_only_for_that_contact(session, two):
    a, b = two
    invoice(session, a, D0)
    url = reminders.unsubscribe_url(a.contact.contact_id, a.ws.id)
    token = url.rsplit("/", 1)[1]
    contact_id, ws_id, sig = token.split(".")
    assert len(token) < 40  # not taken for a sign-in token when stored mails are blanked
    # Forged, tampered and cross-workspace tokens are refused.
    assert not reminders.unsubscribe(session, f"{contact_id}.{ws_id}.{sig[:-1]}A")
    assert not reminders.unsubscribe(session, f"{a.other_contact.contact_id}.{ws_id}.{sig}")
    assert not reminders.unsubscribe(session, f"{contact_id}.{b.ws.id}.{sig}")
    assert not reminders.unsubscribe(session, "garbage")
    other_ws_token = reminders.unsubscribe_url(a.contact.contact_id, b.ws.id).rsplit("/", 1)[1]
    assert not reminders.unsubscribe(session, other_ws_token)  # signed, but the contact is not b's
    assert reminders.unsubscribe(session, token)
    assert reminders.unsubscribe(session, token)  # twice: still fine, audited once
    run_days(session, 0, 0)
    assert mails_to(session, email(session, a.contact.contact_id)) == []
    assert len(mails_to(session, email(session, a.billing_contact.contact_id))) == 1
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "reminders.unsubscribed")).all()
    assert [(e.actor_kind, e.actor_id, e.workspace_id) for e in events] == [
        ("contact", a.contact.contact_id, a.ws.id)
    ]


def test_no_reminders_when_switched_off(session, two):
    a, _ = two
    invoice(session, a, D0)
    ws = session.get(Workspace, a.ws.id)
    ws.customer_mails_enabled = False
    session.add(ws)
    session.commit()
    assert reminders.sweep(session, now=at(D0)) == 0
    ws.customer_mails_enabled, ws.portal_enabled = True, False
    session.add(ws)
    session.commit()
    assert reminders.sweep(session, now=at(D0)) == 0
    ws.portal_enabled = True
    session.add(ws)
    session.commit()
    reminders.set_policy(session, a.owner, reminders.ReminderPolicy(enabled=False))
    assert reminders.sweep(session, now=at(D0)) == 0
    assert reminders.preview(session, a.owner, today=D0) == []
    reminders.set_policy(session, a.owner, reminders.ReminderPolicy())
    assert reminders.sweep(session, now=at(D0)) == 2


def test_the_workspace_reminds_on_its_own_date(session, two):
    a, b = two
    reminders.set_time_zone(session, a.owner, "Pacific/Auckland")  # UTC+13 in March
    invoice(session, a, D0 + timedelta(days=1))
    invoice(session, b, D0 + timedelta(days=1))
    # 18:00 UTC on D0 is 07:00 on D0+1 in Auckland: its date, but before the hour reminders go out.
    assert reminders.sweep(session, now=at(D0, 18)) == 0
    # 20:00 UTC on D0 is 09:00 on D0+1 in Auckland: its invoice is due today there; b's (UTC) is not yet.
    assert reminders.sweep(session, now=at(D0, 20)) == 2
    assert sent_days(session, a.contact.contact_id, "invoice") == [1]
    assert sent_days(session, b.contact.contact_id, "invoice") == []
    assert "due today" in mails_to(session, email(session, a.contact.contact_id))[0].body_text
    assert reminders.sweep(session, now=at(D0 + timedelta(days=1), 9)) == 2  # b's own due date
    assert sent_days(session, a.contact.contact_id, "invoice") == [1]


# -- runs once -------------------------------------------------------------------------------------------------------


def test_running_twice_the_same_day_sends_once(session, two):
    a, _ = two
    invoice(session, a, D0)
    assert reminders.sweep(session, now=at(D0)) == 2
    assert reminders.sweep(session, now=at(D0, 15)) == 0
    assert len(mails_to(session, email(session, a.contact.contact_id))) == 1


def test_a_crash_mid_sweep_then_a_rerun_sends_each_contact_once(session, two, monkeypatch):
    a, _ = two
    invoice(session, a, D0)
    real = notifications.enqueue_mail
    calls: list[str] = []

    def crashing(session_, **kwargs):
        calls.append(kwargs["to_email"])
        if len(calls) == 2:
            raise RuntimeError("worker killed")
        return real(session_, **kwargs)

    monkeypatch.setattr(notifications, "enqueue_mail", crashing)
    with pytest.raises(RuntimeError):
        reminders.sweep(session, now=at(D0))
    first, second = calls
    assert len(mails_to(session, first)) == 1 and mails_to(session, second) == []
    monkeypatch.setattr(notifications, "enqueue_mail", real)
    assert (
        reminders.sweep(session, now=at(D0, 10)) == 1
    )  # the lease was let go; only the second contact is left
    assert len(mails_to(session, first)) == 1 and len(mails_to(session, second)) == 1


def test_a_live_lease_keeps_other_workers_out_until_it_expires(session, two):
    a, _ = two
    invoice(session, a, D0)
    now = at(D0)
    assert reminders._acquire_lease(session, "worker-a", now=now)
    assert reminders.sweep(session, now=now + timedelta(minutes=1)) == 0  # another worker's live lease
    assert reminders._acquire_lease(session, "worker-a", now=now + timedelta(minutes=2))  # renewing is fine
    later = now + timedelta(minutes=2) + reminders.LEASE_TTL
    assert reminders.sweep(session, now=later) == 2  # worker-a died: its lease expired
    lease = session.get(JobLease, reminders.LEASE_NAME)
    assert lease.expires_at == later  # let go at the end


def _concurrent_sweeps(engine, now: datetime, workers: int = 4) -> list[int]:
    results: list[int] = []
    barrier = threading.Barrier(workers)

    def worker() -> None:
        with Session(engine, expire_on_commit=False) as s:
            barrier.wait()
            results.append(reminders.sweep(s, now=now))

    threads = [threading.Thread(target=worker) for _ in range(workers)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return results


def _setup_committed(engine) -> Tenant:
    with Session(engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        doc_request(s, t, D0)
        invoice(s, t, D0)
    return t


def _mail_count(engine) -> dict[str, int]:
    with Session(engine) as s:
        rows = s.exec(select(OutboxMail.to_email)).all()
    out: dict[str, int] = {}
    for r in rows:
        out[r] = out.get(r, 0) + 1
    return out


def test_two_concurrent_sweeps_send_once(committed_engine):
    t = _setup_committed(committed_engine)
    results = _concurrent_sweeps(committed_engine, at(D0))
    assert sum(results) == 2
    counts = _mail_count(committed_engine)
    assert sorted(counts.values()) == [1, 1]
    with Session(committed_engine) as s:
        assert len(s.exec(select(ReminderDigest).where(ReminderDigest.workspace_id == t.ws.id)).all()) == 2


def test_concurrent_sweeps_send_once_even_without_the_lease(committed_engine, monkeypatch):
    # The per-(contact, day) marker alone keeps a mail to one, e.g. for a worker whose lease ran out mid-sweep.
    _setup_committed(committed_engine)
    monkeypatch.setattr(reminders, "_acquire_lease", lambda session, holder, *, now: True)
    results = _concurrent_sweeps(committed_engine, at(D0))
    assert sum(results) == 2
    assert sorted(_mail_count(committed_engine).values()) == [1, 1]


# -- settings ------------------------------------------------------------------------------------------------------


def test_policy_defaults_permissions_validation_and_audit(session, two):
    a, b = two
    assert reminders.get_policy(session, a.team_lead) == reminders.ReminderPolicy()
    with pytest.raises(Forbidden):
        reminders.set_policy(session, a.team_lead, reminders.ReminderPolicy(max_per_record=3))
    with pytest.raises(Forbidden):
        reminders.set_policy(session, a.finance, reminders.ReminderPolicy(max_per_record=3))
    with pytest.raises(NotFound):
        reminders.get_policy(session, a.contact)
    for bad in (
        {"documents_before_days": 0},
        {"documents_every_days": 61},
        {"estimates_before_days": True},
        {"invoices_every_days": "7"},
        {"max_per_record": 0},
        {"max_per_record": 21},
        {"invoices_on_due": "yes"},
    ):
        with pytest.raises(ValidationFailed) as err:
            reminders.set_policy(session, a.owner, bad)
        assert err.value.message.startswith(("Enter a whole number", "Choose on or off"))
    saved = reminders.set_policy(
        session, a.manager, {"documents_before_days": 5, "invoices_every_days": None}
    )
    assert saved.documents_before_days == 5 and saved.invoices_every_days is None
    assert reminders.get_policy(session, a.finance) == saved
    assert reminders.get_policy(session, b.owner) == reminders.ReminderPolicy()  # b untouched
    events = session.exec(select(AuditEvent).where(AuditEvent.action == "reminders.policy_changed")).all()
    assert len(events) == 1 and events[0].workspace_id == a.ws.id
    assert '"documents_before_days":[3,5]' in events[0].data
    reminders.set_policy(session, a.manager, saved)  # unchanged: not audited again
    assert (
        len(session.exec(select(AuditEvent).where(AuditEvent.action == "reminders.policy_changed")).all())
        == 1
    )


def test_time_zone_setting(session, two):
    a, _ = two
    assert reminders.TIME_ZONES[0] == "UTC" and "Europe/Berlin" in reminders.TIME_ZONES
    assert reminders.get_time_zone(session, a.finance) == "UTC"
    with pytest.raises(Forbidden):
        reminders.set_time_zone(session, a.team_lead, "Europe/Berlin")
    for bad in ("Mars/Olympus", "../../etc/passwd", "", "europe/berlin"):
        with pytest.raises(ValidationFailed):
            reminders.set_time_zone(session, a.owner, bad)
    assert reminders.set_time_zone(session, a.owner, "America/New_York") == "America/New_York"
    assert reminders.get_time_zone(session, a.team_lead) == "America/New_York"
    assert reminders.workspace_today(session, a.owner, now=at(D0, 3)) == D0 - timedelta(days=1)
    assert session.exec(select(AuditEvent).where(AuditEvent.action == "workspace.time_zone_changed")).one()


# -- what staff see ------------------------------------------------------------------------------------------------


def test_record_reminders_sent_next_planned_paused_and_unsubscribed(session, two):
    a, b = two
    inv = invoice(session, a, D0 + timedelta(days=3))
    shown = reminders.record_reminders(session, a.finance, "invoice", inv.id, today=D0)
    assert shown.sent == [] and shown.next_planned == D0 + timedelta(days=3) and shown.paused is None
    run_days(session, 0, 3)
    shown = reminders.record_reminders(session, a.team_lead, "invoice", inv.id, today=D0 + timedelta(days=3))
    assert {s.contact_email for s in shown.sent} == {
        email(session, a.contact.contact_id),
        email(session, a.billing_contact.contact_id),
    }
    assert all(s.day == D0 + timedelta(days=3) and s.kind == "on_due" for s in shown.sent)
    assert shown.next_planned == D0 + timedelta(days=10)  # sent today: the next one is a week later
    reminders.unsubscribe(session, reminders.unsubscribe_url(a.contact.contact_id, a.ws.id).rsplit("/", 1)[1])
    p = reminders.pause(session, a.owner, reason="Payment plan", account_id=a.account.id)
    shown = reminders.record_reminders(session, a.owner, "invoice", inv.id, today=D0 + timedelta(days=4))
    assert shown.paused is not None and shown.paused.id == p.id and shown.paused.target == a.account.name
    assert shown.next_planned is None
    contact = session.get(Contact, a.contact.contact_id)
    assert shown.unsubscribed == [f"{contact.name} ({contact.email})"]
    set_status(session, inv, InvoiceStatus.PAID)
    reminders.resume(session, a.owner, p.id)
    assert reminders.record_reminders(session, a.owner, "invoice", inv.id).next_planned is None
    with pytest.raises(NotFound):
        reminders.record_reminders(session, b.owner, "invoice", inv.id)
    with pytest.raises(NotFound):
        reminders.record_reminders(session, a.contact, "invoice", inv.id)


def test_preview_and_dry_run_show_today_without_sending(session, two):
    a, b = two
    invoice(session, a, D0)
    doc_request(session, b, D0)
    planned = reminders.preview(session, a.team_lead, today=D0)
    assert [p.contact_email for p in planned] == [
        email(session, a.contact.contact_id),
        email(session, a.billing_contact.contact_id),
    ]
    assert planned[0].account_name == a.account.name and planned[0].lines[0].startswith("Invoice INV-")
    assert planned[0].links[0].endswith(f"/portal/invoices/{session.exec(select(Invoice.id)).first()}")
    everywhere = reminders.dry_run(session, now=at(D0))
    assert {p.workspace_name for p in everywhere} == {"Acme <Services>", "Other Co"}
    assert session.exec(select(OutboxMail)).all() == []
    reminders.sweep(session, now=at(D0))
    assert all(p.already_sent for p in reminders.preview(session, a.owner, today=D0))
    with pytest.raises(NotFound):
        reminders.preview(session, a.contact)
    # A pause shows at once in the preview.
    reminders.pause(session, a.owner, reason="On hold", account_id=a.account.id)
    assert reminders.preview(session, a.owner, today=D0 + timedelta(days=7)) == []


def test_week_stats_counts_reminders_and_what_followed(session, two):
    a, b = two
    paid = invoice(session, a, D0)
    invoice(session, a, D0)
    est = estimate(session, a, D0 + timedelta(days=3))
    run_days(session, 0, 0)
    session.add(
        Payment(
            workspace_id=a.ws.id,
            account_id=a.account.id,
            invoice_id=paid.id,
            amount_minor=100,
            currency="USD",
            received_on=D0,
            created_at=at(D0 + timedelta(days=2)),
        )
    )
    est.decided_at = at(D0 + timedelta(days=5))  # too late to count
    session.add(est)
    session.commit()
    stats = reminders.week_stats(session, a.owner, today=D0 + timedelta(days=3))
    assert (stats.sent, stats.followed, stats.mails) == (3, 1, 2)
    assert stats.start == D0 - timedelta(days=3) and stats.end == D0 + timedelta(days=3)
    assert reminders.week_stats(session, a.owner, today=D0 + timedelta(days=7)).sent == 0
    assert reminders.week_stats(session, b.owner, today=D0).sent == 0


# -- hooks ---------------------------------------------------------------------------------------------------------


def test_mail_loop_sweeps_at_most_once_per_interval(session, monkeypatch):
    seen: list[datetime] = []
    monkeypatch.setattr(reminders, "sweep", lambda s, *, now: seen.append(now) or 0)
    job = tuple(j for j in periodic.JOBS if j.name == "reminders")
    start = at(D0)
    assert periodic.run_due(session, now=start, jobs=job) == {"reminders": 0}
    assert periodic.run_due(session, now=start + timedelta(minutes=5), jobs=job) == {}
    assert periodic.run_due(session, now=start + periodic.REMINDER_INTERVAL, jobs=job) == {"reminders": 0}
    assert seen == [start, start + periodic.REMINDER_INTERVAL]

    def broken(s, *, now):
        raise RuntimeError("database gone")

    monkeypatch.setattr(reminders, "sweep", broken)
    assert periodic.run_due(session, now=start + 3 * periodic.REMINDER_INTERVAL, jobs=job) == {}  # logged


def test_manage_remind_command(monkeypatch, capsys):
    from portal_app import manage

    digest = reminders.PlannedDigest(
        workspace_name="Acme",
        day=D0,
        contact_id=1,
        contact_email="jo@customer.test",
        contact_name="Jo",
        account_name="Contoso",
        subject="Reminder from Acme: 1 invoice overdue",
        lines=["Invoice INV-0001 ($10.00 to pay) is overdue by 7 days"],
        links=["http://localhost:3000/portal/invoices/1"],
    )
    monkeypatch.setattr(reminders, "dry_run", lambda session, *, now: [digest])
    monkeypatch.setattr(reminders, "sweep_report", lambda session, *, now, from_hour: [digest])
    assert manage.main(["remind", "--dry-run"]) == 0
    out = capsys.readouterr().out
    assert (
        "Jo <jo@customer.test>" in out
        and "overdue by 7 days" in out
        and "1 reminder mails would be queued" in out
    )
    assert manage.main(["remind"]) == 0
    assert "1 reminder mails queued" in capsys.readouterr().out


def test_another_account_of_the_contact_joins_the_same_mail(session, two):
    a, _ = two
    second = make_account(session, a.ws, name="Second Account")
    row = session.get(Contact, a.contact.contact_id)
    make_contact(session, second, contact=row)
    session.commit()
    invoice(session, a, D0)
    invoice(session, a, D0, account=second)
    assert reminders.sweep(session, now=at(D0)) == 2
    (mail,) = mails_to(session, row.email)
    assert "2 invoices due today" in mail.subject
    (plan,) = [p for p in reminders.preview(session, a.owner, today=D0) if p.contact_id == row.id]
    assert plan.account_name == f"{a.account.name}, Second Account"
