"""Benchmarks: list pages and statements at two data sizes, printing time, query count and their ratios.

Lists must stay bounded: a page costs the same number of queries whatever the data size, and its time should
grow far slower than the data. Run with ``make bench`` (SQLite by default; set PORTAL_BENCH_DATABASE_URL to
measure PostgreSQL). It prints figures; it asserts nothing, so a busy machine cannot make it flaky.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
_tmp = Path(tempfile.mkdtemp(prefix="portal-bench-"))
os.environ.setdefault("PORTAL_ENV", "test")
os.environ["PORTAL_STORAGE_DIR"] = str(_tmp / "private")

import sqlalchemy as sa  # noqa: E402
from sqlmodel import Session, SQLModel  # noqa: E402

import models  # noqa: E402,F401
from bench.generate import Dataset, generate  # noqa: E402
from portal_app.db import make_engine  # noqa: E402
from portal_app.services import (  # noqa: E402
    account_view,
    audit_log,
    estimates,
    invoices,
    messages,
    signals,
    statements,
    tasks,
)
from portal_app.services.audit_filters import AuditFilters  # noqa: E402

SIZES = (200, 2000)  # invoices (and as many estimates, messages, tasks) per account
REPEATS = 15


def _engine(tag: str) -> sa.Engine:
    url = os.environ.get("PORTAL_BENCH_DATABASE_URL") or f"sqlite:///{_tmp / f'bench-{tag}.db'}"
    engine = make_engine(url)
    SQLModel.metadata.drop_all(engine)
    SQLModel.metadata.create_all(engine)
    return engine


def _measure(engine: sa.Engine, fn: Callable[[Session], object]) -> tuple[float, int]:
    """Median milliseconds over REPEATS runs, and the number of statements one run issues."""
    counted: list[str] = []

    def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
        counted.append(statement)

    timings = []
    with Session(engine) as session:
        fn(session)  # warm caches
        sa.event.listen(engine, "before_cursor_execute", count)
        counted.clear()
        fn(session)
        queries = len(
            [s for s in counted if not s.lstrip().upper().startswith(("BEGIN", "SAVEPOINT", "RELEASE"))]
        )
        sa.event.remove(engine, "before_cursor_execute", count)
        for _ in range(REPEATS):
            start = time.perf_counter()
            fn(session)
            timings.append((time.perf_counter() - start) * 1000)
            session.rollback()
    return statistics.median(timings), queries


def _cases(d: Dataset) -> dict[str, Callable[[Session], object]]:
    end = date.today()
    return {
        "portal: invoices page 1": lambda s: invoices.portal_list_invoices(s, d.contact, limit=25),
        "portal: estimates page 1": lambda s: estimates.portal_list_estimates(s, d.contact, limit=25),
        "portal: threads page 1": lambda s: messages.portal_list_threads(s, d.contact, limit=25),
        "staff: invoices page 1": lambda s: invoices.list_invoices(s, d.finance, limit=25),
        "staff: my follow-ups page 1": lambda s: tasks.list_tasks(s, d.team_lead, mine=True, limit=25),
        "statement: one year": lambda s: statements.compute_statement(
            s, d.finance, d.account_id, period_start=end - timedelta(days=365), period_end=end
        ),
        "staff: command center signals": lambda s: signals.command_center(s, d.owner),
        "staff: account view": lambda s: account_view.account_overview(s, d.owner, d.account_id),
        "staff: account timeline": lambda s: audit_log.account_timeline(s, d.owner, d.account_id, limit=31),
        "staff: audit log page 1": lambda s: audit_log.list_audit(s, d.owner),
        # Keyset: the page before entry #300 is among the oldest at either size, and costs what page 1 costs.
        "staff: audit log, a deep page": lambda s: audit_log.list_audit(s, d.owner, before_seq=300),
        "staff: audit, one account, deep": lambda s: audit_log.list_audit(
            s, d.owner, AuditFilters(account_id=d.account_id), before_seq=300
        ),
    }


def main() -> int:
    results: dict[int, dict[str, tuple[float, int]]] = {}
    for size in SIZES:
        engine = _engine(str(size))
        started = time.perf_counter()
        with Session(engine, expire_on_commit=False) as session:
            data = generate(session, per_account=size)
        print(f"generated {size} records of each kind per account in {time.perf_counter() - started:.1f} s")
        if engine.dialect.name == "postgresql":
            # What autovacuum does soon after a bulk load in production: without statistics the planner guesses.
            with engine.connect() as conn:
                conn.execute(sa.text("ANALYZE"))
                conn.commit()
        results[size] = {name: _measure(engine, fn) for name, fn in _cases(data).items()}
        engine.dispose()
    small, large = SIZES
    print()
    print(
        f"{'case':32} {'ms @' + str(small):>10} {'ms @' + str(large):>10} {'time ratio':>10} "
        f"{'queries':>8} {'queries':>8}"
    )
    for name in results[small]:
        (ms_s, q_s), (ms_l, q_l) = results[small][name], results[large][name]
        print(f"{name:32} {ms_s:10.2f} {ms_l:10.2f} {ms_l / ms_s:10.2f} {q_s:8d} {q_l:8d}")
    print(
        f"\ndata grew {large / small:.0f}x; a bounded page keeps its query count and a time ratio far below that."
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
