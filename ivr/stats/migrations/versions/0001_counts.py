"""Counters per hour, and the failure alerts already logged.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "counts",
        sa.Column("hour", sa.DateTime(), primary_key=True),
        sa.Column("event", sa.String(32), primary_key=True),
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("outcome", sa.String(64), primary_key=True),
        sa.Column("count", sa.BigInteger(), nullable=False),
    )
    op.create_table(
        "alerts",
        sa.Column("hour", sa.DateTime(), primary_key=True),
        sa.Column("service", sa.String(64), primary_key=True),
    )


def downgrade() -> None:
    op.drop_table("alerts")
    op.drop_table("counts")
