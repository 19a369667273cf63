"""The audit log's filters: read from URL query values, and turned into the WHERE clauses of one workspace's log.

Every value is client input, a handle only: the clauses always start with the actor's workspace, and for a
member who may not see everything (a finance reviewer) with the payment entries alone (invoices, payments,
statements shared, payment proof and its review), whatever the filters say.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuditEvent, IntakeFile, IntakeKind, Workspace
from portal_app.services import audit_words
from portal_app.services.access import StaffActor
from portal_app.services.audit_names import RECORD_TYPES
from portal_app.services.errors import ValidationFailed
from portal_app.services.permissions import Permission, role_has

_ACTION = re.compile(r"[a-z][a-z_]{0,29}\.[a-z][a-z_]{0,29}")
# The record filter also accepts "account" for events filed under either spelling of the account target.
_TARGET_ALIASES: dict[str, tuple[str, ...]] = {"account": ("account", "customer_account")}
# What a finance reviewer's log holds besides payment proof: invoice events (payments are filed under their
# invoice) and the statements shared.
PAYMENT_TARGETS = ("invoice", "statement_snapshot")


@dataclass(frozen=True)
class AuditFilters:
    """What the log is narrowed to. Values are handles only: every query is scoped to the actor's workspace."""

    actor: str = ""  # "", "member:<user id>", "contact:<contact id>", "customers", "system"
    action: str = ""  # "", "group:<key>" (audit_words.GROUPS) or one action ("estimate.approved")
    record_type: str = ""
    record_id: int | None = None
    account_id: int | None = None
    since: date | None = None  # from this day, in the workspace's time zone
    until: date | None = None  # to this day, inclusive

    def query(self) -> dict[str, str]:
        """The filters as URL query values (the page's address and the CSV link use the same keys)."""
        out: dict[str, str] = {}
        if self.actor:
            out["actor"] = self.actor
        if self.action:
            out["action"] = self.action
        if self.record_type and self.record_id:
            out["record"] = f"{self.record_type}:{self.record_id}"
        if self.account_id:
            out["account"] = str(self.account_id)
        if self.since:
            out["since"] = self.since.isoformat()
        if self.until:
            out["until"] = self.until.isoformat()
        return out


# -- reading them --------------------------------------------------------------------------------------------------


def _positive(raw: str) -> int | None:
    raw = raw.strip()
    if raw.isascii() and raw.isdigit() and 0 < len(raw) <= 12 and int(raw) > 0:
        return int(raw)
    return None


def _actor_value(raw: str) -> str | None:
    if raw in ("", "customers", "system"):
        return raw
    kind, _, rest = raw.partition(":")
    return raw if kind in ("member", "contact") and _positive(rest) is not None else None


def _action_value(raw: str) -> str | None:
    if raw == "":
        return raw
    if raw.startswith("group:"):
        return raw if raw[6:] in audit_words.GROUPS else None
    return raw if _ACTION.fullmatch(raw) else None


def _day(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw) if len(raw) == 10 else None
    except ValueError:
        return None


def parse_filters(raw: Mapping[str, Any], *, strict: bool = False) -> AuditFilters:
    """Filters from URL query values (``actor``, ``action``, ``record`` = ``estimate:7``, ``account``, ``since``,
    ``until``). A value that cannot be read is dropped, or with ``strict`` raises ``ValidationFailed``."""

    def text(name: str) -> str:
        value = raw.get(name)
        return value.strip()[:80] if isinstance(value, str) else ""

    problems: list[str] = []

    def keep(name: str, value: Any, message: str) -> Any:
        if value is None and text(name):
            problems.append(message)
        return value

    actor = keep("actor", _actor_value(text("actor")), "Unknown actor filter.") or ""
    action = keep("action", _action_value(text("action")), "Unknown action filter.") or ""
    record_type, record_id = "", None
    kind, _, rid = text("record").partition(":")
    if text("record"):
        if kind in RECORD_TYPES and _positive(rid) is not None:
            record_type, record_id = kind, _positive(rid)
        else:
            problems.append("The record must look like estimate:7.")
    account_id = keep("account", _positive(text("account")), "The account must be a number.")
    since = keep("since", _day(text("since")), "The start date must be a date like 2027-03-31.")
    until = keep("until", _day(text("until")), "The end date must be a date like 2027-03-31.")
    if since and until and until < since:
        problems.append("The end date is before the start date.")
        until = None
    if strict and problems:
        raise ValidationFailed(problems[0])
    return AuditFilters(actor, action, record_type, record_id, account_id, since, until)


# -- as clauses ---------------------------------------------------------------------------------------------


def sees_everything(staff: StaffActor) -> bool:
    """Owners and managers read the whole log; a finance reviewer only its payment entries."""
    return role_has(staff.role, Permission.WORKSPACE_MANAGE)


def payments_only(workspace_id: int) -> Any:
    """Invoices (payments are filed under their invoice), statements shared (the "invoices" group lists them),
    and payment proof, with its review."""
    proofs = select(IntakeFile.id).where(
        IntakeFile.workspace_id == workspace_id, IntakeFile.kind == IntakeKind.PAYMENT_PROOF
    )
    return sa.or_(
        col(AuditEvent.target_type).in_(PAYMENT_TARGETS),
        sa.and_(col(AuditEvent.target_type) == "intake_file", col(AuditEvent.target_id).in_(proofs)),
    )


def workspace_zone(session: Session, workspace_id: int) -> str:
    """The workspace's IANA time zone, UTC when unset or unknown: what the date filters' days mean."""
    name = session.scalar(select(Workspace.time_zone).where(Workspace.id == workspace_id)) or "UTC"
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return "UTC"
    return name


def filter_clauses(staff: StaffActor, f: AuditFilters, zone: str) -> list[Any]:
    """The WHERE clauses for ``f`` in the staff member's workspace (dates as days in ``zone``)."""
    clauses: list[Any] = [col(AuditEvent.workspace_id) == staff.workspace_id]
    if not sees_everything(staff):
        clauses.append(payments_only(staff.workspace_id))
    kind, _, rest = f.actor.partition(":")
    if kind == "member":
        clauses += [col(AuditEvent.actor_kind) == "staff", col(AuditEvent.actor_id) == int(rest)]
    elif kind == "contact":
        clauses += [col(AuditEvent.actor_kind) == "contact", col(AuditEvent.actor_id) == int(rest)]
    elif f.actor == "customers":
        clauses.append(col(AuditEvent.actor_kind) == "contact")
    elif f.actor == "system":
        clauses.append(col(AuditEvent.actor_kind).in_(("system", "operator")))
    if f.action.startswith("group:"):
        clauses.append(col(AuditEvent.action).in_(audit_words.actions_in(f.action[6:])))
    elif f.action:
        clauses.append(col(AuditEvent.action) == f.action)
    if f.record_type and f.record_id:
        types = _TARGET_ALIASES.get(f.record_type, (f.record_type,))
        clauses += [col(AuditEvent.target_type).in_(types), col(AuditEvent.target_id) == f.record_id]
    if f.account_id:
        clauses.append(col(AuditEvent.account_id) == f.account_id)
    tz = ZoneInfo(zone)
    if f.since:
        clauses.append(col(AuditEvent.created_at) >= datetime.combine(f.since, time.min, tz).astimezone(UTC))
    if f.until:
        end = datetime.combine(f.until + timedelta(days=1), time.min, tz).astimezone(UTC)
        clauses.append(col(AuditEvent.created_at) < end)
    return clauses
