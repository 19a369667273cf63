"""Document requests as checklists: creating one (items, notification), uploading per item, the item states, the
completion rule (fulfilled only when every item has an accepted file), rejections notified, and the staff and
portal reads scoped and projected."""

from __future__ import annotations

import uuid
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import Session, func, select

from models import (
    DocumentRequest,
    DocumentRequestItem,
    DocumentRequestStatus,
    IntakeFile,
    IntakeStatus,
)
from portal_app.services import document_requests as docs
from portal_app.services import intake, invoices, notify
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import make_contact, make_tenant, operator
from tests.services.test_intake import PDF, png

INTERNAL = "chase them on Friday 4411"


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


@pytest.fixture()
def two(session: Session, storage_dir: Path):
    a, b = make_tenant(session), make_tenant(session)
    session.commit()
    return a, b


@pytest.fixture()
def calls(monkeypatch: pytest.MonkeyPatch) -> dict[str, list[dict[str, Any]]]:
    seen: dict[str, list[dict[str, Any]]] = {"requested": [], "rejected": []}

    def requested(session: Session, **kw: Any) -> None:
        # Called before the commit: the request is in this transaction already.
        assert session.get(DocumentRequest, kw["request_id"]) is not None
        seen["requested"].append(kw)

    def rejected(session: Session, **kw: Any) -> None:
        row = session.get(IntakeFile, kw["intake_id"])
        assert row is not None and row.status is IntakeStatus.REJECTED
        seen["rejected"].append(kw)

    monkeypatch.setattr(notify, "document_requested", requested)
    monkeypatch.setattr(notify, "upload_rejected", rejected)
    return seen


def checklist(session, t, items=("Signed W-9", "Certificate of insurance", "Bank letter"), **kw):
    kw.setdefault("title", "Onboarding documents")
    kw.setdefault("internal_notes", INTERNAL)
    req = docs.create_document_request(
        session, t.team_lead, (kw.pop("account", None) or t.account).id, items=list(items), **kw
    )
    return req, docs.get_document_request_detail(session, t.team_lead, req.id).items


def send(session, contact, req_id, item_id=None, *, data=PDF, name="file.pdf", idem=None):
    return intake.submit_document(
        session, contact, req_id, item_id=item_id, filename=name, data=data, idempotency_key=idem or key()
    )


def status_of(session, req_id) -> DocumentRequestStatus:
    row = session.get(DocumentRequest, req_id)
    session.refresh(row)
    return row.status


# -- creating ------------------------------------------------------------------------------------------------


def test_create_with_a_checklist_notifies_the_account(session, two, calls):
    a, _ = two
    req, items = checklist(
        session,
        a,
        items=["  Signed   W-9 ", "Certificate of insurance"],
        description="PDF please",
        due_on=docs.today(),
    )
    assert [i.label for i in items] == ["Signed W-9", "Certificate of insurance"]
    assert [i.position for i in items] == [1, 2]
    assert {i.state for i in items} == {docs.ITEM_MISSING}
    assert calls["requested"] == [
        {
            "workspace_id": a.ws.id,
            "account_id": a.account.id,
            "request_id": req.id,
            "title": "Onboarding documents",
        }
    ]


def test_default_checklist_is_the_title(session, two, calls):
    a, _ = two
    req = docs.create_document_request(session, a.manager, a.account.id, title=" Site permit ")
    items = docs.get_document_request_detail(session, a.manager, req.id).items
    assert [(i.label, i.position) for i in items] == [("Site permit", 1)]


@pytest.mark.parametrize(
    ("items", "message"),
    [
        ([], "at least one item"),
        (["ok", "  "], "Item 2 needs a label"),
        (["x" * 201], "Item 1 must be at most 200"),
        (["W-9", "w-9 "], "Item 2 repeats"),
        ([f"Doc {i}" for i in range(21)], "at most 20 items"),
        ("W-9", "must be a list"),
    ],
)
def test_checklist_validation_stores_nothing(session, two, calls, items, message):
    a, _ = two
    with pytest.raises(ValidationFailed, match=message):
        docs.create_document_request(session, a.team_lead, a.account.id, title="Docs", items=items)
    assert session.exec(select(func.count()).select_from(DocumentRequest)).one() == 0
    assert session.exec(select(func.count()).select_from(DocumentRequestItem)).one() == 0
    assert calls["requested"] == []


def test_twenty_items_of_two_hundred_characters_are_fine(session, two, calls):
    a, _ = two
    labels = [f"{i:02d}" + "x" * 198 for i in range(20)]
    _, items = checklist(session, a, items=labels)
    assert [i.label for i in items] == labels


def test_create_refusals(session, two, calls):
    a, b = two
    with pytest.raises(Forbidden):  # finance reviewers do not hold documents:manage
        docs.create_document_request(session, a.finance, a.account.id, title="x", items=["x"])
    with pytest.raises(NotFound):
        docs.create_document_request(session, a.team_lead, b.account.id, title="x", items=["x"])
    with pytest.raises(NotFound):
        docs.create_document_request(session, a.contact, a.account.id, title="x", items=["x"])
    with pytest.raises(NotFound):
        docs.create_document_request(session, operator(), a.account.id, title="x", items=["x"])
    assert calls["requested"] == []


# -- uploading per item --------------------------------------------------------------------------------------


def test_upload_links_the_item_and_refuses_foreign_items(session, two, calls):
    a, b = two
    req, items = checklist(session, a)
    other_req, other_items = checklist(session, a, account=a.other_account)
    foreign_req, foreign_items = checklist(session, b)
    up = send(session, a.contact, req.id, items[1].id)
    row = session.get(IntakeFile, up.id)
    assert row.document_request_item_id == items[1].id and row.document_request_id == req.id
    assert status_of(session, req.id) is DocumentRequestStatus.SUBMITTED
    before = session.exec(select(func.count()).select_from(IntakeFile)).one()
    for req_id, item_id in (
        (req.id, other_items[0].id),  # another account's item on my request
        (req.id, foreign_items[0].id),  # another workspace's item
        (other_req.id, other_items[0].id),  # another account's request
        (foreign_req.id, foreign_items[0].id),
        (req.id, 999_999),
    ):
        with pytest.raises(NotFound):
            send(session, a.contact, req_id, item_id)
    with pytest.raises(NotFound):
        send(session, a.billing_contact, req.id, items[0].id)  # no documents permission
    assert session.exec(select(func.count()).select_from(IntakeFile)).one() == before


def test_old_call_without_item(session, two, calls):
    a, _ = two
    single = docs.create_document_request(session, a.team_lead, a.account.id, title="Permit")
    up = send(session, a.contact, single.id)
    only = docs.get_document_request_detail(session, a.team_lead, single.id).items[0]
    assert session.get(IntakeFile, up.id).document_request_item_id == only.id
    multi, _ = checklist(session, a)
    with pytest.raises(ValidationFailed, match="which item"):
        send(session, a.contact, multi.id)


def test_an_accepted_item_takes_no_more_files(session, two, calls):
    a, _ = two
    req, items = checklist(session, a)
    first = send(session, a.contact, req.id, items[0].id)
    intake.review_intake(session, a.finance, first.id, accept=True)
    with pytest.raises(Conflict, match="already accepted"):
        send(session, a.contact, req.id, items[0].id)
    with pytest.raises(Conflict, match="already accepted"):
        docs.portal_item_for_upload(session, a.contact, items[0].id)
    target = docs.portal_item_for_upload(session, a.contact, items[1].id)
    assert (target.request_id, target.item_id, target.label) == (req.id, items[1].id, items[1].label)


def test_portal_item_for_upload_is_scoped_and_refuses_closed_requests(session, two, calls):
    a, b = two
    req, items = checklist(session, a)
    _, other_items = checklist(session, a, account=a.other_account)
    _, foreign_items = checklist(session, b)
    for item_id in (other_items[0].id, foreign_items[0].id, 999_999):
        with pytest.raises(NotFound):
            docs.portal_item_for_upload(session, a.contact, item_id)
    for actor in (a.billing_contact, a.owner, operator()):
        with pytest.raises(NotFound):
            docs.portal_item_for_upload(session, actor, items[0].id)
    docs.cancel_document_request(session, a.team_lead, req.id)
    with pytest.raises(Conflict, match="cancelled"):
        docs.portal_item_for_upload(session, a.contact, items[0].id)
    with pytest.raises(Conflict, match="cancelled"):
        send(session, a.contact, req.id, items[0].id)


# -- the completion rule -------------------------------------------------------------------------------------


def test_fulfilled_only_when_every_item_is_accepted(session, two, calls):
    a, _ = two
    req, items = checklist(session, a, items=["W-9", "Insurance"])
    w9 = send(session, a.contact, req.id, items[0].id)
    ins = send(session, a.contact, req.id, items[1].id, data=png())
    intake.review_intake(session, a.finance, w9.id, accept=True)
    assert status_of(session, req.id) is DocumentRequestStatus.SUBMITTED  # the insurance still awaits review
    intake.review_intake(session, a.finance, ins.id, accept=False, reason="Expired last year.")
    assert status_of(session, req.id) is DocumentRequestStatus.OPEN  # waits for a new insurance file
    assert calls["rejected"] == [
        {"workspace_id": a.ws.id, "intake_id": ins.id, "reason": "Expired last year."}
    ]

    states = {i.label: i.state for i in docs.get_document_request_detail(session, a.owner, req.id).items}
    assert states == {"W-9": docs.ITEM_ACCEPTED, "Insurance": docs.ITEM_REJECTED}

    again = send(session, a.contact, req.id, items[1].id)
    assert status_of(session, req.id) is DocumentRequestStatus.SUBMITTED
    states = {i.label: i.state for i in docs.get_document_request_detail(session, a.owner, req.id).items}
    assert states["Insurance"] == docs.ITEM_IN_REVIEW
    intake.review_intake(session, a.manager, again.id, accept=True)
    assert status_of(session, req.id) is DocumentRequestStatus.FULFILLED
    with pytest.raises(Conflict, match="closed"):
        send(session, a.contact, req.id, items[1].id)


def test_a_cancelled_request_stays_cancelled_whatever_is_decided(session, two, calls):
    a, _ = two
    req, items = checklist(session, a, items=["Only"])
    up = send(session, a.contact, req.id, items[0].id)
    docs.cancel_document_request(session, a.team_lead, req.id)
    intake.review_intake(session, a.finance, up.id, accept=True)
    assert status_of(session, req.id) is DocumentRequestStatus.CANCELLED


def test_rejecting_payment_proof_notifies_once(session, two, calls):
    a, _ = two
    inv = invoices.create_invoice(
        session,
        a.finance,
        a.account.id,
        lines=[{"description": "W", "quantity": 1, "unit_price_minor": 5000, "tax_rate_bp": 0}],
    )
    invoices.issue_invoice(session, a.finance, inv.id)
    proof = intake.submit_payment_proof(
        session,
        a.billing_contact,
        inv.id,
        filename="r.pdf",
        data=PDF,
        claimed_amount_minor=5000,
        idempotency_key=key(),
    )
    intake.review_intake(session, a.finance, proof.id, accept=False, reason="Blurry")
    assert calls["rejected"] == [{"workspace_id": a.ws.id, "intake_id": proof.id, "reason": "Blurry"}]


def test_accepting_notifies_nobody_of_a_rejection(session, two, calls):
    a, _ = two
    req, items = checklist(session, a, items=["Only"])
    up = send(session, a.contact, req.id, items[0].id)
    intake.review_intake(session, a.finance, up.id, accept=True)
    assert calls["rejected"] == []
    assert status_of(session, req.id) is DocumentRequestStatus.FULFILLED


# -- staff reads ---------------------------------------------------------------------------------------------


def test_staff_detail_lists_each_items_files(session, two, calls):
    a, b = two
    req, items = checklist(session, a)
    bad = send(session, a.contact, req.id, items[0].id, name="old.pdf")
    intake.review_intake(session, a.finance, bad.id, accept=False, reason="Unsigned <b>copy</b>")
    good = send(session, a.contact, req.id, items[0].id, name="signed.png", data=png())
    detail = docs.get_document_request_detail(session, a.finance, req.id)
    assert detail.account_name == a.account.name
    assert detail.request.internal_notes == INTERNAL
    first = detail.items[0]
    assert [f.original_name for f in first.files] == ["old.pdf", "signed.png"]
    assert [f.status for f in first.files] == [IntakeStatus.REJECTED, IntakeStatus.AWAITING_REVIEW]
    assert first.files[0].review_reason == "Unsigned <b>copy</b>"
    assert first.files[1].sniffed_type == "image/png" and first.files[1].id == good.id
    assert first.state == docs.ITEM_IN_REVIEW
    assert [i.state for i in detail.items[1:]] == [docs.ITEM_MISSING, docs.ITEM_MISSING]
    assert detail.files_waiting == 1 and detail.items_done == 0
    for actor in (b.owner, a.contact, operator()):
        with pytest.raises(NotFound):
            docs.get_document_request_detail(session, actor, req.id)


def test_staff_list_overdue_first_with_progress(session, two, calls):
    a, b = two
    today = docs.today()
    recent, _ = checklist(session, a, title="Recent")
    late, late_items = checklist(session, a, title="Late", items=["One", "Two"], due_on=today)
    very_late, _ = checklist(session, a, title="Very late", due_on=today)
    closed, _ = checklist(session, a, title="Closed late", due_on=today)
    other, _ = checklist(session, a, title="Other account", account=a.other_account)
    checklist(session, b, title="Foreign")
    for rid, back in ((late.id, 2), (very_late.id, 9), (closed.id, 30)):
        row = session.get(DocumentRequest, rid)
        row.due_on = today - timedelta(days=back)
        session.add(row)
    session.flush()
    docs.cancel_document_request(session, a.team_lead, closed.id)
    up = send(session, a.contact, late.id, late_items[0].id)
    intake.review_intake(session, a.finance, up.id, accept=True)

    page = docs.list_document_request_summaries(session, a.finance, overdue_first=True)
    titles = [r.title for r in page.items]
    assert titles[:2] == ["Very late", "Late"]
    assert set(titles) == {"Recent", "Late", "Very late", "Closed late", "Other account"}
    row = next(r for r in page.items if r.id == late.id)
    assert (row.items_done, row.items_total, row.account_name) == (1, 2, a.account.name)
    newest = docs.list_document_request_summaries(session, a.finance)
    assert newest.items[0].title == "Other account"
    mine = docs.list_document_request_summaries(session, a.finance, account_id=a.other_account.id)
    assert [r.id for r in mine.items] == [other.id]
    assert docs.list_document_request_summaries(session, a.finance, account_id=b.account.id).total == 0
    cancelled = docs.list_document_request_summaries(
        session, a.finance, status=DocumentRequestStatus.CANCELLED
    )
    assert [r.id for r in cancelled.items] == [closed.id]
    assert recent.id in {r.id for r in newest.items}
    with pytest.raises(NotFound):
        docs.list_document_request_summaries(session, a.contact)


def test_review_queue_names_the_item(session, two, calls):
    a, _ = two
    req, items = checklist(session, a)
    send(session, a.contact, req.id, items[2].id)
    queued = intake.review_queue(session, a.finance).items
    assert [(q.request_title, q.item_label) for q in queued] == [("Onboarding documents", "Bank letter")]


# -- portal reads --------------------------------------------------------------------------------------------


def test_portal_detail_is_projected_and_scoped(session, two, calls):
    a, b = two
    req, items = checklist(session, a)
    bad = send(session, a.contact, req.id, items[1].id)
    intake.review_intake(session, a.finance, bad.id, accept=False, reason="Wrong year, please send 2026.")
    ok = send(session, a.contact, req.id, items[0].id)
    intake.review_intake(session, a.finance, ok.id, accept=True, reason="internal: checked by Kim")
    view = docs.portal_get_document_request_detail(session, a.contact, req.id)
    dumped = view.model_dump_json()
    assert INTERNAL not in dumped and "checked by Kim" not in dumped and "sniffed" not in dumped
    assert "internal_notes" not in dumped and "reviewer" not in dumped
    assert [i.state for i in view.items] == [docs.ITEM_ACCEPTED, docs.ITEM_REJECTED, docs.ITEM_MISSING]
    assert view.items[1].files[0].review_reason == "Wrong year, please send 2026."

    _, other = checklist(session, a, account=a.other_account)
    theirs = session.get(DocumentRequestItem, other[0].id).request_id
    foreign, _ = checklist(session, b)
    no_docs = make_contact(session, a.account, documents=False)
    session.commit()
    for actor, rid in (
        (a.contact, theirs),
        (a.contact, foreign.id),
        (a.contact, 999_999),
        (a.billing_contact, req.id),
        (no_docs, req.id),
        (a.owner, req.id),
    ):
        with pytest.raises(NotFound):
            docs.portal_get_document_request_detail(session, actor, rid)


def test_portal_list_open_first_with_progress(session, two, calls):
    a, _ = two
    today = docs.today()
    done, done_items = checklist(session, a, title="Done", items=["One"])
    up = send(session, a.contact, done.id, done_items[0].id)
    intake.review_intake(session, a.finance, up.id, accept=True)
    later, _ = checklist(session, a, title="Later", due_on=today + timedelta(days=9))
    sooner, _ = checklist(session, a, title="Sooner", due_on=today + timedelta(days=2))
    undated, _ = checklist(session, a, title="Undated")
    checklist(session, a, title="Not mine", account=a.other_account)
    page = docs.portal_list_document_request_summaries(session, a.contact)
    assert [r.title for r in page.items] == ["Sooner", "Later", "Undated", "Done"]
    assert [(r.items_done, r.items_total) for r in page.items] == [(0, 3), (0, 3), (0, 3), (1, 1)]
    assert INTERNAL not in page.model_dump_json()
    assert undated.id in {r.id for r in page.items} and later.id and sooner.id
    with pytest.raises(NotFound):
        docs.portal_list_document_request_summaries(session, a.billing_contact)


def test_a_request_without_a_checklist_still_works(session, two, calls):
    """Requests created before checklists (no items): one file fulfils them, shown under the request's title."""
    a, _ = two
    row = DocumentRequest(workspace_id=a.ws.id, account_id=a.account.id, title="Legacy W-9")
    session.add(row)
    session.commit()
    up = send(session, a.contact, row.id)
    view = docs.portal_get_document_request_detail(session, a.contact, row.id)
    assert [(i.id, i.label, i.state) for i in view.items] == [(0, "Legacy W-9", docs.ITEM_IN_REVIEW)]
    intake.review_intake(session, a.finance, up.id, accept=True)
    assert status_of(session, row.id) is DocumentRequestStatus.FULFILLED
    summary = docs.list_document_request_summaries(session, a.owner).items[0]
    assert (summary.items_done, summary.items_total) == (1, 1)
