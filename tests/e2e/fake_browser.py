"""A stand-in for the system browser in the desktop window's connected-mode test (``BROWSER="python this %s"``).

Python's ``webbrowser.open`` runs it with the sign-in address the desktop app built. Like a person in a browser,
it follows the server's redirects to the built-in development identity provider, picks the demo person
``FAKE_BROWSER_EMAIL``, and follows the redirects on: through the app's callback to the desktop finish route, where
it confirms the desktop sign-in (the page's "Continue" form), and on to the desktop app's loopback address. What it
saw goes to ``FAKE_BROWSER_LOG`` (JSON; ``consent`` is true once it submitted the confirmation). Its cookie jar is
its own: the session it gets is the browser's, never the window's.
"""

from __future__ import annotations

import html
import json
import os
import re
import sys
from urllib.parse import urljoin, urlsplit

import httpx

FORM = re.compile(r"<form method=post action=\"([^\"]+)\">(.*?)</form>", re.S)
HIDDEN = re.compile(r"<input type=hidden name=\"?([^\" >]+)\"? value=\"([^\"]*)\">")


def forms(page: httpx.Response) -> list[tuple[str, dict[str, str]]]:
    """The page's POST forms: their absolute action and hidden fields."""
    return [
        (
            urljoin(str(page.url), html.unescape(action)),
            {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(body)},
        )
        for action, body in FORM.findall(page.text)
    ]


def submit(
    browser: httpx.Client, page: httpx.Response, action: str, fields: dict[str, str]
) -> httpx.Response:
    """Post a form of ``page`` as a browser does: with the page's origin in ``Origin``."""
    origin = "{0.scheme}://{0.netloc}".format(urlsplit(str(page.url)))
    return browser.post(action, data=fields, headers={"Origin": origin})


def main(url: str) -> int:
    email = os.environ["FAKE_BROWSER_EMAIL"]
    seen: dict[str, object] = {"start": urlsplit(url).path}
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(url)
        seen["provider_page"] = urlsplit(str(page.url)).path
        picked = next(((a, f) for a, f in forms(page) if f.get("email") == email), None)
        if picked is None:
            seen["error"] = f"no button for {email}"
        else:
            done = submit(browser, page, *picked)
            history = list(done.history)
            # The desktop finish route asks to confirm the sign-in: a person who started it clicks "Continue".
            confirm = next(((a, f) for a, f in forms(done) if f.get("action") == "continue"), None)
            if confirm is not None:
                done = submit(browser, done, *confirm)
                history += done.history
                seen["consent"] = True
            final = urlsplit(str(done.url))
            seen.update(
                final_host=final.hostname,
                final_path=final.path,
                status=done.status_code,
                said=re.sub(r"<[^>]+>", " ", done.text)[:300],
                redirects=[urlsplit(str(r.url)).path for r in history],
            )
    with open(os.environ["FAKE_BROWSER_LOG"], "w") as out:
        json.dump(seen, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
