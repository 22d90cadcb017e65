"""Exports: the one-call report (HTML and PDF) and the CSV of scores for a date range.

The report carries the call's context and inherited difficulty (with its factors),
the rubric (automatic score, any trainer override and its author, the words behind
each criterion), the cues on the call's clock with their evidence, the "went well"
notes and the redacted transcript. The PDF is drawn with ReportLab (pure Python
wheels, no system libraries); the HTML comes from ``templates/trainer/report.html``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

from app import library
from app.library import LibraryEntry, Note, Period, Redact, no_redaction
from app.render import KIND_LABELS, clock, environment
from app.store import Store
from cues.types import CRITERIA, Cue
from transcription.types import Utterance

CRITERION_LABELS = {
    "acknowledgement": "Acknowledgement",
    "calibration": "Calibration",
    "re_entry": "Re-entry",
    "ownership": "Ownership",
}


@dataclass(frozen=True, slots=True)
class CallReport:
    entry: LibraryEntry
    utterances: list[Utterance]  # text redacted
    cues: list[Cue]  # evidence quote redacted
    notes: list[Note]
    generated_at: datetime


def build(store: Store, call_id: str, redact: Redact = no_redaction) -> CallReport | None:
    from dataclasses import replace

    e = library.entry(store, call_id)
    if e is None:
        return None
    utts = [replace(u, text=redact(u.text), words=()) for u in store.transcript(call_id)]
    cues = [
        replace(sc.cue, evidence=replace(sc.cue.evidence, quote=redact(sc.cue.evidence.quote)))
        for sc in store.cues(call_id)
    ]
    view = [replace(c, evidence=tuple(redact(x) for x in c.evidence)) for c in e.criteria]
    e.criteria = view
    return CallReport(e, utts, cues, library.notes(store, call_id), datetime.now(UTC))


def pct(x: float | None) -> str:
    return "–" if x is None else f"{round(100 * x):d}"


def call_report_html(store: Store, call_id: str, redact: Redact = no_redaction) -> str | None:
    report = build(store, call_id, redact)
    if report is None:
        return None
    return (
        environment()
        .get_template("trainer/report.html")
        .render(r=report, e=report.entry, labels=CRITERION_LABELS, pct=pct)
    )


# --- PDF -------------------------------------------------------------------------------------


def call_report_pdf(store: Store, call_id: str, redact: Redact = no_redaction) -> bytes | None:
    report = build(store, call_id, redact)
    if report is None:
        return None
    return render_pdf(report)


def render_pdf(r: CallReport) -> bytes:
    from xml.sax.saxutils import escape

    from reportlab.lib import colors
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.styles import ParagraphStyle, getSampleStyleSheet
    from reportlab.lib.units import mm
    from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

    e = r.entry
    styles = getSampleStyleSheet()
    body = ParagraphStyle("body", parent=styles["BodyText"], fontSize=9, leading=12)
    small = ParagraphStyle("small", parent=body, fontSize=8, leading=10, textColor="#4a525c")
    h1, h2 = styles["Heading1"], styles["Heading2"]

    def p(text: str, style: ParagraphStyle = body) -> Paragraph:
        return Paragraph(escape(text), style)

    grid = TableStyle(
        [
            ("FONTSIZE", (0, 0), (-1, -1), 8),
            ("VALIGN", (0, 0), (-1, -1), "TOP"),
            ("GRID", (0, 0), (-1, -1), 0.25, colors.HexColor("#c5cbd3")),
            ("BACKGROUND", (0, 0), (-1, 0), colors.HexColor("#eef1f5")),
        ]
    )
    ctx = e.context
    story: list[Any] = [
        p(f"Call report: {e.id}", h1),
        p(
            f"Agent {e.agent} · {e.started_at:%Y-%m-%d %H:%M} UTC · {clock(e.duration_s)} · "
            f"{e.source} · {e.state}"
            + (" · MONO: speaker attribution unavailable" if e.mono else ""),
            small,
        ),
        p(f"Generated {r.generated_at:%Y-%m-%d %H:%M} UTC. Transcript redacted.", small),
        Spacer(1, 4 * mm),
        p("Context and inherited difficulty", h2),
        p(
            f"Arrival: {ctx.arrival or 'unknown'} · departments: "
            f"{', '.join(ctx.departments) or 'none named'} · repeat contact: "
            f"{'yes' if ctx.repeat_contact else 'no'} · stakes: "
            f"{', '.join(ctx.stakes) or 'none'} · resolvable: "
            f"{'unknown' if ctx.resolvable is None else 'yes' if ctx.resolvable else 'no'} · "
            f"heavy: {'yes' if ctx.heavy else 'no'}"
        ),
        p(f"Difficulty {pct(e.difficulty.score)}/100 ({e.difficulty.band})"),
    ]
    rows = [["factor", "", "weight", "share"]]
    for f in e.difficulty.factors:
        rows.append([f.name, f.label, f"{f.weight:.2f}", f"{100 * f.contribution:.0f}"])
    t = Table(rows, colWidths=[30 * mm, 90 * mm, 20 * mm, 20 * mm])
    t.setStyle(grid)
    story += [t, Spacer(1, 4 * mm), p("Rubric", h2)]
    story.append(
        p(
            f"Overall {pct(e.overall)} (automatic {pct(e.auto_overall)}); expected at this "
            f"difficulty {pct(e.expected)}; difficulty-adjusted {pct(e.adjusted)}"
        )
    )
    rows2: list[list[Any]] = [["criterion", "auto", "override", "words behind it"]]
    for c in e.criteria:
        ov = (
            f"{pct(c.override.score)} by {c.override.author}"
            + (f": {c.override.comment}" if c.override.comment else "")
            if c.override
            else ""
        )
        words = "; ".join(f"“{x}”" for x in c.evidence) or c.reason
        rows2.append(
            [
                CRITERION_LABELS.get(c.criterion, c.criterion),
                pct(c.auto),
                p(ov, small),
                p(words, small),
            ]
        )
    t2 = Table(rows2, colWidths=[28 * mm, 14 * mm, 40 * mm, 88 * mm])
    t2.setStyle(grid)
    story += [t2, Spacer(1, 4 * mm), p("Cues", h2)]
    if r.cues:
        rows3: list[list[Any]] = [["at", "cue", "evidence"]]
        for cue in r.cues:
            rows3.append(
                [
                    clock(cue.raised_at),
                    p(f"{KIND_LABELS.get(cue.kind, cue.kind)}: {cue.title}", small),
                    p(f"{cue.evidence.speaker}: “{cue.evidence.quote}”", small),
                ]
            )
        t3 = Table(rows3, colWidths=[14 * mm, 70 * mm, 86 * mm])
        t3.setStyle(grid)
        story.append(t3)
    else:
        story.append(p("No cues were raised."))
    if r.notes:
        story += [Spacer(1, 4 * mm), p("Went well", h2)]
        for n in r.notes:
            at = f" at {clock(n.at_s)}" if n.at_s is not None else ""
            story.append(p(f"{n.author}{at}: {n.comment}"))
    story += [Spacer(1, 4 * mm), p("Transcript", h2)]
    for u in r.utterances:
        who = "Agent" if u.speaker == "agent" else ("Call" if e.mono else "Caller")
        story.append(p(f"[{clock(u.start)}] {who}: {u.text}"))
    buf = io.BytesIO()
    doc = SimpleDocTemplate(
        buf,
        pagesize=A4,
        leftMargin=18 * mm,
        rightMargin=18 * mm,
        topMargin=16 * mm,
        bottomMargin=16 * mm,
        title=f"Heard call report {e.id}",
        author="Heard",
    )
    doc.build(story)
    return buf.getvalue()


# --- CSV -------------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    """A CSV cell that a spreadsheet will not run as a formula."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return f"{value:.3f}"
    text = str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


CSV_COLUMNS = (
    "call_id",
    "started_at",
    "agent",
    "source",
    "state",
    "duration_s",
    "mono",
    "arrival",
    "departments",
    "repeat_contact",
    "stakes",
    "resolvable",
    "heavy",
    "difficulty",
    "difficulty_band",
    *(f"{c}_{kind}" for c in CRITERIA for kind in ("auto", "override", "override_by")),
    "overall_auto",
    "overall",
    "expected",
    "adjusted",
    "cue_kinds",
)


def scores_csv(store: Store, first: date, last: date) -> str:
    """Scores of the calls started from ``first`` to ``last`` (inclusive, UTC days)."""
    since = datetime.combine(first, time.min, tzinfo=UTC)
    until = datetime.combine(last + timedelta(days=1), time.min, tzinfo=UTC)
    # Adjusted scores use the line fitted on the whole library, not just this range.
    entries = [e for e in library.load_entries(store) if since <= e.started_at < until]
    entries.sort(key=lambda e: e.started_at)
    out = io.StringIO()
    w = csv.writer(out, lineterminator="\r\n")
    w.writerow(CSV_COLUMNS)
    for e in entries:
        ctx = e.context
        crit: list[Any] = []
        for c in e.criteria:
            crit += [
                c.auto,
                c.override.score if c.override else None,
                c.override.author if c.override else None,
            ]
        row = [
            e.id,
            e.started_at.isoformat(),
            e.agent,
            e.source,
            e.state,
            e.duration_s,
            e.mono,
            ctx.arrival,
            ";".join(ctx.departments),
            ctx.repeat_contact,
            ";".join(ctx.stakes),
            ctx.resolvable,
            ctx.heavy,
            e.difficulty.score,
            e.difficulty.band,
            *crit,
            e.auto_overall,
            e.overall,
            e.expected,
            e.adjusted,
            ";".join(e.cue_kinds),
        ]
        w.writerow([_cell(v) for v in row])
    return out.getvalue()


# --- chart -----------------------------------------------------------------------------------


def score_chart_svg(periods: list[Period], width: int = 640, height: int = 180) -> str:
    """Weekly raw and difficulty-adjusted scores, difficulty as bars (inline SVG)."""
    if not periods:
        return '<p class="muted">No finished calls yet.</p>'
    pad, n = 28, len(periods)
    step = (width - 2 * pad) / max(1, n - 1) if n > 1 else 0

    def x(i: int) -> float:
        return pad + i * step if n > 1 else width / 2

    def y(v: float) -> float:
        return height - pad - v * (height - 2 * pad)

    bar_w = max(4.0, min(24.0, step * 0.5 if n > 1 else 24.0))
    parts = [
        f'<svg class="score-chart" viewBox="0 0 {width} {height}" role="img" '
        f'aria-label="Weekly scores: raw and difficulty-adjusted">',
        f'<line x1="{pad}" y1="{y(0)}" x2="{width - pad}" y2="{y(0)}" class="axis"/>',
        f'<line x1="{pad}" y1="{y(1)}" x2="{width - pad}" y2="{y(1)}" class="grid"/>',
    ]
    for i, per in enumerate(periods):
        top = y(per.difficulty)
        parts.append(
            f'<rect class="bar" x="{x(i) - bar_w / 2:.1f}" y="{top:.1f}" width="{bar_w:.1f}" '
            f'height="{y(0) - top:.1f}"><title>week of {per.start}: difficulty '
            f"{pct(per.difficulty)}, {per.calls} calls</title></rect>"
        )
    for cls, attr in (("raw", "overall"), ("adj", "adjusted")):
        pts = [
            f"{x(i):.1f},{y(getattr(per, attr)):.1f}"
            for i, per in enumerate(periods)
            if getattr(per, attr) is not None
        ]
        if pts:
            parts.append(f'<polyline class="{cls}" points="{" ".join(pts)}"/>')
            for pt in pts:
                cx, cy = pt.split(",")
                parts.append(f'<circle class="{cls}" cx="{cx}" cy="{cy}" r="3"/>')
    parts.append("</svg>")
    return "".join(parts)
