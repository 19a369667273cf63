"""The desktop sign-in handoff (RFC 8252 loopback redirect with PKCE), end to end over real sockets: a fake portal
server and a fake "system browser" (httpx) that follows the portal's redirect back to the loopback listener."""

from __future__ import annotations

import hashlib
import logging
import re
import secrets
import socket
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest

from portal_app.desktop import handoff
from portal_app.desktop.handoff import (
    REDEEM_PATH,
    SIGN_IN_PATH,
    HandoffError,
    LoopbackSignIn,
    challenge_for,
    pkce_pair,
)

WAIT = 10.0  # upper bound for things that happen at once when all is well


class FakePortal:
    """The server side of the contract: /auth/desktop redirects back with a code; /auth/desktop/redeem checks the
    verifier against the challenge and sets the session cookie."""

    def __init__(self) -> None:
        self.code = "code-" + secrets.token_urlsafe(16)
        self.sign_in_params: dict[str, list[str]] = {}
        self.redeemed: dict[str, list[str]] = {}
        self.deny = False
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                parts = urlsplit(self.path)
                params = parse_qs(parts.query)
                if parts.path == SIGN_IN_PATH:
                    outer.sign_in_params = params
                    answer = {"error": "access_denied"} if outer.deny else {"code": outer.code}
                    location = (
                        params["redirect_uri"][0] + "?" + urlencode({**answer, "state": params["state"][0]})
                    )
                    self.send_response(302)
                    self.send_header("Location", location)
                    self.end_headers()
                elif parts.path == REDEEM_PATH:
                    outer.redeemed = params
                    challenge = outer.sign_in_params["code_challenge"][0]
                    good = (
                        params.get("code") == [outer.code]
                        and challenge_for(params["code_verifier"][0]) == challenge
                    )
                    self.send_response(303 if good else 400)
                    if good:
                        self.send_header(
                            "Set-Cookie", "portal_session=s3ss10n; HttpOnly; Max-Age=3600; Path=/"
                        )
                        self.send_header("Location", "/app")
                    self.end_headers()
                else:
                    self.send_response(404)
                    self.end_headers()

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def portal() -> Iterator[FakePortal]:
    server = FakePortal()
    yield server
    server.close()


def browser_get(url: str, *, follow: bool = True) -> httpx.Response:
    return httpx.get(url, follow_redirects=follow, trust_env=False, timeout=WAIT)


class FakeBrowser:
    """Stands in for ``webbrowser.open``: visits the URL (following redirects) and keeps the responses."""

    def __init__(self, visit: bool = True) -> None:
        self.visit = visit
        self.opened: list[str] = []
        self.responses: list[httpx.Response] = []

    def __call__(self, url: str) -> bool:
        self.opened.append(url)
        if self.visit:
            self.responses.append(browser_get(url))
        return True


def callback_url(flow: LoopbackSignIn, **params: str) -> str:
    return f"{flow.redirect_uri}?{urlencode(params)}"


def state_of(flow: LoopbackSignIn) -> str:
    return parse_qs(urlsplit(flow.authorize_url).query)["state"][0]


def port_of(flow: LoopbackSignIn) -> int:
    port = urlsplit(flow.redirect_uri).port
    assert port is not None
    return port


def is_listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT):
            return True
    except ConnectionRefusedError:
        return False


# -- PKCE -------------------------------------------------------------------------------------------------------


def test_challenge_matches_rfc_7636_appendix_b() -> None:
    # The verifier, the SHA-256 octets and the challenge exactly as printed in RFC 7636, Appendix B.
    verifier = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
    octets = [19, 211, 30, 150, 26, 26, 216, 236, 47, 22, 177, 12, 76, 152, 46, 8, 118, 168, 120, 173, 109, 241,
              68, 86, 110, 225, 137, 74, 203, 112, 249, 195]  # fmt: skip
    assert list(hashlib.sha256(verifier.encode()).digest()) == octets
    assert challenge_for(verifier) == "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_pkce_pair_is_fresh_and_well_formed() -> None:
    pairs = {pkce_pair() for _ in range(20)}
    assert len(pairs) == 20
    for verifier, challenge in pairs:
        assert re.fullmatch(r"[A-Za-z0-9\-._~]{43,128}", verifier)
        assert challenge == challenge_for(verifier)
        assert re.fullmatch(r"[A-Za-z0-9\-_]{43}", challenge)


# -- the round trip ---------------------------------------------------------------------------------------------


def test_whole_round_trip(portal: FakePortal, caplog: pytest.LogCaptureFixture) -> None:
    browser = FakeBrowser()
    with caplog.at_level(logging.DEBUG, logger="portal_app.desktop"):
        flow = LoopbackSignIn(portal.url + "/", open_browser=browser)
        url = flow.start()
        code = flow.wait(WAIT)
    assert code == portal.code
    assert browser.opened == [url] and flow.browser_opened

    page = browser.responses[0]
    assert page.status_code == 200
    assert "You are signed in. Return to the Customer Portal window; you can close this tab." in page.text
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["content-type"] == "text/html; charset=utf-8"
    assert "default-src 'none'" in page.headers["content-security-policy"]
    assert not re.search(r"\b(src|href)=|https?://|@import|url\(", page.text)  # nothing loaded from anywhere

    assert not is_listening(port_of(flow))  # one code only: the listener is gone

    redeem = flow.redeem_url()
    assert redeem.startswith(portal.url + REDEEM_PATH + "?")
    answer = browser_get(redeem, follow=False)
    assert answer.status_code == 303 and answer.headers["location"] == "/app"
    assert "portal_session=" in answer.headers["set-cookie"]
    verifier = portal.redeemed["code_verifier"][0]
    assert challenge_for(verifier) == portal.sign_in_params["code_challenge"][0]

    assert code not in caplog.text
    assert verifier not in caplog.text
    assert "Desktop sign-in" in caplog.text  # it did log, just nothing secret


def test_authorize_url_has_exactly_the_contract_parameters(portal: FakePortal) -> None:
    browser = FakeBrowser(visit=False)
    flow = LoopbackSignIn(portal.url, open_browser=browser)
    try:
        url = flow.start()
        parts = urlsplit(url)
        assert f"{parts.scheme}://{parts.netloc}{parts.path}" == portal.url + "/auth/desktop"
        params = parse_qs(parts.query, keep_blank_values=True)
        assert set(params) == {"redirect_uri", "state", "code_challenge", "code_challenge_method"}
        assert all(len(values) == 1 for values in params.values())
        port = port_of(flow)
        assert params["redirect_uri"] == [f"http://127.0.0.1:{port}/callback"]
        assert is_listening(port)
        assert params["code_challenge_method"] == ["S256"]
        assert len(params["state"][0]) >= 43
        assert re.fullmatch(r"[A-Za-z0-9\-_]{43}", params["code_challenge"][0])
        assert parts.fragment == ""
    finally:
        flow.cancel()
    assert not is_listening(port)


def test_wrong_state_is_refused_and_the_right_one_still_works(portal: FakePortal) -> None:
    browser = FakeBrowser(visit=False)
    flow = LoopbackSignIn(portal.url, open_browser=browser)
    flow.start()
    wrong = browser_get(callback_url(flow, code="attacker-code", state="x" * 43))
    assert wrong.status_code == 400
    assert "This sign-in was not started by this app" in wrong.text
    assert wrong.headers["cache-control"] == "no-store"
    for params in ({"code": "c"}, {"code": "c", "state": ""}):
        assert browser_get(callback_url(flow, **params)).status_code == 400
    doubled = f"{flow.redirect_uri}?code=c&state={state_of(flow)}&state={state_of(flow)}"
    assert browser_get(doubled).status_code == 400
    assert not flow.finished

    right = browser_get(callback_url(flow, code="the-code", state=state_of(flow)))
    assert right.status_code == 200
    assert flow.wait(WAIT) == "the-code"


def test_error_from_the_portal_ends_the_wait(portal: FakePortal) -> None:
    portal.deny = True
    browser = FakeBrowser()
    flow = LoopbackSignIn(portal.url, open_browser=browser)
    flow.start()
    with pytest.raises(HandoffError) as info:
        flow.wait(WAIT)
    assert str(info.value) == "Sign-in was cancelled or refused in the browser."
    assert browser.responses[0].status_code == 200
    assert "did not complete" in browser.responses[0].text
    with pytest.raises(RuntimeError):
        flow.redeem_url()


def test_error_with_a_wrong_state_is_ignored(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    assert browser_get(callback_url(flow, error="access_denied", state="forged")).status_code == 400
    assert not flow.finished
    browser_get(callback_url(flow, error="server_error", state=state_of(flow)))
    with pytest.raises(HandoffError, match="could not complete the sign-in"):
        flow.wait(WAIT)


def test_missing_code_keeps_waiting(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    for bad in ("", "a b\x00", "x" * 5000):
        assert browser_get(callback_url(flow, code=bad, state=state_of(flow))).status_code == 400
    assert browser_get(callback_url(flow, state=state_of(flow))).status_code == 400
    assert not flow.finished
    flow.cancel()


def test_timeout(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    with pytest.raises(HandoffError) as info:
        flow.wait(0.2)
    assert "did not finish in time" in str(info.value)
    assert flow.finished
    assert not is_listening(port_of(flow))


def test_cancel_from_another_thread(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    canceller = threading.Thread(target=flow.cancel)
    canceller.start()
    with pytest.raises(HandoffError) as info:
        flow.wait(WAIT)
    canceller.join(WAIT)
    assert str(info.value) == "Sign-in was cancelled."
    assert not is_listening(port_of(flow))


def test_a_code_after_cancel_is_not_taken(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    flow._resolve(error=HandoffError("Sign-in was cancelled."))  # cancelled, listener not closed yet
    late = browser_get(callback_url(flow, code="late", state=state_of(flow)))
    assert late.status_code == 410
    with pytest.raises(HandoffError):
        flow.wait(WAIT)


@pytest.mark.parametrize(
    "path", ["/", "/favicon.ico", "/callback/", "/callbackx", "/auth/desktop", "/../callback"]
)
def test_other_paths_are_not_found(portal: FakePortal, path: str) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    try:
        port = port_of(flow)
        with socket.create_connection(("127.0.0.1", port), timeout=WAIT) as sock:
            sock.sendall(f"GET {path}?code=c&state={state_of(flow)} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            status_line = sock.makefile("rb").readline()
        assert status_line.split()[1] == b"404"
        assert not flow.finished
    finally:
        flow.cancel()


def test_other_methods_are_refused(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    flow.start()
    try:
        answer = httpx.post(callback_url(flow, code="c", state=state_of(flow)), trust_env=False, timeout=WAIT)
        assert answer.status_code == 501
        assert not flow.finished
    finally:
        flow.cancel()


# -- the browser, the paths, misuse -----------------------------------------------------------------------------


@pytest.mark.parametrize("opener", ["false", "raises"])
def test_browser_that_does_not_open_leaves_the_url_to_show(portal: FakePortal, opener: str) -> None:
    def open_browser(url: str) -> bool:
        if opener == "raises":
            raise OSError("no browser")
        return False

    flow = LoopbackSignIn(portal.url, open_browser=open_browser)
    url = flow.start()
    try:
        assert flow.browser_opened is False
        assert url == flow.authorize_url and url.startswith(portal.url + SIGN_IN_PATH)
        browser_get(url)  # the user opens it by hand
        assert flow.wait(WAIT) == portal.code
    finally:
        flow.cancel()


def test_paths_are_module_constants(portal: FakePortal, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(handoff, "SIGN_IN_PATH", "/portal/auth/desktop")
    monkeypatch.setattr(handoff, "REDEEM_PATH", "/portal/auth/desktop/redeem")
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False))
    assert urlsplit(flow.start()).path == "/portal/auth/desktop"
    browser_get(callback_url(flow, code="c1", state=state_of(flow)))
    assert flow.wait(WAIT) == "c1"
    assert urlsplit(flow.redeem_url()).path == "/portal/auth/desktop/redeem"


def test_misuse_is_a_programming_error() -> None:
    flow = LoopbackSignIn("https://portal.example.com", open_browser=FakeBrowser(visit=False))
    with pytest.raises(RuntimeError):
        flow.wait(0)
    with pytest.raises(RuntimeError):
        flow.redeem_url()
    flow.start()
    try:
        with pytest.raises(RuntimeError):
            flow.start()
    finally:
        flow.cancel()
    with pytest.raises(ValueError):
        LoopbackSignIn("https://portal.example.com", host="0.0.0.0")
    with pytest.raises(ValueError):
        LoopbackSignIn("http://portal.example.com")


def test_ipv6_loopback_listener(portal: FakePortal) -> None:
    flow = LoopbackSignIn(portal.url, open_browser=FakeBrowser(visit=False), host="::1")
    try:
        flow.start()
    except OSError:
        pytest.skip("::1 is not configured here")
    try:
        assert re.fullmatch(r"http://\[::1\]:\d+/callback", flow.redirect_uri)
        assert browser_get(callback_url(flow, code="v6", state=state_of(flow))).status_code == 200
        assert flow.wait(WAIT) == "v6"
    finally:
        flow.cancel()
