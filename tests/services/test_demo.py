"""Demo data loads through the real services and leaves every page something to show."""

from sqlmodel import select

from models import (
    ApprovalStatus,
    DeliveryStatus,
    DocumentRequestStatus,
    Estimate,
    EstimateStatus,
    Invoice,
    InvoiceStatus,
    Membership,
    Role,
    Workspace,
)
from portal_app import demo
from portal_app.services import access, audit, members


def test_demo_data_covers_every_state(session):
    demo.load(session)
    ws = session.exec(select(Workspace)).one()
    assert {e.status for e in session.exec(select(Estimate)).all()} == set(EstimateStatus)
    assert {i.status for i in session.exec(select(Invoice)).all()} == set(InvoiceStatus)
    from models import ApprovalRequest, Delivery, DocumentRequest

    assert {ApprovalStatus.PENDING, ApprovalStatus.APPROVED, ApprovalStatus.DECLINED} <= {
        a.status for a in session.exec(select(ApprovalRequest)).all()
    }
    assert set(DocumentRequestStatus) == {d.status for d in session.exec(select(DocumentRequest)).all()}
    assert {DeliveryStatus.DELIVERED, DeliveryStatus.IN_TRANSIT, DeliveryStatus.EXCEPTION} <= {
        d.status for d in session.exec(select(Delivery)).all()
    }
    from models import IntakeFile, IntakeStatus

    assert {i.status for i in session.exec(select(IntakeFile)).all()} == {
        IntakeStatus.AWAITING_REVIEW,
        IntakeStatus.ACCEPTED,
        IntakeStatus.REJECTED,
    }
    assert {m.role for m in session.exec(select(Membership)).all()} == set(Role)
    assert audit.verify_chain(session, ws.id).ok
    owner = session.exec(select(Membership).where(Membership.role == Role.OWNER)).one()
    actor = access.resolve_staff(session, user_id=owner.user_id, workspace_id=ws.id)
    assert len(members.list_members(session, actor)) == 4
