"""Actors and scoping: the one place where reads and writes are limited to what an actor may reach.

Every tenant-owned lookup is ``(workspace_id, id)``, plus ``account_id`` and contact permissions for contacts.
A record that does not exist and one that is not the actor's raise the same ``NotFound``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar, cast

import sqlalchemy as sa
from sqlmodel import Session, SQLModel, select
from sqlmodel.sql.expression import SelectOfScalar

from models import (
    ApprovalRequest,
    AuditEvent,
    Contact,
    ContactAccess,
    ContactStatus,
    CustomerAccount,
    Delivery,
    DocumentRequest,
    Estimate,
    EstimateStatus,
    FollowUpTask,
    IntakeFile,
    IntakeKind,
    Invoice,
    InvoiceStatus,
    MemberInvitation,
    Membership,
    MessageThread,
    Payment,
    Role,
    User,
    Workspace,
    WorkspaceStatus,
)
from portal_app.services.errors import Forbidden, NotFound
from portal_app.services.permissions import ContactPermission, Permission, role_has

security_log = logging.getLogger("portal.security")

V = TypeVar("V")
T = TypeVar("T", bound=SQLModel)


@dataclass(frozen=True)
class StaffActor:
    user_id: int
    workspace_id: int
    role: Role
    membership_id: int

    kind = "staff"

    @property
    def audit_id(self) -> int:
        return self.user_id


@dataclass(frozen=True)
class ContactActor:
    contact_id: int
    workspace_id: int
    account_id: int
    permissions: frozenset[ContactPermission]

    kind = "contact"

    @property
    def audit_id(self) -> int:
        return self.contact_id


@dataclass(frozen=True)
class OperatorActor:
    """A platform operator: sees workspaces as counts and states, never their records."""

    email: str
    user_id: int | None = None

    kind = "operator"


Actor = StaffActor | ContactActor | OperatorActor


# ---------------------------------------------------------------------------------------------------------------
# Resolving actors. Called on every event and request with ids read from the server-side session, never from input.
# Their statements are built once, with bound parameters: building them cost more than running them.


@functools.cache
def _staff_query() -> Any:
    return (
        # The user too: the staff shell names the member on every page (``members.member_name``) from the map.
        select(Membership, Workspace, User)
        .join(Workspace, Workspace.id == Membership.workspace_id)  # type: ignore[arg-type]
        .join(User, User.id == Membership.user_id)  # type: ignore[arg-type]
        .where(
            Membership.user_id == sa.bindparam("user_id"),
            Membership.workspace_id == sa.bindparam("workspace_id"),
        )
    )


@functools.cache
def _contact_query() -> Any:
    return (
        select(Contact, ContactAccess, Workspace)
        .join(ContactAccess, ContactAccess.contact_id == Contact.id)  # type: ignore[arg-type]
        .join(Workspace, Workspace.id == Contact.workspace_id)  # type: ignore[arg-type]
        .where(
            Contact.id == sa.bindparam("contact_id"), ContactAccess.account_id == sa.bindparam("account_id")
        )
    )


def resolve_staff(session: Session, *, user_id: int, workspace_id: int) -> StaffActor:
    """The member's current role in an active workspace; raises ``NotFound`` when there is none."""
    row = session.exec(_staff_query(), params={"user_id": user_id, "workspace_id": workspace_id}).first()
    if row is None:
        _deny("staff", user_id, "workspace", workspace_id)
        raise NotFound()
    membership, workspace, user = row
    _keep(session, membership, workspace, user)
    if workspace.status is not WorkspaceStatus.ACTIVE:
        _deny("staff", user_id, "workspace-suspended", workspace_id)
        raise NotFound("This workspace is not available.")
    assert membership.id is not None
    return StaffActor(
        user_id=user_id, workspace_id=workspace_id, role=membership.role, membership_id=membership.id
    )


def resolve_contact(session: Session, *, contact_id: int, account_id: int) -> ContactActor:
    """A contact's view of one linked account; refused when the contact, the account link or the portal is off."""
    row = session.exec(_contact_query(), params={"contact_id": contact_id, "account_id": account_id}).first()
    if row is None:
        _deny("contact", contact_id, "account", account_id)
        raise NotFound()
    contact, link, workspace = row
    _keep(session, contact, link, workspace)
    if (
        contact.status is not ContactStatus.ACTIVE
        or workspace.status is not WorkspaceStatus.ACTIVE
        or not workspace.portal_enabled
        or link.workspace_id != contact.workspace_id
    ):
        _deny("contact", contact_id, "portal-closed", account_id)
        raise NotFound("The portal is not available.")
    perms = {ContactPermission.MESSAGES}
    if link.can_billing:
        perms.add(ContactPermission.BILLING)
    if link.can_operations:
        perms.add(ContactPermission.OPERATIONS)
    if link.can_documents:
        perms.add(ContactPermission.DOCUMENTS)
    return ContactActor(
        contact_id=contact_id,
        workspace_id=contact.workspace_id,
        account_id=account_id,
        permissions=frozenset(perms),
    )


# ---------------------------------------------------------------------------------------------------------------
# Permission checks


def _deny(actor_kind: str, actor_id: object, what: str, target: object) -> None:
    security_log.warning(
        "authorization failure",
        extra={"actor_kind": actor_kind, "actor_id": actor_id, "what": what, "target": target},
    )


log_authorization_failure = _deny


def require_staff(actor: Actor, permission: Permission) -> StaffActor:
    """The actor as a staff member holding ``permission``.

    Contacts and operators get ``NotFound`` (staff records do not exist for them); a member whose role lacks the
    permission gets ``Forbidden``.
    """
    if not isinstance(actor, StaffActor):
        _deny(actor.kind, getattr(actor, "audit_id", None), str(permission), None)
        raise NotFound()
    if not role_has(actor.role, permission):
        _deny("staff", actor.user_id, str(permission), actor.workspace_id)
        raise Forbidden()
    return actor


def require_contact(actor: Actor, permission: ContactPermission) -> ContactActor:
    if not isinstance(actor, ContactActor) or permission not in actor.permissions:
        _deny(actor.kind, getattr(actor, "audit_id", None), str(permission), None)
        raise NotFound()
    return actor


# ---------------------------------------------------------------------------------------------------------------
# Record kinds: how each is scoped for staff and, where they may see it, for contacts.


ContactFilter = Callable[[ContactActor], Any]


@dataclass(frozen=True)
class RecordRule:
    model: type[SQLModel]
    staff_read: Permission
    staff_change: Permission
    # None: contacts never see this kind. Otherwise a WHERE clause added to the account scope, or None to hide.
    contact_read: ContactFilter | None = None
    # None: contacts never act on this kind. Otherwise the contact permission their action needs.
    contact_change: ContactPermission | None = None
    account_column: str | None = "account_id"


def _needs(permission: ContactPermission, clause: Callable[[], Any] | None = None) -> ContactFilter:
    def build(actor: ContactActor) -> Any:
        if permission not in actor.permissions:
            return None
        return clause() if clause is not None else sa.true()

    return build


def _intake_filter(actor: ContactActor) -> Any:
    kinds = []
    if ContactPermission.DOCUMENTS in actor.permissions:
        kinds.append(IntakeKind.DOCUMENT)
    if ContactPermission.BILLING in actor.permissions:
        kinds.append(IntakeKind.PAYMENT_PROOF)
    if ContactPermission.MESSAGES in actor.permissions:
        kinds.append(IntakeKind.ATTACHMENT)  # files they attached to their account's messages
    if not kinds:
        return None
    return IntakeFile.kind.in_(kinds)  # type: ignore[attr-defined]


RECORD_RULES: dict[str, RecordRule] = {
    "account": RecordRule(
        CustomerAccount,
        Permission.ACCOUNTS_READ,
        Permission.ACCOUNTS_MANAGE,
        contact_read=_needs(ContactPermission.MESSAGES),
        account_column="id",
    ),
    "contact": RecordRule(Contact, Permission.ACCOUNTS_READ, Permission.CONTACTS_MANAGE, account_column=None),
    "estimate": RecordRule(
        Estimate,
        Permission.ESTIMATES_READ,
        Permission.ESTIMATES_MANAGE,
        contact_read=_needs(ContactPermission.OPERATIONS, lambda: Estimate.status != EstimateStatus.DRAFT),
        contact_change=ContactPermission.OPERATIONS,
    ),
    "invoice": RecordRule(
        Invoice,
        Permission.INVOICES_READ,
        Permission.INVOICES_MANAGE,
        contact_read=_needs(ContactPermission.BILLING, lambda: Invoice.status != InvoiceStatus.DRAFT),
        contact_change=ContactPermission.BILLING,
    ),
    "payment": RecordRule(
        Payment,
        Permission.INVOICES_READ,
        Permission.PAYMENTS_RECORD,
        contact_read=_needs(ContactPermission.BILLING),
    ),
    "approval": RecordRule(
        ApprovalRequest,
        Permission.APPROVALS_READ,
        Permission.APPROVALS_MANAGE,
        contact_read=_needs(ContactPermission.OPERATIONS),
        contact_change=ContactPermission.OPERATIONS,
    ),
    "document_request": RecordRule(
        DocumentRequest,
        Permission.DOCUMENTS_READ,
        Permission.DOCUMENTS_MANAGE,
        contact_read=_needs(ContactPermission.DOCUMENTS),
        contact_change=ContactPermission.DOCUMENTS,
    ),
    "intake_file": RecordRule(
        IntakeFile, Permission.INTAKE_READ, Permission.INTAKE_REVIEW, contact_read=_intake_filter
    ),
    "message_thread": RecordRule(
        MessageThread,
        Permission.MESSAGES_READ,
        Permission.MESSAGES_SEND,
        contact_read=_needs(ContactPermission.MESSAGES),
        contact_change=ContactPermission.MESSAGES,
    ),
    "delivery": RecordRule(
        Delivery,
        Permission.DELIVERIES_READ,
        Permission.DELIVERIES_MANAGE,
        contact_read=_needs(ContactPermission.OPERATIONS, lambda: Delivery.shared == sa.true()),
    ),
    "task": RecordRule(FollowUpTask, Permission.TASKS_READ, Permission.TASKS_MANAGE, account_column=None),
    "audit_event": RecordRule(AuditEvent, Permission.AUDIT_READ, Permission.AUDIT_READ, account_column=None),
    "membership": RecordRule(
        Membership, Permission.MEMBERS_READ, Permission.MEMBERS_MANAGE, account_column=None
    ),
    "member_invitation": RecordRule(
        MemberInvitation, Permission.MEMBERS_READ, Permission.MEMBERS_MANAGE, account_column=None
    ),
}

RULES_BY_MODEL: dict[type[SQLModel], RecordRule] = {rule.model: rule for rule in RECORD_RULES.values()}


def scoped_select(actor: Actor, model: type[T], *, change: bool = False) -> SelectOfScalar[T]:
    """``SELECT model`` limited to what ``actor`` may read (or change). Raises when the actor may reach none of it.

    The part shared by a workspace's members (or by its contacts with the same permissions) is built once and
    kept (the rules depend on nothing else: no clock, no input); a contact's own account is added per call. A
    refusal is never remembered, so it is logged every time. Selects are immutable: callers add to a copy."""
    rule = RULES_BY_MODEL[model]
    if isinstance(actor, StaffActor):
        require_staff(actor, rule.staff_change if change else rule.staff_read)
        return cast("SelectOfScalar[T]", _workspace_select(model, actor.workspace_id))
    if isinstance(actor, ContactActor):
        if rule.contact_read is None or (change and rule.contact_change is None):
            _deny("contact", actor.contact_id, model.__name__, None)
            raise NotFound()
        if change and rule.contact_change not in actor.permissions:
            _deny("contact", actor.contact_id, model.__name__, None)
            raise NotFound()
        shared = _contacts_select(model, actor.workspace_id, actor.permissions)
        if shared is None:
            _deny("contact", actor.contact_id, model.__name__, None)
            raise NotFound()
        assert rule.account_column is not None
        return cast(
            "SelectOfScalar[T]", shared.where(getattr(model, rule.account_column) == actor.account_id)
        )
    _deny("operator", actor.email, model.__name__, None)
    raise NotFound()


# Bounded: one entry per model and workspace (per permission set for contacts) in use, about 2 KiB each.
@functools.lru_cache(maxsize=1024)
def _workspace_select(model: type[SQLModel], workspace_id: int) -> SelectOfScalar[Any]:
    return select(model).where(model.workspace_id == workspace_id)  # type: ignore[attr-defined]


@functools.lru_cache(maxsize=1024)
def _contacts_select(
    model: type[SQLModel], workspace_id: int, permissions: frozenset[ContactPermission]
) -> SelectOfScalar[Any] | None:
    """What the workspace's contacts with these permissions may read of ``model``, before their own account; None
    when they may read none of it. The rules read only the permissions."""
    rule = RULES_BY_MODEL[model]
    assert rule.contact_read is not None
    clause = rule.contact_read(
        ContactActor(contact_id=0, workspace_id=workspace_id, account_id=0, permissions=permissions)
    )
    if clause is None:
        return None
    return select(model).where(model.workspace_id == workspace_id, clause)  # type: ignore[attr-defined]


_READS = "access.scoped_reads"  # session.info: records get_scoped read in this unit of work
_KEPT = "access.kept"  # session.info: the rows an actor was resolved from, held for the unit of work


def _keep(session: Session, *rows: object) -> None:
    """Hold the rows the actor was resolved from for the rest of this session: the identity map only holds weak
    references, so a later ``session.get`` of the same workspace (the shell, branding) would query it again."""
    session.info.setdefault(_KEPT, []).extend(rows)


def _forget_reads(session: Session, *_: Any) -> None:
    session.info.pop(_READS, None)


def _forget_all(session: Session, *_: Any) -> None:
    session.info.pop(_READS, None)
    session.info.pop(_KEPT, None)


def _forget_on_bulk_change(state: Any) -> None:
    if state.is_update or state.is_delete:
        _forget_reads(state.session)


# A remembered read is only good while nothing in the session has written: any flush, bulk UPDATE or DELETE,
# commit or rollback forgets them all. The rows an actor was resolved from are let go at the end of the
# transaction, as the identity map would.
sa.event.listen(Session, "after_flush", _forget_reads)
sa.event.listen(Session, "do_orm_execute", _forget_on_bulk_change)
for _name in ("after_commit", "after_rollback", "after_soft_rollback"):
    sa.event.listen(Session, _name, _forget_all)


def remembered(session: Session, key: Hashable, compute: Callable[[], V]) -> V:
    """``compute()``, once per session until it next writes (the same rule as ``get_scoped``'s reads): for a figure
    the shell and the page both show, such as the unread badge. ``key`` must name the actor."""
    reads = session.info.setdefault(_READS, {})
    if key not in reads:
        reads[key] = compute()
    return cast(V, reads[key])


def get_scoped(
    session: Session,
    actor: Actor,
    model: type[T],
    record_id: int,
    *,
    change: bool = False,
    lock: bool = False,
) -> T:
    """One record by id within the actor's scope; ``NotFound`` for missing and for not-yours alike.

    A read (not ``change``, not ``lock``) is remembered for the session until it next writes: a page load asks
    for the same account from the shell, the page and its lists, and the answer cannot differ in between.
    """
    key = (model, record_id, actor)
    remembered: dict[Any, Any] | None = None
    if not change and not lock:
        remembered = session.info.setdefault(_READS, {})
        if key in remembered:
            return cast(T, remembered[key])
    query = scoped_select(actor, model, change=change).where(model.id == record_id)  # type: ignore[attr-defined]
    if lock:
        query = query.with_for_update()
    row = session.exec(query).first()
    if row is None:
        _deny(
            actor.kind, getattr(actor, "audit_id", getattr(actor, "email", None)), model.__name__, record_id
        )
        raise NotFound()
    if remembered is not None:
        remembered[key] = row
    return row


def remember_scoped(session: Session, actor: Actor, model: type[T], row: T) -> None:
    """Remember ``row``, read by another scoped query of the same unit of work, as ``get_scoped``'s answer for it,
    so the page does not read it again: e.g. the contact's current account among their linked ones. Only a row
    ``scoped_select`` would itself answer to this actor is kept; anything else is ignored (and read again)."""
    rule = RULES_BY_MODEL[model]
    if (
        not isinstance(actor, StaffActor | ContactActor)
        or getattr(row, "workspace_id", None) != actor.workspace_id
    ):
        return
    if isinstance(actor, StaffActor):
        if not role_has(actor.role, rule.staff_read):
            return
    elif isinstance(actor, ContactActor):
        if rule.contact_read is None or rule.account_column is None:
            return
        if _contacts_select(model, actor.workspace_id, actor.permissions) is None:
            return
        if getattr(row, rule.account_column) != actor.account_id:
            return
    session.info.setdefault(_READS, {})[(model, getattr(row, "id", None), actor)] = row


def account_names(session: Session, workspace_id: int, account_ids: Iterable[int]) -> dict[int, str]:
    """Names of the workspace's accounts among ``account_ids`` (those outside it are left out), for callers that
    have already checked the actor may read them. Accounts this session has already read (``get_scoped``) cost
    nothing; one query finds the rest."""
    wanted = {int(i) for i in account_ids}
    names: dict[int, str] = {}
    for key, row in session.info.get(_READS, {}).items():
        if (
            len(key) == 3
            and key[0] is CustomerAccount
            and key[1] in wanted
            and row.workspace_id == workspace_id
        ):
            names[key[1]] = row.name
    rest = wanted - names.keys()
    if rest:
        found = session.exec(
            select(CustomerAccount.id, CustomerAccount.name).where(
                CustomerAccount.workspace_id == workspace_id,
                CustomerAccount.id.in_(rest),  # type: ignore[union-attr]
            )
        )
        names.update({aid: name for aid, name in found if aid is not None})
    return names


def lock_workspace(session: Session, workspace_id: int) -> Workspace:
    """Lock the workspace row for the rest of the transaction (serialises seats and the audit chain). The row is
    read afresh under the lock, never taken as the session already holds it (the chain head moves)."""
    ws = session.exec(
        select(Workspace)
        .where(Workspace.id == workspace_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    ).first()
    if ws is None:
        raise NotFound()
    return ws
