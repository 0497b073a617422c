"""Papers, authors, organisations, categories, ingest log, and the keyword index.

Revision ID: 0001
Revises:
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organizations",
        sa.Column("pk", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("name", sa.String(300), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_organizations"),
        sa.UniqueConstraint("key", name="uq_organizations_key"),
    )
    op.create_table(
        "papers",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("id", sa.String(100), nullable=False),
        sa.Column("title", sa.Text, nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("published", sa.DateTime, nullable=False),
        sa.Column("updated", sa.DateTime),
        sa.Column("primary_category", sa.String(50)),
        sa.Column("comment", sa.Text),
        sa.Column("doi", sa.String(300)),
        sa.Column("journal_ref", sa.Text),
        sa.Column("abs_url", sa.String(500)),
        sa.Column("pdf_url", sa.String(500)),
        sa.Column("code_url", sa.String(500)),
        sa.Column("project_url", sa.String(500)),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("first_seen", sa.DateTime, nullable=False),
        sa.Column("upvotes", sa.Integer, nullable=False, server_default="0"),
        sa.Column("num_comments", sa.Integer, nullable=False, server_default="0"),
        sa.Column("organization_pk", sa.Integer),
        sa.Column("submitted_by", sa.String(200)),
        sa.Column("title_key", sa.String(400), nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_papers"),
        sa.UniqueConstraint("id", name="uq_papers_id"),
        sa.ForeignKeyConstraint(
            ["organization_pk"], ["organizations.pk"], name="fk_papers_organization_pk_organizations", ondelete="SET NULL"
        ),
    )
    op.create_index("ix_papers_published", "papers", ["published"])
    op.create_index("ix_papers_primary_category", "papers", ["primary_category"])
    op.create_index("ix_papers_organization_pk", "papers", ["organization_pk"])
    op.create_index("ix_papers_title_key", "papers", ["title_key"])
    op.create_table(
        "authors",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("key", sa.String(300), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("pk", name="pk_authors"),
        sa.UniqueConstraint("key", name="uq_authors_key"),
    )
    op.create_table(
        "paper_authors",
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("author_pk", sa.Integer, nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.PrimaryKeyConstraint("paper_pk", "position", name="pk_paper_authors"),
        sa.ForeignKeyConstraint(["paper_pk"], ["papers.pk"], name="fk_paper_authors_paper_pk_papers", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["author_pk"], ["authors.pk"], name="fk_paper_authors_author_pk_authors", ondelete="CASCADE"),
    )
    op.create_index("ix_paper_authors_author_pk", "paper_authors", ["author_pk"])
    op.create_table(
        "paper_categories",
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("position", sa.Integer, nullable=False),
        sa.Column("category", sa.String(50), nullable=False),
        sa.PrimaryKeyConstraint("paper_pk", "position", name="pk_paper_categories"),
        sa.ForeignKeyConstraint(["paper_pk"], ["papers.pk"], name="fk_paper_categories_paper_pk_papers", ondelete="CASCADE"),
    )
    op.create_index("ix_paper_categories_category", "paper_categories", ["category", "paper_pk"])
    op.create_table(
        "ingest_runs",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("source", sa.String(20), nullable=False),
        sa.Column("target", sa.Text, nullable=False),
        sa.Column("cursor", sa.Text),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("seen", sa.Integer, nullable=False, server_default="0"),
        sa.Column("added", sa.Integer, nullable=False, server_default="0"),
        sa.Column("updated", sa.Integer, nullable=False, server_default="0"),
        sa.Column("unchanged", sa.Integer, nullable=False, server_default="0"),
        sa.Column("failed", sa.Integer, nullable=False, server_default="0"),
        sa.Column("errors", sa.Text),
        sa.Column("started_at", sa.DateTime, nullable=False),
        sa.Column("finished_at", sa.DateTime),
        sa.PrimaryKeyConstraint("pk", name="pk_ingest_runs"),
    )
    op.create_index("ix_ingest_runs_source_target", "ingest_runs", ["source", "target"])

    # The keyword index lives in the database and is kept in sync with `papers` in the same
    # transaction: SQLite FTS5 (external content, porter stemming; rows written by the store's
    # upsert), PostgreSQL a generated, weighted tsvector column with a GIN index.
    if op.get_bind().dialect.name == "sqlite":
        op.execute(
            "CREATE VIRTUAL TABLE papers_fts USING fts5("
            "title, summary, content='papers', content_rowid='pk', tokenize='porter unicode61')"
        )
    else:
        op.execute(
            "ALTER TABLE papers ADD COLUMN search_vector tsvector GENERATED ALWAYS AS ("
            "setweight(to_tsvector('english', coalesce(title, '')), 'A') || "
            "setweight(to_tsvector('english', coalesce(summary, '')), 'B')) STORED"
        )
        op.execute("CREATE INDEX ix_papers_search_vector ON papers USING gin (search_vector)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE papers_fts")
    for table in ("ingest_runs", "paper_categories", "paper_authors", "authors", "papers", "organizations"):
        op.drop_table(table)
