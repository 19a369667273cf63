"""Every page's data load at 1 %, 10 % and 100 % of the realistic size (1, 10 and 100 workspaces of 200 accounts,
about 1.2 million rows at full size; bench/generate_large.py), through each page's real state ``load`` (session,
shell and page data, as the event socket runs it), with median, p95, statement count and the full / 1 % ratio.

Targets on a 2-core machine at full size: portal pages p95 < 10 ms, staff pages p95 < 25 ms, ratio < 1.5. Figures
only: nothing is asserted (tests/state/test_page_query_counts.py is the guard that fails when a page's statement
count grows with the data). Run: ``.venv/bin/python bench/pages.py [--scales 1,10,100] [--repeats 30]``; SQLite in
a temp dir, or a scratch PostgreSQL database with PORTAL_BENCH_DATABASE_URL (it is emptied first). Writes the
figures to bench/results.json under "pages".
"""

from __future__ import annotations

import argparse
import gc
import inspect
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = Path(tempfile.mkdtemp(prefix="portal-bench-pages-"))
os.environ.setdefault("PORTAL_ENV", "test")
os.environ["PORTAL_STORAGE_DIR"] = str(_tmp / "private")
os.environ.setdefault("__REFLEX_SKIP_COMPILE", "1")

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import models  # noqa: E402,F401
from bench.generate_large import generate_large  # noqa: E402
from bench.page_list import PAGES  # noqa: E402
from models import SessionKind  # noqa: E402
from portal_app import db as app_db  # noqa: E402
from portal_app.services import access, audit_log, sessions  # noqa: E402
from tests.aio import run_async  # noqa: E402
from tests.security.inventory import handler_names  # noqa: E402
from tests.state.test_page_states import page_state  # noqa: E402


def load(cls: Any, token: str, path: str) -> Any:
    """One page load as the socket runs it: a fresh tab, the page's ``load`` handler."""
    tab = page_state(cls, token, path=path)
    result = type(tab).load.fn(tab)
    if inspect.iscoroutine(result):
        run_async(result)
    return tab


def _engine(scale: int) -> sa.Engine:
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{_tmp / f'pages-{scale}.db'}"
    engine = app_db.make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return engine


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(scale: int, repeats: int) -> dict[str, dict[str, float]]:
    engine = _engine(scale)
    big = generate_large(engine, workspaces=scale)
    print(f"{scale:>3} workspaces: {big.rows:,} rows generated in {big.seconds:.1f} s")
    gc.collect()  # the generator's millions of short-lived rows: not the pages' garbage to collect
    # The app's own engine points at this database for the page states.
    app_db.get_engine.cache_clear()  # type: ignore[attr-defined]
    os.environ["PORTAL_DATABASE_URL"] = str(engine.url.render_as_string(hide_password=False))
    from portal_app.settings import get_settings

    get_settings.cache_clear()
    with Session(engine) as db:
        tokens = {
            "contact": sessions.create_session(
                db, kind=SessionKind.CONTACT, contact_id=big.contact_id, account_id=big.account_id
            ).token,
            **{
                who: sessions.create_session(
                    db, kind=SessionKind.STAFF, user_id=uid, workspace_id=big.workspace_id
                ).token
                for who, uid in big.user_ids.items()
            },
        }
        db.commit()
        owner = access.resolve_staff(db, user_id=big.user_ids["owner"], workspace_id=big.workspace_id)
    ids = {**big.record_ids, "account": big.account_id}
    classes = handler_names()
    out: dict[str, dict[str, float]] = {}
    counted: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        counted.append(statement)

    for state_name, who, pattern, kind in PAGES:
        cls = classes[f"{state_name}.load"]
        path = pattern.replace("[id]", str(ids[kind])) if kind else pattern
        for _ in range(5):  # warm: caches, the state classes' first instances
            tab = load(cls, tokens[who], path)
        assert getattr(tab, "gate", "ready") == "ready", f"{state_name} did not load: {tab.gate}"
        sa.event.listen(sa.Engine, "before_cursor_execute", count)
        counted.clear()
        load(cls, tokens[who], path)
        sa.event.remove(sa.Engine, "before_cursor_execute", count)
        statements = len(
            [s for s in counted if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
        )
        times = []
        for _ in range(repeats):
            start = time.perf_counter()
            load(cls, tokens[who], path)
            times.append((time.perf_counter() - start) * 1000)
        out[state_name] = {
            "p50": statistics.median(times),
            "p95": _percentile(times, 0.95),
            "statements": statements,
        }
    # The audit log's first page and its oldest page (keyset: page 1,000 of a larger log costs what this costs).
    with Session(app_db.get_engine()) as db:
        for name, kwargs in (
            ("audit log page 1 (service)", {}),
            ("audit log, oldest page (service)", {"before_seq": 51}),
        ):
            times = []
            for _ in range(repeats):
                start = time.perf_counter()
                audit_log.list_audit(db, owner, **kwargs)  # type: ignore[arg-type]
                times.append((time.perf_counter() - start) * 1000)
            out[name] = {"p50": statistics.median(times), "p95": _percentile(times, 0.95), "statements": 0}
    engine.dispose()
    app_db.get_engine().dispose()
    return out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--scales", default="1,10,100", help="workspaces of 200 accounts at each size")
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    scales = [int(s) for s in args.scales.split(",")]
    results = {scale: measure(scale, args.repeats) for scale in scales}
    low, high = scales[0], scales[-1]
    print()
    head = " ".join(f"{'p50@' + str(s):>8} {'p95@' + str(s):>8}" for s in scales)
    print(f"{'page':34} {head} {'ratio':>6} {'stmts':>5}  target p95")
    for name in results[low]:
        cells = " ".join(f"{results[s][name]['p50']:8.2f} {results[s][name]['p95']:8.2f}" for s in scales)
        ratio = results[high][name]["p50"] / results[low][name]["p50"]
        target = 10 if name.startswith("Portal") else 25
        print(f"{name:34} {cells} {ratio:6.2f} {int(results[high][name]['statements']):5d}  {target} ms")
    path = ROOT / "bench" / "results.json"
    data = json.loads(path.read_text()) if path.exists() else {}
    data["pages"] = {
        "engine": "postgresql" if os.environ.get("PORTAL_BENCH_DATABASE_URL") else "sqlite",
        "scales_workspaces": scales,
        "figures_ms": {str(s): results[s] for s in scales},
    }
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
    print(f"\nfigures written to {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
