"""What each configuration costs besides memory: its peak, its CPU time and its major page faults
against the limit, one line per model (mean of the ok grid runs, bars min-max). A configuration
that pages (major faults) or burns CPU near its limit shows it here beside its peak."""

import matplotlib.pyplot as plt
import numpy as np

from plots import FIGURES, style

TITLE = FIGURES["resources"].title
PANELS = (
    ("peak_mb", "peak (MB)"),
    ("cpu_s", "CPU time, user + system (s)"),
    ("major_faults", "major page faults"),
)


def draw(data: dict, settings: dict, out_path) -> None:
    runs = style.plain(style.grid_runs(data["runs"]))
    runs = runs[runs["status"] == "ok"].assign(series=lambda r: style.series_label(r))
    runs = runs.assign(cpu_s=runs["cpu_user_s"] + runs["cpu_system_s"])
    if runs.empty:
        return style.message_figure(out_path, TITLE, "No ok grid run.")
    style.theme()
    fig, axes = plt.subplots(1, 3, figsize=(style.WIDTH_IN, 4.2))
    colors = style.palette(runs["series"])
    for ax, (column, label) in zip(axes, PANELS, strict=True):
        # labelled first: seaborn labels an unlabelled axis, which makes its ticks twice
        ax.set(xlabel="memory limit (MB)", ylabel=label)
        have = runs.dropna(subset=[column])
        if not have.empty:  # mean per limit, bars min-max
            style.sns.lineplot(have, x="limit_mb", y=column, hue="series", palette=colors,
                               estimator="mean", errorbar=("pi", 100), err_style="bars",
                               err_kws={"capsize": 3}, marker="o", markersize=5, lw=1.4,
                               markeredgewidth=0, legend=ax is axes[0], ax=ax)  # fmt: skip
        if not np.isfinite(runs[column]).any():
            ax.text(0.5, 0.5, "not measured", transform=ax.transAxes, ha="center",
                    color=style.MUTED)  # fmt: skip
        ax.set_ylim(bottom=0)
    if axes[0].get_legend():
        axes[0].legend(fontsize=8, title=None)
    axes[0].set_title(TITLE, loc="left")
    widths = [style.yaxis_width(ax) for ax in axes]
    style.fixed_layout(fig, left=widths[0] + style.EDGE_IN, right=style.EDGE_IN,
                       top=style.TITLE_IN, bottom=style.XAXIS_IN,
                       wgap=max(widths[1:]) + 0.2)  # fmt: skip
    style.save(fig, out_path)
