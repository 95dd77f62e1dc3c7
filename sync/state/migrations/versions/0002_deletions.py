"""deletions: outbox operations and records missing from their source

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(
            sa.Column(
                "op",
                sa.Enum("upsert", "delete", name="operation", native_enum=False, length=20),
                nullable=False,
                server_default="upsert",
            )
        )
    with op.batch_alter_table("record_state") as batch:
        batch.add_column(sa.Column("missing_since", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_state") as batch:
        batch.drop_column("missing_since")
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("op")
