"""A minimal client of the app's event socket, as the compiled frontend speaks it (no browser).

Engine.IO v4 over a websocket at ``/_event/?EIO=4&transport=websocket&token=<client token>``, the Socket.IO
namespace ``/_event``; an event is ``42/_event,["event", {"name", "payload", "router_data"}]`` and the server
answers with ``["event", {"delta", "events", "final"}]`` updates (none for a no-op). The session cookie goes in the
handshake's Cookie header, as the browser sends it. Used by the scale-out test and the socket benchmark.
"""

from __future__ import annotations

import contextlib
import json
import subprocess
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import simple_websocket

NAMESPACE = "/_event"


class _PromptClient(simple_websocket.Client):  # type: ignore[misc]
    """The websocket client without a stall of its own: when the server's first frame (Engine.IO's open packet)
    arrives in the same read as the upgrade answer, simple_websocket 1.1 leaves it in the parser and its reader thread
    only sees it after the next read, the server's first ping 25 s later (about one connection in 30 here). A
    browser has no such stall: process what is left before the reader thread starts."""

    def handshake(self) -> None:
        super().handshake()
        self.connected = self._handle_events()


class EventSocket:
    def __init__(
        self, base: str, *, cookie: str = "", token: str | None = None, timeout: float = 15.0
    ) -> None:
        """Connect to the backend at ``base`` (``http://127.0.0.1:8000``) as the client ``token`` (a new one by
        default: it keys the client's Reflex state, as the browser's sessionStorage token does)."""
        self.token = token or str(uuid.uuid4())
        self.timeout = timeout
        ws_base = base.replace("http://", "ws://", 1).replace("https://", "wss://", 1).rstrip("/")
        url = f"{ws_base}{NAMESPACE}/?EIO=4&transport=websocket&token={self.token}"
        headers = {"Cookie": cookie} if cookie else {}
        self.ws = _PromptClient.connect(url, headers=headers)
        opened = self._recv_packet()
        if not opened.startswith("0"):
            raise ConnectionError(f"no Engine.IO open packet: {opened[:80]!r}")
        self._send(f"40{NAMESPACE},")
        while True:
            packet = self._recv_packet()
            if packet.startswith(f"40{NAMESPACE},"):
                break
            if packet.startswith(f"44{NAMESPACE},"):
                raise ConnectionError(f"connection refused: {packet[:200]}")

    def _send(self, packet: str) -> None:
        self.ws.send(packet)

    def _recv_packet(self, timeout: float | None = None) -> str:
        """The next packet that is not a ping (pings are answered here)."""
        deadline = time.monotonic() + (self.timeout if timeout is None else timeout)
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError("no answer from the event socket")
            data = self.ws.receive(timeout=left)
            if data is None:
                continue
            text = data.decode() if isinstance(data, bytes) else data
            if text == "2":
                self._send("3")
                continue
            return text

    def emit(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        path: str = "/",
        query: dict[str, str] | None = None,
    ) -> None:
        """Send one event to handler ``name`` (a state's full name and the handler: ``<state path>.<handler>``)
        as if the page at ``path`` sent it."""
        router_data: dict[str, Any] = {"pathname": path, "asPath": path}
        if query:
            router_data["query"] = query
        body = json.dumps(["event", {"name": name, "payload": payload or {}, "router_data": router_data}])
        self._send(f"42{NAMESPACE},{body}")

    def updates(self, *, until_final: bool = True, timeout: float | None = None) -> list[dict[str, Any]]:
        """The state updates the server sends for the last event, up to the one marked final (this Reflex marks
        none: the first update ends it; a handler that also returns client events, a toast or a script, sends them
        in a second update, which ``updates(until_final=False)`` again reads)."""
        out: list[dict[str, Any]] = []
        while True:
            packet = self._recv_packet(timeout)
            if not packet.startswith(f"42{NAMESPACE},"):
                continue
            kind, *args = json.loads(packet[len(f"42{NAMESPACE},") :])
            if kind != "event" or not args:
                continue
            update = args[0]
            out.append(update)
            if not until_final or update.get("final", True):
                return out

    def call(
        self,
        name: str,
        payload: dict[str, Any] | None = None,
        *,
        path: str = "/",
        query: dict[str, str] | None = None,
    ) -> dict[str, Any]:
        """Send one event and merge the deltas of its updates: {state name: {var: value}}."""
        self.emit(name, payload, path=path, query=query)
        merged: dict[str, dict[str, Any]] = {}
        for update in self.updates():
            for state, values in (update.get("delta") or {}).items():
                merged.setdefault(state, {}).update(values)
        return merged

    def close(self) -> None:
        try:
            self._send("41" + NAMESPACE + ",")
        finally:
            self.ws.close()


def var(delta: dict[str, dict[str, Any]], state: str, name: str) -> Any:
    """A var's value in a merged delta (Reflex suffixes var names with ``_rx_state_``)."""
    values = delta.get(state, {})
    for key in (name, f"{name}_rx_state_"):
        if key in values:
            return values[key]
    raise KeyError(f"{state}.{name} not in the update: {sorted(values)[:20]}")


def start_backend(
    env: dict[str, str], port: int, log: Path, *, cwd: Path, timeout: float = 120, workers: int = 1
) -> subprocess.Popen[bytes]:
    """The production backend as ``make run`` serves it (granian, one worker; ``make workers`` serves several) on
    ``port``, once it answers /ping; its output goes to ``log``. Raises ``RuntimeError`` (with the log's tail) if it
    exits or does not answer."""
    with log.open("ab") as out:
        proc = subprocess.Popen(  # noqa: S603  our own server, fixed arguments
            [sys.executable, "-m", "granian", "--interface", "asgi", "--factory", "--host", "127.0.0.1"]
            + ["--port", str(port), "--workers", str(workers), "portal_app.portal_app:app"],
            cwd=cwd,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"the backend exited:\n{log.read_text()[-3000:]}")
        with contextlib.suppress(httpx.HTTPError):
            if httpx.get(f"http://127.0.0.1:{port}/ping", timeout=1).status_code == 200:
                return proc
        time.sleep(0.3)
    raise RuntimeError(f"the backend did not answer /ping within {timeout:.0f} s")
