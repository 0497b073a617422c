"""Email digest tables (migration 0004). Registers on ``store/metadata.metadata``; imported at the end of schema.py.

- ``digest_subscribers``: one row per email address (double opt-in), with its preferences.
- ``digest_deliveries``: the durable record per (subscriber, digest date). Its status moves
  pending -> sending (claimed with a lease) -> sent | skipped | failed; a crashed sender leaves
  ``sending`` with an expired lease, which the next run claims again. The unique key is what makes
  two schedulers, two workers or a restarted run send each digest at most once.
- ``digest_sent_papers``: the send log; a paper goes to a subscriber at most once ever. Written in
  the same transaction that marks the delivery sent.
"""
from __future__ import annotations

from sqlalchemy import Column, Date, DateTime, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint

from paperwire.store.metadata import metadata

digest_subscribers = Table(
    "digest_subscribers",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("email", String(320), nullable=False, unique=True),  # stored lower-cased
    Column("user_pk", Integer, ForeignKey("users.pk", ondelete="CASCADE"), index=True),  # subscribed from an account
    Column("status", String(20), nullable=False),  # pending (unconfirmed), active, unsubscribed
    Column("frequency", String(10), nullable=False, server_default="daily"),  # daily, weekly
    Column("weekday", Integer, nullable=False, server_default="0"),  # weekly: 0 = Monday
    Column("send_hour", Integer, nullable=False, server_default="7"),  # local hour, 0..23
    Column("timezone", String(64), nullable=False, server_default="UTC"),  # IANA name
    Column("sections", String(200), nullable=False, server_default="trending,categories"),  # comma-separated
    Column("categories", Text, nullable=False, server_default=""),  # comma-separated, e.g. cs.CL,cs.LG
    Column("trending_n", Integer, nullable=False, server_default="10"),
    Column("empty_day", String(10), nullable=False, server_default="skip"),  # skip, note
    Column("created_at", DateTime, nullable=False),
    Column("confirmed_at", DateTime),
    Column("unsubscribed_at", DateTime),
    Column("last_scheduled", Date),  # newest digest date a delivery was created for
    Index("ix_digest_subscribers_status", "status"),
)

digest_deliveries = Table(
    "digest_deliveries",
    metadata,
    Column("pk", Integer, primary_key=True),
    Column("subscriber_pk", Integer, ForeignKey("digest_subscribers.pk", ondelete="CASCADE"), nullable=False),
    Column("digest_date", Date, nullable=False),
    Column("status", String(20), nullable=False),  # pending, sending, sent, skipped, failed
    Column("attempts", Integer, nullable=False, server_default="0"),
    Column("next_attempt_at", DateTime, nullable=False),
    Column("lease_until", DateTime),  # while sending: another sender may take it over after this
    Column("claim", String(32)),  # token of the sender holding the lease
    Column("enqueued_at", DateTime),  # last handed to the queue
    Column("message_id", String(200)),
    Column("papers", Integer, nullable=False, server_default="0"),
    Column("error", Text),
    Column("created_at", DateTime, nullable=False),
    Column("sent_at", DateTime),
    UniqueConstraint("subscriber_pk", "digest_date"),
    Index("ix_digest_deliveries_status_next_attempt_at", "status", "next_attempt_at"),
    Index("ix_digest_deliveries_digest_date", "digest_date"),
)

digest_sent_papers = Table(
    "digest_sent_papers",
    metadata,
    Column("subscriber_pk", Integer, ForeignKey("digest_subscribers.pk", ondelete="CASCADE"), primary_key=True),
    Column("paper_pk", Integer, ForeignKey("papers.pk", ondelete="CASCADE"), primary_key=True),
    Column("delivery_pk", Integer, ForeignKey("digest_deliveries.pk", ondelete="CASCADE"), nullable=False, index=True),
    Column("sent_at", DateTime, nullable=False),
)
