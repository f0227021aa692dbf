"""trust: matched phrases, deliberate and cleared comments, backfilled history, backfill progress

Revision ID: 0005
Revises: 0007
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("ignored", sa.Boolean(), nullable=False, server_default=sa.false()))
        batch_op.add_column(sa.Column("cleared_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("backfilled", sa.Boolean(), nullable=False, server_default=sa.false()))
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("phrase", sa.String(length=100), nullable=True))
    op.create_table(
        "backfills",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.BigInteger(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("since", sa.DateTime(), nullable=False),
        sa.Column("cursor", sa.JSON(), nullable=True),
        sa.Column("comments_read", sa.Integer(), nullable=False),
        sa.Column("findings", sa.Integer(), nullable=False),
        sa.Column("paused_until", sa.DateTime(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("started_at", sa.DateTime(), nullable=False),
        sa.Column("finished_at", sa.DateTime(), nullable=True),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository_id"),
    )


def downgrade() -> None:
    op.drop_table("backfills")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("phrase")
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_column("backfilled")
        batch_op.drop_column("cleared_at")
        batch_op.drop_column("ignored")
