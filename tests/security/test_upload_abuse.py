"""Abuse suite, uploads (issue 12; SECURITY.md 16 and 17): hostile files and names through the real HTTP entry
points: payment proof and requested documents (``portal_app/api/uploads.py``), a message's attachment
(``attachment_uploads.py``) and the workspace logo (``branding.py``). The harness (files, world, requests,
snapshots) is in ``upload_support.py``; downloads by people the file is not for are in ``test_download_abuse.py``.

Every attack ends in one of two ways, and the test says which:
- refused: the status and the exact user-safe message of the JSON answer, and nothing changed: the private storage
  dir, the system temp dir, the intake rows and the logo are exactly as before (so the seeded earlier uploads are
  untouched and no temp file is left behind);
- stored inert: quarantined as received (never parsed, expanded or run on the server), its sniffed type the only
  type it is ever served as, downloaded only as an attachment with ``nosniff`` and a sandboxing CSP (the intake
  file from ``files.py``, the reviewer's inline preview from ``downloads.py``); the earlier uploads are untouched
  and exactly one file was added. Uploads that stall or are cut: ``test_interrupted_uploads.py``.

A PDF with JavaScript (``/OpenAction`` + ``/JS``) is stored inert (decision recorded here): intake never parses
PDFs, the download is an attachment with ``nosniff`` and ``default-src 'none'; sandbox``, and the reviewers'
inline preview is ``application/pdf`` with ``default-src 'none'`` (no ``sandbox``: Chromium refuses its PDF viewer
in a sandboxed document, see ``downloads.PREVIEW_CSP_PDF``), framed only by the app itself. The PDF's script can
then only run inside the browser's own PDF sandbox, never with the app's origin.

Existing coverage that is identical and not repeated here: HTML renamed ``.pdf`` as plain HTML on the payment proof
and document routes (tests/api/test_uploads.py, test_document_uploads.py); an SVG with ``<script>`` as the logo
(tests/api/test_branding.py); the declared ``Content-Length`` over the limit (test_uploads.py); the sniffing and
name rules in isolation (tests/services/test_intake.py).
"""

from __future__ import annotations

import gzip
import hashlib
import zipfile
import zlib
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import unquote

import pytest

from models import IntakeStatus
from portal_app import formatting, routes
from portal_app.api import uploads
from portal_app.services import branding
from portal_app.settings import get_settings
from tests.security import upload_support
from tests.security.upload_support import (
    BOMB_RATIO_BYTES,
    CONTACT_ROUTES,
    HTML,
    PDF,
    PDF_JS,
    ROUTES,
    SVG_ONLOAD,
    SVG_SCRIPT,
    World,
    assert_earlier_uploads_untouched,
    assert_one_added,
    assert_refused,
    download_path,
    get,
    gif,
    gzip_bomb,
    jpeg_header,
    listing,
    logo_key,
    pdf_stream_bomb,
    png_header,
    real_png,
    send,
    snapshot,
    webp_header,
    zip_bomb,
)

# The harness's fixtures: pytest finds a fixture by its name in the test module (the last two are autouse).
asgi, world = upload_support.asgi, upload_support.world
fresh_upload_limiter, system_tmp = upload_support.fresh_upload_limiter, upload_support.system_tmp

# -- messages the person sees ------------------------------------------------------------------------------------

MARKUP = "Web pages and SVG images are not accepted. Please send a PDF or a PNG/JPEG image."
ARCHIVE = "Archives (zip, Office documents and the like) are not accepted. Please send a PDF or an image."
NOT_AN_IMAGE = branding.NOT_AN_IMAGE
EMPTY = "Choose a file to send."
DAMAGED_GIF = "The GIF image is damaged. Please send another file."


def too_large(limit: int) -> str:
    return (
        f"The file is too large: files can be at most {formatting.file_size(limit)}. Choose a smaller file."
    )


def pixels(width: int, height: int) -> str:
    return (
        f"The image is too large ({width} × {height} pixels). Please send an image of at most 40 megapixels."
    )


# -- refused, with the message -----------------------------------------------------------------------------------

# A GIF/JS polyglot that is no GIF: after the screen descriptor its blocks make no sense (a real one is stored inert).
GIF_JS_MALFORMED = b"GIF89a/*\x01\x00\x00\x00\x00*/=alert(document.domain);//"

REFUSED = [
    # HTML renamed .pdf (plain HTML on proof/document: tests/api/test_uploads.py, test_document_uploads.py)
    ("html-as-pdf", "attachment", HTML, "receipt.pdf", MARKUP),
    ("html-as-pdf", "logo", HTML, "logo.png", NOT_AN_IMAGE),
    ("html-bom-blank-lines", "document", b"\xef\xbb\xbf\r\n\t  " + HTML.upper(), "w9.pdf", MARKUP),
    ("html-comment-first", "proof", b"<!-- scan -->" + HTML, "receipt.pdf", MARKUP),
    (
        "html-utf16",
        "document",
        "\ufeff<html><script>alert(1)</script></html>".encode("utf-16-le"),
        "w9.pdf",
        MARKUP,
    ),
    ("html-then-png", "attachment", HTML + real_png(), "photo.png", MARKUP),
    # SVG with script, as a document and as the logo
    ("svg-script", "document", SVG_SCRIPT, "logo.svg", MARKUP),
    ("svg-script-as-pdf", "proof", SVG_SCRIPT, "receipt.pdf", MARKUP),
    ("svg-onload", "attachment", SVG_ONLOAD, "picture.png", MARKUP),
    ("svg-onload-as-png", "logo", SVG_ONLOAD, "logo.png", NOT_AN_IMAGE),
    ("svgz", "document", gzip.compress(SVG_SCRIPT), "logo.svgz", ARCHIVE),
    ("svg-no-prolog-as-pdf", "document", b"\n\n" + SVG_SCRIPT[39:], "scan.pdf", MARKUP),
    # a PDF with JavaScript is stored inert (below), but it is no logo
    ("pdf-js-as-logo", "logo", PDF_JS, "logo.png", NOT_AN_IMAGE),
    # polyglots that start as something refused
    ("zip-then-pdf", "document", b"PK\x03\x04" + b"\x00" * 26 + PDF, "w9.pdf", ARCHIVE),
    # zip bombs: refused by their magic bytes, never opened
    ("zip-bomb-zip", "document", "zip", "papers.zip", ARCHIVE),
    ("zip-bomb-docx", "document", "docx", "contract.docx", ARCHIVE),
    ("zip-bomb-as-pdf", "proof", "zip", "receipt.pdf", ARCHIVE),
    ("zip-bomb-attachment", "attachment", "docx", "contract.docx", ARCHIVE),
    ("zip-bomb-logo", "logo", "zip", "logo.png", NOT_AN_IMAGE),
    ("gzip-bomb", "document", "gzip", "w9.pdf.gz", ARCHIVE),
    # decompression-bomb images: huge dimensions in a tiny file, refused from the header, never decoded
    ("png-100k-square", "document", png_header(100_000, 100_000), "scan.png", pixels(100_000, 100_000)),
    ("png-7000-square", "proof", png_header(7_000, 7_000), "scan.png", pixels(7_000, 7_000)),
    ("jpeg-65k-square", "attachment", jpeg_header(65_000, 65_000), "photo.jpg", pixels(65_000, 65_000)),
    ("gif-65k-square", "document", gif(65_535, 65_535), "anim.gif", pixels(65_535, 65_535)),
    ("gif-js-malformed", "attachment", GIF_JS_MALFORMED, "anim.gif", DAMAGED_GIF),
    ("webp-100k-square", "document", webp_header(100_000, 100_000), "img.webp", pixels(100_000, 100_000)),
    ("png-100k-logo", "logo", png_header(100_000, 100_000), "logo.png", pixels(100_000, 100_000)),
    # under the intake's 40 MP but over the logo's 16 MP (the logo is decoded in memory)
    (
        "png-5000-square-logo",
        "logo",
        png_header(5_000, 5_000),
        "logo.png",
        "The image is too large (5000 × 5000 pixels). Please choose a logo of at most 16 megapixels.",
    ),
    # empty files
    *[("empty", route, b"", "empty.pdf", EMPTY) for route in ROUTES],
]


def _body(body: Any) -> bytes:
    if body == "zip":
        return zip_bomb()
    if body == "docx":
        return zip_bomb("word/document.xml")
    if body == "gzip":
        return gzip_bomb()
    assert isinstance(body, bytes)
    return body


@pytest.mark.parametrize(
    ("route", "body", "name", "message"),
    [pytest.param(*case[1:], id=f"{case[0]}-{case[1]}") for case in REFUSED],
)
def test_refused_with_a_clear_message_and_nothing_changed(
    asgi: Any, world: World, route: str, body: Any, name: str, message: str
) -> None:
    data = _body(body)
    before = snapshot(world)
    with pytest.MonkeyPatch.context() as mp:
        if body in ("zip", "docx", "gzip"):
            assert len(data) * 100 < BOMB_RATIO_BYTES  # a real bomb: it expands more than a hundredfold

            def expanded(*args: object, **kwargs: object) -> None:
                raise AssertionError("an archive was opened on the server")

            for module, name_ in ((zipfile, "ZipFile"), (zlib, "decompress"), (zlib, "decompressobj")):
                mp.setattr(module, name_, expanded)
            for name_ in ("decompress", "open", "GzipFile"):
                mp.setattr(gzip, name_, expanded)
        resp = send(asgi, world, route, data, name=name)
    assert_refused(asgi, world, before, resp, 400, message)


def test_one_byte_over_the_limit_while_streaming(
    asgi: Any, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No Content-Length (chunked): the limit holds while reading, to the byte, on every route."""
    for route in ROUTES:
        data = real_png() if route == "logo" else PDF + b"%" * 200
        limit = len(data) - 1
        monkeypatch.setattr(get_settings(), "upload_max_bytes", limit)

        async def chunked(data: bytes = data) -> AsyncIterator[bytes]:
            for i in range(0, len(data), 64):
                yield data[i : i + 64]

        before = snapshot(world)
        resp = send(asgi, world, route, chunked(), name="over.pdf")
        assert_refused(asgi, world, before, resp, 413, too_large(limit))
        uploads.upload_clients.clear()


# -- stored inert ------------------------------------------------------------------------------------------------

INERT = [
    # a PDF with JavaScript: stored as it is (never parsed), served only as an inert attachment
    ("pdf-javascript", "document", PDF_JS, "application/pdf"),
    ("pdf-javascript", "attachment", PDF_JS, "application/pdf"),
    # polyglots: the sniffed type is the only one they are ever served as
    ("png-plus-html", "document", real_png() + HTML, "image/png"),
    ("png-plus-html", "proof", real_png() + b"<svg onload=alert(1)>", "image/png"),
    ("pdf-plus-zip", "document", PDF + zip_bomb(), "application/pdf"),
    # a well-formed GIF whose screen width is "/*" and whose trailer is followed by "*/=alert(...)"
    ("gif-plus-js", "attachment", gif(0x2A2F, 1) + b"*/=alert(document.domain);//", "image/gif"),
    # a PDF whose stream inflates to 40 MB: stored at its upload size, never inflated
    ("pdf-stream-bomb", "proof", pdf_stream_bomb(), "application/pdf"),
]


@pytest.mark.parametrize(
    ("route", "data", "sniffed"), [pytest.param(*c[1:], id=f"{c[0]}-{c[1]}") for c in INERT]
)
def test_stored_inert_and_served_only_as_its_sniffed_type(
    asgi: Any, world: World, route: str, data: bytes, sniffed: str
) -> None:
    before = snapshot(world)
    resp = send(asgi, world, route, data, name="innocent.pdf")
    assert resp.status_code == 200 and resp.json()["ok"] is True, resp.text
    row = assert_one_added(world, before)
    assert row.id == resp.json()["id"] and row.status is IntakeStatus.AWAITING_REVIEW
    assert row.sniffed_type == sniffed and row.size_bytes == len(data)  # as received: nothing expanded
    assert (world.storage / row.storage_key[:2] / row.storage_key).read_bytes() == data
    # The download, for the contact who sent it and for staff: an attachment of the sniffed type, nosniff, sandboxed.
    for who in ("contact", "finance"):
        got = get(asgi, download_path(row.id), world.tokens[who])
        assert got.status_code == 200 and got.content == data
        assert got.headers["content-type"].split(";")[0] == sniffed
        assert got.headers["content-disposition"].startswith("attachment;")
        assert got.headers["x-content-type-options"] == "nosniff"
        assert got.headers["content-security-policy"] == "default-src 'none'; sandbox; frame-ancestors 'none'"
    # The reviewer's inline preview: the same sniffed type, nosniff, nothing may load, framed only by the app.
    shown = get(asgi, download_path(row.id, preview=True), world.tokens["finance"])
    assert shown.status_code == 200 and shown.headers["content-type"].split(";")[0] == sniffed
    assert shown.headers["x-content-type-options"] == "nosniff"
    csp = shown.headers["content-security-policy"]
    assert (
        csp.startswith("default-src 'none'") and "frame-ancestors 'self'" in csp and "script-src" not in csp
    )
    assert ("sandbox" in csp) is (sniffed != "application/pdf")
    assert_earlier_uploads_untouched(asgi, world)


def test_a_polyglot_logo_is_re_encoded_and_its_payload_dropped(asgi: Any, world: World) -> None:
    polyglot = real_png((300, 90)) + HTML + b"<svg onload=alert(1)>"
    before = snapshot(world)
    resp = send(asgi, world, "logo", polyglot)
    assert resp.status_code == 200 and resp.json()["ok"] is True
    key = logo_key(world)
    assert key != before.logo and before.logo not in listing(world.storage)  # the old logo file was replaced
    served = get(asgi, f"{routes.FILES_LOGO}/{key}.png", None)
    assert served.status_code == 200 and served.headers["content-type"] == "image/png"
    assert (
        served.headers["x-content-type-options"] == "nosniff"
        and "sandbox" in served.headers["content-security-policy"]
    )
    assert served.content.startswith(b"\x89PNG") and served.content != polyglot
    assert b"<script" not in served.content.lower() and b"<svg" not in served.content.lower()
    assert snapshot(world).system_tmp == {}


@pytest.mark.parametrize("route", ROUTES)
def test_a_gif_whose_frame_is_far_larger_than_its_screen_is_refused(
    asgi: Any, world: World, route: str
) -> None:
    """Every image descriptor is checked, not only the 1×1 logical screen (a decoder grows its canvas to fit)."""
    before = snapshot(world)
    resp = send(asgi, world, route, gif(1, 1, frame=(65_535, 65_535)), name="tiny.gif")
    assert_refused(asgi, world, before, resp, 400, pixels(65_535, 65_535))


# -- names -------------------------------------------------------------------------------------------------------

NAMES = [
    ("traversal", "../../etc/passwd", "passwd"),
    ("traversal-windows", "..\\..\\windows\\system32\\drivers\\etc\\hosts.pdf", "hosts.pdf"),
    ("traversal-encoded-twice", "..%2F..%2Fetc%2Fpasswd", "%2F..%2Fetc%2Fpasswd"),
    ("absolute-nul", "/etc/passwd\x00.pdf", "passwd.pdf"),
    ("300-characters", "a" * 296 + ".pdf", "a" * 116 + ".pdf"),
    # URI-encoded, 300 "é" are 1,800 header characters: cut at 1,000 before decoding, so the extension is lost
    ("300-characters-accented", "é" * 300 + ".pdf", "é" * 120),
    ("over-the-header-limit", "b" * 5000 + ".pdf", "b" * 120),  # the header is cut at 1,000 before decoding
    ("rtl-override", "invoice\u202efdp.exe", "invoicefdp.exe"),
    ("rtl-isolates", "scan\u2067\u2066fdp.\u2069exe\u200f", "scanfdp.exe"),
    ("rtl-arabic-mark", "report\u061c\u202e.pdf\u202c.js", "report.pdf.js"),
]


@pytest.mark.parametrize(("raw", "shown"), [pytest.param(*c[1:], id=c[0]) for c in NAMES])
@pytest.mark.parametrize("route", CONTACT_ROUTES)
def test_hostile_names_are_display_only_and_sanitised(
    asgi: Any, world: World, route: str, raw: str, shown: str
) -> None:
    before = snapshot(world)
    resp = send(asgi, world, route, PDF, name=raw)
    assert resp.status_code == 200, resp.text
    assert shown in resp.json()["message"]
    row = assert_one_added(world, before)
    assert row.original_name == shown and len(row.original_name) <= 120
    # Stored under its random key only, inside the private storage dir.
    [added] = set(snapshot(world).storage) - set(before.storage)
    assert added == f"{row.storage_key[:2]}/{row.storage_key}"
    assert (world.storage / added).resolve().is_relative_to(world.storage.resolve())
    got = get(asgi, download_path(row.id), world.tokens["finance"])
    disposition = got.headers["content-disposition"]
    ascii_name = disposition.split('filename="', 1)[1].split('"', 1)[0]
    assert "/" not in ascii_name and "\\" not in ascii_name and not ascii_name.startswith(".")
    assert unquote(disposition.split("filename*=UTF-8''", 1)[1]) == shown
    for bidi in ("\u202e", "\u2066", "\u2067", "\u2069", "\u200f", "\u061c"):
        assert bidi not in resp.json()["message"] and bidi not in row.original_name
    assert "%E2%80%AE" not in disposition.upper()


# -- several files, one of them bad ------------------------------------------------------------------------------


@pytest.mark.parametrize("route", ["document", "proof"])
def test_one_bad_file_among_several_touches_nothing_else(asgi: Any, world: World, route: str) -> None:
    good = [real_png(color=(9, 9, 9)), PDF + b"% second\n", real_png(color=(7, 7, 7))]
    bad = [HTML, zip_bomb(), b"", png_header(100_000, 100_000)]
    kept: dict[int, bytes] = {}
    for i, data in enumerate([good[0], bad[0], good[1], bad[1], bad[2], good[2], bad[3]]):
        before = snapshot(world)
        resp = send(asgi, world, route, data, name=f"file {i}.pdf", item=world.items[1 + i % 2])
        if data in good:
            assert resp.status_code == 200, resp.text
            assert assert_one_added(world, before).sha256 == hashlib.sha256(data).hexdigest()
            kept[resp.json()["id"]] = data
        else:
            assert resp.status_code == 400 and resp.json()["ok"] is False and resp.json()["message"]
            assert snapshot(world) == before
    assert len(kept) == 3
    for intake_id, data in kept.items():
        got = get(asgi, download_path(intake_id), world.tokens["contact"])
        assert got.status_code == 200 and got.content == data
    assert_earlier_uploads_untouched(asgi, world)
