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
