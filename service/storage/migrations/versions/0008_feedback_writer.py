"""feedback.writer: whether the person who marked "Looks fine" had write access to the repository then

Marks recorded before this revision were never checked, so they stay NULL and count for the precision
figure but not towards a "Looks fine" proposal.

Revision ID: 0008
Revises: 0002
Create Date: 2026-12-01
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.add_column(sa.Column("writer", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("feedback", schema=None) as batch_op:
        batch_op.drop_column("writer")
