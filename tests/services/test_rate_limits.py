"""Customer actions (messages, approvals, uploads) are rate-limited per actor and per workspace."""

import uuid

import pytest

from portal_app.services import idempotency, messages
from portal_app.services.errors import RateLimited
from tests.factories import make_tenant


def post(session, actor, thread_id, key=None):
    return messages.portal_post_message(
        session, actor, thread_id, body="hello", idempotency_key=key or uuid.uuid4().hex
    )


def test_actor_limit_then_other_actors_still_pass(session, monkeypatch):
    monkeypatch.setattr(idempotency, "ACTOR_LIMIT", 3)
    t = make_tenant(session)
    thread = messages.portal_start_thread(
        session, t.contact, subject="Question", body="first", idempotency_key=uuid.uuid4().hex
    )
    post(session, t.contact, thread.id)
    key = uuid.uuid4().hex
    post(session, t.contact, thread.id, key)
    with pytest.raises(RateLimited):
        post(session, t.contact, thread.id)
    # a retry of an action already taken is answered, not limited
    assert post(session, t.contact, thread.id, key).body == "hello"
    other = messages.portal_start_thread(
        session, t.billing_contact, subject="Mine", body="x", idempotency_key=uuid.uuid4().hex
    )
    assert post(session, t.billing_contact, other.id).body == "hello"


def test_workspace_limit_applies_across_contacts(session, monkeypatch):
    monkeypatch.setattr(idempotency, "WORKSPACE_LIMIT", 2)
    t = make_tenant(session)
    b = make_tenant(session)
    thread = messages.portal_start_thread(
        session, t.contact, subject="a", body="b", idempotency_key=uuid.uuid4().hex
    )
    post(session, t.billing_contact, thread.id)
    with pytest.raises(RateLimited):
        post(session, t.contact, thread.id)
    # another workspace is not affected
    messages.portal_start_thread(session, b.contact, subject="a", body="b", idempotency_key=uuid.uuid4().hex)
