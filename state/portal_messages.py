"""Contact messages: the conversations of the account (``/portal/messages``, unread counts, "New message") and
one conversation (``/portal/messages/[id]``: the team's and the account's messages, never the team's internal
notes, a reply box with an optional file).

Posting is a customer action (message + follow-up task + audit event, one transaction, the form's idempotency
key). A chosen file follows the posted message: the browser sends it to the authenticated attachment route
(``assets/portal_upload.js``), which checks the thread and the message again; the file waits for the team's review.
The thread is always the one this tab loaded (``_watch_id``, a backend var); the services re-check scope.
"""

from __future__ import annotations

import dataclasses
import json
from typing import Any, ClassVar

import reflex as rx
from sqlmodel import Session

from portal_app import formatting, routes
from portal_app.services import messages
from portal_app.services.access import ContactActor
from portal_app.services.permissions import ContactPermission
from portal_app.settings import get_settings
from state.base import Events, event
from state.mixins import DetailMixin, FormMixin, ListMixin
from state.pages import ContactArea, ContactPage
from state.portal import team_phrase
from state.threads import LiveThreadMixin, MessageRow, portal_rows

ATTACH_FILE_ID = "message-file"
ATTACH_PROGRESS_ID = "message-file-progress"
ANSWER_MAX = 500  # what is shown of the upload route's answer (it arrives from the browser)
PORTAL_SOURCES = {
    "estimate": routes.PORTAL_ESTIMATES,
    "invoice": routes.PORTAL_INVOICES,
    "approval": routes.PORTAL_APPROVALS,
    "document_request": routes.PORTAL_DOCUMENTS,
    "delivery": routes.PORTAL_DELIVERIES,
}


@dataclasses.dataclass
class PortalThreadItem:
    href: str = ""
    subject: str = ""
    about: str = ""
    preview: str = ""
    when: str = ""
    exact: str = ""
    unread: int = 0
    unread_label: str = ""  # "2 unread" for the badge's accessible text


def _about(kind: str, label: str) -> str:
    if not kind or not label:
        return ""
    return f"{messages.SOURCE_WORDS.get(kind, kind)} {label}"


class PortalMessagesState(ContactPage, ListMixin, FormMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.MESSAGES

    rows: rx.Field[list[PortalThreadItem]] = rx.field([])
    new_open: rx.Field[bool] = rx.field(False)

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        page = self._fetch_page(
            lambda offset: messages.portal_list_inbox(session, actor, offset=offset, limit=self.PAGE_SIZE)
        )
        self.rows = [
            PortalThreadItem(
                href=routes.record_url(routes.PORTAL_MESSAGES, t.id),
                subject=t.subject,
                about=_about(t.source_type, t.source_label),
                preview=t.preview,
                when=formatting.relative(t.last_message_at),
                exact=formatting.exact(t.last_message_at),
                unread=t.unread,
                unread_label=f"{t.unread} unread" if t.unread else "",
            )
            for t in page.items
        ]
        return None

    @event
    def set_new_open(self, value: bool) -> None:
        self.new_open = bool(value)
        if self.new_open:
            self._new_form()

    @event
    def start(self, form: dict[str, Any]) -> Events:
        self.errors = {}
        form = form if isinstance(form, dict) else {}
        subject = self._text(form, "subject", label="a subject", required=True, max_len=messages.SUBJECT_MAX)
        body = self._text(form, "message", label="your message", required=True, max_len=messages.BODY_MAX)
        if not self._valid():
            return None

        def work(session: Session, actor: ContactActor) -> Events:
            thread = messages.portal_start_thread(
                session, actor, subject=subject, body=body, idempotency_key=self._key()
            )
            self.new_open = False
            self._new_form()
            return [
                rx.toast.success(f"Message sent. {team_phrase(self.team_name)} will answer here."),
                rx.redirect(routes.record_url(routes.PORTAL_MESSAGES, thread.id)),
            ]

        return self._act(work)


class PortalThreadState(ContactPage, DetailMixin, FormMixin, LiveThreadMixin, ContactArea):
    NEED: ClassVar[ContactPermission | None] = ContactPermission.MESSAGES
    WATCH_BASE: ClassVar[str] = routes.PORTAL_MESSAGES

    subject: rx.Field[str] = rx.field("")
    about: rx.Field[str] = rx.field("")
    about_href: rx.Field[str] = rx.field("")
    rows: rx.Field[list[MessageRow]] = rx.field([])
    earlier: rx.Field[int] = rx.field(0)
    limit_label: rx.Field[str] = rx.field("")

    def _fetch(self, session: Session, actor: ContactActor) -> Events:
        view = messages.portal_read_thread(session, actor, self._record_id())
        t = view.thread
        if t.id != self._watch_id:
            self._new_form()
        self.subject = t.subject
        self.about = _about(t.source_type, view.source_label)
        base = PORTAL_SOURCES.get(t.source_type, "")
        # A link only to a record the contact may see (it has a label only then).
        self.about_href = routes.record_url(base, t.source_id) if base and t.source_id and self.about else ""
        self.rows = portal_rows(view, self.team_name)
        self.earlier = view.earlier
        self.limit_label = formatting.file_size(get_settings().upload_max_bytes)
        self._watch_id = t.id
        self._watch_marker = messages.view_marker(view) or messages.thread_marker(session, actor, t.id)
        return None

    def _refresh_thread(self, session: Session, actor: ContactActor) -> Events:
        return self._fetch(session, actor)

    @event
    def send(self, form: dict[str, Any]) -> Events:
        """Post the message; then, if a file was chosen, have the browser attach it to that message."""
        self.errors = {}
        body = self._text(form, "message", label="your message", required=True, max_len=messages.BODY_MAX)
        if not self._valid() or not self._watch_id:
            return None

        def work(session: Session, actor: ContactActor) -> Events:
            sent = messages.portal_post_message(
                session, actor, self._watch_id, body=body, idempotency_key=self._key()
            )
            upload_key = self._key() + "-file"
            self._new_form()
            self._fetch(session, actor)
            return [rx.set_value("thread-message", ""), self._attach(sent.id, upload_key)]

        return self._act(work)

    def _attach(self, message_id: int, key: str) -> Events:
        options = {
            "url": routes.file_url(routes.FILES_UPLOAD_ATTACHMENT, self._watch_id),
            "inputId": ATTACH_FILE_ID,
            "progressId": ATTACH_PROGRESS_ID,
            "key": key,
            "params": {"message_id": message_id},
            "maxBytes": get_settings().upload_max_bytes,
            "maxLabel": formatting.file_size(get_settings().upload_max_bytes),
            "notFoundMessage": "This conversation is no longer available to you. Reload the page.",
        }
        nothing = {"ok": True, "message": "", "none": True}
        unavailable = {"ok": False, "field": "", "message": "The page is still loading."}
        script = (
            f"(function(){{var f=document.getElementById({json.dumps(ATTACH_FILE_ID)});"
            f"if(!f||!f.files||!f.files.length){{return Promise.resolve({json.dumps(nothing)});}}"
            f"return window.portalUpload ? window.portalUpload({json.dumps(options)}) "
            f": Promise.resolve({json.dumps(unavailable)});}})()"
        )
        self.submitting = True
        return rx.call_script(script, callback=PortalThreadState.file_sent)

    @event
    def file_sent(self, result: Any) -> Events:
        """The attachment route's answer as the browser hands it back: shown, never trusted for anything else."""
        self.submitting = False
        team = team_phrase(self.team_name)
        ok = result.get("ok") if isinstance(result, dict) else None
        message = result.get("message") if isinstance(result, dict) else None
        if not isinstance(ok, bool) or not isinstance(message, str):
            return rx.toast.error("Your message was sent, but the file could not be. Please try again.")
        if not ok:
            self._fail("file", " ".join(message.split())[:ANSWER_MAX] or "The file was not accepted.")
            return rx.toast.error(
                "Your message was sent, but not the file: see the message under the file field."
            )
        if result.get("none") is True:
            return rx.toast.success(f"Message sent. {team} will answer here.")
        return [
            rx.set_value(ATTACH_FILE_ID, ""),
            rx.toast.success(f"Message and file sent. {team} will answer here."),
            PortalThreadState.reload_thread,
        ]

    @event
    def reload_thread(self) -> Events:
        """The thread this tab loaded, again (after a file was attached): never another one."""
        if not self._watch_id:
            return None
        return self._act(self._fetch)


__all__ = [
    "ATTACH_FILE_ID",
    "ATTACH_PROGRESS_ID",
    "PortalMessagesState",
    "PortalThreadItem",
    "PortalThreadState",
]
