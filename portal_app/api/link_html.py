"""Small self-contained HTML pages for the routes that answer outside the Reflex frontend.

Callers pass already-escaped markup for ``body_html``; every value that came from a request or the database goes
through ``html.escape`` first.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    # These pages carry or follow secret links: never pass them on as a Referer.
    "Referrer-Policy": "no-referrer",
    "X-Robots-Tag": "noindex, nofollow",
}

_STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;background:#f6f7f9;color:#1c2024;margin:0}
main{max-width:44rem;margin:4rem auto;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin-top:0}
button{font:inherit;padding:.6rem 1.2rem;border:0;border-radius:8px;background:#3e63dd;color:#fff;cursor:pointer}
input[type=email]{font:inherit;padding:.5rem;width:100%;box-sizing:border-box;margin:.5rem 0 1rem}
pre{white-space:pre-wrap;word-break:break-word;background:#f6f7f9;padding:1rem;border-radius:8px}
.mail{border-top:1px solid #e2e4e8;padding-top:1rem;margin-top:1rem}
.meta{color:#60646c;font-size:.9rem}
"""


def html_page(title: str, body_html: str, *, status_code: int = 200) -> HTMLResponse:
    """A complete page; ``title`` is escaped here, ``body_html`` must already be safe markup."""
    document = (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        '<meta name="robots" content="noindex, nofollow">'
        '<meta name="referrer" content="no-referrer">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f"<body><main>{body_html}</main></body></html>"
    )
    return HTMLResponse(document, status_code=status_code, headers=dict(PAGE_HEADERS))
