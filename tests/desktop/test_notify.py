"""OS notifications over the session D-Bus: quiet failure without a bus or a notification service, and delivery to
a fake notification service (written with jeepney) on a private dbus-daemon."""

from __future__ import annotations

import logging
import os
import queue
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_app.desktop import notify as notify_module
from portal_app.desktop.notify import clean_text, notify

WAIT = 10.0

# -- without a notification service ---------------------------------------------------------------------------


def test_no_session_bus_is_false_with_one_debug_line(
    monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    with caplog.at_level(logging.DEBUG, logger="portal_app.desktop.notify"):
        assert notify("New message", "Acme Ltd wrote to you") is False
    assert [r.levelno for r in caplog.records] == [logging.DEBUG]


def test_bus_socket_that_does_not_exist(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={tmp_path / 'no-bus'}")
    with caplog.at_level(logging.DEBUG, logger="portal_app.desktop.notify"):
        assert notify("Title", "Body") is False
    assert len(caplog.records) == 1
    assert caplog.records[0].exc_info is None  # never a traceback
    assert caplog.records[0].levelno == logging.DEBUG


@pytest.mark.parametrize("address", ["tcp:host=127.0.0.1,port=1", "garbage", "unix:"])
def test_unusable_bus_address(monkeypatch: pytest.MonkeyPatch, address: str) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", address)
    assert notify("Title", "Body") is False


def test_a_bus_that_never_answers_costs_only_the_timeout(monkeypatch: pytest.MonkeyPatch) -> None:
    with tempfile.TemporaryDirectory(prefix="bus-") as folder:
        path = os.path.join(folder, "bus")
        with socket.socket(socket.AF_UNIX) as listener:
            listener.bind(path)
            listener.listen(1)  # accepted by the kernel, never spoken to
            monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", f"unix:path={path}")
            assert notify("Title", "Body", timeout=0.3) is False


@pytest.mark.parametrize("platform", ["darwin", "win32"])
def test_other_platforms_are_not_implemented_yet(monkeypatch: pytest.MonkeyPatch, platform: str) -> None:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", "unix:path=/nonexistent")
    monkeypatch.setattr(sys, "platform", platform)
    assert notify("Title", "Body") is False


# -- text cleaning ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "limit", "newlines", "expected"),
    [
        ("Invoice INV-7 paid", 120, False, "Invoice INV-7 paid"),
        ("  two\nlines\r\n ", 120, False, "two lines"),
        ("two\nlines\r\nkept", 120, True, "two\nlines\nkept"),
        ("bell\x07 esc\x1b[31m red\x7f", 120, False, "bell esc[31m red"),
        ("tab\tstop", 120, True, "tab stop"),
        ("evil\u202etxt.exe\u2066x\u2069", 120, False, "eviltxt.exex"),
        ("lone \udcff surrogate", 120, False, "lone  surrogate"),
        ("x" * 200, 10, False, "x" * 9 + "…"),
        ("word " * 10, 12, False, "word word w…"),
        ("", 10, False, ""),
        ("Ærøskøbing ✓ 東京", 120, False, "Ærøskøbing ✓ 東京"),
    ],
)
def test_clean_text(text: str, limit: int, newlines: bool, expected: str) -> None:
    assert clean_text(text, limit, keep_newlines=newlines) == expected


# -- a real session bus with a fake notification service --------------------------------------------------------

needs_dbus = pytest.mark.skipif(
    shutil.which("dbus-daemon") is None,
    reason="dbus-daemon is not installed (Debian package dbus, which also provides dbus-run-session)",
)

BUS_CONFIG = """<busconfig>
  <type>session</type>
  <listen>unix:dir={folder}</listen>
  <auth>EXTERNAL</auth>
  <policy context="default">
    <allow send_destination="*" eavesdrop="true"/>
    <allow eavesdrop="true"/>
    <allow own="*"/>
  </policy>
</busconfig>
"""


@pytest.fixture(scope="module")
def session_bus() -> Iterator[str]:
    """A private session bus with no service files, so nothing is started on demand; yields its address."""
    folder = tempfile.mkdtemp(prefix="bus-")  # short: socket paths are limited to about 100 bytes
    config_file = Path(folder) / "session.conf"
    config_file.write_text(BUS_CONFIG.format(folder=folder))
    daemon = subprocess.Popen(
        ["dbus-daemon", "--nofork", "--print-address=1", f"--config-file={config_file}"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        assert daemon.stdout is not None
        address = daemon.stdout.readline().strip()  # printed once the bus accepts connections
        assert address.startswith("unix:"), address
        yield address
    finally:
        daemon.terminate()
        daemon.wait(timeout=WAIT)
        if daemon.stdout is not None:
            daemon.stdout.close()
        shutil.rmtree(folder, ignore_errors=True)


class FakeNotificationService:
    """org.freedesktop.Notifications on the bus, in a thread; what it receives lands in ``received``."""

    def __init__(
        self, address: str, *, capabilities: tuple[str, ...] = ("body",), mode: str = "answer"
    ) -> None:
        from jeepney.io.blocking import open_dbus_connection

        self.address = address
        self.capabilities = list(capabilities)
        self.mode = mode
        self.received: queue.Queue[tuple[object, ...]] = queue.Queue()
        self.conn = open_dbus_connection(bus=address)
        from jeepney.bus_messages import message_bus

        reply = self.conn.send_and_get_reply(message_bus.RequestName(notify_module.BUS_NAME, 4), timeout=WAIT)
        assert reply.body == (1,)  # primary owner
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        from jeepney import HeaderFields, MessageType, new_error, new_method_return

        count = 0
        while True:
            msg = self.conn.receive()
            if msg.header.message_type is not MessageType.method_call:
                continue
            member = msg.header.fields.get(HeaderFields.member)
            if member == "Quit":
                self.conn.send(new_method_return(msg))
                return
            if member == "GetCapabilities":
                self.conn.send(new_method_return(msg, "as", (self.capabilities,)))
            elif member == "Notify":
                self.received.put(tuple(msg.body))
                count += 1
                if self.mode == "answer":
                    self.conn.send(new_method_return(msg, "u", (count,)))
                elif self.mode == "error":
                    self.conn.send(new_error(msg, "org.freedesktop.Notifications.Error.Full", "s", ("full",)))
            else:
                self.conn.send(new_error(msg, "org.freedesktop.DBus.Error.UnknownMethod"))

    def stop(self) -> None:
        from jeepney import DBusAddress, new_method_call
        from jeepney.io.blocking import open_dbus_connection

        with open_dbus_connection(bus=self.address) as client:
            target = DBusAddress(notify_module.OBJECT_PATH, notify_module.BUS_NAME, "org.example.Test")
            client.send_and_get_reply(new_method_call(target, "Quit"), timeout=WAIT)
        self.thread.join(WAIT)
        self.conn.close()


@pytest.fixture
def bus(session_bus: str, monkeypatch: pytest.MonkeyPatch) -> str:
    monkeypatch.setenv("DBUS_SESSION_BUS_ADDRESS", session_bus)
    return session_bus


@pytest.fixture
def service(bus: str) -> Iterator[FakeNotificationService]:
    fake = FakeNotificationService(bus)
    yield fake
    fake.stop()


@needs_dbus
def test_notification_reaches_the_service(service: FakeNotificationService) -> None:
    assert notify("New message from Acme Ltd", "Can you resend invoice INV-2026-014?") is True
    app, replaces, icon, title, body, actions, hints, expire = service.received.get(timeout=WAIT)
    assert app == "Customer Portal"
    assert (replaces, icon, actions, hints, expire) == (0, "", [], {}, -1)
    assert title == "New message from Acme Ltd"
    assert body == "Can you resend invoice INV-2026-014?"


@needs_dbus
def test_text_is_cleaned_and_cut_before_it_is_sent(service: FakeNotificationService) -> None:
    assert notify(
        "Bell\x07 and\nnewline " + "t" * 300, "line one\nline two\x1b " + "b" * 1000, app_name="Acme\x00"
    )
    app, _, _, title, body, *_ = service.received.get(timeout=WAIT)
    assert app == "Acme"
    assert isinstance(title, str) and isinstance(body, str)
    assert title.startswith("Bell and newline ttt") and len(title) == notify_module.MAX_TITLE
    assert body.startswith("line one\nline two bbb") and len(body) == notify_module.MAX_BODY
    assert title.endswith("…") and body.endswith("…")


@needs_dbus
def test_markup_is_escaped_for_services_that_read_markup(bus: str) -> None:
    fake = FakeNotificationService(bus, capabilities=("body", "body-markup"))
    try:
        assert notify("<b>Title</b>", 'Click <a href="https://evil.example">here</a> & win') is True
        _, _, _, title, body, *_ = fake.received.get(timeout=WAIT)
    finally:
        fake.stop()
    assert title == "<b>Title</b>"  # the summary is never markup
    assert body == 'Click &lt;a href="https://evil.example"&gt;here&lt;/a&gt; &amp; win'


@needs_dbus
def test_bus_without_a_notification_service(bus: str, caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="portal_app.desktop.notify"):
        assert notify("Title", "Body") is False
    assert len(caplog.records) == 1
    assert "ServiceUnknown" in caplog.text


@needs_dbus
def test_service_that_refuses(bus: str) -> None:
    fake = FakeNotificationService(bus, mode="error")
    try:
        assert notify("Title", "Body") is False
        assert fake.received.get(timeout=WAIT)[3] == "Title"
    finally:
        fake.stop()


@needs_dbus
def test_service_that_never_answers(bus: str) -> None:
    fake = FakeNotificationService(bus, mode="silent")
    try:
        assert notify("Title", "Body", timeout=0.3) is False
        assert fake.received.get(timeout=WAIT)[3] == "Title"
    finally:
        fake.stop()
