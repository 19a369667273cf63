"""Page states: the gate, the shell and one error policy for every staff and contact page.

A page state is ``class XState(StaffPage, ListMixin, StaffArea)`` (or ``ContactPage``/``ContactArea``): the
``StaffPage``/``ContactPage`` mixin gives it ``gate`` and ``load``; the area parent holds what the shell shows (who
acts, in which role or for which account, and the navigation), filled on every page load. A page only writes
``_fetch(session, actor)``: call services, assign display rows. Handlers use ``self._act(work)``: the actor is
re-resolved from the session cookie on every event, a domain error becomes a toast, ``NotFound`` reloads the page
through the gate.

Gates: ``loading`` until the first load answers, ``signed_out``, ``no_access`` (signed in but this page is not for
this actor: another kind of session, a role or contact permission without this area), ``no_workspace`` (staff only:
signed in with Google but no active membership, e.g. removed or suspended: onboarding is the way on),
``not_found`` (a detail page's record is missing or not the actor's: the same answer either way), ``ready``.
Operator pages (``OperatorPage``) use the same gates without an area parent.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, ClassVar

import reflex as rx
from sqlmodel import Session

from models import SessionKind
from portal_app import routes
from portal_app.palette import DEFAULT_ACCENT
from portal_app.services import (
    accounts,
    badges,
    branding,
    members,
    messages,
    portal_access,
    sessions,
    workspaces,
)
from portal_app.services.access import (
    ContactActor,
    OperatorActor,
    StaffActor,
    log_authorization_failure,
    security_log,
)
from portal_app.services.errors import DomainError, NotFound
from portal_app.services.permissions import ROLE_LABELS, ContactPermission, Permission, role_has
from portal_app.services.sessions import Principal
from state.base import BaseState, Events, event, full_reload, parse_id
from state.mixins import ListMixin

GATE_LOADING = "loading"
GATE_SIGNED_OUT = "signed_out"
GATE_NO_ACCESS = "no_access"
GATE_NO_WORKSPACE = "no_workspace"
GATE_NOT_FOUND = "not_found"
GATE_READY = "ready"


@dataclasses.dataclass
class NavItem:
    label: str
    href: str
    group: str
    icon: str
    active: bool = False
    count: int = 0  # what waits behind the link (unread messages): a badge when more than zero
    count_word: str = "unread"  # how a screen reader says the badge: "Review queue, 3 waiting"


@dataclasses.dataclass
class SwitchOption:
    id: str
    label: str


@dataclasses.dataclass
class RecordRow:
    """What a staff list row shows of any record (display strings only); a record's row adds its own columns. The
    short lists of another page (an account's latest records: state/account_view.py) use it as it is."""

    id: int = 0
    ref: str = ""  # "Task #12", "Approval #4"
    href: str = ""
    title: str = ""
    status: str = ""
    status_label: str = ""
    status_color: str = ""
    detail: str = ""  # a short list's last column (components/records.py): a date, an amount, "due in 5 days"


# The staff navigation, in order: (label, route, group, icon, permission needed). Filtered per member. Home is
# the owner's and managers' command center; team leads and finance reviewers land on their own work instead
# (``/app`` sends them to Tasks / the review queue: state/staff.py), so they have no Home entry.
STAFF_NAV: tuple[tuple[str, str, str, str, Permission | None], ...] = (
    ("Home", routes.STAFF, "Work", "house", Permission.WORKSPACE_MANAGE),
    ("Tasks", routes.STAFF_TASKS, "Work", "list-checks", Permission.TASKS_READ),
    ("Review queue", routes.STAFF_REVIEW, "Work", "inbox", Permission.INTAKE_REVIEW),
    ("Messages", routes.STAFF_MESSAGES, "Work", "messages-square", Permission.MESSAGES_READ),
    ("Accounts", routes.STAFF_ACCOUNTS, "Customers", "building-2", Permission.ACCOUNTS_READ),
    ("Estimates", routes.STAFF_ESTIMATES, "Records", "file-text", Permission.ESTIMATES_READ),
    ("Approvals", routes.STAFF_APPROVALS, "Records", "badge-check", Permission.APPROVALS_READ),
    ("Invoices", routes.STAFF_INVOICES, "Records", "receipt", Permission.INVOICES_READ),
    ("Statements", routes.STAFF_STATEMENTS, "Records", "scroll-text", Permission.STATEMENTS_READ),
    ("Document requests", routes.STAFF_DOCUMENTS, "Records", "folder-open", Permission.DOCUMENTS_READ),
    ("Deliveries", routes.STAFF_DELIVERIES, "Records", "truck", Permission.DELIVERIES_READ),
    ("Audit log", routes.STAFF_AUDIT, "Workspace", "history", Permission.AUDIT_READ),
    ("Settings", routes.STAFF_SETTINGS, "Workspace", "settings", Permission.MEMBERS_READ),
)

# The portal navigation: (label, route, icon, contact permission needed).
PORTAL_NAV: tuple[tuple[str, str, str, ContactPermission | None], ...] = (
    ("Home", routes.PORTAL, "house", None),
    ("Estimates", routes.PORTAL_ESTIMATES, "file-text", ContactPermission.OPERATIONS),
    ("Approvals", routes.PORTAL_APPROVALS, "badge-check", ContactPermission.OPERATIONS),
    ("Invoices", routes.PORTAL_INVOICES, "receipt", ContactPermission.BILLING),
    ("Statements", routes.PORTAL_STATEMENTS, "scroll-text", ContactPermission.BILLING),
    ("Documents", routes.PORTAL_DOCUMENTS, "folder-open", ContactPermission.DOCUMENTS),
    ("Messages", routes.PORTAL_MESSAGES, "messages-square", ContactPermission.MESSAGES),
    ("Deliveries", routes.PORTAL_DELIVERIES, "truck", ContactPermission.OPERATIONS),
)
# The phone's bottom bar groups pages under one tab (label, icon), each page keeping its own URL: six tabs fit
# 390 px where eight labels would run into each other. The tab opens the group's first page the contact may see.
PORTAL_TABS: dict[str, tuple[str, str]] = {
    routes.PORTAL_ESTIMATES: ("Decisions", "badge-check"),
    routes.PORTAL_APPROVALS: ("Decisions", "badge-check"),
    routes.PORTAL_INVOICES: ("Billing", "receipt"),
    routes.PORTAL_STATEMENTS: ("Billing", "receipt"),
}


def portal_tabs(nav: list[NavItem]) -> list[NavItem]:
    """The bottom bar's tabs from the navigation rows: grouped pages become one tab, active when one of them is."""
    tabs: list[NavItem] = []
    for item in nav:
        label, icon = PORTAL_TABS.get(item.href, (item.label, item.icon))
        if tabs and tabs[-1].label == label:
            tabs[-1].active = tabs[-1].active or item.active
            tabs[-1].count += item.count
            continue
        tabs.append(dataclasses.replace(item, label=label, icon=icon))
    return tabs


def portal_group(nav: list[NavItem]) -> list[NavItem]:
    """The pages that share the current page's tab when there are several ("Estimates", "Approvals" under
    Decisions): on a phone the bottom bar opens only the first, so the page shows links to the others."""
    current = next((item for item in nav if item.active), None)
    if current is None or current.href not in PORTAL_TABS:
        return []
    group = PORTAL_TABS[current.href][0]
    pages = [item for item in nav if PORTAL_TABS.get(item.href, ("", ""))[0] == group]
    return pages if len(pages) > 1 else []


def _active(href: str, path: str) -> bool:
    home = href in (routes.STAFF, routes.PORTAL)
    return path == href if home else path == href or path.startswith(href + "/")


def _staff_counts(session: Session, actor: StaffActor) -> dict[str, tuple[int, str]]:
    """What waits for this member behind the Work links, one statement for all: their open tasks, the files waiting
    for review (reviewers only) and the conversations waiting for an answer."""
    found = badges.staff_badges(session, actor)
    counts: dict[str, tuple[int, str]] = {}
    if found.open_tasks is not None:
        counts[routes.STAFF_TASKS] = (found.open_tasks, "open")
    if found.review is not None:
        counts[routes.STAFF_REVIEW] = (found.review, "waiting")
    if found.unanswered is not None:
        counts[routes.STAFF_MESSAGES] = (found.unanswered, "unanswered")
    return counts


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
        path = self.router.url.path  # the browser's path; the nav marks the link it starts with
        self.workspace_name = ws.name
        self.acting_as = ROLE_LABELS[actor.role]
        self.current_workspace_id = str(ws.id)
        self.workspace_options = [SwitchOption(id=str(w.id), label=w.name) for w, _ in mine]
        counts = _staff_counts(session, actor)
        self.nav = [
            NavItem(
                label=label,
                href=href,
                group=group,
                icon=icon,
                active=_active(href, path),
                count=counts.get(href, (0, ""))[0],
                count_word=counts.get(href, (0, "unread"))[1],
            )
            for label, href, group, icon, need in STAFF_NAV
            if need is None or role_has(actor.role, need)
        ]
        self._set_viewer(principal, name=members.member_name(session, actor), context=ws.name)

    @event
    def switch_workspace(self, workspace_id: str) -> Events:
        """The shell's workspace switcher: point this session at another workspace the user belongs to.

        The id is untrusted: ``sessions.switch_workspace`` re-resolves the membership and answers ``NotFound``
        otherwise. A full reload follows so the socket carries the session as it is now; it lands on the staff home,
        since a record open here does not exist in the other workspace.
        """
        target = parse_id(workspace_id)
        if target is None or str(workspace_id) == self.current_workspace_id:
            return None
        try:
            with self._db() as session:
                sessions.switch_workspace(session, self._token(), target)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return full_reload(routes.STAFF)


class ContactArea(BaseState):
    """What the portal shell shows on every contact page."""

    account_name: str = ""
    team_name: str = ""  # the workspace the contact deals with (display name), shown in the portal's top bar
    brand_logo_url: str = ""  # that workspace's public logo URL, "" without one (services/branding.py)
    brand_accent: str = DEFAULT_ACCENT  # its accent colour, a palette name (portal_app/palette.py)
    current_account_id: str = ""
    account_options: list[SwitchOption] = []
    portal_nav: list[NavItem] = []
    portal_tabs: list[NavItem] = []  # the phone's bottom bar (grouped)
    portal_group: list[NavItem] = []  # the other pages of the current page's tab, linked from the page

    def _fill_contact_shell(self, session: Session, principal: Principal, actor: ContactActor) -> None:
        linked = portal_access.list_contact_accounts(session, actor)
        # The current account is one of the linked ones (the session was just resolved through that link).
        account = next((a for a in linked if a.id == actor.account_id), None) or accounts.portal_get_account(
            session, actor
        )
        path = self.router.url.path  # the browser's path; the nav marks the link it starts with
        self.account_name = account.name
        brand = branding.portal_branding(session, actor)  # the contact's own workspace only
        self.team_name = brand.name
        self.brand_logo_url = routes.logo_url(brand.logo_key)
        self.brand_accent = brand.accent
        self.current_account_id = str(account.id)
        self.account_options = [SwitchOption(id=str(a.id), label=a.name) for a in linked]
        unread = messages.portal_unread_count(session, actor)  # one query, for the Messages badge
        self.portal_nav = [
            NavItem(
                label=label,
                href=href,
                group="",
                icon=icon,
                active=_active(href, path),
                count=unread if href == routes.PORTAL_MESSAGES else 0,
            )
            for label, href, icon, need in PORTAL_NAV
            if need is None or need in actor.permissions
        ]
        self.portal_tabs = portal_tabs(self.portal_nav)
        self.portal_group = portal_group(self.portal_nav)
        self._set_viewer(principal, name=account.name, context="Customer portal")

    @event
    def switch_account(self, account_id: str) -> Events:
        """The portal shell's account switcher: point this contact's session at another account they are linked to.

        The id is untrusted: ``sessions.switch_account`` re-resolves the link and answers ``NotFound`` otherwise. A
        full reload to the portal home follows, so the socket carries the session as it is now (a record open here
        belongs to the other account).
        """
        target = parse_id(account_id)
        if target is None or str(target) == self.current_account_id:
            return None
        try:
            with self._db() as session:
                sessions.switch_account(session, self._token(), target)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return full_reload(routes.PORTAL)


class _Page(rx.State, mixin=True):
    """Shared by staff and contact pages: the gate and the error policy."""

    gate: str = GATE_LOADING
    # The gate's sign-in link, back to this page: set when the page closes on a gate. A plain var, not a computed
    # one on the router: every page state's copy would be recomputed and sent to the browser on every navigation.
    sign_in_href: str = ""

    if TYPE_CHECKING:  # provided by BaseState and the area parent, which every page state also inherits

        @contextmanager
        def _db(self) -> Iterator[Session]: ...
        def _token(self) -> str | None: ...
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
        self.sign_in_href = self._sign_in_target()

    def _sign_in_target(self) -> str:
        raise NotImplementedError

    def _policy(self, exc: DomainError, *, loading: bool) -> Events:
        if isinstance(exc, NotFound):
            if loading:
                # The record is missing or not the actor's: the page says so (never which of the two).
                self._close(GATE_NOT_FOUND)
                return None
            return [rx.toast.error(exc.message), type(self).load]  # type: ignore[attr-defined]
        return rx.toast.error(exc.message)

    # Each kind of page says who may see it and what its shell shows; loading and acting are the same for all.

    def _resolve(self, session: Session) -> tuple[Principal | None, Any, str]:
        """(principal, actor or None, gate) for the session on this event."""
        raise NotImplementedError

    def _fill_shell(self, session: Session, principal: Principal, actor: Any) -> None:
        raise NotImplementedError

    def _closed(self, session: Session, principal: Principal | None, gate: str) -> None:
        """Before a gate closes the page on load: the header shows who is signed in, if anyone."""
        self._set_viewer(principal, name="Signed in" if principal else "")

    def _refused_act(self, gate: str) -> Events:
        """What an action answers when the actor can no longer act here (the page shows the gate)."""
        return None

    def _fetch(self, session: Session, actor: Any) -> Events:
        return None

    def _log_refused(self, principal: Principal | None, gate: str, what: str) -> None:
        """Every refusal leaves one line on the security log: who (never a token), which page, which gate."""
        page = f"{type(self).__name__}.{what}"
        if principal is None:
            security_log.info("sign-in required", extra={"what": page, "gate": gate})
            return
        who = principal.user_id if principal.user_id is not None else principal.contact_id
        log_authorization_failure(principal.kind.value, who, page, gate)

    @event
    def load(self) -> Events:
        try:
            with self._db() as session:
                principal, actor, gate = self._resolve(session)
                if actor is None or principal is None:
                    self._log_refused(principal, gate, "load")
                    self._closed(session, principal, gate)
                    self._close(gate)
                    return None
                self._fill_shell(session, principal, actor)
                if isinstance(self, ListMixin):
                    self._filters_from_url()  # a link may open a list filtered: /app/invoices?status=overdue
                result = self._fetch(session, actor)
                self.gate = GATE_READY
                return result
        except DomainError as exc:
            return self._policy(exc, loading=True)

    def _reload(self) -> Events:
        """Fetch the page's data again for the current actor (after a page move, a filter, an action)."""
        return self._act(self._fetch)

    def _act(self, work: Callable[[Session, Any], Events]) -> Events:
        """Run one action for the current actor: re-resolved now, whatever the page showed."""
        try:
            with self._db() as session:
                principal, actor, gate = self._resolve(session)
                if actor is None:
                    self._log_refused(principal, gate, "action")
                    self._close(gate)
                    return self._refused_act(gate)
                return work(session, actor)
        except DomainError as exc:
            return self._policy(exc, loading=False)


class StaffPage(_Page, mixin=True):
    """A staff page: set ``NEED`` to the permission it requires and write ``_fetch(session, actor)``."""

    NEED: ClassVar[Permission | None] = None

    def _sign_in_target(self) -> str:
        """The gate's sign-in link, coming back to this page."""
        return sign_in_target("staff", self.router.url.path or routes.STAFF)

    def _resolve(self, session: Session) -> tuple[Principal | None, StaffActor | None, str]:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if not isinstance(actor, StaffActor):
            if principal is None:
                return None, None, GATE_SIGNED_OUT
            # A staff sign-in without an active workspace (never had one, removed, suspended): onboarding is next.
            return (
                principal,
                None,
                GATE_NO_WORKSPACE if principal.kind is SessionKind.STAFF else GATE_NO_ACCESS,
            )
        if self.NEED is not None and not role_has(actor.role, self.NEED):
            return principal, None, GATE_NO_ACCESS
        return principal, actor, GATE_READY

    def _fill_shell(self, session: Session, principal: Principal, actor: StaffActor) -> None:
        self._fill_staff_shell(session, principal, actor)

    def _refused_act(self, gate: str) -> Events:
        return (
            rx.toast.error("Your access to this workspace has ended.") if gate == GATE_NO_WORKSPACE else None
        )


class ContactPage(_Page, mixin=True):
    """A contact page: set ``NEED`` to the contact permission it requires and write ``_fetch(session, actor)``."""

    NEED: ClassVar[ContactPermission | None] = None

    def _sign_in_target(self) -> str:
        """The gate's sign-in link: the portal sign-in, coming back to this page (a link in a mail lands here)."""
        return sign_in_target("contact", self.router.url.path or routes.PORTAL)

    def _resolve(self, session: Session) -> tuple[Principal | None, ContactActor | None, str]:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if not isinstance(actor, ContactActor):
            return principal, None, GATE_NO_ACCESS if principal else GATE_SIGNED_OUT
        if self.NEED is not None and self.NEED not in actor.permissions:
            # Same answer as a page that does not exist: an area the contact may not see is not there.
            return principal, None, GATE_NOT_FOUND
        return principal, actor, GATE_READY

    def _fill_shell(self, session: Session, principal: Principal, actor: ContactActor) -> None:
        self._fill_contact_shell(session, principal, actor)

    def _closed(self, session: Session, principal: Principal | None, gate: str) -> None:
        if gate == GATE_NOT_FOUND and principal is not None and isinstance(principal.actor, ContactActor):
            self._fill_contact_shell(
                session, principal, principal.actor
            )  # "Not found" inside the portal shell
        else:
            super()._closed(session, principal, gate)


class OperatorPage(_Page, mixin=True):
    """A platform operator page (``class XState(OperatorPage, ListMixin, BaseState)``): write ``_fetch``.

    Anyone but an operator gets ``signed_out`` or ``no_access`` and no data; operators never see workspace records
    (the operators service only answers counts and states).
    """

    def _sign_in_target(self) -> str:
        """The gate's operator sign-in link, coming back to the operator area."""
        return routes.sign_in_url("operator", routes.OPERATOR)

    def _resolve(self, session: Session) -> tuple[Principal | None, OperatorActor | None, str]:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if not isinstance(actor, OperatorActor):
            return principal, None, GATE_NO_ACCESS if principal else GATE_SIGNED_OUT
        return principal, actor, GATE_READY

    def _fill_shell(self, session: Session, principal: Principal, actor: OperatorActor) -> None:
        self._set_viewer(principal, name=actor.email, context="Platform")

    def _refused_act(self, gate: str) -> Events:
        return rx.toast.error("Operator access is required.")


def sign_in_target(kind: str, path: str) -> str:
    """Where a gate's sign-in button leads, coming back to ``path`` afterwards."""
    # Contacts sign in by e-mailed link from the portal's own sign-in page; staff and operators through the provider.
    return (
        routes.sign_in_url(kind, next_path=path)
        if kind in ("staff", "operator")
        else routes.portal_sign_in_url(path)
    )


__all__ = [
    "GATE_LOADING",
    "GATE_NOT_FOUND",
    "GATE_NO_ACCESS",
    "GATE_NO_WORKSPACE",
    "GATE_READY",
    "GATE_SIGNED_OUT",
    "ContactArea",
    "ContactPage",
    "NavItem",
    "OperatorPage",
    "StaffArea",
    "StaffPage",
    "SwitchOption",
    "sign_in_target",
]
