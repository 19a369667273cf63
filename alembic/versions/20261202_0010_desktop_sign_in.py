"""desktop sign-in: the system browser's pending request and the one-time code the desktop window redeems

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "desktop_sign_in",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("request_key_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("code_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
        sa.Column("code_challenge", sqlmodel.sql.sqltypes.AutoString(length=128), nullable=False),
        sa.Column("redirect_uri", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False),
        sa.Column("state", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("client_hash", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("workspace_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("code_expires_at", sa.DateTime(), nullable=True),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("redeemed_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_hash"),
        sa.UniqueConstraint("request_key_hash"),
    )
    with op.batch_alter_table("desktop_sign_in", schema=None) as batch_op:
        batch_op.create_index(
            "ix_desktop_sign_in_client_created", ["client_hash", "created_at"], unique=False
        )
        batch_op.create_index("ix_desktop_sign_in_expires", ["expires_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("desktop_sign_in", schema=None) as batch_op:
        batch_op.drop_index("ix_desktop_sign_in_expires")
        batch_op.drop_index("ix_desktop_sign_in_client_created")

    op.drop_table("desktop_sign_in")
