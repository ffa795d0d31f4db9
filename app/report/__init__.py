"""The monitoring report rendered as HTML and PDF (pure: data in, bytes out).

The PDF is drawn by fpdf2, charts included (its own lines and rectangles): no headless
browser in production. A Unicode font from the system (DejaVu) is used when present; without
one, text is folded to Latin-1 for the built-in Helvetica. fpdf2 (which imports numpy) is
imported when a PDF is drawn (`report/pdf.py`), not by the scheduler that imports the report
schedule.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from app.web import render, strings

FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


@dataclass(frozen=True, slots=True)
class IssueLine:
    id: int
    title: str
    severity: float
    status: str
    articles: int
    negative_share: float
    assignee: str | None


@dataclass(frozen=True, slots=True)
class EntityTone:
    name: str
    mentions: int
    negative: int
    mean_negativity: float


@dataclass(frozen=True, slots=True)
class DayPoint:
    label: str
    total: int
    negative: int


@dataclass(frozen=True, slots=True)
class ArticleLine:
    title: str
    url: str
    outlet: str
    published_at: datetime
    negativity: float


@dataclass(frozen=True, slots=True)
class ResponseLine:
    issue_title: str
    kind: str
    url: str | None
    outlet: str | None
    actor: str
    responded_at: datetime
    published: bool | None


@dataclass(frozen=True, slots=True)
class SourceLine:
    name: str
    url: str
    error: str
    errors: int


@dataclass(frozen=True, slots=True)
class ReportData:
    weekly: bool
    day: date
    start: datetime
    end: datetime
    tz: str
    generated_at: datetime
    article_count: int
    negative_count: int
    issues: list[IssueLine]
    tones: list[EntityTone]
    series: list[DayPoint]
    watchlists: list[tuple[str, int, int]]
    most_negative: list[ArticleLine]
    responses: list[ResponseLine]
    failing_sources: list[SourceLine]
    median_time_to_detect_seconds: float | None
    median_time_to_respond_seconds: float | None

    def local(self, moment: datetime) -> str:
        return moment.astimezone(ZoneInfo(self.tz)).strftime("%d/%m/%Y %H:%M")


def duration(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    return f"{seconds / 60:.0f} min" if seconds < 3600 else f"{seconds / 3600:.1f} h"


def title_of(data: ReportData, lang: str) -> str:
    t = strings(lang)
    kind = t["weekly_report"] if data.weekly else t["daily_report"]
    return f"{kind} {data.day.isoformat()}"


def render_html(data: ReportData, *, lang: str = "id") -> str:
    peak = max([p.total for p in data.series] + [1])
    return render(
        "report.html",
        lang=lang,
        data=data,
        title=title_of(data, lang),
        peak=peak,
        duration=duration,
        zone=data.tz,
    )


def render_pdf(data: ReportData, *, lang: str = "id") -> bytes:
    """The report as a PDF (`report/pdf.py`)."""
    from app.report.pdf import draw_pdf

    return draw_pdf(data, lang=lang)


__all__ = [
    "ArticleLine",
    "DayPoint",
    "EntityTone",
    "IssueLine",
    "ReportData",
    "ResponseLine",
    "SourceLine",
    "render_html",
    "render_pdf",
]
