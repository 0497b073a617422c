"""Email digest: subscribers, deliveries (one per subscriber and digest date) and the send log.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "digest_subscribers",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("email", sa.String(320), nullable=False),
        sa.Column("user_pk", sa.Integer),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("frequency", sa.String(10), nullable=False, server_default="daily"),
        sa.Column("weekday", sa.Integer, nullable=False, server_default="0"),
        sa.Column("send_hour", sa.Integer, nullable=False, server_default="7"),
        sa.Column("timezone", sa.String(64), nullable=False, server_default="UTC"),
        sa.Column("sections", sa.String(200), nullable=False, server_default="trending,categories"),
        sa.Column("categories", sa.Text, nullable=False, server_default=""),
        sa.Column("trending_n", sa.Integer, nullable=False, server_default="10"),
        sa.Column("empty_day", sa.String(10), nullable=False, server_default="skip"),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("confirmed_at", sa.DateTime),
        sa.Column("unsubscribed_at", sa.DateTime),
        sa.Column("last_scheduled", sa.Date),
        sa.PrimaryKeyConstraint("pk", name="pk_digest_subscribers"),
        sa.UniqueConstraint("email", name="uq_digest_subscribers_email"),
        sa.ForeignKeyConstraint(["user_pk"], ["users.pk"], name="fk_digest_subscribers_user_pk_users", ondelete="CASCADE"),
    )
    op.create_index("ix_digest_subscribers_user_pk", "digest_subscribers", ["user_pk"])
    op.create_index("ix_digest_subscribers_status", "digest_subscribers", ["status"])

    op.create_table(
        "digest_deliveries",
        sa.Column("pk", sa.Integer, nullable=False),
        sa.Column("subscriber_pk", sa.Integer, nullable=False),
        sa.Column("digest_date", sa.Date, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
        sa.Column("next_attempt_at", sa.DateTime, nullable=False),
        sa.Column("lease_until", sa.DateTime),
        sa.Column("claim", sa.String(32)),
        sa.Column("enqueued_at", sa.DateTime),
        sa.Column("message_id", sa.String(200)),
        sa.Column("papers", sa.Integer, nullable=False, server_default="0"),
        sa.Column("error", sa.Text),
        sa.Column("created_at", sa.DateTime, nullable=False),
        sa.Column("sent_at", sa.DateTime),
        sa.PrimaryKeyConstraint("pk", name="pk_digest_deliveries"),
        sa.UniqueConstraint("subscriber_pk", "digest_date", name="uq_digest_deliveries_subscriber_pk_digest_date"),
        sa.ForeignKeyConstraint(["subscriber_pk"], ["digest_subscribers.pk"],
                                name="fk_digest_deliveries_subscriber_pk_digest_subscribers", ondelete="CASCADE"),
    )
    op.create_index("ix_digest_deliveries_status_next_attempt_at", "digest_deliveries", ["status", "next_attempt_at"])
    op.create_index("ix_digest_deliveries_digest_date", "digest_deliveries", ["digest_date"])

    op.create_table(
        "digest_sent_papers",
        sa.Column("subscriber_pk", sa.Integer, nullable=False),
        sa.Column("paper_pk", sa.Integer, nullable=False),
        sa.Column("delivery_pk", sa.Integer, nullable=False),
        sa.Column("sent_at", sa.DateTime, nullable=False),
        sa.PrimaryKeyConstraint("subscriber_pk", "paper_pk", name="pk_digest_sent_papers"),
        sa.ForeignKeyConstraint(["subscriber_pk"], ["digest_subscribers.pk"],
                                name="fk_digest_sent_papers_subscriber_pk_digest_subscribers", ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_pk"], ["papers.pk"], name="fk_digest_sent_papers_paper_pk_papers",
                                ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["delivery_pk"], ["digest_deliveries.pk"],
                                name="fk_digest_sent_papers_delivery_pk_digest_deliveries", ondelete="CASCADE"),
    )
    op.create_index("ix_digest_sent_papers_delivery_pk", "digest_sent_papers", ["delivery_pk"])


def downgrade() -> None:
    op.drop_table("digest_sent_papers")
    op.drop_table("digest_deliveries")
    op.drop_table("digest_subscribers")
