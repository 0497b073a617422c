"""Paper embeddings for semantic search and related papers.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "paper_embeddings",
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("dim", sa.Integer, nullable=False),
        sa.Column("text_hash", sa.String(32), nullable=False),
        sa.Column("vector", sa.LargeBinary, nullable=False),
        sa.Column("embedded_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("paper_pk", name="pk_paper_embeddings"),
        sa.ForeignKeyConstraint(["paper_pk"], ["papers.pk"], name="fk_paper_embeddings_paper_pk_papers", ondelete="CASCADE"),
    )
    op.create_index("ix_paper_embeddings_model", "paper_embeddings", ["model"])


def downgrade() -> None:
    op.drop_index("ix_paper_embeddings_model", "paper_embeddings")
    op.drop_table("paper_embeddings")
