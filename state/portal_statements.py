"""Contact statements (``/portal/statements``): the account's statement for a chosen period with aging, PDF and CSV,
and the statements the team shared with the account.

Always the contact's own account (the one their session is on): no account id ever comes from the browser.
"""

from __future__ import annotations

from typing import ClassVar

from sqlmodel import Session

from portal_app.services import snapshots
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from state.base import Events
from state.mixins import FormMixin
from state.pages import ContactArea, ContactPage
from state.statements import PORTAL_PRESETS, SNAPSHOTS_SHOWN, SnapshotRow, StatementMixin, snapshot_rows


class PortalStatementsState(ContactPage, FormMixin, StatementMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.BILLING
    PERIODS: ClassVar[tuple[tuple[str, str], ...]] = PORTAL_PRESETS
    DEFAULT_PERIOD: ClassVar[str] = "last_3_months"

    shared: list[SnapshotRow] = []
    shared_total: int = 0

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        self._compute(session, actor, actor.account_id)
        page = snapshots.portal_list_snapshots(session, actor, limit=SNAPSHOTS_SHOWN)
        self.shared, self.shared_total = snapshot_rows(page.items), page.total
        return None


__all__ = ["PortalStatementsState"]
