"""pending sign-ins keep no nonce or PKCE verifier: both are derived from the state under the session secret

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 20:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op


revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Pending sign-ins live ten minutes: any in flight during the upgrade are dropped and simply started again.
    op.execute(sa.text("DELETE FROM oidc_login"))
    with op.batch_alter_table("oidc_login", schema=None) as batch_op:
        batch_op.drop_column("code_verifier")
        batch_op.drop_column("nonce")


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM oidc_login"))
    with op.batch_alter_table("oidc_login", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "nonce", sqlmodel.sql.sqltypes.AutoString(length=100), nullable=False, server_default=""
            )
        )
        batch_op.add_column(
            sa.Column(
                "code_verifier",
                sqlmodel.sql.sqltypes.AutoString(length=128),
                nullable=False,
                server_default="",
            )
        )
