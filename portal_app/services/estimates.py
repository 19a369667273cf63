"""Estimates: draft → shared → approved / declined / changes requested / expired; re-issue makes a new version.

Contacts decide only on a shared, current, unexpired version. Decisions use a conditional UPDATE, so concurrent
approvals of one estimate yield exactly one decision, one follow-up task and one audit event.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    Contact,
    CustomerAccount,
    Estimate,
    EstimateLine,
    EstimateStatus,
    EstimateVersion,
    utcnow,
)
from models.portal import PortalEstimate, PortalLine, PortalLineChange, PortalVersionChanges
from models.schemas import MAX_PAGE_SIZE, EstimateLineRead, EstimateRead, Page
from portal_app.services import audit, notify, tasks
from portal_app.services.access import (
    Actor,
    ContactActor,
    StaffActor,
    get_scoped,
    require_contact,
    require_staff,
    scoped_select,
)
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.idempotency import run_customer_action
from portal_app.services.lines import LineInput, compute
from portal_app.services.permissions import ContactPermission, Permission

REISSUABLE = {
    EstimateStatus.SHARED,
    EstimateStatus.CHANGES_REQUESTED,
    EstimateStatus.DECLINED,
    EstimateStatus.EXPIRED,
}
DECISIONS = {
    "approve": (EstimateStatus.APPROVED, "estimate.approved"),
    "decline": (EstimateStatus.DECLINED, "estimate.declined"),
    "request_changes": (EstimateStatus.CHANGES_REQUESTED, "estimate.changes_requested"),
}
DECIDED_STATUSES = tuple(status for status, _ in DECISIONS.values())


def today() -> date:
    return datetime.now(UTC).date()


def _next_number(session: Session, workspace_id: int) -> str:
    count = session.scalar(select(sa.func.count()).where(Estimate.workspace_id == workspace_id)) or 0
    return f"EST-{int(count) + 1:04d}"


def _write_version(
    session: Session, estimate: Estimate, version: int, lines: list[LineInput], customer_notes: str
) -> EstimateVersion:
    totals = compute(lines)
    assert estimate.id is not None
    ver = EstimateVersion(
        workspace_id=estimate.workspace_id,
        estimate_id=estimate.id,
        version=version,
        customer_notes=customer_notes[:4000],
        subtotal_minor=totals.subtotal_minor,
        tax_minor=totals.tax_minor,
        total_minor=totals.total_minor,
        cost_minor=totals.cost_minor,
    )
    session.add(ver)
    session.flush()
    assert ver.id is not None
    for c in totals.lines:
        session.add(
            EstimateLine(
                workspace_id=estimate.workspace_id,
                version_id=ver.id,
                position=c.position,
                description=c.description,
                quantity=c.quantity,
                unit_price_minor=c.unit_price_minor,
                unit_cost_minor=c.unit_cost_minor,
                tax_rate_bp=c.tax_rate_bp,
                total_minor=c.net_minor,
            )
        )
    return ver


def _current_version(session: Session, estimate: Estimate) -> tuple[EstimateVersion, list[EstimateLine]]:
    ver = session.exec(
        select(EstimateVersion).where(
            EstimateVersion.estimate_id == estimate.id, EstimateVersion.version == estimate.current_version
        )
    ).one()
    lines = session.exec(
        select(EstimateLine).where(EstimateLine.version_id == ver.id).order_by(EstimateLine.position)  # type: ignore[arg-type]
    ).all()
    return ver, list(lines)


def _staff_read(session: Session, estimate: Estimate) -> EstimateRead:
    ver, lines = _current_version(session, estimate)
    base = EstimateRead.model_validate(estimate).model_dump(exclude={"lines"})
    base.update(
        subtotal_minor=ver.subtotal_minor,
        tax_minor=ver.tax_minor,
        total_minor=ver.total_minor,
        cost_minor=ver.cost_minor,
        customer_notes=ver.customer_notes,
        lines=[EstimateLineRead.model_validate(ln) for ln in lines],
    )
    return EstimateRead(**base)


def _portal_read(session: Session, estimate: Estimate) -> PortalEstimate:
    ver, lines = _current_version(session, estimate)
    base = PortalEstimate.model_validate(estimate).model_dump(exclude={"lines"})
    base.update(
        subtotal_minor=ver.subtotal_minor,
        tax_minor=ver.tax_minor,
        total_minor=ver.total_minor,
        customer_notes=ver.customer_notes,
        lines=[PortalLine.model_validate(ln) for ln in lines],
    )
    return PortalEstimate(**base)


def _validate_title(title: str) -> str:
    title = " ".join(title.split())
    if not 1 <= len(title) <= 200:
        raise ValidationFailed("The title must be 1-200 characters.")
    return title


def create_estimate(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    title: str,
    lines: list[LineInput],
    valid_until: date | None = None,
    customer_notes: str = "",
    internal_notes: str = "",
) -> EstimateRead:
    """A draft estimate (version 1) for an account of the actor's workspace. Invisible to contacts until shared."""
    staff = require_staff(actor, Permission.ESTIMATES_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id)
    title = _validate_title(title)
    compute(lines)  # validate before writing anything
    est = Estimate(
        workspace_id=staff.workspace_id,
        account_id=account_id,
        number=_next_number(session, staff.workspace_id),
        title=title,
        currency=account.currency,
        valid_until=valid_until,
        internal_notes=internal_notes[:4000],
        created_by_user_id=staff.user_id,
    )
    session.add(est)
    session.flush()
    _write_version(session, est, 1, lines, customer_notes)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="estimate.created",
        target_type="estimate",
        target_id=est.id,
        data={"number": est.number},
        account_id=est.account_id,
    )
    session.commit()
    return _staff_read(session, est)


def update_draft_estimate(
    session: Session,
    actor: Actor,
    estimate_id: int,
    *,
    title: str,
    lines: list[LineInput],
    valid_until: date | None,
    customer_notes: str = "",
    internal_notes: str = "",
) -> EstimateRead:
    """Replace a draft's content. A shared estimate changes only by re-issuing a new version."""
    staff = require_staff(actor, Permission.ESTIMATES_MANAGE)
    est = get_scoped(session, staff, Estimate, estimate_id, change=True, lock=True)
    if est.status is not EstimateStatus.DRAFT:
        raise Conflict("Only a draft can be edited. Re-issue the estimate to change a shared one.")
    clean_title = _validate_title(title)
    compute(lines)  # validate before changing anything: a refused edit leaves the draft as it was
    est.title = clean_title
    ver, old_lines = _current_version(session, est)
    for ln in old_lines:
        session.delete(ln)
    session.delete(ver)
    session.flush()
    _write_version(session, est, est.current_version, lines, customer_notes)
    est.valid_until = valid_until
    est.internal_notes = internal_notes[:4000]
    est.updated_at = utcnow()
    session.add(est)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="estimate.updated",
        target_type="estimate",
        target_id=est.id,
        account_id=est.account_id,
    )
    session.commit()
    return _staff_read(session, est)


def _notify_shared(session: Session, est: Estimate) -> None:
    """Mail the account's operations contacts about the shared version (in this transaction)."""
    assert est.id is not None
    title = f"{est.number} {est.title}" + (
        f" (version {est.current_version})" if est.current_version > 1 else ""
    )
    notify.record_shared(
        session,
        workspace_id=est.workspace_id,
        account_id=est.account_id,
        kind="estimate",
        record_id=est.id,
        title=title,
    )


def share_estimate(session: Session, actor: Actor, estimate_id: int) -> EstimateRead:
    """Draft → shared: from now on the account's contacts with operations permission see it."""
    staff = require_staff(actor, Permission.ESTIMATES_MANAGE)
    est = get_scoped(session, staff, Estimate, estimate_id, change=True, lock=True)
    if est.status is not EstimateStatus.DRAFT:
        raise Conflict(
            "Only a draft can be shared; this estimate is already " + est.status.value.replace("_", " ") + "."
        )
    if est.valid_until is not None and est.valid_until < today():
        raise ValidationFailed("Set a 'valid until' date in the future before sharing.")
    now = utcnow()
    est.status = EstimateStatus.SHARED
    est.shared_at = now
    est.updated_at = now
    session.add(est)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="estimate.shared",
        target_type="estimate",
        target_id=est.id,
        data={"version": est.current_version},
        account_id=est.account_id,
    )
    _notify_shared(session, est)
    session.commit()
    return _staff_read(session, est)


def reissue_estimate(
    session: Session,
    actor: Actor,
    estimate_id: int,
    *,
    lines: list[LineInput],
    valid_until: date | None,
    customer_notes: str = "",
) -> EstimateRead:
    """Issue the next version of a shared / declined / changes-requested / expired estimate and share it."""
    staff = require_staff(actor, Permission.ESTIMATES_MANAGE)
    est = get_scoped(session, staff, Estimate, estimate_id, change=True, lock=True)
    if est.status not in REISSUABLE:
        raise Conflict(f"A {est.status.value.replace('_', ' ')} estimate cannot be re-issued.")
    if valid_until is not None and valid_until < today():
        raise ValidationFailed("The 'valid until' date must not be in the past.")
    compute(lines)
    now = utcnow()
    est.current_version += 1
    _write_version(session, est, est.current_version, lines, customer_notes)
    est.status = EstimateStatus.SHARED
    est.valid_until = valid_until
    est.shared_at = now
    est.updated_at = now
    est.decided_at = None
    est.decided_by_contact_id = None
    est.decision_note = ""
    est.signature = ""
    session.add(est)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="estimate.reissued",
        target_type="estimate",
        target_id=est.id,
        data={"version": est.current_version},
        account_id=est.account_id,
    )
    _notify_shared(session, est)
    session.commit()
    return _staff_read(session, est)


def expire_estimates(session: Session, *, on: date | None = None, batch: int = 500) -> int:
    """System job: shared estimates whose 'valid until' date has passed become expired. Returns how many."""
    on = on or today()
    rows = session.exec(
        select(Estimate)
        .where(Estimate.status == EstimateStatus.SHARED, Estimate.valid_until < on)  # type: ignore[operator]
        .limit(batch)
    ).all()
    for est in rows:
        changed = session.execute(  # type: ignore[deprecated]
            sa.update(Estimate)
            .where(Estimate.id == est.id, Estimate.status == EstimateStatus.SHARED)  # type: ignore[arg-type]
            .values(status=EstimateStatus.EXPIRED, updated_at=utcnow())
        )
        if changed.rowcount:  # type: ignore[attr-defined]
            audit.append_event(
                session,
                workspace_id=est.workspace_id,
                actor=None,
                action="estimate.expired",
                target_type="estimate",
                target_id=est.id,
                account_id=est.account_id,
            )
    session.commit()
    return len(rows)


def decide_estimate(
    session: Session,
    actor: Actor,
    estimate_id: int,
    *,
    decision: str,
    version: int,
    note: str = "",
    signature: str = "",
    idempotency_key: str,
) -> PortalEstimate:
    """A contact approves, declines or asks for changes on the shared, current version of their account's estimate.

    Scoped to the contact's account and operations permission (``NotFound`` otherwise). ``Conflict`` when the
    estimate is not shared, the version is not the current one, or it has expired. Creates the decision, a
    follow-up task and an audit event in one transaction; a retry with the same key returns the first result.
    """
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    if decision not in DECISIONS:
        raise ValidationFailed("Unknown decision.")
    new_status, trigger = DECISIONS[decision]
    note = note.strip()
    signature = " ".join(signature.split())
    if decision == "approve" and not 2 <= len(signature) <= 200:
        raise ValidationFailed("Type your full name to sign the approval.")
    if decision != "approve" and not 1 <= len(note) <= 4000:
        raise ValidationFailed("Please tell the team why (1-4000 characters).")
    if len(note) > 4000:
        raise ValidationFailed("The note must be at most 4000 characters.")

    def present(result_id: int) -> PortalEstimate:
        est = get_scoped(session, contact, Estimate, result_id)
        return _portal_read(session, est)

    def perform() -> tuple[str, int]:
        est = get_scoped(session, contact, Estimate, estimate_id, change=True)
        now = utcnow()
        changed = session.execute(  # type: ignore[deprecated]
            sa.update(Estimate)
            .where(
                Estimate.id == estimate_id,  # type: ignore[arg-type]
                Estimate.workspace_id == contact.workspace_id,  # type: ignore[arg-type]
                Estimate.account_id == contact.account_id,  # type: ignore[arg-type]
                Estimate.status == EstimateStatus.SHARED,  # type: ignore[arg-type]
                Estimate.current_version == version,  # type: ignore[arg-type]
                sa.or_(col(Estimate.valid_until).is_(None), col(Estimate.valid_until) >= today()),
            )
            .values(
                status=new_status,
                decided_at=now,
                decided_by_contact_id=contact.contact_id,
                decision_note=note,
                signature=signature,
                updated_at=now,
            )
            .execution_options(synchronize_session=False)
        )
        if changed.rowcount != 1:  # type: ignore[attr-defined]
            session.refresh(est)
            raise Conflict(_refusal(est, version))
        tasks.open_follow_up(
            session,
            contact,
            trigger=trigger,
            source_type="estimate",
            source_id=estimate_id,
            title=f"{est.number} {new_status.value.replace('_', ' ')}: {est.title}",
            detail=note[:2000],
        )
        audit.append_event(
            session,
            workspace_id=contact.workspace_id,
            actor=contact,
            action=trigger,
            target_type="estimate",
            target_id=estimate_id,
            data={"version": version, "signed": bool(signature)},
        )
        return "estimate", estimate_id

    result = run_customer_action(
        session,
        contact,
        idempotency_key=idempotency_key,
        action=trigger,
        target=("estimate", estimate_id),
        perform=perform,
        present=present,
    )
    return result


def _refusal(est: Estimate, version: int) -> str:
    if est.status is EstimateStatus.APPROVED:
        return "This estimate has already been approved."
    if est.status is not EstimateStatus.SHARED:
        return f"This estimate is {est.status.value.replace('_', ' ')} and can no longer be answered."
    if est.current_version != version:
        return (
            f"A newer version (v{est.current_version}) of this estimate was issued. Please review it first."
        )
    return "This estimate has expired. Ask the team to re-issue it."


def get_estimate(session: Session, actor: Actor, estimate_id: int) -> EstimateRead:
    """Staff view with internal notes and costs; scoped to the workspace."""
    require_staff(actor, Permission.ESTIMATES_READ)
    return _staff_read(session, get_scoped(session, actor, Estimate, estimate_id))


SEARCH_MAX_CHARS = 100


def _like_term(text: str) -> str:
    """A case-insensitive ``LIKE`` pattern matching ``text`` literally (``%``, ``_`` and ``\\`` escaped)."""
    text = " ".join(text.split())[:SEARCH_MAX_CHARS].lower()
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_estimates(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    status: EstimateStatus | None = None,
    decided: bool = False,
    decided_within_days: int | None = None,
    search: str = "",
    offset: int = 0,
    limit: int = 25,
) -> Page[EstimateRead]:
    """One page of the workspace's estimates, most recently updated first (headers only, no lines); ``decided``
    keeps the approved, declined and changes-requested ones, the latest decision first; ``decided_within_days``
    keeps only those decided in that many days up to now (the command center's "decided in the last 7 days").

    Scoped to the actor's workspace (``estimates:read``; ``Forbidden``/``NotFound`` otherwise). ``search`` matches
    the number, the title or the account's name, case-insensitively and literally; the account join is limited
    to the same workspace. Paginated in the database.
    """
    staff = require_staff(actor, Permission.ESTIMATES_READ)
    query = scoped_select(staff, Estimate)
    if account_id is not None:
        query = query.where(Estimate.account_id == account_id)
    if status is not None:
        query = query.where(Estimate.status == status)
    order: list[Any] = [col(Estimate.updated_at).desc(), col(Estimate.id).desc()]
    if decided:
        query = query.where(col(Estimate.status).in_(DECIDED_STATUSES))
        if decided_within_days is not None:
            query = query.where(col(Estimate.decided_at) > utcnow() - timedelta(days=decided_within_days))
        order = [col(Estimate.decided_at).desc(), *order]
    if search.strip():
        term = _like_term(search)
        query = query.join(
            CustomerAccount,
            sa.and_(
                col(CustomerAccount.id) == col(Estimate.account_id),
                col(CustomerAccount.workspace_id) == staff.workspace_id,
            ),
        ).where(
            sa.or_(
                sa.func.lower(Estimate.number).like(term, escape="\\"),
                sa.func.lower(Estimate.title).like(term, escape="\\"),
                sa.func.lower(CustomerAccount.name).like(term, escape="\\"),
            )
        )
    page = Page.fetch(
        session,
        query.order_by(*order),
        EstimateRead,
        offset=offset,
        limit=limit,  # type: ignore[attr-defined]
        small=account_id is not None,
    )
    return _with_totals(session, staff, page)


def _with_totals(session: Session, staff: StaffActor, page: Page[EstimateRead]) -> Page[EstimateRead]:
    """The page's estimates with their current version's amounts: one query for the whole page."""
    ids = [e.id for e in page.items]
    if not ids:
        return page
    rows = session.exec(
        select(EstimateVersion)
        .join(
            Estimate,
            sa.and_(
                col(Estimate.id) == col(EstimateVersion.estimate_id),
                col(Estimate.current_version) == col(EstimateVersion.version),
            ),
        )
        .where(
            col(EstimateVersion.workspace_id) == staff.workspace_id, col(EstimateVersion.estimate_id).in_(ids)
        )
    ).all()
    amounts = {
        v.estimate_id: {
            "subtotal_minor": v.subtotal_minor,
            "tax_minor": v.tax_minor,
            "total_minor": v.total_minor,
            "cost_minor": v.cost_minor,
            "customer_notes": v.customer_notes,
        }
        for v in rows
    }
    items = [e.model_copy(update=amounts.get(e.id, {})) for e in page.items]
    return page.model_copy(update={"items": items})


def _waiting() -> sa.ColumnElement[bool]:
    """An estimate waiting for the customer's decision: shared (current version) and not past its validity."""
    return sa.and_(
        col(Estimate.status) == EstimateStatus.SHARED,
        sa.or_(col(Estimate.valid_until).is_(None), col(Estimate.valid_until) >= today()),
    )


def _portal_page(session: Session, query: Any, *, offset: int, limit: int) -> Page[PortalEstimate]:
    """One page of portal estimates with their current version's totals: one joined query that also counts the
    whole list (one account's estimates: a short list); a second only for a page past the end."""
    limit = max(1, min(int(limit), MAX_PAGE_SIZE))
    offset = max(0, int(offset))
    joined = query.join(
        EstimateVersion,
        sa.and_(
            col(EstimateVersion.estimate_id) == col(Estimate.id),
            col(EstimateVersion.version) == col(Estimate.current_version),
        ),
    ).add_columns(
        EstimateVersion.subtotal_minor,
        EstimateVersion.tax_minor,
        EstimateVersion.total_minor,
        sa.func.count().over(),
    )
    rows = session.execute(joined.offset(offset).limit(limit)).all()
    items = [
        PortalEstimate.model_validate(est).model_copy(
            update={"subtotal_minor": sub, "tax_minor": tax, "total_minor": tot}
        )
        for est, sub, tax, tot, _ in rows
    ]
    if rows:
        total = int(rows[0][-1])
    elif offset:
        total = int(session.scalar(select(sa.func.count()).select_from(query.order_by(None).subquery())) or 0)
    else:
        total = 0
    return Page(items=items, total=total, offset=offset, limit=limit)


def portal_list_estimates(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25, waiting_first: bool = False
) -> Page[PortalEstimate]:
    """The contact's account's shared estimates (never drafts) with totals, newest first.

    Scoped to the contact's account and operations permission (``NotFound`` otherwise). ``waiting_first`` puts
    the ones waiting for the contact's decision on top.
    """
    if not isinstance(actor, ContactActor):
        raise NotFound()
    query = scoped_select(actor, Estimate)
    order: list[Any] = [col(Estimate.updated_at).desc(), col(Estimate.id).desc()]
    if waiting_first:
        order.insert(0, sa.case((_waiting(), 0), else_=1))
    return _portal_page(session, query.order_by(*order), offset=offset, limit=limit)


def portal_waiting_estimates(session: Session, actor: Actor, *, limit: int = 3) -> Page[PortalEstimate]:
    """The estimates waiting for the contact's decision, nearest validity date first (undated last).

    Scoped to the contact's account and operations permission (``NotFound`` otherwise); ``total`` counts all
    of them, ``items`` holds at most ``limit``.
    """
    contact = require_contact(actor, ContactPermission.OPERATIONS)
    query = (
        scoped_select(contact, Estimate)
        .where(_waiting())
        .order_by(col(Estimate.valid_until).is_(None), col(Estimate.valid_until), col(Estimate.id))
    )
    return _portal_page(session, query, offset=0, limit=limit)


def _line_key(line: PortalLine) -> str:
    return " ".join(line.description.split()).casefold()


def diff_lines(before: list[PortalLine], after: list[PortalLine]) -> list[PortalLineChange]:
    """Lines added, removed or changed (quantity, price or tax) from ``before`` to ``after``, matched by
    description; unchanged lines are left out. Added and changed lines in ``after``'s order, then removed ones."""
    pool: dict[str, list[PortalLine]] = {}
    for line in before:
        pool.setdefault(_line_key(line), []).append(line)
    out: list[PortalLineChange] = []
    for line in after:
        same = pool.get(_line_key(line))
        if not same:
            out.append(PortalLineChange(change="added", description=line.description, after=line))
            continue
        old = same.pop(0)
        if (old.quantity, old.unit_price_minor, old.tax_rate_bp) != (
            line.quantity,
            line.unit_price_minor,
            line.tax_rate_bp,
        ):
            out.append(
                PortalLineChange(change="changed", description=line.description, before=old, after=line)
            )
    for rest in pool.values():
        out.extend(
            PortalLineChange(change="removed", description=old.description, before=old) for old in rest
        )
    return out


def portal_version_changes(session: Session, actor: Actor, estimate_id: int) -> PortalVersionChanges | None:
    """What the current version of a re-issued estimate changed against the version before it (every earlier
    version was shared: re-issuing shares at once). ``None`` for a first version.

    Scoped like ``portal_get_estimate`` (the contact's account, operations permission, never drafts:
    ``NotFound`` otherwise). Customer-facing fields only: no costs.
    """
    if not isinstance(actor, ContactActor):
        raise NotFound()
    est = get_scoped(session, actor, Estimate, estimate_id)
    if est.current_version <= 1:
        return None
    versions = session.exec(
        select(EstimateVersion).where(
            EstimateVersion.estimate_id == est.id,
            col(EstimateVersion.version).in_([est.current_version - 1, est.current_version]),
        )
    ).all()
    by_number = {v.version: v for v in versions}
    prev, cur = by_number.get(est.current_version - 1), by_number.get(est.current_version)
    if prev is None or cur is None:
        return None
    lines = session.exec(
        select(EstimateLine)
        .where(col(EstimateLine.version_id).in_([prev.id, cur.id]))
        .order_by(col(EstimateLine.position))
    ).all()
    before = [PortalLine.model_validate(ln) for ln in lines if ln.version_id == prev.id]
    after = [PortalLine.model_validate(ln) for ln in lines if ln.version_id == cur.id]
    return PortalVersionChanges(
        previous_version=prev.version,
        previous_total_minor=prev.total_minor,
        notes_changed=prev.customer_notes != cur.customer_notes,
        lines=diff_lines(before, after),
    )


def portal_get_estimate(session: Session, actor: Actor, estimate_id: int) -> PortalEstimate:
    if not isinstance(actor, ContactActor):
        raise NotFound()
    return _portal_read(session, get_scoped(session, actor, Estimate, estimate_id))


# -- The staff detail page: versions, what changed, who decided ----------------------------------------------

MAX_VERSIONS_SHOWN = 50


@dataclass(frozen=True)
class VersionSummary:
    version: int
    created_at: datetime
    total_minor: int
    line_count: int


@dataclass(frozen=True)
class LineChange:
    """One difference between the previous and the current version: ``added``, ``removed`` or ``changed``."""

    kind: str
    description: str
    before: EstimateLineRead | None
    after: EstimateLineRead | None


@dataclass(frozen=True)
class EstimateDetail:
    estimate: EstimateRead
    account_name: str
    signature: str  # the name the contact typed to approve ("" otherwise)
    decided_by: str  # the deciding contact's name ("" when undecided)
    versions: list[VersionSummary]  # newest first, at most MAX_VERSIONS_SHOWN
    changes: list[LineChange]  # current version against the previous one; empty for version 1


def _staff_line_key(line: EstimateLineRead) -> str:
    return " ".join(line.description.split()).casefold()


def diff_staff_lines(before: list[EstimateLineRead], after: list[EstimateLineRead]) -> list[LineChange]:
    """Lines matched by description (case and spacing ignored; repeated descriptions in order): a line only in
    ``after`` is added, only in ``before`` removed, in both with another quantity, price, tax rate or cost changed."""
    remaining: dict[str, list[EstimateLineRead]] = {}
    for line in before:
        remaining.setdefault(_staff_line_key(line), []).append(line)
    changes: list[LineChange] = []
    for line in after:
        olds = remaining.get(_staff_line_key(line))
        if not olds:
            changes.append(LineChange("added", line.description, None, line))
            continue
        old = olds.pop(0)
        fields = ("quantity", "unit_price_minor", "tax_rate_bp", "unit_cost_minor")
        if any(getattr(old, f) != getattr(line, f) for f in fields):
            changes.append(LineChange("changed", line.description, old, line))
    for olds in remaining.values():
        changes.extend(LineChange("removed", old.description, old, None) for old in olds)
    return changes


def get_estimate_detail(session: Session, actor: Actor, estimate_id: int) -> EstimateDetail:
    """Everything the staff detail page shows: the current version, the version history (newest first, bounded),
    the line differences from the previous version, the account's name and the customer's decision.

    Scoped to the actor's workspace (``estimates:read``); ``NotFound`` for a missing estimate and for another
    workspace's alike. A constant number of queries whatever the number of versions.
    """
    staff = require_staff(actor, Permission.ESTIMATES_READ)
    est = get_scoped(session, staff, Estimate, estimate_id)
    current = _staff_read(session, est)
    account = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.id == est.account_id, CustomerAccount.workspace_id == staff.workspace_id
        )
    ).one()
    line_count = (
        select(sa.func.count())
        .where(col(EstimateLine.version_id) == col(EstimateVersion.id))
        .correlate(EstimateVersion)
        .scalar_subquery()
    )
    rows = session.exec(
        select(EstimateVersion, line_count)
        .where(
            EstimateVersion.workspace_id == staff.workspace_id,
            EstimateVersion.estimate_id == est.id,
        )
        .order_by(col(EstimateVersion.version).desc())
        .limit(MAX_VERSIONS_SHOWN)
    ).all()
    versions = [VersionSummary(v.version, v.created_at, v.total_minor, int(n or 0)) for v, n in rows]
    changes: list[LineChange] = []
    previous = next((v for v, _ in rows if v.version == est.current_version - 1), None)
    if previous is not None:
        old_lines = session.exec(
            select(EstimateLine)
            .where(EstimateLine.version_id == previous.id, EstimateLine.workspace_id == staff.workspace_id)
            .order_by(col(EstimateLine.position))
        ).all()
        changes = diff_staff_lines([EstimateLineRead.model_validate(ln) for ln in old_lines], current.lines)
    decided_by = ""
    if est.decided_by_contact_id is not None:
        contact = session.exec(
            select(Contact).where(
                Contact.id == est.decided_by_contact_id, Contact.workspace_id == staff.workspace_id
            )
        ).first()
        decided_by = contact.name if contact else ""
    return EstimateDetail(
        estimate=current,
        account_name=account.name,
        signature=est.signature,
        decided_by=decided_by,
        versions=versions,
        changes=changes,
    )


def account_names(session: Session, actor: Actor, account_ids: list[int]) -> dict[int, str]:
    """Names of the actor's workspace's accounts among ``account_ids`` (at most 100; others are left out).

    For list pages that show the account beside each row: one query for the whole page.
    """
    staff = require_staff(actor, Permission.ESTIMATES_READ)
    ids = sorted({i for i in account_ids if isinstance(i, int)})[:100]
    if not ids:
        return {}
    rows = session.exec(
        select(CustomerAccount).where(
            CustomerAccount.workspace_id == staff.workspace_id,
            col(CustomerAccount.id).in_(ids),
        )
    ).all()
    return {a.id: a.name for a in rows if a.id is not None}
