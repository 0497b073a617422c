"""Feed periods (pure)."""
from __future__ import annotations

from datetime import date

import pytest

from paperwire.services.periods import Period, PeriodError


def test_a_day_period_spans_one_day():
    p = Period.parse("day", "2026-06-30")
    assert (p.start, p.end, p.label) == (date(2026, 6, 30), date(2026, 7, 1), "2026-06-30")


def test_an_iso_week_starts_on_monday():
    p = Period.parse("week", "2026-W01")
    assert (p.start, p.end, p.label) == (date(2025, 12, 29), date(2026, 1, 5), "2026-W01")


def test_a_month_period_spans_the_calendar_month():
    p = Period.parse("month", "2026-02")
    assert (p.start, p.end, p.label) == (date(2026, 2, 1), date(2026, 3, 1), "2026-02")


def test_previous_and_next_step_by_the_period_kind():
    assert Period.parse("month", "2026-01").previous().label == "2025-12"
    assert Period.parse("week", "2025-W52").next().label == "2026-W01"
    assert Period.parse("day", "2026-03-01").previous().label == "2026-02-28"


@pytest.mark.parametrize("kind, text, param", [("day", "2026-02-30", "date"), ("week", "2026-W54", "week"),
                                               ("month", "2026-13", "month"), ("day", "yesterday", "date")])  # fmt: skip
def test_bad_periods_name_the_parameter(kind, text, param):
    with pytest.raises(PeriodError) as err:
        Period.parse(kind, text)
    assert err.value.param == param and text in str(err.value)
