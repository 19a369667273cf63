"""Page states: the gate, the shell and one error policy for every staff and contact page.

A page state is ``class XState(StaffPage, ListMixin, StaffArea)`` (or ``ContactPage``/``ContactArea``): the
``StaffPage``/``ContactPage`` mixin gives it ``gate`` and ``load``; the area parent holds what the shell shows (who
acts, in which role or for which account, and the navigation), filled on every page load. A page only writes
``_fetch(session, actor)``: call services, assign display rows. Handlers use ``self._act(work)``: the actor is
re-resolved from the session cookie on every event, a domain error becomes a toast, ``NotFound`` reloads the page
through the gate.

Gates: ``loading`` until the first load answers, ``signed_out``, ``no_access`` (signed in but this page is not for
this actor: another kind of session, a role or contact permission without this area), ``not_found`` (a detail
page's record is missing or not the actor's: the same answer either way), ``ready``.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import TYPE_CHECKING, ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app import routes
from portal_app.services import accounts, members, portal_access, workspaces
from portal_app.services.access import ContactActor, StaffActor, log_authorization_failure
from portal_app.services.errors import DomainError, NotFound
from portal_app.services.permissions import ROLE_LABELS, ContactPermission, Permission, role_has
from portal_app.services.sessions import Principal
from state.base import BaseState, Events, event

GATE_LOADING = "loading"
GATE_SIGNED_OUT = "signed_out"
GATE_NO_ACCESS = "no_access"
GATE_NOT_FOUND = "not_found"
GATE_READY = "ready"


@dataclasses.dataclass
class NavItem:
    label: str
    href: str
    group: str
    icon: str
    active: bool = False


@dataclasses.dataclass
class SwitchOption:
    id: str
    label: str


# The staff navigation, in order: (label, route, group, icon, permission needed). Filtered per member.
STAFF_NAV: tuple[tuple[str, str, str, str, Permission | None], ...] = (
    ("Home", routes.STAFF, "Work", "house", None),
    ("Tasks", routes.STAFF_TASKS, "Work", "list-checks", Permission.TASKS_READ),
    ("Accounts", routes.STAFF_ACCOUNTS, "Customers", "building-2", Permission.ACCOUNTS_READ),
    ("Estimates", routes.STAFF_ESTIMATES, "Records", "file-text", Permission.ESTIMATES_READ),
    ("Approvals", routes.STAFF_APPROVALS, "Records", "badge-check", Permission.APPROVALS_READ),
    ("Settings", routes.STAFF_SETTINGS, "Workspace", "settings", Permission.MEMBERS_READ),
)

# The portal navigation: (label, route, icon, contact permission needed).
PORTAL_NAV: tuple[tuple[str, str, str, ContactPermission | None], ...] = (
    ("Home", routes.PORTAL, "house", None),
    ("Estimates", routes.PORTAL_ESTIMATES, "file-text", ContactPermission.OPERATIONS),
    ("Approvals", routes.PORTAL_APPROVALS, "badge-check", ContactPermission.OPERATIONS),
)


def _active(href: str, path: str) -> bool:
    home = href in (routes.STAFF, routes.PORTAL)
    return path == href if home else path == href or path.startswith(href + "/")


class StaffArea(BaseState):
    """What the staff shell shows on every staff page: small, filled by each page's load."""

    workspace_name: str = ""
    acting_as: str = ""
    current_workspace_id: str = ""
    workspace_options: list[SwitchOption] = []
    nav: list[NavItem] = []

    def _fill_staff_shell(self, session: Session, principal: Principal, actor: StaffActor) -> None:
        ws = workspaces.get_workspace(session, actor)
        mine = workspaces.list_user_workspaces(session, actor.user_id)
        me = next((m for m in members.list_members(session, actor) if m.id == actor.membership_id), None)
        path = self.router.page.path
        self.workspace_name = ws.name
        self.acting_as = ROLE_LABELS[actor.role]
        self.current_workspace_id = str(ws.id)
        self.workspace_options = [SwitchOption(id=str(w.id), label=w.name) for w, _ in mine]
        self.nav = [
            NavItem(label=label, href=href, group=group, icon=icon, active=_active(href, path))
            for label, href, group, icon, need in STAFF_NAV
            if need is None or role_has(actor.role, need)
        ]
        self._set_viewer(principal, name=(me.name or me.email) if me else "", context=ws.name)


class ContactArea(BaseState):
    """What the portal shell shows on every contact page."""

    account_name: str = ""
    current_account_id: str = ""
    account_options: list[SwitchOption] = []
    portal_nav: list[NavItem] = []

    def _fill_contact_shell(self, session: Session, principal: Principal, actor: ContactActor) -> None:
        account = accounts.portal_get_account(session, actor)
        linked = portal_access.list_contact_accounts(session, actor)
        path = self.router.page.path
        self.account_name = account.name
        self.current_account_id = str(account.id)
        self.account_options = [SwitchOption(id=str(a.id), label=a.name) for a in linked]
        self.portal_nav = [
            NavItem(label=label, href=href, group="", icon=icon, active=_active(href, path))
            for label, href, icon, need in PORTAL_NAV
            if need is None or need in actor.permissions
        ]
        self._set_viewer(principal, name=account.name, context="Customer portal")


class _Page(rx.State, mixin=True):
    """Shared by staff and contact pages: the gate and the error policy."""

    gate: str = GATE_LOADING

    if TYPE_CHECKING:  # provided by BaseState and the area parent, which every page state also inherits

        def _db(self) -> AbstractContextManager[Session]: ...
        def _principal(self, session: Session | None = None) -> Principal | None: ...
        def _set_viewer(self, principal: Principal | None, *, name: str = "", context: str = "") -> None: ...
        def _fill_staff_shell(self, session: Session, principal: Principal, actor: StaffActor) -> None: ...
        def _fill_contact_shell(
            self, session: Session, principal: Principal, actor: ContactActor
        ) -> None: ...

    def _close(self, gate: str) -> None:
        """Drop everything the page held (its own vars only) and show ``gate``."""
        self.reset()
        self.gate = gate

    def _policy(self, exc: DomainError, *, loading: bool) -> Events:
        if isinstance(exc, NotFound):
            if loading:
                # The record is missing or not the actor's: the page says so (never which of the two).
                self._close(GATE_NOT_FOUND)
                return None
            return [rx.toast.error(exc.message), type(self).load]  # type: ignore[attr-defined]
        return rx.toast.error(exc.message)


class StaffPage(_Page, mixin=True):
    """A staff page: set ``NEED`` to the permission it requires and write ``_fetch``."""

    NEED: ClassVar[Permission | None] = None

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        return None

    def _resolve_staff(self, session: Session) -> tuple[Principal | None, StaffActor | None, str]:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if not isinstance(actor, StaffActor):
            return principal, None, GATE_NO_ACCESS if principal else GATE_SIGNED_OUT
        if self.NEED is not None and not role_has(actor.role, self.NEED):
            log_authorization_failure("staff", actor.user_id, f"page:{self.NEED.value}", actor.workspace_id)
            return principal, None, GATE_NO_ACCESS
        return principal, actor, GATE_READY

    @event
    def load(self) -> Events:
        try:
            with self._db() as session:
                principal, actor, gate = self._resolve_staff(session)
                if actor is None or principal is None:
                    self._set_viewer(principal, name="Signed in" if principal else "")
                    self._close(gate)
                    return None
                self._fill_staff_shell(session, principal, actor)
                result = self._fetch(session, actor)
                self.gate = GATE_READY
                return result
        except DomainError as exc:
            return self._policy(exc, loading=True)

    def _reload(self) -> Events:
        """Fetch the page's data again for the current actor (after a page move, a filter, an action)."""
        return self._act(self._fetch)

    def _act(self, work: Callable[[Session, StaffActor], Events]) -> Events:
        """Run one action for the current actor: re-resolved now, whatever the page showed."""
        try:
            with self._db() as session:
                _, actor, gate = self._resolve_staff(session)
                if actor is None:
                    self._close(gate)
                    return None
                return work(session, actor)
        except DomainError as exc:
            return self._policy(exc, loading=False)


class ContactPage(_Page, mixin=True):
    """A contact page: set ``NEED`` to the contact permission it requires and write ``_fetch``."""

    NEED: ClassVar[ContactPermission | None] = None

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        return None

    def _resolve_contact(self, session: Session) -> tuple[Principal | None, ContactActor | None, str]:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if not isinstance(actor, ContactActor):
            return principal, None, GATE_NO_ACCESS if principal else GATE_SIGNED_OUT
        if self.NEED is not None and self.NEED not in actor.permissions:
            log_authorization_failure(
                "contact", actor.contact_id, f"page:{self.NEED.value}", actor.workspace_id
            )
            # Same answer as a page that does not exist: an area the contact may not see is not there.
            return principal, None, GATE_NOT_FOUND
        return principal, actor, GATE_READY

    @event
    def load(self) -> Events:
        try:
            with self._db() as session:
                principal, actor, gate = self._resolve_contact(session)
                if actor is None or principal is None:
                    if gate == GATE_NOT_FOUND and principal is not None:
                        self._fill_contact_shell(session, principal, principal.actor)  # type: ignore[arg-type]
                    else:
                        self._set_viewer(principal, name="Signed in" if principal else "")
                    self._close(gate)
                    return None
                self._fill_contact_shell(session, principal, actor)
                result = self._fetch(session, actor)
                self.gate = GATE_READY
                return result
        except DomainError as exc:
            return self._policy(exc, loading=True)

    def _reload(self) -> Events:
        return self._act(self._fetch)

    def _act(self, work: Callable[[Session, ContactActor], Events]) -> Events:
        try:
            with self._db() as session:
                _, actor, gate = self._resolve_contact(session)
                if actor is None:
                    self._close(gate)
                    return None
                return work(session, actor)
        except DomainError as exc:
            return self._policy(exc, loading=False)


def sign_in_target(kind: str, path: str) -> str:
    """Where a gate's sign-in button leads, coming back to ``path`` afterwards."""
    return routes.sign_in_url(kind, next_path=path) if kind == "staff" else routes.PORTAL_SIGN_IN


__all__ = [
    "GATE_LOADING",
    "GATE_NOT_FOUND",
    "GATE_NO_ACCESS",
    "GATE_READY",
    "GATE_SIGNED_OUT",
    "ContactArea",
    "ContactPage",
    "NavItem",
    "StaffArea",
    "StaffPage",
    "SwitchOption",
    "sign_in_target",
]
