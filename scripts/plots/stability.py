"""How well repeats agree: the CV of the peak per configuration as a heatmap, and each ok repeat's
peak relative to its configuration's median, outliers marked."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from plots import FIGURES, style

TITLE = FIGURES["stability"].title


def draw(data: dict, settings: dict, out_path) -> None:
    var = style.plain(data["variance"])
    runs = style.grid_runs(style.plain(data["runs"]))
    if var.empty:
        return style.message_figure(out_path, TITLE, "No grid configuration to compare.")
    style.theme()
    warn = float(settings["cv_warn_percent"])
    fig, (ax, ax2) = plt.subplots(1, 2, figsize=(style.WIDTH_IN, 4.6), width_ratios=[2, 3])
    var = var.assign(series=style.series_label(var))
    rows = draw_heatmap(ax, var, warn)
    draw_deviations(ax2, var, runs)
    # the heatmap's colorbar takes the right of its panel; its ticks and label lie beyond it
    style.fixed_layout(
        fig, left=style.text_width(fig, rows, plt.rcParams["ytick.labelsize"]) + 0.25,
        right=style.EDGE_IN, top=style.TITLE_IN, bottom=style.XAXIS_IN,
        wgap=style.COLORBAR_IN + style.yaxis_width(ax2) + 0.2,
    )  # fmt: skip
    style.save(fig, out_path)


def draw_heatmap(ax, var: pd.DataFrame, warn: float) -> list[str]:
    """The CV per configuration, above the warning framed in red; returns the row labels."""
    rows = list(dict.fromkeys(var["series"]))
    cv = var.pivot_table(index="series", columns="limit_mb", values="cv_percent", dropna=False)
    cv = cv.reindex(rows)
    n = var.pivot_table(index="series", columns="limit_mb", values="n").reindex(rows)
    annot = np.empty(cv.shape, dtype=object)
    for (i, j), value in np.ndenumerate(cv.to_numpy()):
        count = n.iat[i, j]
        count = "" if pd.isna(count) else f"n={count:g}"
        annot[i, j] = f"{value:.2f}%\n{count}" if pd.notna(value) else f"—\n{count}"
    vmax = max(2 * warn, float(np.nanmax(cv.to_numpy())) if cv.notna().any().any() else 0)
    style.heatmap(ax, cv.to_numpy(float), "YlOrRd", plt.Normalize(0, vmax), annot,
                  colorbar="CV of the peak (%)", lines=1.5)  # fmt: skip
    ax.set_xticks(np.arange(cv.shape[1]) + 0.5, [f"{v:g}" for v in cv.columns])
    labels = [style.text(r) for r in cv.index]
    ax.set_yticks(np.arange(cv.shape[0]) + 0.5, labels)
    for (i, j), value in np.ndenumerate(cv.to_numpy()):
        if pd.notna(value) and value > warn:
            ax.add_patch(Rectangle((j, i), 1, 1, fill=False, edgecolor=style.FAIL_COLOR, lw=2.5))
    n_high = int((var["cv_percent"] > warn).sum())
    ax.set_title(f"CV per configuration — {n_high} above {warn:g}%", loc="left")
    ax.set(xlabel="memory limit (MB)", ylabel="")
    ax.tick_params(axis="y", rotation=0)
    return labels


def draw_deviations(ax2, var: pd.DataFrame, runs: pd.DataFrame) -> None:
    outliers = set()
    for _, row in var.iterrows():
        for rep in str(row["outlier_repeats"] or "").split(";"):
            if rep.strip():
                outliers.add((row["variant"], row["limit_mb"], row["bucket_model"], float(rep)))
    ok = runs[(runs["status"] == "ok") & runs["peak_mb"].notna()]
    configs = [c for c in style.config_order(var) if c[1] in set(ok["limit_mb"])]
    several = var["variant"].nunique() > 1
    colors = style.palette(var["series"])
    points = []
    for x, (variant, limit, model) in enumerate(configs):
        mine = (ok["variant"] == variant) & (ok["limit_mb"] == limit)
        sub = ok[mine & (ok["bucket_model"] == model)]
        flag = [(variant, limit, model, r) in outliers for r in sub["repeat"]]
        points.append(sub.assign(x=x, dev=100 * (sub["peak_mb"] / sub["peak_mb"].median() - 1),
                                 outlier=flag, series=f"{variant} · {model}" if several
                                 else model))  # fmt: skip
    points = pd.concat(points) if points else ok.assign(x=0.0, dev=0.0, outlier=False, series="")
    usual, odd = points[~points["outlier"]], points[points["outlier"]]
    # labelled first: seaborn labels an unlabelled axis, which makes its ticks twice
    ax2.set(xlabel="memory limit (MB)", ylabel="peak vs configuration median (%)")
    # every repeat, beside the others of its configuration, in its model's colour
    style.sns.stripplot(usual, x="x", y="dev", hue="series", palette=colors, native_scale=True,
                        jitter=0.15, size=5.5, alpha=0.8, linewidth=0, legend=False, ax=ax2,
                        )  # fmt: skip
    ax2.scatter(odd["x"], odd["dev"], s=70, color=style.FAIL_COLOR, edgecolor="black", lw=0.6,
                zorder=4)  # fmt: skip
    for xx, yy, rep in zip(odd["x"], odd["dev"], odd["repeat"], strict=True):
        ax2.annotate(
            f"rep {rep:g}", (xx, yy), xytext=(6, 0), textcoords="offset points",
            fontsize=7.5, color=style.FAIL_COLOR, va="center",
        )  # fmt: skip
    ax2.axhline(0, color=style.MUTED, lw=0.8)
    head = (lambda v: f"{v}\n") if several else (lambda v: "")
    # the ticks name the limit, the colour the model: a model's name under every tick overlaps
    ax2.set_xticks(
        range(len(configs)),
        [f"{head(v)}{lim:g}" for v, lim, _ in configs],
        rotation=90 if len(configs) > 24 else 0,
        fontsize=7.5,
    )
    handles = [
        Line2D([], [], ls="", marker="o", color=color, label=style.text(series))
        for series, color in colors.items()
    ]
    ax2.legend(handles=handles, loc="upper right", fontsize=8, ncols=(len(handles) + 4) // 5)
    ax2.set_xlim(-0.6, max(len(configs), 1) - 0.4)
    lim_y = max(2.0, float(np.nanmax(np.abs(ax2.get_ylim()))))
    ax2.set_ylim(-lim_y * 1.1, lim_y * 1.1)
    single = ok.groupby(["variant", "limit_mb", "bucket_model"]).size().max() < 2
    note = " (one repeat each: no spread)" if single else ""
    ax2.set_title(f"Peak of each ok repeat, outliers in red{note}", loc="left")
