"""reminders: workspace time zone and policy, contact opt-out, pauses, sent reminders, daily markers, job leases

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 16:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs (server defaults or nullable): neither table is rebuilt on SQLite.
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "time_zone", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default="UTC"
            )
        )
        batch_op.add_column(sa.Column("reminder_policy", sa.Text(), nullable=False, server_default=""))
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reminders_off_at", sa.DateTime(), nullable=True))

    op.create_table(
        "reminder_pause",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=True),
        sa.Column("record_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=True),
        sa.Column("reason", sqlmodel.sql.sqltypes.AutoString(length=500), nullable=False),
        sa.Column("paused_by_user_id", sa.Integer(), nullable=False),
        sa.Column("paused_at", sa.DateTime(), nullable=False),
        sa.Column("resumed_at", sa.DateTime(), nullable=True),
        sa.Column("resumed_by_user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"]),
        sa.ForeignKeyConstraint(["paused_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["resumed_by_user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reminder_pause", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminder_pause_ws_account", ["workspace_id", "account_id", "resumed_at"], unique=False
        )
        batch_op.create_index(
            "ix_reminder_pause_ws_record",
            ["workspace_id", "record_type", "record_id", "resumed_at"],
            unique=False,
        )

    op.create_table(
        "reminder_digest",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("items", sa.Integer(), nullable=False),
        sa.Column("outbox_mail_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["outbox_mail_id"], ["outbox_mail.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "day", name="uq_reminder_digest_contact_day"),
    )
    with op.batch_alter_table("reminder_digest", schema=None) as batch_op:
        batch_op.create_index("ix_reminder_digest_ws_day", ["workspace_id", "day"], unique=False)

    op.create_table(
        "reminder_sent",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("contact_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("record_type", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("outbox_mail_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["customer_account.id"]),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["outbox_mail_id"], ["outbox_mail.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("contact_id", "day", "record_type", "record_id", name="uq_reminder_sent_item"),
    )
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.create_index(
            "ix_reminder_sent_ws_record", ["workspace_id", "record_type", "record_id", "day"], unique=False
        )
        batch_op.create_index("ix_reminder_sent_ws_day", ["workspace_id", "day"], unique=False)

    op.create_table(
        "job_lease",
        sa.Column("name", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("holder", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("job_lease")
    with op.batch_alter_table("reminder_sent", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_sent_ws_day")
        batch_op.drop_index("ix_reminder_sent_ws_record")
    op.drop_table("reminder_sent")
    with op.batch_alter_table("reminder_digest", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_digest_ws_day")
    op.drop_table("reminder_digest")
    with op.batch_alter_table("reminder_pause", schema=None) as batch_op:
        batch_op.drop_index("ix_reminder_pause_ws_record")
        batch_op.drop_index("ix_reminder_pause_ws_account")
    op.drop_table("reminder_pause")
    with op.batch_alter_table("contact", schema=None) as batch_op:
        batch_op.drop_column("reminders_off_at")
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("reminder_policy")
        batch_op.drop_column("time_zone")
