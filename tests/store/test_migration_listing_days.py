"""Migration 0007 gives papers stored before the daily loop their estimated arXiv listing day."""
from __future__ import annotations

from datetime import date

from alembic import command
from sqlalchemy import text

from paperwire.store import db
from paperwire.store.store import Store


def test_upgrading_to_the_daily_loop_estimates_the_listing_day_of_stored_arxiv_papers(tmp_path):
    engine = db.make_engine(f"sqlite:///{tmp_path / 'old.db'}")
    config = db._alembic_config()
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "0006")
    with engine.begin() as conn:
        for pk, paper_id in ((1, "2612.00001"), (2, "local-note")):
            conn.execute(text("INSERT INTO papers (pk, id, title, summary, published, source, upvotes, num_comments, "
                              "title_key, first_seen) VALUES (:pk, :id, 'T', '', '2026-12-04 12:00:00', 'file', 0, 0, "
                              ":id, '2026-12-04 12:00:00')"), {"pk": pk, "id": paper_id})  # fmt: skip
    db.migrate(engine)
    engine.dispose()
    store = Store.open(f"sqlite:///{tmp_path / 'old.db'}")
    try:
        papers = store.papers_by_ids(["2612.00001", "local-note"])
        assert {p.id: p.announced_on for p in papers} == {"2612.00001": date(2026, 12, 7), "local-note": None}
    finally:
        store.close()
