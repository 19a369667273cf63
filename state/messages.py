"""Staff messages: the inbox (``/app/messages``: unanswered first, filters account / mine / unanswered, unread
markers) with "New conversation", and one thread (``/app/messages/[id]``) with replies and internal notes.

A reply goes to the customer (and closes the follow-up tasks their messages raised); an internal note stays with
the team. Every handler re-resolves the actor; the thread is always the one in the route, checked by the service.
"""

from __future__ import annotations

import dataclasses
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app import formatting, routes
from portal_app.services import messages
from portal_app.services.access import StaffActor
from portal_app.services.permissions import Permission, role_has
from state.base import Events, event, parse_id
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import StaffArea, StaffPage, SwitchOption
from state.tasks import account_choices
from state.threads import LiveThreadMixin, MessageRow, staff_rows

REPLY_MODES = ("reply", "note")
SOURCE_BASES = {
    "estimate": routes.STAFF_ESTIMATES,
    "invoice": routes.STAFF_INVOICES,
    "approval": routes.STAFF_APPROVALS,
    "document_request": routes.STAFF_DOCUMENTS,
    "delivery": routes.STAFF_DELIVERIES,
}


def source_text(kind: str, label: str, record_id: int | None) -> str:
    """ "Invoice INV-0042", "" for a thread about the account in general."""
    if not kind:
        return ""
    word = messages.SOURCE_WORDS.get(kind, kind.replace("_", " ").capitalize())
    return f"{word} {label or f'#{record_id}'}"


@dataclasses.dataclass
class InboxItem:
    id: int = 0
    href: str = ""
    subject: str = ""
    account: str = ""
    about: str = ""
    preview: str = ""
    last_author: str = ""
    when: str = ""
    exact: str = ""
    waiting: bool = False  # the customer wrote last
    unread: bool = False


class MessagesInboxState(StaffPage, ListMixin, FormMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.MESSAGES_READ
    FILTERS: ClassVar[dict[str, tuple[str, ...]]] = {
        "account": ("all",),
        "who": ("all", "mine"),
        "state": ("all", "unanswered"),
    }
    ID_FILTERS: ClassVar[tuple[str, ...]] = ("account",)

    rows: list[InboxItem] = []
    account_choices: list[SwitchOption] = []
    can_send: bool = False
    new_open: bool = False

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        page = self._fetch_page(
            lambda offset: messages.list_inbox(
                session,
                actor,
                account_id=self._filter_id("account"),
                mine=self._filter("who") == "mine",
                unanswered=self._filter("state") == "unanswered",
                offset=offset,
                limit=self.PAGE_SIZE,
            )
        )
        self.rows = [
            InboxItem(
                id=r.id,
                href=routes.record_url(routes.STAFF_MESSAGES, r.id),
                subject=r.subject,
                account=r.account_name,
                about=source_text(r.source_type, r.source_label, r.source_id),
                preview=r.preview,
                last_author=r.last_author,
                when=formatting.relative(r.last_message_at),
                exact=formatting.exact(r.last_message_at),
                waiting=r.last_from_customer,
                unread=r.unread,
            )
            for r in page.items
        ]
        self.account_choices = account_choices(session, actor)
        self.can_send = role_has(actor.role, Permission.MESSAGES_SEND)
        return None

    @event
    def set_new_open(self, value: bool) -> None:
        self.new_open = bool(value)
        if self.new_open:
            self._new_form()

    @event
    def start(self, form: dict[str, Any]) -> Events:
        """Start a conversation with an account (chosen from the workspace's, checked again by the service)."""
        self.errors = {}
        form = form if isinstance(form, dict) else {}
        account_id = parse_id(form.get("account"))
        if account_id is None:
            self._fail("account", "Choose the account to write to.")
        subject = self._text(form, "subject", label="a subject", required=True, max_len=messages.SUBJECT_MAX)
        body = self._text(form, "message", label="your message", required=True, max_len=messages.BODY_MAX)
        if not self._valid() or account_id is None:
            return None

        def work(session: Session, actor: StaffActor) -> Events:
            thread = messages.start_thread(session, actor, account_id, subject=subject, body=body)
            self.new_open = False
            return [
                rx.toast.success("Conversation started. The account's contacts see it in their portal."),
                rx.redirect(routes.record_url(routes.STAFF_MESSAGES, thread.id)),
            ]

        return self._act(work)


class MessageThreadState(StaffPage, DetailMixin, FormMixin, LiveThreadMixin, StaffArea):
    NEED: ClassVar[Permission | None] = Permission.MESSAGES_READ
    WATCH_BASE: ClassVar[str] = routes.STAFF_MESSAGES

    subject: str = ""
    account_name: str = ""
    account_href: str = ""
    about: str = ""
    about_href: str = ""
    started: str = ""
    rows: list[MessageRow] = []
    earlier: int = 0
    can_send: bool = False
    mode: str = "reply"

    def _fetch(self, session: Session, actor: StaffActor) -> Events:
        thread_id = self._record_id()
        view = messages.read_thread(session, actor, thread_id)
        t = view.thread
        if t.id != self._watch_id:
            self._new_form()
            self.mode = "reply"
        self.subject = t.subject
        self.account_name = view.account_name
        self.account_href = routes.record_url(routes.STAFF_ACCOUNTS, t.account_id)
        self.about = source_text(t.source_type, view.source_label, t.source_id)
        base = SOURCE_BASES.get(t.source_type, "")
        self.about_href = routes.record_url(base, t.source_id) if base and t.source_id else ""
        self.started = formatting.day(t.created_at)
        self.rows = staff_rows(view)
        self.earlier = view.earlier
        self.can_send = role_has(actor.role, Permission.MESSAGES_SEND)
        self._watch_id = t.id
        self._watch_marker = messages.view_marker(view) or messages.thread_marker(session, actor, t.id)
        return None

    def _refresh_thread(self, session: Session, actor: StaffActor) -> Events:
        return self._fetch(session, actor)

    @event
    def set_mode(self, value: Any) -> None:
        self.mode = value if value in REPLY_MODES else "reply"

    @event
    def send(self, form: dict[str, Any]) -> Events:
        self.errors = {}
        form = form if isinstance(form, dict) else {}
        mode = form.get("mode", self.mode)
        if mode not in REPLY_MODES:
            self._fail("mode", "Choose a reply to the customer or an internal note.")
        body = self._text(form, "message", label="your message", required=True, max_len=messages.BODY_MAX)
        if not self._valid():
            return None
        internal = mode == "note"

        def work(session: Session, actor: StaffActor) -> Events:
            messages.post_staff_message(session, actor, self._record_id(), body=body, internal=internal)
            self._fetch(session, actor)
            self.mode = "reply"
            done = (
                "Internal note added. Only your team sees it."
                if internal
                else f"Reply sent. {self.account_name}'s contacts see it in their portal; "
                "the follow-up tasks of their messages are done."
            )
            return [rx.set_value("thread-message", ""), rx.toast.success(done)]

        return self._act(work)


__all__ = ["InboxItem", "MessageThreadState", "MessagesInboxState", "source_text"]
