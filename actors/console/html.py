"""A run you can look at: one self-contained HTML file (``--html``), and the sweep's
(``python -m actors.sweep ... --html``).

The charts are small SVG written here, not a charting library: SVG inline in the page
draws with no script at all, so the file opens from disk with no network and stays
readable for years, and it is a few hundred kilobytes for a 24-hour day. Hovering a mark
shows its ``<title>``. The run's data is also embedded as JSON (``<script
type="application/json" id="run-data">``) for whoever wants to take it further.

Every string that comes from a scenario is escaped for HTML (and made printable first);
the embedded JSON is escaped against ``</script>`` (``<`` is written ``\\u003c``).
"""

from __future__ import annotations

import html
import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from bus.text import printable
from bus.vtime import format_duration, format_vtime

if TYPE_CHECKING:
    from actors.report.digest import Digest
    from actors.report.gate import Verdict
    from scenarios.schema import Scenario

__all__ = ["Lane", "Line", "page", "run_report", "svg_chart", "svg_timeline", "sweep_report"]

COLORS = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#17becf", "#8c564b", "#e377c2"]
#: At most this many points per line: a day of one-minute samples is drawn from 720.
MAX_POINTS = 720

STYLE = """
body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1b1b1b;max-width:1200px}
h1{font-size:1.5em;margin:0 0 4px}h2{font-size:1.2em;margin-top:32px;border-bottom:1px solid #ddd}
h3{font-size:1.02em;margin:18px 0 4px}
table{border-collapse:collapse;margin:8px 0;font-size:.9em}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;
vertical-align:top}th{background:#f4f4f4}.pass{color:#1a7f37;font-weight:600}.fail{color:#c62828;font-weight:600}
code,pre{font-family:ui-monospace,SFMono-Regular,Menlo,monospace;font-size:.88em}pre{background:#f6f8fa;padding:8px;
overflow-x:auto}.meta{color:#555}.chart{margin:6px 0 14px}svg text{font-family:inherit;font-size:11px;fill:#333}
.pm{border:1px solid #ddd;padding:4px 16px;margin:10px 0;background:#fcfcfc}
details>summary{cursor:pointer;font-weight:600}
"""


def esc(value: object) -> str:
    """Any text of a scenario, printable and escaped for HTML."""
    return html.escape(printable(str(value)), quote=True)


def script_json(data: object) -> str:
    """JSON safe inside a ``<script>``: no ``</script>``, no ``<!--``, no line separators."""
    text = json.dumps(data, ensure_ascii=False, allow_nan=False, default=str)
    return (
        text.replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
        .replace("\u2028", "\\u2028")
        .replace("\u2029", "\\u2029")
    )


def page(title: str, body: str, data: object) -> str:
    """A whole HTML document: styles inline, no external resource of any kind."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        'img-src data:">'
        f"<title>{esc(title)}</title><style>{STYLE}</style></head><body>\n{body}\n"
        f'<script type="application/json" id="run-data">{script_json(data)}</script>\n</body></html>\n'
    )


# --- charts -------------------------------------------------------------------------------


@dataclass
class Line:
    label: str
    points: list[tuple[float, float]]
    color: str
    dashed: bool = False


def _thin(points: list[tuple[float, float]], keep: Callable[[Sequence[float]], float]) -> list[tuple[float, float]]:
    """At most MAX_POINTS points: each bucket keeps *keep* of its values (min for an SLI,
    so a dip never disappears; max for a burn)."""
    if len(points) <= MAX_POINTS:
        return points
    size = math.ceil(len(points) / MAX_POINTS)
    return [(points[i][0], keep([v for _, v in points[i : i + size]])) for i in range(0, len(points), size)]


def svg_chart(
    lines: Sequence[Line],
    x_range: tuple[float, float],
    y_range: tuple[float, float],
    *,
    y_format: Callable[[float], str],
    x_format: Callable[[float], str],
    marks: Sequence[tuple[float, str, str]] = (),
    thresholds: Sequence[tuple[float, str]] = (),
    width: int = 1100,
    height: int = 220,
    log: bool = False,
    chart_class: str = "chart",
) -> str:
    """A line chart: *lines* over *x_range*, vertical *marks* (t, label, color), horizontal
    *thresholds* (value, label); a log y scale when *log* (values below the range's
    bottom sit on it)."""
    left, right, top, bottom = 64, 12, 10, 34
    w, h = width - left - right, height - top - bottom
    shown = [line for line in lines if not line.label.startswith("_")]
    per_row = 3 if max((len(line.label) for line in shown), default=0) <= 40 else 1
    height += 14 * ((len(shown) + per_row - 1) // per_row)  # the legend, under the axis
    x0, x1 = x_range
    y0, y1 = y_range
    span = (x1 - x0) or 1.0

    def fy(v: float) -> float:
        if log:
            v = max(v, y0)
            frac = (math.log10(v) - math.log10(y0)) / ((math.log10(y1) - math.log10(y0)) or 1.0)
        else:
            frac = (v - y0) / ((y1 - y0) or 1.0)
        return top + h - max(0.0, min(1.0, frac)) * h

    def fx(t: float) -> float:
        return left + (t - x0) / span * w

    out = [
        (
            f'<svg class="{chart_class}" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
        )
    ]
    out.append(f'<rect x="{left}" y="{top}" width="{w}" height="{h}" fill="#fff" stroke="#ccc"/>')
    ticks = (
        [y0 * (10**k) for k in range(12) if y0 * 10**k <= y1 * 1.0001]
        if log
        else [y0 + (y1 - y0) * k / 4 for k in range(5)]
    )
    for v in ticks:
        y = fy(v)
        out.append(f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#eee"/>')
        out.append(f'<text x="{left - 6}" y="{y + 4:.1f}" text-anchor="end">{esc(y_format(v))}</text>')
    for t in nice_ticks(x0, x1):
        x = fx(t)
        anchor = "end" if x > left + w - 40 else "middle"
        out.append(f'<text x="{x:.1f}" y="{top + h + 14}" text-anchor="{anchor}">{esc(x_format(t))}</text>')
    for value, label in thresholds:
        y = fy(value)
        out.append(
            f'<line x1="{left}" x2="{left + w}" y1="{y:.1f}" y2="{y:.1f}" stroke="#c62828" stroke-dasharray="4 3">'
            f"<title>{esc(label)}</title></line>"
        )
    for t, label, color in marks:
        if x0 <= t <= x1:
            x = fx(t)
            out.append(
                f'<line class="mark" x1="{x:.1f}" x2="{x:.1f}" y1="{top}" y2="{top + h}" stroke="{color}" '
                f'stroke-width="1.5" opacity="0.75"><title>{esc(label)}</title></line>'
            )
    for line in lines:
        if not line.points:
            continue
        pts = " ".join(f"{fx(t):.1f},{fy(v):.1f}" for t, v in line.points)
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        out.append(
            f'<polyline class="series" fill="none" stroke="{line.color}" stroke-width="1.6"{dash} points="{pts}">'
            f"<title>{esc(line.label)}</title></polyline>"
        )
    for i, line in enumerate(shown):
        x, y = left + (i % per_row) * (w // per_row), top + h + 30 + 14 * (i // per_row)
        dash = ' stroke-dasharray="5 3"' if line.dashed else ""
        out.append(
            f'<line x1="{x}" x2="{x + 18}" y1="{y - 4}" y2="{y - 4}" stroke="{line.color}" stroke-width="2"{dash}/>'
        )
        out.append(f'<text x="{x + 22}" y="{y}">{esc(line.label)}</text>')
    out.append("</svg>")
    return "".join(out)


#: tick spacings of a time axis, in seconds
_STEPS = (1, 5, 10, 15, 30, 60, 120, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 172800, 604800)


def nice_ticks(x0: float, x1: float, most: int = 7) -> list[float]:
    """Round times between *x0* and *x1* (a whole number of minutes, hours, days), at
    most *most* of them."""
    span = max(x1 - x0, 1e-9)
    step = next((s for s in _STEPS if span / s <= most), _STEPS[-1] * math.ceil(span / (_STEPS[-1] * most)))
    first = math.ceil(x0 / step) * step
    return [first + k * step for k in range(int((x1 - first) // step) + 1)]


@dataclass
class Lane:
    """One row of a timeline: spans (t0, t1, label, color) and points (t, label, color, shape)."""

    label: str
    spans: list[tuple[float, float, str, str]]
    points: list[tuple[float, str, str, str]]


def svg_timeline(
    lanes: Sequence[Lane], x_range: tuple[float, float], x_format: Callable[[float], str], width: int = 1100
) -> str:
    """Lanes of spans and marks on one time axis (an incident's story)."""
    left, right, top, row = 190, 12, 8, 22
    height = top + row * len(lanes) + 30
    w = width - left - right
    x0, x1 = x_range
    span = (x1 - x0) or 1.0

    def fx(t: float) -> float:
        return left + (min(max(t, x0), x1) - x0) / span * w

    out = [
        (
            f'<svg class="timeline" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" role="img">'
        )
    ]
    for i, lane in enumerate(lanes):
        y = top + i * row
        out.append(f'<rect x="{left}" y="{y}" width="{w}" height="{row - 2}" fill="{"#fafafa" if i % 2 else "#fff"}"/>')
        out.append(f'<text x="{left - 6}" y="{y + 14}" text-anchor="end">{esc(lane.label)}</text>')
        for t0, t1, label, color in lane.spans:
            a, b = fx(t0), fx(t1)
            out.append(
                f'<rect class="span" x="{a:.1f}" y="{y + 4}" width="{max(2.0, b - a):.1f}" height="{row - 10}" '
                f'fill="{color}" opacity="0.8"><title>{esc(label)}</title></rect>'
            )
        for t, label, color, shape in lane.points:
            x = fx(t)
            cy = y + row / 2 - 1
            if shape == "x":
                out.append(
                    f'<path class="point" d="M{x - 4:.1f},{cy - 4:.1f}L{x + 4:.1f},{cy + 4:.1f}M{x - 4:.1f},{cy + 4:.1f}'
                    f'L{x + 4:.1f},{cy - 4:.1f}" stroke="{color}" stroke-width="2"><title>{esc(label)}</title></path>'
                )
            else:
                out.append(
                    f'<circle class="point" cx="{x:.1f}" cy="{cy:.1f}" r="4.5" fill="{color}">'
                    f"<title>{esc(label)}</title></circle>"
                )
    base = top + row * len(lanes) + 14
    for t in nice_ticks(x0, x1):
        x = fx(t)
        anchor = "end" if x > left + w - 40 else "middle"
        out.append(f'<text x="{x:.1f}" y="{base}" text-anchor="{anchor}">{esc(x_format(t))}</text>')
    out.append("</svg>")
    return "".join(out)


def table(header: Sequence[str], rows: Iterable[Sequence[object]], raw: bool = False) -> str:
    """An HTML table; cells escaped unless *raw* (cells already HTML)."""
    head = "".join(f"<th>{esc(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c if raw else esc(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def markdown(text: str) -> str:
    """The postmortems' markdown (headings, lists, paragraphs, emphasis-free), escaped."""
    out: list[str] = []
    in_list = False
    for raw_line in text.splitlines():
        line = raw_line.rstrip()
        if line.startswith(("- ", "* ")):
            if not in_list:
                out.append("<ul>")
                in_list = True
            out.append(f"<li>{esc(line[2:])}</li>")
            continue
        if in_list:
            out.append("</ul>")
            in_list = False
        if line.startswith("#"):
            level = min(6, len(line) - len(line.lstrip("#")) + 2)
            out.append(f"<h{level}>{esc(line.lstrip('#').strip())}</h{level}>")
        elif line:
            out.append(f"<p>{esc(line)}</p>")
    if in_list:
        out.append("</ul>")
    return "".join(out)


# --- the run's report ---------------------------------------------------------------------


def _clock(start: datetime | None) -> Callable[[float], str]:
    """Virtual time, and the wall clock it stands for (UTC) when the scenario has a start."""

    def fmt(t: float) -> str:
        v = format_vtime(t).removeprefix("T+")
        if start is None:
            return v
        wall = (start + timedelta(seconds=t)).astimezone(UTC)
        return f"{v} ({wall:%H:%M})"

    return fmt


def _burns(samples: Sequence[Any], length: float, step: float, objective: float) -> list[tuple[float, float]]:
    """The burn over a window of *length* at each sample, from the series (bad = (1 - SLI)
    x requests): before the first sample, the window is taken as full of good requests at
    the first sample's rate, as the monitor starts."""
    n = max(1, math.ceil(length / step - 1e-9))
    budget = 1 - objective
    if not samples or budget <= 0:
        return []
    first = samples[0].requests
    bad_sum, total_sum = 0.0, first * n
    bads: list[float] = []
    totals: list[float] = []
    out = []
    for s in samples:
        bad, total = (1 - s.sli) * s.requests, s.requests
        bads.append(bad)
        totals.append(total)
        bad_sum += bad
        total_sum += total
        k = len(bads) - n - 1
        if k >= 0:
            bad_sum -= bads[k]
            total_sum -= totals[k]
        else:
            total_sum -= first
        out.append((s.t, max(0.0, bad_sum) / total_sum / budget if total_sum > 0 else 0.0))
    return out


def _marks(trace: Any) -> list[tuple[float, str, str]]:
    """Faults, recoveries, deploys, rollbacks and canary steps, as chart marks."""
    from bus.messages import CanaryStep, Deployed, FaultCleared, FaultStarted, RolledBack

    out = []
    for env in trace:
        m = env.msg
        if isinstance(m, FaultStarted):
            out.append((env.t, f"fault {m.fault} on {m.service} (health x{m.health:g})", "#c62828"))
        elif isinstance(m, FaultCleared):
            out.append((env.t, f"fault {m.fault} on {m.service} cleared", "#2e7d32"))
        elif isinstance(m, Deployed):
            out.append((env.t, f"deployed {m.release} to {m.service}" + (" (canary)" if m.canary else ""), "#1565c0"))
        elif isinstance(m, RolledBack):
            out.append((env.t, f"rolled back {m.bad} -> {m.to} on {m.service}", "#6a1b9a"))
        elif isinstance(m, CanaryStep):
            out.append((env.t, f"canary {m.release} at {m.weight:.0%}: {m.result}", "#00838f"))
    return out


def _slo_section(scenario: Any, trace: Any, end: float, fmt: Callable[[float], str]) -> str:
    from scenarios.tiers import tier_specs

    series = trace.series
    marks = _marks(trace)
    step = scenario.monitor.sample_every
    parts = ["<h2>SLOs: SLI, burn rates, budget left</h2>"]
    parts.append(
        '<p class="meta">Marks: <span style="color:#c62828">faults</span>, '
        '<span style="color:#2e7d32">recoveries</span>, <span style="color:#1565c0">deploys</span>, '
        '<span style="color:#6a1b9a">rollbacks</span>, <span style="color:#00838f">canary steps</span> '
        "(hover for details). Burn rates are computed from the SLI series over each rule's windows; dashed red "
        "lines are the rules' thresholds.</p>"
    )
    defs = {}
    for d in scenario.slos:
        for service in d.service:
            defs[d.name if len(d.service) == 1 else f"{service}:{d.name}"] = d
    for column in series.columns:
        samples = series.samples(slo=column.slo)
        if not samples:
            continue
        d = defs.get(column.slo)
        x = (0.0, max(end, samples[-1].t))
        low = min(s.sli for s in samples)
        floor = min(column.objective - (1 - column.objective) * 2, low)
        parts.append(
            f'<h3>{esc(column.slo)} <span class="meta">on {esc(column.service)}, objective '
            f"{column.objective:.4g}</span></h3>"
        )
        sli = Line("SLI", _thin([(s.t, s.sli) for s in samples], min), COLORS[0])
        parts.append(
            svg_chart(
                [sli],
                x,
                (max(0.0, floor), 1.0),
                y_format=lambda v: f"{v:.2%}",
                x_format=fmt,
                marks=marks,
                thresholds=[(column.objective, f"objective {column.objective:.4g}")],
                height=170,
            )
        )
        if d is not None and d.policy != "two-window":
            specs = [t for t in tier_specs(d) if not t.absent]
            lines: list[Line] = []
            thresholds: list[tuple[float, str]] = []
            lengths = sorted({w for t in specs for w in (t.long, t.short) if w})
            for i, length in enumerate(lengths):
                points = _thin(_burns(samples, length, step, column.objective), max)
                lines.append(Line(f"burn over {format_duration(length)}", points, COLORS[(i + 1) % len(COLORS)]))
            for t in specs:
                windows = format_duration(t.long) + (f"/{format_duration(t.short)}" if t.short else "")
                thresholds.append((t.factor, f"{t.name}: {t.factor:g}x over {windows} ({t.severity})"))
            top = max([1.0, *(v for line in lines for _, v in line.points), *(f for f, _ in thresholds)]) * 1.5
            parts.append(
                svg_chart(
                    lines,
                    x,
                    (0.1, 10 ** math.ceil(math.log10(top))),
                    y_format=lambda v: f"{v:g}x",
                    x_format=fmt,
                    marks=marks,
                    thresholds=thresholds,
                    height=200,
                    log=True,
                )
            )
        budget = Line("error budget left", _thin([(s.t, s.budget_remaining) for s in samples], min), COLORS[2])
        lowest = min(0.0, *(v for _, v in budget.points))
        parts.append(
            svg_chart([budget], x, (lowest, 1.0), y_format=lambda v: f"{v:.0%}", x_format=fmt, marks=marks, height=140)
        )
    return "".join(parts)


def _incident_lanes(d: Any, trace: Any, incident: str, end: float) -> tuple[list[Lane], tuple[float, float]]:
    """The lanes of one incident: its alerts, notifications, pages per person,
    escalations, acks, hand-offs, dropped acks, resolution."""
    from bus.messages import AlertFired, AlertPending, AlertResolved, IncidentResolved, Notified

    opened = d.opened.get(incident)
    mine = d.by_incident.get(incident, [])
    if opened is None:
        return [], (0.0, end)
    alerts = set(opened.msg.alerts)
    fired = {e.msg.alert: e for e in d.alerts if e.msg.alert in alerts} if alerts else {}
    if not fired:
        services = set(opened.msg.affected)
        fired = {e.msg.alert: e for e in d.alerts if e.msg.service in services and e.t <= opened.t}
    resolved = {e.msg.alert: e.t for e in trace if isinstance(e.msg, AlertResolved) and e.msg.alert in fired}
    pending = {
        e.msg.alert: e.t
        for e in trace
        if isinstance(e.msg, AlertPending) and e.msg.state == "pending" and e.msg.alert in fired
    }
    ends = [e.t for e in mine if isinstance(e.msg, IncidentResolved)]
    t_end = max([*(ends or [end]), *resolved.values()], default=end)
    t_start = min([opened.t, *(e.t for e in fired.values())])
    lanes: list[Lane] = []
    alert_lane = Lane(f"alerts: {len(fired)} firing", [], [])
    for alert, env in fired.items():
        m: AlertFired = env.msg
        if alert in pending and pending[alert] < env.t:
            alert_lane.spans.append((pending[alert], env.t, f"{alert} {m.service}/{m.symptom} pending", "#ffcc80"))
        alert_lane.spans.append(
            (
                env.t,
                resolved.get(alert, t_end),
                f"{alert} {m.service}/{m.symptom} {m.severity} {m.action}: {m.reason}",
                "#e53935" if m.action == "page" else "#fb8c00",
            )
        )
    lanes.append(alert_lane)
    seqs = {env.seq for env in fired.values()}
    receivers: dict[str, Lane] = {}
    for env in trace:
        if isinstance(env.msg, Notified) and seqs & set(env.msg.firing):
            lane = receivers.setdefault(env.msg.receiver, Lane(f"notified: {env.msg.receiver}", [], []))
            lane.points.append((env.t, f"{env.msg.group}: {env.msg.summary()}", "#5e35b1", "o"))
    lanes.extend(receivers.values())
    lanes.extend(_story_lanes(mine))
    pad = max(60.0, (t_end - t_start) * 0.04)
    return lanes, (max(0.0, t_start - pad), t_end + pad)


def _story_lanes(mine: Sequence[Any]) -> list[Lane]:
    """Pages per person, escalations and hand-offs, acks (dropped ones crossed, with the
    fault rule), steps and the resolution, from an incident's envelopes."""
    from bus.messages import Escalated, EscalationExhausted, HandedOff, IncidentResolved, Page, PageAcked, StepTaken

    people: dict[str, Lane] = {}
    events = Lane("escalations, hand-offs", [], [])
    acks = Lane("acks", [], [])
    steps = Lane("steps, resolution", [], [])
    for env in mine:
        m = env.msg
        if isinstance(m, Page):
            lane = people.setdefault(m.responder, Lane(f"paged: {m.responder}", [], []))
            lane.points.append((env.t, f"page {m.level} {m.responder}: {m.summary()}", "#1565c0", "o"))
        elif isinstance(m, PageAcked) and env.dropped_for:
            rule = ", ".join(f.rule for f in env.faults if f.action == "drop")
            acks.points.append((env.t, f"ack by {m.responder} DROPPED ({rule})", "#c62828", "x"))
        elif isinstance(m, PageAcked):
            acks.points.append((env.t, f"ack by {m.responder} ({m.level})", "#2e7d32", "o"))
        elif isinstance(m, Escalated):
            events.points.append((env.t, f"escalated {m.from_level} -> {m.to_level}: {m.reason}", "#ef6c00", "o"))
        elif isinstance(m, HandedOff):
            events.points.append((env.t, f"{m.responder} hands off: {m.reason}", "#8e24aa", "o"))
        elif isinstance(m, EscalationExhausted):
            events.points.append((env.t, f"ladder exhausted: {m.reason}", "#c62828", "x"))
        elif isinstance(m, StepTaken | IncidentResolved):
            steps.points.append((env.t, m.summary(), "#00897b" if isinstance(m, StepTaken) else "#2e7d32", "o"))
    return [*people.values(), events, acks, steps]


def _routing_section(trace: Any, d: Any) -> str:
    from actors.report.placements import placements_in
    from bus.messages import AlertMuted, Notified

    groups: dict[int, list[tuple[str, str]]] = {}
    muted: dict[str, list[str]] = {}
    for env in trace:
        if isinstance(env.msg, AlertMuted) and env.msg.muted:
            muted.setdefault(env.msg.alert, []).append(f"{format_vtime(env.t)} {env.msg.by}")
        if isinstance(env.msg, Notified):
            for seq in env.msg.firing:
                entry = (env.msg.group, env.msg.receiver)
                if entry not in groups.setdefault(seq, []):
                    groups[seq].append(entry)
    placed = {p.alert: p for p in placements_in(trace)}
    rows = []
    for env in d.alerts:
        m = env.msg
        route = "<br>".join(f"{esc(g)} &rarr; <b>{esc(r)}</b>" for g, r in groups.get(env.seq, [])) or "-"
        p = placed.get(m.alert)
        where = f"{esc(p.incident or 'no incident')}: {esc(p.reason)}" if p else "-"
        labels = ", ".join(f"{k}={v}" for k, v in sorted(m.labels.items()))
        silenced = "<br>".join(esc(x) for x in muted.get(m.alert, [])) or "-"
        rows.append(
            [
                esc(format_vtime(env.t)),
                esc(m.alert),
                esc(f"{m.service}/{m.symptom}"),
                esc(m.severity),
                esc(labels),
                route,
                silenced,
                where,
            ]
        )
    if not rows:
        return "<h2>Routing</h2><p>No alert fired.</p>"
    return (
        '<h2>Routing</h2><p class="meta">Each alert: its labels, the aggregation group(s) and receiver(s) '
        "Alertmanager notified (route path and group labels), what muted it in Alertmanager (a silence, an inhibit "
        "rule and its source alert, a time interval), and where the correlator placed it (root, grouped or "
        "inhibited, and by what).</p>"
        + table(
            [
                "fired",
                "alert",
                "service/symptom",
                "severity",
                "labels",
                "route -> receiver",
                "muted (silence, inhibition)",
                "placement",
            ],
            rows,
            raw=True,
        )
    )


def run_report(
    scenario: Scenario,
    result: Any,
    d: Digest,
    verdicts: Sequence[Verdict],
    *,
    seed: int,
    replay: str,
    code: int,
) -> str:
    """The whole report of one run, as one HTML document."""
    from actors.report.digest import pages_per_responder

    trace = result.trace
    end = result.ended_at
    start = scenario.start
    fmt = _clock(start)
    passed = sum(v.passed for v in verdicts)
    verdict = {0: "PASS", 1: "FAIL", 3: "CRASH"}.get(code, str(code))
    body = [
        f"<h1>{esc(scenario.name)}</h1>",
        f'<p class="meta">{esc(scenario.description.strip())}</p>' if scenario.description else "",
        f"<p>Seed <b>{seed}</b>; ran to {esc(format_vtime(end))} ({esc(result.ending)})"
        + (f", from {esc(start.isoformat())}" if start else "")
        + f". Replay exactly: <code>{esc(replay)}</code></p>",
        (
            f'<p>Eval gate: <span class="{"pass" if code == 0 else "fail"}" id="verdict">{verdict}</span> '
            f"({passed}/{len(verdicts)} checks)</p>"
        ),
        "<h2>Eval gate</h2>",
        table(
            ["", "check", "figure"],
            [
                [
                    f'<span class="{"pass" if v.passed else "fail"}">{"PASS" if v.passed else "FAIL"}</span>',
                    esc(v.name),
                    esc(v.figure),
                ]
                for v in verdicts
            ],
            raw=True,
        ),
    ]
    rows = [
        [
            m.incident,
            m.root,
            m.severity,
            m.alerts,
            _dur(m.time_to_ack),
            _dur(m.time_to_resolve),
            m.level or "-",
            m.pages,
            "exhausted" if m.exhausted else "",
        ]
        for m in d.incidents.values()
    ]
    body.append("<h2>Incidents</h2>")
    body.append(
        table(["incident", "root cause", "sev", "alerts", "ack", "resolve", "level", "pages", "notes"], rows)
        if rows
        else "<p>No incident opened.</p>"
    )
    pages = pages_per_responder(d)
    if pages:
        body.append("<p>Pages per person: " + esc(", ".join(f"{k} {v}" for k, v in pages.items())) + "</p>")
    body.append('<h2>Incident timelines</h2><p class="meta">Hover a mark for the message.</p>')
    for incident in d.incidents:
        lanes, x = _incident_lanes(d, trace, incident, end)
        if lanes:
            body.append(f'<h3 id="timeline-{esc(incident)}">{esc(incident)}</h3>')
            body.append(svg_timeline(lanes, x, fmt))
    body.append(_slo_section(scenario, trace, end, fmt))
    body.append(_routing_section(trace, d))
    body.append("<h2>Postmortems</h2>")
    if d.postmortems:
        for incident, pm in d.postmortems.items():
            body.append(f'<details class="pm" open><summary>{esc(incident)}</summary>{markdown(pm.markdown)}</details>')
    else:
        body.append("<p>None written.</p>")
    data = {
        "scenario": scenario.name,
        "seed": seed,
        "replay": replay,
        "ending": result.ending,
        "ended_at_s": end,
        "verdict": verdict,
        "checks": [{"name": v.name, "passed": v.passed, "figure": v.figure} for v in verdicts],
        "incidents": [
            {
                "incident": m.incident,
                "root": m.root,
                "severity": m.severity,
                "tta_s": m.time_to_ack,
                "ttr_s": m.time_to_resolve,
                "exhausted": m.exhausted,
            }
            for m in d.incidents.values()
        ],
    }
    return page(f"{scenario.name}: seed {seed}", "".join(body), data)


def _dur(s: float | None) -> str:
    return "-" if s is None else format_duration(round(s))


# --- the sweep's report --------------------------------------------------------------------


def sweep_report(title: str, summary: dict[str, Any], failing: Sequence[tuple[str, str]], tables_html: str) -> str:
    """A sweep as one HTML document: P(acked by t) per variant with its 95% band, the
    time-to-ack distributions, the on-call load per person, the figures and comparisons,
    and every failing seed with its replay command."""
    variants = summary["variants"]
    body = [f"<h1>{esc(title)}</h1>", f'<p class="meta">{esc(summary.get("executor", ""))}</p>']
    body.append("<h2>P(acknowledged by t)</h2>")
    body.append(
        '<p class="meta">Kaplan-Meier over each variant\'s paged seeds (a seed not acked by the end is censored, not '
        "dropped); the dashed lines are the 95% pointwise band (Greenwood).</p>"
    )
    lines: list[Line] = []
    right = 60.0
    for i, (name, v) in enumerate(variants.items()):
        tta = v["tta"]
        curve = tta.get("curve", [])
        band = tta.get("band", [])
        color = COLORS[i % len(COLORS)]
        steps = _steps([(0.0, 0.0), *((t, s) for t, s in curve)])
        lines.append(
            Line(
                f"{_letter(i)}: {name} ({tta.get('paged_seeds', 0)} paged, {tta.get('censored', 0)} censored)",
                steps,
                color,
            )
        )
        if band:
            lines.append(
                Line(f"_{name}: low", _steps([(0.0, 0.0), *((t, lo) for t, lo, _ in band)]), color, dashed=True)
            )
            lines.append(
                Line(f"_{name}: high", _steps([(0.0, 0.0), *((t, hi) for t, _, hi in band)]), color, dashed=True)
            )
        right = max(right, *(t * 1.15 for t, _ in curve))
    if lines:
        for line in lines:
            if line.points:
                line.points.append((right, line.points[-1][1]))
        body.append(
            svg_chart(
                lines,
                (0.0, right),
                (0.0, 1.0),
                y_format=lambda v: f"{v:.0%}",
                x_format=lambda t: format_duration(round(t)),
                height=300,
                chart_class="chart curve",
            )
        )
    body.append("<h2>Time to acknowledge, per variant</h2>")
    for i, (name, v) in enumerate(variants.items()):
        hist = v.get("tta_histogram") or []
        if hist:
            body.append(f"<h3>{esc(name)}</h3>" + _bars(hist, COLORS[i % len(COLORS)]))
    body.append("<h2>On-call load per person</h2>")
    people = sorted({p for v in variants.values() for p in v["load"]})
    if people:
        rows = [
            [p, *(f"{v['load'][p]['pages_per_run']:.2f}" if p in v["load"] else "-" for v in variants.values())]
            for p in people
        ]
        body.append(_load_bars(variants, people))
        body.append(table(["person (pages per run)", *variants], rows))
    body.append("<h2>Figures</h2>" + tables_html)
    body.append("<h2>Failing seeds</h2>")
    if failing:
        body.append(table(["variant", "replay"], [[v, f"<code>{esc(cmd)}</code>"] for v, cmd in failing], raw=False))
    else:
        body.append("<p>Every seed held every check.</p>")
    return page(title, "".join(body), summary)


def _steps(points: Sequence[tuple[float, float]]) -> list[tuple[float, float]]:
    """A step function's corners: flat until each point, then up."""
    out: list[tuple[float, float]] = []
    for t, v in points:
        if out:
            out.append((t, out[-1][1]))
        out.append((t, v))
    return out


def _bars(hist: Sequence[tuple[str, float]], color: str, width: int = 700) -> str:
    """A horizontal bar chart of (label, count)."""
    row = 18
    peak = max((n for _, n in hist), default=1) or 1
    height = row * len(hist) + 6
    out = [f'<svg class="chart bars" xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}">']
    for i, (label, n) in enumerate(hist):
        y = 3 + i * row
        w = (width - 260) * n / peak
        out.append(f'<text x="150" y="{y + 12}" text-anchor="end">{esc(label)}</text>')
        out.append(
            f'<rect x="156" y="{y + 2}" width="{max(1.0, w):.1f}" height="{row - 5}" fill="{color}"><title>'
            f"{esc(label)}: {n}</title></rect>"
        )
        out.append(f'<text x="{160 + w:.1f}" y="{y + 12}">{n}</text>')
    out.append("</svg>")
    return "".join(out)


def _letter(i: int) -> str:
    return chr(ord("A") + i) if i < 26 else str(i)


def _load_bars(variants: dict[str, Any], people: Sequence[str]) -> str:
    """Pages per run of each person under each variant (A, B, ... as in the curves)."""
    hist = []
    for p in people:
        for i, v in enumerate(variants.values()):
            x = v["load"].get(p)
            if x is not None:
                hist.append((f"{p} ({_letter(i)})", round(x["pages_per_run"], 2)))
    return _bars(hist, COLORS[3])
