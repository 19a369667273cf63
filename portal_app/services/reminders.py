"""Reminders to contacts: what is due, expiring or overdue, gathered into one mail per contact and day.

What is reminded, on the workspace's own dates (its time zone; "today" is the date there):
- document requests (open or in review, with a checklist item still needing a file) ``documents_before_days``
  before their due date, on it, then every ``documents_every_days`` while overdue;
- shared estimates ``estimates_before_days`` before their last valid day;
- open and partially paid invoices on their due date, then every ``invoices_every_days`` while overdue;
each record at most ``max_per_record`` times (days on which it was reminded), never once it is done (paid, void,
fulfilled, cancelled, decided, expired), never while it or its account is paused.

Who: active contacts of the record's account whose permissions cover the area (documents, operations, billing)
and who have not turned reminders off; nobody while the workspace's portal or customer mails are off, or its
reminder policy is. Each contact gets at most one mail a day listing every item, each with its portal link, and
the signed link that turns reminders off (reminders only: other mails keep coming).

How it runs: ``sweep`` is called by every worker's mail loop; a database lease (``job_lease``) lets one worker
at a time run it, and the per-(contact, day) marker row (``reminder_digest``, unique) is inserted in the same
transaction as the mail, one contact per transaction: a second sweep, a rerun after a crash or a worker that
lost its lease cannot queue a contact's mail twice. A workspace is swept from ``REMINDER_HOUR`` on (its time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import logging
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

import sqlalchemy as sa
from babel.dates import format_date
from pydantic import BaseModel, ConfigDict
from pydantic import ValidationError as PydanticValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, SQLModel, col, select

from models import (
    Contact,
    ContactAccess,
    ContactStatus,
    CustomerAccount,
    DocumentRequest,
    DocumentRequestItem,
    DocumentRequestStatus,
    Estimate,
    EstimateStatus,
    IntakeFile,
    IntakeKind,
    IntakeStatus,
    Invoice,
    InvoiceStatus,
    Payment,
    ReminderDigest,
    ReminderPause,
    ReminderSent,
    User,
    Workspace,
    WorkspaceStatus,
    utcnow,
)
from portal_app import formatting
from portal_app.services import audit, branding, leases, notifications, notify
from portal_app.services.access import (
    Actor,
    StaffActor,
    get_scoped,
    lock_workspace,
    log_authorization_failure,
)
from portal_app.services.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal_app.services.permissions import Permission, role_has
from portal_app.settings import get_settings

log = logging.getLogger("portal.mail")

RECORD_TYPES = ("estimate", "invoice", "document_request")
LEASE_NAME = "reminders"
LEASE_TTL = timedelta(minutes=10)
REMINDER_HOUR = 8  # a workspace's reminders go out from this hour of its own day
FOLLOW_UP_WINDOW = timedelta(days=3)  # week_stats: an upload, decision or payment this soon after counts
MAX_REASON = 500
SENT_SHOWN = 50
DAYS_MIN, DAYS_MAX = 1, 60
MAX_MIN, MAX_MAX = 1, 20
_PLAN_HORIZON = 400  # days looked ahead for a record's next reminder

_DOCUMENT_OPEN = (DocumentRequestStatus.OPEN, DocumentRequestStatus.SUBMITTED)
_INVOICE_OPEN = (InvoiceStatus.OPEN, InvoiceStatus.PARTIALLY_PAID)
_WAITING_OR_ACCEPTED = (IntakeStatus.RECEIVED, IntakeStatus.AWAITING_REVIEW, IntakeStatus.ACCEPTED)

# record type -> (model, permission to read it, permission to pause it, the contact permission column)
_AREAS: dict[str, tuple[type[SQLModel], Permission, Permission, str]] = {
    "estimate": (Estimate, Permission.ESTIMATES_READ, Permission.ESTIMATES_MANAGE, "can_operations"),
    "invoice": (Invoice, Permission.INVOICES_READ, Permission.INVOICES_MANAGE, "can_billing"),
    "document_request": (
        DocumentRequest,
        Permission.DOCUMENTS_READ,
        Permission.DOCUMENTS_MANAGE,
        "can_documents",
    ),
}
_NOUNS = {"estimate": "estimate", "invoice": "invoice", "document_request": "document request"}

# A sensible list for a select (UTC first, then west to east); any IANA name zoneinfo knows is accepted.
_COMMON_ZONES = (
    "UTC",
    "Pacific/Honolulu",
    "America/Anchorage",
    "America/Los_Angeles",
    "America/Vancouver",
    "America/Phoenix",
    "America/Denver",
    "America/Chicago",
    "America/Mexico_City",
    "America/New_York",
    "America/Toronto",
    "America/Bogota",
    "America/Lima",
    "America/Halifax",
    "America/Sao_Paulo",
    "America/Argentina/Buenos_Aires",
    "America/St_Johns",
    "Atlantic/Reykjavik",
    "Europe/London",
    "Europe/Dublin",
    "Europe/Lisbon",
    "Africa/Lagos",
    "Europe/Paris",
    "Europe/Berlin",
    "Europe/Amsterdam",
    "Europe/Brussels",
    "Europe/Madrid",
    "Europe/Rome",
    "Europe/Zurich",
    "Europe/Vienna",
    "Europe/Copenhagen",
    "Europe/Oslo",
    "Europe/Stockholm",
    "Europe/Warsaw",
    "Europe/Prague",
    "Africa/Johannesburg",
    "Africa/Cairo",
    "Europe/Athens",
    "Europe/Helsinki",
    "Europe/Kyiv",
    "Europe/Istanbul",
    "Africa/Nairobi",
    "Asia/Riyadh",
    "Asia/Dubai",
    "Asia/Karachi",
    "Asia/Kolkata",
    "Asia/Kathmandu",
    "Asia/Dhaka",
    "Asia/Bangkok",
    "Asia/Jakarta",
    "Asia/Singapore",
    "Asia/Hong_Kong",
    "Asia/Shanghai",
    "Asia/Manila",
    "Australia/Perth",
    "Asia/Seoul",
    "Asia/Tokyo",
    "Australia/Adelaide",
    "Australia/Brisbane",
    "Australia/Sydney",
    "Australia/Melbourne",
    "Pacific/Auckland",
)


@cache
def _known_zones() -> frozenset[str]:
    return frozenset(available_timezones()) | {"UTC"}


TIME_ZONES: list[str] = [z for z in _COMMON_ZONES if z in _known_zones()]


# ---------------------------------------------------------------------------------------------------------------
# Read schemas


class ReminderPolicy(BaseModel):
    """The workspace's schedule. Day counts from 1 to 60 (None: that reminder off); ``max_per_record`` 1 to 20."""

    model_config = ConfigDict(frozen=True, extra="ignore")

    enabled: bool = True
    documents_before_days: int | None = 3
    documents_on_due: bool = True
    documents_every_days: int | None = 7
    estimates_before_days: int | None = 3
    invoices_on_due: bool = True
    invoices_every_days: int | None = 7
    max_per_record: int = 5


class PauseRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    id: int
    account_id: int | None
    record_type: str | None
    record_id: int | None
    reason: str
    paused_by: str
    paused_at: datetime
    target: str = ""  # "Contoso Retail", "Invoice INV-0007": what is paused, in words


class SentRead(BaseModel):
    model_config = ConfigDict(frozen=True)

    day: date
    contact_name: str
    contact_email: str
    kind: str  # before_due, on_due, overdue, expiring


class RecordReminders(BaseModel):
    model_config = ConfigDict(frozen=True)

    sent: list[SentRead]
    next_planned: date | None
    paused: PauseRead | None
    unsubscribed: list[str]


class PlannedDigest(BaseModel):
    """One contact's reminder mail of a day: ``lines`` and ``links`` go together (a line's portal link)."""

    model_config = ConfigDict(frozen=True)

    workspace_name: str
    day: date
    contact_id: int
    contact_email: str
    contact_name: str
    account_name: str  # the contact's accounts that have items, comma separated
    subject: str
    lines: list[str]
    links: list[str]
    already_sent: bool = False


class ReminderStats(BaseModel):
    model_config = ConfigDict(frozen=True)

    start: date
    end: date
    sent: int  # reminders of a record on a day (however many of the account's contacts got it)
    followed: int  # of those, followed within 3 days by an upload, decision or payment on that record
    mails: int  # reminder mails (one per contact and day)


# ---------------------------------------------------------------------------------------------------------------
# Policy and time zone


def _staff(actor: Actor) -> StaffActor:
    """Any member of the workspace (contacts and operators: not found)."""
    if not isinstance(actor, StaffActor):
        log_authorization_failure(actor.kind, getattr(actor, "audit_id", None), "reminders", None)
        raise NotFound()
    return actor


def _require(staff: StaffActor, *permissions: Permission) -> None:
    if not any(role_has(staff.role, p) for p in permissions):
        log_authorization_failure("staff", staff.user_id, "reminders", staff.workspace_id)
        raise Forbidden()


def _workspace(session: Session, workspace_id: int) -> Workspace:
    ws = session.get(Workspace, workspace_id)
    if ws is None:
        raise NotFound()
    return ws


def policy_of(ws: Workspace) -> ReminderPolicy:
    """The stored schedule, or the defaults ("" or a value this version cannot read)."""
    if not ws.reminder_policy:
        return ReminderPolicy()
    try:
        return ReminderPolicy.model_validate_json(ws.reminder_policy)
    except PydanticValidationError:
        log.warning("unreadable reminder policy: defaults used", extra={"workspace_id": ws.id})
        return ReminderPolicy()


def zone_of(ws: Workspace) -> ZoneInfo:
    try:
        return ZoneInfo(ws.time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_today(ws: Workspace, now: datetime) -> date:
    """The workspace's date at ``now`` (an aware datetime)."""
    return now.astimezone(zone_of(ws)).date()


_DAY_FIELDS = {
    "documents_before_days": "document requests before the due date",
    "documents_every_days": "overdue document requests",
    "estimates_before_days": "estimates before they expire",
    "invoices_every_days": "overdue invoices",
}


def _checked(policy: ReminderPolicy | Mapping[str, Any]) -> ReminderPolicy:
    if isinstance(policy, ReminderPolicy):
        values = policy.model_dump()
    elif isinstance(policy, Mapping):
        values = {**ReminderPolicy().model_dump(), **dict(policy)}
    else:
        raise ValidationFailed("The reminder schedule is not valid.")
    for name, label in _DAY_FIELDS.items():
        value = values.get(name)
        if value is None:
            continue
        if isinstance(value, bool) or not isinstance(value, int) or not DAYS_MIN <= value <= DAYS_MAX:
            raise ValidationFailed(
                f"Enter a whole number of days from {DAYS_MIN} to {DAYS_MAX} for {label}, or leave it empty to "
                "turn that reminder off."
            )
    most = values.get("max_per_record")
    if isinstance(most, bool) or not isinstance(most, int) or not MAX_MIN <= most <= MAX_MAX:
        raise ValidationFailed(
            f"Enter a whole number from {MAX_MIN} to {MAX_MAX} for the most reminders about one record."
        )
    for name in ("enabled", "documents_on_due", "invoices_on_due"):
        if not isinstance(values.get(name), bool):
            raise ValidationFailed("Choose on or off for each reminder.")
    return ReminderPolicy(**{k: values[k] for k in ReminderPolicy.model_fields})


def get_policy(session: Session, actor: Actor) -> ReminderPolicy:
    """The workspace's reminder schedule (any member). Raises ``NotFound`` for contacts and operators."""
    staff = _staff(actor)
    return policy_of(_workspace(session, staff.workspace_id))


def set_policy(session: Session, actor: Actor, policy: ReminderPolicy | Mapping[str, Any]) -> ReminderPolicy:
    """Save the schedule (owners and managers: ``workspace:manage``); audited with what changed.

    Raises ``Forbidden`` (role), ``ValidationFailed`` (a day count outside 1-60, a maximum outside 1-20)."""
    staff = _staff(actor)
    _require(staff, Permission.WORKSPACE_MANAGE)
    new = _checked(policy)
    ws = lock_workspace(session, staff.workspace_id)
    old = policy_of(ws)
    changed = {
        name: [getattr(old, name), getattr(new, name)]
        for name in ReminderPolicy.model_fields
        if getattr(old, name) != getattr(new, name)
    }
    if changed or not ws.reminder_policy:
        ws.reminder_policy = new.model_dump_json()
        session.add(ws)
    if changed:
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="reminders.policy_changed",
            target_type="workspace",
            target_id=ws.id,
            data={"changed": changed},
        )
    session.commit()
    return new


def get_time_zone(session: Session, actor: Actor) -> str:
    """The workspace's IANA time zone (any member)."""
    staff = _staff(actor)
    return _workspace(session, staff.workspace_id).time_zone or "UTC"


def set_time_zone(session: Session, actor: Actor, tz: str) -> str:
    """Set the workspace's time zone (``workspace:manage``; an IANA name zoneinfo knows); audited."""
    staff = _staff(actor)
    _require(staff, Permission.WORKSPACE_MANAGE)
    name = tz.strip() if isinstance(tz, str) else ""
    if name not in _known_zones():
        raise ValidationFailed("Choose a time zone from the list, for example Europe/Berlin.")
    ws = lock_workspace(session, staff.workspace_id)
    if ws.time_zone != name:
        before = ws.time_zone
        ws.time_zone = name
        session.add(ws)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="workspace.time_zone_changed",
            target_type="workspace",
            target_id=ws.id,
            data={"from": before, "to": name},
        )
    session.commit()
    return name


def workspace_today(session: Session, actor: Actor, *, now: datetime | None = None) -> date:
    """Today's date in the workspace's time zone (any member)."""
    staff = _staff(actor)
    return local_today(_workspace(session, staff.workspace_id), now or utcnow())


# ---------------------------------------------------------------------------------------------------------------
# Pauses


def _record_target(
    session: Session, staff: StaffActor, record_type: object, record_id: object
) -> tuple[str, int, Any]:
    if not isinstance(record_type, str) or record_type not in _AREAS:
        raise ValidationFailed("Reminders can be paused for an estimate, an invoice or a document request.")
    if isinstance(record_id, bool) or not isinstance(record_id, int):
        raise NotFound()
    model = _AREAS[record_type][0]
    return record_type, record_id, get_scoped(session, staff, model, record_id)


def _shape(account_id: object, record_type: object, record_id: object) -> None:
    has_record = record_type is not None or record_id is not None
    if (account_id is None) == (not has_record):
        raise ValidationFailed("Pause reminders for one account or for one record.")
    if account_id is not None and (isinstance(account_id, bool) or not isinstance(account_id, int)):
        raise NotFound()


def _pause_query(
    workspace_id: int, account_id: int | None, record_type: str | None, record_id: int | None
) -> Any:
    query = select(ReminderPause).where(
        col(ReminderPause.workspace_id) == workspace_id, col(ReminderPause.resumed_at).is_(None)
    )
    if account_id is not None:
        return query.where(col(ReminderPause.account_id) == account_id, col(ReminderPause.record_type) == "")
    return query.where(
        col(ReminderPause.record_type) == record_type, col(ReminderPause.record_id) == record_id
    )


def _target_label(session: Session, pause: ReminderPause) -> str:
    if pause.record_type and pause.record_id:
        model = _AREAS[pause.record_type][0] if pause.record_type in _AREAS else None
        row = session.get(model, pause.record_id) if model is not None else None
        if isinstance(row, (Estimate, Invoice)):
            return f"{_NOUNS[pause.record_type].capitalize()} {row.number}"
        if isinstance(row, DocumentRequest):
            return f"Document request “{row.title}”"
        return _NOUNS.get(pause.record_type, pause.record_type).capitalize()
    account = session.get(CustomerAccount, pause.account_id) if pause.account_id else None
    return account.name if account is not None else ""


def _pause_read(session: Session, pause: ReminderPause) -> PauseRead:
    assert pause.id is not None
    user = session.get(User, pause.paused_by_user_id)
    return PauseRead(
        id=pause.id,
        account_id=pause.account_id if not pause.record_type else None,
        record_type=pause.record_type or None,
        record_id=pause.record_id if pause.record_type else None,
        reason=pause.reason,
        paused_by=(user.name or user.email) if user is not None else "",
        paused_at=pause.paused_at,
        target=_target_label(session, pause),
    )


def pause(
    session: Session,
    actor: Actor,
    *,
    reason: str,
    account_id: int | None = None,
    record_type: str | None = None,
    record_id: int | None = None,
) -> PauseRead:
    """Pause reminders for one account of the workspace (``accounts:manage`` or ``invoices:manage``) or one record
    (the area's manage permission: estimates, invoices, documents), with a reason (1-500 characters); audited.

    Raises ``NotFound`` (not the workspace's), ``Forbidden`` (role), ``ValidationFailed`` (neither or both
    targets, an unknown record type, no reason), ``Conflict`` (already paused)."""
    staff = _staff(actor)
    _shape(account_id, record_type, record_id)
    if account_id is not None:
        _require(staff, Permission.ACCOUNTS_MANAGE, Permission.INVOICES_MANAGE)
        get_scoped(session, staff, CustomerAccount, account_id)
        target_type, target_id, r_type, r_id = "account", account_id, "", None
    else:
        r_type, r_id, _row = _record_target(session, staff, record_type, record_id)
        _require(staff, _AREAS[r_type][2])
        target_type, target_id = r_type, r_id
    clean = " ".join(reason.split()) if isinstance(reason, str) else ""
    if not clean:
        raise ValidationFailed("Give a reason for the pause, for example “on a payment plan”.")
    if len(clean) > MAX_REASON:
        raise ValidationFailed(f"Keep the reason to {MAX_REASON} characters or fewer.")
    lock_workspace(session, staff.workspace_id)  # serialises pauses of one workspace: one active per target
    if session.exec(_pause_query(staff.workspace_id, account_id, r_type or None, r_id)).first() is not None:
        session.rollback()
        raise Conflict(f"Reminders are already paused for this {_NOUNS.get(target_type, target_type)}.")
    row = ReminderPause(
        workspace_id=staff.workspace_id,
        account_id=account_id,
        record_type=r_type,
        record_id=r_id,
        reason=clean,
        paused_by_user_id=staff.user_id,
    )
    session.add(row)
    session.flush()
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="reminders.paused",
        target_type=target_type,
        target_id=target_id,
        data={"pause_id": row.id, "reason": clean},
        account_id=account_id if account_id is not None else _row.account_id,
    )
    session.commit()
    return _pause_read(session, row)


def resume(session: Session, actor: Actor, pause_id: int) -> None:
    """End a pause of the workspace (the permission that may pause its target); audited.

    Raises ``NotFound`` (not the workspace's pause), ``Forbidden`` (role), ``Conflict`` (already resumed)."""
    staff = _staff(actor)
    if isinstance(pause_id, bool) or not isinstance(pause_id, int):
        raise NotFound()
    lock_workspace(session, staff.workspace_id)
    row = session.exec(
        select(ReminderPause).where(
            col(ReminderPause.workspace_id) == staff.workspace_id, col(ReminderPause.id) == pause_id
        )
    ).first()
    if row is None:
        session.rollback()
        log_authorization_failure("staff", staff.user_id, "ReminderPause", pause_id)
        raise NotFound()
    if row.record_type:
        _require(staff, _AREAS[row.record_type][2])
    else:
        _require(staff, Permission.ACCOUNTS_MANAGE, Permission.INVOICES_MANAGE)
    if row.resumed_at is not None:
        session.rollback()
        raise Conflict("Reminders were already resumed.")
    row.resumed_at = utcnow()
    row.resumed_by_user_id = staff.user_id
    session.add(row)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="reminders.resumed",
        target_type=row.record_type or "account",
        target_id=row.record_id if row.record_type else row.account_id,
        data={"pause_id": row.id},
        account_id=row.account_id,
    )
    session.commit()


def active_pause(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    record_type: str | None = None,
    record_id: int | None = None,
) -> PauseRead | None:
    """The active pause of exactly that account or record (members who may read it), or None."""
    staff = _staff(actor)
    _shape(account_id, record_type, record_id)
    if account_id is not None:
        get_scoped(session, staff, CustomerAccount, account_id)
        r_type, r_id = None, None
    else:
        r_type, r_id, _row = _record_target(session, staff, record_type, record_id)
    row = session.exec(_pause_query(staff.workspace_id, account_id, r_type, r_id)).first()
    return _pause_read(session, row) if row is not None else None


def list_pauses(session: Session, actor: Actor, *, limit: int = 100) -> list[PauseRead]:
    """The workspace's active pauses, newest first (any member)."""
    staff = _staff(actor)
    rows = session.exec(
        select(ReminderPause)
        .where(col(ReminderPause.workspace_id) == staff.workspace_id, col(ReminderPause.resumed_at).is_(None))
        .order_by(col(ReminderPause.paused_at).desc(), col(ReminderPause.id).desc())
        .limit(max(1, min(int(limit), 100)))
    ).all()
    return [_pause_read(session, r) for r in rows]


# ---------------------------------------------------------------------------------------------------------------
# The schedule


def fires(record_type: str, due: date, day: date, policy: ReminderPolicy) -> str | None:
    """Which reminder of a record due (or valid until) ``due`` falls on ``day``, if any."""
    d = (due - day).days
    if record_type == "document_request":
        if policy.documents_before_days and d == policy.documents_before_days:
            return "before_due"
        if policy.documents_on_due and d == 0:
            return "on_due"
        if policy.documents_every_days and d < 0 and (-d) % policy.documents_every_days == 0:
            return "overdue"
    elif record_type == "estimate":
        if policy.estimates_before_days and d == policy.estimates_before_days:
            return "expiring"
    elif record_type == "invoice":
        if policy.invoices_on_due and d == 0:
            return "on_due"
        if policy.invoices_every_days and d < 0 and (-d) % policy.invoices_every_days == 0:
            return "overdue"
    return None


def _mails_allowed(ws: Workspace, policy: ReminderPolicy) -> bool:
    return (
        ws.status is WorkspaceStatus.ACTIVE
        and ws.portal_enabled
        and ws.customer_mails_enabled
        and policy.enabled
    )


@dataclass
class _Item:
    record_type: str
    record_id: int
    account_id: int
    kind: str
    due: date
    line: str
    link: str


@dataclass
class _Plan:
    contact: Contact
    account_ids: list[int] = field(default_factory=list)
    items: list[_Item] = field(default_factory=list)


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _weekday_or_date(d: date, today: date) -> str:
    if 0 <= (d - today).days < 7:
        return format_date(d, "EEEE", locale=formatting.LOCALE)
    return formatting.day(d)


def _when(due: date, today: date) -> str:
    days = (due - today).days
    if days > 0:
        return f"due {formatting.day(due)}, in {_plural(days, 'day')}"
    return formatting.due(due, today)  # "due today", "overdue by 5 days"


def _documents_needed(session: Session, workspace_id: int, ids: list[int]) -> dict[int, tuple[int, int]]:
    """Per request: (checklist items, items with no file accepted or in review). Two queries."""
    if not ids:
        return {}
    totals = dict(
        session.exec(  # type: ignore[call-overload]
            sa.select(col(DocumentRequestItem.request_id), sa.func.count())
            .where(
                col(DocumentRequestItem.workspace_id) == workspace_id,
                col(DocumentRequestItem.request_id).in_(ids),
            )
            .group_by(col(DocumentRequestItem.request_id))
        ).all()
    )
    covered_rows = session.exec(  # type: ignore[call-overload]
        sa.select(
            col(IntakeFile.document_request_id),
            sa.func.count(sa.distinct(col(IntakeFile.document_request_item_id))),
            sa.func.count(),
        )
        .where(
            col(IntakeFile.workspace_id) == workspace_id,
            col(IntakeFile.document_request_id).in_(ids),
            col(IntakeFile.kind) == IntakeKind.DOCUMENT,
            col(IntakeFile.status).in_(_WAITING_OR_ACCEPTED),
        )
        .group_by(col(IntakeFile.document_request_id))
    ).all()
    covered = {rid: (items, files) for rid, items, files in covered_rows}
    out: dict[int, tuple[int, int]] = {}
    for rid in ids:
        total = int(totals.get(rid, 0))
        items_covered, files = covered.get(rid, (0, 0))
        if total == 0:  # a request from before checklists: one item, the request itself
            out[rid] = (1, 0 if files else 1)
        else:
            out[rid] = (total, max(0, total - int(items_covered)))
    return out


def _candidates(session: Session, ws: Workspace, policy: ReminderPolicy, today: date) -> list[_Item]:
    """Every record of the workspace with a reminder on ``today``: not done, not paused, under the maximum."""
    assert ws.id is not None
    ws_id = ws.id
    live_accounts = select(CustomerAccount.id).where(
        col(CustomerAccount.workspace_id) == ws_id, col(CustomerAccount.archived).is_(False)
    )
    items: list[_Item] = []

    # Document requests: due within the "before" window or already due.
    ahead = today + timedelta(days=policy.documents_before_days or 0)
    requests = session.exec(
        select(DocumentRequest).where(
            col(DocumentRequest.workspace_id) == ws_id,
            col(DocumentRequest.status).in_(_DOCUMENT_OPEN),
            col(DocumentRequest.due_on).is_not(None),
            col(DocumentRequest.due_on) <= ahead,
            col(DocumentRequest.account_id).in_(live_accounts),
        )
    ).all()
    firing = [(r, fires("document_request", r.due_on, today, policy)) for r in requests if r.due_on]
    firing = [(r, k) for r, k in firing if k]
    needed = _documents_needed(session, ws_id, [r.id for r, _ in firing if r.id is not None])
    for r, kind in firing:
        assert r.id is not None and r.due_on is not None and kind
        total, missing = needed.get(r.id, (1, 1))
        if not missing:
            continue  # every item has a file in review or accepted: the team has the next move
        line = f"Document request “{_title(r.title)}” is {_when(r.due_on, today)}"
        if total > 1:
            line += f": {missing} of {total} documents still needed"
        items.append(
            _Item(
                "document_request",
                r.id,
                r.account_id,
                kind,
                r.due_on,
                line,
                notify.portal_link("document_request", r.id),
            )
        )

    if policy.estimates_before_days:
        expiring = today + timedelta(days=policy.estimates_before_days)
        for e in session.exec(
            select(Estimate).where(
                col(Estimate.workspace_id) == ws_id,
                col(Estimate.status) == EstimateStatus.SHARED,
                col(Estimate.valid_until) == expiring,
                col(Estimate.account_id).in_(live_accounts),
            )
        ).all():
            assert e.id is not None and e.valid_until is not None
            items.append(
                _Item(
                    "estimate",
                    e.id,
                    e.account_id,
                    "expiring",
                    e.valid_until,
                    f"Estimate {e.number} “{_title(e.title)}” is valid until "
                    f"{_weekday_or_date(e.valid_until, today)}"
                    + ("" if (e.valid_until - today).days >= 7 else f", {formatting.day(e.valid_until)}"),
                    notify.portal_link("estimate", e.id),
                )
            )

    if policy.invoices_on_due or policy.invoices_every_days:
        for inv in session.exec(
            select(Invoice).where(
                col(Invoice.workspace_id) == ws_id,
                col(Invoice.status).in_(_INVOICE_OPEN),
                col(Invoice.due_date).is_not(None),
                col(Invoice.due_date) <= today,
                col(Invoice.account_id).in_(live_accounts),
            )
        ).all():
            assert inv.id is not None and inv.due_date is not None
            kind = fires("invoice", inv.due_date, today, policy)
            if not kind:
                continue
            left = formatting.money(max(0, inv.total_minor - inv.amount_paid_minor), inv.currency)
            items.append(
                _Item(
                    "invoice",
                    inv.id,
                    inv.account_id,
                    kind,
                    inv.due_date,
                    f"Invoice {inv.number} ({left} to pay) is {_when(inv.due_date, today)}",
                    notify.portal_link("invoice", inv.id),
                )
            )
    if not items:
        return []

    # Paused accounts and records.
    pauses = session.exec(
        select(ReminderPause).where(
            col(ReminderPause.workspace_id) == ws_id, col(ReminderPause.resumed_at).is_(None)
        )
    ).all()
    paused_accounts = {p.account_id for p in pauses if not p.record_type}
    paused_records = {(p.record_type, p.record_id) for p in pauses if p.record_type}
    items = [
        i
        for i in items
        if i.account_id not in paused_accounts and (i.record_type, i.record_id) not in paused_records
    ]

    # At most ``max_per_record`` days with a reminder per record (today's own, e.g. before a crash, not counted).
    counts = _sent_days(session, ws_id, [(i.record_type, i.record_id) for i in items], before=today)
    return [i for i in items if counts.get((i.record_type, i.record_id), 0) < policy.max_per_record]


def _title(title: str, limit: int = 120) -> str:
    value = " ".join(str(title).split())
    return value if len(value) <= limit else value[: limit - 1] + "…"


def _sent_days(
    session: Session, workspace_id: int, records: Iterable[tuple[str, int]], *, before: date | None = None
) -> dict[tuple[str, int], int]:
    by_type: dict[str, set[int]] = defaultdict(set)
    for record_type, record_id in records:
        by_type[record_type].add(record_id)
    out: dict[tuple[str, int], int] = {}
    for record_type, ids in by_type.items():
        query = (
            sa.select(col(ReminderSent.record_id), sa.func.count(sa.distinct(col(ReminderSent.day))))
            .where(
                col(ReminderSent.workspace_id) == workspace_id,
                col(ReminderSent.record_type) == record_type,
                col(ReminderSent.record_id).in_(sorted(ids)),
            )
            .group_by(col(ReminderSent.record_id))
        )
        if before is not None:
            query = query.where(col(ReminderSent.day) < before)
        for record_id, count in session.exec(query).all():  # type: ignore[call-overload]
            out[(record_type, record_id)] = int(count)
    return out


def _plans(session: Session, ws: Workspace, today: date) -> list[_Plan]:
    """Each contact's items for ``today``, contacts in id order (nothing when the workspace mails no contact)."""
    policy = policy_of(ws)
    if not _mails_allowed(ws, policy):
        return []
    items = _candidates(session, ws, policy, today)
    if not items:
        return []
    account_ids = sorted({i.account_id for i in items})
    rows = session.exec(
        select(Contact, ContactAccess)
        .join(ContactAccess, col(ContactAccess.contact_id) == col(Contact.id))
        .where(
            col(Contact.workspace_id) == ws.id,
            col(ContactAccess.workspace_id) == ws.id,
            col(ContactAccess.account_id).in_(account_ids),
            col(Contact.status) == ContactStatus.ACTIVE,
            col(Contact.reminders_off_at).is_(None),
        )
        .order_by(col(Contact.id), col(ContactAccess.account_id))
    ).all()
    by_account: dict[int, list[_Item]] = defaultdict(list)
    for item in items:
        by_account[item.account_id].append(item)
    order = {"document_request": 0, "invoice": 1, "estimate": 2}
    plans: dict[int, _Plan] = {}
    for contact, link in rows:
        assert contact.id is not None
        mine = [i for i in by_account[link.account_id] if getattr(link, _AREAS[i.record_type][3])]
        if not mine:
            continue
        plan = plans.setdefault(contact.id, _Plan(contact=contact))
        plan.account_ids.append(link.account_id)
        plan.items.extend(mine)
    for plan in plans.values():
        plan.items.sort(key=lambda i: (order[i.record_type], i.due, i.record_id))
    return [plans[k] for k in sorted(plans)]


def _summary(items: list[_Item], today: date) -> str:
    """ "2 document requests due, 1 invoice overdue, 1 estimate to decide by Friday"."""
    docs_due = sum(1 for i in items if i.record_type == "document_request" and i.kind != "overdue")
    docs_late = sum(1 for i in items if i.record_type == "document_request" and i.kind == "overdue")
    inv_due = sum(1 for i in items if i.record_type == "invoice" and i.kind != "overdue")
    inv_late = sum(1 for i in items if i.record_type == "invoice" and i.kind == "overdue")
    estimates = [i for i in items if i.record_type == "estimate"]
    parts = []
    if docs_due:
        parts.append(f"{_plural(docs_due, 'document request')} due")
    if docs_late:
        parts.append(f"{_plural(docs_late, 'document request')} overdue")
    if inv_due:
        parts.append(f"{_plural(inv_due, 'invoice')} due today")
    if inv_late:
        parts.append(f"{_plural(inv_late, 'invoice')} overdue")
    if estimates:
        last = min(i.due for i in estimates)
        parts.append(f"{_plural(len(estimates), 'estimate')} to decide by {_weekday_or_date(last, today)}")
    return ", ".join(parts)


def _account_names(session: Session, workspace_id: int, ids: Iterable[int]) -> dict[int, str]:
    wanted = sorted(set(ids))
    if not wanted:
        return {}
    rows = session.exec(
        select(CustomerAccount.id, CustomerAccount.name).where(
            col(CustomerAccount.workspace_id) == workspace_id, col(CustomerAccount.id).in_(wanted)
        )
    ).all()
    return {int(i): n for i, n in rows if i is not None}


def _digest(ws: Workspace, plan: _Plan, names: dict[int, str], today: date, *, sent: bool) -> PlannedDigest:
    assert plan.contact.id is not None
    summary = _summary(plan.items, today)
    return PlannedDigest(
        workspace_name=branding.customer_name(ws),
        day=today,
        contact_id=plan.contact.id,
        contact_email=plan.contact.email,
        contact_name=plan.contact.name,
        account_name=", ".join(dict.fromkeys(names.get(a, "") for a in plan.account_ids if names.get(a))),
        subject=f"Reminder from {branding.customer_name(ws)}: {summary}",
        lines=[i.line for i in plan.items],
        links=[i.link for i in plan.items],
        already_sent=sent,
    )


def _marked(session: Session, workspace_id: int, today: date) -> set[int]:
    return set(
        session.exec(
            select(ReminderDigest.contact_id).where(
                col(ReminderDigest.workspace_id) == workspace_id, col(ReminderDigest.day) == today
            )
        ).all()
    )


def _plan_digests(session: Session, ws: Workspace, today: date) -> list[PlannedDigest]:
    assert ws.id is not None
    plans = _plans(session, ws, today)
    names = _account_names(session, ws.id, (a for p in plans for a in p.account_ids))
    done = _marked(session, ws.id, today) if plans else set()
    return [_digest(ws, p, names, today, sent=p.contact.id in done) for p in plans]


def preview(session: Session, actor: Actor, *, today: date | None = None) -> list[PlannedDigest]:
    """The reminder mails of ``today`` (default: the workspace's today) in the actor's workspace, any member; a
    contact's mail already queued today has ``already_sent``. Empty while reminders, customer mails or the portal
    are off."""
    staff = _staff(actor)
    ws = _workspace(session, staff.workspace_id)
    return _plan_digests(session, ws, today or local_today(ws, utcnow()))


def _active_workspaces(session: Session) -> list[int]:
    ids = session.exec(
        select(Workspace.id)
        .where(
            col(Workspace.status) == WorkspaceStatus.ACTIVE,
            col(Workspace.portal_enabled).is_(True),
            col(Workspace.customer_mails_enabled).is_(True),
        )
        .order_by(col(Workspace.id))
    ).all()
    session.commit()
    return [int(i) for i in ids if i is not None]


def dry_run(session: Session, *, now: datetime) -> list[PlannedDigest]:
    """Every workspace's reminder mails of its own today at ``now`` (queued ones marked ``already_sent``); writes
    nothing."""
    out: list[PlannedDigest] = []
    for ws_id in _active_workspaces(session):
        ws = session.get(Workspace, ws_id)
        if ws is not None:
            out.extend(_plan_digests(session, ws, local_today(ws, now)))
        session.rollback()
    return out


# ---------------------------------------------------------------------------------------------------------------
# Sending


def _acquire_lease(session: Session, holder: str, *, now: datetime) -> bool:
    """Take (or renew) the sweep's lease until ``now + LEASE_TTL``; False while another holder's is live."""
    return leases.acquire(session, LEASE_NAME, holder, until=now + LEASE_TTL, now=now)


def _release_lease(session: Session, holder: str, *, now: datetime) -> None:
    leases.release(session, LEASE_NAME, holder, now=now)


def _holder() -> str:
    return leases.holder()


def _send(
    session: Session, ws: Workspace, plan: _Plan, digest: PlannedDigest, today: date, now: datetime
) -> bool:
    """Queue one contact's mail with its marker and item rows in one transaction; False when already queued."""
    assert ws.id is not None and plan.contact.id is not None
    marker = ReminderDigest(
        workspace_id=ws.id, contact_id=plan.contact.id, day=today, items=len(plan.items), created_at=now
    )
    try:
        with session.begin_nested():
            session.add(marker)
            session.flush()
    except IntegrityError:  # another sweep queued this contact's mail today
        session.rollback()
        return False
    summary = _summary(plan.items, today)
    brand = branding.get_branding(session, ws.id)  # what the contact knows the workspace by
    names = digest.account_name or brand.name
    mail = notify.compose(
        workspace_name=brand.name,
        subject=digest.subject,
        greeting=f"Hello {plan.contact.name or plan.contact.email},",
        paragraphs=[
            f"A reminder from {brand.name}: {summary}.",
            "Each line below opens its page in the customer portal:",
        ],
        links=[
            *[(i.line, i.link) for i in plan.items],
            ("Stop these reminders", unsubscribe_url(plan.contact.id, ws.id)),
        ],
        footer=(
            f"You receive this reminder as a contact of {names} in the {brand.name} customer portal. "
            "“Stop these reminders” turns off reminders only: other mails about your account still arrive."
        ),
        brand=brand,
    )
    row = notifications.enqueue_mail(
        session,
        workspace_id=ws.id,
        to_email=plan.contact.email,
        subject=mail.subject,
        body_text=mail.text,
        body_html=mail.html,
        from_name=brand.name,
    )
    session.flush()
    marker.outbox_mail_id = row.id
    session.add(marker)
    for item in plan.items:
        session.add(
            ReminderSent(
                workspace_id=ws.id,
                account_id=item.account_id,
                contact_id=plan.contact.id,
                day=today,
                record_type=item.record_type,
                record_id=item.record_id,
                kind=item.kind,
                outbox_mail_id=row.id,
                created_at=now,
            )
        )
    session.commit()
    return True


def _sweep_workspace(session: Session, ws_id: int, now: datetime) -> list[PlannedDigest]:
    ws = session.get(Workspace, ws_id)
    if ws is None:
        return []
    today = local_today(ws, now)
    plans = _plans(session, ws, today)
    names = _account_names(session, ws_id, (a for p in plans for a in p.account_ids))
    done = _marked(session, ws_id, today) if plans else set()
    session.commit()  # no read transaction stays open while the mails are queued
    sent: list[PlannedDigest] = []
    for plan in plans:
        if plan.contact.id in done:
            continue
        digest = _digest(ws, plan, names, today, sent=False)
        if _send(session, ws, plan, digest, today, now):
            sent.append(digest)
    return sent


def sweep_report(
    session: Session, *, now: datetime, from_hour: int = REMINDER_HOUR, holder: str | None = None
) -> list[PlannedDigest]:
    """Queue every workspace's reminder mails for its own today (workspaces past ``from_hour`` there) and return
    them; nothing when another worker holds the lease. Each (contact, day) is queued once, whatever runs twice or
    crashes midway. Errors propagate (the caller logs them); what was queued before stays queued."""
    me = holder or _holder()
    if not _acquire_lease(session, me, now=now):
        return []
    sent: list[PlannedDigest] = []
    try:
        for ws_id in _active_workspaces(session):
            ws = session.get(Workspace, ws_id)
            if ws is None or now.astimezone(zone_of(ws)).hour < from_hour:
                session.rollback()
                continue
            if not _acquire_lease(session, me, now=now):  # renewed per workspace; lost: stop
                break
            sent.extend(_sweep_workspace(session, ws_id, now))
    except BaseException:
        session.rollback()
        raise
    finally:
        _release_lease(session, me, now=now)
    if sent:
        log.info("reminder mails queued", extra={"count": len(sent)})
    return sent


def sweep(session: Session, *, now: datetime, from_hour: int = REMINDER_HOUR) -> int:
    """Queue today's reminder mails in every workspace (see ``sweep_report``); returns how many."""
    return len(sweep_report(session, now=now, from_hour=from_hour))


# ---------------------------------------------------------------------------------------------------------------
# Unsubscribing


_UNSUBSCRIBE_LABEL = b"customer-portal reminder unsubscribe v1"


def _keys() -> list[bytes]:
    settings = get_settings()
    secrets = [settings.session_secret, *settings.session_secret_previous]
    return list(
        dict.fromkeys(
            hmac.new(s.get_secret_value().encode(), _UNSUBSCRIBE_LABEL, hashlib.sha256).digest()
            for s in secrets
        )
    )


def _signature(key: bytes, contact_id: int, workspace_id: int) -> str:
    digest = hmac.new(key, f"unsubscribe:{contact_id}:{workspace_id}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:18]).decode().rstrip("=")


def unsubscribe_token(contact_id: int, workspace_id: int) -> str:
    return f"{contact_id}.{workspace_id}.{_signature(_keys()[0], contact_id, workspace_id)}"


def unsubscribe_url(contact_id: int, workspace_id: int) -> str:
    """The signed link that turns a contact's reminders off (no expiry; signed with the session secret)."""
    return notify.reminders_unsubscribe_link(unsubscribe_token(contact_id, workspace_id))


def _read_token(token: object) -> tuple[int, int] | None:
    if not isinstance(token, str) or len(token) > 100:
        return None
    parts = token.split(".")
    if len(parts) != 3 or not all(p.isascii() and p.isdigit() and len(p) <= 12 for p in parts[:2]):
        return None
    contact_id, workspace_id = int(parts[0]), int(parts[1])
    if any(hmac.compare_digest(parts[2], _signature(k, contact_id, workspace_id)) for k in _keys()):
        return contact_id, workspace_id
    return None


def _token_contact(session: Session, token: object) -> tuple[Contact, Workspace] | None:
    ids = _read_token(token)
    if ids is None:
        return None
    contact = session.exec(
        select(Contact).where(col(Contact.id) == ids[0], col(Contact.workspace_id) == ids[1])
    ).first()
    ws = session.get(Workspace, ids[1]) if contact is not None else None
    if contact is None or ws is None:
        return None
    return contact, ws


def unsubscribe_workspace_name(session: Session, token: str) -> str | None:
    """The name of the workspace whose reminders a valid link turns off (for the confirm page), or None."""
    found = _token_contact(session, token)
    session.rollback()
    return branding.customer_name(found[1]) if found is not None else None


def unsubscribe(session: Session, token: str) -> bool:
    """Turn reminders off for the contact the signed ``token`` names (audited once); False for a bad token."""
    found = _token_contact(session, token)
    if found is None:
        session.rollback()
        return False
    contact, ws = found
    if contact.reminders_off_at is None:
        contact.reminders_off_at = utcnow()
        session.add(contact)
        audit.append_event(
            session,
            workspace_id=contact.workspace_id,
            actor=None,
            actor_override=("contact", contact.id),
            action="reminders.unsubscribed",
            target_type="contact",
            target_id=contact.id,
        )
    session.commit()
    return True


# ---------------------------------------------------------------------------------------------------------------
# What staff see


def _record_due(record: Any) -> date | None:
    if isinstance(record, Estimate):
        return record.valid_until if record.status is EstimateStatus.SHARED else None
    if isinstance(record, Invoice):
        return record.due_date if record.status in _INVOICE_OPEN else None
    if isinstance(record, DocumentRequest):
        return record.due_on if record.status in _DOCUMENT_OPEN else None
    return None


def record_reminders(
    session: Session, actor: Actor, record_type: str, record_id: int, *, today: date | None = None
) -> RecordReminders:
    """A record's reminders for its page: sent (newest first), the next planned day (None when none will come:
    done, paused, reminders or mails off, maximum reached), its own or its account's pause, and the account's
    contacts who turned reminders off. Members who may read the record; ``NotFound`` otherwise."""
    staff = _staff(actor)
    r_type, r_id, record = _record_target(session, staff, record_type, record_id)
    ws = _workspace(session, staff.workspace_id)
    today = today or local_today(ws, utcnow())
    rows = session.exec(
        select(ReminderSent, Contact)
        .join(Contact, col(Contact.id) == col(ReminderSent.contact_id))
        .where(
            col(ReminderSent.workspace_id) == staff.workspace_id,
            col(ReminderSent.record_type) == r_type,
            col(ReminderSent.record_id) == r_id,
        )
        .order_by(col(ReminderSent.day).desc(), col(ReminderSent.id).desc())
        .limit(SENT_SHOWN)
    ).all()
    sent = [SentRead(day=s.day, contact_name=c.name, contact_email=c.email, kind=s.kind) for s, c in rows]
    own = session.exec(_pause_query(staff.workspace_id, None, r_type, r_id)).first()
    account_pause = session.exec(_pause_query(staff.workspace_id, record.account_id, None, None)).first()
    paused = own or account_pause
    unsubscribed = [
        f"{c.name} ({c.email})" if c.name else c.email
        for c in session.exec(
            select(Contact)
            .join(ContactAccess, col(ContactAccess.contact_id) == col(Contact.id))
            .where(
                col(Contact.workspace_id) == staff.workspace_id,
                col(ContactAccess.workspace_id) == staff.workspace_id,
                col(ContactAccess.account_id) == record.account_id,
                col(Contact.reminders_off_at).is_not(None),
            )
            .order_by(col(Contact.name), col(Contact.id))
            .limit(100)
        ).all()
    ]
    return RecordReminders(
        sent=sent,
        next_planned=_next_planned(session, ws, r_type, record, today, paused=paused is not None),
        paused=_pause_read(session, paused) if paused is not None else None,
        unsubscribed=unsubscribed,
    )


def _next_planned(
    session: Session, ws: Workspace, record_type: str, record: Any, today: date, *, paused: bool
) -> date | None:
    policy = policy_of(ws)
    due = _record_due(record)
    if paused or due is None or not _mails_allowed(ws, policy):
        return None
    assert ws.id is not None
    account = session.get(CustomerAccount, record.account_id)
    if account is None or account.archived:
        return None
    if record_type == "document_request":
        _total, missing = _documents_needed(session, ws.id, [record.id]).get(record.id, (1, 1))
        if not missing:
            return None
    days = _sent_days(session, ws.id, [(record_type, record.id)]).get((record_type, record.id), 0)
    if days >= policy.max_per_record:
        return None
    sent_today = (
        session.exec(
            select(ReminderSent.id).where(
                col(ReminderSent.workspace_id) == ws.id,
                col(ReminderSent.record_type) == record_type,
                col(ReminderSent.record_id) == record.id,
                col(ReminderSent.day) == today,
            )
        ).first()
        is not None
    )
    start = today + timedelta(days=1) if sent_today else today
    for offset in range(_PLAN_HORIZON):
        day = start + timedelta(days=offset)
        if fires(record_type, due, day, policy):
            return day
    return None


def week_stats(session: Session, actor: Actor, *, today: date | None = None) -> ReminderStats:
    """Reminders sent in the 7 days up to ``today`` (the workspace's) and how many were followed within 3 days
    by an upload, a decision or a payment on the reminded record (any member)."""
    staff = _staff(actor)
    ws = _workspace(session, staff.workspace_id)
    end = today or local_today(ws, utcnow())
    start = end - timedelta(days=6)
    rows = session.exec(  # type: ignore[call-overload]
        sa.select(
            col(ReminderSent.record_type),
            col(ReminderSent.record_id),
            col(ReminderSent.day),
            sa.func.min(col(ReminderSent.created_at)),
        )
        .where(
            col(ReminderSent.workspace_id) == staff.workspace_id,
            col(ReminderSent.day) >= start,
            col(ReminderSent.day) <= end,
        )
        .group_by(col(ReminderSent.record_type), col(ReminderSent.record_id), col(ReminderSent.day))
    ).all()
    mails = session.scalar(
        sa.select(sa.func.count()).where(
            col(ReminderDigest.workspace_id) == staff.workspace_id,
            col(ReminderDigest.day) >= start,
            col(ReminderDigest.day) <= end,
        )
    )
    reminded: list[tuple[str, int, datetime]] = []
    for record_type, record_id, _day, first in rows:
        at = first if first.tzinfo else first.replace(tzinfo=UTC)
        reminded.append((record_type, int(record_id), at))
    actions = _actions(session, staff.workspace_id, reminded)
    followed = sum(
        1
        for record_type, record_id, at in reminded
        if any(at <= t <= at + FOLLOW_UP_WINDOW for t in actions.get((record_type, record_id), ()))
    )
    return ReminderStats(start=start, end=end, sent=len(reminded), followed=followed, mails=int(mails or 0))


def _actions(
    session: Session, workspace_id: int, reminded: list[tuple[str, int, datetime]]
) -> dict[tuple[str, int], list[datetime]]:
    """When the customer acted on each reminded record: uploads, estimate decisions, payments."""
    ids: dict[str, set[int]] = defaultdict(set)
    for record_type, record_id, _ in reminded:
        ids[record_type].add(record_id)
    since = min((at for _, _, at in reminded), default=None)
    out: dict[tuple[str, int], list[datetime]] = defaultdict(list)
    if since is None:
        return out
    if ids["document_request"]:
        for rid, at in session.exec(  # type: ignore[call-overload]
            sa.select(col(IntakeFile.document_request_id), col(IntakeFile.created_at)).where(
                col(IntakeFile.workspace_id) == workspace_id,
                col(IntakeFile.document_request_id).in_(sorted(ids["document_request"])),
                col(IntakeFile.created_at) >= since,
            )
        ).all():
            out[("document_request", int(rid))].append(at)
    if ids["estimate"]:
        for eid, at in session.exec(  # type: ignore[call-overload]
            sa.select(col(Estimate.id), col(Estimate.decided_at)).where(
                col(Estimate.workspace_id) == workspace_id,
                col(Estimate.id).in_(sorted(ids["estimate"])),
                col(Estimate.decided_at).is_not(None),
            )
        ).all():
            out[("estimate", int(eid))].append(at)
    if ids["invoice"]:
        invoice_ids = sorted(ids["invoice"])
        for iid, at in session.exec(  # type: ignore[call-overload]
            sa.select(col(Payment.invoice_id), col(Payment.created_at)).where(
                col(Payment.workspace_id) == workspace_id,
                col(Payment.invoice_id).in_(invoice_ids),
                col(Payment.created_at) >= since,
            )
        ).all():
            out[("invoice", int(iid))].append(at)
        for iid, at in session.exec(  # type: ignore[call-overload]
            sa.select(col(IntakeFile.invoice_id), col(IntakeFile.created_at)).where(
                col(IntakeFile.workspace_id) == workspace_id,
                col(IntakeFile.invoice_id).in_(invoice_ids),
                col(IntakeFile.kind) == IntakeKind.PAYMENT_PROOF,
                col(IntakeFile.created_at) >= since,
            )
        ).all():
            out[("invoice", int(iid))].append(at)
    return out


__all__ = [
    "LEASE_NAME",
    "RECORD_TYPES",
    "REMINDER_HOUR",
    "TIME_ZONES",
    "PauseRead",
    "PlannedDigest",
    "RecordReminders",
    "ReminderPolicy",
    "ReminderStats",
    "SentRead",
    "active_pause",
    "dry_run",
    "fires",
    "get_policy",
    "get_time_zone",
    "list_pauses",
    "pause",
    "preview",
    "record_reminders",
    "resume",
    "set_policy",
    "set_time_zone",
    "sweep",
    "sweep_report",
    "unsubscribe",
    "unsubscribe_url",
    "week_stats",
    "workspace_today",
]
