"""document request checklists, message read marks and attachments, delivery event details, mail settings

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 15:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "document_request_item",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("request_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("label", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["request_id"], ["document_request.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("document_request_item", schema=None) as batch_op:
        batch_op.create_index(
            "ix_document_request_item_ws_request", ["workspace_id", "request_id", "position"], unique=False
        )

    # Requests made before checklists: one item each (the request's title), holding the files already sent for it.
    conn = op.get_bind()
    conn.execute(
        sa.text(
            "INSERT INTO document_request_item (workspace_id, request_id, position, label, created_at) "
            "SELECT workspace_id, id, 1, title, created_at FROM document_request"
        )
    )

    op.create_table(
        "thread_seen",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("workspace_id", sa.Integer(), nullable=False),
        sa.Column("thread_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.Column("contact_id", sa.Integer(), nullable=True),
        sa.Column("seen_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["contact_id"], ["contact.id"]),
        sa.ForeignKeyConstraint(["thread_id"], ["message_thread.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["user.id"]),
        sa.ForeignKeyConstraint(["workspace_id"], ["workspace.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("thread_id", "contact_id", name="uq_thread_seen_contact"),
        sa.UniqueConstraint("thread_id", "user_id", name="uq_thread_seen_user"),
    )
    with op.batch_alter_table("thread_seen", schema=None) as batch_op:
        batch_op.create_index("ix_thread_seen_ws_contact", ["workspace_id", "contact_id"], unique=False)
        batch_op.create_index("ix_thread_seen_ws_user", ["workspace_id", "user_id"], unique=False)

    # New references: SQLite adds a foreign key only by rebuilding the table (batch mode does that for us).
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.add_column(sa.Column("document_request_item_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("message_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            "fk_intake_file_document_request_item_id",
            "document_request_item",
            ["document_request_item_id"],
            ["id"],
        )
        batch_op.create_foreign_key("fk_intake_file_message_id", "message", ["message_id"], ["id"])
    conn.execute(
        sa.text(
            "UPDATE intake_file SET document_request_item_id = (SELECT i.id FROM document_request_item i "
            "WHERE i.request_id = intake_file.document_request_id AND i.position = 1) "
            "WHERE document_request_id IS NOT NULL"
        )
    )
    with op.batch_alter_table("customer_account", schema=None) as batch_op:
        batch_op.add_column(sa.Column("owner_user_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key("fk_customer_account_owner_user_id", "user", ["owner_user_id"], ["id"])
    # Plain ADD COLUMNs with server defaults.
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.add_column(sa.Column("daily_digest", sa.Boolean(), nullable=False, server_default=sa.true()))
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("customer_mails_enabled", sa.Boolean(), nullable=False, server_default=sa.true())
        )
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.add_column(sa.Column("body_html", sa.Text(), nullable=False, server_default=""))
        batch_op.add_column(
            sa.Column(
                "from_name", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False, server_default=""
            )
        )
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "carrier", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "tracking_ref",
                sqlmodel.sql.sqltypes.AutoString(length=100),
                nullable=False,
                server_default="",
            )
        )
        batch_op.add_column(sa.Column("expected_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delivery_event", schema=None) as batch_op:
        batch_op.drop_column("expected_on")
        batch_op.drop_column("tracking_ref")
        batch_op.drop_column("carrier")
    with op.batch_alter_table("outbox_mail", schema=None) as batch_op:
        batch_op.drop_column("from_name")
        batch_op.drop_column("body_html")
    with op.batch_alter_table("workspace", schema=None) as batch_op:
        batch_op.drop_column("customer_mails_enabled")
    with op.batch_alter_table("membership", schema=None) as batch_op:
        batch_op.drop_column("daily_digest")
    with op.batch_alter_table("customer_account", schema=None) as batch_op:
        batch_op.drop_constraint("fk_customer_account_owner_user_id", type_="foreignkey")
        batch_op.drop_column("owner_user_id")
    with op.batch_alter_table("intake_file", schema=None) as batch_op:
        batch_op.drop_constraint("fk_intake_file_message_id", type_="foreignkey")
        batch_op.drop_constraint("fk_intake_file_document_request_item_id", type_="foreignkey")
        batch_op.drop_column("message_id")
        batch_op.drop_column("document_request_item_id")
    with op.batch_alter_table("thread_seen", schema=None) as batch_op:
        batch_op.drop_index("ix_thread_seen_ws_user")
        batch_op.drop_index("ix_thread_seen_ws_contact")
    op.drop_table("thread_seen")
    with op.batch_alter_table("document_request_item", schema=None) as batch_op:
        batch_op.drop_index("ix_document_request_item_ws_request")
    op.drop_table("document_request_item")
