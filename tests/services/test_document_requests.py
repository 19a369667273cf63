import pytest
from sqlmodel import func, select

from models import AuditEvent, DocumentRequest, DocumentRequestStatus, Role
from models.portal import PortalDocumentRequest
from portal_app.services import document_requests as docs
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from tests.factories import days, make_contact, make_tenant


@pytest.fixture()
def tenants(session):
    return make_tenant(session), make_tenant(session)


def new_request(session, tenant, *, account=None, **kw):
    kw.setdefault("title", "Signed contract")
    kw.setdefault("internal_notes", "chase before Friday")
    return docs.create_document_request(session, tenant.team_lead, (account or tenant.account).id, **kw)


def set_status(session, request_id, status):
    row = session.get(DocumentRequest, request_id)
    row.status = status
    session.add(row)
    session.flush()


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.TEAM_LEAD])
def test_create_open_request(session, tenants, role):
    a, _ = tenants
    read = docs.create_document_request(
        session, a.staff[role], a.account.id, title=" W-9 form ", description="Current year", due_on=days(10)
    )
    assert read.status is DocumentRequestStatus.OPEN
    assert read.title == "W-9 form" and read.due_on == days(10)
    row = session.get(DocumentRequest, read.id)
    assert row.workspace_id == a.ws.id and row.account_id == a.account.id
    assert row.requested_by_user_id == a.staff[role].user_id
    events = session.exec(
        select(AuditEvent).where(
            AuditEvent.target_type == "document_request", AuditEvent.target_id == read.id
        )
    ).all()
    assert [e.action for e in events] == ["document_request.created"]


def test_create_refusals(session, tenants):
    a, b = tenants
    with pytest.raises(Forbidden):
        docs.create_document_request(session, a.finance, a.account.id, title="x")
    with pytest.raises(NotFound):
        docs.create_document_request(session, a.contact, a.account.id, title="x")
    with pytest.raises(NotFound):
        docs.create_document_request(session, a.team_lead, b.account.id, title="x")
    for title in ("", "  ", "t" * 201):
        with pytest.raises(ValidationFailed):
            docs.create_document_request(session, a.team_lead, a.account.id, title=title)
    with pytest.raises(ValidationFailed):
        docs.create_document_request(session, a.team_lead, a.account.id, title="x", internal_notes="n" * 4001)
    assert session.exec(select(func.count()).select_from(DocumentRequest)).one() == 0


@pytest.mark.parametrize("start", [DocumentRequestStatus.OPEN, DocumentRequestStatus.SUBMITTED])
def test_cancel_open_or_submitted(session, tenants, start):
    a, _ = tenants
    req = new_request(session, a)
    set_status(session, req.id, start)
    read = docs.cancel_document_request(session, a.manager, req.id)
    assert read.status is DocumentRequestStatus.CANCELLED
    assert read.id == req.id


@pytest.mark.parametrize("start", [DocumentRequestStatus.FULFILLED, DocumentRequestStatus.CANCELLED])
def test_cancel_final_is_conflict(session, tenants, start):
    a, _ = tenants
    req = new_request(session, a)
    set_status(session, req.id, start)
    with pytest.raises(Conflict):
        docs.cancel_document_request(session, a.manager, req.id)
    assert session.get(DocumentRequest, req.id).status is start


def test_cancel_refused_outside_scope(session, tenants):
    a, b = tenants
    req = new_request(session, a)
    with pytest.raises(NotFound):
        docs.cancel_document_request(session, b.owner, req.id)
    with pytest.raises(Forbidden):
        docs.cancel_document_request(session, a.finance, req.id)
    with pytest.raises(NotFound):
        docs.cancel_document_request(session, a.contact, req.id)
    assert session.get(DocumentRequest, req.id).status is DocumentRequestStatus.OPEN


def test_staff_list_and_get(session, tenants):
    a, b = tenants
    ids = [new_request(session, a, title=f"A {i}").id for i in range(3)]
    other = new_request(session, a, account=a.other_account, title="A other")
    new_request(session, b, title="B")
    docs.cancel_document_request(session, a.team_lead, ids[0])

    page = docs.list_document_requests(session, a.finance, limit=3)
    assert page.total == 4 and len(page.items) == 3 and page.has_more
    assert all(i.title.startswith("A") for i in page.items)
    assert (
        docs.list_document_requests(session, a.owner, account_id=a.other_account.id).items[0].id == other.id
    )
    assert docs.list_document_requests(session, a.owner, account_id=b.account.id).total == 0
    cancelled = docs.list_document_requests(session, a.owner, status=DocumentRequestStatus.CANCELLED)
    assert [i.id for i in cancelled.items] == [ids[0]]
    assert docs.get_document_request(session, a.finance, ids[1]).internal_notes == "chase before Friday"
    with pytest.raises(NotFound):
        docs.get_document_request(session, b.owner, ids[1])
    with pytest.raises(NotFound):
        docs.list_document_requests(session, a.contact)


def test_portal_reads_are_scoped_and_projected(session, tenants):
    a, b = tenants
    mine = new_request(session, a)
    theirs = new_request(session, a, account=a.other_account)
    foreign = new_request(session, b)

    page = docs.portal_list_document_requests(session, a.contact)
    assert [i.id for i in page.items] == [mine.id]
    view = docs.portal_get_document_request(session, a.contact, mine.id)
    assert isinstance(view, PortalDocumentRequest)
    assert "internal_notes" not in PortalDocumentRequest.model_fields
    assert "chase before Friday" not in view.model_dump_json() + page.model_dump_json()

    for rid in (theirs.id, foreign.id, 999_999):
        with pytest.raises(NotFound):
            docs.portal_get_document_request(session, a.contact, rid)


def test_portal_needs_documents_permission(session, tenants):
    a, _ = tenants
    req = new_request(session, a)
    no_docs = make_contact(session, a.account, billing=True, operations=True, documents=False)
    for contact in (a.billing_contact, no_docs):
        with pytest.raises(NotFound):
            docs.portal_list_document_requests(session, contact)
        with pytest.raises(NotFound):
            docs.portal_get_document_request(session, contact, req.id)
    with pytest.raises(NotFound):
        docs.portal_list_document_requests(session, a.owner)
