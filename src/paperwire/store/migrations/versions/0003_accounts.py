"""Accounts: users, sessions, votes, ratings, collections, follows, API tokens, comments.

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


def _user_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name=f"fk_{table}_user_pk_users", ondelete="CASCADE")


def _paper_fk(table: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["paper_pk"], ["papers.pk"], name=f"fk_{table}_paper_pk_papers", ondelete="CASCADE")


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
    op.create_table(
        "user_sessions",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("expires_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_user_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_user_sessions_token_hash"),
        _user_fk("user_sessions"),
    )
    op.create_index("ix_user_sessions_user_pk", "user_sessions", ["user_pk"])
    op.create_table(
        "votes",
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_pk", "paper_pk", name="pk_votes"),
        _user_fk("votes"),
        _paper_fk("votes"),
    )
    op.create_index("ix_votes_paper_pk", "votes", ["paper_pk"])
    op.create_table(
        "ratings",
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("value", sa.SmallInteger, nullable=False),
        sa.Column("updated_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_pk", "paper_pk", name="pk_ratings"),
        _user_fk("ratings"),
        _paper_fk("ratings"),
    )
    op.create_table(
        "collections",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("is_public", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_collections"),
        _user_fk("collections"),
    )
    op.create_index("ix_collections_user_pk", "collections", ["user_pk"])
    op.create_table(
        "collection_items",
        sa.Column("collection_pk", sa.Integer, nullable=False),
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("added_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("collection_pk", "paper_pk", name="pk_collection_items"),
        sa.ForeignKeyConstraint(["collection_pk"], ["collections.pk"], name="fk_collection_items_collection_pk_collections",
                                ondelete="CASCADE"),  # fmt: skip
        _paper_fk("collection_items"),
    )
    op.create_index("ix_collection_items_paper_pk", "collection_items", ["paper_pk"])
    op.create_table(
        "follows",
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("kind", sa.String(20), nullable=False),
        sa.Column("target", sa.String(300), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("user_pk", "kind", "target", name="pk_follows"),
        _user_fk("follows"),
    )
    op.create_table(
        "api_tokens",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("last_used_at", sa.DateTime),
        sa.PrimaryKeyConstraint("pk", name="pk_api_tokens"),
        sa.UniqueConstraint("token_hash", name="uq_api_tokens_token_hash"),
        _user_fk("api_tokens"),
    )
    op.create_index("ix_api_tokens_user_pk", "api_tokens", ["user_pk"])
    op.create_table(
        "comments",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("user_pk", sa.Integer, nullable=False),
        sa.Column("body", sa.Text, nullable=False),
        sa.Column("is_hidden", sa.Boolean, nullable=False, server_default="0"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("updated_at", sa.DateTime),
        sa.PrimaryKeyConstraint("pk", name="pk_comments"),
        _user_fk("comments"),
        _paper_fk("comments"),
    )
    op.create_index("ix_comments_user_pk", "comments", ["user_pk"])
    op.create_index("ix_comments_paper_pk", "comments", ["paper_pk", "created_at"])


def downgrade() -> None:
    for table in ("comments", "api_tokens", "follows", "collection_items", "collections", "ratings", "votes",
                  "user_sessions", "users"):  # fmt: skip
        op.drop_table(table)
