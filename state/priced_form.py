"""What the estimate and invoice forms share: a priced document for one customer account, new or edited.

``/app/<area>/new`` offers the workspace's accounts (the first 100 by name; the only one is preselected) and
``/app/<area>/[id]/edit`` edits the record the route names. The account a form saves for is one of the options this
tab loaded, looked up again on submit: a value the browser invents is never used. The lines are
``state/line_items.py``'s (``LineItemsMixin``, which holds the currency and the totals).
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Any

import reflex as rx
from sqlmodel import Session

from portal_app.services import accounts
from portal_app.services.access import StaffActor
from portal_app.services.errors import NotFound
from state.base import Events, event, parse_id

if TYPE_CHECKING:
    from collections.abc import Callable

    from portal_app.services.lines import LineInput


@dataclasses.dataclass
class AccountOption:
    id: str
    label: str
    currency: str


class PricedFormMixin(rx.State, mixin=True):
    mode: str = "new"  # intent only ("new", "edit", ...): the services check the record's status again
    number: str = ""
    status_text: str = ""
    account_id: str = ""
    account_name: str = ""
    account_choices: list[AccountOption] = []
    customer_notes: str = ""
    internal_notes: str = ""
    _done_id: int = 0  # the record saved by this form: a second click or a retried event goes there

    if (
        TYPE_CHECKING
    ):  # from FormMixin, LineItemsMixin and the page kit, which every priced form also inherits
        errors: dict[str, str]
        currency: str

        def _act(self, work: Callable[[Session, Any], Events]) -> Events: ...
        def _fail(self, name: str, message: str) -> None: ...
        def _recompute(self, *, show_errors: bool = False) -> list[LineInput] | None: ...

    def _editing_id(self) -> int | None:
        """The route's ``[id]`` on the edit page (untrusted: the services scope it); None on the new page."""
        raw = self.router.page.params.get("id")
        if raw is None:
            return None
        record_id = parse_id(raw)
        if record_id is None:
            raise NotFound()
        return record_id

    def _offer_accounts(self, session: Session, actor: StaffActor) -> None:
        """A new document: the accounts to choose from, the only one already chosen."""
        page = accounts.list_accounts(session, actor, limit=100)
        self.account_choices = [AccountOption(str(a.id), a.name, a.currency) for a in page.items]
        only = self.account_choices[0] if len(self.account_choices) == 1 else None
        self.account_id, self.account_name = (only.id, only.label) if only else ("", "")
        self.currency = only.currency if only else ""

    def _set_account(self, chosen: AccountOption) -> None:
        self.account_id, self.account_name, self.currency = chosen.id, chosen.label, chosen.currency

    def _pick_account(self, form: dict[str, Any], message: str) -> None:
        """On submit of a new document: the account sent must be one of the loaded options (else ``message``)."""
        chosen = next((a for a in self.account_choices if a.id == str(form.get("account_id", ""))), None)
        if chosen is None:
            self._fail("account_id", message)
        else:
            self._set_account(chosen)

    @staticmethod
    def _typed(form: dict[str, Any], name: str, current: str, limit: int) -> str:
        """What was typed in ``name`` (one character over ``limit`` kept, so the error can say so), else ``current``:
        a form with an error shows as it was sent."""
        raw = form.get(name)
        return raw[: limit + 1] if isinstance(raw, str) else current

    @event
    def choose_account(self, value: str) -> Events:
        def work(session: Session, actor: StaffActor) -> Events:
            chosen = next((a for a in self.account_choices if a.id == value), None)
            if self.mode != "new" or chosen is None:
                return None
            self._set_account(chosen)
            self.errors = {k: v for k, v in self.errors.items() if k != "account_id"}
            self._recompute()
            return None

        return self._act(work)
