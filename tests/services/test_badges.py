"""The staff navigation's badges: the same figures as each list's own count, in one statement, and only the
badges the member's role may see."""

from __future__ import annotations

import pytest
from sqlmodel import Session

from models import Role
from portal_app.services import badges, intake, messages, tasks
from portal_app.services.errors import NotFound
from tests.factories import make_tenant, operator
from tests.services.test_deliveries import count_queries
from tests.services.test_message_views import customer_thread


def test_badges_match_each_count_in_one_statement(session: Session) -> None:
    t, other = make_tenant(session), make_tenant(session)
    for i in range(3):
        customer_thread(session, t.contact, subject=f"Question {i}")  # each leaves a follow-up task too
    answered = customer_thread(session, t.contact, subject="Answered")
    messages.post_staff_message(session, t.team_lead, answered.id, body="Done")
    customer_thread(session, other.contact, subject="Elsewhere")
    for role, actor in t.staff.items():
        with count_queries(session) as seen:
            found = badges.staff_badges(session, actor)
        assert len(seen) == 1, role
        assert found.open_tasks == tasks.my_open_count(session, actor)
        assert found.unanswered == messages.unanswered_count(session, actor) == 3
        if role in (Role.OWNER, Role.MANAGER, Role.FINANCE_REVIEWER):
            assert found.review == intake.review_queue_count(session, actor)
        else:
            assert found.review is None  # a team lead reviews no files: no badge


@pytest.mark.parametrize("who", ["contact", "operator"])
def test_only_staff_have_badges(session: Session, who: str) -> None:
    t = make_tenant(session)
    with pytest.raises(NotFound):
        badges.staff_badges(session, t.contact if who == "contact" else operator())


def test_the_portal_home_counts_match_each_area_in_one_statement(session: Session) -> None:
    from models import Delivery, DeliveryStatus, DocumentRequest, DocumentRequestStatus
    from portal_app.services import deliveries, document_requests
    from tests.factories import make_contact, n

    t = make_tenant(session)
    for account in (t.account, t.other_account):  # the other account's must never count
        for status in (
            DocumentRequestStatus.OPEN,
            DocumentRequestStatus.SUBMITTED,
            DocumentRequestStatus.FULFILLED,
        ):
            session.add(
                DocumentRequest(workspace_id=t.ws.id, account_id=account.id, title=f"R-{n()}", status=status)
            )
        for status in (DeliveryStatus.IN_TRANSIT, DeliveryStatus.DELIVERED):
            session.add(
                Delivery(
                    workspace_id=t.ws.id,
                    account_id=account.id,
                    reference=f"D-{n()}",
                    status=status,
                    shared=True,
                )
            )
    session.commit()
    with count_queries(session) as seen:
        glance = badges.portal_glance(session, t.contact)
    assert len(seen) == 1
    assert glance.open_requests == document_requests.portal_open_count(session, t.contact) == 2
    assert glance.under_way == deliveries.portal_open_count(session, t.contact) == 1
    # A contact who may see neither area gets neither count, and no statement.
    billing_only = make_contact(session, t.account, operations=False, documents=False)
    session.commit()
    with count_queries(session) as seen:
        assert badges.portal_glance(session, billing_only) == badges.PortalGlance()
    assert seen == []
    with pytest.raises(NotFound):
        badges.portal_glance(session, t.owner)
