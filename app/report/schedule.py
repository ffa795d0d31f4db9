"""When the scheduled reports are due (pure: a schedule and a clock in, report slots out).

The daily report goes out every day at `hour` local time and covers the local day before; the
weekly one goes out on `weekday` (0 = Monday) at the same hour and covers the seven local days
before. A slot is still sent up to `GRACE` after its time (a worker that was down at 07:00 sends
it when it comes back); a slot missed for longer is skipped rather than sent stale.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from app.config import Settings

Kind = Literal["daily", "weekly"]
GRACE = timedelta(days=1)


@dataclass(frozen=True, slots=True)
class ReportSchedule:
    url: str
    secret: str
    tz: str = "Asia/Jakarta"
    hour: int = 7
    weekday: int = 0  # of the weekly report; Monday
    weekly: bool = True
    lang: str = "id"


@dataclass(frozen=True, slots=True)
class ReportSlot:
    kind: Kind
    day: date  # the last local day the report covers
    due_at: datetime  # aware, in the schedule's zone

    @property
    def key(self) -> str:
        """The outbox's idempotency key: one delivery per report, however many workers tick."""
        return slot_key(self.kind, self.day)


def schedule_from(settings: Settings) -> ReportSchedule | None:
    """The scheduled delivery the settings ask for; None without a receiver."""
    if not settings.report_webhook_url or settings.report_webhook_secret is None:
        return None
    return ReportSchedule(
        url=settings.report_webhook_url,
        secret=settings.report_webhook_secret.get_secret_value(),
        tz=settings.report_tz,
        hour=settings.report_hour,
        weekday=settings.report_weekday,
        weekly=settings.report_weekly,
        lang=settings.report_lang,
    )


def slot_key(kind: str, day: date) -> str:
    return f"report:{kind}:{day.isoformat()}"


def _at(day: date, schedule: ReportSchedule) -> datetime:
    return datetime.combine(day, time(schedule.hour), tzinfo=ZoneInfo(schedule.tz))


def _slot(kind: Kind, due_day: date, schedule: ReportSchedule) -> ReportSlot:
    return ReportSlot(kind=kind, day=due_day - timedelta(days=1), due_at=_at(due_day, schedule))


def _last_due_day(kind: Kind, today: date, schedule: ReportSchedule, *, passed: bool) -> date:
    """The latest local day on which `kind` is (or was) due at or before now."""
    if kind == "daily":
        return today if passed else today - timedelta(days=1)
    back = (today.weekday() - schedule.weekday) % 7
    if back == 0 and not passed:
        back = 7
    return today - timedelta(days=back)


def kinds(schedule: ReportSchedule) -> tuple[Kind, ...]:
    return ("daily", "weekly") if schedule.weekly else ("daily",)


def due(schedule: ReportSchedule, now: datetime) -> list[ReportSlot]:
    """The slots whose time has come and is no more than GRACE ago (at most one per kind)."""
    local = now.astimezone(ZoneInfo(schedule.tz))
    passed = local >= _at(local.date(), schedule)
    slots = [
        _slot(kind, _last_due_day(kind, local.date(), schedule, passed=passed), schedule)
        for kind in kinds(schedule)
    ]
    return [s for s in slots if s.due_at <= now < s.due_at + GRACE]


def upcoming(schedule: ReportSchedule, now: datetime) -> list[ReportSlot]:
    """The next slot of each kind strictly after now."""
    local = now.astimezone(ZoneInfo(schedule.tz))
    passed = local >= _at(local.date(), schedule)
    slots = []
    for kind in kinds(schedule):
        last = _last_due_day(kind, local.date(), schedule, passed=passed)
        step = timedelta(days=1 if kind == "daily" else 7)
        slots.append(_slot(kind, last + step, schedule))
    return slots
