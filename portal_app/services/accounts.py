"""Customer accounts."""

from __future__ import annotations

import re

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col

from models import CustomerAccount, Membership
from models.portal import PortalAccount
from models.schemas import AccountRead, Page
from portal_app.services import audit
from portal_app.services.access import Actor, ContactActor, get_scoped, require_staff, scoped_select
from portal_app.services.errors import Conflict, NotFound, ValidationFailed
from portal_app.services.permissions import Permission

CODE_RE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,31}$")
CURRENCY_RE = re.compile(r"^[A-Z]{3}$")


def _clean(name: str, code: str, currency: str, terms: int) -> tuple[str, str, str]:
    name = " ".join(name.split())
    if not 1 <= len(name) <= 200:
        raise ValidationFailed("The account name must be 1-200 characters.")
    code = code.strip().upper()
    if not CODE_RE.match(code):
        raise ValidationFailed("The account code must be 1-32 letters, digits or hyphens.")
    currency = currency.strip().upper()
    if not CURRENCY_RE.match(currency):
        raise ValidationFailed("The currency must be a three-letter code such as USD.")
    if not 0 <= terms <= 365:
        raise ValidationFailed("Payment terms must be 0-365 days.")
    return name, code, currency


def create_account(
    session: Session,
    actor: Actor,
    *,
    name: str,
    code: str,
    currency: str = "USD",
    billing_email: str = "",
    payment_terms_days: int = 30,
    internal_notes: str = "",
) -> AccountRead:
    """Create a customer account in the actor's workspace. ``Conflict`` when the code is taken."""
    staff = require_staff(actor, Permission.ACCOUNTS_MANAGE)
    name, code, currency = _clean(name, code, currency, payment_terms_days)
    acct = CustomerAccount(
        workspace_id=staff.workspace_id,
        name=name,
        code=code,
        currency=currency,
        billing_email=billing_email.strip()[:320],
        payment_terms_days=payment_terms_days,
        internal_notes=internal_notes[:4000],
    )
    try:
        session.add(acct)
        session.flush()
    except IntegrityError as exc:
        session.rollback()
        raise Conflict("Another account already uses that code.") from exc
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="account.created",
        target_type="account",
        target_id=acct.id,
        data={"code": code},
        account_id=acct.id,
    )
    session.commit()
    return AccountRead.model_validate(acct)


def update_account(
    session: Session,
    actor: Actor,
    account_id: int,
    *,
    name: str,
    billing_email: str,
    payment_terms_days: int,
    internal_notes: str,
) -> AccountRead:
    staff = require_staff(actor, Permission.ACCOUNTS_MANAGE)
    acct = get_scoped(session, staff, CustomerAccount, account_id, change=True, lock=True)
    name, _, _ = _clean(name, acct.code, acct.currency, payment_terms_days)
    acct.name = name
    acct.billing_email = billing_email.strip()[:320]
    acct.payment_terms_days = payment_terms_days
    acct.internal_notes = internal_notes[:4000]
    session.add(acct)
    audit.append_event(
        session,
        workspace_id=staff.workspace_id,
        actor=staff,
        action="account.updated",
        target_type="account",
        target_id=acct.id,
        account_id=acct.id,
    )
    session.commit()
    return AccountRead.model_validate(acct)


def set_account_owner(
    session: Session, actor: Actor, account_id: int, owner_user_id: int | None
) -> AccountRead:
    """Name the member who looks after the account (``None``: nobody). They hear about its customer actions and
    its conversations count as theirs. Staff with ``accounts:manage``; the owner must be a member of this
    workspace (``ValidationFailed`` otherwise, without saying whether the user exists). Audited."""
    staff = require_staff(actor, Permission.ACCOUNTS_MANAGE)
    account = get_scoped(session, staff, CustomerAccount, account_id, change=True, lock=True)
    if owner_user_id is not None:
        member = session.scalar(
            sa.select(col(Membership.id)).where(
                col(Membership.workspace_id) == staff.workspace_id, col(Membership.user_id) == owner_user_id
            )
        )
        if member is None:
            raise ValidationFailed("Choose a member of this workspace.")
    if account.owner_user_id != owner_user_id:
        previous = account.owner_user_id
        account.owner_user_id = owner_user_id
        session.add(account)
        audit.append_event(
            session,
            workspace_id=staff.workspace_id,
            actor=staff,
            action="account.owner_changed",
            target_type="customer_account",
            target_id=account.id,
            data={"from": previous, "to": owner_user_id},
            account_id=account.id,
        )
    session.commit()
    return AccountRead.model_validate(account)


def get_account(session: Session, actor: Actor, account_id: int) -> AccountRead:
    return AccountRead.model_validate(get_scoped(session, actor, CustomerAccount, account_id))


def list_accounts(
    session: Session,
    actor: Actor,
    *,
    search: str = "",
    include_archived: bool = False,
    offset: int = 0,
    limit: int = 25,
) -> Page[AccountRead]:
    """One page of the workspace's accounts by name (``accounts:read``), optionally those whose name or code
    contains ``search`` (case-insensitive, literal). Scoped to the actor's workspace; ``Forbidden`` for others."""
    staff = require_staff(actor, Permission.ACCOUNTS_READ)
    query = scoped_select(staff, CustomerAccount)
    if not include_archived:
        query = query.where(CustomerAccount.archived == sa.false())
    if search.strip():
        # The text is matched literally: ``%`` and ``_`` typed by the user are characters, not wildcards.
        text = search.strip()[:100].lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        term = f"%{text}%"
        query = query.where(
            sa.or_(
                sa.func.lower(CustomerAccount.name).like(term, escape="\\"),
                sa.func.lower(CustomerAccount.code).like(term, escape="\\"),
            )
        )
    return Page.fetch(
        session,
        query.order_by(col(CustomerAccount.name), col(CustomerAccount.id)),
        AccountRead,
        offset=offset,
        limit=limit,  # type: ignore[arg-type]
    )


def portal_get_account(session: Session, actor: ContactActor) -> PortalAccount:
    """The contact's current account, as the portal shows it."""
    if not isinstance(actor, ContactActor):
        raise NotFound()
    return PortalAccount.model_validate(get_scoped(session, actor, CustomerAccount, actor.account_id))
