"""Taking a row exactly once: one conditional UPDATE, so that of two concurrent takers exactly one wins.

Used where a secret may be spent only once (a sign-in state, a desktop sign-in request or code): the condition says
"not taken yet, not expired", the values mark it taken.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlmodel import Session, SQLModel


def claim(session: Session, model: type[SQLModel], *conditions: Any, **values: Any) -> bool:
    """Set ``values`` on the one row of ``model`` matching ``conditions``; True when this call took it. When no
    row (or, wrongly, several) matched, nothing changes: the transaction is rolled back and the answer is False."""
    result: Any = session.execute(sa.update(model).where(*conditions).values(**values))  # type: ignore[deprecated]
    if result.rowcount != 1:
        session.rollback()
        return False
    return True
