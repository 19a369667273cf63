"""link abuse limits: invitation and workspace rate counters, token refusal counts, mail link expiry, idempotency target

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 09:00:00.000000
"""

from collections.abc import Sequence
from datetime import timedelta

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMN / CREATE INDEX only: no table is rebuilt on SQLite (foreign keys stay enforced there).
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(sa.Column("created_by_user_id", sa.Integer(), nullable=True))
        batch_op.create_index(
            "ix_workspace_creator_created", ["created_by_user_id", "created_at"], unique=False
        )

    with op.batch_alter_table("member_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refusals", sa.Integer(), nullable=False, server_default="0"))
        batch_op.create_index("ix_member_invitation_ws_created", ["workspace_id", "created_at"], unique=False)
        batch_op.create_index(
            "ix_member_invitation_inviter_created", ["invited_by_user_id", "created_at"], unique=False
        )

    with op.batch_alter_table("contact_invitation", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refusals", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("magic_link", schema=None) as batch_op:
        batch_op.add_column(sa.Column("refusals", sa.Integer(), nullable=False, server_default="0"))

    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("links_expire_at", sa.DateTime(), nullable=True))
        batch_op.create_index("ix_outbox_links_expire", ["links_expire_at"], unique=False)

    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "target", sqlmodel.sql.sqltypes.AutoString(length=60), nullable=False, server_default=""
            )
        )

    # Mails queued before this revision have no recorded link expiry. The longest a link lives (an invitation,
    # 7 days) after the mail was queued is a safe bound: the mailer's sweep blanks them by then.
    bind = op.get_bind()
    rows = bind.execute(
        sa.text(
            "SELECT id, created_at FROM outbox_mail WHERE body_text LIKE '%/auth/magic/%' "
            "OR body_text LIKE '%/auth/contact-invite/%' OR body_text LIKE '%/invite/%'"
        ).columns(sa.column("id", sa.Integer()), sa.column("created_at", sa.DateTime()))
    ).all()
    for row_id, created_at in rows:
        bind.execute(
            sa.text("UPDATE outbox_mail SET links_expire_at = :at WHERE id = :id").bindparams(
                sa.bindparam("at", type_=sa.DateTime())
            ),
            {"at": created_at + timedelta(days=7), "id": row_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("idempotency_key", schema=None) as batch_op:
        batch_op.drop_column("target")

    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_index("ix_outbox_links_expire")
        batch_op.drop_column("links_expire_at")

    with op.batch_alter_table("magic_link", schema=None) as batch_op:
        batch_op.drop_column("refusals")

    with op.batch_alter_table("contact_invitation", schema=None) as batch_op:
        batch_op.drop_column("refusals")

    with op.batch_alter_table("member_invitation", schema=None) as batch_op:
        batch_op.drop_index("ix_member_invitation_inviter_created")
        batch_op.drop_index("ix_member_invitation_ws_created")
        batch_op.drop_column("refusals")

    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_index("ix_workspace_creator_created")
        batch_op.drop_column("created_by_user_id")
