"""The audit log's read side: plain words for every action, keyset pages, who sees what, the chain check, CSV rows
and the account timeline. Two workspaces throughout, so a leak shows."""

from __future__ import annotations

import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import (
    AuditEvent,
    Contact,
    DeliveryStatus,
    TaskStatus,
    User,
    Workspace,
)
from portal_app.services import (
    accounts,
    approvals,
    audit_log,
    audit_words,
    contacts,
    deliveries,
    document_requests,
    estimates,
    intake,
    invoices,
    messages,
    reminders,
    snapshots,
    tasks,
)
from portal_app.services.audit_log import AuditFilters, parse_filters
from portal_app.services.errors import Forbidden, NotFound, RateLimited
from portal_app.services.lines import LineInput
from tests.factories import make_account, make_contact, make_task, make_tenant

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"


@pytest.fixture(autouse=True)
def _fresh_verify_budget():
    # Ids repeat from test to test (each rolls back): earlier checks must not count against later ones.
    audit_log.verify_limiter.clear()
    yield
    audit_log.verify_limiter.clear()


def key() -> str:
    return uuid.uuid4().hex


def _rename(session, actor, name: str) -> None:
    if hasattr(actor, "user_id"):
        session.get(User, actor.user_id).name = name
    else:
        session.get(Contact, actor.contact_id).name = name
    session.commit()


@dataclass
class World:
    a: object
    b: object
    est: object
    inv: object
    proof: object
    doc: object
    req: object
    approval: object
    thread: object


@pytest.fixture()
def world(session, storage_dir) -> World:
    a, b = make_tenant(session), make_tenant(session)
    _rename(session, a.owner, "Olivia Owner")
    _rename(session, a.manager, "Max Manager")
    _rename(session, a.team_lead, "Tina Lead")
    _rename(session, a.finance, "Fin Reviewer")
    _rename(session, a.contact, "Alice Buyer")
    _rename(session, a.billing_contact, "Bill Payer")
    line = [LineInput("Work", 1, 500, 0)]
    est = estimates.create_estimate(session, a.team_lead, a.account.id, title="Plan", lines=line)
    estimates.share_estimate(session, a.team_lead, est.id)
    estimates.decide_estimate(
        session, a.contact, est.id, decision="approve", version=1, signature="Alice", idempotency_key=key()
    )
    inv = invoices.create_invoice(
        session,
        a.finance,
        a.account.id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": 12_000}],
    )
    inv = invoices.issue_invoice(session, a.finance, inv.id, issue_date=date(2026, 3, 2))
    proof = intake.submit_payment_proof(
        session,
        a.billing_contact,
        inv.id,
        filename="receipt.pdf",
        data=PDF,
        claimed_amount_minor=5_000,
        idempotency_key=key(),
    )
    intake.review_intake(session, a.finance, proof.id, accept=True)
    req = document_requests.create_document_request(
        session, a.team_lead, a.account.id, title="Tax forms", items=["W-9"]
    )
    doc = intake.submit_document(
        session, a.contact, req.id, filename="w9.pdf", data=PDF, idempotency_key=key()
    )
    intake.review_intake(session, a.finance, doc.id, accept=False, reason="Blurry scan")
    approval = approvals.create_approval_request(session, a.manager, a.account.id, title="Site plan")
    approvals.respond_to_approval(session, a.contact, approval.id, decision="approve", idempotency_key=key())
    soon = estimates.create_estimate(
        session,
        a.team_lead,
        a.other_account.id,
        title="Old offer",
        lines=line,
        valid_until=estimates.today() + timedelta(days=1),
    )
    estimates.share_estimate(session, a.team_lead, soon.id)
    estimates.expire_estimates(session, on=estimates.today() + timedelta(days=30))
    thread = messages.start_thread(session, a.team_lead, a.account.id, subject="Delivery date", body="Hello")
    messages.portal_post_message(session, a.contact, thread.id, body="Thanks!", idempotency_key=key())
    messages.post_staff_message(session, a.team_lead, thread.id, body="Noted", internal=True)
    delivery = deliveries.create_delivery(session, a.team_lead, a.account.id, reference="PO-7")
    deliveries.share_delivery(session, a.team_lead, delivery.id)
    snapshots.share_statement(
        session, a.finance, a.account.id, period_start=date(2026, 1, 1), period_end=date(2026, 3, 31)
    )
    task = make_task(session, a.ws, account=a.account, title="Call back")
    session.commit()
    tasks.assign_task(session, a.manager, task.id, assignee_user_id=a.team_lead.user_id)
    tasks.set_task_status(session, a.team_lead, task.id, status=TaskStatus.DONE)
    # The other workspace does things too.
    other = estimates.create_estimate(session, b.team_lead, b.account.id, title="Theirs", lines=line)
    estimates.share_estimate(session, b.team_lead, other.id)
    return World(a, b, est, inv, proof, doc, req, approval, thread)


def everything(session, actor, filters=None, size=7):
    """Walk every page (keyset) and return the entries in order."""
    out, cursor = [], None
    while True:
        page = audit_log.list_audit(session, actor, filters, before_seq=cursor, limit=size)
        out += page.entries
        if not page.has_older:
            return out
        cursor = page.older_cursor


def sentences(session, actor, filters=None) -> list[str]:
    return [e.sentence for e in everything(session, actor, filters)]


# -- words ----------------------------------------------------------------------------------------------------


def test_entries_read_as_plain_sentences(session, world):
    w = world
    said = sentences(session, w.a.owner)
    number = w.est.number
    acct = w.a.account.name
    for expected in (
        f"Tina Lead created estimate {number} for {acct}",
        f"Tina Lead shared estimate {number} v1 with {acct}",
        f"Alice Buyer approved estimate {number} v1",
        f"Fin Reviewer issued invoice {w.inv.number} for $120.00, due",
        f"Bill Payer sent payment proof “receipt.pdf” for invoice {w.inv.number}",
        f"Fin Reviewer accepted payment proof “receipt.pdf” for invoice {w.inv.number}",
        f"Fin Reviewer recorded a payment of $50.00 on invoice {w.inv.number} from the payment proof",
        "Alice Buyer sent the document “w9.pdf” for the document request “Tax forms”",
        "Fin Reviewer rejected the document “w9.pdf” for the document request “Tax forms”: Blurry scan",
        f"Max Manager asked {acct} to approve “Site plan”",
        "Alice Buyer approved “Site plan”",
        f"Tina Lead started the conversation “Delivery date” with {acct}",
        "Alice Buyer wrote in the conversation “Delivery date”",
        "Tina Lead added an internal note to the conversation “Delivery date”",
        f"Tina Lead shared delivery PO-7 with {acct}",
        f"Fin Reviewer shared the statement for 1 Jan 2026 – 31 Mar 2026 with {acct}",
        "Max Manager assigned the task “Call back” to Tina Lead",
        "Tina Lead completed the task “Call back”",
    ):
        assert any(s.startswith(expected) for s in said), (expected, said)
    assert not any("Theirs" in s or w.b.account.name in s for s in said)
    entries = everything(session, w.a.owner)
    for e in entries:
        assert "{" not in e.sentence and "None" not in e.sentence, e.sentence
        assert e.action_label and not e.action_label.count(".")
    approved = next(e for e in entries if e.action == "estimate.approved")
    assert approved.actor_kind == "contact" and approved.actor_name == "Alice Buyer"
    assert approved.account_name == acct and approved.record_label == f"Estimate {number}"


# -- keyset pages ---------------------------------------------------------------------------------------------


def _all_rows(session, ws_id):
    return session.exec(
        select(AuditEvent).where(AuditEvent.workspace_id == ws_id).order_by(AuditEvent.seq.desc())
    ).all()


@pytest.mark.parametrize(
    "filters",
    [
        AuditFilters(),
        AuditFilters(action="group:estimates"),
        AuditFilters(action="intake.accepted"),
        AuditFilters(actor="customers"),
        AuditFilters(actor="system"),
        "member",
        "account",
        "record",
    ],
)
def test_pages_have_no_gaps_or_repeats(session, world, filters):
    w = world
    rows = _all_rows(session, w.a.ws.id)
    if filters == "member":
        filters = AuditFilters(actor=f"member:{w.a.team_lead.user_id}")
        expect = [r.seq for r in rows if r.actor_kind == "staff" and r.actor_id == w.a.team_lead.user_id]
    elif filters == "account":
        filters = AuditFilters(account_id=w.a.account.id)
        expect = [r.seq for r in rows if r.account_id == w.a.account.id]
    elif filters == "record":
        filters = parse_filters({"record": f"invoice:{w.inv.id}"})
        expect = [r.seq for r in rows if r.target_type == "invoice" and r.target_id == w.inv.id]
    else:
        group = filters.action[6:] if filters.action.startswith("group:") else None
        expect = [
            r.seq
            for r in rows
            if (
                not filters.action
                or (audit_words.group_of(r.action) == group if group else r.action == filters.action)
            )
            and (filters.actor != "customers" or r.actor_kind == "contact")
            and (filters.actor != "system" or r.actor_kind in ("system", "operator"))
        ]
    got = [e.seq for e in everything(session, w.a.owner, filters, size=3)]
    assert got == expect and len(set(got)) == len(got)
    assert expect, "the fixture should produce entries for every filter"


def test_cursor_from_another_workspace_or_forged_reads_only_own_rows(session, world):
    w = world
    page = audit_log.list_audit(session, w.a.owner, before_seq=10_000_000, limit=100)
    assert {e.id for e in page.entries} == {r.id for r in _all_rows(session, w.a.ws.id)}


def test_every_entry_was_filed_under_its_account(session, world):
    w = world
    rows = _all_rows(session, w.a.ws.id)
    about_account = [
        r
        for r in rows
        if r.target_type
        in (
            "estimate",
            "invoice",
            "intake_file",
            "approval",
            "document_request",
            "message_thread",
            "delivery",
            "statement_snapshot",
            "task",
        )
    ]
    mine = {w.a.account.id, w.a.other_account.id}  # "Old offer" is the other account's
    assert about_account and all(r.account_id in mine for r in about_account), [
        (r.action, r.account_id) for r in about_account if r.account_id not in mine
    ]
    assert {r.action for r in about_account if r.account_id == w.a.other_account.id} == {
        "estimate.created",
        "estimate.shared",
        "estimate.expired",
    }


def test_dates_are_days_in_the_workspace_time_zone(session, world):
    w = world
    ws = session.get(Workspace, w.a.ws.id)
    ws.time_zone = "Pacific/Auckland"  # UTC+13 in January
    rows = _all_rows(session, w.a.ws.id)
    late, early = rows[0], rows[1]
    # Auckland is 13 hours ahead in January: 11:30 UTC on the 10th is 00:30 on the 11th there, 10:30 UTC still the 10th.
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.id == late.id)
        .values(created_at=datetime(2026, 1, 10, 11, 30, tzinfo=UTC))
    )
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.id == early.id)
        .values(created_at=datetime(2026, 1, 10, 10, 30, tzinfo=UTC))
    )
    session.commit()
    on_11 = audit_log.list_audit(
        session, w.a.owner, AuditFilters(since=date(2026, 1, 11), until=date(2026, 1, 11))
    )
    on_10 = audit_log.list_audit(
        session, w.a.owner, AuditFilters(since=date(2026, 1, 10), until=date(2026, 1, 10))
    )
    assert [e.id for e in on_11.entries] == [late.id] and on_11.time_zone == "Pacific/Auckland"
    assert [e.id for e in on_10.entries] == [early.id]


def test_parse_filters_keeps_only_readable_values():
    f = parse_filters(
        {
            "actor": "member:7",
            "action": "group:invoices",
            "record": "estimate:9",
            "account": "3",
            "since": "2026-01-01",
            "until": "2026-02-01",
        }
    )
    assert f == AuditFilters(
        "member:7", "group:invoices", "estimate", 9, 3, date(2026, 1, 1), date(2026, 2, 1)
    )
    assert parse_filters(f.query()) == f
    junk = parse_filters(
        {
            "actor": "member:x",
            "action": "DROP TABLE",
            "record": "secret:1",
            "account": "-1",
            "since": "yesterday",
            "until": 5,
        }
    )
    assert junk == AuditFilters()
    with pytest.raises(Exception, match="record"):
        parse_filters({"record": "nope"}, strict=True)
    assert parse_filters({"since": "2026-02-02", "until": "2026-02-01"}).until is None


# -- who sees what --------------------------------------------------------------------------------------------


PAYMENT_ACTIONS = {
    "invoice.created",
    "invoice.issued",
    "invoice.payment_recorded",
    "intake.payment_proof_submitted",
    "intake.accepted",
    "statement.shared",  # the "invoices" group lists it, so the finance reviewer's log holds it
}


def test_finance_sees_payment_entries_only_whatever_the_filters(session, world):
    w = world
    mine = everything(session, w.a.finance)
    assert {e.action for e in mine} == PAYMENT_ACTIONS
    assert all(e.target_type in ("invoice", "intake_file", "statement_snapshot") for e in mine)
    # The rejected document (an intake, not payment proof) and every other kind stay out of reach.
    assert not any(e.target_id == w.doc.id and e.target_type == "intake_file" for e in mine)
    for forged in (
        AuditFilters(action="group:estimates"),
        AuditFilters(action="intake.rejected"),
        parse_filters({"record": f"estimate:{w.est.id}"}),
        parse_filters({"record": f"intake_file:{w.doc.id}"}),
        AuditFilters(actor=f"member:{w.a.team_lead.user_id}"),
    ):
        assert everything(session, w.a.finance, forged) == []
    proof_only = everything(session, w.a.finance, parse_filters({"record": f"intake_file:{w.proof.id}"}))
    assert {e.action for e in proof_only} == {"intake.payment_proof_submitted", "intake.accepted"}
    choices = audit_log.filter_choices(session, w.a.finance)
    assert [v for v, _ in choices.actions] == ["group:invoices", "group:uploads"]
    # Every action the finance reviewer's "What" menu offers can match an entry they may see, and back.
    offered = {a for g in audit_log.PAYMENT_GROUPS for a in audit_words.actions_in(g)}
    assert offered >= PAYMENT_ACTIONS
    statements = everything(session, w.a.finance, AuditFilters(action="group:invoices"))
    assert "statement.shared" in {e.action for e in statements}
    rows = list(audit_log.export_rows(session, w.a.finance))
    assert {r[4] for r in rows[1:]} == PAYMENT_ACTIONS


@pytest.mark.parametrize("who", ["team_lead", "contact"])
def test_no_audit_access_without_audit_read(session, world, who):
    actor = getattr(world.a, who)
    error = Forbidden if who == "team_lead" else NotFound
    for call in (
        lambda: audit_log.list_audit(session, actor),
        lambda: audit_log.verify_log(session, actor),
        lambda: audit_log.filter_choices(session, actor),
        lambda: audit_log.export_reader(actor),
        lambda: list(audit_log.export_rows(session, actor)),
    ):
        with pytest.raises(error):
            call()


def test_owner_and_manager_see_their_own_workspace_only(session, world):
    w = world
    for actor, ws in ((w.a.owner, w.a.ws.id), (w.a.manager, w.a.ws.id), (w.b.owner, w.b.ws.id)):
        got = everything(session, actor)
        assert [e.seq for e in got] == [r.seq for r in _all_rows(session, ws)]
    # Another workspace's account and member ids find nothing.
    assert everything(session, w.b.owner, AuditFilters(account_id=w.a.account.id)) == []
    assert everything(session, w.b.owner, AuditFilters(actor=f"member:{w.a.team_lead.user_id}")) == []
    assert (
        audit_log.filter_choices(session, w.b.owner, AuditFilters(account_id=w.a.account.id)).account_name
        == ""
    )


def test_filter_choices_name_members_and_the_chosen_ids(session, world):
    w = world
    f = parse_filters(
        {
            "actor": f"contact:{w.a.contact.contact_id}",
            "account": str(w.a.account.id),
            "record": f"invoice:{w.inv.id}",
            "action": "estimate.approved",
        }
    )
    c = audit_log.filter_choices(session, w.a.owner, f)
    labels = dict(c.actors)
    assert labels[f"member:{w.a.manager.user_id}"] == "Max Manager"
    assert labels[f"contact:{w.a.contact.contact_id}"] == "Alice Buyer"
    assert "customers" in labels and "system" in labels
    assert ("estimate.approved", "Estimate approved") in c.actions
    assert c.account_name == w.a.account.name and c.record_label == f"Invoice {w.inv.number}"
    assert c.time_zone == "UTC"


# -- the chain check ------------------------------------------------------------------------------------------


def test_verify_says_all_verified_then_names_the_first_broken_entry(session, world):
    w = world
    check = audit_log.verify_log(session, w.a.finance)
    total = len(_all_rows(session, w.a.ws.id))
    assert check.ok and check.entries == total and check.message.startswith(f"All {total} entries verified")
    session.execute(
        sa.update(AuditEvent)
        .where(AuditEvent.workspace_id == w.a.ws.id, AuditEvent.seq.in_((4, 9)))
        .values(data='{"forged":true}')
    )
    broken = audit_log.verify_log(session, w.a.owner)
    assert not broken.ok and broken.first_broken_seq == 4
    assert broken.message == "Entry #4 was altered: entries from #4 on cannot be trusted."
    assert audit_log.verify_log(session, w.b.owner).ok  # the other workspace's chain is its own


def test_verify_names_a_removed_entry(session, world):
    w = world
    session.execute(sa.delete(AuditEvent).where(AuditEvent.workspace_id == w.a.ws.id, AuditEvent.seq == 2))
    check = audit_log.verify_log(session, w.a.owner)
    assert not check.ok and check.message.startswith("Entry #2 is missing")


def test_verify_is_a_few_checks_a_minute_per_member(session, world):
    w = world
    for _ in range(audit_log.VERIFY_PER_MEMBER):
        assert audit_log.verify_log(session, w.a.owner).ok
    with pytest.raises(RateLimited, match="wait a minute"):
        audit_log.verify_log(session, w.a.owner)
    assert audit_log.verify_log(session, w.a.manager).ok  # each member has their own budget
    assert audit_log.verify_log(session, w.b.owner).ok
    with pytest.raises(Forbidden):  # no budget spent on someone who may not check at all
        audit_log.verify_log(session, w.a.team_lead)


# -- CSV rows -------------------------------------------------------------------------------------------------


def test_export_rows_are_filtered_scoped_and_inert(session, world):
    w = world
    _rename(session, w.a.contact, '=HYPERLINK("http://evil")')
    rows = list(audit_log.export_rows(session, w.a.owner, AuditFilters(account_id=w.a.account.id)))
    assert rows[0] == audit_log.CSV_HEADER
    body = rows[1:]
    expect = [r for r in _all_rows(session, w.a.ws.id) if r.account_id == w.a.account.id]
    assert [int(r[0]) for r in body] == [r.seq for r in expect]
    assert [r[8] for r in body] == [r.hash for r in expect]
    assert [r[4] for r in body] == [r.action for r in expect]  # the code, for machines
    assert [r[3] for r in body] == [audit_words.action_label(r.action) for r in expect]  # and in words
    assert "Estimate approved" in {r[3] for r in body}
    assert all(r[1].endswith("Z") and "T" in r[1] for r in body)
    by_contact = [r for r in body if r[2].startswith("'=")]
    assert by_contact and all(r[5].startswith("'=HYPERLINK") for r in by_contact)
    assert not any(c.startswith(("=", "+", "-", "@")) for r in body for c in r)


def test_export_stops_at_the_cap_and_says_so(session, world):
    rows = list(audit_log.export_rows(session, world.a.owner, cap=5))
    assert len(rows) == 1 + 5 + 1 and "stops at 5 entries" in rows[-1][5]
    assert len(rows[-1]) == len(audit_log.CSV_HEADER)
    total = len(_all_rows(session, world.a.ws.id))
    assert len(list(audit_log.export_rows(session, world.a.owner, cap=total))) == 1 + total


# -- the account timeline -------------------------------------------------------------------------------------


def test_account_timeline_is_the_accounts_story(session, world):
    w = world
    lines = audit_log.account_timeline(session, w.a.team_lead, w.a.account.id, limit=100)
    assert lines and all(e.account_id == w.a.account.id for e in lines)
    assert [e.seq for e in lines] == sorted((e.seq for e in lines), reverse=True)
    assert any(e.sentence.startswith("Alice Buyer approved estimate") for e in lines)
    older = audit_log.account_timeline(
        session, w.a.team_lead, w.a.account.id, limit=3, before_seq=lines[2].seq
    )
    assert [e.seq for e in older] == [e.seq for e in lines[3:6]]
    other = audit_log.account_timeline(session, w.a.team_lead, w.a.other_account.id)
    # The draft being created is the team's own business; sharing it and its expiry are the customer's too.
    assert [e.sentence.split(" EST-")[0] for e in other] == ["Estimate", "Tina Lead shared estimate"]
    assert other[0].sentence.endswith(" expired") and other[0].actor_name == "System"
    with pytest.raises(NotFound):
        audit_log.account_timeline(session, w.b.owner, w.a.account.id)
    with pytest.raises(NotFound):
        audit_log.account_timeline(session, w.a.contact, w.a.account.id)


INTERNAL = {
    "message.internal_note",
    "account.owner_changed",
    "contact.permissions_changed",
    "estimate.created",
    "invoice.created",
    "delivery.created",
    "delivery.unshared",
}


def _internal_business(session, w) -> dict[str, int]:
    """Everything the team does about an account that its customer never sees, plus a public delivery update and
    an internal one that changes the delivery's status (the status shows in the portal, so that one stays)."""
    a = w.a
    accounts.set_account_owner(session, a.manager, a.account.id, a.team_lead.user_id)
    contacts.set_contact_permissions(
        session, a.manager, a.contact.contact_id, a.account.id, billing=True, operations=True, documents=False
    )
    reminders.pause(session, a.finance, reason="Secret payment plan", account_id=a.account.id)
    task = make_task(session, a.ws, account=a.account, title="Chase")
    session.commit()
    tasks.comment_on_task(session, a.team_lead, task.id, text="Between us: they are slow payers")
    tasks.set_task_status(session, a.team_lead, task.id, status=TaskStatus.IN_PROGRESS)
    draft = invoices.create_invoice(
        session, a.finance, a.account.id, lines=[{"description": "X", "quantity": 1, "unit_price_minor": 1}]
    )
    invoices.void_invoice(session, a.finance, draft.id, reason="Typo in the draft")
    parcel = deliveries.create_delivery(session, a.team_lead, a.account.id, reference="PO-8")
    deliveries.share_delivery(session, a.team_lead, parcel.id)
    deliveries.add_delivery_event(
        session,
        a.team_lead,
        parcel.id,
        status=DeliveryStatus.SCHEDULED,
        note="Driver is grumpy",
        internal=True,
    )
    deliveries.add_delivery_event(
        session, a.team_lead, parcel.id, status=DeliveryStatus.SCHEDULED, note="Loaded", internal=False
    )
    deliveries.add_delivery_event(
        session, a.team_lead, parcel.id, status=DeliveryStatus.IN_TRANSIT, note="Left late", internal=True
    )
    hidden = deliveries.create_delivery(session, a.team_lead, a.account.id, reference="PO-9")
    deliveries.share_delivery(session, a.team_lead, hidden.id)
    deliveries.unshare_delivery(session, a.team_lead, hidden.id)
    return {"draft": draft.id, "parcel": parcel.id}


@pytest.mark.parametrize("role", ["owner", "manager", "team_lead", "finance"])
def test_account_timeline_shows_portal_activity_only(session, world, role):
    """Every role sees the same customer-facing story: never an internal note, a task, a reminder pause, an owner
    or permission change, a draft, or an internal delivery update that changed nothing the portal shows."""
    w = world
    ids = _internal_business(session, w)
    lines = audit_log.account_timeline(session, getattr(w.a, role), w.a.account.id, limit=100)
    actions = {e.action for e in lines}
    assert actions <= audit_words.TIMELINE, actions - audit_words.TIMELINE
    assert not actions & INTERNAL
    assert not any(a.startswith(("task.", "reminders.")) for a in actions)
    for e in lines:
        assert "internal" not in e.sentence and "Secret" not in e.sentence and "slow payers" not in e.sentence
        assert not (e.target_type == "invoice" and e.target_id == ids["draft"])
    # Yet the account's own events of those kinds exist, filed under it: the allowlist keeps them out.
    filed = {r.action for r in _all_rows(session, w.a.ws.id) if r.account_id == w.a.account.id}
    assert INTERNAL | {"task.commented", "reminders.paused", "invoice.voided"} <= filed
    # What the customer saw is there: shared, decided, uploaded, reviewed, said, paid, delivered.
    assert {
        "estimate.shared",
        "estimate.approved",
        "invoice.issued",
        "invoice.payment_recorded",
        "intake.payment_proof_submitted",
        "intake.accepted",
        "intake.rejected",
        "document_request.created",
        "approval.created",
        "approval.approved",
        "message_thread.started",
        "message.posted",
        "delivery.shared",
        "statement.shared",
    } <= actions
    parcel = [e for e in lines if e.target_type == "delivery" and e.target_id == ids["parcel"]]
    assert [e.sentence.split(" ", 2)[2] for e in parcel] == [
        "marked delivery PO-8 as in transit",  # internal, but the new status shows in the portal
        "added an update to delivery PO-8",
        "shared delivery PO-8 with " + w.a.account.name,
    ]
    assert sum(e.action == "message.posted" for e in lines) == 1  # Alice's; the team's note is internal


def test_timeline_allowlist_is_known_actions():
    """Each timeline action has words; the hidden patterns concern timeline actions only."""
    assert all(not audit_words.is_fallback(a) for a in audit_words.TIMELINE)
    assert set(audit_words.TIMELINE_HIDDEN) <= audit_words.TIMELINE
    assert not {"message.internal_note", "task.commented", "reminders.paused"} & audit_words.TIMELINE


def test_finance_audit_log_stays_payments_only_with_internal_business_around(session, world):
    w = world
    _internal_business(session, w)
    mine = everything(session, w.a.finance)
    assert mine and all(e.target_type in ("invoice", "intake_file", "statement_snapshot") for e in mine)
    assert not any(e.action.startswith(("task.", "reminders.", "delivery.", "message")) for e in mine)


# -- query count ----------------------------------------------------------------------------------------------


@contextmanager
def count_queries(session):
    seen: list[str] = []

    def before(conn, cursor, statement, params, context, executemany):
        if statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)


def _more_of_the_same(session, t, times: int) -> None:
    """More events of the kinds already on the page: new accounts, contacts, estimates, threads and tasks."""
    for i in range(times):
        account = make_account(session, t.ws)
        buyer = make_contact(session, account)
        session.commit()
        est = estimates.create_estimate(
            session, t.team_lead, account.id, title=f"More {i}", lines=[LineInput("W", 1, 9, 0)]
        )
        estimates.share_estimate(session, t.team_lead, est.id)
        estimates.decide_estimate(
            session, buyer, est.id, decision="approve", version=1, signature="Buyer", idempotency_key=key()
        )
        thread = messages.start_thread(session, t.manager, account.id, subject=f"Hello {i}", body="Hi")
        messages.portal_post_message(session, buyer, thread.id, body="Hi back", idempotency_key=key())
        task = make_task(session, t.ws, account=account, title=f"Task {i}")
        session.commit()
        tasks.assign_task(session, t.owner, task.id, assignee_user_id=t.team_lead.user_id)


def test_query_count_per_page_does_not_grow_with_rows(session, world):
    w = world
    with count_queries(session) as before:
        first = audit_log.list_audit(session, w.a.owner, limit=100)
    _more_of_the_same(session, w.a, 4)
    with count_queries(session) as after:
        grown = audit_log.list_audit(session, w.a.owner, limit=100)
    assert len(grown.entries) >= len(first.entries) + 4 * 6
    # One query for the page, one for the time zone, at most one per kind of name: never one per row.
    assert len(after) == len(before) <= 16, after
    with count_queries(session) as timeline:
        audit_log.account_timeline(session, w.a.owner, w.a.account.id, limit=100)
    assert len(timeline) <= 16


def test_pages_are_keyset_not_offset(session, world):
    """A deep page is the same one indexed query as the first, with ``seq <`` the cursor: never skipping rows."""
    w = world
    entries = everything(session, w.a.owner, size=100)
    seen: list[tuple[str, object]] = []

    def before(conn, cursor, statement, params, context, executemany):
        if "FROM audit_event" in statement:
            seen.append((statement, params))

    engine = session.get_bind()
    sa.event.listen(engine, "before_cursor_execute", before)
    try:
        audit_log.list_audit(session, w.a.owner, before_seq=entries[-3].seq, limit=2)
    finally:
        sa.event.remove(engine, "before_cursor_execute", before)
    statement, params = seen[0]
    assert "audit_event.seq <" in statement and "ORDER BY audit_event.seq DESC" in statement
    # SQLite spells a bare LIMIT as "LIMIT ? OFFSET ?" with an offset of 0; nothing is ever skipped.
    assert "OFFSET" not in statement.upper() or list(params)[-1] == 0
