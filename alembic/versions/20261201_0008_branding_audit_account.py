"""branding (display name, logo, accent colour, welcome text) and the audit event's account with filter indexes

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 17:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs with server defaults (or nullable): no table is rebuilt on SQLite.
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "display_name",
                sqlmodel.sql.sqltypes.AutoString(length=120),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(
            sa.Column(
                "logo_key", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "accent_color", sqlmodel.sql.sqltypes.AutoString(length=20), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "welcome_text",
                sqlmodel.sql.sqltypes.AutoString(length=500),
                nullable=False,
                server_default="",
            )
        )
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.add_column(sa.Column("account_id", sa.Integer(), nullable=True))
        batch_op.create_index("ix_audit_ws_account_seq", ["workspace_id", "account_id", "seq"], unique=False)
        batch_op.create_index("ix_audit_ws_action_seq", ["workspace_id", "action", "seq"], unique=False)
        batch_op.create_index(
            "ix_audit_ws_actor_seq", ["workspace_id", "actor_kind", "actor_id", "seq"], unique=False
        )
    # -- indexes other slices need go below this line --
    # The command center (services/signals.py, signals_work.py): each signal is one indexed query.
    op.create_index("ix_estimate_ws_decided", "estimate", ["workspace_id", "decided_at"], unique=False)
    op.create_index("ix_invoice_ws_updated", "invoice", ["workspace_id", "updated_at"], unique=False)
    op.create_index("ix_intake_ws_reviewed", "intake_file", ["workspace_id", "reviewed_at"], unique=False)
    op.create_index("ix_task_ws_completed", "follow_up_task", ["workspace_id", "completed_at"], unique=False)
    op.create_index(
        "ix_docreq_ws_status_due", "document_request", ["workspace_id", "status", "due_on"], unique=False
    )
    op.create_index(
        "ix_delivery_ws_status_expected", "delivery", ["workspace_id", "status", "expected_on"], unique=False
    )
    # The public logo route looks a key up among the workspaces' current logos (services/branding.py).
    op.create_index("ix_workspace_logo_key", "workspace", ["logo_key"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_delivery_ws_status_expected", table_name="delivery")
    op.drop_index("ix_docreq_ws_status_due", table_name="document_request")
    op.drop_index("ix_task_ws_completed", table_name="follow_up_task")
    op.drop_index("ix_intake_ws_reviewed", table_name="intake_file")
    op.drop_index("ix_invoice_ws_updated", table_name="invoice")
    op.drop_index("ix_estimate_ws_decided", table_name="estimate")
    op.drop_index("ix_workspace_logo_key", table_name="workspace")
    with op.batch_alter_table("audit_event", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_ws_actor_seq")
        batch_op.drop_index("ix_audit_ws_action_seq")
        batch_op.drop_index("ix_audit_ws_account_seq")
        batch_op.drop_column("account_id")
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("welcome_text")
        batch_op.drop_column("accent_color")
        batch_op.drop_column("logo_key")
        batch_op.drop_column("display_name")
