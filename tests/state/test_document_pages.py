"""Document request pages, staff and contact: forged ids, other accounts and workspaces, a contact without the
documents permission, who may create a request, the item states as each side reads them, and the per-item
upload started only for an item the tab loaded."""

from __future__ import annotations

import json
import os
import uuid
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session

os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

from models import DocumentRequest, DocumentRequestItem, DocumentRequestStatus, IntakeFile  # noqa: E402
from portal_app import routes  # noqa: E402
from portal_app.services import document_requests as docs  # noqa: E402
from portal_app.services import intake  # noqa: E402
from state.document_form import DocumentFormState  # noqa: E402
from state.documents import DocumentDetailState, DocumentsListState  # noqa: E402
from state.portal_documents import PortalDocumentsState, PortalDocumentState  # noqa: E402
from tests.factories import make_contact, make_tenant  # noqa: E402
from tests.state.test_estimate_pages import call, page_state, staff_token  # noqa: E402
from tests.state.test_portal_invoice_pages import tab, token_for  # noqa: E402

PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
STAFF_DETAIL = routes.record_pattern(routes.STAFF_DOCUMENTS)
PORTAL_DETAIL = routes.record_pattern(routes.PORTAL_DOCUMENTS)
NEW = f"{routes.STAFF_DOCUMENTS}/{routes.NEW}"
INTERNAL = "INTERNAL chase note 5521"


@pytest.fixture()
def db(committed_engine: sa.Engine, storage_dir: Any) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as session:
        yield session


def request(
    db: Session,
    t: Any,
    *,
    account: Any = None,
    items: tuple[str, ...] = ("W-9", "Insurance", "Bank letter"),
    **kw: Any,
) -> tuple[int, list[int]]:
    kw.setdefault("title", "Onboarding")
    req = docs.create_document_request(
        db, t.team_lead, (account or t.account).id, items=list(items), internal_notes=INTERNAL, **kw
    )
    ids = [i.id for i in docs.get_document_request_detail(db, t.team_lead, req.id).items]
    db.rollback()  # end the read transaction: SQLite would keep the page's own writes waiting on it
    return req.id, ids


def send(db: Session, contact: Any, req_id: int, item_id: int) -> int:
    up = intake.submit_document(
        db,
        contact,
        req_id,
        item_id=item_id,
        filename="f.pdf",
        data=PDF,
        idempotency_key=f"k-{uuid.uuid4().hex}",
    )
    return up.id


def count(db: Session, model: Any) -> int:
    db.rollback()
    n = int(db.scalar(sa.select(sa.func.count()).select_from(model)) or 0)
    db.rollback()  # no read transaction left open: SQLite would hold the page's next write
    return n


def staff_detail(db: Session, actor: Any, record_id: Any) -> DocumentDetailState:
    state = page_state(DocumentDetailState, staff_token(db, actor), path=STAFF_DETAIL, record_id=record_id)
    call(state, "load")
    return state


def portal_detail(db: Session, actor: Any, record_id: Any) -> PortalDocumentState:
    state = tab(PortalDocumentState, token_for(db, actor), PORTAL_DETAIL, record_id)
    call(state, "load")
    return state


# -- staff list and detail ---------------------------------------------------------------------------------------


def test_staff_list_shows_progress_and_overdue_first(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    name, foreign_account = t.account.name, other.account.id  # read before any rollback expires them
    newer, _ = request(db, t, title="Newer")
    late, late_items = request(db, t, title="Late", items=("One", "Two"))
    request(db, other, title="Foreign")
    row = db.get(DocumentRequest, late)
    row.due_on = docs.today() - timedelta(days=4)
    db.add(row)
    db.commit()
    intake.review_intake(db, t.finance, send(db, t.contact, late, late_items[0]), accept=True)
    db.rollback()

    state = page_state(DocumentsListState, staff_token(db, t.finance), path=routes.STAFF_DOCUMENTS)
    call(state, "load")
    assert state.gate == "ready" and state.can_manage is False  # finance reads, cannot create
    assert [r.title for r in state.rows] == ["Late", "Newer"]
    call(state, "set_filter", "order", "overdue")
    first = state.rows[0]
    assert first.title == "Late" and first.overdue and "overdue by 4 days" in first.due
    assert first.progress == "1 of 2" and first.account == name
    # Forged filters are ignored or scoped: another workspace's account finds nothing.
    call(state, "set_filter", "status", "hacked")
    assert state.filter_values["status"] == "all"
    call(state, "set_filter", "account", str(foreign_account))
    assert state.rows == []
    lead = page_state(DocumentsListState, staff_token(db, t.team_lead), path=routes.STAFF_DOCUMENTS)
    call(lead, "load")
    assert lead.can_manage is True and newer in {r.id for r in lead.rows}


def test_staff_detail_shows_items_files_and_states(db: Session) -> None:
    t = make_tenant(db)
    req_id, items = request(db, t)
    bad = send(db, t.contact, req_id, items[1])
    intake.review_intake(db, t.finance, bad, accept=False, reason="Expired <b>policy</b>")
    good = send(db, t.contact, req_id, items[0])
    intake.review_intake(db, t.finance, good, accept=True)
    send(db, t.contact, req_id, items[2])
    db.rollback()
    state = staff_detail(db, t.finance, req_id)
    assert state.gate == "ready" and state.title == "Onboarding"
    assert [(i.label, i.state_label) for i in state.items] == [
        ("W-9", "Accepted"),
        ("Insurance", "Needs a new file"),
        ("Bank letter", "In review"),
    ]
    assert state.items[1].files[0].reason == "Expired <b>policy</b>"
    assert state.items[0].files[0].file_href == routes.file_url(routes.FILES_INTAKE, good)
    assert state.files_waiting == 1 and state.progress.startswith("1 of 3")
    assert state.internal_notes == INTERNAL
    assert state.can_cancel is False  # finance holds documents:read only
    assert len(state.tasks) == 1  # the open review task of the file still waiting


@pytest.mark.parametrize("forged", ["999999", "abc", "-1", "0", "1 OR 1=1"])
def test_staff_detail_forged_ids_are_not_found(db: Session, forged: str) -> None:
    t = make_tenant(db)
    request(db, t)
    state = staff_detail(db, t.owner, forged)
    assert state.gate == "not_found" and state.title == "" and state.items == []


def test_staff_detail_of_another_workspace_is_not_found(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    req_id, _ = request(db, other)
    state = staff_detail(db, t.owner, req_id)
    assert state.gate == "not_found" and state.internal_notes == ""
    contact = tab(DocumentDetailState, token_for(db, t.contact), STAFF_DETAIL, req_id)
    call(contact, "load")
    assert contact.gate == "no_access" and contact.items == []


def test_cancel_needs_the_permission_and_is_rechecked(db: Session) -> None:
    t = make_tenant(db)
    req_id, _ = request(db, t)
    finance = staff_detail(db, t.finance, req_id)
    call(finance, "cancel_request")  # a forged call: the button is not shown to finance
    db.rollback()
    assert db.get(DocumentRequest, req_id).status is DocumentRequestStatus.OPEN
    lead = staff_detail(db, t.team_lead, req_id)
    assert lead.can_cancel is True
    events = call(lead, "cancel_request")
    assert "is cancelled" in str(events)
    db.rollback()
    db.expire_all()
    assert db.get(DocumentRequest, req_id).status is DocumentRequestStatus.CANCELLED
    assert lead.can_cancel is False and "Cancelled" in lead.closed_note


# -- staff form ------------------------------------------------------------------------------------------------


def form_state(db: Session, actor: Any) -> DocumentFormState:
    state = page_state(DocumentFormState, staff_token(db, actor), path=NEW)
    call(state, "load")
    return state


def test_team_lead_creates_a_request_with_a_checklist(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    mine, second, foreign = str(t.account.id), str(t.other_account.id), str(other.account.id)
    state = form_state(db, t.team_lead)
    assert state.gate == "ready" and len(state.items) == 1
    assert {a.id for a in state.account_choices} == {mine, second}
    call(state, "add_item")
    call(state, "add_item")
    call(state, "remove_item", state.items[1].key)
    keys = [i.key for i in state.items]
    assert len(keys) == 2
    # Another workspace's account is not a choice, whatever the browser sends.
    bad = {
        "account_id": foreign,
        "title": "Docs",
        f"item-{keys[0]}": "A",
        f"item-{keys[1]}": "B",
    }
    call(state, "submit", bad)
    assert "account_id" in state.errors and count(db, DocumentRequest) == 0
    # Row errors: an empty and a repeated item, each under its own row.
    call(state, "submit", {**bad, "account_id": mine, f"item-{keys[1]}": " a "})
    assert state.items[1].error and not state.items[0].error and count(db, DocumentRequest) == 0
    events = call(
        state,
        "submit",
        {
            "account_id": mine,
            "title": " Onboarding ",
            f"item-{keys[0]}": "Signed W-9",
            f"item-{keys[1]}": "Certificate of insurance",
            "description": "2026 please",
            "due_on": (docs.today() + timedelta(days=7)).isoformat(),
            "internal_notes": "chase",
        },
    )
    assert "Request sent to" in str(events)
    db.rollback()
    saved = db.exec(sa.select(DocumentRequest)).scalars().one()
    assert (
        saved.account_id == int(mine) and saved.title == "Onboarding" and saved.description == "2026 please"
    )
    labels = (
        db.exec(
            sa.select(DocumentRequestItem.label).order_by(DocumentRequestItem.position)  # type: ignore[arg-type]
        )
        .scalars()
        .all()
    )
    assert labels == ["Signed W-9", "Certificate of insurance"]
    db.rollback()  # end the read transaction before the page acts again
    # A double submit does not create a second request.
    call(
        state,
        "submit",
        {"account_id": mine, "title": "Again", f"item-{keys[0]}": "X", f"item-{keys[1]}": "Y"},
    )
    assert count(db, DocumentRequest) == 1


def test_finance_cannot_open_the_form_or_create(db: Session) -> None:
    t = make_tenant(db)
    mine = str(t.account.id)
    state = form_state(db, t.finance)  # finance/admin reviewers lack documents:manage
    assert state.gate == "no_access" and state.account_choices == []
    call(state, "submit", {"account_id": mine, "title": "x", "item-i1": "x"})
    assert count(db, DocumentRequest) == 0
    contact = tab(DocumentFormState, token_for(db, t.contact), NEW)
    call(contact, "load")
    assert contact.gate == "no_access"


def test_past_due_dates_are_refused_in_the_form(db: Session) -> None:
    t = make_tenant(db)
    mine = str(t.account.id)
    state = form_state(db, t.manager)
    key = state.items[0].key
    past = (docs.today() - timedelta(days=1)).isoformat()
    call(state, "submit", {"account_id": mine, "title": "x", f"item-{key}": "x", "due_on": past})
    assert "due_on" in state.errors and count(db, DocumentRequest) == 0


# -- portal ----------------------------------------------------------------------------------------------------


def test_portal_list_open_first_for_the_account_only(db: Session) -> None:
    t, other = make_tenant(db), make_tenant(db)
    done, done_items = request(db, t, title="Done", items=("One",))
    intake.review_intake(db, t.finance, send(db, t.contact, done, done_items[0]), accept=True)
    request(db, t, title="Soon", due_on=docs.today() + timedelta(days=2))
    request(db, t, title="Theirs", account=t.other_account)
    request(db, other, title="Foreign")
    db.rollback()
    state = tab(PortalDocumentsState, token_for(db, t.contact), routes.PORTAL_DOCUMENTS)
    call(state, "load")
    assert [r.title for r in state.rows] == ["Soon", "Done"]
    assert state.rows[1].status == "Complete" and state.rows[1].progress == "1 of 1 accepted"
    assert INTERNAL not in json.dumps([r.__dict__ for r in state.rows])


def test_portal_without_documents_permission_is_not_found(db: Session) -> None:
    t = make_tenant(db)
    req_id, _ = request(db, t)
    no_docs = make_contact(db, t.account, documents=False)
    db.commit()
    for actor in (no_docs, t.billing_contact):
        listing = tab(PortalDocumentsState, token_for(db, actor), routes.PORTAL_DOCUMENTS)
        call(listing, "load")
        assert listing.gate == "not_found" and listing.rows == []
        state = portal_detail(db, actor, req_id)
        assert state.gate == "not_found" and state.title == "" and state.items == []


@pytest.mark.parametrize("which", ["other_account", "other_workspace", "missing", "junk"])
def test_portal_detail_of_what_is_not_theirs_is_not_found(db: Session, which: str) -> None:
    t, other = make_tenant(db), make_tenant(db)
    theirs, _ = request(db, t, account=t.other_account)
    foreign, _ = request(db, other)
    record = {"other_account": theirs, "other_workspace": foreign, "missing": 999_999, "junk": "x1"}[which]
    state = portal_detail(db, t.contact, record)
    assert state.gate == "not_found" and state.items == [] and state.title == ""


def test_portal_detail_shows_item_states_in_the_contacts_words(db: Session) -> None:
    t = make_tenant(db)
    req_id, items = request(db, t)
    bad = send(db, t.contact, req_id, items[1])
    intake.review_intake(db, t.finance, bad, accept=False, reason="Please send the 2026 policy.")
    ok = send(db, t.contact, req_id, items[0])
    intake.review_intake(db, t.finance, ok, accept=True, reason="internal: checked")
    db.rollback()
    state = portal_detail(db, t.contact, req_id)
    assert state.gate == "ready" and state.is_open
    assert [(i.label, i.state, i.can_upload) for i in state.items] == [
        ("W-9", "Accepted", False),
        ("Insurance", "Not accepted", True),
        ("Bank letter", "Not sent yet", True),
    ]
    assert state.items[1].needs_new_file and state.items[1].files[0].state == "Not accepted"
    assert state.items[1].files[0].reason == "Please send the 2026 policy."
    assert state.items[0].files[0].reason == ""  # a reason given on acceptance is not shown
    dumped = json.dumps([i.__dict__ for i in state.items], default=lambda o: o.__dict__)
    assert INTERNAL not in dumped and "internal: checked" not in dumped


def test_send_files_only_for_an_item_the_tab_loaded(db: Session) -> None:
    t = make_tenant(db)
    token = token_for(db, t.contact)
    req_id, items = request(db, t)
    _, other_items = request(db, t, account=t.other_account)
    accepted = send(db, t.contact, req_id, items[0])
    intake.review_intake(db, t.finance, accepted, accept=True)
    db.rollback()
    state = tab(PortalDocumentState, token, PORTAL_DETAIL, req_id)
    call(state, "load")
    for forged in (other_items[0], items[0], 999_999, "junk", None):  # not loaded, or already accepted
        assert call(state, "send_files", forged) is None and state.sending_item == 0
    events = call(state, "send_files", items[2])
    script = str(events)
    assert routes.file_url(routes.FILES_UPLOAD_DOCUMENT, items[2]) in script
    assert '"multiple": true' in script and state._form_key in script
    assert state.sending_item == items[2]
    assert call(state, "send_files", items[1]) is None  # one upload at a time
    assert count(db, IntakeFile) == 1  # the state stores nothing itself: the route does


def test_files_sent_shows_answers_as_text_and_reloads(db: Session) -> None:
    t = make_tenant(db)
    req_id, items = request(db, t)
    state = portal_detail(db, t.contact, req_id)
    call(state, "send_files", items[0])
    key = state._form_key
    evil = "<img src=x onerror=alert(1)>" + "y" * 2000
    events = call(
        state,
        "files_sent",
        {
            "ok": False,
            "message": "1 of 2 files sent.",
            "files": [
                {"name": "a.pdf", "ok": True, "message": "ok"},
                {"name": "b.pdf", "ok": False, "message": evil},
            ],
        },
    )
    assert state.sending_item == 0 and state._form_key != key
    error = state.item_errors[str(items[0])]
    assert error.startswith("b.pdf: <img src=x") and len(error) < 700
    assert "1 file sent" in str(events)
    # Junk answers and answers with nothing pending do nothing harmful.
    for junk in (None, "ok", [], {"ok": "yes"}, {"ok": True}):
        state.sending_item = items[1]
        call(state, "files_sent", junk)
        assert state.sending_item == 0
    assert call(state, "files_sent", {"ok": True, "message": "x", "files": []}) is None


def test_closed_request_hides_the_uploads(db: Session) -> None:
    t = make_tenant(db)
    req_id, items = request(db, t)
    docs.cancel_document_request(db, t.team_lead, req_id)
    db.rollback()
    state = portal_detail(db, t.contact, req_id)
    assert state.is_open is False and "cancelled" in state.closed_note
    assert not any(i.can_upload for i in state.items)
    assert call(state, "send_files", items[0]) is None


def test_review_queue_names_the_item_and_says_what_is_left(db: Session) -> None:
    from state.review import ReviewQueueState

    t = make_tenant(db)
    req_id, items = request(db, t, items=("W-9", "Insurance"))
    send(db, t.contact, req_id, items[1])
    db.rollback()
    state = page_state(ReviewQueueState, staff_token(db, t.finance), path=routes.STAFF_REVIEW)
    call(state, "load")
    [row] = state.rows
    assert (row.record, row.item) == ("Onboarding", "Insurance")
    call(state, "open_review", row.id)
    events = call(state, "accept", {})
    assert "still needs files for other items" in str(events)
    db.rollback()
    assert db.get(DocumentRequest, req_id).status is DocumentRequestStatus.OPEN
    db.rollback()
