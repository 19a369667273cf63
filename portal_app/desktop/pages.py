"""The window's own pages (before the app answers) and the script that joins an app page to the window.

Plain HTML strings, no external resources: they show while the local app starts, while the server cannot be
reached, while sign-in continues in the browser, and to choose the mode on the first start.
"""

from __future__ import annotations

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


def failed(text: str) -> str:
    return page(
        "The Customer Portal could not start",
        f'<h1>The Customer Portal could not start</h1><p class="error">{escape(text)}</p>'
        '<button type="button" onclick="window.pywebview.api.retry()">Try again</button>'
        '<button type="button" class="secondary" onclick="window.pywebview.api.change_mode()">Change mode</button>',
    )


def unreachable(server: str, reason: str, seconds: int) -> str:
    return page(
        "Server not reachable",
        f"<h1>Cannot reach {escape(server)}</h1><p>{escape(reason)}</p>"
        f'<p class="muted">Trying again in {seconds} s. Your work on the server is safe; nothing is kept here.</p>'
        '<button type="button" onclick="window.pywebview.api.retry()">Try again now</button>'
        '<button type="button" class="secondary" onclick="window.pywebview.api.change_mode()">Change mode</button>',
    )


def signing_in(server: str) -> str:
    return page(
        "Continue in your browser",
        "<h1>Continue signing in in your browser</h1>"
        f"<p>Your browser opened the sign-in page of {escape(server)}. When you have signed in there, this window "
        "opens your workspace.</p>"
        '<button type="button" class="secondary" onclick="window.pywebview.api.cancel_sign_in()">Cancel</button>',
    )


def choose(server: str = "", error: str = "") -> str:
    """The first start: work on this computer, or connect to the company's server."""
    shown = f'<p class="error" role="alert">{escape(error)}</p>' if error else ""
    return page(
        "Welcome to the Customer Portal",
        "<h1>How do you want to work?</h1>"
        '<p class="muted">You can change this later from the window\'s start page.</p>'
        '<button type="button" id="local" onclick="window.pywebview.api.choose(\'local\', \'\')">'
        "On this computer</button>"
        '<p class="muted">The app runs here with its own data and demo records. Works offline.</p>'
        '<form onsubmit="event.preventDefault();'
        "window.pywebview.api.choose('connected', document.getElementById('server').value)\">"
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
