"""Papers remember when a user submitted them, so the day's feed lists a submission on that day.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("papers", sa.Column("submitted_at", sa.DateTime))
    op.create_index("ix_papers_submitted_at", "papers", ["submitted_at"])


def downgrade() -> None:
    op.drop_index("ix_papers_submitted_at", table_name="papers")
    op.drop_column("papers", "submitted_at")
