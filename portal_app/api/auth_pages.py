"""Self-contained HTML pages for the sign-in routes, invitations and the development identity provider.

Callers pass already-escaped markup for ``body``; ``esc`` is the one escaping helper. No external resources and no
scripts: the pages work under the app's CSP and send nothing to third parties.
"""

from __future__ import annotations

from html import escape

from starlette.responses import HTMLResponse

STYLE = """
*{box-sizing:border-box}
body{margin:0;font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:#1c2024;background:#f4f6f8}
main{max-width:36rem;margin:3rem auto;padding:2rem;background:#fff;border:1px solid #dfe3e6;border-radius:12px}
h1{font-size:1.4rem;margin:0 0 .75rem}
h2{font-size:1rem;margin:1.5rem 0 .5rem;color:#3b4249}
p{margin:.5rem 0}
.muted{color:#60646c;font-size:.9rem}
.actions{margin-top:1.5rem;display:flex;gap:.75rem;flex-wrap:wrap;align-items:center}
a.button,button{display:inline-block;padding:.55rem 1rem;border-radius:8px;border:1px solid #0f766e;
  background:#0f766e;color:#fff;font:inherit;text-decoration:none;cursor:pointer}
a.secondary,button.secondary{background:#fff;color:#0f766e}
ul.ids{list-style:none;padding:0;margin:0}
ul.ids li{margin:.35rem 0}
ul.ids button{width:100%;text-align:left;background:#fff;color:#1c2024;border-color:#dfe3e6}
ul.ids button:hover{border-color:#0f766e}
ul.ids small{color:#60646c;margin-left:.5rem}
label{display:block;margin:.5rem 0 .2rem}
input[type=email],input[type=text]{width:100%;padding:.5rem;border:1px solid #8b8d98;border-radius:8px;font:inherit}
label.check{display:flex;gap:.5rem;align-items:center}
.banner{background:#fff7ed;border:1px solid #fed7aa;border-radius:8px;padding:.5rem .75rem;font-size:.9rem}
"""


def esc(value: object) -> str:
    return escape(str(value), quote=True)


def html_page(
    title: str, body: str, *, status_code: int = 200, referrer_policy: str = "no-referrer"
) -> HTMLResponse:
    """A full HTML document. ``title`` is escaped here; ``body`` must already be safe markup.

    ``no-referrer`` by default: these pages follow links that carried secrets. A page with a form that POSTs to
    an Origin-checked route needs ``same-origin`` instead (browsers send ``Origin: null`` under ``no-referrer``).
    """
    document = (
        "<!doctype html><html lang=en><head><meta charset=utf-8>"
        '<meta name=viewport content="width=device-width,initial-scale=1">'
        '<meta name=robots content="noindex, nofollow">'
        f'<meta name=referrer content="{esc(referrer_policy)}">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head>"
        f"<body><main>{body}</main></body></html>"
    )
    headers = {
        "cache-control": "no-store",
        "referrer-policy": referrer_policy,
        "x-robots-tag": "noindex, nofollow",
    }
    return HTMLResponse(document, status_code=status_code, headers=headers)
