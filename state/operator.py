"""Platform operator area (``/operator``): workspaces as counts and states, suspend and reinstate with a reason.

Operators never see workspace records; non-operators see only the sign-in gate and receive no data.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from portal_app import routes
from portal_app.services import operators
from portal_app.services.access import OperatorActor
from portal_app.services.errors import DomainError
from state.base import BaseState, Events, event

PAGE_SIZE = 20


def _size(num_bytes: int) -> str:
    size = float(num_bytes)
    for unit in ("B", "KB", "MB", "GB"):
        if size < 1024 or unit == "GB":
            return f"{size:.0f} {unit}" if unit == "B" else f"{size:.1f} {unit}"
        size /= 1024
    return f"{size:.1f} TB"


@dataclasses.dataclass
class WorkspaceRow:
    id: int
    name: str
    slug: str
    status: str
    status_reason: str
    portal_enabled: bool
    members: int
    contacts: int
    accounts: int
    storage: str


class OperatorState(BaseState):
    is_operator: bool = False
    loaded: bool = False
    rows: list[WorkspaceRow] = []
    offset: int = 0
    total: int = 0

    # The suspend / reinstate dialog.
    dialog_open: bool = False
    dialog_workspace_id: int = 0
    dialog_workspace_name: str = ""
    dialog_suspend: bool = True
    reason: str = ""

    @rx.var
    def sign_in_href(self) -> str:
        return routes.sign_in_url("operator", routes.OPERATOR)

    @rx.var
    def page_label(self) -> str:
        if not self.total:
            return "No workspaces"
        return f"{self.offset + 1}-{min(self.offset + PAGE_SIZE, self.total)} of {self.total}"

    @rx.var
    def has_prev(self) -> bool:
        return self.offset > 0

    @rx.var
    def has_next(self) -> bool:
        return self.offset + PAGE_SIZE < self.total

    def _load(self, session: Session) -> OperatorActor | None:
        principal = self._principal(session)
        actor = principal.actor if principal else None
        if not isinstance(actor, OperatorActor):
            self.reset()
            self.loaded = True
            self._set_viewer(None if principal is None else principal, name="Signed in" if principal else "")
            return None
        page = operators.list_workspaces(session, actor, offset=self.offset, limit=PAGE_SIZE)
        self.rows = [
            WorkspaceRow(
                id=w.id,
                name=w.name,
                slug=w.slug,
                status=str(w.status.value if hasattr(w.status, "value") else w.status),
                status_reason=w.status_reason,
                portal_enabled=w.portal_enabled,
                members=w.members,
                contacts=w.contacts,
                accounts=w.accounts,
                storage=_size(w.storage_bytes),
            )
            for w in page.items
        ]
        self.total = page.total
        self.is_operator = True
        self.loaded = True
        self._set_viewer(principal, name=actor.email, context="Platform")
        return actor

    @event
    def load(self) -> Events:
        try:
            with self._db() as session:
                self._load(session)
        except DomainError as exc:
            return rx.toast.error(exc.message)
        return None

    @event
    def next_page(self) -> Events:
        self.offset += PAGE_SIZE
        return OperatorState.load

    @event
    def prev_page(self) -> Events:
        self.offset = max(0, self.offset - PAGE_SIZE)
        return OperatorState.load

    @event
    def open_dialog(self, workspace_id: Any, suspend: bool) -> None:
        row = next((r for r in self.rows if str(r.id) == str(workspace_id)), None)
        if row is None or not self.is_operator:
            return
        self.dialog_workspace_id = row.id
        self.dialog_workspace_name = row.name
        self.dialog_suspend = bool(suspend)
        self.reason = ""
        self.dialog_open = True

    @event
    def set_dialog_open(self, value: bool) -> None:
        self.dialog_open = bool(value)

    @event
    def set_reason(self, value: str) -> None:
        self.reason = str(value)[:500]

    @event
    def confirm_status(self) -> Events:
        reason = " ".join(self.reason.split())
        if len(reason) < 5:
            return rx.toast.error("Give a reason of at least 5 characters.")
        try:
            with self._db() as session:
                actor = self._operator(session)
                if actor is None:
                    self._load(session)
                    return rx.toast.error("Operator access is required.")
                if self.dialog_suspend:
                    operators.suspend_workspace(session, actor, self.dialog_workspace_id, reason=reason)
                    done = f"{self.dialog_workspace_name} suspended."
                else:
                    operators.reinstate_workspace(session, actor, self.dialog_workspace_id, reason=reason)
                    done = f"{self.dialog_workspace_name} reinstated."
                self.dialog_open = False
                self.reason = ""
                self._load(session)
        except DomainError as exc:
            return self._refused(exc, reload=OperatorState.load)
        return rx.toast.success(done)
