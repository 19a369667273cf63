"""Operational commands: ``python -m portal_app.manage migrate | seed | verify-audit | reseal-audit |
expire-estimates | digest [--dry-run] | remind [--dry-run]``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlmodel import Session, select

ROOT = Path(__file__).resolve().parent.parent


def migrate() -> None:
    from alembic.config import Config

    from alembic import command
    from portal_app.db import get_engine

    cfg = Config(str(ROOT / "alembic.ini"))
    with get_engine().connect() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, "head")
        conn.commit()
    print("database is at the latest schema")


def seed() -> None:
    import portal_app.demo as demo
    from models import Workspace
    from portal_app.db import get_engine
    from portal_app.settings import get_settings

    if not get_settings().load_demo_data:
        print("demo data disabled (PORTAL_LOAD_DEMO_DATA=false)")
        return
    with Session(get_engine(), expire_on_commit=False) as session:
        if session.exec(select(Workspace.id).limit(1)).first() is not None:
            print("database already has data: demo data not loaded")
            return
        summary = demo.load(session)
    print("demo data loaded: " + ", ".join(f"{k}={v}" for k, v in summary.items()))


def verify_audit() -> int:
    from models import Workspace
    from portal_app.db import get_engine
    from portal_app.services.audit import PLATFORM_CHAIN, verify_chain

    failures = 0
    with Session(get_engine()) as session:
        ids = [PLATFORM_CHAIN, *session.exec(select(Workspace.id)).all()]
        for ws_id in ids:
            report = verify_chain(session, int(ws_id or 0))
            state = "ok" if report.ok else f"BROKEN at #{report.first_broken_seq}: {report.reason}"
            print(f"workspace {ws_id}: {report.events} events, {state}")
            failures += 0 if report.ok else 1
    return 1 if failures else 0


def reseal_audit(*, accept_unkeyed: bool) -> int:
    """Re-seal every audit chain with the current secret after rotation; a chain that does not verify under the
    accepted secrets is named and left untouched."""
    from models import Workspace
    from portal_app.db import get_engine
    from portal_app.services.audit import PLATFORM_CHAIN, reseal_chain

    failures = 0
    with Session(get_engine()) as session:
        ids = [PLATFORM_CHAIN, *session.exec(select(Workspace.id)).all()]
    for ws_id in ids:
        with Session(get_engine()) as session:
            report = reseal_chain(session, int(ws_id or 0), accept_unkeyed=accept_unkeyed)
            session.commit()
        state = (
            "resealed"
            if report.ok
            else f"NOT resealed, BROKEN at #{report.first_broken_seq}: {report.reason}"
        )
        print(f"workspace {ws_id}: {report.events} events, {state}")
        failures += 0 if report.ok else 1
    return 1 if failures else 0


def expire_estimates() -> None:
    from portal_app.db import get_engine
    from portal_app.services.estimates import expire_estimates as run

    with Session(get_engine()) as session:
        print(f"{run(session)} estimates expired")


def digest(*, dry_run: bool) -> None:
    """Queue today's daily digests now (the mail loop does it each morning); each (member, day) gets one."""
    from datetime import UTC, datetime

    from portal_app.db import get_engine
    from portal_app.services.notify import daily_digests

    with Session(get_engine()) as session:
        count = daily_digests(session, today=datetime.now(UTC).date(), dry_run=dry_run)
    print(f"{count} daily digests {'would be queued' if dry_run else 'queued'}")


def remind(*, dry_run: bool) -> None:
    """Queue today's reminder mails now (the mail loop does it through the day), or with ``dry_run`` print what
    would be queued; each (contact, day) gets one mail."""
    from datetime import UTC, datetime

    from portal_app.db import get_engine
    from portal_app.services import reminders

    now = datetime.now(UTC)
    with Session(get_engine(), expire_on_commit=False) as session:
        if dry_run:
            planned = reminders.dry_run(session, now=now)
            pending = [p for p in planned if not p.already_sent]
        else:
            planned = pending = reminders.sweep_report(session, now=now, from_hour=0)
    for p in planned:
        state = " (already sent)" if p.already_sent else ""
        print(f"{p.day.isoformat()} {p.workspace_name} -> {p.contact_name} <{p.contact_email}>{state}")
        print(f"  {p.subject}")
        for line, link in zip(p.lines, p.links, strict=True):
            print(f"  - {line}  {link}")
    print(f"{len(pending)} reminder mails {'would be queued' if dry_run else 'queued'}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m portal_app.manage")
    parser.add_argument(
        "command",
        choices=["migrate", "seed", "verify-audit", "reseal-audit", "expire-estimates", "digest", "remind"],
    )
    parser.add_argument(
        "--dry-run",
        action="store_true",
        help="digest, remind: show what would be queued, queue nothing",
    )
    parser.add_argument(
        "--accept-unkeyed",
        action="store_true",
        help="reseal-audit: also accept chains sealed before the audit chain was keyed (once, after upgrading)",
    )
    args = parser.parse_args(argv)
    if args.command == "migrate":
        migrate()
    elif args.command == "seed":
        seed()
    elif args.command == "verify-audit":
        return verify_audit()
    elif args.command == "reseal-audit":
        return reseal_audit(accept_unkeyed=args.accept_unkeyed)
    elif args.command == "digest":
        digest(dry_run=args.dry_run)
    elif args.command == "remind":
        remind(dry_run=args.dry_run)
    else:
        expire_estimates()
    return 0


if __name__ == "__main__":
    sys.exit(main())
