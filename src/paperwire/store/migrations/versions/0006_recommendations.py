"""Recommendations: the interests a user describes (cold-start query).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "user_interests",
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_pk", name="pk_user_interests"),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name="fk_user_interests_user_pk_users", ondelete="CASCADE"),
    )


def downgrade() -> None:
    op.drop_table("user_interests")
