"""Races (SECURITY.md 8, 19, 20, 21, 24 and the abuse suite's "Races"): many real sessions at once, started together.

Every contender runs in its own thread with its own ``Session`` on a real engine whose pool is wide enough for all
of them (the savepoint ``session`` fixture cannot race), waits on a ``threading.Barrier`` and then calls the real
service. Afterwards the exact final counts are checked (decisions, tasks, audit events, payments, members), the
audit chain verifies with seqs 1..N and no gap, and every loser got a clean domain error (``Conflict``/``NotFound``
or an idempotent replay), never a database exception.

These complement the single-scenario race tests next to each service, which they do not repeat:
- tests/services/test_estimates.py::test_twenty_concurrent_approvals_give_one_approval_one_task_one_event (one
  contact, approvals only) -> here: two contacts, all three decisions, a retry burst on one key, and a re-issue
  racing the approvals.
- tests/services/test_members.py::test_ten_concurrent_acceptances_into_a_workspace_of_five_give_six_members ->
  here: two workspaces racing at once (the lock is per workspace), one token redeemed ten times, and a contact
  invitation redeemed ten times.
- tests/services/test_intake.py::test_two_reviewers_accepting_one_proof_at_once_record_one_payment -> here: accept
  against reject on one proof, and two proofs that together overpay one invoice.
- tests/services/test_audit.py::test_concurrent_appends_form_one_chain (8 threads, one workspace) -> here: 24
  sessions over two interleaved chains with the seqs checked, and the platform chain on a fresh database.

SQLite runs them too: ``BEGIN IMMEDIATE`` makes writers queue (portal_app/db.py), so the threads still contend for
the same rows and every invariant must hold; PostgreSQL (``.ci/run``'s second pass) is where row locks and
READ COMMITTED re-checks are really exercised.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from datetime import timedelta
from typing import Any

import pytest
import sqlalchemy as sa
from sqlmodel import Session, col, func, select

from models import (
    AuditEvent,
    AuthSession,
    ContactInvitation,
    Estimate,
    EstimateStatus,
    FollowUpTask,
    IdempotencyKey,
    IntakeFile,
    IntakeStatus,
    InvitationStatus,
    Invoice,
    MemberInvitation,
    Membership,
    Payment,
    Role,
    TaskStatus,
    utcnow,
)
from models.portal import PortalEstimate
from portal_app.db import make_engine
from portal_app.services import audit, estimates, intake, invoices, members, portal_access, ratelimit, tokens
from portal_app.services.errors import Conflict, DomainError, NotFound, ValidationFailed
from portal_app.services.lines import LineInput
from tests.factories import add_member, days, make_contact, make_tenant, make_user, make_workspace

LINES = [LineInput("Design work", quantity=10, unit_price_minor=12_500, tax_rate_bp=2000)]
PDF = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
WIDEST = 24  # the most contenders of any race below; the race engine's pool holds them all at once
DECIDED_ACTIONS = ("estimate.approved", "estimate.declined", "estimate.changes_requested")


# ---------------------------------------------------------------------------------------------------------------
# Harness


@pytest.fixture()
def race_engine(committed_engine: sa.Engine) -> Iterator[sa.Engine]:
    """The test database through a pool of ``WIDEST`` connections (the default pool has 15, so twenty contenders
    would partly queue for a connection instead of for the row). ``committed_engine`` wipes the data around."""
    url = committed_engine.url.render_as_string(hide_password=False)
    engine = make_engine(url, pool_size=WIDEST, max_overflow=0, pool_timeout=60)
    yield engine
    engine.dispose()


def key() -> str:
    return f"k-{uuid.uuid4().hex}"


def race(engine: sa.Engine, contenders: list[Callable[[Session], Any]]) -> list[Any]:
    """Run each contender in its own thread and session, all released at once; return each one's result or the
    exception it raised, in order.

    On PostgreSQL each thread checks its connection out before the barrier, so the start is not spread by
    connecting. On SQLite that would take the write lock (``BEGIN IMMEDIATE``) before the barrier and deadlock it,
    so there the connection is taken by the first statement."""
    barrier = threading.Barrier(len(contenders))
    outcomes: list[Any] = [None] * len(contenders)
    pre_connect = engine.dialect.name == "postgresql"

    def run(i: int, work: Callable[[Session], Any]) -> None:
        with Session(engine, expire_on_commit=False) as s:
            try:
                if pre_connect:
                    s.connection()
                barrier.wait(timeout=60)
                outcomes[i] = work(s)
            except Exception as exc:  # collected and asserted by the test
                outcomes[i] = exc

    threads = [threading.Thread(target=run, args=(i, w), daemon=True) for i, w in enumerate(contenders)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(120)
    assert not any(th.is_alive() for th in threads), "a contender hung"
    return outcomes


def failures(outcomes: list[Any]) -> list[BaseException]:
    return [o for o in outcomes if isinstance(o, BaseException)]


def assert_clean_losers(outcomes: list[Any], *allowed: type[DomainError]) -> None:
    """Every loser got a domain error of an allowed kind (what the page shows as a message), never a database or
    programming error (what would be a 500)."""
    bad = [o for o in failures(outcomes) if not isinstance(o, allowed)]
    assert not bad, f"unclean losers: {bad!r}"


def assert_one_chain(s: Session, workspace_id: int, events: int) -> None:
    """The chain verifies and holds exactly ``events`` events numbered 1..events, no gap, no duplicate."""
    report = audit.verify_chain(s, workspace_id)
    assert report.ok, report
    assert report.events == events
    seqs = s.exec(
        select(AuditEvent.seq).where(AuditEvent.workspace_id == workspace_id).order_by(col(AuditEvent.seq))
    ).all()
    assert list(seqs) == list(range(1, events + 1))


def count(s: Session, model: Any, *where: Any) -> int:
    return s.exec(select(func.count()).select_from(model).where(*where)).one()


def events(s: Session, workspace_id: int, *actions: str) -> list[AuditEvent]:
    return list(
        s.exec(
            select(AuditEvent).where(
                AuditEvent.workspace_id == workspace_id, col(AuditEvent.action).in_(actions)
            )
        ).all()
    )


def chain_length(s: Session, workspace_id: int) -> int:
    return count(s, AuditEvent, AuditEvent.workspace_id == workspace_id)


# ---------------------------------------------------------------------------------------------------------------
# Estimates: twenty answers at once -> one decision, one task, one audit event


def test_twenty_mixed_answers_from_two_contacts_give_one_decision(race_engine):
    """Two contacts of the account answer one estimate twenty times at once: approvals, declines, change requests,
    and a burst of five retries of one approval on the same key. Exactly one answer is stored with one task and
    one audit event; the retries of the winning key replay it; every other answer is refused with a clear
    message; the other workspace's chain is untouched."""
    with Session(race_engine, expire_on_commit=False) as s:
        t, other = make_tenant(s), make_tenant(s)
        second = make_contact(s, t.account, billing=False, documents=False)
        s.commit()
        est = estimates.share_estimate(
            s,
            t.team_lead,
            estimates.create_estimate(s, t.team_lead, t.account.id, title="Rebuild", lines=LINES).id,
        )
        before, other_before = chain_length(s, t.ws.id), chain_length(s, other.ws.id)
    burst_key = key()
    contenders: list[Callable[[Session], Any]] = []
    plan: list[tuple[str, str]] = []  # (decision, key) per contender
    for i in range(20):
        contact = t.contact if i % 2 == 0 else second
        if i < 5:
            decision, k, contact = "approve", burst_key, t.contact
        else:
            decision, k = ("approve", "decline", "request_changes")[i % 3], key()
        plan.append((decision, k))
        contenders.append(
            lambda s, contact=contact, decision=decision, k=k: estimates.decide_estimate(
                s,
                contact,
                est.id,
                decision=decision,
                version=1,
                signature="Ann Lee",
                note="Not this quarter",
                idempotency_key=k,
            )
        )
    outcomes = race(race_engine, contenders)

    assert_clean_losers(outcomes, Conflict)
    wins = [o for o in outcomes if isinstance(o, PortalEstimate)]
    assert wins and len({(w.status, w.decided_at) for w in wins}) == 1, outcomes
    with Session(race_engine) as s:
        row = s.get(Estimate, est.id)
        assert row.status in estimates.DECIDED_STATUSES and row.status is wins[0].status
        assert row.decided_by_contact_id in (t.contact.contact_id, second.contact_id)
        # Only the winning key's contenders succeeded: the winner plus, if it was the burst's key, its replays.
        won_keys = {plan[i][1] for i, o in enumerate(outcomes) if isinstance(o, PortalEstimate)}
        assert len(won_keys) == 1
        assert len(wins) == (5 if won_keys == {burst_key} else 1)
        assert count(s, IdempotencyKey, IdempotencyKey.workspace_id == t.ws.id) == 1
        assert (
            count(s, FollowUpTask, FollowUpTask.source_type == "estimate", FollowUpTask.source_id == est.id)
            == 1
        )
        decided = events(s, t.ws.id, *DECIDED_ACTIONS)
        assert len(decided) == 1 and decided[0].target_id == est.id
        assert decided[0].action == estimates.DECISIONS[plan[outcomes.index(wins[0])][0]][1]
        assert_one_chain(s, t.ws.id, before + 1)
        assert_one_chain(s, other.ws.id, other_before)
    messages = {str(o) for o in failures(outcomes)}
    assert all("already been approved" in m or "can no longer be answered" in m for m in messages), messages


def test_a_reissue_racing_nineteen_approvals_leaves_exactly_one_of_them(race_engine):
    """Staff re-issue the estimate while nineteen approvals of version 1 arrive: either one approval wins (and the
    re-issue is refused: an approved estimate is not re-issued), or the re-issue wins (and every approval of the
    old version is refused). Never both, never an approval of a version the contact did not see."""
    with Session(race_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        est = estimates.share_estimate(
            s,
            t.team_lead,
            estimates.create_estimate(s, t.team_lead, t.account.id, title="Rebuild", lines=LINES).id,
        )
        before = chain_length(s, t.ws.id)
    approve: Callable[[Session], Any] = lambda s: estimates.decide_estimate(  # noqa: E731
        s, t.contact, est.id, decision="approve", version=1, signature="Ann Lee", idempotency_key=key()
    )
    reissue: Callable[[Session], Any] = lambda s: estimates.reissue_estimate(  # noqa: E731
        s, t.team_lead, est.id, lines=LINES, valid_until=None
    )
    outcomes = race(race_engine, [reissue, *[approve] * 19])

    assert_clean_losers(outcomes, Conflict)
    approvals = [o for o in outcomes[1:] if isinstance(o, PortalEstimate)]
    with Session(race_engine) as s:
        row = s.get(Estimate, est.id)
        tasks = count(
            s, FollowUpTask, FollowUpTask.source_type == "estimate", FollowUpTask.source_id == est.id
        )
        approved, reissued = events(s, t.ws.id, "estimate.approved"), events(s, t.ws.id, "estimate.reissued")
        if isinstance(outcomes[0], Conflict):  # an approval won
            assert len(approvals) == 1 and row.status is EstimateStatus.APPROVED and row.current_version == 1
            assert (tasks, len(approved), len(reissued)) == (1, 1, 0)
        else:  # the re-issue won: version 1 can no longer be approved
            assert approvals == [] and row.status is EstimateStatus.SHARED and row.current_version == 2
            assert (tasks, len(approved), len(reissued)) == (0, 0, 1)
            assert all("newer version" in str(o) for o in outcomes[1:]), outcomes
        report = audit.verify_chain(s, t.ws.id)
        assert report.ok and report.events == chain_length(s, t.ws.id) > before


# ---------------------------------------------------------------------------------------------------------------
# Seats: concurrent acceptances never go past six members


def _workspace_of(
    s: Session, members_now: int, invitations: int, tag: str
) -> tuple[int, list[tuple[int, str]]]:
    ws = make_workspace(s)
    owner = add_member(s, ws, Role.OWNER)
    for _ in range(members_now - 1):
        add_member(s, ws, Role.TEAM_LEAD)
    invitees = []
    for i in range(invitations):
        user = make_user(s, email=f"{tag}{i}-{uuid.uuid4().hex[:6]}@example.test")
        token = tokens.new_token()
        s.add(
            MemberInvitation(
                workspace_id=ws.id,
                email=user.email,
                role=Role.TEAM_LEAD,
                token_hash=tokens.hash_token(token),
                invited_by_user_id=owner.user_id,
                expires_at=utcnow() + timedelta(days=1),
            )
        )
        invitees.append((user.id, token))
    assert ws.id is not None
    return ws.id, invitees


def test_two_workspaces_with_two_free_seats_each_take_ten_acceptances_each_at_once(race_engine):
    """Twenty acceptances at once, ten into each of two workspaces of four members: each ends with exactly six
    (the seat check holds per workspace under its own lock), the rest are told there is no free seat."""
    with Session(race_engine, expire_on_commit=False) as s:
        ws_a, invited_a = _workspace_of(s, 4, 10, "a")
        ws_b, invited_b = _workspace_of(s, 4, 10, "b")
        s.commit()
    contenders = [
        (lambda s, u=user_id, tok=token: members.accept_invitation(s, user_id=u, token=tok))
        for user_id, token in invited_a + invited_b
    ]
    outcomes = race(race_engine, contenders)

    assert_clean_losers(outcomes, Conflict)
    assert all("no free seat" in str(o) for o in failures(outcomes))
    for ws_id, part in ((ws_a, outcomes[:10]), (ws_b, outcomes[10:])):
        assert len(failures(part)) == 8, part
        with Session(race_engine) as s:
            assert count(s, Membership, Membership.workspace_id == ws_id) == 6
            accepted = count(
                s,
                MemberInvitation,
                MemberInvitation.workspace_id == ws_id,
                MemberInvitation.status == InvitationStatus.ACCEPTED,
            )
            assert accepted == 2
            assert len(events(s, ws_id, "member.joined")) == 2
            assert_one_chain(s, ws_id, 2)


def test_one_member_invitation_redeemed_ten_times_at_once_adds_one_member(race_engine):
    """The same link opened in ten tabs at once: one membership; the other nine get the generic invalid-link
    answer, and only the first refusals of the dead token are audited."""
    with Session(race_engine, expire_on_commit=False) as s:
        ws_id, [(user_id, token)] = _workspace_of(s, 5, 1, "same")
        s.commit()
    outcomes = race(race_engine, [lambda s: members.accept_invitation(s, user_id=user_id, token=token)] * 10)

    assert_clean_losers(outcomes, NotFound)
    assert len(failures(outcomes)) == 9
    assert {str(o) for o in failures(outcomes)} == {members.INVALID_INVITE}
    with Session(race_engine) as s:
        assert count(s, Membership, Membership.workspace_id == ws_id) == 6
        assert count(s, Membership, Membership.user_id == user_id) == 1
        inv = s.exec(select(MemberInvitation).where(MemberInvitation.workspace_id == ws_id)).one()
        assert inv.status is InvitationStatus.ACCEPTED and inv.accepted_by_user_id == user_id
        assert inv.refusals == ratelimit.TOKEN_REFUSALS_AUDITED
        assert len(events(s, ws_id, "member.joined")) == 1
        assert len(events(s, ws_id, "member.invitation_refused")) == ratelimit.TOKEN_REFUSALS_AUDITED
        assert_one_chain(s, ws_id, 1 + ratelimit.TOKEN_REFUSALS_AUDITED)


def test_one_contact_invitation_redeemed_ten_times_at_once_opens_one_session(race_engine):
    """A contact's invitation link opened ten times at once: one portal session, nine generic refusals."""
    with Session(race_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        issued = portal_access.invite_contact(s, t.owner, t.contact.contact_id, t.account.id)
        before = chain_length(s, t.ws.id)
    outcomes = race(race_engine, [lambda s: portal_access.redeem_contact_invitation(s, issued.token)] * 10)

    assert_clean_losers(outcomes, NotFound)
    assert len(failures(outcomes)) == 9
    assert {str(o) for o in failures(outcomes)} == {portal_access.INVALID_LINK}
    with Session(race_engine) as s:
        assert count(s, AuthSession, AuthSession.contact_id == t.contact.contact_id) == 1
        inv = s.get(ContactInvitation, issued.invitation.id)
        assert inv.accepted_at is not None and inv.refusals == ratelimit.TOKEN_REFUSALS_AUDITED
        assert len(events(s, t.ws.id, "auth.contact_signed_in")) == 1
        refused = events(s, t.ws.id, "auth.contact_sign_in_refused")
        assert len(refused) == ratelimit.TOKEN_REFUSALS_AUDITED
        assert_one_chain(s, t.ws.id, before + 1 + ratelimit.TOKEN_REFUSALS_AUDITED)


# ---------------------------------------------------------------------------------------------------------------
# Payment proofs: reviewers deciding at once record one payment


def _invoice_with_proofs(s: Session, t, total: int, *amounts: int) -> tuple[int, list[int]]:
    inv = invoices.create_invoice(
        s,
        t.finance,
        t.account.id,
        lines=[{"description": "Work", "quantity": 1, "unit_price_minor": total, "tax_rate_bp": 0}],
    )
    inv = invoices.issue_invoice(s, t.finance, inv.id, issue_date=days(0))
    proofs = [
        intake.submit_payment_proof(
            s,
            t.billing_contact,
            inv.id,
            filename="receipt.pdf",
            data=PDF,
            claimed_amount_minor=amount,
            claimed_paid_on=days(0),
            note="wired",
            idempotency_key=key(),
        ).id
        for amount in amounts
    ]
    return inv.id, proofs


def test_accept_and_reject_of_one_proof_at_once_give_one_decision(race_engine, storage_dir):
    """Two reviewers, four clicks each, one accepting and one rejecting the same proof at the same moment: one
    decision is stored, with a payment exactly when it is an acceptance; the other clicks are refused."""
    with Session(race_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        invoice_id, [proof] = _invoice_with_proofs(s, t, 10_000, 4_000)
        before = chain_length(s, t.ws.id)
    accept = lambda s: intake.review_intake(s, t.finance, proof, accept=True)  # noqa: E731
    reject = lambda s: intake.review_intake(s, t.manager, proof, accept=False, reason="Unreadable")  # noqa: E731
    outcomes = race(race_engine, [accept, reject] * 4)

    assert_clean_losers(outcomes, Conflict)
    assert len(failures(outcomes)) == 7, outcomes
    assert all("already" in str(o) for o in failures(outcomes))
    with Session(race_engine) as s:
        row = s.get(IntakeFile, proof)
        paid = s.get(Invoice, invoice_id).amount_paid_minor
        payments = count(s, Payment, Payment.intake_file_id == proof)
        accepted, rejected = events(s, t.ws.id, "intake.accepted"), events(s, t.ws.id, "intake.rejected")
        if row.status is IntakeStatus.ACCEPTED:
            assert (payments, paid, len(accepted), len(rejected)) == (1, 4_000, 1, 0)
            assert row.reviewer_user_id == t.finance.user_id
            written = 2  # the payment and the acceptance
        else:
            assert row.status is IntakeStatus.REJECTED and row.reviewer_user_id == t.manager.user_id
            assert (payments, paid, len(accepted), len(rejected)) == (0, 0, 0, 1)
            written = 1
        task = s.exec(select(FollowUpTask).where(FollowUpTask.source_id == proof)).one()
        assert task.status is TaskStatus.DONE
        assert len(events(s, t.ws.id, "invoice.payment_recorded")) == payments
        assert_one_chain(s, t.ws.id, before + written)


def test_two_proofs_that_together_overpay_accepted_at_once_record_one_payment(race_engine, storage_dir):
    """Two reviewers each accept a different proof on one invoice at the same moment; together they would pay
    more than is due. One payment is recorded, the other acceptance is refused and its proof still awaits review,
    and the invoice is never overpaid."""
    with Session(race_engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        s.commit()
        invoice_id, proofs = _invoice_with_proofs(s, t, 10_000, 6_000, 7_000)
    reviewers = [t.finance, t.manager, t.owner, t.finance]
    outcomes = race(
        race_engine,
        [
            (lambda s, r=r, p=p: intake.review_intake(s, r, p, accept=True))
            for r, p in zip(reviewers, [proofs[0], proofs[1]] * 2, strict=True)
        ],
    )

    # The second proof's acceptance is refused as over the balance, its repeat as already decided.
    assert_clean_losers(outcomes, Conflict, ValidationFailed)
    assert len(failures(outcomes)) == 3, outcomes
    with Session(race_engine) as s:
        assert count(s, Payment, Payment.invoice_id == invoice_id) == 1
        paid = s.exec(select(func.sum(Payment.amount_minor)).where(Payment.invoice_id == invoice_id)).one()
        assert s.get(Invoice, invoice_id).amount_paid_minor == paid <= 10_000
        statuses = sorted(s.get(IntakeFile, p).status.value for p in proofs)
        assert statuses == sorted([IntakeStatus.ACCEPTED.value, IntakeStatus.AWAITING_REVIEW.value])
        assert len(events(s, t.ws.id, "intake.accepted")) == 1
        assert audit.verify_chain(s, t.ws.id).ok


# ---------------------------------------------------------------------------------------------------------------
# Audit: concurrent appends from many sessions form one chain


def test_twenty_four_sessions_appending_to_two_workspaces_form_two_gapless_chains(race_engine):
    with Session(race_engine, expire_on_commit=False) as s:
        a, b = make_tenant(s), make_tenant(s)
        s.commit()
    rounds = 5

    def writer(i: int) -> Callable[[Session], int]:
        def work(s: Session) -> int:
            for r in range(rounds):
                t = (a, b)[(i + r) % 2]  # the two chains interleave within each session too
                audit.append_event(
                    s, workspace_id=t.ws.id, actor=t.owner, action="race", data={"i": i, "r": r}
                )
                s.commit()
            return rounds

        return work

    outcomes = race(race_engine, [writer(i) for i in range(WIDEST)])

    assert outcomes == [rounds] * WIDEST
    total = WIDEST * rounds
    with Session(race_engine) as s:
        assert_one_chain(s, a.ws.id, total // 2)
        assert_one_chain(s, b.ws.id, total // 2)
        seen = s.exec(select(AuditEvent.data).where(AuditEvent.action == "race")).all()
        assert len(set(seen)) == total  # every append landed once


@pytest.mark.parametrize(
    "head",
    [
        "existing",
        "fresh",  # was a UniqueViolation on PostgreSQL: the head row is now created with INSERT .. ON CONFLICT
    ],
)
def test_concurrent_appends_to_the_platform_chain_form_one_chain(race_engine, head):
    """Operator events go to the platform chain (workspace 0), whose head row the first append creates. Eight
    operator events at once, with the head row already there or (a fresh database) not yet, form one chain."""
    first = 0
    if head == "existing":
        with Session(race_engine) as s:
            audit.append_event(
                s,
                workspace_id=audit.PLATFORM_CHAIN,
                actor=None,
                actor_override=("operator", None),
                action="seed",
            )
            s.commit()
        first = 1

    def operator_event(i: int) -> Callable[[Session], None]:
        def work(s: Session) -> None:
            audit.append_event(
                s,
                workspace_id=audit.PLATFORM_CHAIN,
                actor=None,
                actor_override=("operator", None),
                action="race",
                data={"i": i},
            )
            s.commit()

        return work

    outcomes = race(race_engine, [operator_event(i) for i in range(8)])

    assert failures(outcomes) == []
    with Session(race_engine) as s:
        assert_one_chain(s, audit.PLATFORM_CHAIN, first + 8)
