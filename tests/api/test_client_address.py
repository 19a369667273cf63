"""The client address behind reverse proxies: X-Forwarded-For counts only through the configured trusted hops,
on the HTTP routes and on the event socket alike."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import Route
from starlette.testclient import TestClient

from portal_app.api.client import client_address, forwarded_client
from portal_app.settings import get_settings

ROOT = Path(__file__).resolve().parents[2]
PEER = "testclient"  # the socket peer Starlette's test client reports


@pytest.fixture()
def hops(monkeypatch):
    def use(n: int) -> None:
        monkeypatch.setenv("PORTAL_TRUSTED_PROXY_HOPS", str(n))
        get_settings.cache_clear()

    yield use
    get_settings.cache_clear()


@pytest.fixture()
def client():
    async def whoami(request: Request) -> PlainTextResponse:
        return PlainTextResponse(client_address(request))

    return TestClient(Starlette(routes=[Route("/whoami", whoami)]))


def test_forged_forwarded_for_changes_nothing_without_trusted_proxies(hops, client):
    hops(0)
    for forged in ("203.0.113.9", "203.0.113.9, 198.51.100.7", "", "not an address"):
        assert client.get("/whoami", headers={"x-forwarded-for": forged}).text == PEER


def test_one_trusted_proxy_uses_the_address_it_appended(hops, client):
    hops(1)
    # The client forged the first entry; the proxy appended the address it saw.
    resp = client.get("/whoami", headers={"x-forwarded-for": "10.9.9.9, 203.0.113.9"})
    assert resp.text == "203.0.113.9"
    assert client.get("/whoami").text == PEER  # no header: the peer


@pytest.mark.parametrize(
    ("chain", "n", "expected"),
    [
        ("a", 1, "a"),
        ("forged, a, proxy1", 2, "a"),
        ("a", 2, "peer"),  # fewer entries than trusted hops: something is off, keep the peer
        (" a , b ", 1, "b"),
        ("a,,b", 1, "b"),
        ("a, b", 0, "peer"),
    ],
)
def test_the_hop_rule(chain, n, expected):
    assert forwarded_client("peer", chain, n) == expected


def test_hops_are_bounded(hops):
    hops(-1)
    with pytest.raises(ValueError):
        get_settings()


def _reflex_client_ip(env_hops: str | None, forwarded: str) -> str:
    """Reflex's own client address for a socket, computed with the app's rxconfig in a fresh interpreter."""
    code = """
import json, sys
import reflex_base.config as cfg
import rxconfig
cfg.get_config = lambda *a, **k: rxconfig.config
import reflex.app as app_module
app_module.get_config = cfg.get_config
scope = {"client": ("192.0.2.1", 5555), "headers": [(b"x-forwarded-for", sys.argv[1].encode())]}
data = app_module.EventNamespace._build_static_router_data(None, "sid", {"asgi.scope": scope})
print(json.dumps([rxconfig.config.trusted_proxy_hops, data["ip"]]))
"""
    env = {k: v for k, v in os.environ.items() if k != "PORTAL_TRUSTED_PROXY_HOPS"}
    if env_hops is not None:
        env["PORTAL_TRUSTED_PROXY_HOPS"] = env_hops
    out = subprocess.run(
        [sys.executable, "-c", code, forwarded], cwd=ROOT, env=env, capture_output=True, text=True, check=True
    )
    configured, ip = json.loads(out.stdout.strip().splitlines()[-1])
    assert configured == int(env_hops or 0)
    return ip


def test_the_event_socket_follows_the_same_setting():
    assert _reflex_client_ip(None, "203.0.113.9") == "192.0.2.1"
    assert _reflex_client_ip("1", "10.9.9.9, 203.0.113.9") == "203.0.113.9"
