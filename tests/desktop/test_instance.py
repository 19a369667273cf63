"""One launcher per user, with real processes: a second launch is refused the lock and hands its command over, a
wrong key is refused, and a killed launcher does not block the next one."""

from __future__ import annotations

import json
import os
import queue
import signal
import socket
import stat
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

from portal_app.desktop.instance import SingleInstance, validate_command

pytestmark = pytest.mark.skipif(os.name != "posix", reason="flock and signals: the POSIX launcher")

ROOT = Path(__file__).resolve().parents[2]
WAIT = 10.0  # generous upper bound for a child's next line; the tests never wait this long when things work

CHILD = r"""
import sys
from pathlib import Path
from portal_app.desktop.instance import SingleInstance

instance = SingleInstance(Path(sys.argv[1]))
if instance.acquire(lambda command: print("MSG " + command, flush=True)):
    print("ACQUIRED", flush=True)
    for line in sys.stdin:
        if line.strip() == "release":
            instance.release()
            print("RELEASED", flush=True)
else:
    print("SENT", instance.send(sys.argv[2]) if len(sys.argv) > 2 else "-", flush=True)
"""


class Child:
    """A launcher in its own process; its output lines arrive on a queue."""

    def __init__(self, runtime_dir: Path, *args: str) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-c", CHILD, str(runtime_dir), *args],
            cwd=ROOT,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            self.lines.put(line.rstrip("\n"))
        self.lines.put("<EOF>")

    def next_line(self) -> str:
        return self.lines.get(timeout=WAIT)

    def tell(self, text: str) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write(text + "\n")
        self.proc.stdin.flush()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
        self.proc.wait(timeout=WAIT)
        for stream in (self.proc.stdin, self.proc.stdout):
            if stream is not None:
                stream.close()


@pytest.fixture
def runtime_dir(tmp_path: Path) -> Path:
    path = tmp_path / "run"
    path.mkdir(mode=0o700)
    return path


@pytest.fixture
def children() -> Iterator[list[Child]]:
    started: list[Child] = []
    yield started
    for child in started:
        child.stop()


def first_launch(runtime_dir: Path, children: list[Child]) -> Child:
    child = Child(runtime_dir)
    children.append(child)
    assert child.next_line() == "ACQUIRED"
    return child


def info(runtime_dir: Path) -> dict[str, object]:
    data = json.loads((runtime_dir / "desktop.json").read_text())
    assert isinstance(data, dict)
    return data


class Inbox:
    def __init__(self) -> None:
        self.messages: queue.Queue[str] = queue.Queue()

    def __call__(self, command: str) -> None:
        self.messages.put(command)

    def next(self) -> str:
        return self.messages.get(timeout=WAIT)


def test_second_launch_is_refused_and_hands_over_its_command(
    runtime_dir: Path, children: list[Child]
) -> None:
    first = first_launch(runtime_dir, children)

    second = Child(runtime_dir, "focus")
    children.append(second)
    assert second.next_line() == "SENT True"
    assert first.next_line() == "MSG focus"

    here = SingleInstance(runtime_dir)
    assert here.acquire(Inbox()) is False
    assert not here.acquired
    assert here.send("open /home/me/Invoice 2026-001.pdf") is True
    assert first.next_line() == "MSG open /home/me/Invoice 2026-001.pdf"


def test_address_file_is_private_and_names_the_running_launcher(
    runtime_dir: Path, children: list[Child]
) -> None:
    first = first_launch(runtime_dir, children)
    data = info(runtime_dir)
    assert set(data) == {"port", "key", "pid"}
    assert data["pid"] == first.proc.pid
    assert isinstance(data["key"], str) and len(data["key"]) >= 32
    assert stat.S_IMODE(os.stat(runtime_dir / "desktop.json").st_mode) == 0o600
    assert stat.S_IMODE(os.stat(runtime_dir / "desktop.lock").st_mode) == 0o600
    assert sorted(p.name for p in runtime_dir.iterdir()) == ["desktop.json", "desktop.lock"]


def raw_request(port: int, payload: bytes) -> bytes:
    with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
        sock.sendall(payload)
        sock.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := sock.recv(1024):
            answer += chunk
        return answer


def test_wrong_key_is_refused_without_calling_back(runtime_dir: Path, children: list[Child]) -> None:
    first = first_launch(runtime_dir, children)
    data = info(runtime_dir)
    port, key = data["port"], data["key"]
    assert isinstance(port, int) and isinstance(key, str)

    assert raw_request(port, b"not-the-key\nopen /etc/shadow\n") == b""
    assert raw_request(port, key[:-1].encode() + b"\nopen /wrong/key\n") == b""
    assert raw_request(port, b"\nfocus\n") == b""
    assert raw_request(port, key.encode() + b"\n") == b""  # no command line
    assert raw_request(port, key.encode() + b"\nrm -rf /\n") == b"error\n"  # right key, unknown command
    assert raw_request(port, key.encode() + b"\nfocus\n") == b"ok\n"
    assert first.next_line() == "MSG focus"  # the first message the launcher saw


def test_killed_launcher_does_not_block_the_next_one(runtime_dir: Path, children: list[Child]) -> None:
    crashed = first_launch(runtime_dir, children)
    crashed.proc.send_signal(signal.SIGKILL)
    assert crashed.proc.wait(timeout=WAIT) == -signal.SIGKILL
    assert info(runtime_dir)["pid"] == crashed.proc.pid  # its address file is left behind, stale

    inbox = Inbox()
    here = SingleInstance(runtime_dir)
    assert here.send("focus", timeout=1) is False  # nobody runs: the stale file is not trusted
    try:
        assert here.acquire(inbox) is True
        assert info(runtime_dir)["pid"] == os.getpid()
        second = Child(runtime_dir, "focus")
        children.append(second)
        assert second.next_line() == "SENT True"
        assert inbox.next() == "focus"
    finally:
        here.release()


def test_release_lets_the_next_launch_in(runtime_dir: Path, children: list[Child]) -> None:
    first = first_launch(runtime_dir, children)
    first.tell("release")
    assert first.next_line() == "RELEASED"
    assert not (runtime_dir / "desktop.json").exists()
    assert (runtime_dir / "desktop.lock").exists()  # kept on purpose

    here = SingleInstance(runtime_dir)
    assert here.send("focus", timeout=1) is False
    assert here.acquire(Inbox()) is True
    here.release()
    here.release()  # twice is fine
    assert not here.acquired

    again = SingleInstance(runtime_dir)
    try:
        assert again.acquire(Inbox()) is True
        with pytest.raises(RuntimeError):
            again.acquire(Inbox())
    finally:
        again.release()


def test_same_process_second_object_is_refused(runtime_dir: Path) -> None:
    inbox = Inbox()
    with SingleInstance(runtime_dir) as first:
        assert first.acquire(inbox)
        other = SingleInstance(runtime_dir)
        assert other.acquire(Inbox()) is False
        assert other.send("focus") is True
        assert inbox.next() == "focus"
    assert not (runtime_dir / "desktop.json").exists()


def test_a_silent_client_does_not_block_others(runtime_dir: Path) -> None:
    inbox = Inbox()
    with SingleInstance(runtime_dir) as first:
        assert first.acquire(inbox)
        port = info(runtime_dir)["port"]
        assert isinstance(port, int)
        with socket.create_connection(("127.0.0.1", port)) as idle:
            assert SingleInstance(runtime_dir).send("focus") is True
            assert inbox.next() == "focus"
            idle.sendall(b"partial")


def test_failing_callback_is_reported_to_the_sender(
    runtime_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    def broken(command: str) -> None:
        raise RuntimeError("window gone")

    with SingleInstance(runtime_dir) as first:
        assert first.acquire(broken)
        assert SingleInstance(runtime_dir).send("focus") is False
    assert "window gone" in caplog.text


def test_paths_that_are_not_utf8_travel_unchanged(runtime_dir: Path) -> None:
    inbox = Inbox()
    odd = "open " + os.fsdecode(b"/tmp/r\xe9sum\xe9 \xff.pdf")
    with SingleInstance(runtime_dir) as first:
        assert first.acquire(inbox)
        assert SingleInstance(runtime_dir).send(odd) is True
        assert inbox.next() == odd


@pytest.mark.parametrize(
    "command", ["", "quit", "open", "open ", "open  ", "focus\nopen /x", "open /a\0b", "FOCUS"]
)
def test_invalid_commands_are_not_sent(runtime_dir: Path, command: str) -> None:
    with pytest.raises(ValueError):
        validate_command(command)
    with pytest.raises(ValueError):
        SingleInstance(runtime_dir).send(command)


def test_send_without_a_running_launcher_is_false(runtime_dir: Path) -> None:
    assert SingleInstance(runtime_dir).send("focus") is False
    (runtime_dir / "desktop.json").write_text("{not json")
    assert SingleInstance(runtime_dir).send("focus") is False
