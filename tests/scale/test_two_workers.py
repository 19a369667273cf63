"""Scale-out mode: two real backend workers share one contact's Reflex state through Redis and the data through
PostgreSQL. An event on one worker, the next on the other, continue the same page; a restarted worker loses no
session. Each worker is the production ASGI server (granian) on its own port, as ``make workers`` starts them.

PostgreSQL and Redis run on the CI machine at their default local ports; without them this test skips, and says so.
It uses a scratch database and Redis database of its own and removes them afterwards.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import Invoice, InvoiceStatus
from portal_app.api.cookies import COOKIE_NAME
from portal_app.db import make_engine
from state.portal import PortalHomeState
from state.portal_invoices import PortalInvoicesState
from tests.factories import make_tenant
from tests.socket_client import EventSocket, start_backend, var
from tests.state.test_page_states import contact_token

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[2]
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
REDIS_URL = "redis://127.0.0.1:6379/13"
INVOICES = 45  # three pages of 20 on the contact's invoice list
LIST = PortalInvoicesState.get_full_name()
HOME = PortalHomeState.get_full_name()
# A worker sends an event's last update a few milliseconds before its state write to Redis is done: a socket that
# reaches another worker within ~1 ms can read the state as it was (measured here; 50 ms was always enough). A
# browser only moves to another worker by reconnecting, which takes longer than this pause.
RECONNECT_PAUSE = 0.25


def _answers(url: str) -> bool:
    try:
        if url.startswith("redis"):
            import redis

            return bool(redis.Redis.from_url(url, socket_connect_timeout=1).ping())
        with make_engine(url).connect() as conn:
            conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # noqa: BLE001
        return False


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    env: dict[str, str]
    cookie: str
    tmp: Path
    workers: dict[str, tuple[int, subprocess.Popen[bytes]]]

    def start(self, name: str, port: int | None = None) -> None:
        port = port or _free_port()
        proc = start_backend(self.env, port, self.tmp / f"{name}.log", cwd=ROOT, timeout=90)
        self.workers[name] = (port, proc)

    def stop(self, name: str) -> int:
        port, proc = self.workers.pop(name)
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)
        return port

    def socket(self, name: str, token: str) -> EventSocket:
        return EventSocket(f"http://127.0.0.1:{self.workers[name][0]}", cookie=self.cookie, token=token)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    if not _answers(PG_ADMIN):
        pytest.skip("no PostgreSQL answers on 127.0.0.1:5432: scale-out mode cannot be tested here")
    if not _answers(REDIS_URL):
        pytest.skip("no Redis answers on 127.0.0.1:6379: scale-out mode cannot be tested here")
    import redis

    db_name = f"portal_scale_{uuid.uuid4().hex[:8]}"
    admin = make_engine(PG_ADMIN).execution_options(isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(sa.text(f'CREATE DATABASE "{db_name}"'))
    url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{db_name}"
    redis.Redis.from_url(REDIS_URL).flushdb()
    env = {
        **os.environ,
        "PORTAL_ENV": "dev",
        "PORTAL_DATABASE_URL": url,
        "PORTAL_STORAGE_DIR": str(tmp_path / "files"),
        "PORTAL_LOAD_DEMO_DATA": "false",
        "REFLEX_REDIS_URL": REDIS_URL,
        "REFLEX_ENV_MODE": "prod",
        "REFLEX_TELEMETRY_ENABLED": "false",
        "__REFLEX_SKIP_COMPILE": "1",
    }
    env.pop("PORTAL_TEST_DATABASE_URL", None)
    subprocess.run(  # noqa: S603
        [sys.executable, "-m", "portal_app.manage", "migrate"],
        cwd=ROOT,
        env=env,
        check=True,
        capture_output=True,
    )
    engine = make_engine(url)
    try:
        with Session(engine, expire_on_commit=False) as db:
            t = make_tenant(db, name="Scale Works")
            for n in range(INVOICES):
                db.add(
                    Invoice(
                        workspace_id=t.ws.id,
                        account_id=t.account.id,
                        number=f"INV-{n + 1:04d}",
                        status=InvoiceStatus.OPEN,
                        total_minor=10_000 + n,
                        subtotal_minor=10_000 + n,
                        issue_date=date.today() - timedelta(days=n),
                        due_date=date.today() + timedelta(days=30 - n),
                    )
                )
            db.commit()
            token = contact_token(db, t.billing_contact)
        c = Cluster(env=env, cookie=f"{COOKIE_NAME}={token}", tmp=tmp_path, workers={})
        try:
            yield c
        finally:
            for name in list(c.workers):
                c.stop(name)
    finally:
        engine.dispose()
        redis.Redis.from_url(REDIS_URL).flushdb()
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{db_name}" WITH (FORCE)'))
        admin.dispose()


def page_label(sock: EventSocket, handler: str) -> str:
    delta = sock.call(f"{LIST}.{handler}", path="/portal/invoices")
    return str(var(delta, LIST, "page_label"))


def test_two_workers_serve_one_session_and_a_restart_loses_nothing(cluster: Cluster) -> None:
    cluster.start("a")
    cluster.start("b")
    client = str(uuid.uuid4())  # the browser tab's state token, the same whichever worker the socket reaches

    on_a = cluster.socket("a", client)
    assert page_label(on_a, "load") == f"1-20 of {INVOICES}"
    assert page_label(on_a, "next_page") == f"21-40 of {INVOICES}"
    on_a.close()
    time.sleep(RECONNECT_PAUSE)

    # The next event reaches the other worker: it continues from the page the first one left (state in Redis).
    on_b = cluster.socket("b", client)
    assert page_label(on_b, "next_page") == f"41-{INVOICES} of {INVOICES}"
    on_b.close()
    time.sleep(RECONNECT_PAUSE)

    # Back on the first worker: it sees what the second one did.
    on_a = cluster.socket("a", client)
    assert page_label(on_a, "prev_page") == f"21-40 of {INVOICES}"
    on_a.close()

    # Restart the second worker: the session (PostgreSQL) and the tab's state (Redis) are both still there.
    port = cluster.stop("b")
    cluster.start("b", port)
    on_b = cluster.socket("b", client)
    assert page_label(on_b, "next_page") == f"41-{INVOICES} of {INVOICES}"
    home = on_b.call(f"{HOME}.load", path="/portal")
    assert var(home, HOME, "gate") == "ready"  # still signed in: not sent to the sign-in page
    on_b.close()
