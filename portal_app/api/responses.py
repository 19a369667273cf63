"""The response headers every download shares: attachments and plain-text answers.

An attachment is sent with ``nosniff``, ``Cache-Control: private, no-store`` and a sandboxing CSP, its name in the
RFC 6266 form (an ASCII fallback for old clients and the UTF-8 name). Errors are plain text, never cached: missing,
not yours, not permitted and signed out all get the same 404 "Not found." so probing ids teaches nothing.
"""

from __future__ import annotations

from urllib.parse import quote

from starlette.responses import PlainTextResponse, Response

NO_STORE = "private, no-store"
ATTACHMENT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def disposition(kind: str, filename: str) -> str:
    """``attachment; filename="ascii"; filename*=UTF-8''utf-8`` (RFC 6266): old clients get the ASCII name."""
    ascii_name = "".join(c if 32 <= ord(c) < 127 and c not in '"\\;%' else "_" for c in filename)
    return f"{kind}; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(filename, safe='')}"


def attachment_headers(filename: str, content_type: str) -> dict[str, str]:
    """The headers of a download saved as ``filename`` (a whole ``Response`` or a ``StreamingResponse``)."""
    return {
        "Content-Type": content_type,
        "Content-Disposition": disposition("attachment", filename),
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": NO_STORE,
        "Content-Security-Policy": ATTACHMENT_CSP,
    }


def plain(status: int, message: str) -> Response:
    """A plain-text answer shown as it is (a 400's reason, a 503), never cached."""
    return PlainTextResponse(
        message,
        status_code=status,
        headers={"Cache-Control": "no-store", "X-Content-Type-Options": "nosniff"},
    )


def not_found() -> Response:
    """The same answer for missing, not-yours, not-permitted and signed-out."""
    return plain(404, "Not found.")
