"""A stand-in for the system browser in the desktop window's connected-mode test (``BROWSER="python this %s"``).

Python's ``webbrowser.open`` runs it with the sign-in address the desktop app built. Like a person in a browser,
it follows the server's redirects to the built-in development identity provider, picks the demo person
``FAKE_BROWSER_EMAIL``, and follows the redirects on: through the app's callback and the desktop finish route to
the desktop app's loopback address. What it saw goes to ``FAKE_BROWSER_LOG`` (JSON). Its cookie jar is its own:
the session it gets is the browser's, never the window's.
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


def main(url: str) -> int:
    email = os.environ["FAKE_BROWSER_EMAIL"]
    seen: dict[str, object] = {"start": urlsplit(url).path}
    with httpx.Client(follow_redirects=True, timeout=30) as browser:
        page = browser.get(url)
        seen["provider_page"] = urlsplit(str(page.url)).path
        for action, body in FORM.findall(page.text):
            fields = {html.unescape(k): html.unescape(v) for k, v in HIDDEN.findall(body)}
            if fields.get("email") == email:
                origin = "{0.scheme}://{0.netloc}".format(urlsplit(str(page.url)))
                done = browser.post(
                    urljoin(str(page.url), html.unescape(action)), data=fields, headers={"Origin": origin}
                )
                final = urlsplit(str(done.url))
                seen.update(
                    final_host=final.hostname,
                    final_path=final.path,
                    status=done.status_code,
                    said=re.sub(r"<[^>]+>", " ", done.text)[:300],
                    redirects=[urlsplit(str(r.url)).path for r in done.history],
                )
                break
        else:
            seen["error"] = f"no button for {email}"
    with open(os.environ["FAKE_BROWSER_LOG"], "w") as out:
        json.dump(seen, out)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1]))
