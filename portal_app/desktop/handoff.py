"""Sign-in for connected mode in the system browser, handed back to the window (RFC 8252 loopback redirect + PKCE).

The window cannot run the identity provider's sign-in itself (passkeys, password managers and single sign-on live in
the user's browser), so:

1. ``start()`` listens on ``http://127.0.0.1:<ephemeral port>/callback`` and opens the system browser at
   ``{server}/auth/desktop?redirect_uri=…&state=…&code_challenge=…&code_challenge_method=S256``.
2. After sign-in the server redirects the browser to ``…/callback?code=…&state=…``; the state is checked and the
   browser tab is told to go back to the window. ``wait()`` returns the code.
3. The window loads ``redeem_url()`` (``{server}/auth/desktop/redeem?code=…&code_verifier=…``); the server checks the
   verifier against the challenge, sets the session cookie in the window and redirects to /app.

The code is useless without the verifier, which never leaves this process until step 3 (nothing is written to disk,
nothing secret is logged). The state stops another page from feeding a code of its own choosing to the listener.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import ipaddress
import logging
import re
import secrets
import socket
import socketserver
import threading
import webbrowser
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

from portal_app.desktop.config import normalise_server

log = logging.getLogger(__name__)

SIGN_IN_PATH = "/auth/desktop"
REDEEM_PATH = "/auth/desktop/redeem"
CALLBACK_PATH = "/callback"
MAX_CODE_LENGTH = 2048
_REQUEST_TIMEOUT = 5.0  # a browser connection that sends nothing is dropped after this
_VERIFIER_CHARS = re.compile(r"[A-Za-z0-9\-._~]{43,128}")  # RFC 7636 section 4.1
_ERROR_CODE = re.compile(r"[a-z_]{1,64}")


class HandoffError(Exception):
    """The sign-in did not complete. ``str(error)`` is a message for the user."""


def challenge_for(verifier: str) -> str:
    """The S256 code challenge: base64url(sha256(verifier)) without padding (RFC 7636 section 4.2)."""
    digest = hashlib.sha256(verifier.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode("ascii")


def pkce_pair() -> tuple[str, str]:
    """A fresh ``(verifier, challenge)``. The verifier has 512 random bits in 86 characters of the RFC 7636 set."""
    verifier = secrets.token_urlsafe(64)[:128]
    assert _VERIFIER_CHARS.fullmatch(verifier)
    return verifier, challenge_for(verifier)


_SIGNED_IN = (
    "You are signed in",
    "You are signed in. Return to the Customer Portal window; you can close this tab.",
)
_NOT_OURS = (
    "Sign-in not recognised",
    "This sign-in was not started by this app. Start it again from the window.",
)
_INCOMPLETE = (
    "Sign-in incomplete",
    "The portal's answer was incomplete. Start the sign-in again from the window.",
)
_FINISHED = ("Sign-in already finished", "This sign-in has already finished. You can close this tab.")
_NOT_FOUND = ("Not found", "There is nothing here.")
_STOPPED = ("Sign-in not completed", "The sign-in did not complete. Return to the Customer Portal window.")

_CANCELLED = "Sign-in was cancelled."
_TIMED_OUT = "Sign-in did not finish in time. Start it again from the Customer Portal window."
_DENIED = "Sign-in was cancelled or refused in the browser."
_FAILED = "The portal could not complete the sign-in. Try again, or ask your administrator."
_NO_BROWSER = "Could not open your web browser."


def _page(title: str, text: str) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{title} · Customer Portal</title></head>"
        '<body style="font-family: system-ui, sans-serif; max-width: 36rem; margin: 4rem auto; padding: 0 1rem;'
        ' line-height: 1.5">'
        f'<h1 style="font-size: 1.4rem">{title}</h1><p>{text}</p></body></html>'
    ).encode()


class _CallbackServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False  # closing never waits for a browser connection that is still open
    allow_reuse_address = (
        False  # a fresh ephemeral port; on Windows SO_REUSEADDR would let others bind it too
    )

    def __init__(self, address: tuple[str, int], flow: LoopbackSignIn) -> None:
        self.flow = flow
        super().__init__(address, _CallbackHandler)

    def server_bind(self) -> None:
        # HTTPServer.server_bind looks the host name up (getfqdn), which can stall on a slow resolver.
        socketserver.TCPServer.server_bind(self)
        host, port = self.socket.getsockname()[:2]
        self.server_name, self.server_port = str(host), int(port)


class _CallbackServer6(_CallbackServer):
    address_family = socket.AF_INET6


class _CallbackHandler(BaseHTTPRequestHandler):
    server: _CallbackServer
    server_version = "CustomerPortalDesktop"
    sys_version = ""
    protocol_version = "HTTP/1.0"  # one request per connection
    timeout = _REQUEST_TIMEOUT

    def do_GET(self) -> None:  # noqa: N802 (the name http.server dispatches to)
        parts = urlsplit(self.path)
        if parts.path != CALLBACK_PATH:
            self._send(404, _NOT_FOUND)
            return
        flow = self.server.flow
        if flow.finished:
            self._send(410, _FINISHED)
            return
        try:
            params = parse_qs(parts.query, keep_blank_values=True, max_num_fields=20)
        except ValueError:
            self._send(400, _INCOMPLETE)
            return
        state = _single(params, "state")
        if state is None or not flow._state_matches(state):
            log.warning("Sign-in callback with a missing or unknown state refused")
            self._send(400, _NOT_OURS)
            return
        error, code = _single(params, "error"), _single(params, "code")
        if error is not None:
            safe = error if _ERROR_CODE.fullmatch(error) else "other"
            log.warning("The portal ended the desktop sign-in with error %s", safe)
            resolved = flow._resolve(error=HandoffError(_DENIED if error == "access_denied" else _FAILED))
            self._send(200 if resolved else 410, _STOPPED if resolved else _FINISHED)
        elif code is None or not 0 < len(code) <= MAX_CODE_LENGTH or not code.isprintable():
            self._send(400, _INCOMPLETE)
            return
        else:
            resolved = flow._resolve(code=code)
            self._send(200 if resolved else 410, _SIGNED_IN if resolved else _FINISHED)
        threading.Thread(target=flow.close, name="desktop-sign-in-close", daemon=True).start()

    def _send(self, status: int, page: tuple[str, str]) -> None:
        body = _page(*page)
        self.send_response(status)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Cache-Control", "no-store")
        self.send_header("Referrer-Policy", "no-referrer")
        self.send_header("X-Content-Type-Options", "nosniff")
        self.send_header(
            "Content-Security-Policy",
            "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'",
        )
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    # The request line carries the code: only the method and path are ever logged.
    def log_request(self, code: int | str = "-", size: int | str = "-") -> None:
        log.debug("Sign-in listener: %s %s -> %s", self.command, urlsplit(self.path).path, code)

    def log_error(self, format: str, *args: Any) -> None:  # noqa: A002 (the signature of http.server)
        log.debug("Sign-in listener: a request could not be read")

    def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
        pass


def _single(params: dict[str, list[str]], name: str) -> str | None:
    values = params.get(name)
    return values[0] if values is not None and len(values) == 1 else None


class LoopbackSignIn:
    """One sign-in attempt: ``start()``, then ``wait()`` (from a worker thread), then load ``redeem_url()``.

    ``open_browser(url)`` opens the system browser (default ``webbrowser.open``); when it returns False or raises,
    ``browser_opened`` is False and the window should show ``authorize_url`` for the user to open by hand. ``wait``
    and ``cancel`` may be called from different threads.
    """

    def __init__(
        self,
        server: str,
        *,
        open_browser: Callable[[str], bool] = webbrowser.open,
        host: str = "127.0.0.1",
    ) -> None:
        self.server = normalise_server(server)
        ip = ipaddress.ip_address(host)
        if not ip.is_loopback:
            raise ValueError("The sign-in listener must be on a loopback address")
        self._host = str(ip)
        self._open_browser = open_browser
        self._verifier, self._challenge = pkce_pair()
        self._state = secrets.token_urlsafe(32)
        self._lock = threading.Lock()
        self._close_lock = threading.Lock()
        self._done = threading.Event()
        self._code: str | None = None
        self._error: HandoffError | None = None
        self._httpd: _CallbackServer | None = None
        self._started = False
        self.cancelled = False  # cancel() was called (the person gave up; not an error to report)
        self.redirect_uri = ""
        self.authorize_url = ""
        self.browser_opened = False

    @property
    def finished(self) -> bool:
        """A code, an error, a timeout or a cancel has ended this attempt."""
        return self._done.is_set()

    def _state_matches(self, state: str) -> bool:
        return hmac.compare_digest(state.encode("utf-8", "surrogatepass"), self._state.encode("ascii"))

    def start(self) -> str:
        """Listen on the loopback port, open the browser, and return the sign-in URL that was opened."""
        if self._started:
            raise RuntimeError("start() was already called")
        self._started = True
        server_class = _CallbackServer6 if ":" in self._host else _CallbackServer
        httpd = server_class((self._host, 0), self)
        self._httpd = httpd
        port: int = httpd.server_address[1]
        netloc = f"[{self._host}]" if ":" in self._host else self._host
        self.redirect_uri = f"http://{netloc}:{port}{CALLBACK_PATH}"
        threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, name="desktop-sign-in", daemon=True
        ).start()
        query = urlencode(
            {
                "redirect_uri": self.redirect_uri,
                "state": self._state,
                "code_challenge": self._challenge,
                "code_challenge_method": "S256",
            }
        )
        self.authorize_url = f"{self.server}{SIGN_IN_PATH}?{query}"
        try:
            self.browser_opened = bool(self._open_browser(self.authorize_url))
        except Exception as exc:  # webbrowser.Error, or whatever a custom opener raises
            log.warning("Opening the system browser failed: %s", type(exc).__name__)
            self.browser_opened = False
        if not self.browser_opened:
            log.warning("%s The sign-in page has to be opened by hand.", _NO_BROWSER)
        log.info("Desktop sign-in started; waiting on %s", self.redirect_uri)
        return self.authorize_url

    def wait(self, timeout: float) -> str:
        """The authorization code, or HandoffError on timeout, cancel, or an error answer from the portal."""
        if not self._started:
            raise RuntimeError("call start() first")
        if not self._done.wait(timeout):
            self._resolve(error=HandoffError(_TIMED_OUT))
        self.close()
        if self._code is not None:
            return self._code
        assert self._error is not None
        raise self._error

    def cancel(self) -> None:
        """End the attempt: a running or later ``wait()`` raises HandoffError("Sign-in was cancelled.")."""
        self.cancelled = True
        self._resolve(error=HandoffError(_CANCELLED))
        self.close()

    def redeem_url(self) -> str:
        """The URL the window loads to exchange the code for its session (contains the verifier: do not log)."""
        if self._code is None:
            raise RuntimeError("no authorization code has arrived")
        query = urlencode({"code": self._code, "code_verifier": self._verifier})
        return f"{self.server}{REDEEM_PATH}?{query}"

    def _resolve(self, *, code: str | None = None, error: HandoffError | None = None) -> bool:
        """Record the outcome; the first one wins. True if this call decided it."""
        with self._lock:
            if self._done.is_set():
                return False
            self._code, self._error = code, error
            self._done.set()
        if code is not None:
            log.info("Desktop sign-in: the browser handed back an authorization code")
        return True

    def close(self) -> None:
        """Stop the listener (idempotent)."""
        with self._close_lock:
            httpd, self._httpd = self._httpd, None
            if httpd is not None:
                httpd.shutdown()
                httpd.server_close()
