"""Each run's peak against its limit: mean per model with min-max bars, the budget line, and the
same peaks as a percentage of the limit."""

import textwrap

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from plots import FIGURES, style

TITLE = FIGURES["peak_vs_limit"].title
NOTE_CHARS = 100  # characters of the notes per line, at 8 points across the left panel


def draw(data: dict, settings: dict, out_path) -> None:
    runs = style.grid_runs(style.plain(data["runs"]))
    have = runs.dropna(subset=["peak_mb"])
    if have.empty:
        return style.message_figure(out_path, TITLE, "No run has a peak.")
    style.theme()
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(style.WIDTH_IN, 4.8), width_ratios=[3, 2])
    # labelled first: seaborn labels an unlabelled axis, which makes its ticks twice
    ax.set(xlabel="memory limit (MB)", ylabel="peak (MB)")
    ax2.set(xlabel="memory limit (MB)", ylabel="peak / limit (%)")
    runs = runs.assign(series=style.series_label(runs))
    have = runs.dropna(subset=["peak_mb"])
    limits = np.sort(runs["limit_mb"].unique())
    span = float(limits[-1] - limits[0]) or float(limits[0]) or 1.0
    colors = style.palette(runs["series"])
    offsets = {series: (i - (len(colors) - 1) / 2) * 0.012 * span for i, series in
               enumerate(colors)}  # fmt: skip
    draw_series(ax, ax2, have.assign(x=have["limit_mb"] + have["series"].map(offsets)), colors)
    peak_max = float(have["peak_mb"].max())
    top = max(peak_max * 1.12, limits[-1] * 1.05 if limits[-1] <= 1.5 * peak_max else 0)
    xs = np.array([limits[0] - 0.05 * span, limits[-1] + 0.05 * span])
    ax.plot(xs, xs, ls="--", color=style.FAIL_COLOR, lw=1.2, label="budget: peak = limit")
    ax.fill_between(xs, xs, max(top, xs[-1]), color=style.FAIL_COLOR, alpha=0.06, lw=0)
    ax.set_xlim(*xs)
    ax.set_ylim(0, top)
    handles, _ = ax.get_legend_handles_labels()
    handles = [Line2D([], [], color=c, marker="o", ms=5, lw=1.6, label=style.text(series))
               for series, c in colors.items()] + handles  # fmt: skip
    ring = {"ls": "", "marker": "o", "ms": 9, "mfc": "none", "mec": style.FAIL_COLOR, "mew": 1.6}
    handles.append(Line2D([], [], label="over budget", **ring))
    if (have["status"] != "ok").any():
        handles.append(
            Line2D([], [], ls="", marker="X", color="0.6", mec=style.FAIL_COLOR, label="run not ok")
        )
    ax.legend(handles=handles, loc="best", fontsize=8)
    n_over = int(have["over_budget"].sum())
    missing = int(runs["peak_mb"].isna().sum())
    notes = ["peak per run: peak_mb (see peak_source)", "mean of ok runs, bars min–max"]
    notes += [f"{n_over} run(s) over budget"]
    notes += [f"{missing} without a peak"] if missing else []
    if limits[0] > top:
        head = (have["limit_mb"] - have["peak_mb"]).min()
        notes.append(f"budget line above the plot (headroom ≥ {head:.0f} MB)")
    # wrapped to the panel's width: a longer line would push the other panel aside
    lines = textwrap.wrap(" · ".join(notes), NOTE_CHARS)
    ax.set_title(TITLE, loc="left", pad=8 + 10 * len(lines))
    ax.text(
        0, 1.012, "\n".join(lines), transform=ax.transAxes, va="bottom", fontsize=8,
        color=style.MUTED,
    )  # fmt: skip
    ax2.axhline(100, color=style.FAIL_COLOR, ls="--", lw=1.2)
    ax2.axhspan(100, 1e9, color=style.FAIL_COLOR, alpha=0.06, lw=0)
    ax2.set_ylim(0, max(110, float((100 * have["peak_mb"] / have["limit_mb"]).max()) * 1.1))
    ax2.set_xlim(*xs)
    ax2.set_title("Peak as % of limit (100% = budget)", loc="left", pad=8 + 10 * len(lines))
    ticks = [f"{v:g}" for v in limits]
    rotated = 6 < len(limits) <= 12
    for axis in (ax, ax2):
        if len(limits) <= 12:
            axis.set_xticks(limits, ticks, rotation=45 if rotated else 0)
    tall = 0.71 * style.text_width(fig, ticks, plt.rcParams["xtick.labelsize"]) if rotated else 0
    style.fixed_layout(
        fig, left=style.yaxis_width(ax) + style.EDGE_IN, right=style.EDGE_IN,
        top=(18 + 10 * len(lines)) / 72 + style.EDGE_IN, bottom=style.XAXIS_IN + tall,
        wgap=style.yaxis_width(ax2) + 0.3,
    )  # fmt: skip
    style.save(fig, out_path)


def draw_series(ax, ax2, have, colors: dict) -> None:
    """Each model's (or variant · model's) mean with its min-max bar and every repeat beside it,
    over-budget rings and runs that failed; x is the limit, a little apart per series."""
    ok = have[have["status"] == "ok"].assign(pct=lambda r: 100 * r["peak_mb"] / r["limit_mb"])
    sns, common = style.sns, {"x": "x", "hue": "series", "palette": colors, "legend": False}
    for axis, column in ((ax, "peak_mb"), (ax2, "pct")):
        for _, mine in ok.groupby("series", sort=False):  # a line per series: x are its own
            sns.pointplot(mine, y=column, native_scale=True, estimator="mean",
                          errorbar=("pi", 100), capsize=0.15, markersize=5, linewidth=1.6,
                          ax=axis, **common)  # fmt: skip
        sns.stripplot(ok, y=column, native_scale=True, jitter=0.2, size=4, alpha=0.55,
                      linewidth=0, ax=axis, **common)  # fmt: skip
    failed = have[have["status"] != "ok"]
    ax.scatter(failed["x"], failed["peak_mb"], s=40, marker="X", edgecolor=style.FAIL_COLOR,
               color=[colors[s] for s in failed["series"]], lw=0.8)  # fmt: skip
    over = have[have["over_budget"]]
    ax.scatter(
        over["x"], over["peak_mb"], s=110, facecolors="none", edgecolors=style.FAIL_COLOR,
        lw=1.6, zorder=5,
    )  # fmt: skip
