"""Contact portal home (``/portal``): the account the contact is looking at and what they may see there."""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx

from portal_app import routes
from portal_app.services import accounts, portal_access, sessions
from portal_app.services.access import ContactActor
from portal_app.services.errors import DomainError
from portal_app.services.permissions import ContactPermission
from state.base import BaseState, Events, event, full_reload


@dataclasses.dataclass
class AccountOption:
    id: str
    name: str


@dataclasses.dataclass
class AreaRow:
    key: str
    title: str
    body: str
    allowed: bool


_AREAS: tuple[tuple[ContactPermission, str, str], ...] = (
    (ContactPermission.BILLING, "Billing", "Invoices, statements and payment proof."),
    (ContactPermission.OPERATIONS, "Operations", "Estimates, approvals and delivery status."),
    (ContactPermission.DOCUMENTS, "Documents", "Document requests and the files you send."),
    (ContactPermission.MESSAGES, "Messages", "Conversations with the team."),
)


class PortalHomeState(BaseState):
    signed_in: bool = False
    loaded: bool = False
    account_name: str = ""
    current_account_id: str = ""
    accounts: list[AccountOption] = []
    areas: list[AreaRow] = []

    @rx.var
    def has_several_accounts(self) -> bool:
        return len(self.accounts) > 1

    @event
    def load(self) -> Events:
        try:
            with self._db() as session:
                principal = self._principal(session)
                actor = principal.actor if principal else None
                if not isinstance(actor, ContactActor):
                    self.reset()
                    self.loaded = True
                    self._set_viewer(None)
                    # Signed out, revoked, or the portal closed: the sign-in page is the way back in.
                    return rx.redirect(routes.PORTAL_SIGN_IN, replace=True)
                account = accounts.portal_get_account(session, actor)
                linked = portal_access.list_contact_accounts(session, actor)
        except DomainError as exc:
            return self._refused(exc, reload=PortalHomeState.load)
        self.signed_in = True
        self.account_name = account.name
        self.current_account_id = str(account.id)
        self.accounts = [AccountOption(id=str(a.id), name=a.name) for a in linked]
        self.areas = [
            AreaRow(key=perm.value, title=title, body=body, allowed=perm in actor.permissions)
            for perm, title, body in _AREAS
        ]
        self._set_viewer(principal, name=account.name, context="Customer portal")
        self.loaded = True
        return None

    @event
    def switch_account(self, account_id: Any) -> Events:
        try:
            target = int(account_id)
        except (TypeError, ValueError):
            return None
        if str(target) == self.current_account_id:
            return None
        try:
            with self._db() as session:
                sessions.switch_account(session, self._token(), target)
        except DomainError as exc:
            return self._refused(exc, reload=PortalHomeState.load)
        return full_reload(routes.PORTAL)
