"""Abuse suite, downloads (issue 12; SECURITY.md 16): the intake file (``portal_app/api/files.py``) and the
reviewer's inline preview (``downloads.py``) asked for by people the file is not for, with no session, a garbage
cookie, another account's or another workspace's session. Each gets exactly the answer of an id that does not
exist. The harness is in ``upload_support.py``.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.security import upload_support
from tests.security.upload_support import (
    PDF,
    World,
    download_path,
    get,
)

# The harness's fixtures: pytest finds a fixture by its name in the test module (the last two are autouse).
asgi, world = upload_support.asgi, upload_support.world
fresh_upload_limiter, system_tmp = upload_support.fresh_upload_limiter, upload_support.system_tmp

DENIED = [
    ("no-session", None, "seed"),
    ("garbage-cookie", "garbage", "seed"),
    ("contact-without-documents", "billing", "seed"),
    ("another-accounts-file", "contact", "other_account_file"),
    ("another-workspaces-file", "contact", "other_workspace_file"),
    ("another-workspaces-contact", "other_workspace", "seed"),
    ("another-workspaces-staff", "other_workspace_owner", "seed"),
    ("staff-on-another-workspaces-file", "finance", "other_workspace_file"),
]


@pytest.mark.parametrize("preview", [False, True], ids=["download", "preview"])
@pytest.mark.parametrize(("who", "which"), [pytest.param(*c[1:], id=c[0]) for c in DENIED])
def test_downloads_not_for_you_get_the_answer_of_a_missing_id(
    asgi: Any, world: World, who: str | None, which: str, preview: bool
) -> None:
    target = world.seeded["document"] if which == "seed" else getattr(world, which)
    token = world.tokens.get(who, who) if who else None
    denied = get(asgi, download_path(target, preview=preview), token)
    missing = get(asgi, download_path(max(world.seed_bytes) + 10_000, preview=preview), token)
    assert denied.status_code == missing.status_code == 404
    assert denied.text == missing.text == "Not found."
    assert denied.headers["content-type"] == missing.headers["content-type"]
    assert "content-disposition" not in denied.headers and PDF not in denied.content
