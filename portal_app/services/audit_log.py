"""The audit log's read side: entries in plain words, filtered and paged by keyset; an account's timeline; the
chain check and the CSV rows behind the page.

Who sees what: owners and managers (``audit:read`` and ``workspace:manage``) every entry of their workspace; a
finance reviewer (``audit:read`` only) the payment entries alone (invoices, payments, statements shared, payment
proof and its review), enforced in every query here whatever the filters say; everyone else nothing
(``Forbidden``). The account timeline is another matter: customer-facing actions only (``audit_words.TIMELINE``),
for every member who may read accounts.

Pages walk newest first by ``seq`` (``before_seq`` is the cursor), on the indexes (workspace, account, seq),
(workspace, action, seq) and (workspace, actor kind, actor, seq): page 1,000 costs what page 1 does. Names
(members, contacts, accounts, records) are loaded per page with one query per kind at most (``audit_names``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import AuditEvent, Contact, CustomerAccount, Membership, User
from portal_app.services import audit, audit_words
from portal_app.services.access import Actor, StaffActor, get_scoped, require_staff
from portal_app.services.audit_filters import (
    PAYMENT_TARGETS,
    AuditFilters,
    filter_clauses,
    parse_filters,
    sees_everything,
    workspace_zone,
)
from portal_app.services.audit_names import Names
from portal_app.services.errors import RateLimited
from portal_app.services.exports import neutralise
from portal_app.services.permissions import Permission
from portal_app.services.ratelimit import ClientRateLimiter

PAGE_MAX = 100
EXPORT_MAX = 50_000  # rows in one CSV download; the last row says when the export stopped there
EXPORT_BATCH = 500
PAYMENT_GROUPS = ("invoices", "uploads")  # what a finance reviewer's action filter offers


@dataclass(frozen=True)
class AuditEntry:
    id: int
    seq: int
    created_at: datetime
    actor_kind: str  # staff, contact, operator, system
    actor_name: str  # "Alice Buyer", "Max Manager", "System"
    action: str
    sentence: str  # "Alice Buyer approved estimate EST-0007 v2"
    target_type: str
    target_id: int | None
    account_id: int | None
    account_name: str
    record_label: str = ""  # "Estimate EST-0007", "Approval request “Site plan”" ("" for none)
    action_label: str = ""  # "Estimate approved"


@dataclass(frozen=True)
class AuditPage:
    entries: list[AuditEntry]
    has_older: bool
    older_cursor: int | None  # pass as ``before_seq`` for the next (older) page
    time_zone: str = "UTC"


@dataclass(frozen=True)
class ChainCheck:
    ok: bool
    entries: int
    first_broken_seq: int | None
    message: (
        str  # "All 1,234 entries verified." / "Entry #57 was altered: entries from #57 on cannot be trusted."
    )


# -- scope and query ------------------------------------------------------------------------------------------


def _reader(actor: Actor) -> StaffActor:
    return require_staff(actor, Permission.AUDIT_READ)


def _rows(session: Session, clauses: list[Any], before_seq: int | None, limit: int) -> list[AuditEvent]:
    query = select(AuditEvent).where(*clauses)
    if before_seq is not None:
        query = query.where(col(AuditEvent.seq) < before_seq)
    return list(session.exec(query.order_by(col(AuditEvent.seq).desc()).limit(limit)))


def _entries(session: Session, workspace_id: int, rows: list[AuditEvent]) -> list[AuditEntry]:
    names = Names.load(session, workspace_id, rows)
    out = []
    for r in rows:
        assert r.id is not None
        facts = names.facts(r)
        out.append(
            AuditEntry(
                id=r.id,
                seq=r.seq,
                created_at=r.created_at,
                actor_kind=r.actor_kind,
                actor_name=facts.who,
                action=r.action,
                sentence=audit_words.sentence(r.action, facts),
                target_type=r.target_type,
                target_id=r.target_id,
                account_id=r.account_id,
                account_name=facts.account,
                record_label=names.record_label(r),
                action_label=audit_words.action_label(r.action),
            )
        )
    return out


def list_audit(
    session: Session,
    actor: Actor,
    filters: AuditFilters | None = None,
    *,
    before_seq: int | None = None,
    limit: int = 50,
) -> AuditPage:
    """One page of the log, newest first, entries older than ``before_seq`` (keyset). Scoped to the actor's
    workspace; a finance reviewer sees payment entries only. Raises ``Forbidden`` without ``audit:read``."""
    staff = _reader(actor)
    f = filters or AuditFilters()
    limit = max(1, min(limit, PAGE_MAX))
    zone = workspace_zone(session, staff.workspace_id)
    rows = _rows(session, filter_clauses(staff, f, zone), before_seq, limit + 1)
    entries = _entries(session, staff.workspace_id, rows[:limit])
    has_older = len(rows) > limit
    return AuditPage(entries, has_older, entries[-1].seq if has_older and entries else None, zone)


def timeline_clauses() -> list[Any]:
    """What keeps a query to timeline entries: the allowed actions (on the account's (workspace, account, seq)
    index, the action list narrows the rows walked), minus the entries of them the customer never saw."""
    hidden = [
        sa.and_(col(AuditEvent.action) == action, col(AuditEvent.data).like(pattern))
        for action, patterns in audit_words.TIMELINE_HIDDEN.items()
        for pattern in patterns
    ]
    return [col(AuditEvent.action).in_(sorted(audit_words.TIMELINE)), sa.not_(sa.or_(*hidden))]


def account_timeline(
    session: Session, actor: Actor, account_id: int, *, limit: int = 30, before_seq: int | None = None
) -> list[AuditEntry]:
    """Newest first: the account's portal activity (shared, decided, uploaded, reviewed, said, paid), by staff and
    contacts: the actions of ``audit_words.TIMELINE`` only, never an internal note, a task, a reminder pause or a
    permission change. Needs ``accounts:read``; an account outside the actor's workspace raises ``NotFound``."""
    staff = require_staff(actor, Permission.ACCOUNTS_READ)
    get_scoped(
        session, staff, CustomerAccount, account_id
    )  # NotFound outside the workspace; the page read it
    clauses = [
        col(AuditEvent.workspace_id) == staff.workspace_id,
        col(AuditEvent.account_id) == account_id,
        *timeline_clauses(),
    ]
    rows = _rows(session, clauses, before_seq, max(1, min(limit, PAGE_MAX)))
    return _entries(session, staff.workspace_id, rows)


# -- choices for the page's filters ---------------------------------------------------------------------------


@dataclass(frozen=True)
class FilterChoices:
    actors: list[tuple[str, str]]  # (value, label): members by name, then "Customers", "System"
    actions: list[tuple[str, str]]  # groups, then the exact action already chosen (if any)
    account_name: str  # the account filter's account ("" when none or not this workspace's)
    record_label: str  # the record filter's record ("" when none)
    time_zone: str


def filter_choices(session: Session, actor: Actor, filters: AuditFilters | None = None) -> FilterChoices:
    """What the page's filter selects offer (three queries at most); names for the active id filters."""
    staff = _reader(actor)
    f = filters or AuditFilters()
    members = session.exec(
        select(User.id, User.name, User.email)
        .join(Membership, col(Membership.user_id) == col(User.id))
        .where(Membership.workspace_id == staff.workspace_id)
        .order_by(col(User.name), col(User.email))
    ).all()
    actors = [(f"member:{uid}", name or email) for uid, name, email in members]
    if f.actor.startswith("contact:"):
        contact_id = int(f.actor[8:])
        name = session.scalar(
            select(Contact.name).where(Contact.workspace_id == staff.workspace_id, Contact.id == contact_id)
        )
        actors.append((f.actor, name or "A contact"))
    elif f.actor.startswith("member:") and f.actor not in dict(actors):
        actors.append((f.actor, "A former member"))
    actors += [("customers", "Customers (any contact)"), ("system", "System")]
    groups = (
        audit_words.GROUPS if sees_everything(staff) else {g: audit_words.GROUPS[g] for g in PAYMENT_GROUPS}
    )
    actions = [(f"group:{key}", label) for key, label in groups.items()]
    if f.action and not f.action.startswith("group:"):
        actions.append((f.action, audit_words.action_label(f.action)))
    account_name = ""
    if f.account_id:
        account_name = (
            session.scalar(
                select(CustomerAccount.name).where(
                    CustomerAccount.workspace_id == staff.workspace_id, CustomerAccount.id == f.account_id
                )
            )
            or ""
        )
    record_label = ""
    if f.record_type and f.record_id:
        record_label = Names.record_only(session, staff.workspace_id, f.record_type, f.record_id)
    return FilterChoices(
        actors, actions, account_name, record_label, workspace_zone(session, staff.workspace_id)
    )


# -- the chain check ------------------------------------------------------------------------------------------


def _broken_words(report: audit.ChainReport) -> str:
    n = report.first_broken_seq or 0
    tail = f"entries from #{n:,} on cannot be trusted."
    if "missing" in report.reason:
        return f"Entry #{n:,} is missing: {tail}"
    if "does not follow" in report.reason:
        return f"Entry #{n:,} does not follow the entry before it: {tail}"
    if "removed" in report.reason:
        return f"The latest entry (#{n:,}) was removed: the log ends early."
    return f"Entry #{n:,} was altered: {tail}"


# The check walks the whole chain: a few checks a minute per member, so a held-down button cannot load the database.
VERIFY_PER_MEMBER = 3
VERIFY_WINDOW_SECONDS = 60.0
VERIFY_LIMITED = "You checked the audit chain a moment ago. Please wait a minute before checking it again."
verify_limiter = ClientRateLimiter(VERIFY_PER_MEMBER, VERIFY_WINDOW_SECONDS, name="audit-verify")


def verify_log(session: Session, actor: Actor) -> ChainCheck:
    """Check the actor's workspace chain from its first entry (``audit:read``) and say what was found: all
    verified, or the first entry that was altered, removed or reordered. ``RateLimited`` past
    ``VERIFY_PER_MEMBER`` checks a minute by the same member of the same workspace."""
    staff = _reader(actor)
    if not verify_limiter.allow(f"{staff.workspace_id}:{staff.user_id}"):
        raise RateLimited(VERIFY_LIMITED)
    report = audit.verify_chain(session, staff.workspace_id)
    if report.ok:
        message = (
            "The audit log is empty: nothing to verify yet."
            if report.events == 0
            else f"All {report.events:,} {'entry' if report.events == 1 else 'entries'} verified: "
            "none was altered or removed."
        )
        return ChainCheck(True, report.events, None, message)
    return ChainCheck(False, report.events, report.first_broken_seq, _broken_words(report))


# -- CSV -----------------------------------------------------------------------------------------------------

# "Action" in words for people, "Action code" (estimate.approved) for machines and filters.
CSV_HEADER = (
    "Seq",
    "Time (UTC)",
    "Actor",
    "Action",
    "Action code",
    "What happened",
    "Record",
    "Account",
    "Hash",
)


def export_reader(actor: Actor) -> StaffActor:
    """The staff member an export runs for (``Forbidden``/``NotFound`` before any byte is sent)."""
    return _reader(actor)


def export_batch(
    session: Session,
    actor: Actor,
    filters: AuditFilters | None = None,
    *,
    before_seq: int | None = None,
    limit: int = EXPORT_BATCH,
) -> tuple[list[tuple[str, ...]], int | None]:
    """One batch of the filtered entries as CSV rows (``CSV_HEADER`` columns), newest first, older than
    ``before_seq``; and the cursor of the next batch (``None`` at the end). Same scope as the page; text cells are
    neutralised for spreadsheets. Each batch stands alone (keyset), so an export can use one short transaction
    per batch instead of holding one open for the whole download."""
    staff = _reader(actor)
    limit = max(1, min(limit, EXPORT_BATCH))
    rows = _rows(
        session,
        filter_clauses(staff, filters or AuditFilters(), workspace_zone(session, staff.workspace_id)),
        before_seq,
        limit + 1,
    )
    take = rows[:limit]
    entries = _entries(session, staff.workspace_id, take)
    out: list[tuple[str, ...]] = [
        (
            str(e.seq),
            e.created_at.astimezone(UTC).isoformat(timespec="seconds").replace("+00:00", "Z"),
            neutralise(e.actor_name),
            neutralise(e.action_label),
            e.action,
            neutralise(e.sentence),
            neutralise(e.record_label),
            neutralise(e.account_name),
            row.hash,
        )
        for row, e in zip(take, entries, strict=True)
    ]
    return out, (take[-1].seq if len(rows) > limit else None)


def export_cap_note(cap: int = EXPORT_MAX) -> tuple[str, ...]:
    """The last row of an export that stopped at ``cap``."""
    note = f"The export stops at {cap:,} entries: narrow the filters to get older ones."
    return tuple(note if name == "What happened" else "" for name in CSV_HEADER)


def export_rows(
    session: Session, actor: Actor, filters: AuditFilters | None = None, *, cap: int = EXPORT_MAX
) -> Iterator[tuple[str, ...]]:
    """The whole export in one session: the header, the rows batch by batch, and the note when ``cap`` stopped
    it. (The download route runs the same batches, one transaction each.)"""
    export_reader(actor)  # refused before the first row is asked for
    return _export(session, actor, filters, cap)


def _export(
    session: Session, actor: Actor, filters: AuditFilters | None, cap: int
) -> Iterator[tuple[str, ...]]:
    yield CSV_HEADER
    cursor: int | None = None
    written = 0
    while True:
        rows, cursor = export_batch(
            session, actor, filters, before_seq=cursor, limit=min(EXPORT_BATCH, cap - written)
        )
        yield from rows
        written += len(rows)
        if cursor is None:
            return
        if written >= cap:
            yield export_cap_note(cap)
            return


__all__ = [
    "PAYMENT_TARGETS",
    "AuditEntry",
    "AuditFilters",
    "AuditPage",
    "ChainCheck",
    "FilterChoices",
    "account_timeline",
    "timeline_clauses",
    "export_batch",
    "export_cap_note",
    "export_reader",
    "export_rows",
    "filter_choices",
    "list_audit",
    "parse_filters",
    "sees_everything",
    "verify_log",
]
