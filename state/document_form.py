"""Staff form for a new document request (``/app/documents/new``): the account, a title, the checklist (rows
added and removed on the server, each named ``item-<key>``), instructions for the contact, a due date and an
internal note. Saving asks the account's contacts with the documents permission (they are notified)."""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app import routes
from portal_app.services import document_requests as docs
from portal_app.services.access import StaffActor
from portal_app.services.errors import ValidationFailed
from portal_app.services.permissions import Permission
from state.base import Events, event
from state.inputs import InputError, parse_day
from state.mixins import FormMixin
from state.pages import StaffArea, StaffPage, SwitchOption

ITEM_MAX = docs.ITEM_MAX
ITEMS_MAX = docs.ITEMS_MAX
TEXT_MAX = docs.TEXT_MAX


@dataclasses.dataclass
class ItemDraft:
    key: str = ""
    label: str = ""
    error: str = ""


class DocumentFormState(StaffPage, FormMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.DOCUMENTS_MANAGE

    account_choices: list[SwitchOption] = []
    account_id: str = ""
    title: str = ""
    items: list[ItemDraft] = []
    description: str = ""
    due_on: str = ""
    internal_notes: str = ""
    today_iso: str = ""
    _next_item: int = 0
    _done_id: int = 0

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        self._new_form()
        self._done_id = 0
        self.account_choices = [
            SwitchOption(id=str(i), label=name) for i, name in docs.account_choices(session, actor)
        ]
        only = self.account_choices[0].id if len(self.account_choices) == 1 else ""
        wanted = str(self.router.page.params.get("account", "") or "")  # ?account=<id> from an account page
        self.account_id = wanted if any(a.id == wanted for a in self.account_choices) else only
        self.title = self.description = self.due_on = self.internal_notes = ""
        self._next_item = 0
        self.items = [self._new_item()]
        self.today_iso = docs.today().isoformat()
        return None

    def _new_item(self, label: str = "") -> ItemDraft:
        self._next_item += 1
        return ItemDraft(key=f"i{self._next_item}", label=label)

    # -- editing the checklist (each handler checks the actor: any client can call any of them) ---------------

    @event
    def add_item(self) -> Events:
        def work(session: object, actor: object) -> Events:
            if len(self.items) < ITEMS_MAX:
                self.items = [*self.items, self._new_item()]
            return None

        return self._act(work)

    @event
    def remove_item(self, key: str) -> Events:
        def work(session: object, actor: object) -> Events:
            if len(self.items) > 1:
                self.items = [i for i in self.items if i.key != key]
            return None

        return self._act(work)

    @event
    def set_item(self, key: str, value: str) -> Events:
        """An item's field left (blur): keep what was typed, so adding or removing rows keeps it."""

        def work(session: object, actor: object) -> Events:
            if not isinstance(value, str):
                return None
            self.items = [
                dataclasses.replace(i, label=value[: ITEM_MAX + 1]) if i.key == key else i for i in self.items
            ]
            return None

        return self._act(work)

    @event
    def choose_account(self, value: str) -> Events:
        def work(session: object, actor: object) -> Events:
            if any(a.id == value for a in self.account_choices):
                self.account_id = value
                self.errors = {k: v for k, v in self.errors.items() if k != "account_id"}
            return None

        return self._act(work)

    # -- saving ------------------------------------------------------------------------------------------------

    def _take(self, form: dict[str, Any]) -> list[str]:
        """Keep everything typed (an error shows the form as it was sent) and check the checklist row by row."""

        def text(name: str, current: str, limit: int) -> str:
            raw = form.get(name)
            return raw[: limit + 1] if isinstance(raw, str) else current

        self.title = text("title", self.title, docs.TITLE_MAX)
        self.description = text("description", self.description, TEXT_MAX)
        self.due_on = text("due_on", self.due_on, 20)
        self.internal_notes = text("internal_notes", self.internal_notes, TEXT_MAX)
        labels: list[str] = []
        seen: set[str] = set()
        rows = []
        for row in self.items:
            label = " ".join(text(f"item-{row.key}", row.label, ITEM_MAX).split())
            error = ""
            if not label:
                error = "Say which document you need, or remove this item."
            elif len(label) > ITEM_MAX:
                error = f"Keep each item to {ITEM_MAX} characters or fewer."
            elif label.casefold() in seen:
                error = "This item is already on the list: make each item different."
            seen.add(label.casefold())
            labels.append(label)
            rows.append(ItemDraft(key=row.key, label=label, error=error))
        self.items = rows
        if any(r.error for r in rows):
            self._fail("items", "Check the highlighted items.")
        return labels

    @event
    def submit(self, form: dict[str, Any]) -> Events:
        if not isinstance(form, dict):
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            if self._done_id:  # a second click or a retried event: the first save already happened
                return rx.redirect(routes.record_url(routes.STAFF_DOCUMENTS, self._done_id))
            self.errors = {}
            labels = self._take(form)
            chosen = next((a for a in self.account_choices if a.id == str(form.get("account_id", ""))), None)
            if chosen is None:
                self._fail("account_id", "Choose the customer account to ask.")
            else:
                self.account_id = chosen.id
            self._text(form, "title", label="a title", required=True, max_len=docs.TITLE_MAX)
            self._text(form, "description", label="the instructions", max_len=TEXT_MAX)
            self._text(form, "internal_notes", label="the internal note", max_len=TEXT_MAX)
            try:
                due_on = parse_day(self.due_on, not_before=docs.today())
            except InputError as exc:
                due_on = None
                self._fail("due_on", exc.message)
            if not self._valid() or chosen is None:
                return rx.toast.error("Check the highlighted fields: nothing was sent yet.")
            self.submitting = True
            try:
                saved = docs.create_document_request(
                    session,
                    actor,
                    int(chosen.id),
                    title=self.title,
                    items=labels,
                    description=self.description.strip(),
                    due_on=due_on,
                    internal_notes=self.internal_notes.strip(),
                )
            except ValidationFailed as exc:
                self._fail("items" if "item" in exc.message.lower() else "title", exc.message)
                return rx.toast.error(exc.message)
            finally:
                self.submitting = False
            self._done_id = saved.id
            count = len(labels)
            return [
                rx.toast.success(
                    f"Request sent to {chosen.label}: {count} {'item' if count == 1 else 'items'}. Their contacts "
                    "with document access can upload the files in the portal."
                ),
                rx.redirect(routes.record_url(routes.STAFF_DOCUMENTS, saved.id)),
            ]

        return self._act(work)

    @rx.var
    def can_add_item(self) -> bool:
        return len(self.items) < ITEMS_MAX

    @rx.var
    def can_remove_item(self) -> bool:
        return len(self.items) > 1


__all__ = ["DocumentFormState", "ItemDraft"]
