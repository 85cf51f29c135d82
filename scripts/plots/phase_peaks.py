"""Which phase of the program makes the peak: each phase's peak against the memory limit, one
panel per bucket model (and variant), a line per phase (mean over the ok grid runs, min-max as a
bar), and a star on the phase that holds the run's peak at each limit, so a change of the
dominant phase along the limit shows as the star moving to another line."""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D

from plots import FIGURES, style
from sampling import phases as sampler_phases

TITLE = FIGURES["phase_peaks"].title
START_COLOR = "0.6"


def phase_colors(names) -> dict:
    """A colour per phase name (grey for the time before the first line)."""
    named = [n for n in names if n != sampler_phases.START]
    colors = {n: style.COLORBLIND[i % len(style.COLORBLIND)] for i, n in enumerate(named)}
    return {**colors, sampler_phases.START: START_COLOR}


def draw(data: dict, settings: dict, out_path) -> None:
    table = style.plain(data["phases"])
    if table.empty:
        return style.message_figure(out_path, TITLE, "No phases: see the Phases verdicts.")
    style.theme()
    table = table.assign(series=style.series_label(table))
    order = table.groupby("phase", sort=False)["order"].median().sort_values(kind="stable")
    colors = phase_colors(order.index)
    series = list(dict.fromkeys(table["series"]))
    limits = sorted(table["limit_mb"].unique())
    x = {limit: i for i, limit in enumerate(limits)}
    ncols = min(len(series), 3)
    nrows = math.ceil(len(series) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(style.WIDTH_IN, 0.9 + 3.3 * nrows), squeeze=False, sharey=True,
        layout="constrained",
    )  # fmt: skip
    for ax, name in zip(axes.flat, series, strict=False):
        mine = table[table["series"] == name]
        for phase in order.index:
            rows = mine[mine["phase"] == phase].sort_values("limit_mb")
            if rows.empty:
                continue
            xs = rows["limit_mb"].map(x).to_numpy(float)
            mean = rows["mean_peak_mb"].to_numpy(float)
            spread = [mean - rows["min_mb"].to_numpy(float), rows["max_mb"].to_numpy(float) - mean]
            ax.errorbar(xs, mean, yerr=np.nan_to_num(spread), color=colors[phase], marker="o",
                        ms=4, lw=1.4, capsize=2, zorder=2)  # fmt: skip
            held = rows["holds_peak"].to_numpy(bool)
            ax.plot(xs[held], mean[held], ls="", marker="*", ms=13, color=colors[phase], zorder=3,
                    **style.EDGE)  # fmt: skip
        ax.set_title(style.text(name), loc="left")
        ax.set_xticks(range(len(limits)), [f"{v:g}" for v in limits])
        ax.set_xlabel("memory limit (MB)")
    axes[0, 0].set_ylim(bottom=0)  # shared: once every panel is drawn
    for ax in axes[:, 0]:
        ax.set_ylabel("peak in the phase (MB)")
    for ax in axes.flat[len(series) :]:
        ax.set_visible(False)
    handles = [Line2D([], [], color=colors[p], marker="o", lw=1.4, label=style.text(p))
               for p in order.index]  # fmt: skip
    handles.append(Line2D([], [], ls="", marker="*", ms=12, color="0.6",
                          label="holds the run's peak", **style.EDGE))  # fmt: skip
    fig.legend(handles=handles, loc="outside upper center", ncols=min(len(handles), 7),
               frameon=False)  # fmt: skip
    style.save(fig, out_path)
