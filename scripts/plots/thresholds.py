"""Per checked threshold: each run's peak and the configuration it reported at limit - 1, limit
and limit + 1, PASS or FAIL against the expected one."""

import math

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from plots import FIGURES, style

TITLE = FIGURES["thresholds"].title

RANK = {"below": 0, "at": 1, "above": 2}


def draw(data: dict, settings: dict, out_path) -> None:
    th = style.plain(data["thresholds"])
    if th.empty:
        return style.message_figure(out_path, TITLE, "No thresholds configured.")
    style.theme()
    several = th["variant"].nunique() > 1
    keys = zip(th["variant"], th["threshold_mb"], th["bucket_model"], strict=True)
    checks = list(dict.fromkeys(keys))
    ncols = min(len(checks), 2)
    nrows = math.ceil(len(checks) / ncols)
    fig, axes = plt.subplots(nrows, ncols, figsize=(style.WIDTH_IN, 0.3 + 3.4 * nrows),
                             squeeze=False)  # fmt: skip
    for ax, (variant, threshold, model) in zip(axes.flat, checks, strict=False):
        mine = (th["variant"] == variant) & (th["threshold_mb"] == threshold)
        sub = th[mine & (th["bucket_model"] == model)]
        sub = sub.assign(r=sub["position"].map(RANK)).sort_values(["r", "limit_mb", "repeat"])
        passed = sub["verdict"].eq("PASS").to_numpy()
        draw_check(ax, sub, passed)
        verdict = "PASS" if passed.all() else "FAIL"
        head = f"{variant} · " if several else ""
        ax.set_title(
            f"{head}Threshold {threshold:g} MB · {style.text(model)}: {verdict} "
            f"({passed.sum()}/{len(sub)})",
            loc="left",
            color=style.PASS_COLOR if passed.all() else style.FAIL_COLOR,
        )
    for ax in axes.flat[len(checks) :]:
        ax.set_visible(False)
    width = max(style.yaxis_width(ax) for ax in axes.flat[: len(checks)])
    two_lines = style.XAXIS_IN + 0.15  # the tick labels name the limit and the position
    style.fixed_layout(fig, left=width + style.EDGE_IN, right=style.EDGE_IN, top=style.TITLE_IN,
                       bottom=two_lines, wgap=width + 0.2,
                       hgap=two_lines + style.TITLE_IN)  # fmt: skip
    style.save(fig, out_path)


def draw_check(ax, sub: pd.DataFrame, passed: np.ndarray) -> None:
    peaks = sub["peak_mb"].to_numpy(dtype=float)
    top = float(np.nanmax(peaks)) if np.isfinite(peaks).any() else 1.0
    x = np.arange(len(sub))
    colors = [style.PASS_COLOR if p else style.FAIL_COLOR for p in passed]
    ax.bar(x, np.nan_to_num(peaks), color=colors, alpha=0.85, width=0.55)
    for xx, ok, peak, reported, expected in zip(
        x, passed, peaks, sub["reported_config"], sub["expected"], strict=True
    ):
        reported = "no report" if reported is None else style.text(reported)
        reported = reported if len(reported) <= 22 else reported[:21] + "…"
        color = style.PASS_COLOR if ok else style.FAIL_COLOR
        height = 0.0 if np.isnan(peak) else peak
        badge = {"boxstyle": "round,pad=0.3", "fc": color, "ec": "none"}
        ax.text(xx, height + 0.04 * top, "PASS" if ok else "FAIL", ha="center", va="bottom",
                color="white", weight="bold", fontsize=10, bbox=badge)  # fmt: skip
        ax.text(xx, height + 0.2 * top, f"expected {style.text(expected)}", ha="center",
                va="bottom", fontsize=8.5, color=style.MUTED)  # fmt: skip
        inside = height > 0.3 * top
        ax.text(
            xx, height - 0.06 * top if inside else height + 0.33 * top, reported, ha="center",
            va="top" if inside else "bottom", fontsize=10, weight="bold",
            color="white" if inside else color,
        )  # fmt: skip
        ax.text(xx, 0.04 * top, "no peak" if np.isnan(peak) else f"peak {peak:.0f} MB",
                ha="center", va="bottom", fontsize=8,
                color="white" if inside else style.MUTED)  # fmt: skip
    between = np.flatnonzero(np.diff(sub["r"].to_numpy()) > 0)
    if len(between) and sub["position"].iloc[0] == "below":
        ax.axvline(between[0] + 0.5, color=style.MUTED, ls=":", lw=1)
    several_repeats = sub["repeat"].nunique() > 1
    labels = [
        f"{lim:g} MB\n{pos}" + (f" · rep {rep:g}" if several_repeats else "")
        for lim, pos, rep in zip(sub["limit_mb"], sub["position"], sub["repeat"], strict=True)
    ]
    ax.set_xticks(x, labels)
    ax.grid(False, axis="x")
    ax.set_ylim(0, top * 1.55)
    ax.set_xlim(-0.6, len(sub) - 0.4)
    ax.set_ylabel("peak (MB)")
