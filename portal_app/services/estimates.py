"""Estimates: draft → shared → approved / declined / changes requested / expired; re-issue makes a new version.

Contacts decide only on a shared, current, unexpired version. Decisions use a conditional UPDATE, so concurrent
approvals of one estimate yield exactly one decision, one follow-up task and one audit event.
"""

from __future__ import annotations

from datetime import UTC, date, datetime

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import (
    CustomerAccount,
    Estimate,
    EstimateLine,
    EstimateStatus,
    EstimateVersion,
    utcnow,
)
from models.portal import PortalEstimate, PortalLine
from models.schemas import EstimateLineRead, EstimateRead, Page
from portal_app.services import audit, tasks
from portal_app.services.access import (
    Actor,
    ContactActor,
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
    )
    session.commit()
    return _staff_read(session, est)


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
    )
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
    )
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


def list_estimates(
    session: Session,
    actor: Actor,
    *,
    account_id: int | None = None,
    status: EstimateStatus | None = None,
    offset: int = 0,
    limit: int = 25,
) -> Page[EstimateRead]:
    """One page of the workspace's estimates, newest first (headers only, no lines)."""
    staff = require_staff(actor, Permission.ESTIMATES_READ)
    query = scoped_select(staff, Estimate)
    if account_id is not None:
        query = query.where(Estimate.account_id == account_id)
    if status is not None:
        query = query.where(Estimate.status == status)
    return Page.fetch(
        session,
        query.order_by(col(Estimate.updated_at).desc(), col(Estimate.id).desc()),
        EstimateRead,
        offset=offset,
        limit=limit,  # type: ignore[attr-defined]
    )


def portal_list_estimates(
    session: Session, actor: Actor, *, offset: int = 0, limit: int = 25
) -> Page[PortalEstimate]:
    """The contact's account's shared estimates (never drafts), newest first."""
    if not isinstance(actor, ContactActor):
        raise NotFound()
    query = scoped_select(actor, Estimate).order_by(col(Estimate.updated_at).desc(), col(Estimate.id).desc())
    return Page.fetch(session, query, PortalEstimate, offset=offset, limit=limit)


def portal_get_estimate(session: Session, actor: Actor, estimate_id: int) -> PortalEstimate:
    if not isinstance(actor, ContactActor):
        raise NotFound()
    return _portal_read(session, get_scoped(session, actor, Estimate, estimate_id))
