"""The pure digest rules (rank.digest): windows, picking unsent papers, categories, due times, backoff."""
from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from paperwire.rank.digest import (
    Section,
    Selection,
    backoff_seconds,
    due_date,
    next_send_date,
    parse_list,
    pick_in_categories,
    pick_unsent,
    two_lines,
    window,
)


@dataclass(frozen=True)
class P:
    id: str
    upvotes: int = 0
    published: datetime = datetime(2026, 6, 1, 12)
    categories: tuple = ("cs.CL",)


def test_daily_window_is_the_utc_day_before_and_weekly_the_seven_days_before():
    assert window(date(2026, 6, 3), "daily") == (datetime(2026, 6, 2), datetime(2026, 6, 3))
    assert window(date(2026, 6, 8), "weekly") == (datetime(2026, 6, 1), datetime(2026, 6, 8))


def test_pick_unsent_skips_sent_and_excluded_papers_in_rank_order():
    ranked = [P("a"), P("b"), P("c"), P("d")]
    assert [p.id for p in pick_unsent(ranked, {"a"}, 2)] == ["b", "c"]
    assert [p.id for p in pick_unsent(ranked, {"a"}, 5, exclude={"c"})] == ["b", "d"]
    assert pick_unsent(ranked, set(), 0) == []


def test_categories_match_exactly_or_by_archive_prefix_most_upvoted_first():
    papers = [P("a", 1, categories=("cs.CL",)), P("b", 9, categories=("cs.LG", "cs.CL")),
              P("c", 5, categories=("math.CO",)), P("d", 2, categories=("cs.CV",))]  # fmt: skip
    chosen, more = pick_in_categories(papers, ["cs.CL"], set(), 10)
    assert [p.id for p in chosen] == ["b", "a"] and more == 0
    chosen, more = pick_in_categories(papers, ["cs"], {"b"}, 1)
    assert [p.id for p in chosen] == ["d"] and more == 1
    assert pick_in_categories(papers, [], set(), 10) == ([], 0)


def test_ties_in_upvotes_go_to_the_newest_paper():
    old, new = P("old", 3, datetime(2026, 6, 1, 8)), P("new", 3, datetime(2026, 6, 1, 20))
    assert [p.id for p in pick_in_categories([old, new], ["cs.CL"], set(), 5)[0]] == ["new", "old"]


def test_a_selection_is_empty_when_nothing_was_published_or_nothing_is_left():
    assert Selection((Section("trending", "T", (P("a"),)),), published_in_window=0).empty
    assert Selection((), published_in_window=12).empty
    full = Selection((Section("trending", "T", (P("a"), P("b"))),), published_in_window=3)
    assert not full.empty and full.paper_count == 2 and full.paper_ids == ["a", "b"]


def test_due_after_the_local_send_hour_once_per_local_date():
    now = datetime(2026, 6, 3, 6, 30)  # 06:30 UTC = 08:30 in Paris
    assert due_date(now, "Europe/Paris", 8, "daily", 0, None) == date(2026, 6, 3)
    assert due_date(now, "Europe/Paris", 9, "daily", 0, None) is None
    assert due_date(now, "Europe/Paris", 8, "daily", 0, date(2026, 6, 3)) is None
    assert due_date(now, "America/New_York", 7, "daily", 0, None) is None  # 02:30 there
    assert due_date(datetime(2026, 6, 3, 23, 30), "Asia/Tokyo", 7, "daily", 0, date(2026, 6, 3)) == date(2026, 6, 4)


def test_weekly_digests_are_due_only_on_their_weekday():
    wednesday = datetime(2026, 6, 3, 12)
    assert due_date(wednesday, "UTC", 7, "weekly", 2, None) == date(2026, 6, 3)
    assert due_date(wednesday, "UTC", 7, "weekly", 0, None) is None
    assert next_send_date(wednesday, "UTC", 7, "weekly", 0) == date(2026, 6, 8)
    assert next_send_date(datetime(2026, 6, 3, 5), "UTC", 7, "daily", 0) == date(2026, 6, 3)


def test_an_unknown_time_zone_falls_back_to_utc():
    assert due_date(datetime(2026, 6, 3, 8), "Mars/Olympus", 7, "daily", 0, None) == date(2026, 6, 3)


def test_backoff_doubles_and_is_capped():
    assert [backoff_seconds(n, 30, 200) for n in (1, 2, 3, 4, 5)] == [30, 60, 120, 200, 200]


def test_lists_and_summaries():
    assert parse_list("cs.CL, cs.LG;cs.CL  math") == ["cs.CL", "cs.LG", "math"]
    long = "word " * 100
    cut = two_lines(long, 50)
    assert len(cut) <= 51 and cut.endswith("…")
    assert two_lines("short  text") == "short text"
