"""Frontend weight of the public landing, the customer portal and the staff app, in headless Chromium on loopback.

For each page (``/`` signed out, ``/portal`` as a demo contact, ``/app`` as the demo owner) it measures the script
and stylesheet files the browser loads until the page's main content is visible: count, bytes on the wire
(``encodedBodySize`` from the Resource Timing API: the compressed body the server sent) and uncompressed bytes
(``decodedBodySize``), plus first contentful paint and the time until the main content shows. Each of LOADS runs
opens a fresh browser context (an empty HTTP cache: a cold load), then loads the same page again in that context
(a warm load: what is still fresh in the cache is not fetched). Times are medians over the runs. The server sends
the hashed assets with ``Cache-Control: immutable`` (portal_app/api/__init__.py), so a warm load fetches none of
them; the warm figures report how many files still crossed the network.

The app runs the way production does: ``reflex run --env prod`` from a private copy of the project with its own
seeded SQLite database (tests/e2e/server.py), so the developer's own ``.web/`` and ``var/`` are never touched; the
copy is removed at the end. The production build takes under a minute with a warm package cache, minutes without.

It then reads the build the copy produced (React Router's route manifest and the compiled sources) to show what each
page's JavaScript consists of: the shell every page loads (runtime, root layout, state context) against the page's
own route chunks, whether any other page's route module is loaded, and how much of the shared state context is the
default values of states that only staff pages use.

Targets: at most 400 KB of compressed JavaScript and 500 ms to first contentful paint per page. The
script prints figures and writes them to bench/results.json under "frontend"; it asserts nothing.

    .venv/bin/python bench/frontend_weight.py                   # measure, write bench/results.json
    .venv/bin/python bench/frontend_weight.py --lazy-libraries  # the same build with Reflex's
        # frontend_lazy_bundled_libraries switched on (an environment override for the private copy only),
        # written under "frontend" -> "with_lazy_bundled_libraries"
    .venv/bin/python bench/frontend_weight.py --keep            # keep the private copy (build output) to read
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import re
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib.metadata import version
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from playwright.sync_api import Browser, BrowserContext, Page, Response, expect, sync_playwright  # noqa: E402
from playwright.sync_api import Error as PlaywrightError  # noqa: E402

from tests.e2e.conftest import CHROMIUM, CHROMIUM_ARGS, DESKTOP  # noqa: E402
from tests.e2e.server import RunningApp, start  # noqa: E402

RESULTS = ROOT / "bench" / "results.json"
LOADS = 5
TARGET_JS_KB = 400
TARGET_FCP_MS = 500
KB = 1024
LARGEST = 6  # the page's largest scripts, listed with where they come from
TIMEOUT_MS = 30_000
# After the main content shows, chunks requested late (a lazily imported module) still count: wait this long.
SETTLE_MS = 750
CONTACT_EMAIL = "alice@contoso.example"  # demo contact (seed data)
OWNER = "Olivia Owner"  # demo workspace owner (seed data)
# Playwright cannot take a "/" inside a name pattern: "." stands for it.
MAGIC_LINK = re.compile(r"auth.magic.")
# Staff-only parts of the state tree: their default values travel in the shared state context of every page.
STAFF_STATE_MARKERS = ("___staff_area", "___operator_state", "___onboarding_state")


@dataclass(frozen=True)
class PageCase:
    path: str
    # CSS selector of the page's main content: the page counts as shown once it has text and a box.
    ready: str
    # Signs a fresh page in through the real flow; None for a public page.
    sign_in: Callable[[Page], None] | None
    who: str


def sign_in_contact(page: Page) -> None:
    """Contact sign-in: magic link from the local mailbox (as in tests/e2e/test_flows.py)."""
    page.goto("/portal/sign-in")
    page.get_by_label("Email address").fill(CONTACT_EMAIL)
    page.get_by_role("button", name="Email me a sign-in link").click()
    expect(page.locator("#magic-sent")).to_be_visible()
    page.goto("/dev/mailbox")
    page.get_by_role("link", name=MAGIC_LINK).first.click()
    page.get_by_role("button", name="Continue to the portal").click()
    page.wait_for_url(re.compile(r".*/portal/?$"))
    expect(page.locator("#account-name")).not_to_be_empty()


def sign_in_owner(page: Page) -> None:
    """Staff sign-in: /app, the gate's sign-in link, the built-in identity provider, pick a demo person."""
    page.goto("/app")
    page.get_by_role("main").get_by_role("link", name="Sign in").click()
    page.wait_for_url(re.compile(r".*/dev-idp/.*"))
    page.get_by_role("button", name=re.compile(OWNER)).click()
    page.wait_for_url(re.compile(r".*/app/?$"))
    expect(page.locator("#workspace-name")).to_be_visible()


PAGES = (
    PageCase("/", "h1", None, "signed out"),
    PageCase("/portal", "#account-name", sign_in_contact, f"contact {CONTACT_EMAIL}"),
    PageCase("/app", "#workspace-name", sign_in_owner, f"owner {OWNER}"),
)

# Runs before any script of each document: a large resource-timing buffer (a page loads 100+ files), and the moment
# the main content first has text and a box, recorded on the DOM mutation that produced it.
INIT_SCRIPT = """
(() => {
  try { performance.setResourceTimingBufferSize(5000); } catch (e) {}
  const selector = %s;
  const ready = () => {
    const el = document.querySelector(selector);
    return !!el && el.textContent.trim().length > 0 && el.getClientRects().length > 0;
  };
  const mark = () => {
    if (window.__benchReadyAt === undefined && ready()) window.__benchReadyAt = performance.now();
    return window.__benchReadyAt !== undefined;
  };
  const observer = new MutationObserver(() => { if (mark()) observer.disconnect(); });
  observer.observe(document, {subtree: true, childList: true, characterData: true, attributes: true});
})();
"""

COLLECT = """
() => {
  const fcp = performance.getEntriesByName('first-contentful-paint')[0];
  const nav = performance.getEntriesByType('navigation')[0];
  return {
    fcp: fcp ? fcp.startTime : null,
    ready: window.__benchReadyAt === undefined ? null : window.__benchReadyAt,
    document: nav ? {transfer: nav.transferSize, encoded: nav.encodedBodySize, decoded: nav.decodedBodySize} : null,
    resources: performance.getEntriesByType('resource').map(e => ({
      url: e.name, initiator: e.initiatorType, transfer: e.transferSize,
      encoded: e.encodedBodySize, decoded: e.decodedBodySize,
    })),
  };
}
"""


def _kind(url: str) -> str | None:
    path = urlparse(url).path
    if path.endswith((".js", ".mjs")):
        return "js"
    if path.endswith(".css"):
        return "css"
    return None


def _load(page: Page, url: str, case: PageCase) -> dict[str, Any]:
    """Navigate, wait for the main content, let late chunks arrive, and read the browser's own timings."""
    page.goto(url, wait_until="commit")
    page.wait_for_function("() => window.__benchReadyAt !== undefined", timeout=TIMEOUT_MS)
    page.wait_for_function(
        "() => performance.getEntriesByName('first-contentful-paint').length > 0", timeout=TIMEOUT_MS
    )
    page.wait_for_timeout(SETTLE_MS)
    landed = urlparse(page.url).path.rstrip("/") or "/"
    if landed != case.path:
        raise RuntimeError(f"{case.path}: the browser ended on {page.url} (not signed in?)")
    data: dict[str, Any] = page.evaluate(COLLECT)
    files: dict[str, dict[str, Any]] = {}
    for entry in data["resources"]:
        kind = _kind(entry["url"])
        if kind is None:
            continue
        path = urlparse(entry["url"]).path
        # One entry per file (a module preloaded and then imported is fetched once).
        files.setdefault(path, {"kind": kind, **entry})
    data["files"] = files
    return data


def _sum(files: dict[str, dict[str, Any]], kind: str, field: str) -> int:
    return sum(int(f[field]) for f in files.values() if f["kind"] == kind)


def _headers(responses: list[Response]) -> dict[str, Any]:
    """Content-Encoding and Cache-Control the server sent for scripts and stylesheets (first cold load)."""
    encodings: dict[str, int] = {}
    cache_control: dict[str, int] = {}
    uncompressed: list[Response] = []
    for response in responses:
        headers = response.all_headers()
        encoding = headers.get("content-encoding", "identity")
        encodings[encoding] = encodings.get(encoding, 0) + 1
        cc = headers.get("cache-control", "(none)")
        cache_control[cc] = cache_control.get(cc, 0) + 1
        if encoding == "identity":
            uncompressed.append(response)
    # Files the server sent as they are: what gzip -6 would make of them, so the figures stay comparable.
    gzip6 = 0
    missing = 0
    for response in uncompressed:
        try:
            gzip6 += len(gzip.compress(response.body(), compresslevel=6))
        except PlaywrightError:  # a body the browser no longer holds
            missing += 1
    return {
        "content_encoding": encodings,
        "cache_control": cache_control,
        "uncompressed_files": len(uncompressed),
        "uncompressed_files_gzip6_bytes": gzip6,
        "uncompressed_files_without_body": missing,
    }


def _signed_in_state(browser: Browser, app: RunningApp, case: PageCase) -> Any:
    """Sign in once through the real flow and keep the cookies (the HttpOnly session cookie included)."""
    if case.sign_in is None:
        return None
    context = browser.new_context(viewport=DESKTOP, base_url=app.base_url)
    context.set_default_timeout(TIMEOUT_MS)
    try:
        case.sign_in(context.new_page())
        return context.storage_state()  # Reflex's tab token lives in sessionStorage: each tab gets its own
    finally:
        context.close()


def _new_tab(
    browser: Browser, app: RunningApp, case: PageCase, storage_state: Any
) -> tuple[BrowserContext, Page]:
    """A fresh browser context: its own, empty HTTP cache (a cold load), the person's cookies."""
    context = browser.new_context(viewport=DESKTOP, base_url=app.base_url, storage_state=storage_state)
    context.set_default_timeout(TIMEOUT_MS)
    context.add_init_script(INIT_SCRIPT % json.dumps(case.ready))
    return context, context.new_page()


def measure_pages(browser: Browser, app: RunningApp) -> dict[str, dict[str, Any]]:
    """LOADS rounds over all pages (interleaved, so drift on a busy machine touches every page alike)."""
    states = {case.path: _signed_in_state(browser, app, case) for case in PAGES}
    # One untimed load of each page first: the server reads its files once, the browser starts its helpers.
    for case in PAGES:
        context, page = _new_tab(browser, app, case, states[case.path])
        _load(page, app.base_url + case.path, case)
        context.close()
    cold: dict[str, list[dict[str, Any]]] = {case.path: [] for case in PAGES}
    warm: dict[str, list[dict[str, Any]]] = {case.path: [] for case in PAGES}
    headers: dict[str, dict[str, Any]] = {}
    for run in range(LOADS):
        for case in PAGES:
            url = app.base_url + case.path
            context, page = _new_tab(browser, app, case, states[case.path])
            responses: list[Response] = []  # scripts and stylesheets of the first cold load

            def keep(response: Response, responses: list[Response] = responses) -> None:
                if response.request.resource_type in ("script", "stylesheet"):
                    responses.append(response)

            if run == 0:
                page.on("response", keep)
            cold[case.path].append(_load(page, url, case))
            if run == 0:
                page.remove_listener("response", keep)
                headers[case.path] = _headers(responses)
            warm[case.path].append(_load(page, url, case))  # the same tab again: a warm cache
            context.close()
    return {case.path: _summary(case, cold[case.path], warm[case.path], headers[case.path]) for case in PAGES}


def _summary(
    case: PageCase, cold: list[dict[str, Any]], warm: list[dict[str, Any]], headers: dict[str, Any]
) -> dict[str, Any]:
    first = cold[0]["files"]

    def median(runs: list[dict[str, Any]], key: str) -> float | None:
        values = [r[key] for r in runs if r[key] is not None]
        return round(statistics.median(values), 1) if values else None

    js_encoded = [_sum(r["files"], "js", "encoded") for r in cold]
    return {
        "who": case.who,
        "ready_selector": case.ready,
        "js_files": sum(1 for f in first.values() if f["kind"] == "js"),
        "js_kb": round(statistics.median(js_encoded) / KB, 1),
        "js_kb_uncompressed": round(_sum(first, "js", "decoded") / KB, 1),
        "css_files": sum(1 for f in first.values() if f["kind"] == "css"),
        "css_kb": round(_sum(first, "css", "encoded") / KB, 1),
        "css_kb_uncompressed": round(_sum(first, "css", "decoded") / KB, 1),
        "html_kb": round(cold[0]["document"]["encoded"] / KB, 1) if cold[0]["document"] else None,
        "fcp_ms_cold": median(cold, "fcp"),
        "fcp_ms_warm": median(warm, "fcp"),
        "content_ms_cold": median(cold, "ready"),
        "content_ms_warm": median(warm, "ready"),
        "fcp_ms_cold_runs": [round(r["fcp"], 1) for r in cold],
        "fcp_ms_warm_runs": [round(r["fcp"], 1) for r in warm],
        "js_kb_runs": [round(b / KB, 1) for b in js_encoded],
        # Warm: bytes that still crossed the network for scripts and stylesheets (0 = served from cache).
        "warm_js_css_transfer_kb": round(
            statistics.median(
                [sum(int(f["transfer"]) for f in r["files"].values()) for r in warm]  # headers included
            )
            / KB,
            1,
        ),
        "warm_js_css_files_fetched": statistics.median(
            [sum(1 for f in r["files"].values() if int(f["transfer"]) > 0) for r in warm]
        ),
        "headers": headers,
        "files": {
            path: {"kind": f["kind"], "encoded": f["encoded"], "decoded": f["decoded"]}
            for path, f in first.items()
        },
    }


# ---------------------------------------------------------------- what the bundle is made of


def _client_dir(project: Path) -> Path | None:
    for candidate in (project / ".web" / "build" / "client", project / ".web" / "build"):
        if list((candidate / "assets").glob("manifest-*.js")):
            return candidate
    return None


def _manifest(client: Path) -> dict[str, Any]:
    text = next((client / "assets").glob("manifest-*.js")).read_text()
    body = text.split("=", 1)[1].strip().rstrip(";")
    return dict(json.loads(body))


def _route_for(manifest: dict[str, Any], path: str) -> str:
    want = path.strip("/")
    for route_id, route in manifest["routes"].items():
        if route_id == "root":
            continue
        if (want == "" and route.get("index") and not route.get("path")) or route.get("path") == want:
            return str(route_id)
    raise LookupError(f"no route for {path} in the route manifest")


def _initial_state(project: Path) -> dict[str, Any]:
    source = (project / ".web" / "utils" / "context.jsx").read_text()
    line = next(line for line in source.splitlines() if line.startswith("export const initialState = "))
    return dict(json.loads(line.removeprefix("export const initialState = ").rstrip(";")))


def analyse_bundle(project: Path, pages: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """Split each page's loaded JavaScript into the every-page shell and its own route chunks, from the build."""
    client = _client_dir(project)
    if client is None:
        return {"error": "no React Router manifest found under .web/build"}
    manifest = _manifest(client)
    routes = manifest["routes"]
    entry = manifest["entry"]
    manifest_file = "/" + next((client / "assets").glob("manifest-*.js")).relative_to(client).as_posix()
    shell = {
        entry["module"],
        *entry["imports"],
        routes["root"]["module"],
        *routes["root"]["imports"],
        manifest_file,
    }
    route_modules = {r["module"]: route_id for route_id, r in routes.items() if route_id != "root"}
    staff_route_ids = [route_id for route_id in routes if route_id.startswith("routes/[app]")]
    staff_files = {
        f for route_id in staff_route_ids for f in (routes[route_id]["module"], *routes[route_id]["imports"])
    }

    state = _initial_state(project)
    staff_states = {k: v for k, v in state.items() if any(m in k for m in STAFF_STATE_MARKERS)}
    staff_json = json.dumps(staff_states, separators=(",", ":")).encode()
    all_json = json.dumps(state, separators=(",", ":")).encode()
    root_jsx = (project / ".web" / "app" / "root.jsx").read_text()
    namespace_imports = re.findall(r'^import \* as (\w+) from "([^"]+)"', root_jsx, flags=re.M)

    analysis: dict[str, Any] = {
        "routes_in_manifest": len(routes) - 1,
        "staff_routes": len(staff_route_ids),
        "shell_files": len(shell),
        "root_namespace_imports": [lib for _, lib in namespace_imports],
        "initial_state": {
            "states": len(state),
            "staff_only_states": len(staff_states),
            "bytes": len(all_json),
            "staff_only_bytes": len(staff_json),
            "staff_only_gzip9_bytes_alone": len(gzip.compress(staff_json, compresslevel=9)),
        },
        "pages": {},
    }
    for path, measured in pages.items():
        route_id = _route_for(manifest, path)
        route = routes[route_id]
        own = {route["module"], *route["imports"]} - shell
        js = {p: f for p, f in measured["files"].items() if f["kind"] == "js"}
        total = sum(int(f["encoded"]) for f in js.values()) or 1
        groups: dict[str, list[str]] = {"shell": [], "route": [], "other": []}
        for file in js:
            groups["shell" if file in shell else "route" if file in own else "other"].append(file)
        foreign_modules = sorted(
            route_modules[f] for f in js if f in route_modules and route_modules[f] != route_id
        )
        shared_with_staff = (
            [f for f in groups["route"] if f in staff_files] if not path.startswith("/app") else []
        )

        def kb(files: list[str], js: dict[str, dict[str, Any]] = js) -> float:
            return round(sum(int(js[f]["encoded"]) for f in files) / KB, 1)

        # Where the staff states' defaults live: files among this page's scripts that name them.
        staff_state_files = {}
        for file in js:
            on_disk = client / file.lstrip("/")
            if on_disk.is_file():
                text = on_disk.read_text(errors="replace")
                hits = sum(text.count(m) for m in STAFF_STATE_MARKERS)
                if hits:
                    staff_state_files[file] = hits
        analysis["pages"][path] = {
            "route_id": route_id,
            "route_module": route["module"],
            "shell_kb": kb(groups["shell"]),
            "shell_files": len(groups["shell"]),
            "route_kb": kb(groups["route"]),
            "route_files": len(groups["route"]),
            "other_kb": kb(groups["other"]),
            "other_files": sorted(groups["other"]),
            "shell_share": round(kb(groups["shell"]) * KB / total, 3),
            "route_module_kb": kb([route["module"]] if route["module"] in js else []),
            "other_pages_route_modules_loaded": foreign_modules,
            "route_chunks_shared_with_staff_routes": len(shared_with_staff),
            "route_chunks_shared_with_staff_routes_kb": kb(shared_with_staff),
            "files_naming_staff_states": staff_state_files,
            "largest": [
                {
                    "file": file,
                    "kb": kb([file]),
                    "group": "shell" if file in shell else "route" if file in own else "other",
                    "other_routes_importing": sum(
                        1
                        for rid, r in routes.items()
                        if rid not in ("root", route_id) and file in r["imports"]
                    ),
                }
                for file in sorted(js, key=lambda f: int(js[f]["encoded"]), reverse=True)[:LARGEST]
            ],
        }
    return analysis


# ---------------------------------------------------------------- run, print, save


def _fmt(value: float | None, width: int, digits: int = 0) -> str:
    return f"{'-':>{width}}" if value is None else f"{value:>{width}.{digits}f}"


def print_table(pages: dict[str, dict[str, Any]]) -> None:
    print()
    print(
        f"{'page':8} {'JS files':>8} {'JS KB':>7} {'CSS KB':>7} {'FCP ms':>7} {'FCP warm':>8} "
        f"{'shown ms':>8} {'shown warm':>10} {'target KB':>9} {'target ms':>9}  within"
    )
    for path, p in pages.items():
        within = (p["js_kb"] <= TARGET_JS_KB) and (p["fcp_ms_cold"] or 0) <= TARGET_FCP_MS
        print(
            f"{path:8} {p['js_files']:>8} {_fmt(p['js_kb'], 7, 1)} {_fmt(p['css_kb'], 7, 1)} "
            f"{_fmt(p['fcp_ms_cold'], 7)} {_fmt(p['fcp_ms_warm'], 8)} {_fmt(p['content_ms_cold'], 8)} "
            f"{_fmt(p['content_ms_warm'], 10)} {TARGET_JS_KB:>9} {TARGET_FCP_MS:>9}  {'yes' if within else 'NO'}"
        )
    print(
        f"\nKB = {KB} bytes as sent (compressed); ms = median of {LOADS} loads from navigation start; "
        "'shown' = main content visible; warm = the same page again in the same browser context."
    )
    for path, p in pages.items():
        h = p["headers"]
        print(
            f"{path:8} uncompressed JS {p['js_kb_uncompressed']:.1f} KB, CSS {p['css_kb_uncompressed']:.1f} KB; "
            f"HTML {p['html_kb']} KB; encodings {h['content_encoding']}; "
            f"warm load fetched {p['warm_js_css_files_fetched']:.0f} JS/CSS files ({p['warm_js_css_transfer_kb']} KB); "
            f"Cache-Control {h['cache_control']}"
        )
        if h["uncompressed_files"]:
            print(
                f"{'':8} {h['uncompressed_files']} files came uncompressed; gzip -6 would make them "
                f"{h['uncompressed_files_gzip6_bytes'] / KB:.1f} KB"
            )


def print_analysis(analysis: dict[str, Any]) -> None:
    if "error" in analysis:
        print(f"\nbundle: {analysis['error']}")
        return
    st = analysis["initial_state"]
    print(
        f"\nbundle: {analysis['routes_in_manifest']} routes, one chunk per route (React Router route modules); "
        f"{analysis['shell_files']} files form the shell every page loads (entry, root layout and their imports)."
    )
    print(
        f"root layout imports whole namespaces for dynamic components: {', '.join(analysis['root_namespace_imports'])}"
    )
    print(
        f"state context: {st['states']} states' defaults, {st['bytes'] / KB:.1f} KB raw; the {st['staff_only_states']} "
        f"staff/operator/onboarding states are {st['staff_only_bytes'] / KB:.1f} KB raw "
        f"(~{st['staff_only_gzip9_bytes_alone'] / KB:.1f} KB gzipped on their own), sent to every page."
    )
    print(
        f"\n{'page':8} {'shell KB':>8} {'share':>6} {'route KB':>8} {'files':>5} {'module KB':>9} "
        f"{'other KB':>8} {'shared w/ staff':>15} {'other pages loaded':>18}"
    )
    for path, p in analysis["pages"].items():
        shared = (
            f"{p['route_chunks_shared_with_staff_routes']} / {p['route_chunks_shared_with_staff_routes_kb']} KB"
            if not path.startswith("/app")
            else "-"
        )
        print(
            f"{path:8} {p['shell_kb']:>8.1f} {p['shell_share']:>6.0%} {p['route_kb']:>8.1f} {p['route_files']:>5} "
            f"{p['route_module_kb']:>9.1f} {p['other_kb']:>8.1f} {shared:>15} "
            f"{len(p['other_pages_route_modules_loaded']):>18}"
        )
    for path, p in analysis["pages"].items():
        listed = ", ".join(
            f"{Path(f['file']).name} {f['kb']} KB ({f['group']}"
            + (f", +{f['other_routes_importing']} routes" if f["group"] == "route" else "")
            + ")"
            for f in p["largest"]
        )
        print(f"{path:8} largest: {listed}")
    for path, p in analysis["pages"].items():
        if p["files_naming_staff_states"]:
            print(f"{path:8} staff state names appear in {p['files_naming_staff_states']}")
        if p["other_files"]:
            print(f"{path:8} loaded outside the route manifest: {p['other_files']}")


def save(key: str | None, figures: dict[str, Any]) -> None:
    results: dict[str, Any] = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    frontend = dict(results.get("frontend", {}))
    if key is None:
        frontend.update(figures)
    else:
        frontend[key] = figures
    results["frontend"] = frontend
    RESULTS.write_text(json.dumps(results, indent=2, sort_keys=True) + "\n")
    print(f'\nwrote {RESULTS.relative_to(ROOT)} ("frontend"{f" -> {key!r}" if key else ""})')


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--lazy-libraries",
        action="store_true",
        help="build with Reflex's frontend_lazy_bundled_libraries on (environment override, private copy only)",
    )
    parser.add_argument("--keep", action="store_true", help="keep the private project copy and its build")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        print(f"needs Chromium at {CHROMIUM}")
        return 1
    if args.lazy_libraries:
        os.environ["REFLEX_FRONTEND_LAZY_BUNDLED_LIBRARIES"] = "true"  # passed through to the app by start()
    workdir = Path(tempfile.mkdtemp(prefix="portal-frontend-bench-"))
    try:
        started = time.perf_counter()
        print("building and starting the production app (up to a few minutes)...", flush=True)
        app = start(workdir)
        print(f"app up at {app.base_url} after {time.perf_counter() - started:.0f} s", flush=True)
        try:
            pages: dict[str, dict[str, Any]] = {}
            with sync_playwright() as pw:
                browser = pw.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
                try:
                    print(
                        f"signing in, then {LOADS} rounds over {', '.join(c.path for c in PAGES)}...",
                        flush=True,
                    )
                    pages = measure_pages(browser, app)
                finally:
                    browser.close()
        finally:
            app.stop()
        analysis = analyse_bundle(workdir / "project", pages)
        print_table(pages)
        print_analysis(analysis)
        figures = {
            "measured_at": datetime.now(UTC).isoformat(timespec="seconds"),
            "reflex": version("reflex"),
            "chromium": str(CHROMIUM),
            "loads": LOADS,
            "targets": {"js_kb": TARGET_JS_KB, "fcp_ms": TARGET_FCP_MS},
            "sizes": "bytes on the wire from Resource Timing encodedBodySize (the server's precompressed files)",
            "frontend_lazy_bundled_libraries": args.lazy_libraries,
            "pages": pages,
            "bundle": analysis,
        }
        for page in pages.values():
            page.pop("files")  # per-file sizes served the analysis; results.json keeps the totals
        save("with_lazy_bundled_libraries" if args.lazy_libraries else None, figures)
    finally:
        if args.keep:
            print(f"kept {workdir}")
        else:
            # The private copy holds a whole frontend build (node_modules): do not leave it behind.
            shutil.rmtree(workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
