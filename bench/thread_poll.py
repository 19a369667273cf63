"""The near-live thread check at 1,000 threads: what one open conversation page costs every few seconds.

An open thread page (``state/threads.py``, ``LiveThreadMixin.watch``) reads one indexed value per tick
(``messages.thread_marker``) and re-resolves the session only every ``REVERIFY_EVERY`` ticks. This prints the
median time and query count of each, the unread badge every portal page computes, and the inbox pages, then what
that means for many open portals. Run: ``.venv/bin/python bench/thread_poll.py`` (SQLite; set
PORTAL_BENCH_DATABASE_URL for PostgreSQL). Figures only: nothing is asserted.
"""

from __future__ import annotations

import sys
import time
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlmodel import Session, select  # noqa: E402

from bench.generate import generate  # noqa: E402
from bench.run import _engine, _measure  # noqa: E402  (sets the bench environment first)
from models import Contact, Message, MessageThread, ThreadSeen, utcnow  # noqa: E402
from portal_app.services import identity, messages  # noqa: E402
from state.threads import LiveThreadMixin, check_marker  # noqa: E402

THREADS = 1000  # per account: the contact's account and two neighbours (3,000 in the workspace)
EXTRA_MESSAGES = 4  # per thread, besides the generator's first one: the team and the contact in turn
OPEN_PORTALS = (100, 500, 1000)


def _populate(session: Session, data: object) -> tuple[int, str]:
    """More messages per thread, half the threads read by the contact; a contact session. (thread id, token)."""
    threads = session.exec(select(MessageThread)).all()
    contact = session.get(Contact, data.contact.contact_id)  # type: ignore[attr-defined]
    now = utcnow()
    for i, thread in enumerate(threads):
        assert thread.id is not None
        for k in range(EXTRA_MESSAGES):
            team = k % 2 == 0
            session.add(
                Message(
                    workspace_id=thread.workspace_id,
                    account_id=thread.account_id,
                    thread_id=thread.id,
                    author_user_id=data.team_lead.user_id if team else None,  # type: ignore[attr-defined]
                    author_contact_id=None if team else data.contact.contact_id,  # type: ignore[attr-defined]
                    body=f"Message {k} of thread {thread.id}",
                    internal=team and k == 2,
                )
            )
        thread.last_message_at = now
        session.add(thread)
        if i % 2 == 0 and thread.account_id == data.contact.account_id:  # type: ignore[attr-defined]
            session.add(
                ThreadSeen(workspace_id=thread.workspace_id, thread_id=thread.id, contact_id=contact.id)
            )
    session.commit()
    mine = next(t for t in threads if t.account_id == data.contact.account_id)  # type: ignore[attr-defined]
    issued = identity.start_contact_session(session, contact, data.contact.account_id, via="bench")  # type: ignore[attr-defined]
    session.commit()
    assert mine.id is not None
    return mine.id, issued.token


def main() -> int:
    engine = _engine("poll")
    started = time.perf_counter()
    with Session(engine, expire_on_commit=False) as session:
        data = generate(session, per_account=THREADS)
        thread_id, token = _populate(session, data)
        total = len(session.exec(select(MessageThread.id)).all())
        count = len(session.exec(select(Message.id)).all())
    print(f"generated {total} threads and {count} messages in {time.perf_counter() - started:.1f} s")

    @contextmanager
    def open_db():  # type: ignore[no-untyped-def]
        with Session(engine) as s:
            yield s

    contact, lead = data.contact, data.team_lead
    cases = {
        "tick: marker (contact)": lambda s: messages.thread_marker(s, contact, thread_id),
        "tick: marker (staff)": lambda s: messages.thread_marker(s, lead, thread_id),
        "tick: session re-check + marker": lambda s: check_marker(
            open_db, token, thread_id, None, verify=True
        ),
        "nav badge: unread count": lambda s: messages.portal_unread_count(s, contact),
        "portal: threads page 1": lambda s: messages.portal_list_inbox(s, contact, limit=20),
        "staff: inbox page 1": lambda s: messages.list_inbox(s, lead, limit=20),
        "staff: inbox unanswered": lambda s: messages.list_inbox(s, lead, unanswered=True, limit=20),
    }
    results = {name: _measure(engine, fn) for name, fn in cases.items()}
    print(f"\n{'case':36} {'ms':>8} {'queries':>8}")
    for name, (ms, queries) in results.items():
        print(f"{name:36} {ms:8.3f} {queries:8d}")
    # The re-check runs in its own session (the lambda opens one), so count its queries separately.
    tick_ms = results["tick: marker (contact)"][0]
    verify_ms = results["tick: session re-check + marker"][0]
    every = LiveThreadMixin.REVERIFY_EVERY
    per_tick = (tick_ms * (every - 1) + verify_ms) / every
    seconds = LiveThreadMixin.POLL_SECONDS
    print(
        f"\none open thread page: a tick every {seconds:g} s, the session re-checked every {every} ticks: "
        f"{per_tick:.3f} ms of database work per tick on average"
    )
    for portals in OPEN_PORTALS:
        per_second = portals / seconds
        busy = per_second * per_tick / 1000
        print(
            f"{portals:5d} open thread pages: {per_second:6.1f} checks/s, "
            f"about {busy * 100:5.1f} % of one core in queries"
        )
    engine.dispose()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
