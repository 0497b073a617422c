"""The harvest schedule: retry backoff, when each source runs next (arXiv Sunday–Thursday 20:30 US
Eastern across the DST changes, Hugging Face every N hours), and what is due when a server starts."""
from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from paperwire.services.harvest import MAX_RETRY, backoff, due_at_startup, next_runs
from paperwire.settings import Settings
from paperwire.store import harvests

EVERY = {"harvest_sources": ["arxiv", "hf"], "arxiv_harvest_times": ["20:30"], "hf_harvest_every_hours": 4}


def test_backoff_starts_at_five_minutes_and_doubles():
    assert [backoff(n) for n in (1, 2, 3, 4)] == [timedelta(minutes=m) for m in (5, 10, 20, 40)]


def test_backoff_is_capped_at_two_hours():
    assert backoff(6) == timedelta(hours=2) == MAX_RETRY
    assert backoff(50) == MAX_RETRY


def test_backoff_of_no_failure_is_the_first_retry():
    assert backoff(0) == backoff(1) == timedelta(minutes=5)


@pytest.mark.parametrize(("now", "expected"), [
    # Thursday 12:00 UTC (EST, before the spring change): Thursday 20:30 EST = Friday 01:30 UTC
    (datetime(2026, 3, 5, 12, 0), datetime(2026, 3, 6, 1, 30)),
    # Friday after that run: no announcement Friday or Saturday; Sunday 20:30 is EDT by then = Monday 00:30 UTC
    (datetime(2026, 3, 6, 2, 0), datetime(2026, 3, 9, 0, 30)),
    # Sunday 1 November 2026 (EST again from 02:00 that morning): 20:30 EST = Monday 01:30 UTC
    (datetime(2026, 10, 31, 12, 0), datetime(2026, 11, 2, 1, 30)),
    # Thursday night after the run (EDT): Friday and Saturday are skipped
    (datetime(2026, 6, 5, 0, 31), datetime(2026, 6, 8, 0, 30)),
])  # fmt: skip
def test_the_next_arxiv_harvest_is_sunday_to_thursday_at_2030_eastern(now, expected):
    assert next_runs(Settings(**EVERY), now)["arxiv"] == expected


def test_the_arxiv_harvest_never_falls_on_friday_or_saturday_evenings():
    settings = Settings(**EVERY)
    now, evenings = datetime(2026, 2, 1), set()
    for _ in range(30):  # through the March change
        now = next_runs(settings, now)["arxiv"]
        eastern = now - timedelta(hours=5 if now < datetime(2026, 3, 8, 7) else 4)
        assert (eastern.hour, eastern.minute) == (20, 30)
        evenings.add(eastern.strftime("%a"))
        now += timedelta(minutes=1)
    assert evenings == {"Sun", "Mon", "Tue", "Wed", "Thu"}


def test_the_next_hugging_face_harvest_is_n_hours_after_now():
    now = datetime(2026, 6, 3, 9, 15)
    assert next_runs(Settings(**{**EVERY, "hf_harvest_every_hours": 6}), now)["hf"] == now + timedelta(hours=6)


def test_a_source_not_configured_has_no_next_harvest():
    assert next_runs(Settings(harvest_sources=["hf"]), datetime(2026, 6, 3)).keys() == {"hf"}


@pytest.fixture
def pw_settings():
    return {"harvest_sources": ["arxiv", "hf"]}


NOW = datetime(2026, 6, 3, 12, 0)


def _succeeded(store, source: str, when: datetime) -> None:
    assert harvests.claim(store, source, when)
    harvests.succeed(store, source, when, added=1, updated=0)


def test_every_source_never_harvested_is_due_at_startup(pw):
    assert due_at_startup(pw, NOW) == ["arxiv", "hf"]


def test_a_source_harvested_more_than_a_day_ago_is_due_at_startup(pw):
    _succeeded(pw.store, "arxiv", NOW - timedelta(days=1, minutes=1))
    _succeeded(pw.store, "hf", NOW - timedelta(hours=3))
    assert due_at_startup(pw, NOW) == ["arxiv"]


def test_sources_harvested_within_a_day_are_not_due_at_startup(pw):
    _succeeded(pw.store, "arxiv", NOW - timedelta(hours=23))
    _succeeded(pw.store, "hf", NOW - timedelta(minutes=5))
    assert due_at_startup(pw, NOW) == []


def test_a_source_that_only_ever_failed_is_due_at_startup(pw):
    _succeeded(pw.store, "hf", NOW - timedelta(hours=1))
    assert harvests.claim(pw.store, "arxiv", NOW - timedelta(hours=1))
    harvests.fail(pw.store, "arxiv", NOW - timedelta(hours=1), "no network")
    assert due_at_startup(pw, NOW) == ["arxiv"]
