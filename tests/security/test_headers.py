"""Security headers and CORS on real responses of every route family (SECURITY.md requirement 27).

The app's own routes are built with ``build_api()`` plus Reflex's CORS middleware (``App._add_cors``), as Reflex
mounts them; the responses come from the real handlers over ``httpx.ASGITransport``. Reflex's own routes (``/ping``,
``/_upload``) and the whole ASGI app are covered in tests/api/test_shell.py (an App turns into an ASGI app only once
per process, so this file does not build a second one). Compiled pages are served the way ``reflex run --env prod``
serves them: a static mount of the build folder, with the inline scripts' hashes in the page policy.
"""

from __future__ import annotations

import base64
import hashlib
import io
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from PIL import Image
from sqlmodel import Session
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles

import portal_app.api as api
from models import SessionKind
from portal_app import routes
from portal_app.api import SecurityHeadersMiddleware, build_api, inline_script_hashes, uploads
from portal_app.services import sessions
from portal_app.services.sessions import COOKIE_NAME
from portal_app.settings import Environment, Settings
from tests.aio import run_async
from tests.factories import make_tenant

ROOT = Path(__file__).resolve().parents[2]
OWN_ORIGIN = "http://localhost:3000"
EVIL_ORIGIN = "https://evil.example"
BUILD = ROOT / ".web" / "build" / "client"


def _with_cors(app: Starlette) -> Starlette:
    from reflex.app import App

    App._add_cors(app)
    return app


def _png() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (200, 60), (0, 0, 0)).save(out, "PNG")
    return out.getvalue()


def _exchange(asgi: Any, calls: dict[str, tuple[str, str, dict[str, Any]]]) -> dict[str, httpx.Response]:
    async def go() -> dict[str, httpx.Response]:
        # The backend's address in dev: the mailbox answers loopback hosts only.
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://localhost:8000"
        ) as client:
            return {name: await client.request(m, url, **kw) for name, (m, url, kw) in calls.items()}

    return run_async(go())


@pytest.fixture(scope="module")
def asgi() -> Any:
    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(ROOT)
        mp.syspath_prepend(str(ROOT))
        return _with_cors(build_api())


@pytest.fixture()
def answers(asgi: Any, committed_engine: sa.Engine, storage_dir: Path) -> dict[str, httpx.Response]:
    uploads.upload_clients.clear()
    with Session(committed_engine, expire_on_commit=False) as s:
        a, _b = make_tenant(s), make_tenant(s)
        owner = sessions.create_session(
            s, kind=SessionKind.STAFF, user_id=a.owner.user_id, workspace_id=a.owner.workspace_id
        ).token
        s.commit()
    cookie = {"cookie": f"{COOKIE_NAME}={owner}"}
    upload = {"x-portal-upload": "1", "x-file-name": "logo.png", "content-type": "application/octet-stream"}
    got = _exchange(
        asgi,
        {
            "upload": (
                "POST",
                routes.FILES_UPLOAD_LOGO,
                {"content": _png(), "headers": {**cookie, **upload}},
            ),
            "upload_anonymous": ("POST", routes.FILES_UPLOAD_LOGO, {"content": _png(), "headers": upload}),
            "health": ("GET", routes.HEALTH, {}),
            "auth": ("GET", routes.SIGN_IN, {}),
            "auth_page": ("GET", routes.INVITE, {}),
            "desktop_refused": ("GET", routes.DESKTOP_SIGN_IN, {}),
            "desktop_feed": ("GET", routes.DESKTOP_ACTIVITY, {"headers": cookie}),
            "desktop_feed_anonymous": ("GET", routes.DESKTOP_ACTIVITY, {}),
            "download": ("GET", f"{routes.FILES_INVOICES}.csv", {"headers": cookie}),
            "download_missing": ("GET", f"{routes.FILES_INVOICES}/999999.pdf", {}),
            "mailbox": ("GET", routes.DEV_MAILBOX, {}),
            "logo_missing": ("GET", f"{routes.FILES_LOGO}/{'x' * 43}.png", {}),
            "not_found": ("GET", "/no/such/route", {}),
            "own_origin": ("GET", routes.HEALTH, {"headers": {"origin": OWN_ORIGIN}}),
            "foreign_origin": ("GET", routes.HEALTH, {"headers": {"origin": EVIL_ORIGIN}}),
            "foreign_preflight": (
                "OPTIONS",
                routes.FILES_UPLOAD_LOGO,
                {"headers": {"origin": EVIL_ORIGIN, "access-control-request-method": "POST"}},
            ),
        },
    )
    with Session(committed_engine) as s:
        from models import Workspace

        ws = s.get(Workspace, a.ws.id)
        assert ws is not None and ws.logo_key, got["upload"].text
        key = ws.logo_key
    got |= _exchange(asgi, {"logo": ("GET", f"{routes.FILES_LOGO}/{key}.png", {})})
    uploads.upload_clients.clear()
    return got


# Route family -> expected status: each answer is real, not a stub.
FAMILIES = {
    "health": 200,
    "auth": 302,
    "auth_page": 400,
    "desktop_refused": 400,
    "desktop_feed": 200,
    "desktop_feed_anonymous": 401,
    "download_missing": 404,
    "upload": 200,
    "upload_anonymous": 404,
    "mailbox": 200,
    "logo_missing": 404,
    "not_found": 404,
}
# Routes that send their own, stricter policy (nothing may load, sandboxed) for the bytes they serve.
OWN_POLICY = {"download": 200, "logo": 200}


@pytest.mark.parametrize("name", [*FAMILIES, *OWN_POLICY])
def test_every_route_family_carries_the_security_headers(
    answers: dict[str, httpx.Response], name: str
) -> None:
    resp = answers[name]
    assert resp.status_code == {**FAMILIES, **OWN_POLICY}[name], resp.text
    assert resp.headers["x-content-type-options"] == "nosniff"
    # Sign-in and invitation routes carry tokens in their URLs and send the stricter no-referrer themselves.
    assert resp.headers["referrer-policy"] in {"strict-origin-when-cross-origin", "no-referrer"}
    assert "strict-transport-security" not in resp.headers  # dev settings
    csp = resp.headers["content-security-policy"]
    if name in OWN_POLICY:
        assert "default-src 'none'" in csp and "sandbox" in csp
        assert "frame-ancestors 'none'" in csp
        assert resp.headers["x-frame-options"] == "DENY"  # framing refused for these too
    else:
        directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
        assert directives["frame-ancestors"] == "'none'"
        assert directives["object-src"] == "'none'"
        assert directives["base-uri"] == "'self'"
        assert "'unsafe-inline'" not in directives["script-src"]
        assert directives["img-src"] == "'self' data:"
        assert directives["connect-src"] == "'self' ws://localhost:3000"
        assert directives["form-action"].split() == [
            "'self'",
            "http://localhost:3000",
            "http://localhost:8000",
        ]


def test_cors_answers_the_apps_own_origin_only(answers: dict[str, httpx.Response]) -> None:
    assert answers["own_origin"].headers["access-control-allow-origin"] == OWN_ORIGIN
    assert "access-control-allow-origin" not in answers["foreign_origin"].headers
    assert "access-control-allow-origin" not in answers["foreign_preflight"].headers
    assert answers["foreign_preflight"].status_code >= 400


def test_hsts_on_real_responses_in_production_only(monkeypatch: pytest.MonkeyPatch) -> None:
    prod = Settings(
        env=Environment.PROD,
        session_secret="x" * 40,
        oidc_issuer="https://issuer.invalid",
        oidc_client_id="cid",
        oidc_client_secret="c" * 40,
        public_base_url="https://portal.invalid",
    )
    monkeypatch.setattr(api, "get_settings", lambda: prod)
    got = _exchange(_with_cors(build_api()), {"health": ("GET", routes.HEALTH, {})})["health"]
    assert got.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"
    assert "connect-src 'self' wss://portal.invalid;" in got.headers["content-security-policy"]
    plain_http = prod.model_copy(update={"public_base_url": "http://portal.invalid"})
    monkeypatch.setattr(api, "get_settings", lambda: plain_http)
    assert "strict-transport-security" not in dict(api.security_headers())


# --- compiled pages ---------------------------------------------------------------------------------------------


def _sha(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


PAGE = (
    "<!DOCTYPE html><html><head><script>document.documentElement.classList.add('light')</script>"
    '<link rel="modulepreload" href="/assets/a.js"/><script src="/assets/b.js"></script></head><body>'
    '<script type="module" async="">import "/assets/a.js";</script></body></html>'
)


@pytest.fixture()
def served_build(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Any:
    """A build folder mounted like ``reflex run --env prod`` mounts ``.web/build/client``."""
    static = tmp_path / "build" / "client"
    (static / "assets").mkdir(parents=True)
    (static / "index.html").write_text(PAGE)
    (static / "assets" / "a.js").write_text("export const a = 1;")
    (static / "assets" / "entry.client-DAbZKoE_.js").write_text("export const b = 1;")
    (static / "assets" / "root-DoMm2ViJ.css").write_text("body{}")
    monkeypatch.setenv("REFLEX_WEB_WORKDIR", str(tmp_path))
    # What ``reflex run --env prod`` sets for its backend (an internal Reflex variable, hence the prefix).
    monkeypatch.setenv("__REFLEX_MOUNT_FRONTEND_COMPILED_APP", "true")
    return Starlette(
        routes=[Mount("/", StaticFiles(directory=static, html=True))],
        middleware=[Middleware(SecurityHeadersMiddleware)],
    )


def test_hashed_build_files_are_cached_for_good_and_pages_are_not(served_build: Any) -> None:
    got = _exchange(
        served_build,
        {
            "script": ("GET", "/assets/entry.client-DAbZKoE_.js", {}),
            "style": ("GET", "/assets/root-DoMm2ViJ.css", {}),
            "unhashed": ("GET", "/assets/a.js", {}),
            "page": ("GET", "/", {}),
            "missing": ("GET", "/assets/gone-DAbZKoE_.js", {}),
        },
    )
    for name in ("script", "style"):
        assert got[name].headers["cache-control"] == "public, max-age=31536000, immutable", name
    for name in ("unhashed", "page", "missing"):
        assert "immutable" not in got[name].headers.get("cache-control", ""), name
    assert got["missing"].status_code == 404


def test_compiled_pages_run_their_own_inline_scripts_and_nothing_else(served_build: Any) -> None:
    got = _exchange(served_build, {"page": ("GET", "/", {}), "script": ("GET", "/assets/a.js", {})})
    page_csp = got["page"].headers["content-security-policy"]
    script_src = dict(d.strip().split(" ", 1) for d in page_csp.split(";"))["script-src"].split()
    inline = [_sha("document.documentElement.classList.add('light')"), _sha('import "/assets/a.js";')]
    assert sorted(script_src) == sorted(["'self'", "'unsafe-eval'", *inline])
    # Scripts, JSON, images: the same policy without the page hashes (a CSP governs documents only).
    assert got["script"].headers["content-security-policy"] == api.content_security_policy(OWN_ORIGIN)
    # A revalidated page (304, no body type) keeps the page policy: the cached page's headers are updated from it.
    etag = got["page"].headers["etag"]
    again = _exchange(served_build, {"page": ("GET", "/", {"headers": {"if-none-match": etag}})})["page"]
    assert again.status_code == 304
    assert again.headers["content-security-policy"] == page_csp


class _Scripts(HTMLParser):
    """Inline script texts as a browser's HTML parser sees them (independent of the regular expression)."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=False)
        self.texts: list[str] = []
        self._inline: bool | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "script":
            self._inline = not any(name == "src" for name, _ in attrs)
            self.texts.append("")
        for name, value in attrs:
            assert not name.startswith("on"), f"inline event handler {name}: a hash cannot allow it"
            assert not (value or "").strip().lower().startswith("javascript:"), "javascript: URL"

    def handle_data(self, data: str) -> None:
        if self._inline:
            self.texts[-1] += data

    def handle_endtag(self, tag: str) -> None:
        if tag == "script":
            if not self._inline:
                self.texts.pop()
            self._inline = None


@pytest.mark.skipif(not (BUILD / "index.html").is_file(), reason="no production build (make run builds one)")
def test_every_inline_script_of_the_real_build_is_hashed() -> None:
    hashes = set(inline_script_hashes(BUILD))
    pages = list(BUILD.rglob("*.html"))
    for page in pages:
        parser = _Scripts()
        parser.feed(page.read_text(encoding="utf-8"))
        assert parser.texts, page
        missing = [t[:80] for t in parser.texts if t and _sha(t) not in hashes]
        assert not missing, (page, missing)
