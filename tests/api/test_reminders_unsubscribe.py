"""The unsubscribe link of reminder mails over HTTP: GET only asks, POST from the page turns reminders off; forged
or cross-site requests change nothing."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlmodel import Session

from models import Contact
from portal_app.services import reminders
from tests.api.test_portal_links import OWN, get, http
from tests.factories import make_tenant


@pytest.fixture()
def db(committed_engine: sa.Engine) -> Iterator[Session]:
    with Session(committed_engine, expire_on_commit=False) as s:
        yield s


def path_of(contact_id: int, workspace_id: int) -> str:
    url = reminders.unsubscribe_url(contact_id, workspace_id)
    return url[url.index("/auth/") :]


def post(path: str, headers: dict[str, str] | None = None):
    return lambda c: c.post(path, headers=headers if headers is not None else {"origin": OWN})


def off_at(db: Session, contact_id: int):
    db.expire_all()
    row = db.get(Contact, contact_id)
    db.commit()
    return row.reminders_off_at


def test_get_asks_and_post_turns_reminders_off(db):
    t = make_tenant(db, name="Acme <Services>")
    path = path_of(t.contact.contact_id, t.ws.id)
    (page,) = http(get(path))
    assert page.status_code == 200
    assert "Stop reminders from Acme &lt;Services&gt;?" in page.text
    assert f'action="{path}"' in page.text and 'method="post"' in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert page.headers["cache-control"] == "no-store"
    assert off_at(db, t.contact.contact_id) is None  # a mail scanner's GET changes nothing
    (done,) = http(post(path))
    assert done.status_code == 200 and "Reminders turned off" in done.text
    assert done.headers["referrer-policy"] == "no-referrer"
    assert off_at(db, t.contact.contact_id) is not None
    assert off_at(db, t.billing_contact.contact_id) is None


@pytest.mark.parametrize(
    "mangle",
    [
        lambda p: p[:-1] + ("A" if p[-1] != "A" else "B"),  # signature changed
        lambda p: p.rsplit("/", 1)[0] + "/not-a-token",
        lambda p: p.rsplit("/", 1)[0] + "/1.1.",
    ],
)
def test_a_bad_link_gets_a_plain_refusal_and_changes_nothing(db, mangle):
    t = make_tenant(db)
    bad = mangle(path_of(t.contact.contact_id, t.ws.id))
    page, done = http(get(bad), post(bad))
    assert page.status_code == done.status_code == 400
    assert "This link cannot be used" in page.text and "Stop reminders" not in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert off_at(db, t.contact.contact_id) is None


def test_a_link_for_another_workspace_is_refused(db):
    a, b = make_tenant(db), make_tenant(db)
    path = path_of(a.contact.contact_id, b.ws.id)  # signed, but the contact is not b's
    page, done = http(get(path), post(path))
    assert page.status_code == done.status_code == 400
    assert off_at(db, a.contact.contact_id) is None


def test_a_cross_site_post_is_refused(db):
    t = make_tenant(db)
    path = path_of(t.contact.contact_id, t.ws.id)
    cross, no_origin = http(
        post(path, headers={"origin": "https://evil.test", "sec-fetch-site": "cross-site"}),
        post(path, headers={}),
    )
    assert cross.status_code == no_origin.status_code == 403
    assert off_at(db, t.contact.contact_id) is None
