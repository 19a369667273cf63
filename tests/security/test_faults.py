"""Abuse suite, faults (issue 12; SECURITY.md 20, 23): the identity provider unreachable or slow, the database
failing mid-action, the mail server down or refusing, the disk full during an upload. Each is refused cleanly
through the real entry points (HTTP routes over ``httpx.ASGITransport``, page handlers as Reflex calls them), with
nothing half-written; mail is retried and goes out once the server is back.

Already covered exactly, not repeated here:
- provider unreachable at the start of sign-in, as a transport error: tests/api/test_oidc_attacks.py
  ``test_provider_unreachable_fails_closed`` (here: a real closed port and a silent server, at every endpoint);
- a failure mid-action in the services, test session rolled back: tests/services/test_approvals.py,
  test_estimates.py, test_messages.py, test_intake.py (``..._mid_action...``); here: an ``OperationalError`` after
  the flush, committed engine, through the page handler and the upload route, with the message the person sees;
- SMTP down until attempts run out, wrong password then right, a 5xx for one recipient (fails alone, for good):
  tests/services/test_mailer.py. Here: a server that greets with 421 / 554, a 451 at DATA, and then comes back.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from sqlmodel import Session, select

from models import (
    ApprovalRequest,
    ApprovalStatus,
    AuditEvent,
    AuthSession,
    Contact,
    Estimate,
    EstimateStatus,
    FollowUpTask,
    IdempotencyKey,
    IntakeFile,
    MailStatus,
    OidcLogin,
    OutboxMail,
    User,
    Workspace,
)
from portal_app import routes
from portal_app.api import build_api, oidc, uploads
from portal_app.services import approvals, audit, errors, mailer, portal_access, storage, tasks
from portal_app.services.sessions import COOKIE_NAME
from state.portal_approvals import PortalApprovalState
from state.portal_estimates import PortalEstimateState
from tests.aio import run_async
from tests.api.oidc_support import (
    FAKE_CLIENT_ID,
    FAKE_CLIENT_SECRET,
    FAKE_HOST,
    FAKE_ISSUER,
    REFUSED,
    FakeProvider,
    browser,
    settings_env,
)
from tests.factories import make_tenant
from tests.security.fault_support import (
    UPLOAD_ROUTES,
    FullDiskOs,
    NetworkRouter,
    UploadWorld,
    closed_port,
    operational_error,
    pdf_with,
    png_with,
    stored_files,
    tcp_server,
    upload_world,
)
from tests.services.test_mailer import Recorder, free_port, smtp_server, smtp_settings
from tests.state.test_portal_pages import APPROVE, call, shared_estimate, tab, token_for

UNAVAILABLE = errors.Unavailable.default_message
FAST = httpx.Timeout(0.5)


@pytest.fixture(scope="module")
def asgi() -> Any:
    from reflex.app import App

    with pytest.MonkeyPatch.context() as mp:
        mp.chdir(Path(__file__).resolve().parents[2])
        api = build_api()
        App._add_cors(api)
        return api


def rows(engine: sa.Engine, model: Any, *where: Any) -> int:
    with Session(engine) as s:
        return len(s.exec(select(model).where(*where)).all())


def written(engine: sa.Engine) -> dict[str, int]:
    """Everything a customer action or a sign-in could leave behind."""
    models = (AuditEvent, FollowUpTask, IdempotencyKey, OutboxMail, IntakeFile, AuthSession, User)
    return {m.__name__: rows(engine, m) for m in models}


# -- identity provider unreachable or slow --------------------------------------------------------------------


class PartlyBroken(FakeProvider):
    """A configured provider whose discovery document points one endpoint at a broken real socket."""

    broken: str = ""
    port: int = 0

    async def handle(self, request: httpx.Request) -> httpx.Response:
        response = await super().handle(request)
        if request.url.path == "/.well-known/openid-configuration" and self.broken:
            doc = response.json()
            doc[self.broken] = f"http://127.0.0.1:{self.port}/{self.broken}"
            return httpx.Response(200, json=doc)
        return response


@pytest.fixture()
def provider(committed_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch) -> Iterator[PartlyBroken]:
    fake = PartlyBroken()
    monkeypatch.setattr(oidc, "HTTP_TIMEOUT", FAST)  # the slow server is waited for this long, not 10 s
    with settings_env(
        oidc_issuer=FAKE_ISSUER, oidc_client_id=FAKE_CLIENT_ID, oidc_client_secret=FAKE_CLIENT_SECRET
    ):
        oidc.set_transport_factory(lambda: NetworkRouter(fake, FAKE_HOST))
        try:
            yield fake
        finally:
            oidc.set_transport_factory(None)


def assert_sign_in_refused(response: httpx.Response, engine: sa.Engine, elapsed: float) -> None:
    assert response.status_code == 400, response.text
    assert REFUSED in response.text and "Try again" in response.text
    for detail in ("Error", "Timeout", "127.0.0.1", "Traceback"):
        assert detail not in response.text  # the page names no exception, host or port
    assert f"{COOKIE_NAME}=" not in response.headers.get("set-cookie", "")
    assert written(engine)["AuthSession"] == written(engine)["User"] == 0
    assert elapsed < 5  # refused at the client's timeout, not after the provider gives up


@pytest.mark.parametrize("peer", ["closed", "silent"])
def test_discovery_unreachable_or_slow_refuses_before_writing(
    asgi: Any, committed_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch, caplog: Any, peer: str
) -> None:
    monkeypatch.setattr(oidc, "HTTP_TIMEOUT", FAST)
    with tcp_server(None) as silent:
        port = closed_port() if peer == "closed" else silent
        with settings_env(oidc_issuer=f"http://127.0.0.1:{port}", oidc_client_id="c", oidc_client_secret="s"):

            async def go() -> httpx.Response:
                async with browser(asgi) as b:
                    return await b.get(routes.SIGN_IN, params={"as": "contact"})

            started = time.monotonic()
            response = run_async(go())
    assert_sign_in_refused(response, committed_engine, time.monotonic() - started)
    assert rows(committed_engine, OidcLogin) == 0  # the provider is asked first: no pending login was stored
    expected = "ConnectError" if peer == "closed" else "ReadTimeout"
    assert any(f"provider unavailable ({expected})" in r.getMessage() for r in caplog.records)


@pytest.mark.parametrize(
    ("endpoint", "peer"),
    [
        ("token_endpoint", "closed"),
        ("token_endpoint", "silent"),
        ("jwks_uri", "closed"),
        ("jwks_uri", "silent"),
    ],
)
def test_token_or_keys_unreachable_at_the_callback_creates_no_user_and_no_session(
    asgi: Any, committed_engine: sa.Engine, provider: PartlyBroken, endpoint: str, peer: str
) -> None:
    with tcp_server(None) as silent:
        provider.broken, provider.port = endpoint, closed_port() if peer == "closed" else silent

        async def go() -> tuple[httpx.Response, float]:
            async with browser(asgi) as b:
                started = time.monotonic()
                response = await b.sign_in_fake(provider)
                return response, time.monotonic() - started

        response, elapsed = run_async(go())
    assert_sign_in_refused(response, committed_engine, elapsed)
    # The state was used up (single use); nothing else: no user, no session, no membership, no audit event.
    assert written(committed_engine) == dict.fromkeys(written(committed_engine), 0)

    # The provider recovers: the same browser signs in at once (nothing cached from the failure).
    provider.broken = ""
    oidc.clear_caches()

    async def again() -> httpx.Response:
        async with browser(asgi) as b:
            return await b.sign_in_fake(provider)

    assert run_async(again()).status_code == 303
    assert rows(committed_engine, AuthSession) == 1


# -- the database fails in the middle of a customer action ------------------------------------------------------


def fail_after(real: Any) -> Any:
    """``real`` runs and its rows are flushed, then the database fails (as a full disk or dropped link would)."""

    def broken(session: Session, *args: Any, **kwargs: Any) -> Any:
        real(session, *args, **kwargs)
        session.flush()
        raise operational_error()

    return broken


def test_estimate_decision_rolls_back_whole_and_the_page_says_try_again(
    committed_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed_engine, expire_on_commit=False) as db:
        t, other = make_tenant(db), make_tenant(db)
        est_id = shared_estimate(db, t)
        shared_estimate(db, other)
        token = token_for(db, t.contact)
    before = written(committed_engine)
    page = tab(PortalEstimateState, token, routes.record_pattern(routes.PORTAL_ESTIMATES), est_id)
    call(page, "load")
    assert page.gate == "ready" and page.open_for_decision
    monkeypatch.setattr(audit, "append_event", fail_after(audit.append_event))
    answer = call(page, "decide", APPROVE)
    assert UNAVAILABLE in str(answer)  # a toast in plain words; the driver's text never reaches the page
    assert "No space" not in str(answer) and "INSERT" not in str(answer)
    with Session(committed_engine) as s:
        est = s.get(Estimate, est_id)
        assert est is not None and est.status is EstimateStatus.SHARED and est.decided_at is None
    assert written(committed_engine) == before  # no decision, task, audit event, key or mail
    assert page.open_for_decision  # the form is still there, with the same key

    monkeypatch.undo()  # the database is back: the same click decides once
    assert "approved" in str(call(page, "decide", APPROVE)).lower()
    assert rows(committed_engine, FollowUpTask, FollowUpTask.source_id == est_id) == 1
    with Session(committed_engine) as s:
        assert audit.verify_chain(s, t.ws.id).ok and audit.verify_chain(s, other.ws.id).ok


def test_approval_answer_rolls_back_when_the_task_insert_fails(
    committed_engine: sa.Engine, monkeypatch: pytest.MonkeyPatch
) -> None:
    with Session(committed_engine, expire_on_commit=False) as db:
        t = make_tenant(db)
        make_tenant(db)
        appr = approvals.create_approval_request(db, t.team_lead, t.account.id, title="Artwork")
        token = token_for(db, t.contact)
    before = written(committed_engine)
    page = tab(PortalApprovalState, token, routes.record_pattern(routes.PORTAL_APPROVALS), appr.id)
    call(page, "load")
    assert page.gate == "ready"
    # The decision row is already updated and flushed when the task insert fails.
    monkeypatch.setattr(approvals, "open_follow_up", fail_after(tasks.open_follow_up))
    answer = call(page, "respond", {"decision": "approve", "approve_note": "ok"})
    assert UNAVAILABLE in str(answer)
    with Session(committed_engine) as s:
        assert s.get(ApprovalRequest, appr.id).status is ApprovalStatus.PENDING  # type: ignore[union-attr]
    assert written(committed_engine) == before


def post(
    asgi: Any, w: UploadWorld, route: str, body: bytes, *, headers: dict[str, str] | None = None
) -> httpx.Response:
    async def go() -> httpx.Response:
        async with httpx.AsyncClient(
            transport=httpx.ASGITransport(app=asgi), base_url="http://localhost:8000"
        ) as c:
            return await c.post(w.url(route), content=body, headers=headers or w.headers(route, "scan.pdf"))

    return run_async(go())


@pytest.fixture()
def world(committed_engine: sa.Engine, storage_dir: Path) -> Iterator[UploadWorld]:
    uploads.upload_clients.clear()
    yield upload_world(committed_engine, storage_dir)
    uploads.upload_clients.clear()


def test_payment_proof_rolls_back_file_and_row_when_the_audit_insert_fails(
    asgi: Any, world: UploadWorld, monkeypatch: pytest.MonkeyPatch
) -> None:
    before, files = written(world.engine), stored_files(world.storage)
    headers = world.headers("proof", "receipt.pdf")
    monkeypatch.setattr(audit, "append_event", fail_after(audit.append_event))
    refused = post(asgi, world, "proof", pdf_with("x"), headers=headers)
    assert refused.status_code == 503
    assert refused.json() == {"ok": False, "field": "", "message": UNAVAILABLE}
    assert written(world.engine) == before and stored_files(world.storage) == files
    monkeypatch.undo()
    assert post(asgi, world, "proof", pdf_with("x"), headers=headers).status_code == 200  # same key, once
    assert post(asgi, world, "proof", pdf_with("x"), headers=headers).status_code == 200
    assert rows(world.engine, IntakeFile) == 1 and len(stored_files(world.storage)) == len(files) + 1


# -- mail server down or refusing ------------------------------------------------------------------------------


class Flaky(Recorder):
    """Answers DATA with ``code`` for the first ``failures`` messages, then accepts."""

    def __init__(self, code: str, failures: int) -> None:
        super().__init__()
        self.code, self.failures = code, failures

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.failures > 0:
            self.failures -= 1
            return self.code
        return await super().handle_DATA(server, session, envelope)


def link_mail(session: Session) -> tuple[OutboxMail, str]:
    """A contact asks for a sign-in link: the real request queues the mail."""
    t = make_tenant(session)
    contact = session.get(Contact, t.contact.contact_id)
    assert contact is not None
    portal_access.request_magic_link(session, contact.email)
    session.commit()
    mail = session.exec(select(OutboxMail).order_by(sa.desc(OutboxMail.id))).first()
    assert mail is not None and "/auth/magic/" in mail.body_text
    return mail, contact.email


@pytest.mark.parametrize(
    "greeting", [b"421 4.3.2 Service not available, closing\r\n", b"554 5.3.2 No service\r\n"]
)
def test_server_refusing_the_session_keeps_the_mail_queued_until_it_is_back(
    session: Session, monkeypatch: pytest.MonkeyPatch, greeting: bytes
) -> None:
    mail, email = link_mail(session)
    body = mail.body_text
    with tcp_server(greeting) as port:
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 0
    session.refresh(mail)
    code = greeting[:3].decode()
    assert mail.status is MailStatus.QUEUED and mail.attempts == 1
    assert mail.last_error == f"SMTPConnectError {code}"
    assert mail.body_text == body  # the link is intact for the retry
    down = free_port()  # then down altogether for a round
    monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(down))
    assert mailer.deliver_outbox(session) == 0
    session.refresh(mail)
    assert mail.status is MailStatus.QUEUED and mail.attempts == 2
    with smtp_server() as (recorder, back):  # the server is back
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(back))
        assert mailer.deliver_outbox(session) == 1
    session.refresh(mail)
    assert mail.status is MailStatus.SENT and mail.attempts == 3 and mail.last_error == ""
    assert [to for _, to, _ in recorder.received] == [[email]]
    assert "/auth/magic/" in recorder.received[0][2].get_content()


def test_temporary_refusal_at_data_is_retried_and_sent_once(
    session: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    from aiosmtpd.controller import Controller

    mail, email = link_mail(session)
    flaky = Flaky("451 4.3.0 Try again later", failures=1)
    port = free_port()
    controller = Controller(flaky, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 0
        session.refresh(mail)
        assert mail.status is MailStatus.QUEUED and mail.last_error == "SMTPDataError 451"
        assert mailer.deliver_outbox(session) == 1
        assert mailer.deliver_outbox(session) == 0
    finally:
        controller.stop()
    session.refresh(mail)
    assert mail.status is MailStatus.SENT and mail.attempts == 2
    assert [to for _, to, _ in flaky.received] == [[email]]


# -- disk full during an upload ---------------------------------------------------------------------------------


@pytest.mark.parametrize("route", UPLOAD_ROUTES)
def test_disk_full_refuses_the_upload_and_leaves_no_row_no_file_no_temp_file(
    asgi: Any, world: UploadWorld, monkeypatch: pytest.MonkeyPatch, route: str
) -> None:
    with Session(world.engine) as s:
        logo_before = s.get(Workspace, world.tenant.ws.id).logo_key  # type: ignore[union-attr]
    before, files = written(world.engine), stored_files(world.storage)
    disk = FullDiskOs()
    monkeypatch.setattr(storage, "os", disk)
    body = png_with(uuid.uuid4().hex) if route in ("logo", "attachment") else pdf_with("full")
    response = post(asgi, world, route, body, headers=world.headers(route, "scan.bin"))
    assert disk.writes == 1  # the write really started and failed half-way
    assert response.status_code == 503, response.text
    assert response.json() == {"ok": False, "field": "", "message": storage.DISK_FULL}
    assert written(world.engine) == before
    assert stored_files(world.storage) == files  # no partial file, no temp file
    with Session(world.engine) as s:
        assert s.get(Workspace, world.tenant.ws.id).logo_key == logo_before  # type: ignore[union-attr]
    monkeypatch.undo()
    assert post(asgi, world, route, body, headers=world.headers(route, "scan.bin")).status_code == 200
