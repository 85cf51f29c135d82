"""The campaign at a glance, whatever its size: per configuration (a row per model, a column per
limit) the peak as a percentage of the limit, the CV of the peak across repeats, and the worst
verdict. Cells carry their numbers while they fit; a campaign of 100 limits x 10 models stays
readable as colours."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.colors import BoundaryNorm, ListedColormap

from plots import FIGURES, style

TITLE = FIGURES["overview"].title
LEVEL_COLORS = ["#8fd19e", "#f2cc60", "#f47067"]  # ok, warn, fail
MAX_LABELLED_COLUMNS = 16  # cells show their number up to this many limits
MAX_TICKS = 20


def grids(variance: pd.DataFrame, found: pd.DataFrame):
    """Rows (series), columns (limits) and the three matrices."""
    var = variance.assign(series=style.series_label(variance))
    rows = list(dict.fromkeys(var["series"]))
    limits = sorted(var["limit_mb"].unique())
    pct = var.assign(v=100 * var["mean_peak_mb"] / var["limit_mb"])
    peak = pct.pivot_table(index="series", columns="limit_mb", values="v", dropna=False)
    cv = var.pivot_table(index="series", columns="limit_mb", values="cv_percent", dropna=False)
    rank = {"ok": 0, "warn": 1, "fail": 2}
    levels = found.dropna(subset=["limit_mb"]).assign(r=found["level"].map(rank))
    worst = levels.groupby(["variant", "limit_mb", "bucket_model"])["r"].max()
    var["worst"] = [worst.get(k, 0) for k in zip(var["variant"], var["limit_mb"],
                                                  var["bucket_model"], strict=True)]  # fmt: skip
    level = var.pivot_table(index="series", columns="limit_mb", values="worst", dropna=False)
    reindex = {"index": rows, "columns": limits}
    return rows, limits, [m.reindex(**reindex).to_numpy(float) for m in (peak, cv, level)]


def panel(ax, matrix, rows, limits, cmap, norm, fmt, title, colorbar) -> None:
    labelled = fmt and len(limits) <= MAX_LABELLED_COLUMNS and len(rows) <= 12
    labels = [["" if np.isnan(v) else fmt(v) for v in row] for row in matrix] if labelled else None
    style.heatmap(ax, matrix, cmap, norm, labels, colorbar=colorbar)
    step = max(1, int(np.ceil(len(limits) / MAX_TICKS)))
    ax.set_xticks(np.arange(0, len(limits), step) + 0.5, [f"{v:g}" for v in limits[::step]],
                  rotation=90 if len(limits) > 8 else 0, fontsize=7.5)  # fmt: skip
    ax.set_yticks(np.arange(len(rows)) + 0.5, [style.text(r) for r in rows], fontsize=7.5)
    ax.set_title(title, loc="left")
    ax.set_xlabel("memory limit (MB)")


def draw(data: dict, settings: dict, out_path) -> None:
    variance = style.plain(data["variance"])
    if variance.empty:
        return style.message_figure(out_path, TITLE, "No grid configuration.")
    style.theme()
    rows, limits, (peak, cv, level) = grids(variance, style.plain(data["verdicts"]))
    height = 1.6 + 3 * max(1.2, 0.22 * len(rows))
    fig, axes = plt.subplots(3, 1, figsize=(style.WIDTH_IN, height))
    warn = float(settings["cv_warn_percent"])
    panel(
        axes[0],
        peak,
        rows,
        limits,
        "RdYlGn_r",
        plt.Normalize(0, 120),
        lambda v: f"{v:.0f}",
        "Peak as % of the limit (mean of ok runs; above 100 = over budget)",
        "% of limit",
    )
    panel(axes[1], cv, rows, limits, "YlOrRd", plt.Normalize(0, max(2 * warn, 1e-9)),
          lambda v: f"{v:.2f}", f"CV of the peak across repeats (%; warning above {warn:g}%)",
          "CV %")  # fmt: skip
    norm = BoundaryNorm([-0.5, 0.5, 1.5, 2.5], 3)
    panel(
        axes[2],
        level,
        rows,
        limits,
        ListedColormap(LEVEL_COLORS),
        norm,
        None,
        "Worst verdict per configuration: green ok, yellow to look at, red failed",
        "",  # no colorbar (its room kept empty): the title says what the colours mean
    )
    names = [style.text(r) for r in rows]
    xaxis = style.XAXIS_IN + (
        style.text_width(fig, [f"{v:g}" for v in limits], 7.5) if len(limits) > 8 else 0
    )  # fmt: skip (turned upright beyond 8)
    style.fixed_layout(fig, left=style.text_width(fig, names, 7.5) + 0.2,
                       right=style.COLORBAR_IN, top=style.TITLE_IN, bottom=xaxis,
                       hgap=xaxis + style.TITLE_IN)  # fmt: skip
    style.save(fig, out_path)
