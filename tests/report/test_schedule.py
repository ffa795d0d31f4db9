"""When scheduled reports fall due: local hour, weekday, the grace for a worker that was down."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from app.report.schedule import ReportSchedule, due, upcoming

WIB = ZoneInfo("Asia/Jakarta")
SCHEDULE = ReportSchedule(url="https://hooks.example.id/r", secret="s" * 16, hour=7, weekday=0)


def at(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A moment given in WIB, as the UTC clock the scheduler reads."""
    return datetime(year, month, day, hour, minute, tzinfo=WIB).astimezone(UTC)


def test_daily_report_falls_due_at_the_local_hour_for_the_day_before() -> None:
    # Tuesday 2026-12-08, 07:00 WIB (00:00 UTC): the daily report of Monday.
    (slot,) = due(SCHEDULE, at(2026, 12, 8, 7))
    assert (slot.kind, slot.day, slot.key) == (
        "daily",
        date(2026, 12, 7),
        "report:daily:2026-12-07",
    )
    assert slot.due_at == datetime(2026, 12, 8, 7, tzinfo=WIB)
    # One minute before, Monday's 07:00 slots (Sunday's reports) are still within their grace.
    earlier = due(SCHEDULE, at(2026, 12, 8, 6, 59))
    assert {(s.kind, s.day) for s in earlier} == {
        ("daily", date(2026, 12, 6)),
        ("weekly", date(2026, 12, 6)),
    }


def test_weekly_report_falls_due_on_its_weekday_for_the_seven_days_before() -> None:
    monday = at(2026, 12, 7, 7, 30)
    assert {(s.kind, s.day) for s in due(SCHEDULE, monday)} == {
        ("daily", date(2026, 12, 6)),
        ("weekly", date(2026, 12, 6)),
    }
    # A day later the weekly slot is past its grace: a worker down all Monday skips it.
    assert [s.kind for s in due(SCHEDULE, at(2026, 12, 8, 7, 30))] == ["daily"]
    no_weekly = ReportSchedule(url=SCHEDULE.url, secret=SCHEDULE.secret, weekly=False)
    assert [s.kind for s in due(no_weekly, monday)] == ["daily"]


def test_upcoming_names_the_next_slot_of_each_kind() -> None:
    slots = {s.kind: s for s in upcoming(SCHEDULE, at(2026, 12, 8, 6, 59))}
    assert slots["daily"].due_at == datetime(2026, 12, 8, 7, tzinfo=WIB)
    assert slots["daily"].day == date(2026, 12, 7)
    assert slots["weekly"].due_at == datetime(2026, 12, 14, 7, tzinfo=WIB)
    assert slots["weekly"].day == date(2026, 12, 13)
    monday_early = {s.kind: s for s in upcoming(SCHEDULE, at(2026, 12, 7, 6))}
    assert monday_early["weekly"].due_at == datetime(2026, 12, 7, 7, tzinfo=WIB)
