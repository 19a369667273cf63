"""Drains the mail outbox: over SMTP when a host is configured, otherwise into the local outbox (dev mailbox page).

Each mail is claimed right before it is sent with a conditional UPDATE (QUEUED -> SENDING, attempts + 1, claim time
in ``sent_at``), so several app workers running the loop never send the same mail at once; a claim left behind by a
crashed worker expires after ``CLAIM_LEASE`` and the mail goes out on a later round. Bodies, addresses and server
replies never reach the log; ``last_error`` holds only the error's kind and SMTP code.

Stored links: a mail carrying a sign-in or invitation link records when that link expires (``links_expire_at``).
Its stored copy has the link blanked once delivery ends: sent over SMTP, or failed for good. In the local outbox
(no SMTP host) the mailbox page is the delivery, so the link stays readable there until it expires. Whatever the
status, ``sweep_expired_links`` (every round of the mail loop, and before the mailbox page reads) blanks every
link past its expiry, and a mail whose link expired before it could go out is not sent at all.
"""

from __future__ import annotations

import asyncio
import logging
import re
import smtplib
import ssl
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.headerregistry import Address
from email.message import EmailMessage
from email.utils import formatdate, make_msgid, parseaddr
from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, col, select

from models import MailStatus, OutboxMail, utcnow
from portal_app.settings import Settings, get_settings

log = logging.getLogger("portal.mail")

MAX_ATTEMPTS = 5
SMTP_TIMEOUT_SECONDS = 20
MAX_BACKOFF_SECONDS = 300
CLAIM_LEASE = timedelta(minutes=5)  # far above one SMTP send (SMTP_TIMEOUT_SECONDS per step)
# Sign-in and invitation links carry 43-character url-safe tokens. Once a mail has left over SMTP, its stored copy
# has them blanked so that a database dump holds no live link.
_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{40,}")
_LINK_RE = re.compile(r"https?://[^\s<>\"']*?[A-Za-z0-9_-]{40,}[^\s<>\"']*")  # a whole URL carrying a token
REDACTED = "[link removed after delivery]"
EXPIRED = "[link expired]"
LINK_EXPIRED_ERROR = "LinkExpired"  # ``last_error`` of a mail whose link expired before it could be sent
SWEEP_BATCH = 500


@dataclass(frozen=True)
class DeliveryReport:
    sent: int = 0
    failed: int = 0  # attempts that failed this round (the mail stays queued until MAX_ATTEMPTS)


def _short_error(exc: BaseException) -> str:
    """The kind of failure and the SMTP code, never the server's text (it may echo addresses or credentials)."""
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = next(iter(exc.recipients.values()))[0]
    if code is None and isinstance(exc, OSError) and exc.errno is not None:
        return f"{type(exc).__name__} errno {exc.errno}"[:200]
    return (f"{type(exc).__name__} {code}" if code is not None else type(exc).__name__)[:200]


def _permanent(exc: BaseException) -> bool:
    """A 5xx reply (unknown mailbox, refused sender) will not change on retry."""
    code = getattr(exc, "smtp_code", None)
    if code is None and isinstance(exc, smtplib.SMTPRecipientsRefused) and exc.recipients:
        code = next(iter(exc.recipients.values()))[0]
    return isinstance(code, int) and code >= 500


def _claimable(now: datetime) -> Any:
    return sa.or_(
        col(OutboxMail.status) == MailStatus.QUEUED,
        sa.and_(col(OutboxMail.status) == MailStatus.SENDING, col(OutboxMail.sent_at) < now - CLAIM_LEASE),
    )


def _claim(session: Session, mail: OutboxMail) -> bool:
    """Take ``mail`` for this sender, or return False when another sender holds it or it is done."""
    now = utcnow()
    result = session.execute(  # type: ignore[deprecated]
        sa.update(OutboxMail)
        .where(col(OutboxMail.id) == mail.id, _claimable(now))
        .values(status=MailStatus.SENDING, attempts=col(OutboxMail.attempts) + 1, sent_at=now)
    )
    session.commit()
    if result.rowcount != 1:  # type: ignore[attr-defined]
        return False
    session.refresh(mail)
    return True


def redact_links(text: str, replacement: str = REDACTED) -> str:
    """``text`` with every sign-in or invitation link (and any bare token) replaced, so none of it works any more."""
    return _TOKEN_RE.sub(replacement, _LINK_RE.sub(replacement, text))


def _links_expired(mail: OutboxMail, now: datetime) -> bool:
    return mail.links_expire_at is not None and mail.links_expire_at <= now


def _mark_sent(session: Session, mail: OutboxMail, *, redact: bool) -> None:
    mail.status, mail.sent_at, mail.last_error = MailStatus.SENT, utcnow(), ""
    if redact:
        mail.body_text = redact_links(mail.body_text)
        mail.body_html = redact_links(mail.body_html)
        mail.links_expire_at = None
    session.add(mail)
    session.commit()


def _give_up_expired(session: Session, mail: OutboxMail) -> None:
    """A claimed mail whose link expired while it waited: sending it would only deliver a dead link."""
    mail.status, mail.sent_at, mail.last_error = MailStatus.FAILED, None, LINK_EXPIRED_ERROR
    mail.body_text = redact_links(mail.body_text, EXPIRED)
    mail.body_html = redact_links(mail.body_html, EXPIRED)
    mail.links_expire_at = None
    session.add(mail)
    session.commit()
    log.warning("mail not sent: its link expired", extra={"mail_id": mail.id})


def _record_failure(session: Session, mail: OutboxMail, exc: BaseException, *, final: bool = False) -> None:
    mail.last_error = _short_error(exc)
    mail.status = MailStatus.FAILED if final or mail.attempts >= MAX_ATTEMPTS else MailStatus.QUEUED
    mail.sent_at = None
    if mail.status is MailStatus.FAILED:  # delivery is over: the stored copy keeps no working link
        mail.body_text = redact_links(mail.body_text)
        mail.body_html = redact_links(mail.body_html)
        mail.links_expire_at = None
    session.add(mail)
    session.commit()
    log.warning(
        "mail delivery failed",
        extra={
            "mail_id": mail.id,
            "attempts": mail.attempts,
            "status": mail.status.value,
            "error": mail.last_error,
        },
    )


def sweep_expired_links(session: Session, *, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """Blank the links of up to ``batch`` stored mails whose links have expired; returns how many were changed.

    A mail still queued (or left behind by a crashed sender) is failed instead of sent later. One held by a live
    sender is left to it: the sender checks the expiry after its claim. Each row is changed with a conditional
    UPDATE on the status it was read with, so a sender claiming it meanwhile wins and the next round retries.
    """
    now = now or utcnow()
    rows = session.exec(
        select(OutboxMail)
        .where(col(OutboxMail.links_expire_at).is_not(None), col(OutboxMail.links_expire_at) <= now)
        .order_by(col(OutboxMail.links_expire_at), col(OutboxMail.id))
        .limit(max(1, batch))
    ).all()
    changed = 0
    for mail in rows:
        if (
            mail.status is MailStatus.SENDING
            and mail.sent_at is not None
            and mail.sent_at >= now - CLAIM_LEASE
        ):
            continue
        values: dict[str, Any] = {
            "body_text": redact_links(mail.body_text, EXPIRED),
            "body_html": redact_links(mail.body_html, EXPIRED),
            "links_expire_at": None,
        }
        if mail.status in (MailStatus.QUEUED, MailStatus.SENDING):
            values.update(status=MailStatus.FAILED, sent_at=None, last_error=LINK_EXPIRED_ERROR)
        result = session.execute(  # type: ignore[deprecated]
            sa.update(OutboxMail)
            .where(col(OutboxMail.id) == mail.id, col(OutboxMail.status) == mail.status)
            .values(**values)
            .execution_options(synchronize_session=False)
        )
        changed += result.rowcount  # type: ignore[attr-defined]
    session.commit()
    for mail in rows:
        session.expire(mail)
    if changed:
        log.info("expired links blanked in stored mails", extra={"count": changed})
    return changed


def _one_line(value: str) -> str:
    return " ".join(value.split())


def sender(mail: OutboxMail, settings: Settings) -> str | Address:
    """The From header: the configured sender, or for a workspace's mail ``"<workspace> via <product>" <address>``.

    The address is always the configured one (the workspace only lends its name, which is one line, quoted)."""
    if not mail.from_name.strip():
        return settings.mail_from
    product, address = parseaddr(settings.mail_from)
    if not address:
        return settings.mail_from
    name = f"{_one_line(mail.from_name)[:120]} via {_one_line(product) or 'Customer Portal'}"
    return Address(display_name=name, addr_spec=address)


def build_message(mail: OutboxMail, settings: Settings) -> EmailMessage:
    """The RFC 5322 message for an outbox row: plain text, or multipart/alternative (text, then HTML) when the row
    has an HTML body. Raises ``ValueError`` for an address or header that is not valid."""
    msg = EmailMessage()
    msg["From"] = sender(mail, settings)
    msg["To"] = Address(addr_spec=_one_line(mail.to_email))
    msg["Subject"] = _one_line(mail.subject)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    domain = parseaddr(settings.mail_from)[1].rpartition("@")[2] or "localhost"
    msg["Message-ID"] = make_msgid(idstring=f"outbox-{mail.id}", domain=domain)
    msg["Auto-Submitted"] = "auto-generated"
    msg.set_content(mail.body_text)
    if mail.body_html:
        msg.add_alternative(mail.body_html, subtype="html")
    return msg


def _connect(settings: Settings) -> smtplib.SMTP:
    context = ssl.create_default_context()
    client: smtplib.SMTP
    if settings.smtp_port == 465:  # implicit TLS ("submissions")
        client = smtplib.SMTP_SSL(
            settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS, context=context
        )
    else:
        client = smtplib.SMTP(settings.smtp_host, settings.smtp_port, timeout=SMTP_TIMEOUT_SECONDS)
    try:
        client.ehlo()
        if settings.smtp_starttls and settings.smtp_port != 465:
            client.starttls(context=context)
            client.ehlo()
        if settings.smtp_username:
            client.login(settings.smtp_username, settings.smtp_password.get_secret_value())
    except BaseException:
        client.close()
        raise
    return client


def _deliver(session: Session, *, batch: int = 50) -> DeliveryReport:
    settings = get_settings()
    candidates = session.exec(
        select(OutboxMail)
        .where(_claimable(utcnow()))
        .order_by(col(OutboxMail.created_at), col(OutboxMail.id))
        .limit(max(1, batch))
    ).all()
    session.commit()  # no transaction stays open across the SMTP conversation
    if not candidates:
        return DeliveryReport()

    if not settings.smtp_host:
        # The local outbox: the mail stays in the table, readable at the dev mailbox page.
        sent = 0
        for mail in candidates:
            if not _claim(session, mail):
                continue
            if _links_expired(mail, utcnow()):
                _give_up_expired(session, mail)
                continue
            _mark_sent(session, mail, redact=False)
            sent += 1
        if sent:
            log.info("mail kept in the local outbox", extra={"count": sent})
        return DeliveryReport(sent=sent)

    try:
        client = _connect(settings)
    except (OSError, smtplib.SMTPException) as exc:
        failed = 0
        for mail in candidates:
            if _claim(session, mail):
                _record_failure(session, mail, exc)
                failed += 1
        return DeliveryReport(failed=failed)

    sent = failed = 0
    try:
        for mail in candidates:
            if not _claim(session, mail):
                continue  # another sender has it, or it went out meanwhile
            if _links_expired(mail, utcnow()):
                _give_up_expired(session, mail)
                continue
            try:
                message = build_message(mail, settings)
            except (ValueError, TypeError) as exc:
                failed += 1
                _record_failure(session, mail, exc, final=True)  # a malformed mail will never go out
                continue
            try:
                client.send_message(message)
            except smtplib.SMTPServerDisconnected as exc:
                # The connection is gone: this mail goes back to the queue, the rest wait for the next round.
                failed += 1
                _record_failure(session, mail, exc)
                break
            except (OSError, smtplib.SMTPException) as exc:
                failed += 1
                _record_failure(session, mail, exc, final=_permanent(exc))
                continue
            _mark_sent(session, mail, redact=True)
            sent += 1
            log.info("mail sent", extra={"mail_id": mail.id})
    finally:
        try:
            client.quit()
        except (OSError, smtplib.SMTPException):
            client.close()
    return DeliveryReport(sent=sent, failed=failed)


def deliver_outbox(session: Session, *, batch: int = 50) -> int:
    """Send up to ``batch`` queued mails, oldest first; returns how many went out.

    With ``smtp_host`` set: one SMTP conversation (STARTTLS when ``smtp_starttls``, login when a username is set).
    A failed attempt stays queued with a short ``last_error`` and becomes FAILED after ``MAX_ATTEMPTS``. Without a
    host the mails are marked SENT and stay in the table as the local outbox (links readable until they expire).
    """
    return _deliver(session, batch=batch).sent


def _run_once() -> DeliveryReport:
    from portal_app.db import session_scope
    from portal_app.services import periodic

    with session_scope() as session:
        periodic.run_due(session)  # once per period across all workers (database leases)
        return _deliver(session)


async def mail_loop(interval_seconds: float = 5) -> None:
    """Drain the outbox forever (a Reflex lifespan task). Errors are logged and retried with a growing pause."""
    pause = float(interval_seconds)
    while True:
        try:
            report = await asyncio.to_thread(_run_once)
            if report.failed and not report.sent:
                pause = min(max(pause * 2, float(interval_seconds)), MAX_BACKOFF_SECONDS)
            else:
                pause = float(interval_seconds)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001  the loop must outlive a broken database or mail server
            # Only the kind: a database error's text can carry statement parameters, i.e. a mail with its link.
            log.error("mail loop round failed: %s", type(exc).__name__)
            pause = min(max(pause * 2, float(interval_seconds)), MAX_BACKOFF_SECONDS)
        await asyncio.sleep(pause)
