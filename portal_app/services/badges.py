"""The staff navigation's badges: what waits for this member, in one statement whatever the role."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlmodel import Session

from portal_app.services import intake, messages, tasks
from portal_app.services.access import Actor, require_staff
from portal_app.services.permissions import Permission, role_has


@dataclass(frozen=True)
class StaffBadges:
    """None where the member's role may not see that list (no badge to show)."""

    open_tasks: int | None = None  # open tasks assigned to them or to their role
    review: int | None = None  # files waiting for review (reviewers only)
    unanswered: int | None = None  # conversations whose newest message is a customer's


def staff_badges(session: Session, actor: Actor) -> StaffBadges:
    """Each count the role may see, as ``tasks.my_open_count``, ``intake.review_queue_count`` and
    ``messages.unanswered_count`` compute them, in one round trip (every staff page shows them)."""
    staff = require_staff(actor, Permission.MEMBERS_READ)
    parts: dict[str, sa.Select[tuple[int]]] = {}
    if role_has(staff.role, Permission.TASKS_READ):
        parts["open_tasks"] = tasks.my_open_count_query(staff)
    if role_has(staff.role, Permission.INTAKE_REVIEW):
        parts["review"] = intake.review_queue_count_query(staff)
    if role_has(staff.role, Permission.MESSAGES_READ):
        parts["unanswered"] = messages.unanswered_count_query(staff)
    if not parts:
        return StaffBadges()
    row = session.execute(  # type: ignore[deprecated]
        sa.select(*(query.scalar_subquery().label(name) for name, query in parts.items()))
    ).one()
    return StaffBadges(**{name: int(value or 0) for name, value in zip(parts, row, strict=True)})
