"""The window's own pages (before the app answers) and the script that joins an app page to the window.

Plain HTML strings, no external resources: they show while the local app starts, while the server cannot be
reached, while sign-in continues in the browser, and to choose the mode on the first start.
"""

from __future__ import annotations

import json
from html import escape

ACTIVITY_PATH = "/api/desktop/activity"  # routes.DESKTOP_ACTIVITY (a test checks they agree)
POLL_SECONDS = 30

_STYLE = """
body{font:16px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0;background:#f6f8f9;color:#1c2024}
main{max-width:34rem;margin:12vh auto;padding:2rem;background:#fff;border-radius:12px;
box-shadow:0 1px 3px rgba(0,0,0,.12)}
h1{font-size:1.4rem;margin:0 0 .75rem}p{margin:.5rem 0}.muted{color:#60646c}
button{font:inherit;padding:.55rem 1rem;border-radius:8px;border:1px solid #0d9488;background:#0d9488;color:#fff;
cursor:pointer;margin:.5rem .5rem 0 0}button.secondary{background:#fff;color:#0d9488}
label{display:block;margin-top:1rem;font-weight:600}input{font:inherit;width:100%;box-sizing:border-box;
padding:.5rem;border:1px solid #b9bbc6;border-radius:8px;margin-top:.25rem}
.error{color:#ce2c31}fieldset{border:0;padding:0;margin:0}
"""


def page(title: str, body: str) -> str:
    """A whole page; ``body`` is trusted markup built by this module from escaped text."""
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        f"<title>{escape(title)}</title><style>{_STYLE}</style></head>"
        f'<body><main aria-live="polite">{body}</main></body></html>'
    )


def message(title: str, text: str, *, actions: str = "") -> str:
    return page(title, f"<h1>{escape(title)}</h1><p>{escape(text)}</p>{actions}")


def starting(step: str) -> str:
    return message("Starting the Customer Portal", step)


def _call(key: str, method: str, *args: str) -> str:
    """An ``onclick`` calling the window's API from one of its own pages: the first argument is the launch's key,
    which only these pages carry (pages of a web site the window shows cannot call these methods)."""
    quoted = ", ".join([json.dumps(key), *args])
    return escape(f"window.pywebview.api.{method}({quoted})", quote=True)


def _button(key: str, label: str, method: str, *, secondary: bool = False, args: tuple[str, ...] = ()) -> str:
    cls = ' class="secondary"' if secondary else ""
    return f'<button type="button"{cls} onclick="{_call(key, method, *args)}">{escape(label)}</button>'


def failed(text: str, *, key: str) -> str:
    return page(
        "The Customer Portal could not start",
        f'<h1>The Customer Portal could not start</h1><p class="error">{escape(text)}</p>'
        + _button(key, "Try again", "retry")
        + _button(key, "Change mode", "change_mode", secondary=True),
    )


def unreachable(server: str, reason: str, seconds: int, *, key: str) -> str:
    return page(
        "Server not reachable",
        f"<h1>Cannot reach {escape(server)}</h1><p>{escape(reason)}</p>"
        f'<p class="muted">Trying again in {seconds} s. Your work on the server is safe; nothing is kept here.</p>'
        + _button(key, "Try again now", "retry")
        + _button(key, "Change mode", "change_mode", secondary=True),
    )


def signing_in(server: str, *, key: str, address: str = "") -> str:
    """Waiting for the browser's sign-in; with ``address`` when the browser could not be opened: the person opens
    it themselves."""
    if address:
        text = (
            "<h1>Open this address in your browser to sign in</h1>"
            f"<p>The app could not open your browser. Copy this address into it; when you have signed in at "
            f"{escape(server)}, this window opens your workspace.</p>"
            f'<p><input readonly aria-label="Sign-in address" value="{escape(address)}" '
            'onclick="this.select()"></p>'
        )
    else:
        text = (
            "<h1>Continue signing in in your browser</h1>"
            f"<p>Your browser opened the sign-in page of {escape(server)}. When you have signed in there, this "
            "window opens your workspace.</p>"
        )
    return page("Continue in your browser", text + _button(key, "Cancel", "cancel_sign_in", secondary=True))


def sign_in_failed(text: str, *, key: str) -> str:
    return page(
        "Sign-in did not finish",
        f"<h1>Sign-in did not finish</h1><p>{escape(text)}</p>"
        + _button(key, "Sign in again", "sign_in_again")
        + _button(key, "Back", "retry", secondary=True),
    )


def choose(server: str = "", error: str = "", *, key: str) -> str:
    """The first start: work on this computer, or connect to the company's server."""
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    connect = _call(key, "choose", "'connected'", "document.getElementById('server').value")
    return page(
        "Welcome to the Customer Portal",
        "<h1>How do you want to work?</h1>"
        '<p class="muted">You can change this later: <code>make desktop ARGS=--choose</code>.</p>'
        + _button(key, "On this computer", "choose", args=("'local'", "''"))
        + '<p class="muted">The app runs here with its own data and demo records. '
        "After its first start it works offline.</p>"
        f'<form onsubmit="event.preventDefault();{connect}">'
        '<label for="server">Your company\'s portal address</label>'
        f'<input id="server" name="server" type="url" placeholder="https://portal.example.com" '
        f'value="{escape(server)}" autocomplete="url">{shown}'
        '<button type="submit">Connect</button></form>',
    )


# Joined to every app page once it has loaded (the window runs it again after each full page load):
#  - links to sign in, in connected mode, start the sign-in in the system browser instead (identity providers
#    refuse embedded web views);
#  - links that download a file save it through the operating system's save dialog;
#  - links to other sites open in the system browser;
#  - the workspace's name (the staff shell shows it) becomes the window's title;
#  - new follow-up tasks for this member become operating-system notifications.
BRIDGE = """
(function () {
  if (window.__portalDesktop) { return; }
  window.__portalDesktop = true;
  var connected = %(connected)s;
  function api() { return window.pywebview && window.pywebview.api; }
  function ready(fn) {
    if (api()) { fn(); } else { window.addEventListener('pywebviewready', fn, { once: true }); }
  }
  function save(href) {
    fetch(href, { credentials: 'same-origin' }).then(function (response) {
      if (!response.ok) { api().download_failed(response.status); return null; }
      var disposition = response.headers.get('Content-Disposition') || '';
      return response.arrayBuffer().then(function (buffer) {
        var bytes = new Uint8Array(buffer), chunks = [];
        for (var i = 0; i < bytes.length; i += 32768) {
          chunks.push(String.fromCharCode.apply(null, bytes.subarray(i, i + 32768)));
        }
        return api().save_file(disposition, href, btoa(chunks.join('')));
      });
    }).catch(function () { api().download_failed(0); });
  }
  document.addEventListener('click', function (event) {
    var link = event.target && event.target.closest ? event.target.closest('a[href]') : null;
    if (!link || event.defaultPrevented) { return; }
    var url = new URL(link.href, location.href);
    if (url.origin !== location.origin) {
      event.preventDefault(); api().open_external(url.href); return;
    }
    if (connected && url.pathname.indexOf('/auth/sign-in') === 0) {
      event.preventDefault(); api().sign_in(); return;
    }
    if (link.hasAttribute('download')) { event.preventDefault(); save(url.href); }
  }, true);
  ready(function () {
    var shown = null;
    function title() {
      var el = document.getElementById('shell-workspace-name');
      var name = el ? el.textContent.trim() : '';
      if (name !== shown) { shown = name; api().set_workspace(name); }
    }
    function poll() {
      api().activity_cursor().then(function (cursor) {
        var query = cursor ? '?after=' + encodeURIComponent(cursor) : '';
        return fetch('%(activity)s' + query, { credentials: 'same-origin', cache: 'no-store' });
      }).then(function (response) {
        return response && response.ok ? response.json() : null;
      }).then(function (data) { if (data) { api().activity(data); } }).catch(function () {});
    }
    title(); setInterval(title, 1000);
    poll(); setInterval(poll, %(poll_ms)d);
  });
})();
"""


def bridge(*, connected: bool) -> str:
    return BRIDGE % {
        "connected": "true" if connected else "false",
        "activity": ACTIVITY_PATH,
        "poll_ms": POLL_SECONDS * 1000,
    }
