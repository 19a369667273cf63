"""Shared by the fault and log-secrecy tests (issue 12): real broken peers on 127.0.0.1, a disk that fills up
mid-write, a database error after the flush, and one small world with an open item on every upload route.

The broken peers are real sockets, so the app's own clients (httpx for the identity provider, smtplib for mail)
meet the failure exactly as they would in production: a closed port refuses the connection, a silent server
accepts it and never answers (the client's timeout ends the wait), an SMTP server greets with a 4xx/5xx code.
"""

from __future__ import annotations

import contextlib
import errno
import os
import socket
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import sqlalchemy as sa
from sqlmodel import Session

from models import Contact, SessionKind
from portal_app import routes
from portal_app.services import document_requests, identity, invoices, messages, sessions
from portal_app.services.lines import LineInput
from portal_app.services.sessions import COOKIE_NAME
from tests.factories import Tenant, make_tenant

OWN_ORIGIN = "http://localhost:3000"
UPLOAD_ROUTES = ("proof", "document", "attachment", "logo")


# -- broken peers ------------------------------------------------------------------------------------------------


def closed_port() -> int:
    """A port on 127.0.0.1 that nothing listens on (bound, then released)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def tcp_server(greeting: bytes | None) -> Iterator[int]:
    """A TCP server on 127.0.0.1: sends ``greeting`` and closes, or (``None``) accepts and never answers."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)
    listener.settimeout(0.2)
    stop = threading.Event()
    held: list[socket.socket] = []

    def serve() -> None:
        while not stop.is_set():
            try:
                conn, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            if greeting is None:
                held.append(conn)  # silent: the client waits until its own timeout
                continue
            with contextlib.suppress(OSError):
                conn.sendall(greeting)
                with contextlib.suppress(OSError):
                    conn.settimeout(1)
                    conn.recv(1024)  # let the client say QUIT before we hang up
            conn.close()

    worker = threading.Thread(target=serve, daemon=True)
    worker.start()
    try:
        yield int(listener.getsockname()[1])
    finally:
        stop.set()
        worker.join(timeout=5)
        listener.close()
        for conn in held:
            conn.close()


class NetworkRouter(httpx.AsyncBaseTransport):
    """The relying party's outgoing HTTP: the fake provider's host in-process, anything else over real sockets."""

    def __init__(self, fake: Any, fake_host: str) -> None:
        self.fake, self.fake_host = fake, fake_host
        self.network = httpx.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == self.fake_host:
            return await self.fake.handle(request)
        return await self.network.handle_async_request(request)


# -- faults injected into the app's own code --------------------------------------------------------------------


def operational_error(
    what: str = "could not extend file: No space left on device",
) -> sa.exc.OperationalError:
    """What the driver raises when the database fails mid-statement (the text is the server's, never shown)."""
    return sa.exc.OperationalError("INSERT INTO audit_event ...", {}, Exception(what))


class _FillingFile:
    """A file object that writes half of what it is given, then fails as a full disk does."""

    def __init__(self, fh: Any) -> None:
        self._fh = fh

    def write(self, data: bytes) -> int:
        self._fh.write(bytes(data[: max(1, len(data) // 2)]))
        self._fh.flush()
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    def __getattr__(self, name: str) -> Any:
        return getattr(self._fh, name)

    def __enter__(self) -> _FillingFile:
        return self

    def __exit__(self, *exc: object) -> None:
        self._fh.close()


class FullDiskOs:
    """Stands in for ``os`` inside ``portal_app.services.storage``: every file it opens for writing fills the disk
    halfway through; everything else is the real ``os``. ``writes`` counts the files it failed."""

    def __init__(self) -> None:
        self.writes = 0

    def fdopen(self, fd: int, mode: str = "r", *args: Any, **kwargs: Any) -> Any:
        fh = os.fdopen(fd, mode, *args, **kwargs)
        if "w" in mode:
            self.writes += 1
            return _FillingFile(fh)
        return fh

    def __getattr__(self, name: str) -> Any:
        return getattr(os, name)


# -- files -------------------------------------------------------------------------------------------------------


def marker() -> str:
    return f"FILE-CONTENT-MARKER-{uuid.uuid4().hex}"


def pdf_with(mark: str) -> bytes:
    return f"%PDF-1.4\n% {mark}\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n".encode()


def png_with(mark: str, size: tuple[int, int] = (64, 32)) -> bytes:
    """A real PNG (Pillow-readable) carrying ``mark`` in a tEXt chunk."""
    import io

    from PIL import Image
    from PIL.PngImagePlugin import PngInfo

    info = PngInfo()
    info.add_text("Comment", mark)
    out = io.BytesIO()
    Image.new("RGB", size, (0, 90, 200)).save(out, format="PNG", pnginfo=info)
    data = out.getvalue()
    assert mark.encode() in data
    return data


# -- a world with an open item on every upload route --------------------------------------------------------------


@dataclass
class UploadWorld:
    engine: sa.Engine
    tenant: Tenant
    storage: Path
    invoice: int
    item: int
    thread: int
    message: int  # a contact message without a file yet
    contact: str  # session tokens
    owner: str

    def url(self, route: str) -> str:
        if route == "proof":
            return routes.url_for(
                f"{routes.FILES_UPLOAD_PROOF}/{self.invoice}",
                amount="1000",
                paid_on="2026-01-05",
                reference="T-1",
            )
        if route == "document":
            return f"{routes.FILES_UPLOAD_DOCUMENT}/{self.item}"
        if route == "attachment":
            return routes.url_for(f"{routes.FILES_UPLOAD_ATTACHMENT}/{self.thread}", message_id=self.message)
        return routes.FILES_UPLOAD_LOGO

    def headers(self, route: str, name: str) -> dict[str, str]:
        return {
            "x-portal-upload": "1",
            "x-file-name": quote(name),
            "x-idempotency-key": uuid.uuid4().hex,
            "origin": OWN_ORIGIN,
            "content-type": "application/octet-stream",
            "cookie": f"{COOKIE_NAME}={self.owner if route == 'logo' else self.contact}",
        }


def upload_world(engine: sa.Engine, storage_dir: Path) -> UploadWorld:
    with Session(engine, expire_on_commit=False) as s:
        t = make_tenant(s)
        make_tenant(s)  # a second workspace, so that a leak would show
        lines = [LineInput("Consulting", quantity=2, unit_price_minor=50_000, tax_rate_bp=0)]
        inv = invoices.create_invoice(s, t.finance, t.account.id, lines=lines)
        invoices.issue_invoice(s, t.finance, inv.id)
        req = document_requests.create_document_request(
            s, t.team_lead, t.account.id, title="KYC", items=["W-9"]
        )
        item = document_requests.get_document_request_detail(s, t.team_lead, req.id).items[0].id
        thread = messages.portal_start_thread(
            s, t.contact, subject="Q", body="See file", idempotency_key=uuid.uuid4().hex
        )
        message = messages.portal_get_thread_messages(s, t.contact, thread.id).items[0].id
        contact = identity.start_contact_session(
            s, s.get(Contact, t.contact.contact_id), t.account.id, via="test"
        )
        owner = sessions.create_session(
            s, kind=SessionKind.STAFF, user_id=t.owner.user_id, workspace_id=t.ws.id
        )
        s.commit()
    return UploadWorld(engine, t, storage_dir, inv.id, item, thread.id, message, contact.token, owner.token)


def stored_files(root: Path) -> dict[str, int]:
    return {str(p.relative_to(root)): p.stat().st_size for p in root.rglob("*") if p.is_file()}
