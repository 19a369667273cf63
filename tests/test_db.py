"""The database being unreachable fails closed with a user-safe error."""

import pytest
from sqlmodel import select

from models import Workspace
from portal_app import db
from portal_app.services.errors import Unavailable


def test_unreachable_database_raises_unavailable(monkeypatch):
    dead = db.make_engine("postgresql+psycopg://nobody@127.0.0.1:1/none", connect_args={"connect_timeout": 2})
    monkeypatch.setattr(db, "get_engine", lambda: dead)
    with pytest.raises(Unavailable) as err, db.session_scope() as session:
        session.exec(select(Workspace)).first()
    assert "temporarily unavailable" in err.value.message
    assert "127.0.0.1" not in err.value.message
