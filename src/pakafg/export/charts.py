"""Charts in every release: `charts/timeline.{svg,png}` and `charts/claims-by-claimant.{svg,png}`.

Drawn offline with matplotlib (no pyplot, no global backend: a `Figure` saved
by its own canvas; fonts are the DejaVu Sans matplotlib ships), from the
published tables only, live records only.

**Timeline** (events by event_type over time). Precision is shown as it is
known: an event known to the day is a point (a bar when it spans days); an
event known only to the month or year is a pale hatched span covering that
whole month or year (it happened somewhere in it), never a point at a made-up
day; an event with a start but no end date (ongoing, or end unknown) trails a
dotted line to the right edge. A red ✕ marks an event a claim about which is
contradicted, differed from or denied by another claim (claim_links). Events
no source dates are counted at the right of their row, not placed. Long empty
stretches (e.g. one event in 1979, the rest since 2021) are cut out of the
axis, with break marks, so the dense years stay readable.

Above DETAILED_MAX_EVENTS dated events the timeline is aggregated: a heat map
of events per type and month (by the month they start in; per year when the
dates span more than AGGREGATE_BY_YEAR_ABOVE years); events known only to the
year are counted per year in a hatched box beside, not spread over months.
The cost is then that of counting, whatever the number of events.

**Who claims what** (claimants × speech_act): a heat map of claim counts for the
TOP_CLAIMANTS claimants with most claims, the rest summed in one row.

Same data, same bytes: SVG ids come from a fixed `svg.hashsalt`, and neither
file records a date or the matplotlib version (the bytes still depend on the
matplotlib and FreeType versions installed). Each file carries the digest of
the data it was drawn from, nothing about the code, so an edit here that draws
the same picture leaves a release's bytes alone; the chart cache's key adds this
module's source and the matplotlib version (`drawing_key`).
"""

from __future__ import annotations

import hashlib
import json
from datetime import date, timedelta
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from ..schemas import PackageSpec

FOLDER = "charts"
MEDIATYPES = {"svg": "image/svg+xml", "png": "image/png"}
TIMELINE = "timeline"
CLAIMANTS = "claims-by-claimant"
DETAILED_MAX_EVENTS = 400
AGGREGATE_BY_YEAR_ABOVE = 30
TOP_CLAIMANTS = 15
DISAGREEMENT_RELATIONS = ("contradicts", "differs", "denies")
DPI = 100
WIDTH = 11.0  # inches: 1100 px PNG
SALT = "pakafg"
PALETTE = (0, 2, 4, 8, 10, 12, 14, 16, 18, 1, 3, 5, 9, 11, 13, 15, 17, 19)  # tab20 without its reds: red marks disagreement
DIGEST_PREFIX = "pakafg chart data sha256:"


def file_format(path: Path) -> tuple[str, str]:
    """(format, mediatype) of a chart file, for datapackage.json's `pakafg:files`."""
    fmt = path.suffix.lstrip(".")
    return fmt, MEDIATYPES[fmt]


# --- data ----------------------------------------------------------------------

def _live(table: pa.Table) -> pa.Table:
    if "status" in table.column_names:
        return table.filter(pc.equal(table["status"], "active"))
    return table


def _enum(spec: PackageSpec, table: str, field: str) -> list[str]:
    try:
        return list(spec.tables[table].field(field).get("constraints", {}).get("enum", []))
    except KeyError:
        return []


def disputed_claims(tables: dict[str, pa.Table]) -> pa.Array:
    """IDs of the claims on either side of a contradicts / differs / denies link."""
    links = tables["claim_links"]
    links = links.filter(pc.is_in(links["relation"], pa.array(DISAGREEMENT_RELATIONS)))
    return pc.unique(pa.concat_arrays([links["claim_id"].combine_chunks().cast(pa.string()),
                                       links["other_claim_id"].combine_chunks().cast(pa.string())]))


def timeline_data(spec: PackageSpec, tables: dict[str, pa.Table]) -> dict:
    """What the timeline shows, as plain JSON-able values (sorted: the same tables give the same dict)."""
    events = _live(tables["events"])
    claims = _live(tables["claims"])
    disputed = claims.filter(pc.and_(pc.is_in(claims["claim_id"], disputed_claims(tables)), pc.is_valid(claims["event_id"])))
    disputed_events = set(pc.unique(disputed["event_id"]).to_pylist())
    order = [t for t in _enum(spec, "events", "event_type")]
    cols = {c: events[c].to_pylist() for c in ("event_id", "event_type", "date_start", "date_end", "date_precision")}
    dated, undated = [], {}
    for eid, etype, start, end, precision in zip(*cols.values()):
        if etype not in order:
            order.append(etype)
        if start is None:
            undated[etype] = undated.get(etype, 0) + 1
            continue
        dated.append([etype, start.isoformat(), end.isoformat() if end else None, precision or "day", eid in disputed_events])
    dated.sort(key=lambda d: (d[0], d[1], d[2] or "", d[3], d[4]))
    with_dates = {d[0] for d in dated}
    present = [t for t in order if t in undated or t in with_dates]
    return {"types": present, "dated": dated, "undated": {t: undated[t] for t in present if t in undated}}


def claimant_data(spec: PackageSpec, tables: dict[str, pa.Table], top: int = TOP_CLAIMANTS) -> dict:
    """Claim counts by claimant (top `top` by count, then the rest summed) and speech act."""
    claims = _live(tables["claims"])
    counts = claims.group_by(["claimant_actor_id", "speech_act"]).aggregate([([], "count_all")]).to_pylist()
    actors = tables["actors"]
    names = dict(zip(actors["actor_id"].to_pylist(), actors["name"].to_pylist()))
    totals: dict[str, int] = {}
    for row in counts:
        totals[row["claimant_actor_id"]] = totals.get(row["claimant_actor_id"], 0) + row["count_all"]
    ranked = sorted(totals, key=lambda a: (-totals[a], a))
    shown, rest = ranked[:top], set(ranked[top:])
    acts = [a for a in _enum(spec, "claims", "speech_act")]
    acts += sorted({r["speech_act"] for r in counts} - set(acts))
    used = [a for a in acts if any(r["speech_act"] == a for r in counts)]
    rows = [[names.get(a) or a, a] for a in shown]
    matrix = {a: [0] * len(used) for a in shown}
    other = [0] * len(used)
    for row in counts:
        j = used.index(row["speech_act"])
        if row["claimant_actor_id"] in rest:
            other[j] += row["count_all"]
        else:
            matrix[row["claimant_actor_id"]][j] += row["count_all"]
    out = {"speech_acts": used, "rows": [[label, aid, matrix[aid]] for label, aid in rows], "claims": claims.num_rows,
           "claimants": len(ranked)}
    if rest:
        out["other"] = {"claimants": len(rest), "counts": other}
    return out


def _digest(kind: str, data: dict) -> str:
    """The digest of what a chart shows (written into its files)."""
    return hashlib.sha256(json.dumps([kind, data], sort_keys=True, separators=(",", ":")).encode()).hexdigest()


def drawing_key(digest: str) -> str:
    """What decides a chart's bytes: its data digest, this drawing code and the matplotlib version (the cache's key)."""
    from importlib.metadata import version

    return hashlib.sha256(f"{digest}\0{version('matplotlib')}\0".encode() + Path(__file__).read_bytes()).hexdigest()


# --- drawing -------------------------------------------------------------------

def _rc() -> dict:
    return {"svg.hashsalt": SALT, "font.family": "DejaVu Sans", "font.size": 9, "axes.titlesize": 11,
            "svg.fonttype": "path", "path.simplify": True}


def _save(fig, out: Path, stem: str, digest: str) -> list[Path]:
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    FigureCanvasAgg(fig)
    description = DIGEST_PREFIX + digest
    svg, png = out / f"{stem}.svg", out / f"{stem}.png"
    fig.savefig(svg, format="svg", metadata={"Date": None, "Creator": "pakafg", "Description": description})
    fig.savefig(png, format="png", dpi=DPI, metadata={"Software": None, "Description": description})
    return [svg, png]


def _end_of_period(start: date, precision: str) -> date:
    """The last day of the month or year `start` (its first day) stands for."""
    if precision == "year":
        return date(start.year, 12, 31)
    if precision == "month":
        following = date(start.year + (start.month == 12), start.month % 12 + 1, 1)
        return following - timedelta(days=1)
    return start


def _segments(intervals: list[tuple[float, float]], max_cuts: int = 2) -> list[tuple[float, float]]:
    """The x ranges to draw: the span of `intervals`, cut at up to `max_cuts` empty gaps longer than 30% of it (and 2 years)."""
    lo, hi = min(a for a, _ in intervals), max(b for _, b in intervals)
    merged: list[list[float]] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    gaps = sorted(((merged[i + 1][0] - merged[i][1], i) for i in range(len(merged) - 1)), reverse=True)
    cuts = sorted(i for g, i in gaps[:max_cuts] if g > 0.3 * (hi - lo) and g > 730)
    bounds, start = [], lo
    for i in cuts:
        bounds.append((start, merged[i][1]))
        start = merged[i + 1][0]
    bounds.append((start, hi))
    return bounds


def _axes(fig, segments: list[tuple[float, float]], height_rows: float):
    """One axis per segment, side by side, sharing y; widths follow the segments' lengths (each at least 12%)."""
    spans = [max(b - a, 1.0) for a, b in segments]
    widths = [max(s, 0.12 * sum(spans)) for s in spans]
    axes = fig.subplots(1, len(segments), sharey=True, squeeze=False, gridspec_kw={"width_ratios": widths, "wspace": 0.04})[0]
    for i, (ax, (a, b)) in enumerate(zip(axes, segments)):
        pad = max((b - a) * 0.03, 20)
        ax.set_xlim(a - pad, b + pad)
        if i:
            ax.spines["left"].set_visible(False)
            ax.tick_params(left=False)
        if i < len(axes) - 1:
            ax.spines["right"].set_visible(False)
        for side, x in (("left", 0), ("right", 1)):  # break marks where the axis is cut
            if (side == "left" and i) or (side == "right" and i < len(axes) - 1):
                ax.plot([x - 0.012, x + 0.012], [-0.015, 0.015], transform=ax.transAxes, color="k", lw=0.8, clip_on=False)
                ax.plot([x - 0.012, x + 0.012], [0.985, 1.015], transform=ax.transAxes, color="k", lw=0.8, clip_on=False)
    return list(axes)


def _date_axis(ax) -> None:
    import matplotlib.dates as mdates

    locator = mdates.AutoDateLocator(minticks=2, maxticks=6)
    ax.xaxis.set_major_locator(locator)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(locator))
    ax.grid(axis="x", color="#dddddd", lw=0.6)
    ax.set_axisbelow(True)


def _items(dated: list) -> list[tuple]:
    """(type, x0, x1, precision, disputed, open-ended, start) per dated event; x0, x1 are matplotlib date numbers
    (days since its epoch), x1 the day after the last day the event may cover."""
    import matplotlib.dates as mdates

    epoch = date.fromisoformat(mdates.get_epoch()[:10]).toordinal()  # date2num per event would cost 1 s at 18k events
    items = []
    for etype, start, end, precision, disputed in dated:
        s = date.fromisoformat(start)
        e = date.fromisoformat(end) if end else None
        last = max(e, _end_of_period(s, precision)) if e else _end_of_period(s, precision)
        items.append((etype, float(s.toordinal() - epoch), float(last.toordinal() + 1 - epoch), precision, disputed, e is None, s))
    return items


def zoom_window(items: list[tuple], months: int = 12) -> tuple[float, float] | None:
    """The `months` window (from a month's first day) where most events start, when the timeline spans
    over twice that and the window holds at least 40% of the events (at least 5): drawn again below, enlarged."""
    import matplotlib.dates as mdates

    if len(items) < 5:
        return None
    starts = sorted(item[6] for item in items)
    if (starts[-1] - starts[0]).days < 2 * months * 30.5:
        return None
    best, best_n = None, 0
    for first in sorted({date(d.year, d.month, 1) for d in starts}):
        last = date(first.year + (first.month - 1 + months) // 12, (first.month - 1 + months) % 12 + 1, 1)
        n = sum(first <= d < last for d in starts)
        if n > best_n:
            best, best_n = (first, last), n
    if best_n < max(5, 0.4 * len(items)):
        return None
    return mdates.date2num(best[0]), mdates.date2num(best[1])


def draw_timeline(data: dict, out: Path, digest: str) -> list[Path]:
    import matplotlib
    import matplotlib.dates as mdates
    from matplotlib.figure import Figure
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    types, dated, undated = data["types"], data["dated"], data["undated"]
    aggregate = len(dated) > DETAILED_MAX_EVENTS
    colours = {t: matplotlib.colormaps["tab20"](PALETTE[i % len(PALETTE)]) for i, t in enumerate(types)}
    rows = max(len(types), 1)
    y = {t: rows - 1 - i for i, t in enumerate(types)}
    items = _items(dated)
    if items:
        segments = _segments([(a, b) for _, a, b, *_ in items])
    else:
        segments = [(mdates.date2num(date(2000, 1, 1)), mdates.date2num(date(2001, 1, 1)))]
    zoom = None if aggregate else zoom_window(items)
    panel = 1.0 + 0.42 * rows  # inches
    legend = 0.3 if aggregate else 0.75  # inches below the panels: the legend, or what the aggregate counts
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(WIDTH, 0.45 + legend + panel * (2 if zoom else 1)))
        height = fig.get_figheight()
        panels = fig.subfigures(2, 1, height_ratios=[1, 1]) if zoom else [fig]

        def frame(axes, where):
            for ax in axes:
                _date_axis(ax)
                ax.set_ylim(-0.7, rows - 0.3)
            axes[0].set_yticks([y[t] for t in types])
            axes[0].set_yticklabels(types)
            top = 0.45 / height if where is fig else 0.35 / (height / 2 - legend / 2)
            where.subplots_adjust(left=0.12, right=0.86 if aggregate else 0.9, top=1 - top,
                                  bottom=(legend / height + 0.35 / height) if where is fig else (
                                      0.35 / panel if where is panels[0] else (legend + 0.35) / (height / 2)))

        axes = _axes(panels[0], segments, rows)
        if aggregate:
            _draw_aggregate(fig, axes, items, types, y, segments)
        else:
            _draw_detailed(axes, items, y, colours, axes[-1].get_xlim()[1])
        frame(axes, panels[0])
        if not items:  # no date axis to invent
            from matplotlib.ticker import NullFormatter, NullLocator

            axes[0].xaxis.set_major_locator(NullLocator())
            axes[0].xaxis.set_major_formatter(NullFormatter())
            axes[0].text(0.5, 0.5, "no dated events", transform=axes[0].transAxes, ha="center", va="center", color="#555555")
        for t, n in undated.items():  # undated events: counted, not placed
            axes[-1].annotate(f"+{n} undated", xy=(1, y[t]), xycoords=("axes fraction", "data"), xytext=(4, 0),
                              textcoords="offset points", va="center", fontsize=8, color="#555555")
        if zoom:
            for ax in axes:
                ax.axvspan(*zoom, color="#888888", alpha=0.12, lw=0)
            below = _axes(panels[1], [zoom], rows)
            below[0].set_xlim(*zoom)
            _draw_detailed(below, items, y, colours, zoom[1])
            frame(below, panels[1])
            first, last = mdates.num2date(zoom[0]).date(), mdates.num2date(zoom[1]).date() - timedelta(days=1)
            n = sum(zoom[0] <= x0 < zoom[1] for _, x0, *_ in items)
            below[0].set_title(f"Enlarged: {first:%b %Y} – {last:%b %Y} (shaded above; {n} of {len(items)} dated events start in it)",
                               fontsize=9, loc="left")
        n_undated = sum(undated.values())
        fig.suptitle(f"Events by type over time — {len(dated)} dated events; "
                     f"{n_undated} undated event{'s' if n_undated != 1 else ''} counted at right, not placed",
                     fontsize=10, x=0.01, ha="left", y=1 - 0.12 / height, va="top")
        if aggregate:
            unit = "year" if _by_year(segments) else "month"
            fig.text(0.01, 0.08 / height, f"Over {DETAILED_MAX_EVENTS} dated events, so counted: events per type and {unit} "
                     f"they start in{'' if unit == 'year' else '; events known only to the year in hatched boxes'}; "
                     "red ✕: a claim about one of them is disputed.", fontsize=8, color="#333333")
        if not aggregate:
            handles = [
                Line2D([], [], marker="o", ls="", color="#444444", label="known to the day"),
                Line2D([], [], lw=5, color="#444444", label="several days, known to the day"),
                Patch(facecolor="#bbbbbb", edgecolor="#444444", hatch="////", label="known only to the month or year (somewhere in it)"),
                Line2D([], [], ls=":", color="#444444", marker=">", markevery=[1], label="no end date (ongoing or unknown)"),
                Line2D([], [], marker="X", ls="", color="#d62728", label="sources disagree (contradicts / differs / denies)"),
            ]
            fig.legend(handles=handles, loc="lower center", ncol=3, frameon=False, fontsize=8)
        return _save(fig, out, TIMELINE, digest)


def _lanes(items: list[tuple], gap: float) -> list[int]:
    """A lane per item of one row, so that items in the same lane do not overlap (greedy, items in start order)."""
    ends: list[float] = []
    lanes = []
    for _, x0, x1, *_ in items:
        for i, end in enumerate(ends):
            if x0 > end + gap:
                ends[i] = x1
                lanes.append(i)
                break
        else:
            ends.append(x1)
            lanes.append(len(ends) - 1)
    return lanes


def _draw_detailed(axes, items, y, colours, right) -> None:
    total = max(sum(b - a for a, b in [ax.get_xlim() for ax in axes]), 1.0)
    by_type: dict[str, list] = {}
    for item in items:
        by_type.setdefault(item[0], []).append(item)
    for etype, group in by_type.items():
        lanes = _lanes(group, gap=total * 0.006)
        n = max(lanes) + 1
        step = min(0.22, 0.7 / n)
        for (_, x0, x1, precision, disputed, open_end, _), lane in zip(group, lanes):
            yy = y[etype] + (lane - (n - 1) / 2) * step
            colour = colours[etype]
            for ax in axes:
                if precision == "day" and x1 - x0 <= 1:
                    ax.plot([x0 + 0.5], [yy], marker="o", ms=5, color=colour, mec="#222222", mew=0.5, ls="")
                elif precision == "day":
                    ax.plot([x0, x1], [yy, yy], lw=5, color=colour, solid_capstyle="butt")
                else:
                    ax.fill_between([x0, x1], yy - step * 0.4, yy + step * 0.4, facecolor=colour, alpha=0.35,
                                    edgecolor=colour, hatch="////", lw=0.8)
                if open_end:
                    ax.plot([x1, right], [yy, yy], ls=":", lw=1, color=colour)
                    ax.plot([right], [yy], marker=">", ms=4, color=colour, clip_on=False)
                if disputed:
                    ax.plot([(x0 + x1) / 2 if precision != "day" else x0 + 0.5], [yy + step * 0.45 + 0.08], marker="X", ms=5,
                            color="#d62728", ls="")


def _by_year(segments) -> bool:
    return sum(b - a for a, b in segments) > AGGREGATE_BY_YEAR_ABOVE * 365.25


def _draw_aggregate(fig, axes, items, types, y, segments) -> None:
    """Counts per type and bin (month, or year over long spans) of the start; year-precise events per year, hatched."""
    import matplotlib.dates as mdates
    import numpy as np
    from matplotlib.colors import LogNorm

    by_year = _by_year(segments)

    def bin_of(d: date) -> date:
        return date(d.year, 1, 1) if by_year else date(d.year, d.month, 1)

    counts: dict[tuple[str, date], int] = {}
    year_only: dict[tuple[str, int], int] = {}
    disputed: set[tuple[str, date]] = set()
    for etype, _, _, precision, is_disputed, _, start in items:
        if precision == "year" and not by_year:
            key = (etype, start.year)
            year_only[key] = year_only.get(key, 0) + 1
            continue
        cell = (etype, bin_of(start))
        counts[cell] = counts.get(cell, 0) + 1
        if is_disputed:
            disputed.add(cell)
    first = min((b for _, b in counts), default=date(2000, 1, 1))
    last = max((b for _, b in counts), default=first)
    edges = [first]
    while edges[-1] <= last:
        d = edges[-1]
        edges.append(date(d.year + 1, 1, 1) if by_year else date(d.year + (d.month == 12), d.month % 12 + 1, 1))
    index = {d: i for i, d in enumerate(edges[:-1])}
    grid = np.zeros((len(types), len(edges) - 1))
    for (etype, b), n in counts.items():
        grid[y[etype], index[b]] = n
    xs = mdates.date2num(edges)
    norm = LogNorm(vmin=1, vmax=max(grid.max(), 2))
    mesh = None
    for ax in axes:
        mesh = ax.pcolormesh(xs, np.arange(len(types) + 1) - 0.5, np.ma.masked_equal(grid, 0), cmap="viridis", norm=norm,
                             shading="flat")
        for (etype, year), n in sorted(year_only.items()):
            x0, x1 = mdates.date2num(date(year, 1, 1)), mdates.date2num(date(year + 1, 1, 1))
            ax.fill_between([x0, x1], y[etype] - 0.45, y[etype] - 0.2, facecolor="none", edgecolor="#444444", hatch="////", lw=0.6)
            ax.text((x0 + x1) / 2, y[etype] - 0.32, f"{n} year-only", ha="center", va="center", fontsize=6, clip_on=True)
        if disputed:
            pts = sorted((mdates.date2num(b) + 3, y[t] + 0.3) for t, b in disputed)
            ax.plot([p[0] for p in pts], [p[1] for p in pts], marker="X", ms=2.5, ls="", color="#d62728")
    cbar = fig.colorbar(mesh, ax=axes, fraction=0.03, pad=0.08)
    cbar.set_label(f"events per {'year' if by_year else 'month'} (log scale)", fontsize=8)


def draw_claimants(data: dict, out: Path, digest: str) -> list[Path]:
    import matplotlib
    import numpy as np
    from matplotlib.figure import Figure

    acts = data["speech_acts"]
    rows = [(f"{label[:38] + '…' if len(label) > 39 else label}", counts) for label, _, counts in data["rows"]]
    if data.get("other"):
        rows.append((f"all {data['other']['claimants']} other claimants", data["other"]["counts"]))
    with matplotlib.rc_context(_rc()):
        fig = Figure(figsize=(WIDTH, 1.6 + 0.34 * max(len(rows), 1)))
        ax = fig.subplots()
        grid = np.array([c for _, c in rows], dtype=float) if rows else np.zeros((1, max(len(acts), 1)))
        ax.imshow(np.ma.masked_equal(grid, 0), cmap="Blues", aspect="auto", vmin=0, vmax=max(grid.max(), 1) * 1.15,
                  interpolation="nearest")
        top = grid.max() if grid.size else 0
        for (i, j), n in np.ndenumerate(grid):
            if n:
                ax.text(j, i, f"{int(n)}", ha="center", va="center", fontsize=8, color="white" if n > top * 0.6 else "#111111")
        ax.set_xticks(range(len(acts)))
        ax.set_xticklabels([a.replace("_", " ") for a in acts], rotation=35, ha="right")
        ax.set_yticks(range(len(rows)))
        ax.set_yticklabels([f"{label} ({int(sum(c))})" for label, c in rows])
        ax.tick_params(length=0)
        for spine in ax.spines.values():
            spine.set_visible(False)
        ax.set_xticks(np.arange(len(acts) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(rows) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="white", lw=1.5)
        ax.tick_params(which="minor", length=0)
        shown = min(len(data["rows"]), data["claimants"])
        fig.suptitle(f"Who claims what — {data['claims']} live claims by claimant and speech act "
                     f"({shown} claimants with most claims of {data['claimants']})", fontsize=10, x=0.01, ha="left")
        fig.subplots_adjust(left=0.3, right=0.98, top=1 - 0.45 / fig.get_figheight(), bottom=1.0 / fig.get_figheight())
        return _save(fig, out, CLAIMANTS, digest)


# --- release -------------------------------------------------------------------

def write(spec: PackageSpec, tables: dict[str, pa.Table], out_dir: Path, drawn=None) -> list[Path]:
    """Draw both charts into `out_dir/charts/` (SVG and PNG each); return the paths written.

    `drawn(key, paths, draw)` may supply the files of a chart already drawn for the same `drawing_key`
    (the speed layer's chart cache); by default each chart is drawn.
    """
    folder = out_dir / FOLDER
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for stem, data, draw in ((TIMELINE, timeline_data(spec, tables), draw_timeline),
                             (CLAIMANTS, claimant_data(spec, tables), draw_claimants)):
        digest = _digest(stem, data)
        paths = [folder / f"{stem}.{ext}" for ext in MEDIATYPES]
        if drawn is None:
            written += draw(data, folder, digest)
        else:
            written += drawn(drawing_key(digest), paths, lambda: draw(data, folder, digest))
    return written
