"""Workspaces, their members and member invitations."""

from datetime import datetime
from enum import StrEnum

import sqlalchemy as sa
from sqlmodel import Field, SQLModel

from models.base import UTCDateTime, enum_column, utcnow

SEAT_LIMIT = 6  # the owner plus five more, pending invitations included


class WorkspaceStatus(StrEnum):
    ACTIVE = "active"
    SUSPENDED = "suspended"


class Role(StrEnum):
    OWNER = "owner"
    MANAGER = "manager"
    TEAM_LEAD = "team_lead"
    FINANCE_REVIEWER = "finance_reviewer"


class Workspace(SQLModel, table=True):
    __table_args__ = (
        # Workspace creation is rate-limited per user, counted from this index.
        sa.Index("ix_workspace_creator_created", "created_by_user_id", "created_at"),
        # The public logo route finds the workspace whose current logo a key is (services/branding.py).
        sa.Index("ix_workspace_logo_key", "logo_key"),
    )

    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120)
    slug: str = Field(max_length=63, unique=True)
    portal_enabled: bool = False
    status: WorkspaceStatus = Field(
        default=WorkspaceStatus.ACTIVE, sa_column=enum_column(WorkspaceStatus, nullable=False)
    )
    status_reason: str = Field(default="", max_length=500)
    default_currency: str = Field(default="USD", max_length=3)
    # Printed on invoices and statements (bank details, how to pay); empty: "Please quote <number> ...".
    payment_instructions: str = Field(default="", max_length=2000)
    customer_mails_enabled: bool = True  # off: no notification mail reaches contacts (sign-in links still do)
    # IANA name: "on the due date" means this zone's date (reminders, and what "today" is for the workspace).
    time_zone: str = Field(default="UTC", max_length=64)
    # The reminder schedule as JSON (services/reminders.ReminderPolicy); "" = the defaults.
    reminder_policy: str = Field(default="", sa_type=sa.Text)
    # Branding (services/branding.py): what customers see in the portal, the mails and the PDFs. An empty display
    # name means the workspace name; an empty logo key means no logo; the accent is one of the theme's palette names.
    display_name: str = Field(default="", max_length=120)
    logo_key: str = Field(default="", max_length=64)
    accent_color: str = Field(default="", max_length=20)
    welcome_text: str = Field(default="", max_length=500)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    # Who created it (a counter for the per-user creation limit, not an ownership claim: owners are memberships).
    # No foreign key, so the column could be added without rebuilding this much-referenced table on SQLite.
    created_by_user_id: int | None = None
    # Bumped by every audit append; also the row locked to serialise a workspace's audit chain and seats.
    audit_seq: int = 0
    audit_head: str = Field(default="", max_length=64)


class Membership(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("workspace_id", "user_id", name="uq_membership_workspace_user"),)

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id", index=True)
    user_id: int = Field(foreign_key="user.id", index=True)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    daily_digest: bool = True  # the morning mail of open and overdue tasks (each member can turn it off)
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)


class InvitationStatus(StrEnum):
    PENDING = "pending"
    ACCEPTED = "accepted"
    REVOKED = "revoked"
    EXPIRED = "expired"


class MemberInvitation(SQLModel, table=True):
    __tablename__ = "member_invitation"
    __table_args__ = (
        sa.Index("ix_member_invitation_ws_status", "workspace_id", "status"),
        # Invitations are rate-limited per workspace and per inviter, revoked ones included.
        sa.Index("ix_member_invitation_ws_created", "workspace_id", "created_at"),
        sa.Index("ix_member_invitation_inviter_created", "invited_by_user_id", "created_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    workspace_id: int = Field(foreign_key="workspace.id")
    email: str = Field(max_length=320)
    role: Role = Field(sa_column=enum_column(Role, nullable=False))
    token_hash: str = Field(max_length=64, unique=True)
    status: InvitationStatus = Field(
        default=InvitationStatus.PENDING, sa_column=enum_column(InvitationStatus, nullable=False)
    )
    invited_by_user_id: int = Field(foreign_key="user.id")
    accepted_by_user_id: int | None = Field(default=None, foreign_key="user.id")
    created_at: datetime = Field(default_factory=utcnow, sa_type=UTCDateTime)
    expires_at: datetime = Field(sa_type=UTCDateTime)
    decided_at: datetime | None = Field(default=None, sa_type=UTCDateTime)
    refusals: int = 0  # refused redemption attempts, counted up to a cap (replays stop costing writes)
