"""raw records: the last payload read of each source record; an index for one record's events

The quarantine's new reason "dead" and the event outcome "dead" need no change here: both
columns are plain strings of 20 characters.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-27
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "raw_records",
        sa.Column("source", sa.String(length=100), nullable=False),
        sa.Column("record_key", sa.String(length=500), nullable=False),
        sa.Column("local_id", sa.String(length=128), nullable=True),
        sa.Column("record_id", sa.String(length=500), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("origin", sa.JSON(), nullable=True),
        sa.Column("modified_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("fetched_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("run_id", sa.Integer(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.id"]),
        sa.PrimaryKeyConstraint("source", "record_key"),
    )
    with op.batch_alter_table("record_events") as batch:
        batch.create_index("ix_events_record", ["source", "local_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("record_events") as batch:
        batch.drop_index("ix_events_record")
    op.drop_table("raw_records")
