"""RSS over time: one panel per configuration, repeats overlaid, spikes and VmHWM marked, and
with solver.phase_pattern the program's phases as named bands (those of the first repeat).

A campaign of more than MAX_PANELS configurations shows only the ones that matter (a run not ok
or over budget, a threshold check, an outlier, the largest peak per model: highlights.focus), at
most MAX_PANELS of them; every configuration's traces are in the report's trace explorer.
"""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.transforms import blended_transform_factory

from plots import bands, style
from report import highlights

MAX_PANELS = 12


def panel_title(variant, limit, model, several_variants: bool, in_grid: bool) -> str:
    head = f"{variant} · " if several_variants else ""
    extra = "" if in_grid else "  (threshold check)"
    return f"{head}{limit:g} MB · {style.text(model)}{extra}"


def draw(data: dict, settings: dict, out_path) -> None:
    runs = style.plain(data["runs"])
    if runs.empty:
        return style.message_figure(out_path, "Memory traces", "No runs in runs.csv.")
    traces = data["traces"]
    spikes = style.plain(data["spikes"])
    spikes = spikes[spikes["detector"] == "window"]
    style.theme()
    grid = style.config_order(style.grid_runs(runs))
    groups = grid + [c for c in style.config_order(runs) if c not in grid]
    total = len(groups)
    if total > MAX_PANELS:
        wanted = set(highlights.focus(data["runs"], data["variance"]))
        groups = [g for g in groups if g in wanted][:MAX_PANELS]
    several = runs["variant"].nunique() > 1
    ncols = min(3 if len(groups) <= 24 else 4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    repeats = sorted(runs["repeat"].dropna().unique())
    handles = [
        Line2D([], [], color=style.repeat_color(r), lw=2, label=f"rep {r:g}") for r in repeats
    ]
    handles += [
        Line2D([], [], ls="", color="0.6", marker="^", label="spike (top)", **style.EDGE),
        Line2D([], [], ls="", color="0.6", marker="<", label="VmHWM (kernel)", **style.EDGE),
        Line2D([], [], color=style.FAIL_COLOR, ls="--", label="memory limit"),
    ]
    legend_rows = math.ceil(len(handles) / 9)
    width = style.WIDTH_IN
    height = 0.65 + 0.25 * legend_rows + 2.45 * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(width, height), squeeze=False)
    # a fixed layout: constrained layout costs seconds on a few dozen panels
    fig.subplots_adjust(
        left=0.65 / width,
        right=1 - 0.3 / width,
        bottom=0.55 / height,
        top=1 - (0.35 + 0.25 * legend_rows) / height,
        wspace=0.2,
        hspace=0.55 / 1.9,
    )
    for ax, (variant, limit, model) in zip(axes.flat, groups, strict=False):
        mine = (runs["variant"] == variant) & (runs["limit_mb"] == limit)
        sub = runs[mine & (runs["bucket_model"] == model)]
        draw_panel(ax, sub, traces, spikes, limit)
        bands.draw_for(ax, sub, data.get("phases", {}))
        ax.set_title(panel_title(variant, limit, model, several, sub["in_grid"].any()), loc="left")
    for ax in axes.flat[len(groups) :]:
        ax.set_visible(False)
    fig.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, 1 - 0.05 / height),
        ncols=math.ceil(len(handles) / legend_rows),
        frameon=False,
    )
    fig.text(0.5, 0.12 / height, "time since launch (s)", ha="center", fontsize=9)
    if len(groups) < total:
        note = f"{len(groups)} of {total} configurations: those that matter (see the explorer)"
        fig.text(0.99, 0.12 / height, note, ha="right", fontsize=8, color=style.MUTED)
    fig.text(0.1 / width, 0.5, "RSS (MB)", va="center", rotation=90, fontsize=9)
    style.save(fig, out_path)


def draw_panel(ax, sub, traces: dict, spikes, limit) -> None:
    """One configuration: its repeats' traces, their spikes and VmHWM, and the limit."""
    edge = blended_transform_factory(ax.transAxes, ax.transData)
    top, notes, drawn = 0.0, [], []
    for _, run in sub.sort_values("repeat").iterrows():
        color = style.repeat_color(run["repeat"])
        trace = traces.get(run["run_dir"])
        empty = trace is None or trace.empty
        if run["status"] != "ok" or empty:
            notes.append(f"rep {run['repeat']:g}: {run['status']}" + ", no samples" * empty)
        if empty:
            continue
        t, v = style.downsample_max(trace["time_s"], trace["vmrss_kb"] / 1024)
        ax.plot(t, v, color=color, lw=1.3, alpha=0.7)
        drawn.append((t, v))
        top = max(top, float(np.nanmax(v)))
        if not np.isnan(run["hwm_mb"]):  # at the right edge, outside the data
            mark = {"marker": "<", "ms": 7, "clip_on": False, "zorder": 5, **style.EDGE}
            ax.plot(1.0, run["hwm_mb"], color=color, transform=edge, **mark)
            top = max(top, float(run["hwm_mb"]))
        own = spikes[
            (spikes["variant"] == run["variant"])
            & (spikes["limit_mb"] == run["limit_mb"])
            & (spikes["bucket_model"] == run["bucket_model"])
            & (spikes["repeat"] == run["repeat"])
        ]
        top_s = own["time_s"] + own["duration_ms"].fillna(0) / 1000
        ax.plot(top_s, own["rss_mb"], ls="", marker="^", ms=6, color=color, zorder=4, **style.EDGE)
    if top <= 0 or limit <= 1.5 * top:
        ax.axhline(limit, color=style.FAIL_COLOR, ls="--", lw=1.2)
        side = 0.99 if notes else style.label_side(drawn, limit)
        align = "right" if side > 0.5 else "left"
        ax.text(side, limit, f"limit {limit:g} MB", transform=edge, ha=align, **style.NOTE)
        ax.set_ylim(0, max(top, limit) * 1.1)
    else:
        ax.set_ylim(0, top * 1.12)
        notes.insert(0, f"limit {limit:g} MB ↑ off scale (peak = {100 * top / limit:.0f}%)")
    if notes:
        ax.text(
            0.015, 0.97, "\n".join(notes), transform=ax.transAxes, **{**style.NOTE, "va": "top"}
        )
    ax.set_xlabel("")
    ax.margins(x=0.01)
