"""Loopback ports, waiting for the local app to serve, and the reachability check of a portal server, against real
sockets and HTTP servers on 127.0.0.1."""

from __future__ import annotations

import datetime
import ipaddress
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from portal_app.desktop import ports
from portal_app.desktop.ports import Status, free_loopback_port, server_status, wait_until_serving

Answer = tuple[int, dict[str, str], bytes]
HEALTHY: Answer = (200, {"Content-Type": "application/json"}, b'{"status": "ok"}')


class FakeServer:
    """An HTTP server on 127.0.0.1 whose answers come from ``answer(path)``; it records the paths it was asked."""

    def __init__(
        self, answer: Callable[[str], Answer], port: int = 0, tls: ssl.SSLContext | None = None
    ) -> None:
        self.paths: list[str] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                outer.paths.append(self.path)
                status, headers, body = answer(self.path)
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", port), Handler)
        if tls is not None:
            self.httpd.socket = tls.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        self.url = f"{'https' if tls else 'http'}://127.0.0.1:{self.port}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


@contextmanager
def serving(answer: Callable[[str], Answer], **kwargs: object) -> Iterator[FakeServer]:
    server = FakeServer(answer, **kwargs)  # type: ignore[arg-type]
    try:
        yield server
    finally:
        server.close()


# -- free_loopback_port -----------------------------------------------------------------------------------------


def test_free_loopback_port_can_be_bound() -> None:
    port = free_loopback_port()
    assert 1024 <= port <= 65535
    with socket.create_server(("127.0.0.1", port)) as sock:
        assert sock.getsockname()[1] == port


def test_free_loopback_port_on_ipv6() -> None:
    if not socket.has_ipv6:
        pytest.skip("no IPv6 support")
    try:
        port = free_loopback_port("::1")
    except OSError:
        pytest.skip("::1 is not configured here")
    assert 0 < port <= 65535


@pytest.mark.parametrize("host", ["0.0.0.0", "192.168.1.10", "localhost", "::"])
def test_free_loopback_port_refuses_other_hosts(host: str) -> None:
    with pytest.raises(ValueError):
        free_loopback_port(host)


# -- wait_until_serving -----------------------------------------------------------------------------------------


def test_wait_returns_once_the_app_answers() -> None:
    with serving(lambda path: HEALTHY) as server:
        assert wait_until_serving(server.url + "/app", timeout=10) is True
        assert server.paths == ["/app"]


def test_wait_keeps_polling_through_error_answers() -> None:
    statuses = iter([503, 500, 200])
    with serving(lambda path: (next(statuses), {}, b"")) as server:
        assert wait_until_serving(server.url + "/app", timeout=10, interval=0.01) is True
        assert len(server.paths) == 3


def test_wait_covers_an_app_that_starts_listening_later() -> None:
    port = free_loopback_port()
    started: list[FakeServer] = []

    def alive() -> bool:  # called after each failed attempt: the first failure "starts" the app
        if not started:
            started.append(FakeServer(lambda path: HEALTHY, port=port))
        return True

    try:
        assert (
            wait_until_serving(f"http://127.0.0.1:{port}/app", timeout=10, interval=0.01, alive=alive) is True
        )
        assert started[0].paths == ["/app"]
    finally:
        for server in started:
            server.close()


def test_wait_stops_at_once_when_the_backend_died() -> None:
    calls: list[int] = []

    def alive() -> bool:
        calls.append(1)
        return False

    port = free_loopback_port()
    assert wait_until_serving(f"http://127.0.0.1:{port}/", timeout=60, alive=alive) is False
    assert calls == [1]


def test_wait_gives_up_after_the_timeout() -> None:
    port = free_loopback_port()
    assert wait_until_serving(f"http://127.0.0.1:{port}/", timeout=0.3, interval=0.05) is False


def test_wait_does_not_follow_redirects_or_use_proxies(monkeypatch: pytest.MonkeyPatch) -> None:
    dead = free_loopback_port()
    monkeypatch.setenv("http_proxy", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("HTTP_PROXY", f"http://127.0.0.1:{dead}")
    monkeypatch.setenv("no_proxy", "")
    answers = {"/start": (302, {"Location": "/elsewhere"}, b""), "/elsewhere": HEALTHY}
    attempts: list[int] = []

    def alive() -> bool:
        attempts.append(1)
        return len(attempts) < 3

    with serving(lambda path: answers[path]) as server:
        assert wait_until_serving(server.url + "/start", timeout=10, interval=0.01, alive=alive) is False
        assert (
            server.paths == ["/start"] * 3
        )  # reached directly, despite the proxy settings; never redirected
        assert wait_until_serving(server.url + "/elsewhere", timeout=10) is True


@pytest.mark.parametrize(
    "url",
    ["http://example.com/", "http://10.0.0.1:3000/", "ftp://127.0.0.1/", "http://0.0.0.0:3000/", "/app"],
)
def test_wait_polls_only_this_computer(url: str) -> None:
    with pytest.raises(ValueError):
        wait_until_serving(url, timeout=1)


# -- server_status ----------------------------------------------------------------------------------------------


def test_health_route_is_the_apps() -> None:
    from starlette.testclient import TestClient

    from portal_app import routes
    from portal_app.api import build_api

    assert ports.HEALTH_PATH == routes.HEALTH
    response = TestClient(build_api()).get(routes.HEALTH)
    assert response.status_code == 200
    assert ports._is_health_answer(response.content)


def test_reachable_server() -> None:
    with serving(lambda path: HEALTHY) as server:
        status = server_status(server.url + "/")
        assert status == Status(reachable=True, host="127.0.0.1", problem="ok", reason="")
        assert server.paths == ["/api/health"]


def test_server_below_a_path() -> None:
    with serving(lambda path: HEALTHY) as server:
        assert server_status(server.url + "/team").reachable
        assert server.paths == ["/team/api/health"]


def test_connection_refused() -> None:
    port = free_loopback_port()
    status = server_status(f"http://127.0.0.1:{port}")
    assert status == Status(False, "127.0.0.1", "refused", "connection refused")


def test_silent_server_times_out() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:  # accepts (backlog) but never answers
        port = listener.getsockname()[1]
        status = server_status(f"http://127.0.0.1:{port}", timeout=0.3)
    assert (status.reachable, status.problem, status.reason) == (False, "timeout", "the connection timed out")


def test_unknown_name(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_such_name(*args: object, **kwargs: object) -> object:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(socket, "getaddrinfo", no_such_name)
    status = server_status("portal.example.com")
    assert status == Status(False, "portal.example.com", "dns", "the server name could not be found")


def test_plain_http_server_behind_an_https_address() -> None:
    with serving(lambda path: HEALTHY) as server:
        status = server_status(f"https://127.0.0.1:{server.port}", timeout=5)
    assert (status.reachable, status.problem, status.reason) == (False, "tls", "the secure connection failed")


@pytest.mark.parametrize(
    ("answer", "problem", "words"),
    [
        ((503, {}, b"busy"), "http", "HTTP 503"),
        ((500, {}, b""), "http", "HTTP 500"),
        ((404, {}, b"not here"), "not-portal", "HTTP 404"),
        ((302, {"Location": "https://sso.example/login"}, b""), "not-portal", "HTTP 302"),
        (
            (200, {"Content-Type": "text/html"}, b"<html>Welcome to nginx</html>"),
            "not-portal",
            "Customer Portal",
        ),
        ((200, {}, b'{"status": "down"}'), "not-portal", "Customer Portal"),
        ((200, {}, b"[" * 5000), "not-portal", "Customer Portal"),
    ],
)
def test_answers_that_are_not_a_healthy_portal(answer: Answer, problem: str, words: str) -> None:
    with serving(lambda path: answer) as server:
        status = server_status(server.url)
    assert not status.reachable
    assert status.problem == problem
    assert words in status.reason


def test_invalid_address_is_reported_not_raised() -> None:
    status = server_status("ftp://portal.example.com")
    assert (status.reachable, status.problem) == (False, "invalid")
    assert "https://" in status.reason


def _self_signed(tmp_path: Path) -> tuple[Path, Path, str]:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "test portal")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(minutes=5))
        .not_valid_after(now + datetime.timedelta(hours=1))
        .add_extension(
            x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), False
        )
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), True)
        .sign(key, hashes.SHA256())
    )
    cert_pem = cert.public_bytes(serialization.Encoding.PEM)
    key_file, cert_file = tmp_path / "key.pem", tmp_path / "cert.pem"
    key_file.write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    cert_file.write_bytes(cert_pem)
    return cert_file, key_file, cert_pem.decode()


def test_tls_certificate_is_verified(tmp_path: Path) -> None:
    cert_file, key_file, cert_pem = _self_signed(tmp_path)
    server_tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_tls.load_cert_chain(cert_file, key_file)
    with serving(lambda path: HEALTHY, tls=server_tls) as server:
        untrusted = server_status(server.url)
        trusting = ssl.create_default_context(cadata=cert_pem)
        trusted = server_status(server.url, ssl_context=trusting)
    assert untrusted == Status(False, "127.0.0.1", "tls", "the server's certificate is not trusted")
    assert trusted == Status(True, "127.0.0.1")
