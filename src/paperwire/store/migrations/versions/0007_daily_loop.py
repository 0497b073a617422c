"""The daily loop: the day a paper was listed (arXiv announcement, Hugging Face daily papers), how it
was listed (new, cross-list, replacement), the fields Hugging Face gives, and one row per harvested
source with its last success, last error and consecutive failures.

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-04
"""
import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

PAPER_COLUMNS = (
    ("announced_on", sa.Date),
    ("listing", lambda: sa.String(10)),
    ("hf_day", sa.Date),
    ("ai_summary", sa.Text),
    ("ai_keywords", sa.Text),
    ("github_stars", sa.Integer),
    ("thumbnail", lambda: sa.String(500)),
)


def upgrade() -> None:
    with op.batch_alter_table("papers") as batch:
        for name, kind in PAPER_COLUMNS:
            batch.add_column(sa.Column(name, kind()))
    op.create_index("ix_papers_announced_on", "papers", ["announced_on"])
    op.create_index("ix_papers_hf_day", "papers", ["hf_day"])
    op.create_table(
        "harvests",
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("last_attempt_at", sa.DateTime),
        sa.Column("last_success_at", sa.DateTime),
        sa.Column("last_added", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text),
        sa.Column("last_error_at", sa.DateTime),
        sa.Column("failures", sa.Integer, nullable=False, server_default="0"),
        sa.Column("running_since", sa.DateTime),
        sa.Column("running_owner", sa.String(200)),
        sa.PrimaryKeyConstraint("source", name="pk_harvests"),
    )


def downgrade() -> None:
    op.drop_table("harvests")
    op.drop_index("ix_papers_hf_day", table_name="papers")
    op.drop_index("ix_papers_announced_on", table_name="papers")
    with op.batch_alter_table("papers") as batch:
        for name, _kind in reversed(PAPER_COLUMNS):
            batch.drop_column(name)
