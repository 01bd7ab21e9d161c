"""AWS maintenance and backup window strings: parsing and overlap, shared by RDS and ElastiCache."""

from __future__ import annotations

import re

_DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAILY = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)-([01]\d|2[0-3]):([0-5]\d)$")
_WEEKLY = re.compile(
    r"^(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)-(mon|tue|wed|thu|fri|sat|sun):([01]\d|2[0-3]):([0-5]\d)$"
)
_WEEK = 7 * 24 * 60
MIN_WINDOW_MINUTES = 60  # ElastiCache needs 60 minutes; RDS accepts 30. One rule for both.


def daily_window(value: str) -> str:
    """Validate `hh:mm-hh:mm` (UTC), as RDS `backup_window` and ElastiCache `snapshot_window`."""
    if not _DAILY.match(value):
        raise ValueError("must be hh:mm-hh:mm in UTC")
    start, end = _daily_minutes(value)
    if (end - start) % (24 * 60) < MIN_WINDOW_MINUTES:
        raise ValueError(f"must last at least {MIN_WINDOW_MINUTES} minutes")
    return value


def weekly_window(value: str) -> str:
    """Validate `ddd:hh:mm-ddd:hh:mm` (UTC), the maintenance window format of RDS and ElastiCache."""
    if not _WEEKLY.match(value):
        raise ValueError("must be ddd:hh:mm-ddd:hh:mm in UTC (ddd = mon..sun)")
    start, end = _weekly_minutes(value)
    if (end - start) % _WEEK < MIN_WINDOW_MINUTES:
        raise ValueError(f"must last at least {MIN_WINDOW_MINUTES} minutes")
    return value


def overlaps(daily: str, weekly: str) -> bool:
    """True when a daily window (repeated every day) overlaps the weekly window."""
    d_start, d_end = _daily_minutes(daily)
    w_start, w_end = _weekly_minutes(weekly)
    w_len = (w_end - w_start) % _WEEK
    d_len = (d_end - d_start) % (24 * 60)
    for day in range(7):
        start = day * 24 * 60 + d_start
        if _intervals_overlap(start, d_len, w_start, w_len):
            return True
    return False


def _intervals_overlap(a: int, a_len: int, b: int, b_len: int) -> bool:
    # Intervals on a circle of one week: shift b so it starts at 0.
    offset = (a - b) % _WEEK
    return offset < b_len or (offset + a_len) > _WEEK


def _daily_minutes(value: str) -> tuple[int, int]:
    h1, m1, h2, m2 = map(int, _match(_DAILY, value).groups())
    return h1 * 60 + m1, h2 * 60 + m2


def _weekly_minutes(value: str) -> tuple[int, int]:
    d1, h1, m1, d2, h2, m2 = _match(_WEEKLY, value).groups()
    return (
        _DAYS.index(d1) * 24 * 60 + int(h1) * 60 + int(m1),
        _DAYS.index(d2) * 24 * 60 + int(h2) * 60 + int(m2),
    )


def _match(pattern: re.Pattern[str], value: str) -> re.Match[str]:
    """The match of a window string the validators above already accepted."""
    match = pattern.match(value)
    if match is None:
        raise ValueError(f"not a window string: {value!r}")
    return match
