"""Ports and readiness: a free loopback port for the local backend, waiting until it serves, and a reachability
check of a portal server for connected mode."""

from __future__ import annotations

import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal
from urllib.parse import urlsplit

from portal_app.desktop.config import normalise_server

log = logging.getLogger(__name__)

# The app's liveness route (portal_app.routes.HEALTH); it answers {"status": "ok"} without touching the database.
HEALTH_PATH = "/api/health"
MAX_HEALTH_BYTES = 64 * 1024


def _loopback_ip(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address:
    try:
        ip = ipaddress.ip_address(host)
    except ValueError:
        raise ValueError(f"{host!r} is not a loopback IP address") from None
    if not ip.is_loopback:
        raise ValueError(f"{host!r} is not a loopback IP address")
    return ip


def free_loopback_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` (a loopback IP) right now.

    The port is released before returning, so another program could take it before the caller binds it; a
    backend that fails to bind should be started again with a new port.
    """
    ip = _loopback_ip(host)
    family = socket.AF_INET6 if ip.version == 6 else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        port: int = sock.getsockname()[1]
    return port


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer in its own right here (reported as its status), never followed."""

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: object,
        code: int,
        msg: str,
        headers: object,
        newurl: str,
    ) -> urllib.request.Request | None:
        return None


def _loopback_opener() -> urllib.request.OpenerDirector:
    # No proxies: a proxy from the environment must never see (or answer for) requests to this computer.
    return urllib.request.build_opener(urllib.request.ProxyHandler({}), _NoRedirect())


def wait_until_serving(
    url: str,
    *,
    timeout: float,
    interval: float = 0.25,
    alive: Callable[[], bool] | None = None,
) -> bool:
    """Poll ``url`` (loopback only) until it answers HTTP 200: True, or False after ``timeout`` seconds.

    ``alive`` is asked after every failed attempt; when it returns False (the backend process exited) the wait
    stops at once with False. Raises ValueError for a URL that is not http(s) on a loopback IP or localhost.
    """
    parts = urlsplit(url)
    host = parts.hostname or ""
    if parts.scheme not in ("http", "https") or (host != "localhost" and not _is_loopback(host)):
        raise ValueError("wait_until_serving only polls addresses on this computer")
    opener = _loopback_opener()
    deadline = time.monotonic() + timeout
    while True:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        try:
            with opener.open(url, timeout=min(remaining, 5.0)) as response:
                response.read(MAX_HEALTH_BYTES)
                if response.status == 200:
                    return True
        except (OSError, http.client.HTTPException):
            # Not listening yet, reset while starting, or an error status (HTTPError is an OSError).
            pass
        if alive is not None and not alive():
            log.info("The backend stopped before it was ready")
            return False
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            return False
        time.sleep(min(interval, remaining))


def _is_loopback(host: str) -> bool:
    try:
        _loopback_ip(host)
    except ValueError:
        return False
    return True


Problem = Literal["ok", "invalid", "dns", "refused", "timeout", "tls", "network", "http", "not-portal"]


@dataclass(frozen=True)
class Status:
    """The answer of ``server_status``. ``reason`` is "" when reachable, else a short user-safe phrase to put after
    "Cannot reach <host>: " (for example "connection refused"). ``host`` is the server's host name (or the address
    as given when it was not valid)."""

    reachable: bool
    host: str
    problem: Problem = "ok"
    reason: str = ""


def server_status(url: str, timeout: float = 5, *, ssl_context: ssl.SSLContext | None = None) -> Status:
    """Check a portal server for connected mode with ``GET {url}/api/health``. Never raises.

    Reachable means HTTP 200 with the portal's health answer. TLS is verified against the system's trust store
    (or ``ssl_context``). Proxies from the environment are used, as the web view uses the system's.
    """
    try:
        server = normalise_server(url)
    except ValueError as exc:
        return Status(False, url.strip(), "invalid", str(exc))
    host = urlsplit(server).hostname or server
    context = ssl_context if ssl_context is not None else ssl.create_default_context()
    opener = urllib.request.build_opener(urllib.request.HTTPSHandler(context=context), _NoRedirect())
    request = urllib.request.Request(  # noqa: S310 (the scheme is http(s), checked by normalise_server)
        server + HEALTH_PATH, headers={"Accept": "application/json", "Cache-Control": "no-store"}
    )
    try:
        with opener.open(request, timeout=timeout) as response:
            body = response.read(MAX_HEALTH_BYTES)
    except urllib.error.HTTPError as exc:
        exc.close()
        if 300 <= exc.code < 400 or exc.code == 404:
            reason = f"the server did not answer like a Customer Portal (HTTP {exc.code})"
            return Status(False, host, "not-portal", reason)
        return Status(False, host, "http", f"the server answered with an error (HTTP {exc.code})")
    except urllib.error.URLError as exc:
        problem, reason = _describe(exc.reason)
        return Status(False, host, problem, reason)
    except (OSError, http.client.HTTPException, ValueError) as exc:
        problem, reason = _describe(exc)
        return Status(False, host, problem, reason)
    if not _is_health_answer(body):
        return Status(False, host, "not-portal", "the server did not answer like a Customer Portal")
    return Status(True, host)


def _is_health_answer(body: bytes) -> bool:
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        return False
    return isinstance(data, dict) and data.get("status") == "ok"


def _describe(error: object) -> tuple[Problem, str]:
    """A user-safe phrase for a connection error; never the raw exception text."""
    if isinstance(error, socket.gaierror):
        return "dns", "the server name could not be found"
    if isinstance(error, ConnectionRefusedError):
        return "refused", "connection refused"
    if isinstance(error, TimeoutError | socket.timeout):
        return "timeout", "the connection timed out"
    if isinstance(error, ssl.SSLCertVerificationError):
        return "tls", "the server's certificate is not trusted"
    if isinstance(error, ssl.SSLError):
        return "tls", "the secure connection failed"
    if isinstance(error, ConnectionResetError | ConnectionAbortedError | http.client.HTTPException):
        return "network", "the connection was closed unexpectedly"
    if isinstance(error, OSError):
        return "network", "the network is unreachable"
    return "network", "the connection failed"
