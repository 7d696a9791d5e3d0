"""The batches of counts already written, so a batch written again (from the spool) counts once.

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "batches",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("written", sa.DateTime(), nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("batches")
