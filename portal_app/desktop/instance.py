"""One launcher per user: a second launch hands its request to the running window and exits.

The first launch holds an exclusive lock on ``<runtime_dir>/desktop.lock`` for as long as it runs. The operating
system drops the lock when the process ends, however it ends, so a crashed launcher never blocks the next one. It
also listens on 127.0.0.1 (an ephemeral port) and publishes ``{"port", "key", "pid"}`` in ``desktop.json`` (mode
0600, in a 0700 folder). A second launch reads that file and sends the key and one command line:

    <key>\\n<command>\\n      command: "focus" or "open <path>"
    answer: "ok\\n" once the running launcher has taken the command; anything else (or nothing) is a refusal.

The key keeps out other local users and any web page that finds the port: only someone who can read the file can
talk to the launcher.
"""

from __future__ import annotations

import contextlib
import hmac
import json
import logging
import os
import secrets
import socket
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

from portal_app.desktop.config import write_private

if sys.platform == "win32":
    import msvcrt
else:
    import fcntl

log = logging.getLogger(__name__)

LOCK_NAME = "desktop.lock"
INFO_NAME = "desktop.json"
SEND_TIMEOUT = 3.0
CONNECTION_TIMEOUT = 2.0  # a connected client that does not finish its request in time is dropped
MAX_REQUEST_BYTES = 64 * 1024
COMMANDS = ("focus", "open")
_ENCODING = "utf-8"
_ERRORS = "surrogateescape"  # paths that are not valid UTF-8 still travel unchanged


def validate_command(command: str) -> str:
    """``command`` if it is "focus" or "open <path>" on one line, else ValueError."""
    if "\n" in command or "\r" in command or "\0" in command:
        raise ValueError("A command is one line")
    if command == "focus" or (command.startswith("open ") and command[5:].strip()):
        return command
    raise ValueError(f"Unknown command {command.split(' ', 1)[0]!r}")


class SingleInstance:
    """``acquire`` in the first launch; ``send`` in a launch whose ``acquire`` returned False."""

    def __init__(self, runtime_dir: Path) -> None:
        self.runtime_dir = Path(runtime_dir)
        self.lock_path = self.runtime_dir / LOCK_NAME
        self.info_path = self.runtime_dir / INFO_NAME
        self._lock_fd: int | None = None
        self._listener: socket.socket | None = None
        self._thread: threading.Thread | None = None
        self._key = ""
        self._on_message: Callable[[str], None] | None = None
        self._closing = threading.Event()

    @property
    def acquired(self) -> bool:
        return self._lock_fd is not None

    # -- the first launch ---------------------------------------------------------------------------------------

    def acquire(self, on_message: Callable[[str], None]) -> bool:
        """Become the running launcher: True, or False when another process holds the lock.

        ``on_message(command)`` is called from a listener thread, once per accepted command (not on the GUI thread:
        hand it over to the window's own thread). Raises OSError if the lock file or listener cannot be set up.
        """
        if self._lock_fd is not None:
            raise RuntimeError("already acquired")
        fd = _open_lock_file(self.lock_path)
        if not _try_lock(fd):
            os.close(fd)
            return False
        try:
            listener = socket.create_server(("127.0.0.1", 0))
        except BaseException:
            _unlock(fd)
            os.close(fd)
            raise
        self._lock_fd = fd
        self._listener = listener
        self._key = secrets.token_urlsafe(24)
        self._on_message = on_message
        self._closing.clear()
        port: int = listener.getsockname()[1]
        try:
            info = {"port": port, "key": self._key, "pid": os.getpid()}
            write_private(self.info_path, json.dumps(info).encode(_ENCODING))
        except BaseException:
            self.release()
            raise
        self._thread = threading.Thread(target=self._serve, name="desktop-instance", daemon=True)
        self._thread.start()
        log.debug("Single-instance listener on 127.0.0.1:%d", port)
        return True

    def release(self) -> None:
        """Stop listening, remove desktop.json and drop the lock. Safe to call more than once."""
        self._closing.set()
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(OSError):
                listener.shutdown(socket.SHUT_RDWR)
            listener.close()
        thread, self._thread = self._thread, None
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout=CONNECTION_TIMEOUT)
        fd, self._lock_fd = self._lock_fd, None
        if fd is not None:
            # Only while the lock is still held: the file is ours. The lock file itself stays (unlinking a lock file
            # races with a launcher that has just opened it).
            with contextlib.suppress(FileNotFoundError):
                self.info_path.unlink()
            _unlock(fd)
            os.close(fd)

    def __enter__(self) -> SingleInstance:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _serve(self) -> None:
        listener = self._listener
        assert listener is not None
        while not self._closing.is_set():
            try:
                conn, _ = listener.accept()
            except OSError:
                if self._closing.is_set():
                    return
                log.warning("The single-instance listener stopped accepting connections", exc_info=True)
                return
            threading.Thread(
                target=self._handle, args=(conn,), name="desktop-instance-conn", daemon=True
            ).start()

    def _handle(self, conn: socket.socket) -> None:
        with conn:
            conn.settimeout(CONNECTION_TIMEOUT)
            try:
                lines = _read_lines(conn, 2)
            except (OSError, ValueError):
                return
            if len(lines) != 2:
                return
            key, command = lines
            if not hmac.compare_digest(key.encode(_ENCODING, _ERRORS), self._key.encode(_ENCODING)):
                log.warning("Refused a request to the running launcher: wrong key")
                return
            try:
                validate_command(command)
            except ValueError:
                log.warning("Refused a request to the running launcher: unknown command")
                with contextlib.suppress(OSError):
                    conn.sendall(b"error\n")
                return
            callback = self._on_message
            if callback is None or self._closing.is_set():
                return
            try:
                callback(command)
            except Exception:
                log.exception("Handling a request from a second launch failed")
                with contextlib.suppress(OSError):
                    conn.sendall(b"error\n")
                return
            with contextlib.suppress(OSError):
                conn.sendall(b"ok\n")

    # -- a second launch ----------------------------------------------------------------------------------------

    def send(self, command: str, *, timeout: float = SEND_TIMEOUT) -> bool:
        """Hand ``command`` ("focus" or "open <path>") to the running launcher: True once it answered "ok".

        False when no launcher runs, or it does not answer in ``timeout`` seconds. Right after a launcher has
        started (or taken over from a crashed one) its desktop.json may not be written yet; while the lock is held
        by someone, the file is read again until the timeout. Raises ValueError for an invalid command.
        """
        validate_command(command)
        deadline = time.monotonic() + timeout
        while True:
            outcome = self._send_once(command, deadline)
            if outcome is not None:
                return outcome
            if time.monotonic() >= deadline or not self._lock_held_elsewhere():
                return False
            time.sleep(0.05)

    def _send_once(self, command: str, deadline: float) -> bool | None:
        """True/False: an answer (or a refusal). None: nobody to talk to yet (no file, or connection refused)."""
        info = self._read_info()
        if info is None:
            return None
        port, key = info
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=_remaining(deadline)) as sock:
                sock.sendall(f"{key}\n{command}\n".encode(_ENCODING, _ERRORS))
                sock.settimeout(_remaining(deadline))
                answer = _read_lines(sock, 1)
        except ConnectionRefusedError:
            return None
        except (OSError, ValueError):
            return False
        return answer == ["ok"]

    def _read_info(self) -> tuple[int, str] | None:
        try:
            data = json.loads(self.info_path.read_bytes())
        except (OSError, ValueError):
            return None
        if not isinstance(data, dict):
            return None
        port, key = data.get("port"), data.get("key")
        if type(port) is not int or not 0 < port < 65536 or not isinstance(key, str) or not key:
            return None
        return port, key

    def _lock_held_elsewhere(self) -> bool:
        try:
            fd = _open_lock_file(self.lock_path)
        except OSError:
            return False
        try:
            if _try_lock(fd):
                _unlock(fd)
                return False
            return True
        finally:
            os.close(fd)


def _remaining(deadline: float) -> float:
    return max(0.01, deadline - time.monotonic())


def _read_lines(sock: socket.socket, count: int) -> list[str]:
    """Up to ``count`` newline-terminated lines (fewer if the peer closes). ValueError if the request is too long."""
    buffer = b""
    while buffer.count(b"\n") < count:
        chunk = sock.recv(4096)
        if not chunk:
            break
        buffer += chunk
        if len(buffer) > MAX_REQUEST_BYTES:
            raise ValueError("request too long")
    complete = buffer.split(b"\n")[: buffer.count(b"\n")]
    return [line.decode(_ENCODING, _ERRORS) for line in complete[:count]]


def _open_lock_file(path: Path) -> int:
    flags = os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)
    return os.open(path, flags, 0o600)


if sys.platform == "win32":

    def _try_lock(fd: int) -> bool:
        try:
            os.lseek(fd, 0, os.SEEK_SET)  # msvcrt locks bytes from the current position
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        except OSError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            os.lseek(fd, 0, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return False
        return True

    def _unlock(fd: int) -> None:
        with contextlib.suppress(OSError):
            fcntl.flock(fd, fcntl.LOCK_UN)
