"""What a contact's answer to a record (an estimate, an approval request) shares: the record's title and status,
whether it is still open and why not, and the flow of an answer.

``class PortalXState(ContactPage, DetailMixin, FormMixin, DecisionMixin, ContactArea)``: ``_fetch`` fills the vars
below and ``_loaded_id`` (the record this tab loaded: a backend var the browser cannot set); the handler reads the
decision with ``_chosen(form, allowed, message)`` and sends it through ``_answer(session, actor, send, done)``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any

import reflex as rx

from portal_app.services.errors import Conflict
from state.base import Events

if TYPE_CHECKING:
    from sqlmodel import Session


class DecisionMixin(rx.State, mixin=True):
    title: rx.Field[str] = rx.field("")
    status: rx.Field[str] = rx.field("")
    color: rx.Field[str] = rx.field("gray")
    decision_note: rx.Field[str] = rx.field("")
    closed_reason: rx.Field[str] = rx.field("")
    open_for_decision: rx.Field[bool] = rx.field(False)
    _loaded_id: int = 0

    if TYPE_CHECKING:
        errors: dict[str, str]

        def _fail(self, name: str, message: str) -> None: ...
        def _new_form(self) -> None: ...
        def _fetch(self, session: Session, actor: Any) -> Events: ...

    def _chosen(self, form: dict[str, Any], allowed: Sequence[str], message: str) -> str | None:
        """The decision the form sends, or None: the record is closed (a second click after the answer went
        through: the page already says so) or the decision is not one of ``allowed`` (then ``message``)."""
        self.errors = {}
        if not self.open_for_decision:
            return None
        decision = form.get("decision") if isinstance(form, dict) else None
        if decision not in allowed:
            self._fail("decision", message)
            return None
        return str(decision)

    def _answer(self, session: Session, actor: Any, send: Callable[[], object], done: str) -> Events:
        """``send()`` the answer; a ``Conflict`` (answered meanwhile, expired, superseded) shows the record as it is
        now and why. Once sent: a new form (a new key), the record again and ``done`` as a toast."""
        try:
            send()
        except Conflict as exc:
            self._fetch(session, actor)
            return rx.toast.error(exc.message)
        self._new_form()
        self._fetch(session, actor)
        return rx.toast.success(done)
