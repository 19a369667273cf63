"""The staff navigation's badges and the portal home's counts: what waits, in one statement whatever the role or
permissions."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session

from portal_app.services import deliveries, document_requests, intake, messages, tasks
from portal_app.services.access import Actor, ContactActor, StaffActor, require_contact, require_staff
from portal_app.services.permissions import ContactPermission, Permission, role_has


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
    names, statement = _staff_statement(staff)
    if statement is None:
        return StaffBadges()
    row = session.execute(statement).one()  # type: ignore[deprecated]
    return StaffBadges(**{name: int(value or 0) for name, value in zip(names, row, strict=True)})


# Built once per member (the statement depends on nothing else: no clock, no input); bounded like access's.
@functools.lru_cache(maxsize=1024)
def _staff_statement(staff: StaffActor) -> tuple[tuple[str, ...], Any]:
    parts: dict[str, Any] = {}
    if role_has(staff.role, Permission.TASKS_READ):
        parts["open_tasks"] = tasks.my_open_count_query(staff)
    if role_has(staff.role, Permission.INTAKE_REVIEW):
        parts["review"] = intake.review_queue_count_query(staff)
    if role_has(staff.role, Permission.MESSAGES_READ):
        parts["unanswered"] = messages.unanswered_count_query(staff)
    return _together(parts)


def _together(parts: dict[str, Any]) -> tuple[tuple[str, ...], Any]:
    """Count statements as one row of scalar subqueries, with the name of each; None for no part."""
    if not parts:
        return (), None
    return tuple(parts), sa.select(*(query.scalar_subquery().label(name) for name, query in parts.items()))


@dataclass(frozen=True)
class PortalGlance:
    """None where the contact may not see that area."""

    open_requests: int | None = None  # document requests waiting for files or a review
    under_way: int | None = None  # shared deliveries still under way


def portal_glance(session: Session, actor: Actor) -> PortalGlance:
    """The portal home's counts the contact may see, as ``document_requests.portal_open_count`` and
    ``deliveries.portal_open_count`` compute them, in one round trip. ``NotFound`` for anyone but a contact."""
    contact = require_contact(actor, ContactPermission.MESSAGES)  # every contact has it: the portal's floor
    # Built per call: a cache per contact would hold a statement per connected customer (staff are a handful).
    names, statement = _portal_statement(contact)
    if statement is None:
        return PortalGlance()
    row = session.execute(statement).one()  # type: ignore[deprecated]
    return PortalGlance(**{name: int(value or 0) for name, value in zip(names, row, strict=True)})


def _portal_statement(contact: ContactActor) -> tuple[tuple[str, ...], Any]:
    parts: dict[str, Any] = {}
    if ContactPermission.DOCUMENTS in contact.permissions:
        parts["open_requests"] = document_requests.portal_open_count_query(contact)
    if ContactPermission.OPERATIONS in contact.permissions:
        parts["under_way"] = deliveries.portal_open_count_query(contact)
    return _together(parts)
