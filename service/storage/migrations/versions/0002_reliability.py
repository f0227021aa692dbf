"""reliability: delivery leases and one publisher per pull request

Revision ID: 0002
Revises: 0005
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("lease_until", sa.DateTime(), nullable=True))
    with op.batch_alter_table("pull_requests", schema=None) as batch_op:
        batch_op.add_column(sa.Column("publish_wanted", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("publish_done", sa.Integer(), nullable=False, server_default="0"))
        batch_op.add_column(sa.Column("publish_wanted_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("publish_lease_until", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("publish_claimed_by", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("publish_run_key", sa.String(length=64), nullable=True))
        # The sweeper looks for pull requests whose wanted version is ahead of the published one.
        batch_op.create_index("ix_pull_requests_publish_wanted_at", ["publish_wanted_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("pull_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_pull_requests_publish_wanted_at")
        for name in ("publish_run_key", "publish_claimed_by", "publish_lease_until", "publish_wanted_at",
                     "publish_done", "publish_wanted"):
            batch_op.drop_column(name)
    with op.batch_alter_table("deliveries", schema=None) as batch_op:
        batch_op.drop_column("lease_until")
