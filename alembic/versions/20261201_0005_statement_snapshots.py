"""statement snapshots, workspace payment instructions, the reference on payment proof

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN with a server default: the workspace table is not rebuilt on SQLite.
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "payment_instructions",
                sqlmodel.sql.sqltypes.AutoString(length=2000),
                nullable=False,
                server_default="",
            )
        )

    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "claimed_reference",
                sqlmodel.sql.sqltypes.AutoString(length=200),
                nullable=False,
                server_default="",
            )
        )

    op.create_table(
        "statement_snapshot",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("period_start", sa.Date(), nullable=False),
        sa.Column("period_end", sa.Date(), nullable=False),
        sa.Column("currency", sqlmodel.sql.sqltypes.AutoString(length=3), nullable=False),
        sa.Column("statement_json", sa.Text(), nullable=False),
        sa.Column("shared_by_user_id", sa.Integer(), nullable=False),
        sa.Column("shared_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"]),
        sa.ForeignKeyConstraint(["shared_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("statement_snapshot", schema=None) as batch_op:
        batch_op.create_index("ix_statement_snapshot_ws_shared", ["workspace_id", "shared_at"], unique=False)
        batch_op.create_index(
            "ix_statement_snapshot_ws_account_shared",
            ["workspace_id", "account_id", "shared_at"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("statement_snapshot", schema=None) as batch_op:
        batch_op.drop_index("ix_statement_snapshot_ws_account_shared")
        batch_op.drop_index("ix_statement_snapshot_ws_shared")
    op.drop_table("statement_snapshot")

    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.drop_column("claimed_reference")

    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("payment_instructions")
