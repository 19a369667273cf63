"""What every conversation view shares: message rows (text only, safe links), the near-live watch of an open
thread, and the thread panel a contact's record page carries (an estimate, an invoice).

Message bodies are the customer's or the team's words exactly as typed: they become ``BodyPart`` runs of plain
text, and only ``http(s)`` addresses become links (``components/thread.py`` renders them with
``rel="noopener noreferrer"``). Nothing is ever rendered as HTML or markdown.

**Near-live** (``LiveThreadMixin``): the thread page's loaders are ``[S.load, S.watch]``. ``watch`` is a
background event: every ``POLL_SECONDS`` it reads one indexed value (``messages.thread_marker``: the thread's
``last_message_at`` for contacts, its newest message time for staff) outside the state lock, and only when it
changed does it take the lock and reload the messages through ``_act`` (the actor re-resolved as for any event).
The session is re-resolved every ``REVERIFY_EVERY`` ticks even without a change, so a revoked contact stops
getting updates within a minute. The loop ends when the client's socket is gone, when the tab shows another page
or thread, when a newer ``watch`` of the same tab started, or after ``WATCH_MAX_SECONDS``. The actor lives only in
the coroutine's locals, never in state.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import secrets
import time
from typing import TYPE_CHECKING, Any, ClassVar

import reflex as rx

from portal_app import formatting, routes
from portal_app.services import messages, sessions
from portal_app.services.access import Actor, ContactActor
from portal_app.services.errors import DomainError
from portal_app.services.messages import AttachmentRead
from portal_app.statuses import status_color, status_label
from state.base import Events, event, parse_id
from state.portal import team_phrase

if TYPE_CHECKING:
    from collections.abc import AsyncIterator, Callable

    from sqlmodel import Session

log = logging.getLogger("portal.live")

# An http(s) address up to the next space or quote; trailing punctuation of the sentence is not part of it.
_URL = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»”’"
PART_MAX = 400  # parts per message: a message of thousands of links stays one text run after that

# How a contact reads an attachment's review state (no internal words).
PORTAL_FILE_STATES = {
    "received": ("Received", "blue"),
    "awaiting_review": ("Received", "blue"),
    "accepted": ("Accepted", "green"),
    "rejected": ("Not accepted", "red"),
}


@dataclasses.dataclass
class BodyPart:
    text: str = ""
    href: str = ""  # set only for an http(s) address


@dataclasses.dataclass
class AttachmentRow:
    name: str = ""
    size: str = ""
    state: str = ""
    color: str = "gray"
    href: str = ""  # staff only: the authenticated download route


@dataclasses.dataclass
class MessageRow:
    id: int = 0
    author: str = ""
    when: str = ""
    exact: str = ""
    internal: bool = False
    from_customer: bool = False
    mine: bool = False
    parts: list[BodyPart] = dataclasses.field(default_factory=list)
    attachments: list[AttachmentRow] = dataclasses.field(default_factory=list)


def body_parts(text: str) -> list[BodyPart]:
    """A message body as runs of text and http(s) links; everything else stays text, character for character."""
    parts: list[BodyPart] = []
    at = 0
    for match in _URL.finditer(text):
        if len(parts) >= PART_MAX:
            break
        url = match.group(0)
        # Sentence punctuation after an address is not part of it; a closing bracket only when unbalanced.
        while url and url[-1] in _TRAILING and not (url[-1] == ")" and url.count("(") >= url.count(")")):
            url = url[:-1]
        start, end = match.start(), match.start() + len(url)
        if len(url) <= len("https://"):
            continue
        if start > at:
            parts.append(BodyPart(text=text[at:start]))
        parts.append(BodyPart(text=url, href=url))
        at = end
    if at < len(text):
        parts.append(BodyPart(text=text[at:]))
    return parts


def _staff_file(a: AttachmentRead) -> AttachmentRow:
    return AttachmentRow(
        name=a.original_name,
        size=formatting.file_size(a.size_bytes),
        state=status_label("intake", a.status.value),
        color=status_color("intake", a.status.value),
        href=routes.file_url(routes.FILES_INTAKE, a.id),
    )


def _portal_file(a: AttachmentRead) -> AttachmentRow:
    state, color = PORTAL_FILE_STATES.get(a.status.value, ("Received", "blue"))
    return AttachmentRow(
        name=a.original_name, size=formatting.file_size(a.size_bytes), state=state, color=color
    )


def staff_rows(view: messages.ThreadView) -> list[MessageRow]:
    return [
        MessageRow(
            id=m.id,
            author=m.author,
            when=formatting.relative(m.created_at),
            exact=formatting.exact(m.created_at),
            internal=m.internal,
            from_customer=m.from_customer,
            parts=body_parts(m.body),
            attachments=[_staff_file(a) for a in m.attachments],
        )
        for m in view.messages
    ]


def portal_rows(view: messages.PortalThreadView, team_name: str) -> list[MessageRow]:
    return [
        MessageRow(
            id=m.id,
            author="You"
            if m.mine
            else (f"{m.author} ({team_phrase(team_name)})" if m.from_team else m.author),
            when=formatting.relative(m.created_at),
            exact=formatting.exact(m.created_at),
            from_customer=not m.from_team,
            mine=m.mine,
            parts=body_parts(m.body),
            attachments=[_portal_file(a) for a in m.attachments],
        )
        for m in view.messages
    ]


# -- near-live ------------------------------------------------------------------------------------------------


async def client_connected(client_token: str) -> bool:
    """Whether the tab's socket is still connected to this app (any worker). Unknown: treat as gone."""
    if not client_token:
        return False
    try:
        from reflex.utils.prerequisites import get_and_validate_app

        namespace = get_and_validate_app().app.event_namespace
        if namespace is None:
            return False
        manager = getattr(namespace, "_token_manager", None)
        if manager is not None:
            return bool(await manager.is_token_connected(client_token))
        return client_token in namespace.token_to_sid
    except Exception:  # noqa: BLE001  no app in this process (tests, scripts): nobody is watching
        return False


def check_marker(
    open_db: Callable[[], Any], token: str | None, thread_id: int, actor: Actor | None, *, verify: bool
) -> tuple[Actor | None, str | None]:
    """One tick of the watch, run outside the state lock: ``(actor, marker)``; ``(None, None)`` when the session
    or the thread is no longer the viewer's. The session is resolved again when ``verify`` (or no actor yet)."""
    try:
        with open_db() as session:
            if verify or actor is None:
                principal = sessions.resolve(session, token)
                actor = principal.actor if principal else None
                if actor is None:
                    return None, None
            marker = messages.thread_marker(session, actor, thread_id)
            session.rollback()
            return actor, marker
    except DomainError:
        return None, None


class LiveThreadMixin(rx.State, mixin=True):
    """An open thread that shows new messages without a reload. The page state sets ``_watch_id`` and
    ``_watch_marker`` in its ``_fetch`` and implements ``_refresh_thread(session, actor)``."""

    POLL_SECONDS: ClassVar[float] = 4.0
    REVERIFY_EVERY: ClassVar[int] = 15  # ticks between session checks when nothing changed (one minute)
    WATCH_MAX_SECONDS: ClassVar[float] = 2 * 3600.0
    WATCH_BASE: ClassVar[str] = ""  # the thread pages' route base, e.g. routes.PORTAL_MESSAGES

    live: bool = False  # a watch is running: the page says "New messages appear here as they arrive"
    _watch_id: int = 0
    _watch_marker: str = ""
    _watch_gen: str = ""

    if TYPE_CHECKING:

        def _act(self, work: Callable[[Session, Any], Events]) -> Events: ...
        def _token(self) -> str | None: ...
        def _db(self) -> Any: ...

    def _refresh_thread(self, session: Session, actor: Any) -> Events:
        raise NotImplementedError

    def _watching(self, gen: str, thread_id: int) -> bool:
        """Still the same watch of the same thread, on its page."""
        return (
            self._watch_gen == gen
            and self._watch_id == thread_id
            and self.router.page.path.startswith(self.WATCH_BASE + "/")
            and parse_id(self.router.page.params.get("id")) == thread_id
        )

    def _apply_marker(self, marker: str) -> Events:
        """A tick's marker: nothing when unchanged; otherwise the thread again, for the actor as they are now."""
        if marker == self._watch_marker:
            return None
        return self._act(self._refresh_thread)

    @rx.event(background=True)
    async def watch(self) -> AsyncIterator[Events]:
        await asyncio.sleep(0.5)  # the page's load (queued before) has filled _watch_id by now
        async with self:
            thread_id = self._watch_id
            if not thread_id:
                return
            gen = self._watch_gen = secrets.token_urlsafe(9)
            client = self.router.session.client_token
            token = self._token()
            self.live = True
        actor: Actor | None = None
        started, tick = time.monotonic(), 0
        try:
            while time.monotonic() - started < self.WATCH_MAX_SECONDS:
                await asyncio.sleep(self.POLL_SECONDS)  # never with the lock held
                if not await client_connected(client):
                    return
                verify = tick % self.REVERIFY_EVERY == 0
                actor, marker = await asyncio.to_thread(
                    check_marker, self._db, token, thread_id, actor, verify=verify
                )
                tick += 1
                async with self:
                    if not self._watching(gen, thread_id):
                        return
                    # Access ended (the page shows its gate) or a new message: the thread again, re-checked.
                    result = self._act(self._refresh_thread) if marker is None else self._apply_marker(marker)
                if result is not None:
                    yield result
                if marker is None:
                    return
        finally:
            try:
                async with self:
                    if self._watch_gen == gen:
                        self.live = False
            except Exception:  # noqa: BLE001  the server is shutting down: nothing left to tell
                log.debug("thread watch ended without a final update")


# -- the thread panel of a contact's record page ---------------------------------------------------------------

PANEL_MESSAGES = 20


class RecordThreadMixin(rx.State, mixin=True):
    """A conversation about the record a contact's page shows. The page's ``_fetch`` calls
    ``self._load_thread(session, actor, kind, record_id, title)``; the panel posts with ``send_about_record``.
    The record is always the one this tab loaded (backend vars); the services check scope again."""

    thread_rows: list[MessageRow] = []
    thread_href: str = ""
    thread_error: str = ""
    thread_earlier: int = 0
    _thread_kind: str = ""
    _thread_record: int = 0
    _thread_title: str = ""
    _thread_key: str = ""

    if TYPE_CHECKING:
        team_name: str

        def _act(self, work: Callable[[Session, Any], Events]) -> Events: ...

    def _load_thread(
        self, session: Session, actor: ContactActor, kind: str, record_id: int, title: str
    ) -> None:
        if (kind, record_id) != (self._thread_kind, self._thread_record) or not self._thread_key:
            self._thread_key = secrets.token_urlsafe(18)
        self._thread_kind, self._thread_record, self._thread_title = kind, record_id, title
        thread = messages.portal_record_thread(session, actor, kind, record_id)
        if thread is None:
            self.thread_rows, self.thread_href, self.thread_earlier = [], "", 0
            return
        view = messages.portal_read_thread(session, actor, thread.id, limit=PANEL_MESSAGES)
        self.thread_rows = portal_rows(view, self.team_name)
        self.thread_earlier = view.earlier
        self.thread_href = routes.record_url(routes.PORTAL_MESSAGES, thread.id)

    @event
    def send_about_record(self, form: dict[str, Any]) -> Events:
        self.thread_error = ""
        raw = form.get("message") if isinstance(form, dict) else None
        body = raw.strip() if isinstance(raw, str) else ""
        if not body:
            self.thread_error = "Write your message first."
            return None
        if len(body) > messages.BODY_MAX:
            self.thread_error = f"Keep the message to {messages.BODY_MAX:,} characters or fewer."
            return None
        if not self._thread_record or not self._thread_kind:
            return None

        def work(session: Session, actor: ContactActor) -> Events:
            messages.portal_message_record(
                session,
                actor,
                self._thread_kind,
                self._thread_record,
                subject=f"About {self._thread_title}"[: messages.SUBJECT_MAX],
                body=body,
                idempotency_key=self._thread_key,
            )
            self._thread_key = secrets.token_urlsafe(18)
            self._load_thread(session, actor, self._thread_kind, self._thread_record, self._thread_title)
            return [
                rx.set_value("record-message", ""),
                rx.toast.success(f"Message sent. {team_phrase(self.team_name)} will answer here."),
            ]

        return self._act(work)


__all__ = [
    "AttachmentRow",
    "BodyPart",
    "LiveThreadMixin",
    "MessageRow",
    "RecordThreadMixin",
    "body_parts",
    "check_marker",
    "client_connected",
    "portal_rows",
    "staff_rows",
]
