"""Platform operators: workspaces as counts and states, suspension with a reason, no access to records."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from sqlmodel import select

from models import AuditEvent, IntakeFile, IntakeKind, Role, SessionKind, WorkspaceStatus
from portal_app.services import (
    access,
    accounts,
    approvals,
    audit,
    deliveries,
    document_requests,
    estimates,
    intake,
    invoices,
    members,
    messages,
    operators,
    portal_access,
    sessions,
    workspaces,
)
from portal_app.services.access import RECORD_RULES
from portal_app.services.errors import NotFound, ValidationFailed
from tests.factories import add_member, make_account, make_contact, make_tenant, make_workspace, operator
from tests.services.test_access_matrix import _records


def add_upload(session, t, size: int) -> None:
    session.add(
        IntakeFile(
            workspace_id=t.ws.id,
            account_id=t.account.id,
            contact_id=t.contact.contact_id,
            kind=IntakeKind.DOCUMENT,
            storage_key=uuid.uuid4().hex,
            original_name="secret-contract.pdf",
            sniffed_type="application/pdf",
            size_bytes=size,
            sha256="0" * 64,
        )
    )


def test_overview_counts_are_per_workspace(session):
    a = make_tenant(session, name="Alpha")
    b = make_tenant(session, name="Beta")
    make_account(session, b.ws)
    make_contact(session, b.account)
    add_upload(session, a, 1000)
    add_upload(session, a, 2_500_000_000)  # beyond 32 bits: the sum is a BIGINT
    add_upload(session, b, 7)
    empty = make_workspace(session, name="Empty", portal_enabled=False)
    session.commit()

    page = operators.list_workspaces(session, operator(), offset=0, limit=50)
    by_id = {w.id: w for w in page.items}
    assert page.total == 3 and set(by_id) == {a.ws.id, b.ws.id, empty.id}
    alpha, beta, none = by_id[a.ws.id], by_id[b.ws.id], by_id[empty.id]
    assert (alpha.members, alpha.accounts, alpha.contacts, alpha.storage_bytes) == (4, 2, 3, 2_500_001_000)
    assert (beta.members, beta.accounts, beta.contacts, beta.storage_bytes) == (4, 3, 4, 7)
    assert (none.members, none.accounts, none.contacts, none.storage_bytes) == (0, 0, 0, 0)
    assert alpha.name == "Alpha" and alpha.status is WorkspaceStatus.ACTIVE and alpha.portal_enabled
    assert not none.portal_enabled
    # Counts and states only: no field can carry record contents.
    assert set(type(alpha).model_fields) == {
        "id",
        "name",
        "slug",
        "status",
        "status_reason",
        "portal_enabled",
        "members",
        "contacts",
        "accounts",
        "storage_bytes",
        "created_at",
    }
    assert "secret-contract" not in page.model_dump_json()


def test_overview_pages_with_constant_query_count(session):
    for i in range(7):
        t = make_tenant(session, name=f"Tenant {i}")
        add_upload(session, t, 10)
    session.commit()
    statements: list[str] = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    bind = session.connection()
    sa.event.listen(bind, "before_cursor_execute", count)
    try:
        first = operators.list_workspaces(session, operator(), offset=0, limit=3)
        small = len(statements)
        statements.clear()
        everything = operators.list_workspaces(session, operator(), offset=0, limit=100)
        large = len(statements)
    finally:
        sa.event.remove(bind, "before_cursor_execute", count)
    assert small == large == 2
    assert len(first.items) == 3 and first.total == 7 and first.has_more
    assert len(everything.items) == 7 and not everything.has_more
    second = operators.list_workspaces(session, operator(), offset=3, limit=3)
    assert not {w.id for w in first.items} & {w.id for w in second.items}


def test_suspension_blocks_staff_and_contacts_at_once(session):
    t = make_tenant(session)
    other = make_tenant(session)
    staff_session = sessions.create_session(
        session, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
    )
    contact_session = sessions.create_session(
        session, kind=SessionKind.CONTACT, contact_id=t.contact.contact_id, account_id=t.account.id
    )
    other_session = sessions.create_session(
        session, kind=SessionKind.CONTACT, contact_id=other.contact.contact_id, account_id=other.account.id
    )
    session.commit()
    assert sessions.resolve(session, staff_session.token).actor is not None
    assert sessions.resolve(session, contact_session.token).actor is not None

    overview = operators.suspend_workspace(session, operator(), t.ws.id, reason="Unpaid platform invoice")
    assert overview.status is WorkspaceStatus.SUSPENDED
    assert overview.status_reason == "Unpaid platform invoice"
    assert sessions.resolve(session, staff_session.token).actor is None
    assert sessions.resolve(session, contact_session.token).actor is None
    assert sessions.resolve(session, other_session.token).actor is not None  # other workspaces carry on
    with pytest.raises(NotFound):
        access.resolve_staff(session, user_id=t.owner.user_id, workspace_id=t.ws.id)

    back = operators.reinstate_workspace(session, operator(), t.ws.id, reason="Invoice settled")
    assert back.status is WorkspaceStatus.ACTIVE
    assert sessions.resolve(session, staff_session.token).actor is not None
    assert sessions.resolve(session, contact_session.token).actor is not None
    # Logged with the reason on the workspace's chain and the platform chain, and both chains verify.
    for chain in (t.ws.id, audit.PLATFORM_CHAIN):
        actions = session.exec(
            select(AuditEvent.action, AuditEvent.data).where(
                AuditEvent.workspace_id == chain, AuditEvent.action.like("workspace.%")
            )
        ).all()
        assert [a for a, _ in actions] == ["workspace.suspended", "workspace.reinstated"]
        assert "Unpaid platform invoice" in actions[0][1]
        assert audit.verify_chain(session, chain).ok


def test_reason_is_required(session):
    t = make_tenant(session)
    for reason in ("", "   ", "no", "x" * 501):
        with pytest.raises(ValidationFailed):
            operators.suspend_workspace(session, operator(), t.ws.id, reason=reason)
        with pytest.raises(ValidationFailed):
            operators.reinstate_workspace(session, operator(), t.ws.id, reason=reason)
    session.refresh(t.ws)
    assert t.ws.status is WorkspaceStatus.ACTIVE
    with pytest.raises(NotFound):
        operators.suspend_workspace(session, operator(), 10**9, reason="does not exist")


def test_staff_and_contacts_cannot_use_operator_services(session):
    t = make_tenant(session)
    for actor in (t.owner, t.manager, t.team_lead, t.finance, t.contact, t.billing_contact):
        with pytest.raises(NotFound):
            operators.list_workspaces(session, actor, offset=0, limit=10)
        with pytest.raises(NotFound):
            operators.get_workspace_overview(session, actor, t.ws.id)
        with pytest.raises(NotFound):
            operators.suspend_workspace(session, actor, t.ws.id, reason="I would like to")
        with pytest.raises(NotFound):
            operators.reinstate_workspace(session, actor, t.ws.id, reason="I would like to")
    session.refresh(t.ws)
    assert t.ws.status is WorkspaceStatus.ACTIVE


@pytest.mark.parametrize("kind", sorted(RECORD_RULES))
@pytest.mark.parametrize("change", [False, True], ids=["read", "change"])
def test_operator_reaches_no_record(session, kind, change):
    t = make_tenant(session)
    records = _records(session, t)
    session.commit()
    model, record_id = records[kind]
    with pytest.raises(NotFound):
        access.get_scoped(session, operator(), model, record_id, change=change)
    with pytest.raises(NotFound):
        access.scoped_select(operator(), model, change=change)


def test_operator_gets_not_found_from_record_services(session):
    t = make_tenant(session)
    records = _records(session, t)
    session.commit()
    op = operator()
    calls = [
        (accounts.get_account, records["account"][1]),
        (approvals.get_approval, records["approval"][1]),
        (deliveries.get_delivery, records["delivery"][1]),
        (document_requests.get_document_request, records["document_request"][1]),
        (estimates.get_estimate, records["estimate"][1]),
        (intake.get_intake, records["intake_file"][1]),
        (invoices.get_invoice, records["invoice"][1]),
        (messages.get_thread, records["message_thread"][1]),
    ]
    for fn, record_id in calls:
        with pytest.raises(NotFound):
            fn(session, op, record_id)
    for fn in (members.list_members, members.list_invitations, workspaces.get_workspace):
        with pytest.raises(NotFound):
            fn(session, op)
    with pytest.raises(NotFound):
        audit.list_events(session, op)
    with pytest.raises(NotFound):
        portal_access.list_contact_accounts(session, op)
    with pytest.raises(NotFound):
        portal_access.invite_contact(session, op, t.contact.contact_id, t.account.id)
    # A staff member elsewhere cannot reach them either (the operator's NotFound is not a special case).
    stranger = add_member(session, make_workspace(session), Role.OWNER)
    with pytest.raises(NotFound):
        accounts.get_account(session, stranger, t.account.id)
