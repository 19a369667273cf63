"""Operating-system notifications ("New message from Acme Ltd") for the desktop window.

Linux (and other freedesktop systems): the ``org.freedesktop.Notifications`` service on the session D-Bus, spoken
to with jeepney (pure Python). macOS and Windows: not implemented yet, ``notify`` returns False there; the window
then relies on its own in-page notices.

A notification is a nicety: ``notify`` never raises and never blocks longer than ``timeout``. Without a session bus
(a CI runner, an SSH session) or without a notification daemon it returns False and logs one debug line.
"""

from __future__ import annotations

import html
import logging
import os
import sys
import threading
import time
import unicodedata

log = logging.getLogger(__name__)

MAX_TITLE = 120
MAX_BODY = 500
MAX_APP_NAME = 64
BUS_NAME = "org.freedesktop.Notifications"
OBJECT_PATH = "/org/freedesktop/Notifications"
INTERFACE = "org.freedesktop.Notifications"

# Bidirectional overrides and isolates can make text read differently from what it is ("Trojan Source").
_BIDI_CONTROLS = frozenset("\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def clean_text(text: str, limit: int, *, keep_newlines: bool = False) -> str:
    """``text`` without control characters, bidi overrides or lone surrogates, cut to ``limit`` characters (an
    ellipsis marks a cut). Tabs become spaces; newlines stay only with ``keep_newlines``."""
    out: list[str] = []
    for ch in text.replace("\r\n", "\n"):
        if ch == "\n" and keep_newlines:
            out.append(ch)
        elif ch in "\t\n\r":
            out.append(" ")
        elif unicodedata.category(ch) in ("Cc", "Cs") or ch in _BIDI_CONTROLS:
            continue
        else:
            out.append(ch)
    cleaned = "".join(out).strip()
    if len(cleaned) > limit:
        cleaned = cleaned[: limit - 1].rstrip() + "…"
    return cleaned


def _supported_platform() -> bool:
    return sys.platform not in ("win32", "darwin", "cygwin")


def notify(title: str, body: str, *, app_name: str = "Customer Portal", timeout: float = 2.0) -> bool:
    """Show an OS notification: True if the notification service accepted it, else False. Never raises."""
    if not _supported_platform():
        return False
    if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
        log.debug("No desktop notification: no session bus")
        return False
    message = (
        clean_text(app_name, MAX_APP_NAME),
        clean_text(title, MAX_TITLE),
        clean_text(body, MAX_BODY, keep_newlines=True),
    )
    outcome: list[bool] = []
    finished = threading.Event()

    def run() -> None:
        try:
            outcome.append(_send(*message, deadline=time.monotonic() + timeout))
        except Exception as exc:  # jeepney, socket and authentication errors alike; never a traceback
            log.debug("No desktop notification: %s: %s", type(exc).__name__, exc)
            outcome.append(False)
        finally:
            finished.set()

    # A worker thread, so that even a bus that accepts the connection and then stays silent cannot hold the caller
    # beyond the timeout (jeepney's opening handshake has no time limit of its own).
    threading.Thread(target=run, name="desktop-notify", daemon=True).start()
    if not finished.wait(timeout):
        log.debug("No desktop notification: the notification service did not answer in %.1f s", timeout)
        return False
    return outcome[0]


def _send(app_name: str, title: str, body: str, *, deadline: float) -> bool:
    from jeepney import DBusAddress, HeaderFields, MessageType, new_method_call
    from jeepney.io.blocking import open_dbus_connection

    def remaining() -> float:
        return max(0.01, deadline - time.monotonic())

    service = DBusAddress(OBJECT_PATH, bus_name=BUS_NAME, interface=INTERFACE)
    with open_dbus_connection(bus="SESSION", auth_timeout=remaining()) as conn:
        caps = conn.send_and_get_reply(new_method_call(service, "GetCapabilities"), timeout=remaining())
        if caps.header.message_type is MessageType.error:
            log.debug("No desktop notification: %s", caps.header.fields.get(HeaderFields.error_name))
            return False
        # Such servers read the body as a small HTML subset; ours is plain text.
        if "body-markup" in (caps.body[0] if caps.body else []):
            body = html.escape(body, quote=False)
        # No icon, no actions, no hints; the server's own display time (-1).
        args: tuple[object, ...] = (app_name, 0, "", title, body, [], {}, -1)
        call = new_method_call(service, "Notify", "susssasa{sv}i", args)
        reply = conn.send_and_get_reply(call, timeout=remaining())
        if reply.header.message_type is MessageType.error:
            log.debug("No desktop notification: %s", reply.header.fields.get(HeaderFields.error_name))
            return False
        return True
