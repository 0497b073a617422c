"""Accounts: users (the accounts issue adds sessions, votes, ratings, collections, follows, ...).

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "users",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("password_hash", sa.String(200)),
        sa.Column("display_name", sa.String(100)),
        sa.Column("is_admin", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("is_disabled", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("email_verified_at", sa.DateTime),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_users"),
        sa.UniqueConstraint("email", name="uq_users_email"),
    )


def downgrade() -> None:
    op.drop_table("users")
