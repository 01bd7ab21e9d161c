"""settings.windows: the daily (backup, snapshot) and weekly (maintenance) window strings RDS and
ElastiCache accept, and whether a daily window collides with the weekly one."""

from __future__ import annotations

import pytest

from settings.windows import daily_window, overlaps, weekly_window


@pytest.mark.parametrize("value", ["03:00-04:00", "00:00-23:59", "23:30-00:30", "19:05-20:05"])
def test_a_daily_window_of_an_hour_or_more_is_accepted_as_written(value):
    assert daily_window(value) == value


@pytest.mark.parametrize("value", ["3:00-04:00", "24:00-01:00", "03:60-04:00", "03:00-04:00 ", "x03:00-04:00"])
def test_a_daily_window_not_in_hh_mm_format_is_rejected(value):
    with pytest.raises(ValueError, match=r"^must be hh:mm-hh:mm in UTC$"):
        daily_window(value)


@pytest.mark.parametrize("value", ["03:00-03:59", "03:00-03:00", "23:30-00:29"])
def test_a_daily_window_shorter_than_an_hour_is_rejected(value):
    with pytest.raises(ValueError, match=r"^must last at least 60 minutes$"):
        daily_window(value)


@pytest.mark.parametrize("value", ["tue:03:00-tue:04:00", "sun:23:30-mon:00:30", "mon:00:00-sun:23:59"])
def test_a_weekly_window_of_an_hour_or_more_is_accepted_as_written(value):
    assert weekly_window(value) == value


@pytest.mark.parametrize("value", ["tue:3:00-tue:04:00", "tues:03:00-tue:04:00", "tue:03:00-tue:04:00 ", "03:00-04:00"])
def test_a_weekly_window_not_in_ddd_hh_mm_format_is_rejected(value):
    with pytest.raises(ValueError, match=r"^must be ddd:hh:mm-ddd:hh:mm in UTC \(ddd = mon..sun\)$"):
        weekly_window(value)


@pytest.mark.parametrize("value", ["tue:03:00-tue:03:59", "sun:23:30-mon:00:29", "wed:03:00-wed:03:00"])
def test_a_weekly_window_shorter_than_an_hour_is_rejected(value):
    with pytest.raises(ValueError, match=r"^must last at least 60 minutes$"):
        weekly_window(value)


@pytest.mark.parametrize(
    ("daily", "weekly"),
    [
        ("03:00-04:00", "tue:03:30-tue:04:30"),  # the same hours on a Tuesday
        ("03:00-04:00", "sun:03:30-sun:04:30"),  # the last day of the week
        ("03:00-04:00", "fri:02:00-fri:03:01"),  # one minute in common
        ("23:30-00:30", "mon:00:00-mon:01:00"),  # Sunday's daily window runs into Monday
        ("00:00-01:00", "sun:23:30-mon:00:30"),  # the weekly window runs from Sunday into Monday
        ("10:00-11:00", "wed:08:00-wed:12:00"),  # the daily window inside the weekly one
    ],
)
def test_a_daily_window_that_shares_a_minute_with_the_weekly_one_overlaps(daily, weekly):
    assert overlaps(daily, weekly)


@pytest.mark.parametrize(
    ("daily", "weekly"),
    [
        ("03:00-04:00", "tue:04:00-tue:05:00"),  # the weekly window starts as the daily one ends
        ("03:00-04:00", "tue:02:00-tue:03:00"),  # the weekly window ends as the daily one starts
        ("23:30-00:30", "mon:00:30-mon:01:30"),  # the daily window wraps midnight, ends at 00:30
        ("03:00-04:00", "sat:05:00-sun:02:00"),  # across a night, between two daily windows
    ],
)
def test_a_daily_window_next_to_the_weekly_one_does_not_overlap(daily, weekly):
    assert not overlaps(daily, weekly)


def test_overlap_of_a_string_that_is_no_window_names_it():
    with pytest.raises(ValueError, match=r"^not a window string: 'nightly'$"):
        overlaps("nightly", "tue:03:00-tue:04:00")
