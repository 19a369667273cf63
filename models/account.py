"""Customer accounts, their contacts, contact access and sign-in links."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow


class CustomerAccount(SQLModel, table=True):
    __tablename__ = "customer_account"
    __table_args__ = (
        sa.UniqueConstraint("workspace_id", "code", name="uq_account_workspace_code"),
        sa.Index("ix_account_ws_name", "workspace_id", "name"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    code: str = Field(max_length=32)
    name: str = Field(max_length=200)
    billing_email: str = Field(default="", max_length=320)
    currency: str = Field(default="USD", max_length=3)
    payment_terms_days: int = 30
    internal_notes: str = Field(default="", max_length=4000)
    # The member who looks after the account: their "mine" filters and notifications of customer actions.
    owner_user_id: int | None = Field(default=None, foreign_key="user.id")
    archived: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactStatus(StrEnum):
    INVITED = "invited"
    ACTIVE = "active"
    DEACTIVATED = "deactivated"


class Contact(SQLModel, table=True):
    """A person at a customer; signs in to the portal by magic link or with a matching verified Google email."""

    __table_args__ = (sa.UniqueConstraint("workspace_id", "email", name="uq_contact_workspace_email"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    email: str = Field(max_length=320)
    name: str = Field(max_length=200)
    status: ContactStatus = Field(
        default=ContactStatus.INVITED, sa_column=enum_column(ContactStatus, nullable=False)
    )
    user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    deactivated_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    # When the contact turned reminder mails off (the signed link in every reminder); other mails still arrive.
    reminders_off_at: datetime | None = Field(default=None, sa_type=UTCDateTime)


class ContactAccess(SQLModel, table=True):
    """Links a contact to one customer account with per-contact permissions for that account."""

    __tablename__ = "contact_access"
    __table_args__ = (
        sa.UniqueConstraint("contact_id", "account_id", name="uq_contact_access_contact_account"),
        sa.Index("ix_contact_access_ws_account", "workspace_id", "account_id"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    contact_id: int = Field(foreign_key="contact.id")
    account_id: int = Field(foreign_key="customer_account.id")
    can_billing: bool = False
    can_operations: bool = False
    can_documents: bool = False
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class ContactInvitation(SQLModel, table=True):
    __tablename__ = "contact_invitation"

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id", index=True)
    account_id: int = Field(foreign_key="customer_account.id")
    token_hash: str = Field(max_length=64, unique=True)
    invited_by_user_id: int = Field(foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    accepted_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refusals: int = 0  # refused redemption attempts, counted up to a cap (replays stop costing writes)


class MagicLink(SQLModel, table=True):
    __tablename__ = "magic_link"
    __table_args__ = (sa.Index("ix_magic_link_contact_created", "contact_id", "created_at"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    contact_id: int = Field(foreign_key="contact.id")
    token_hash: str = Field(max_length=64, unique=True)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    used_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    revoked_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refusals: int = 0  # refused redemption attempts, counted up to a cap (replays stop costing writes)
