"""The access matrix, generated from the permissions table: every actor kind × record kind × read / change.

Records live in workspace A, account A1. Expected outcomes come from ROLE_PERMISSIONS and RECORD_RULES, and
explicit spot checks below pin the rules themselves so a wrong table cannot pass silently.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta

import pytest
from sqlmodel import Session

from models import (
    ApprovalRequest,
    AuditEvent,
    Delivery,
    DocumentRequest,
    Estimate,
    EstimateStatus,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    InvitationStatus,
    Invoice,
    InvoiceStatus,
    MemberInvitation,
    Membership,
    MessageThread,
    Payment,
    Role,
    utcnow,
)
from portal_app.services import access
from portal_app.services.access import RECORD_RULES, ContactActor, OperatorActor, StaffActor
from portal_app.services.errors import Forbidden, NotFound
from portal_app.services.permissions import ContactPermission, role_has
from tests.factories import make_tenant, operator

ACTORS = [
    "owner",
    "manager",
    "team_lead",
    "finance",
    "other_ws_owner",
    "other_ws_finance",
    "contact_full",
    "contact_billing_only",
    "contact_other_account",
    "contact_other_ws",
    "operator",
]


def _records(session: Session, t) -> dict[str, tuple[type, int]]:
    ws, acct = t.ws.id, t.account.id
    rows: dict[str, object] = {}
    rows["account"] = t.account
    est = Estimate(workspace_id=ws, account_id=acct, number="E1", title="e", status=EstimateStatus.SHARED)
    inv = Invoice(workspace_id=ws, account_id=acct, number="I1", status=InvoiceStatus.OPEN, total_minor=100)
    for r in (est, inv):
        session.add(r)
    session.flush()
    rows["estimate"], rows["invoice"] = est, inv
    rows["payment"] = Payment(
        workspace_id=ws,
        account_id=acct,
        invoice_id=inv.id,
        amount_minor=10,
        currency="USD",
        received_on=date(2026, 1, 1),
    )
    rows["approval"] = ApprovalRequest(workspace_id=ws, account_id=acct, title="a")
    rows["document_request"] = DocumentRequest(workspace_id=ws, account_id=acct, title="d")
    rows["intake_file"] = IntakeFile(
        workspace_id=ws,
        account_id=acct,
        contact_id=t.contact.contact_id,
        kind=IntakeKind.PAYMENT_PROOF,
        storage_key=uuid.uuid4().hex,
        original_name="p.pdf",
        sniffed_type="application/pdf",
        size_bytes=1,
        sha256="0" * 64,
    )
    rows["message_thread"] = MessageThread(workspace_id=ws, account_id=acct, subject="s")
    rows["delivery"] = Delivery(workspace_id=ws, account_id=acct, reference="D1", shared=True)
    rows["task"] = FollowUpTask(
        workspace_id=ws, account_id=acct, title="t", source_type="estimate", source_id=1, trigger="x"
    )
    rows["audit_event"] = AuditEvent(
        workspace_id=ws, seq=999, actor_kind="system", action="x", prev_hash="", hash=""
    )
    rows["membership"] = session.get(Membership, t.owner.membership_id)
    rows["member_invitation"] = MemberInvitation(
        workspace_id=ws,
        email="x@example.test",
        role=Role.TEAM_LEAD,
        token_hash=uuid.uuid4().hex,
        invited_by_user_id=t.owner.user_id,
        status=InvitationStatus.PENDING,
        expires_at=utcnow() + timedelta(days=1),
    )
    from models import Contact

    rows["contact"] = session.get(Contact, t.contact.contact_id)
    for r in rows.values():
        session.add(r)
    session.flush()
    assert set(rows) == set(RECORD_RULES), "every record kind must appear in the matrix"
    return {kind: (type(r), r.id) for kind, r in rows.items()}  # type: ignore[attr-defined]


@pytest.fixture()
def world(session):
    a = make_tenant(session, name="Alpha")
    b = make_tenant(session, name="Beta")
    records = _records(session, a)
    _records(session, b)  # B has records too, so a leak would have something to leak
    actors = {
        "owner": a.owner,
        "manager": a.manager,
        "team_lead": a.team_lead,
        "finance": a.finance,
        "other_ws_owner": b.owner,
        "other_ws_finance": b.finance,
        "contact_full": a.contact,
        "contact_billing_only": a.billing_contact,
        "contact_other_account": a.other_contact,
        "contact_other_ws": b.contact,
        "operator": operator(),
    }
    return a, records, actors


def expected(actor, kind: str, change: bool, ws_id: int, account_id: int) -> str:
    rule = RECORD_RULES[kind]
    if isinstance(actor, StaffActor):
        if not role_has(actor.role, rule.staff_change if change else rule.staff_read):
            return "forbidden"
        return "allowed" if actor.workspace_id == ws_id else "not_found"
    if isinstance(actor, ContactActor):
        if actor.workspace_id != ws_id or actor.account_id != account_id or rule.contact_read is None:
            return "not_found"
        if rule.contact_read(actor) is None:
            return "not_found"
        if change and (rule.contact_change is None or rule.contact_change not in actor.permissions):
            return "not_found"
        return "allowed"
    assert isinstance(actor, OperatorActor)
    return "not_found"


def outcome(session, actor, model, record_id, change) -> str:
    try:
        access.get_scoped(session, actor, model, record_id, change=change)
    except NotFound:
        return "not_found"
    except Forbidden:
        return "forbidden"
    return "allowed"


@pytest.mark.parametrize("change", [False, True], ids=["read", "change"])
@pytest.mark.parametrize("kind", sorted(RECORD_RULES))
@pytest.mark.parametrize("actor_name", ACTORS)
def test_access_matrix(session, world, actor_name, kind, change):
    a, records, actors = world
    model, record_id = records[kind]
    actor = actors[actor_name]
    assert outcome(session, actor, model, record_id, change) == expected(
        actor, kind, change, a.ws.id, a.account.id
    )


def test_missing_and_foreign_ids_give_the_same_answer(session, world):
    a, records, actors = world
    model, record_id = records["invoice"]
    with pytest.raises(NotFound) as foreign:
        access.get_scoped(session, actors["other_ws_owner"], model, record_id)
    with pytest.raises(NotFound) as missing:
        access.get_scoped(session, actors["other_ws_owner"], model, 10**9)
    assert foreign.value.message == missing.value.message


def test_rules_spot_checks(session, world):
    """Pin the table's meaning: if someone loosens a rule, these fail even though the matrix follows the table."""
    a, records, actors = world
    assert outcome(session, actors["contact_billing_only"], *records["estimate"], False) == "not_found"
    assert outcome(session, actors["contact_billing_only"], *records["invoice"], False) == "allowed"
    assert outcome(session, actors["contact_full"], *records["task"], False) == "not_found"
    assert outcome(session, actors["contact_full"], *records["audit_event"], False) == "not_found"
    assert outcome(session, actors["contact_full"], *records["membership"], False) == "not_found"
    assert outcome(session, actors["contact_full"], *records["payment"], True) == "not_found"
    assert outcome(session, actors["team_lead"], *records["intake_file"], True) == "forbidden"
    assert outcome(session, actors["finance"], *records["intake_file"], True) == "allowed"
    assert outcome(session, actors["finance"], *records["estimate"], True) == "forbidden"
    assert outcome(session, actors["team_lead"], *records["membership"], True) == "forbidden"
    assert outcome(session, actors["operator"], *records["account"], False) == "not_found"
    assert not role_has(Role.TEAM_LEAD, access.Permission.INTAKE_REVIEW)


def test_contacts_never_see_drafts_or_unshared(session, world):
    a, records, actors = world
    contact = actors["contact_full"]
    draft = Estimate(workspace_id=a.ws.id, account_id=a.account.id, number="E-D", title="d")
    draft_inv = Invoice(workspace_id=a.ws.id, account_id=a.account.id, number="I-D")
    hidden = Delivery(workspace_id=a.ws.id, account_id=a.account.id, reference="D-H", shared=False)
    for r in (draft, draft_inv, hidden):
        session.add(r)
    session.flush()
    for r in (draft, draft_inv, hidden):
        assert outcome(session, contact, type(r), r.id, False) == "not_found"
    assert ContactPermission.MESSAGES in contact.permissions
