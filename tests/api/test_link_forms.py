"""Sign-in link forms refuse uploads and large bodies before parsing them; new sessions clear tab storage."""

import pytest
from starlette.applications import Starlette
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from models import utcnow
from portal_app.api.cookies import clear_session_cookie, set_session_cookie
from portal_app.api.portal_links import MAX_FORM_BYTES, _small_form
from portal_app.services.sessions import IssuedSession


async def echo(request):
    form = await _small_form(request)
    return Response(",".join(f"{k}={v}" for k, v in form.multi_items()))


@pytest.fixture()
def client():
    return TestClient(Starlette(routes=[Route("/f", echo, methods=["POST"])]))


def test_small_urlencoded_form_is_read(client):
    assert (
        client.post("/f", data={"email": "a@b.test", "confirm": "x y"}).text == "email=a@b.test,confirm=x y"
    )


def test_multipart_and_oversized_bodies_are_ignored(client):
    assert client.post("/f", files={"f": ("x.bin", b"0" * 10)}).text == ""
    assert client.post("/f", data={"email": "a" * (MAX_FORM_BYTES + 10)}).text == ""


def test_session_start_and_end_clear_the_tabs_storage():
    issued = IssuedSession(token="t" * 43, expires_at=utcnow(), max_age_seconds=60)
    started, ended = Response(), Response()
    set_session_cookie(started, issued)
    clear_session_cookie(ended)
    assert started.headers["clear-site-data"] == ended.headers["clear-site-data"] == '"storage"'
