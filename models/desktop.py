"""The desktop app's sign-in hand-off: a pending request from the system browser, then a one-time code for the
desktop window (RFC 8252 loopback redirect with PKCE)."""

from datetime import datetime

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, utcnow


class DesktopSignIn(SQLModel, table=True):
    """One desktop sign-in, from the browser's start to the window's redemption; single-use at every step.

    Only hashes of the two secrets are kept: the request key (held by the starting browser in an HttpOnly cookie)
    and the one-time code (handed to the desktop app's loopback listener). The PKCE challenge, the loopback
    redirect URI and the desktop app's ``state`` are not secrets (they travelled in the start URL); the verifier
    never reaches this table.
    """

    __tablename__ = "desktop_sign_in"
    __table_args__ = (
        # Starts are rate-limited per client address, counted from this index (as pending OIDC logins are).
        sa.Index("ix_desktop_sign_in_client_created", "client_hash", "created_at"),
        sa.Index("ix_desktop_sign_in_expires", "expires_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    request_key_hash: str = Field(max_length=64, unique=True)
    code_hash: str | None = Field(default=None, max_length=64, unique=True)
    code_challenge: str = Field(max_length=128)
    redirect_uri: str = Field(max_length=100)
    state: str = Field(max_length=200)
    client_hash: str = Field(default="", max_length=64)  # hashed client address, for rate limiting only
    # Who signed in in the browser, and the workspace the desktop session opens in (None: onboarding first).
    user_id: int | None = Field(default=None, foreign_key="user.id")
    workspace_id: int | None = Field(default=None, foreign_key="workspace.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)  # the browser's request
    code_expires_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    finished_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    redeemed_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
