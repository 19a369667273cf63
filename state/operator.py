"""Platform operator area (``/operator``): workspaces as counts and states, suspend and reinstate with a reason.

Operators never see workspace records; non-operators see only the sign-in gate and receive no data.
"""

from __future__ import annotations

import dataclasses
from typing import Any

import reflex as rx
from sqlmodel import Session

from portal_app.services import operators
from portal_app.services.access import OperatorActor
from state.base import BaseState, Events, event
from state.mixins import ListMixin
from state.pages import OperatorPage


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


class OperatorState(OperatorPage, ListMixin, BaseState):
    rows: list[WorkspaceRow] = []

    # The suspend / reinstate dialog.
    dialog_open: bool = False
    dialog_workspace_id: int = 0
    dialog_workspace_name: str = ""
    dialog_suspend: bool = True
    reason: str = ""

    def _fetch(self, session: Session, actor: OperatorActor) -> Events:
        page = operators.list_workspaces(session, actor, offset=self.offset, limit=self.PAGE_SIZE)
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
        self._clamp_offset()
        return None

    @event
    def open_dialog(self, workspace_id: Any, suspend: bool) -> None:
        # Only a row this operator was shown can be opened; the service checks the operator again on confirm.
        row = next((r for r in self.rows if str(r.id) == str(workspace_id)), None)
        if row is None or self.gate != "ready":
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

        def run(session: Session, actor: OperatorActor) -> Events:
            if self.dialog_suspend:
                operators.suspend_workspace(session, actor, self.dialog_workspace_id, reason=reason)
                done = f"{self.dialog_workspace_name} suspended."
            else:
                operators.reinstate_workspace(session, actor, self.dialog_workspace_id, reason=reason)
                done = f"{self.dialog_workspace_name} reinstated."
            self.dialog_open = False
            self.reason = ""
            self._fetch(session, actor)
            return rx.toast.success(done)

        return self._act(run)
