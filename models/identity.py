"""Users, server-side sessions and platform-level identity records."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class User(SQLModel, table=True):
    """A person who signs in with an identity provider; identified by (issuer, subject), never by email."""

    __table_args__ = (sa.UniqueConstraint("issuer", "subject", name="uq_user_issuer_subject"),)

    id: int | None = Field(default=None, primary_key=True)
    issuer: str = Field(max_length=255)
    subject: str = Field(max_length=255)
    email: str = Field(max_length=320, index=True)
    email_verified: bool = False
    name: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_sign_in_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class SessionKind(StrEnum):
    STAFF = "staff"
    CONTACT = "contact"
    OPERATOR = "operator"


class AuthSession(SQLModel, table=True):
    """A signed-in browser. Only the SHA-256 of the cookie value is stored."""

    __tablename__ = "auth_session"

    id: int | None = Field(default=None, primary_key=True)
    token_hash: str = Field(max_length=64, unique=True)
    kind: SessionKind = Field(sa_column=enum_column(SessionKind, nullable=False))
    user_id: int | None = Field(default=None, foreign_key="user.id", index=True)
    contact_id: int | None = Field(default=None, foreign_key="contact.id", index=True)
    # The workspace (staff) or account (contact) the session currently looks at; re-checked on every event.
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id", index=True)
    account_id: int | None = Field(default=None, foreign_key="customer_account.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    last_seen_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)


class OidcLogin(SQLModel, table=True):
    """One pending authorization-code flow, single-use and short-lived: the state's hash, what to open and where to
    land. The nonce and PKCE verifier are not stored: they are derived from the state under the session secret
    (``identity.login_secrets``), so no row or SQL log line holds a value that could redeem a stolen code.

    Kept server-side (not in a cookie) so a replayed state is refused even with the original browser cookie.
    """

    __tablename__ = "oidc_login"
    __table_args__ = (sa.Index("ix_oidc_login_client_created", "client_hash", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    state_hash: str = Field(max_length=64, unique=True)
    purpose: SessionKind = Field(sa_column=enum_column(SessionKind, nullable=False))
    next_path: str = Field(default="", max_length=300)
    client_hash: str = Field(default="", max_length=64)  # hashed client address, for rate limiting only
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
