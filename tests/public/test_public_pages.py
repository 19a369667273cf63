"""The public pages: they render and work with the database unreachable, read no table, and the sitemap lists them
and nothing else.

Three layers:
- a subprocess whose ``PORTAL_DATABASE_URL`` points at a port nothing listens on builds every public page, runs its
  on_load handlers, drives the preview and serves /sitemap.xml, /robots.txt through the real ASGI app;
- in this process, a statement recorder on the engine the app would use while every public page is built and
  loaded and every preview handler runs (forged arguments included): it must record nothing;
- a static walk over the public modules' imports.
"""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import reflex as rx
import sqlalchemy as sa

from portal_app import routes
from portal_app.api.public import robots_txt, sitemap_xml
from state import public_preview as preview_data
from state.public_preview import STEP_KEYS, STEPS, PreviewState
from tests.public.support import (
    PRIVATE_PREFIXES,
    UNREACHABLE_DATABASE_URL,
    call,
    page_state,
    render_page,
    run_on_load,
)

ROOT = Path(__file__).resolve().parents[2]
SITEMAP_NS = "{http://www.sitemaps.org/schemas/sitemap/0.9}"
BASE = "http://localhost:3000"
LAST = len(STEPS) - 1


# -- the app with the database unreachable (subprocess) ------------------------------------------------------


@pytest.fixture(scope="module")
def unreachable() -> dict[str, Any]:
    env = dict(os.environ)
    env.update(
        {
            "PORTAL_ENV": "test",
            "PORTAL_DATABASE_URL": UNREACHABLE_DATABASE_URL,
            "PORTAL_PUBLIC_BASE_URL": BASE,
            "__REFLEX_SKIP_COMPILE": "1",
            "REFLEX_TELEMETRY_ENABLED": "false",
        }
    )
    result = subprocess.run(
        [sys.executable, "-m", "tests.public.probe"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stderr[-4000:]
    return json.loads(result.stdout)


def test_the_probe_really_had_no_database(unreachable: dict[str, Any]) -> None:
    assert unreachable["db_error"] == "OperationalError"


@pytest.mark.parametrize("route", routes.PUBLIC_ROUTES)
def test_public_page_builds_and_loads_without_the_database(unreachable: dict[str, Any], route: str) -> None:
    page = unreachable["pages"][route]
    assert page["rendered_chars"] > 5000
    assert "BaseState" in page["states"]  # the header's signed-in display, empty for a visitor
    assert page["viewer_kind"][page["states"].index("BaseState")] == ""


@pytest.mark.parametrize("route", routes.PUBLIC_ROUTES)
def test_public_page_has_its_own_title_and_description(unreachable: dict[str, Any], route: str) -> None:
    page = unreachable["pages"][route]
    assert "Customer Portal" in page["title"]
    assert 60 <= len(page["description"]) <= 300
    others = [p for r, p in unreachable["pages"].items() if r != route]
    assert page["title"] not in {p["title"] for p in others}
    assert page["description"] not in {p["description"] for p in others}


def test_preview_runs_without_the_database(unreachable: dict[str, Any]) -> None:
    preview = unreachable["preview"]
    assert preview["step"] == STEP_KEYS.index("review")
    assert preview["proof_status"] == "accepted"
    assert preview["balance"] == "$0.00"
    assert any("recorded on INV-2217" in line for line in preview["audit"])


def test_sitemap_and_robots_are_served_without_the_database(unreachable: dict[str, Any]) -> None:
    http = unreachable["http"]
    assert http[routes.SITEMAP]["status"] == 200
    assert http[routes.SITEMAP]["type"].startswith("application/xml")
    assert http[routes.ROBOTS]["status"] == 200
    assert http[routes.SITEMAP]["body"] == sitemap_xml()
    assert f"Sitemap: {BASE}{routes.SITEMAP}" in http[routes.ROBOTS]["body"]


# -- the sitemap --------------------------------------------------------------------------------------------


def _sitemap_paths(xml: str) -> list[str]:
    locs = [el.text or "" for el in ET.fromstring(xml).iter(f"{SITEMAP_NS}loc")]
    assert all(loc.startswith(BASE + "/") for loc in locs), locs
    return [loc.removeprefix(BASE) for loc in locs]


def test_sitemap_lists_exactly_the_public_pages(unreachable: dict[str, Any]) -> None:
    paths = _sitemap_paths(unreachable["http"][routes.SITEMAP]["body"])
    assert sorted(paths) == sorted(routes.PUBLIC_ROUTES)
    assert len(paths) == len(set(paths))
    expected = {"/", "/customer-portal", "/preview"} | {
        f"/customer-portal/records/{k}" for k in routes.RECORD_KINDS
    }
    assert set(paths) == expected


def test_sitemap_has_nothing_private(unreachable: dict[str, Any]) -> None:
    for path in _sitemap_paths(unreachable["http"][routes.SITEMAP]["body"]):
        for prefix in PRIVATE_PREFIXES:
            assert (
                path != prefix and not path.startswith(prefix + "/") and not path.startswith(prefix + "-")
            ), path


def test_robots_disallows_the_private_areas() -> None:
    body = robots_txt()
    for prefix in PRIVATE_PREFIXES:
        assert f"Disallow: {prefix}\n" in body
    for route in routes.PUBLIC_ROUTES:
        assert f"Disallow: {route}\n" not in body


def test_every_registered_page_is_either_public_or_under_a_private_area() -> None:
    from portal_app.portal_app import app

    for key in app._unevaluated_pages:
        route = "/" if key == "index" else "/" + key
        if route in routes.PUBLIC_ROUTES:
            continue
        assert any(route == p or route.startswith(p + "/") for p in PRIVATE_PREFIXES), route
    registered = {"/" if key == "index" else "/" + key for key in app._unevaluated_pages}
    assert set(routes.PUBLIC_ROUTES) <= registered


def test_reflex_sitemap_plugin_stays_off() -> None:
    from reflex.plugins.sitemap import SitemapPlugin

    import rxconfig

    assert SitemapPlugin in rxconfig.config.disable_plugins
    assert not any(isinstance(plugin, SitemapPlugin) for plugin in rxconfig.config.plugins)


# -- no table is read (statement recorder on the app's engine) -----------------------------------------------


@pytest.fixture()
def statements(engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    """Every SQL statement the app sends while the test runs (the app's engine is the recorded test engine)."""
    import portal_app.db as db

    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    monkeypatch.setattr(db, "get_engine", lambda: engine)
    sa.event.listen(engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        sa.event.remove(engine, "before_cursor_execute", record)


def test_the_recorder_sees_a_read(statements: list[str]) -> None:
    """Control: a loader that does read (a session cookie to look up) is caught, so silence below means something."""
    from portal_app.portal_app import app
    from portal_app.services.sessions import COOKIE_NAME

    run_on_load(app, routes.HOME, cookie=f"{COOKIE_NAME}=forged-token-value")
    assert statements, "the recorder missed the session lookup"


def test_public_pages_read_no_table(statements: list[str]) -> None:
    from portal_app.portal_app import app

    for route in routes.PUBLIC_ROUTES:
        render_page(app, route)
        run_on_load(app, route)
    assert statements == []


def test_preview_handlers_read_no_table(statements: list[str]) -> None:
    for decision in ("accept", "reject"):
        _walk(decision)
    state = page_state(PreviewState, path=routes.preview_url("review"))
    call(state, "load")
    _forge_everything(state)
    for key in STEP_KEYS:
        call(page_state(PreviewState, path=routes.preview_url(key)), "load")
    assert statements == []


# -- the preview state, step by step ------------------------------------------------------------------------


def _var(state: PreviewState, name: str) -> Any:
    return getattr(PreviewState, name).fget(state)


def _walk(decision: str) -> PreviewState:
    """The whole walkthrough as the buttons drive it; returns the state at the last step."""
    s = page_state(PreviewState, path=routes.PREVIEW)
    call(s, "load")
    assert s.step == 0 and _var(s, "max_step") == 0 and not _var(s, "can_go_next")

    call(s, "next_step")  # refused until the estimate is shared
    assert s.step == 0
    call(s, "share_estimate")
    assert s.estimate_status == "shared" and _var(s, "can_go_next")
    call(s, "next_step")
    assert s.step == 1 and _var(s, "step_title") == STEPS[1].title

    call(s, "approve_estimate", {"signature": " "})  # no signature
    assert s.estimate_status == "shared" and "full name" in s.notice
    call(s, "approve_estimate", {"signature": "  Dana   Reyes "})
    assert s.estimate_status == "approved" and s.signature == "Dana Reyes" and s.notice == ""
    call(s, "next_step")
    assert s.step == 2
    assert [t["status"] for t in _var(s, "tasks")] == ["open"]
    assert "Luis Ortega" in _var(s, "tasks")[0]["assignee"]
    call(s, "complete_task")
    assert _var(s, "tasks")[0]["status"] == "done"

    call(s, "next_step")
    assert s.step == 3 and not _var(s, "can_go_next")
    call(s, "upload_proof")
    assert s.proof_status == "pending"
    assert _var(s, "invoice_balance") == "$3,200.00"  # the upload alone changes nothing
    assert len(_var(s, "tasks")) == 2
    call(s, "next_step")
    assert s.step == 4 and not _var(s, "can_go_next")

    if decision == "accept":
        call(s, "accept_proof")
        assert s.proof_status == "accepted"
        assert _var(s, "invoice_balance") == "$0.00"
        assert _var(s, "statement_balance") == "$1,150.00"
    else:
        call(s, "reject_proof", {"reason": "abc"})  # too short a reason
        assert s.proof_status == "pending" and "reason" in s.notice
        call(s, "reject_proof", {"reason": "The receipt shows a different amount"})
        assert s.proof_status == "rejected"
        assert s.reject_reason == "The receipt shows a different amount"
        assert _var(s, "invoice_balance") == "$3,200.00"
        assert _var(s, "statement_balance") == "$4,350.00"
    assert _var(s, "tasks")[1]["status"] == "done"

    call(s, "next_step")
    assert s.step == LAST and not _var(s, "can_go_next")
    call(s, "next_step")
    assert s.step == LAST
    assert len(s.audit) == 8
    return s


def test_walk_accept_path() -> None:
    s = _walk("accept")
    assert any("accepted PP-0031" in line for line in s.audit)
    assert any("recorded on INV-2217" in line for line in s.audit)


def test_walk_reject_path() -> None:
    s = _walk("reject")
    assert any("rejected PP-0031" in line and "different amount" in line for line in s.audit)
    assert any("INV-2217 unchanged" in line for line in s.audit)


def test_back_and_step_list_move_only_within_reached_steps() -> None:
    s = _walk("accept")
    call(s, "go_to", 1)
    assert s.step == 1
    call(s, "previous_step")
    call(s, "previous_step")
    assert s.step == 0
    call(s, "go_to", "audit")
    assert s.step == LAST
    call(s, "reset_preview")
    assert (s.step, s.estimate_status, s.proof_status, s.audit) == (0, "draft", "", [])
    call(s, "go_to", 4)  # not reached after a reset
    assert s.step == 0


@pytest.mark.parametrize(
    ("key", "step", "estimate", "proof"),
    [
        ("share", 0, "draft", ""),
        ("approve", 1, "shared", ""),
        ("task", 2, "approved", ""),
        ("upload", 3, "approved", ""),
        ("review", 4, "approved", "pending"),
        ("audit", 4, "approved", "pending"),  # the decision is never taken for the visitor
        ("9", 4, "approved", "pending"),
        ("-3", 0, "draft", ""),
        ("nonsense", 0, "draft", ""),
    ],
)
def test_links_into_a_step_complete_the_earlier_steps(key: str, step: int, estimate: str, proof: str) -> None:
    s = page_state(PreviewState, path=f"{routes.PREVIEW}?step={key}")
    call(s, "load")
    assert (s.step, s.estimate_status, s.proof_status) == (step, estimate, proof)


def test_record_pages_link_into_real_steps() -> None:
    from portal_app.pages.public.content import RECORDS

    assert {record.kind for record in RECORDS} == set(routes.RECORD_KINDS)
    for record in RECORDS:
        assert record.preview_step in STEP_KEYS
        assert routes.preview_url(record.preview_step) == f"/preview?step={record.preview_step}"


# -- forged events ------------------------------------------------------------------------------------------

_FORGED_VALUES: list[Any] = [
    None,
    -1,
    -(10**12),
    10**12,
    3.7,
    True,
    "",
    "x" * 100_000,
    "\x00\x1b[31m",
    "<script>alert(1)</script>",
    {"__class__": "x"},
    ["accept"],
    "999999999999999999999",
    "audit ",
]


def _forge_everything(s: PreviewState) -> None:
    """Every handler with arguments no page would send, and the one-shot actions over and over."""
    for value in _FORGED_VALUES:
        call(s, "go_to", value)
        for form in (value, {"signature": value, "reason": value}):
            call(s, "approve_estimate", form)
            call(s, "reject_proof", form)
    for handler in ("share_estimate", "complete_task", "upload_proof", "accept_proof", "next_step"):
        for _ in range(50):
            call(s, handler)


def _snapshot(s: PreviewState) -> dict[str, Any]:
    return {name: getattr(s, name) for name in PreviewState.base_vars if not name.startswith("_")}


@pytest.mark.parametrize("key", STEP_KEYS)
def test_forged_events_keep_the_state_valid_and_small(key: str) -> None:
    s = page_state(PreviewState, path=routes.preview_url(key))
    call(s, "load")
    _forge_everything(s)
    assert 0 <= s.step <= _var(s, "max_step") <= LAST
    assert s.estimate_status in preview_data.ESTIMATE_STATUSES
    assert s.proof_status in preview_data.PROOF_STATUSES
    assert len(s.signature) <= preview_data.SIGNATURE_MAX
    assert len(s.reject_reason) <= preview_data.REASON_MAX
    assert all(ch.isprintable() for ch in s.signature + s.reject_reason)
    assert len(s.audit) <= preview_data.AUDIT_MAX
    assert len(json.dumps(_snapshot(s))) < 4000


def test_actions_are_refused_out_of_order() -> None:
    s = page_state(PreviewState, path=routes.PREVIEW)
    call(s, "load")
    call(s, "approve_estimate", {"signature": "Dana Reyes"})
    for handler in ("upload_proof", "complete_task", "accept_proof"):
        call(s, handler)
    call(s, "reject_proof", {"reason": "Not the right amount"})
    assert (s.estimate_status, s.proof_status, s.task_status, s.audit) == ("draft", "", "", [])
    assert s.notice  # the visitor is told why

    call(s, "share_estimate")
    call(s, "share_estimate")  # once only
    assert len(s.audit) == 1


@pytest.mark.parametrize("step", [None, "share", "-1", "7", "x" * 50, 2.5, ["review"], {"step": 1}])
def test_unknown_steps_change_nothing(step: Any) -> None:
    s = page_state(PreviewState, path=routes.preview_url("approve"))
    call(s, "load")
    before = _snapshot(s)
    call(s, "go_to", step)
    after = _snapshot(s)
    if step == "share":  # a real step key: it moves, and only the step changes
        assert after.pop("step") == 0 and before.pop("step") == 1
    assert after == before


def test_form_fields_are_cleaned_and_cut() -> None:
    s = page_state(PreviewState, path=routes.preview_url("approve"))
    call(s, "load")
    call(s, "approve_estimate", {"signature": "Dana\x00\n\t  Reyes\u202e" + "y" * 500, "other": 1})
    assert s.signature.startswith("Dana Reyes")
    assert len(s.signature) == preview_data.SIGNATURE_MAX
    assert all(ch.isprintable() for ch in s.signature)


def test_preview_state_is_not_a_session_state() -> None:
    from state.base import BaseState

    assert not issubclass(PreviewState, BaseState)
    assert PreviewState.get_parent_state() is rx.State
    assert not any(name.startswith("viewer") for name in PreviewState.base_vars)


# -- static: the public modules import nothing that reaches data --------------------------------------------

FORBIDDEN = ("models", "portal_app.services", "portal_app.db", "sqlmodel", "sqlalchemy", "state.base")
PUBLIC_MODULES = sorted(
    [
        *(ROOT / "portal_app" / "pages" / "public").glob("*.py"),
        *(ROOT / "state").glob("public_*.py"),
        ROOT / "components" / "public.py",
        ROOT / "portal_app" / "api" / "public.py",
    ]
)
# Modules whose whole project-internal import closure must stay clean (pages reach the header's state through
# components.layout, which is allowed to read the session; the preview state may not reach anything).
CLOSED_MODULES = ["state.public_preview", "portal_app.pages.public.content"]


def _imports(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            assert node.level == 0, f"{path}: relative import"
            module = node.module or ""
            names.add(module)
            names.update(f"{module}.{alias.name}" for alias in node.names)
    return names


def _is_forbidden(name: str) -> bool:
    return any(name == f or name.startswith(f + ".") for f in FORBIDDEN)


def _module_path(name: str) -> Path | None:
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def test_public_modules_exist() -> None:
    names = {p.relative_to(ROOT).as_posix() for p in PUBLIC_MODULES}
    assert {
        "portal_app/pages/public/landing.py",
        "portal_app/pages/public/module.py",
        "portal_app/pages/public/preview.py",
        "portal_app/pages/public/records.py",
        "state/public_preview.py",
    } <= names


@pytest.mark.parametrize("path", PUBLIC_MODULES, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_public_module_imports_no_data_layer(path: Path) -> None:
    bad = sorted(name for name in _imports(path) if _is_forbidden(name))
    assert bad == [], f"{path.relative_to(ROOT)} imports {bad}"


@pytest.mark.parametrize("module", CLOSED_MODULES)
def test_import_closure_reaches_no_data_layer(module: str) -> None:
    seen: set[str] = set()
    todo = [module]
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        assert not _is_forbidden(name), f"{module} reaches {name}"
        # Importing a module runs its packages' __init__ first.
        parts = name.split(".")
        todo.extend(".".join(parts[:i]) for i in range(1, len(parts)))
        path = _module_path(name)
        if path is None:
            continue  # third-party or a name imported from a module (checked through its module)
        for imported in _imports(path):
            if _module_path(imported) is not None or _is_forbidden(imported):
                todo.append(imported)
