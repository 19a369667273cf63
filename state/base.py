"""Shared session logic for every page state.

The actor is resolved from the HttpOnly session cookie on every call (``_principal``), never cached in state: a
removed member, a changed role, a deactivated contact or a suspended workspace takes effect on the next event.
Public (non-underscore) vars hold display data only; the cookie header never leaves the router data, and it is
never stored: ``state.at_rest`` keeps it out of the pickled state and ``_token`` reads the live connection's.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, TypeVarTuple

import reflex as rx
from reflex.event import EventSpec
from sqlmodel import Session

from models import SessionKind
from portal_app.api.cookies import token_from_cookie_header
from portal_app.db import session_scope
from portal_app.services import accounts, members, sessions, workspaces
from portal_app.services.access import ContactActor, OperatorActor, StaffActor
from portal_app.services.errors import DomainError, NotFound
from portal_app.services.sessions import Principal
from state import at_rest

at_rest.install()

# What a handler returns: nothing, a client event (toast, redirect, script), another handler, or a list of those.
Events = Any

if TYPE_CHECKING:
    from reflex_base.event import EventCallback

    _Args = TypeVarTuple("_Args")

    def event(func: Callable[[Any, *_Args], Any]) -> EventCallback[*_Args]:
        """``rx.event`` as mypy should see it: a handler referenced on the class is an event callback."""
        ...
else:
    event = rx.event

GENERIC_ERROR = "Something went wrong. Please try again."


def full_reload(path: str) -> EventSpec:
    """Navigate with a real page load, so the event websocket reconnects and carries the current cookie.

    ``rx.redirect`` to a same-site path navigates inside the single-page app and keeps the old websocket, whose
    cookie header was captured at its handshake.
    """
    return rx.call_script(f"window.location.assign({json.dumps(path)})")


class BaseState(rx.State):
    """Parent of every page state. Its public vars feed the header (who is signed in), display only."""

    viewer_kind: str = ""  # "", "staff", "contact", "operator"
    viewer_name: str = ""
    viewer_context: str = ""  # workspace or account name, shown beside the name

    # -- identity ---------------------------------------------------------------------------------------------

    def _token(self) -> str | None:
        """The session token from the Cookie header of the connection this event came on.

        The header is never stored with the state (``state.at_rest``), so it is read from the event being processed;
        a state built without an event (tests) uses its own router data.
        """
        live = at_rest.live_cookie()
        return token_from_cookie_header(self.router.headers.cookie if live is None else live)

    @contextmanager
    def _db(self) -> Iterator[Session]:
        with session_scope() as session:
            yield session

    def _principal(self, session: Session | None = None) -> Principal | None:
        """The session's principal, re-resolved from the database on every call."""
        if session is None:
            with self._db() as own:
                return sessions.resolve(own, self._token())
        return sessions.resolve(session, self._token())

    def _staff(self, session: Session | None = None) -> StaffActor | None:
        principal = self._principal(session)
        return principal.actor if principal and isinstance(principal.actor, StaffActor) else None

    def _contact(self, session: Session | None = None) -> ContactActor | None:
        principal = self._principal(session)
        return principal.actor if principal and isinstance(principal.actor, ContactActor) else None

    def _operator(self, session: Session | None = None) -> OperatorActor | None:
        principal = self._principal(session)
        return principal.actor if principal and isinstance(principal.actor, OperatorActor) else None

    def _set_viewer(self, principal: Principal | None, *, name: str = "", context: str = "") -> None:
        """Header display: what kind of session this is and a name to show. Nothing that identifies it."""
        if principal is None:
            self.viewer_kind, self.viewer_name, self.viewer_context = "", "", ""
            return
        self.viewer_kind = {
            SessionKind.STAFF: "staff",
            SessionKind.CONTACT: "contact",
            SessionKind.OPERATOR: "operator",
        }[principal.kind]
        self.viewer_name = name
        self.viewer_context = context

    @event
    def load_viewer(self) -> None:
        """For pages without their own state (the landing page): just the header's signed-in display."""
        principal: Principal | None = None
        name, context = "Signed in", ""
        try:
            with self._db() as session:
                principal = self._principal(session)
                actor = principal.actor if principal else None
                if isinstance(actor, StaffActor):
                    mine = [m for m in members.list_members(session, actor) if m.id == actor.membership_id]
                    name = (mine[0].name or mine[0].email) if mine else name
                    context = workspaces.get_workspace(session, actor).name
                elif isinstance(actor, ContactActor):
                    name, context = accounts.portal_get_account(session, actor).name, "Customer portal"
                elif isinstance(actor, OperatorActor):
                    name, context = actor.email, "Platform"
        except DomainError:
            # Includes Unavailable: a public page still renders, showing the visitor as signed out.
            pass
        self._set_viewer(principal, name=name, context=context)

    # -- errors -----------------------------------------------------------------------------------------------

    def _refused(self, exc: DomainError, *, reload: Any) -> Events:
        """A domain error as the user sees it: always a toast with its user-safe message.

        ``NotFound`` means the record or the actor's access is gone (removed, deactivated, suspended, signed
        out): the page's loader runs again, re-resolves the session and drops to the sign-in gate if the actor
        is gone, or refreshes the data if only the record is.
        """
        if isinstance(exc, NotFound):
            return [rx.toast.error(exc.message), reload]
        return rx.toast.error(exc.message)


def parse_id(value: Any) -> int | None:
    """A browser-supplied id (argument, form value or route parameter) as a positive int, or None.

    It is only a handle: the services re-check scope and answer ``NotFound`` for anything not the actor's.
    """
    if isinstance(value, bool):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        return None
    return number if 0 < number < 2**63 else None
