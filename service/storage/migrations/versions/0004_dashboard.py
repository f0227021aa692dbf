"""dashboard: check-run previews without GitHub, and the per-installation switch for per-author figures

Revision ID: 0004
Revises: 0001
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "check_run_previews",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("repository_id", sa.BigInteger(), nullable=False),
        sa.Column("pull_number", sa.Integer(), nullable=False),
        sa.Column("head_sha", sa.String(length=64), nullable=True),
        sa.Column("title", sa.String(length=255), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.String(length=32), nullable=False),
        sa.Column("annotations", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("repository_id", "pull_number"),
    )
    with op.batch_alter_table("check_run_previews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_check_run_previews_repository_id"), ["repository_id"], unique=False)
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("author_figures", sa.Boolean(), nullable=False, server_default=sa.false()))


def downgrade() -> None:
    with op.batch_alter_table("installations", schema=None) as batch_op:
        batch_op.drop_column("author_figures")
    with op.batch_alter_table("check_run_previews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_check_run_previews_repository_id"))
    op.drop_table("check_run_previews")
