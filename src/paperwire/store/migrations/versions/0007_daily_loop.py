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
    _estimate_listing_days()
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


def _estimate_listing_days() -> None:
    """Stored arXiv papers get the listing day arXiv's schedule gives their first version."""
    import re
    from datetime import datetime

    from paperwire.ingest.listing import estimated_listing_day

    arxiv = re.compile(r"^(\d{4}\.\d{4,5}|[a-z][a-z.\-]*/\d{7})$", re.IGNORECASE)
    bind = op.get_bind()
    papers = sa.table("papers", sa.column("pk", sa.Integer), sa.column("id", sa.String),
                      sa.column("published", sa.DateTime), sa.column("announced_on", sa.Date))  # fmt: skip
    rows = bind.execute(sa.select(papers.c.pk, papers.c.id, papers.c.published)).all()
    values = [{"key": pk, "day": estimated_listing_day(published if isinstance(published, datetime)
                                                        else datetime.fromisoformat(str(published)))}
              for pk, paper_id, published in rows if published is not None and arxiv.match(paper_id)]  # fmt: skip
    if values:
        bind.execute(papers.update().where(papers.c.pk == sa.bindparam("key")).values(announced_on=sa.bindparam("day")),
                     values)  # fmt: skip


def downgrade() -> None:
    op.drop_table("harvests")
    op.drop_index("ix_papers_hf_day", table_name="papers")
    op.drop_index("ix_papers_announced_on", table_name="papers")
    with op.batch_alter_table("papers") as batch:
        for name, _kind in reversed(PAPER_COLUMNS):
            batch.drop_column(name)
