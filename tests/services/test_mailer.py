"""The outbox sender against a real SMTP server (aiosmtpd on 127.0.0.1), and the local outbox without one."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Iterator
from datetime import timedelta
from email import message_from_bytes, policy
from email.message import EmailMessage

import pytest
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, Envelope
from sqlmodel import Session, select

from models import MailStatus, OutboxMail, utcnow
from portal_app.services import mailer, notifications, tokens
from portal_app.settings import Environment, Settings

USERNAME, PASSWORD = "portal-sender", "s3cret-smtp-password"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Recorder:
    """Keeps every accepted message; refuses recipients at ``refused.test``."""

    def __init__(self) -> None:
        self.received: list[tuple[str, list[str], EmailMessage]] = []

    async def handle_RCPT(self, server, session, envelope: Envelope, address: str, rcpt_options) -> str:
        if address.endswith("@refused.test"):
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope: Envelope) -> str:
        content = envelope.original_content or envelope.content
        assert isinstance(content, bytes)
        self.received.append(
            (
                str(envelope.mail_from),
                list(envelope.rcpt_tos),
                message_from_bytes(content, policy=policy.default),
            )
        )
        return "250 Message accepted for delivery"


def authenticate(server, session, envelope, mechanism, auth_data) -> AuthResult:
    ok = (
        getattr(auth_data, "login", b"") == USERNAME.encode()
        and getattr(auth_data, "password", b"") == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


@contextlib.contextmanager
def smtp_server(*, with_auth: bool = False) -> Iterator[tuple[Recorder, int]]:
    recorder = Recorder()
    port = free_port()
    kwargs = {"authenticator": authenticate, "auth_require_tls": False} if with_auth else {}
    controller = Controller(recorder, hostname="127.0.0.1", port=port, **kwargs)
    controller.start()
    try:
        yield recorder, port
    finally:
        controller.stop()


def smtp_settings(port: int, **extra) -> Settings:
    return Settings(
        env=Environment.TEST,
        smtp_host="127.0.0.1",
        smtp_port=port,
        smtp_starttls=False,
        mail_from="Customer Portal <portal@example.test>",
        **extra,
    )


def body(message: EmailMessage) -> str:
    return message.get_content().replace("\r\n", "\n")


def queue(session: Session, to: str, subject: str, body: str) -> OutboxMail:
    notifications.enqueue_mail(session, workspace_id=None, to_email=to, subject=subject, body_text=body)
    session.commit()
    return session.exec(select(OutboxMail).order_by(OutboxMail.id.desc())).first()


def test_deliver_outbox_sends_over_smtp(session, monkeypatch):
    token = tokens.new_token()
    first = queue(
        session, "ann@customer.test", "Your sign-in link", f"Hello Ann,\nhttp://x.test/auth/magic/{token}\n"
    )
    second = queue(session, "bob@customer.test", "Invoice INV-7 is ready", "Hello Bob,\nÜmlaut and €uro.\n")
    with smtp_server() as (recorder, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 2
        assert mailer.deliver_outbox(session) == 0  # nothing queued twice
    assert [(frm, to) for frm, to, _ in recorder.received] == [
        ("portal@example.test", ["ann@customer.test"]),
        ("portal@example.test", ["bob@customer.test"]),
    ]
    ann, bob = (msg for _, _, msg in recorder.received)
    assert ann["Subject"] == "Your sign-in link"
    assert ann["To"] == "ann@customer.test"
    assert ann["From"] == "Customer Portal <portal@example.test>"
    # SMTP carries CRLF line ends; the text is otherwise exactly what was queued.
    assert body(ann) == f"Hello Ann,\nhttp://x.test/auth/magic/{token}\n"
    assert body(bob) == "Hello Bob,\nÜmlaut and €uro.\n"
    for row in (first, second):
        session.refresh(row)
        assert row.status is MailStatus.SENT
        assert row.sent_at is not None and row.attempts == 1 and row.last_error == ""
    # Once delivered, the stored copy no longer holds the live link.
    assert token not in first.body_text
    assert mailer.REDACTED in first.body_text


def test_login_is_used_and_a_wrong_password_leaves_no_secret(session, monkeypatch):
    mail = queue(session, "ann@customer.test", "Hi", "Hello\n")
    with smtp_server(with_auth=True) as (recorder, port):
        wrong = smtp_settings(port, smtp_username=USERNAME, smtp_password="wrong-password")
        monkeypatch.setattr(mailer, "get_settings", lambda: wrong)
        assert mailer.deliver_outbox(session) == 0
        session.refresh(mail)
        assert mail.status is MailStatus.QUEUED and mail.attempts == 1
        assert mail.last_error.startswith("SMTPAuthenticationError")
        assert "wrong-password" not in mail.last_error and USERNAME not in mail.last_error
        assert recorder.received == []

        right = smtp_settings(port, smtp_username=USERNAME, smtp_password=PASSWORD)
        monkeypatch.setattr(mailer, "get_settings", lambda: right)
        assert mailer.deliver_outbox(session) == 1
    assert len(recorder.received) == 1
    session.refresh(mail)
    assert mail.status is MailStatus.SENT and mail.attempts == 2 and mail.last_error == ""


def test_server_down_retries_then_fails_and_loses_nothing(session, monkeypatch):
    mails = [queue(session, f"user{i}@customer.test", f"Mail {i}", f"Body {i}\n") for i in range(3)]
    port = free_port()  # nothing listens here
    monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port, smtp_password=PASSWORD))
    for attempt in range(1, mailer.MAX_ATTEMPTS + 1):
        assert mailer.deliver_outbox(session) == 0
        for mail in mails:
            session.refresh(mail)
            assert mail.attempts == attempt
            assert mail.last_error and len(mail.last_error) <= 200 and PASSWORD not in mail.last_error
            expected = MailStatus.FAILED if attempt == mailer.MAX_ATTEMPTS else MailStatus.QUEUED
            assert mail.status is expected
    assert mailer.deliver_outbox(session) == 0
    # Every mail is still there, body intact, with its last error.
    # In id order: PostgreSQL returns updated rows in any order without one.
    rows = session.exec(
        select(OutboxMail).where(OutboxMail.id.in_([m.id for m in mails])).order_by(OutboxMail.id)
    ).all()
    assert [r.body_text for r in rows] == ["Body 0\n", "Body 1\n", "Body 2\n"]
    assert {r.attempts for r in rows} == {mailer.MAX_ATTEMPTS}


def test_refused_recipient_fails_alone(session, monkeypatch):
    bad = queue(session, "nobody@refused.test", "Hi", "Hello\n")
    good = queue(session, "ann@customer.test", "Hi", "Hello\n")
    with smtp_server() as (recorder, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 1
    session.refresh(bad)
    session.refresh(good)
    assert bad.status is MailStatus.FAILED  # a 5xx answer will not change on retry
    assert bad.last_error == "SMTPRecipientsRefused 550"
    assert good.status is MailStatus.SENT
    assert [to for _, to, _ in recorder.received] == [["ann@customer.test"]]


def test_without_smtp_host_mails_stay_in_the_local_outbox(session, monkeypatch):
    token = tokens.new_token()
    mail = queue(session, "ann@customer.test", "Link", f"http://x.test/auth/magic/{token}\n")
    monkeypatch.setattr(mailer, "get_settings", lambda: Settings(env=Environment.TEST, smtp_host=""))
    assert mailer.deliver_outbox(session, batch=10) == 1
    session.refresh(mail)
    assert mail.status is MailStatus.SENT and mail.sent_at is not None
    assert token in mail.body_text  # the dev mailbox page shows it, link and all


def test_a_claimed_mail_is_not_sent_twice_and_a_stale_claim_expires(session, monkeypatch):
    mail = queue(session, "ann@customer.test", "Hi", "Hello\n")
    assert mailer._claim(session, mail)  # another worker holds it, mid-send
    assert mail.status is MailStatus.SENDING and mail.attempts == 1
    with smtp_server() as (recorder, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 0
        assert recorder.received == []
        # That worker died: once its lease is over, the mail goes out.
        mail.sent_at = utcnow() - mailer.CLAIM_LEASE - timedelta(seconds=1)
        session.add(mail)
        session.commit()
        assert mailer.deliver_outbox(session) == 1
    assert len(recorder.received) == 1
    session.refresh(mail)
    assert mail.status is MailStatus.SENT and mail.attempts == 2


def test_batch_bounds_one_round(session, monkeypatch):
    for i in range(5):
        queue(session, f"user{i}@customer.test", "x", "y")
    monkeypatch.setattr(mailer, "get_settings", lambda: Settings(env=Environment.TEST, smtp_host=""))
    assert mailer.deliver_outbox(session, batch=2) == 2
    assert mailer.deliver_outbox(session, batch=10) == 3


def test_mail_loop_survives_errors_and_stops_on_cancel(monkeypatch):
    rounds: list[int] = []

    def flaky() -> mailer.DeliveryReport:
        rounds.append(1)
        if len(rounds) == 1:
            raise RuntimeError("database unavailable")
        return mailer.DeliveryReport(sent=1)

    monkeypatch.setattr(mailer, "_run_once", flaky)

    async def run() -> None:
        task = asyncio.create_task(mailer.mail_loop(interval_seconds=0.01))
        for _ in range(200):
            await asyncio.sleep(0.01)
            if len(rounds) >= 3:
                break
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task

    # A thread of its own: a browser test's sync driver may keep an event loop running on the main thread.
    worker = threading.Thread(target=asyncio.run, args=(run(),))
    worker.start()
    worker.join(timeout=30)
    assert not worker.is_alive()
    assert len(rounds) >= 3


# ---------------------------------------------------------------------------------------------------------------
# Stored links: never usable past their expiry or once delivery is over


def queue_link(session: Session, to: str, *, expires_in: timedelta) -> tuple[OutboxMail, str]:
    token = tokens.new_token()
    notifications.enqueue_mail(
        session,
        workspace_id=None,
        to_email=to,
        subject="Your sign-in link",
        body_text=f"Hello,\nhttp://x.test/auth/magic/{token}\n",
        links_expire_at=utcnow() + expires_in,
    )
    session.commit()
    return session.exec(select(OutboxMail).order_by(OutboxMail.id.desc())).first(), token


def test_permanently_refused_mail_keeps_no_live_link(session, monkeypatch):
    mail, token = queue_link(session, "nobody@refused.test", expires_in=timedelta(days=7))
    with smtp_server() as (_, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.deliver_outbox(session) == 0
    session.refresh(mail)
    assert mail.status is MailStatus.FAILED
    assert token not in mail.body_text and mailer.REDACTED in mail.body_text
    assert mail.links_expire_at is None


def test_mail_out_of_attempts_keeps_no_live_link(session, monkeypatch):
    monkeypatch.setattr(mailer, "MAX_ATTEMPTS", 2)
    mail, token = queue_link(session, "ann@customer.test", expires_in=timedelta(days=7))
    port = free_port()  # nothing listens here
    monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
    mailer.deliver_outbox(session)
    session.refresh(mail)
    assert mail.status is MailStatus.QUEUED and token in mail.body_text  # still to be sent: link intact
    mailer.deliver_outbox(session)
    session.refresh(mail)
    assert mail.status is MailStatus.FAILED and token not in mail.body_text


def test_local_outbox_link_is_blanked_once_it_expires(session, monkeypatch):
    mail, token = queue_link(session, "ann@customer.test", expires_in=timedelta(minutes=15))
    forever, other_token = queue_link(session, "bob@customer.test", expires_in=timedelta(days=7))
    monkeypatch.setattr(mailer, "get_settings", lambda: Settings(env=Environment.TEST, smtp_host=""))
    assert mailer.deliver_outbox(session) == 2
    assert mailer.sweep_expired_links(session) == 0
    session.refresh(mail)
    assert (
        mail.status is MailStatus.SENT and token in mail.body_text
    )  # readable in the mailbox until it expires
    assert mailer.sweep_expired_links(session, now=utcnow() + timedelta(minutes=16)) == 1
    session.refresh(mail)
    session.refresh(forever)
    assert token not in mail.body_text and mailer.EXPIRED in mail.body_text
    assert mail.links_expire_at is None and mail.status is MailStatus.SENT
    assert other_token in forever.body_text  # not expired yet
    assert mailer.sweep_expired_links(session, now=utcnow() + timedelta(days=8)) == 1
    session.refresh(forever)
    assert other_token not in forever.body_text


def test_a_mail_whose_link_expired_while_queued_is_not_sent(session, monkeypatch):
    stale, token = queue_link(session, "ann@customer.test", expires_in=timedelta(minutes=15))
    swept, swept_token = queue_link(session, "bob@customer.test", expires_in=timedelta(minutes=15))
    fresh = queue(session, "carol@customer.test", "Invoice", "Hello\n")
    later = utcnow() + timedelta(minutes=16)
    assert mailer.sweep_expired_links(session) == 0  # nothing expired yet
    # Sixteen minutes on, the SMTP server is back: the sweep fails the queued mails whose links are dead.
    monkeypatch.setattr(mailer, "utcnow", lambda: later)
    with smtp_server() as (recorder, port):
        monkeypatch.setattr(mailer, "get_settings", lambda: smtp_settings(port))
        assert mailer.sweep_expired_links(session, now=later) == 2
        assert mailer.deliver_outbox(session) == 1
    assert [to for _, to, _ in recorder.received] == [["carol@customer.test"]]
    for row, secret in ((stale, token), (swept, swept_token)):
        session.refresh(row)
        assert row.status is MailStatus.FAILED and row.last_error == mailer.LINK_EXPIRED_ERROR
        assert secret not in row.body_text
    session.refresh(fresh)
    assert fresh.status is MailStatus.SENT


def test_a_claimed_mail_whose_link_expired_is_given_up_not_sent(session, monkeypatch):
    mail, token = queue_link(session, "ann@customer.test", expires_in=timedelta(minutes=15))
    later = utcnow() + timedelta(minutes=16)
    monkeypatch.setattr(mailer, "utcnow", lambda: later)
    monkeypatch.setattr(mailer, "get_settings", lambda: Settings(env=Environment.TEST, smtp_host=""))
    assert mailer.deliver_outbox(session) == 0  # the sender checks the expiry after its claim
    session.refresh(mail)
    assert mail.status is MailStatus.FAILED and token not in mail.body_text
