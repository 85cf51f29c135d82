"""Memory bursts: size and rate over time for all runs overlaid, and bursts per run for each
configuration with its largest burst."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from plots import FIGURES, style

TITLE = FIGURES["spikes"].title


def draw(data: dict, settings: dict, out_path) -> None:
    spikes, runs = style.plain(data["spikes"]), style.plain(data["runs"])
    detector = "window" if (spikes["detector"] == "window").any() else "rate"
    sp = spikes[spikes["detector"] == detector]
    if sp.empty:
        return style.message_figure(out_path, TITLE, f"No spikes detected in {len(runs)} run(s).")
    style.theme()
    fig = plt.figure(figsize=(style.WIDTH_IN, 5.4))
    gs = fig.add_gridspec(2, 2, width_ratios=[3, 2])
    ax_size = fig.add_subplot(gs[0, 0])
    ax_rate = fig.add_subplot(gs[1, 0], sharex=ax_size)
    ax_cfg = fig.add_subplot(gs[:, 1])
    sp = sp.assign(
        top_s=sp["time_s"] + sp["duration_ms"].fillna(0) / 1000, series=style.series_label(sp)
    )
    colors = style.palette(list(style.series_label(runs)) + list(sp["series"]))
    # labelled first: seaborn labels an unlabelled axis, which makes its ticks twice
    ax_size.set_ylabel("increase (MB)")
    ax_rate.set(xlabel="time since launch (s)", ylabel="rate (MB/s)")
    for axis, col in ((ax_size, "increase_mb"), (ax_rate, "rate_mb_s")):
        style.sns.scatterplot(sp, x="top_s", y=col, hue="series", palette=colors, s=26,
                              alpha=0.7, lw=0, legend=axis is ax_size, ax=axis)  # fmt: skip
    ax_size.legend(loc="best", fontsize=8, title=None)
    ax_size.set_xlabel("")
    ax_size.set_title(f"Spikes over time ({detector} detector), all runs overlaid", loc="left")
    rates = sp["rate_mb_s"][sp["rate_mb_s"] > 0]
    if len(rates) and rates.max() > 20 * rates.min():
        ax_rate.set_yscale("log")
    else:
        ax_rate.set_ylim(0, max(rates.max(), 1) * 1.15 if len(rates) else 1)
    ax_size.set_ylim(0, max(sp["increase_mb"].max(), 1) * 1.15)
    names = draw_per_config(ax_cfg, sp, runs, colors)
    left = max(style.yaxis_width(ax_size), style.yaxis_width(ax_rate))
    style.fixed_layout(
        fig, left=left + style.EDGE_IN, right=style.EDGE_IN, top=style.TITLE_IN,
        bottom=style.XAXIS_IN, wgap=style.text_width(fig, names, 7.5) + 0.3,
        hgap=style.XAXIS_IN,
    )  # fmt: skip
    style.save(fig, out_path)


def draw_per_config(ax, sp: pd.DataFrame, runs: pd.DataFrame, colors: dict) -> list[str]:
    """Bars of spikes per run, one per configuration; returns their tick labels."""
    key = ["variant", "limit_mb", "bucket_model"]
    counts = sp.groupby(key).size()
    biggest = sp.groupby(key)["increase_mb"].max()
    configs = style.config_order(style.grid_runs(runs))
    several = runs["variant"].nunique() > 1
    per_run, largest = [], []
    for config in configs:
        mine = runs[
            (runs["variant"] == config[0])
            & (runs["limit_mb"] == config[1])
            & (runs["bucket_model"] == config[2])
        ]
        sampled = mine[mine["samples"] > 0]
        per_run.append(counts.get(config, 0) / max(len(sampled), 1))
        largest.append(biggest.get(config, np.nan))
    y = np.arange(len(configs))
    names = [f"{v} · {m}" if several else m for v, _, m in configs]
    bars = pd.DataFrame({"y": y, "per_run": per_run, "name": names})
    style.sns.barplot(bars, x="per_run", y="y", hue="name", palette=colors, orient="y",
                      native_scale=True, width=0.7, saturation=1, legend=False, ax=ax)  # fmt: skip
    for yy, value, big in zip(y, per_run, largest, strict=True):
        label = f" {value:.1f}" + (f"  (max +{big:.0f} MB)" if pd.notna(big) else "")
        ax.text(value, yy, label, va="center", fontsize=7.5)
    head = (lambda v: f"{v} · ") if several else (lambda v: "")
    ticks = [f"{head(v)}{lim:g} MB · {mod}" for v, lim, mod in configs]
    ax.set_yticks(y, ticks, fontsize=7.5)
    ax.invert_yaxis()
    ax.set_xlim(0, max(max(per_run, default=0), 1) * 1.45)
    ax.set(xlabel="spikes per run (mean over repeats)", ylabel="")
    ax.set_title("Spikes per configuration", loc="left")
    return ticks
