"""The report's PDF, drawn by fpdf2 (charts with its own lines and rectangles)."""

from __future__ import annotations

import unicodedata

from fpdf import FPDF

from app.report import FONT_CANDIDATES, DayPoint, ReportData, duration, title_of
from app.web import strings


class _Pdf(FPDF):
    def __init__(self) -> None:
        super().__init__(orientation="P", unit="mm", format="A4")
        self.unicode = False
        for path in FONT_CANDIDATES:
            if path.exists():
                self.add_font("body", "", str(path))
                bold = path.with_name("DejaVuSans-Bold.ttf")
                self.add_font("body", "B", str(bold if bold.exists() else path))
                self.unicode = True
                break
        self.family = "body" if self.unicode else "helvetica"
        self.set_auto_page_break(auto=True, margin=15)

    def text_(self, value: str) -> str:
        if self.unicode:
            return value
        folded = (
            value.replace("\u2018", "'")
            .replace("\u2019", "'")
            .replace("\u201c", '"')
            .replace("\u201d", '"')
            .replace("\u2013", "-")
            .replace("\u2014", "-")
        )
        folded = unicodedata.normalize("NFKC", folded)
        return folded.encode("latin-1", "replace").decode("latin-1")

    def heading(self, value: str) -> None:
        self.ln(2)
        self.set_font(self.family, "B", 12)
        self.cell(0, 7, self.text_(value), new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)

    def line_(self, value: str, *, link: str = "") -> None:
        self.multi_cell(0, 5, self.text_(value), link=link, new_x="LMARGIN", new_y="NEXT")

    def chart(self, points: list[DayPoint], label: str, negative_label: str) -> None:
        """Bars of volume with the negative part in red, and the labels under them."""
        x0, width, height = self.l_margin, self.epw, 40
        if self.get_y() + height + 12 > self.page_break_trigger:
            self.add_page()
        y0 = self.get_y() + 2
        peak = max([p.total for p in points] + [1])
        slot = width / max(len(points), 1)
        self.set_draw_color(120, 120, 120)
        self.line(x0, y0 + height, x0 + width, y0 + height)
        for i, p in enumerate(points):
            bar = height * p.total / peak
            neg = height * p.negative / peak
            x = x0 + i * slot + slot * 0.15
            if bar:
                self.set_fill_color(31, 95, 168)
                self.rect(x, y0 + height - bar, slot * 0.7, bar, style="F")
            if neg:
                self.set_fill_color(179, 38, 30)
                self.rect(x, y0 + height - neg, slot * 0.7, neg, style="F")
            if len(points) <= 8 or i % max(1, len(points) // 8) == 0:
                self.set_font(self.family, "", 6)
                self.text(x, y0 + height + 4, self.text_(p.label))
        self.set_font(self.family, "", 7)
        self.text(x0, y0 - 0.5, self.text_(f"{label} (max {peak}); {negative_label}"))
        self.set_y(y0 + height + 7)
        self.set_font(self.family, "", 9)

    def share_chart(self, rows: list[tuple[str, int, int]], label: str) -> None:
        """Negative share per watchlist as horizontal bars."""
        if not rows:
            return
        self.set_font(self.family, "", 8)
        self.cell(0, 5, self.text_(label), new_x="LMARGIN", new_y="NEXT")
        for name, total, negative in rows[:10]:
            share = negative / total if total else 0.0
            y = self.get_y()
            self.cell(60, 5, self.text_(name[:40]))
            self.set_fill_color(225, 225, 225)
            self.rect(self.l_margin + 60, y + 1, 80, 3, style="F")
            self.set_fill_color(179, 38, 30)
            self.rect(self.l_margin + 60, y + 1, 80 * share, 3, style="F")
            self.set_x(self.l_margin + 142)
            self.cell(0, 5, f"{share:.0%} ({negative}/{total})", new_x="LMARGIN", new_y="NEXT")
        self.set_font(self.family, "", 9)


def draw_pdf(data: ReportData, *, lang: str = "id") -> bytes:
    t = strings(lang)
    pdf = _Pdf()
    pdf.set_title(title_of(data, lang))
    pdf.set_creator("Pantau")
    pdf.add_page()
    pdf.set_font(pdf.family, "B", 16)
    pdf.cell(0, 9, pdf.text_(f"Pantau - {title_of(data, lang)}"), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(pdf.family, "", 9)
    pdf.line_(
        f"{data.local(data.start)} - {data.local(data.end)} {t['wib']} · "
        f"{data.article_count} {t['articles'].lower()}, {data.negative_count} "
        f"{t['negative'].lower()} · {t['generated']} {data.local(data.generated_at)}"
    )
    pdf.line_(
        f"{t['median']} {t['time_to_detect']}: {duration(data.median_time_to_detect_seconds)} · "
        f"{t['median']} {t['time_to_respond']}: {duration(data.median_time_to_respond_seconds)}"
    )
    pdf.heading(t["top_issues"])
    for i in data.issues or []:
        pdf.line_(
            f"[{i.severity:.0f}] {i.title} - {t.get('status_' + i.status, i.status)}, "
            f"{i.articles} {t['articles'].lower()}, {t['negative_share'].lower()} "
            f"{i.negative_share:.0%}" + (f", {i.assignee}" if i.assignee else "")
        )
    if not data.issues:
        pdf.line_(t["none"])
    pdf.heading(t["volume"] + " / " + t["negative_share"])
    pdf.chart(data.series, t["volume"], t["negative"])
    pdf.share_chart(data.watchlists, t["negative_share"] + " · " + t["watchlists"])
    pdf.heading(t["tone_by_entity"])
    for e in data.tones or []:
        pdf.line_(
            f"{e.name}: {e.mentions} {t['mentions'].lower()}, {e.negative} "
            f"{t['negative'].lower()}, {e.mean_negativity:.0%}"
        )
    if not data.tones:
        pdf.line_(t["none"])
    pdf.heading(t["most_negative"])
    for a in data.most_negative or []:
        pdf.line_(f"{a.negativity:.0%} · {a.outlet} · {data.local(a.published_at)} · {a.title}")
        pdf.set_text_color(31, 95, 168)
        pdf.line_(a.url, link=a.url)
        pdf.set_text_color(0, 0, 0)
    if not data.most_negative:
        pdf.line_(t["none"])
    pdf.heading(t["responses_made"])
    for r in data.responses or []:
        where = f" -> {r.outlet}" if r.outlet else ""
        published = f" ({t['published']})" if r.published else ""
        pdf.line_(
            f"{data.local(r.responded_at)} · {t.get(r.kind, r.kind)}{where}{published} · "
            f"{r.actor} · {r.issue_title}" + (f" · {r.url}" if r.url else "")
        )
    if not data.responses:
        pdf.line_(t["none"])
    pdf.heading(t["failing_sources"])
    for s in data.failing_sources or []:
        pdf.line_(f"{s.name} ({s.errors}x): {s.error} · {s.url}")
    if not data.failing_sources:
        pdf.line_(t["none"])
    return bytes(pdf.output())
