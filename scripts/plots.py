"""Figures of a memsweep campaign: traces, peak vs limit, stability, spikes, thresholds.

Called by the `plots` rule; importable for tests. Every function takes the campaign's tables
(DataFrames as read from results/summary/*.csv) and an output path, and always writes a PNG: when
there is nothing to draw (no spikes, no thresholds, every run failed) the PNG says so.

    import pandas as pd, plots
    plots.plot_peak_vs_limit(pd.read_csv("results/summary/runs.csv"), "peak_vs_limit.png")
    # -> a 1320 px wide PNG: mean peak per model with min-max bars and the budget line

Traces are drawn from at most BUCKETS points per run, keeping the largest RSS of each time bucket,
so a one-sample spike survives the downsampling.
"""

import logging
import math
import os
from collections.abc import Mapping

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
import seaborn as sns  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.patches import Rectangle  # noqa: E402
from matplotlib.transforms import blended_transform_factory  # noqa: E402
from memsweep_tables import as_bool, read_table, setup_logging  # noqa: E402

log = logging.getLogger("plots")

DPI = 110
WIDTH_IN = 12.0
BUCKETS = 600
PASS_COLOR, FAIL_COLOR, MUTED = "#1a7f37", "#cf222e", "#57606a"
EDGE = {"mec": "black", "mew": 0.5}  # marker edge
BOX = {"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.5}  # behind text over data
NOTE = {"color": FAIL_COLOR, "fontsize": 7.5, "va": "bottom", "bbox": BOX}
NUMERIC = [
    "limit_mb", "repeat", "peak_mb", "samples", "hwm_mb", "n_spikes", "time_s", "rss_mb",
    "increase_mb", "duration_ms", "rate_mb_s", "cv_percent", "n", "threshold_mb",
]  # fmt: skip
BOOLEAN = ["in_grid", "over_budget", "timed_out", "oom_killed", "threshold_check"]


# ---------------------------------------------------------------- helpers


def tidy(df: pd.DataFrame) -> pd.DataFrame:
    """Coerce the known numeric and boolean columns; tolerate missing ones."""
    df = df.copy()
    for col in ("limit_mb", "bucket_model", "repeat", "status", "run_dir"):
        if col not in df:
            df[col] = pd.Series(dtype=object)
    for col in NUMERIC:
        df[col] = pd.to_numeric(df[col], errors="coerce") if col in df else np.nan
    for col in BOOLEAN:
        df[col] = as_bool(df[col]) if col in df else col == "in_grid"
    for col in ("bucket_model", "status", "run_dir"):
        if col in df:
            df[col] = df[col].astype(str)
    return df


def model_palette(models) -> dict[str, tuple]:
    models = list(dict.fromkeys(models))
    colors = sns.color_palette("colorblind", max(len(models), 1))
    return {m: colors[i % len(colors)] for i, m in enumerate(models)}


def repeat_color(repeat) -> tuple:
    colors = sns.color_palette("tab10", 10)
    return colors[(int(repeat) - 1) % 10] if pd.notna(repeat) else colors[7]


def downsample_max(times, values, buckets: int = BUCKETS) -> tuple[np.ndarray, np.ndarray]:
    """Keep, per time bucket, the sample with the largest value (and its time)."""
    t = np.asarray(times, dtype=float)
    v = np.asarray(values, dtype=float)
    if len(t) <= buckets:
        return t, v
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    bucket = np.minimum(((t - t[0]) / (t[-1] - t[0] or 1.0) * buckets).astype(int), buckets - 1)
    best = np.lexsort((-v, bucket))  # by bucket, largest value first
    first = best[np.r_[0, np.flatnonzero(np.diff(bucket[best])) + 1]]
    return t[first], v[first]


def _style() -> None:
    sns.set_theme(style="whitegrid", context="notebook", font_scale=0.85)
    plt.rcParams.update({"axes.titleweight": "bold", "axes.titlesize": 10, "figure.dpi": DPI})


def _save(fig, out_path) -> None:
    fig.savefig(out_path, dpi=DPI)
    plt.close(fig)
    log.info("wrote %s", out_path)


def message_figure(out_path, title: str, message: str) -> None:
    """A small PNG that says why there is no plot."""
    _style()
    fig = plt.figure(figsize=(WIDTH_IN, 2.2))
    fig.text(0.5, 0.62, title, ha="center", fontsize=13, weight="bold")
    fig.text(0.5, 0.36, message, ha="center", fontsize=11, color=MUTED, wrap=True)
    _save(fig, out_path)


def _grid(runs: pd.DataFrame) -> pd.DataFrame:
    """Grid runs, or every run when none is marked in_grid."""
    if "in_grid" in runs and runs["in_grid"].any():
        return runs[runs["in_grid"]]
    return runs


def _config_order(df: pd.DataFrame) -> list[tuple[int, str]]:
    """(limit, model) pairs: models in order of appearance, limits ascending."""
    models = list(dict.fromkeys(df["bucket_model"]))
    pairs = df[["limit_mb", "bucket_model"]].drop_duplicates()
    pairs = pairs.assign(m=pairs["bucket_model"].map(models.index)).sort_values(["m", "limit_mb"])
    return [
        (int(lim), mod) for lim, mod in zip(pairs["limit_mb"], pairs["bucket_model"], strict=True)
    ]


def plain(text) -> str:
    """Data text for matplotlib: a "$" from a solver's output must not start mathtext."""
    return str(text).replace("$", r"\$")


def _label_side(drawn: list[tuple[np.ndarray, np.ndarray]], level: float) -> float:
    """Axes x (0.01 or 0.99) for a label on a horizontal line: the end farther from the data."""
    if not drawn:
        return 0.99
    t = np.concatenate([d[0] for d in drawn])
    v = np.concatenate([d[1] for d in drawn])
    lo, hi = t.min(), t.max()
    span = (hi - lo) or 1.0
    gaps = []
    for mask in (t <= lo + 0.2 * span, t >= hi - 0.2 * span):
        gaps.append(np.abs(v[mask] - level).min() if mask.any() else np.inf)
    return 0.01 if gaps[0] > gaps[1] else 0.99


# ---------------------------------------------------------------- figures


def plot_traces(
    runs: pd.DataFrame, traces: Mapping[str, pd.DataFrame], spikes: pd.DataFrame, out_path
) -> None:
    """RSS over time, one panel per (limit, model), repeats overlaid."""
    runs = tidy(runs).dropna(subset=["limit_mb"])
    if runs.empty:
        return message_figure(out_path, "Memory traces", "No runs in runs.csv.")
    spikes = tidy(spikes)
    if "detector" in spikes and (spikes["detector"] == "window").any():
        spikes = spikes[spikes["detector"] == "window"]
    _style()
    groups = _config_order(_grid(runs)) + [
        c for c in _config_order(runs) if c not in _config_order(_grid(runs))
    ]
    ncols = min(3 if len(groups) <= 24 else 4, len(groups))
    nrows = math.ceil(len(groups) / ncols)
    repeats = sorted(runs["repeat"].dropna().unique())
    handles = [Line2D([], [], color=repeat_color(r), lw=2, label=f"rep {r:g}") for r in repeats]
    handles += [
        Line2D([], [], ls="", color="0.6", marker="^", label="spike (top)", **EDGE),
        Line2D([], [], ls="", color="0.6", marker="<", label="kernel peak (VmHWM)", **EDGE),
        Line2D([], [], color=FAIL_COLOR, ls="--", label="memory limit"),
    ]
    legend_rows = math.ceil(len(handles) / 9)
    height = 0.65 + 0.25 * legend_rows + 2.45 * nrows
    fig, axes = plt.subplots(nrows, ncols, figsize=(WIDTH_IN, height), squeeze=False)
    # a fixed layout: constrained layout costs seconds on a few dozen panels
    fig.subplots_adjust(
        left=0.65 / WIDTH_IN,
        right=1 - 0.3 / WIDTH_IN,
        bottom=0.55 / height,
        top=1 - (0.35 + 0.25 * legend_rows) / height,
        wspace=0.2,
        hspace=0.55 / 1.9,
    )
    for ax, (limit, model) in zip(axes.flat, groups, strict=False):
        sub = runs[(runs["limit_mb"] == limit) & (runs["bucket_model"] == model)]
        edge = blended_transform_factory(ax.transAxes, ax.transData)
        top, notes, drawn = 0.0, [], []
        for _, run in sub.sort_values("repeat").iterrows():
            color = repeat_color(run["repeat"])
            trace = traces.get(run["run_dir"])
            empty = trace is None or trace.empty
            if run["status"] != "ok" or empty:
                notes.append(f"rep {run['repeat']:g}: {run['status']}" + ", no samples" * empty)
            if empty:
                continue
            t, v = downsample_max(trace["time_s"], trace["vmrss_kb"] / 1024)
            ax.plot(t, v, color=color, lw=1.3, alpha=0.7)
            drawn.append((t, v))
            top = max(top, float(np.nanmax(v)))
            if pd.notna(run.get("hwm_mb")):  # at the right edge, outside the data
                mark = {"marker": "<", "ms": 7, "clip_on": False, "zorder": 5, **EDGE}
                ax.plot(1.0, run["hwm_mb"], color=color, transform=edge, **mark)
                top = max(top, float(run["hwm_mb"]))
            own = spikes[
                (spikes["limit_mb"] == limit)
                & (spikes["bucket_model"] == model)
                & (spikes["repeat"] == run["repeat"])
            ]
            top_s = own["time_s"] + own["duration_ms"].fillna(0) / 1000
            ax.plot(top_s, own["rss_mb"], ls="", marker="^", ms=6, color=color, zorder=4, **EDGE)
        if top <= 0 or limit <= 1.5 * top:
            ax.axhline(limit, color=FAIL_COLOR, ls="--", lw=1.2)
            side = 0.99 if notes else _label_side(drawn, limit)
            align = "right" if side > 0.5 else "left"
            ax.text(side, limit, f"limit {limit:g} MB", transform=edge, ha=align, **NOTE)
            ax.set_ylim(0, max(top, limit) * 1.1)
        else:
            ax.set_ylim(0, top * 1.12)
            notes.insert(0, f"limit {limit:g} MB ↑ off scale (peak = {100 * top / limit:.0f}%)")
        if notes:
            ax.text(0.015, 0.97, "\n".join(notes), transform=ax.transAxes, **{**NOTE, "va": "top"})
        extra = "" if sub["in_grid"].any() else "  (threshold check)"
        ax.set_title(f"{limit:g} MB · {plain(model)}{extra}", loc="left")
        ax.set_xlabel("")
        ax.margins(x=0.01)
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
    fig.text(0.1 / WIDTH_IN, 0.5, "RSS (MB)", va="center", rotation=90, fontsize=9)
    _save(fig, out_path)


def plot_peak_vs_limit(runs: pd.DataFrame, out_path) -> None:
    """Mean peak per model vs limit, min-max bars, a point per repeat, the budget line."""
    runs = _grid(tidy(runs).dropna(subset=["limit_mb"]))
    runs = runs.assign(peak=runs["peak_mb"])
    have = runs.dropna(subset=["peak"])
    if have.empty:
        return message_figure(out_path, "Peak RSS vs memory limit", "No run has a peak RSS.")
    _style()
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(WIDTH_IN, 4.8), width_ratios=[3, 2], layout="constrained"
    )
    limits = np.sort(runs["limit_mb"].unique())
    span = float(limits[-1] - limits[0]) or float(limits[0]) or 1.0
    palette = model_palette(runs["bucket_model"])
    rng = np.random.default_rng(0)
    for i, (model, color) in enumerate(palette.items()):
        sub = have[have["bucket_model"] == model]
        if sub.empty:
            continue
        off = (i - (len(palette) - 1) / 2) * 0.012 * span
        ok = sub[sub["status"] == "ok"]
        stats = ok.groupby("limit_mb")["peak"].agg(["mean", "min", "max"])
        util = 100 * ok["peak"] / ok["limit_mb"]
        for axis, scale in ((ax, 1.0), (ax2, 100 / stats.index.to_numpy())):
            mean = stats["mean"] * scale
            axis.errorbar(
                stats.index + off,
                mean,
                fmt="-o",
                color=color,
                ms=5,
                lw=1.6,
                capsize=4,
                yerr=[mean - stats["min"] * scale, stats["max"] * scale - mean],
                label=model,
            )
        x = sub["limit_mb"] + off + rng.uniform(-0.003, 0.003, len(sub)) * span
        failed = (sub["status"] != "ok").to_numpy()
        ax.scatter(x[~failed], sub["peak"][~failed], s=16, color=color, alpha=0.55, lw=0)
        ax.scatter(
            x[failed],
            sub["peak"][failed],
            s=40,
            marker="X",
            color=color,
            edgecolor=FAIL_COLOR,
            lw=0.8,
        )
        ax2.scatter(ok["limit_mb"] + off, util, s=16, color=color, alpha=0.55, lw=0)
        over = sub[(sub["peak"] > sub["limit_mb"]) | sub["over_budget"]]
        ax.scatter(
            over["limit_mb"] + off,
            over["peak"],
            s=110,
            facecolors="none",
            edgecolors=FAIL_COLOR,
            lw=1.6,
            zorder=5,
        )
    peak_max = float(have["peak"].max())
    top = max(peak_max * 1.12, limits[-1] * 1.05 if limits[-1] <= 1.5 * peak_max else 0)
    xs = np.array([limits[0] - 0.05 * span, limits[-1] + 0.05 * span])
    ax.plot(xs, xs, ls="--", color=FAIL_COLOR, lw=1.2, label="budget: peak = limit")
    ax.fill_between(xs, xs, max(top, xs[-1]), color=FAIL_COLOR, alpha=0.06, lw=0)
    ax.set_xlim(*xs)
    ax.set_ylim(0, top)
    handles, _ = ax.get_legend_handles_labels()
    handles.append(
        Line2D(
            [],
            [],
            ls="",
            marker="o",
            ms=9,
            mfc="none",
            mec=FAIL_COLOR,
            mew=1.6,
            label="over budget",
        )
    )
    if (have["status"] != "ok").any():
        handles.append(
            Line2D([], [], ls="", marker="X", color="0.6", mec=FAIL_COLOR, label="run not ok")
        )
    ax.legend(handles=handles, loc="best", fontsize=8)
    n_over = int(((have["peak"] > have["limit_mb"]) | have["over_budget"]).sum())
    missing = runs["peak"].isna().sum()
    notes = ["kernel peak (VmHWM) per run", "mean of ok runs, bars min–max"]
    notes += [f"{n_over} run(s) over budget"]
    notes += [f"{missing} without a peak"] if missing else []
    if limits[0] > top:
        head = (have["limit_mb"] - have["peak"]).min()
        notes.append(f"budget line above the plot (headroom ≥ {head:.0f} MB)")
    ax.set_title("Peak RSS vs memory limit", loc="left", pad=18)
    ax.text(
        0, 1.012, " · ".join(notes), transform=ax.transAxes, va="bottom", fontsize=8, color=MUTED
    )
    ax.set(xlabel="memory limit (MB)", ylabel="peak RSS (MB)")
    ax2.axhline(100, color=FAIL_COLOR, ls="--", lw=1.2)
    ax2.axhspan(100, 1e9, color=FAIL_COLOR, alpha=0.06, lw=0)
    ax2.set_ylim(0, max(110, float((100 * have["peak"] / have["limit_mb"]).max()) * 1.1))
    ax2.set_xlim(*xs)
    ax2.set_title("Peak as % of limit (100% = budget)", loc="left", pad=18)
    ax2.set(xlabel="memory limit (MB)", ylabel="kernel peak / limit (%)")
    for axis in (ax, ax2):
        if len(limits) <= 12:
            axis.set_xticks(
                limits, [f"{v:g}" for v in limits], rotation=45 if len(limits) > 6 else 0
            )
    _save(fig, out_path)


def plot_stability(
    runs: pd.DataFrame, variance: pd.DataFrame, out_path, cv_warn_percent=5.0
) -> None:
    """CV heatmap per (model, limit) and each repeat's peak relative to its configuration median."""
    var = tidy(variance).dropna(subset=["limit_mb"])
    runs = _grid(tidy(runs))
    runs = runs.assign(peak=runs["peak_mb"])
    if var.empty:
        return message_figure(
            out_path, "Stability of peak RSS", "No grid configuration to compare."
        )
    _style()
    warn = float(cv_warn_percent) if cv_warn_percent is not None else 5.0
    fig, (ax, ax2) = plt.subplots(
        1, 2, figsize=(WIDTH_IN, 4.6), width_ratios=[2, 3], layout="constrained"
    )
    fig.get_layout_engine().set(wspace=0.06)
    models = list(dict.fromkeys(var["bucket_model"]))
    cv = var.pivot_table(
        index="bucket_model", columns="limit_mb", values="cv_percent", dropna=False
    )
    cv = cv.reindex(models)
    n = var.pivot_table(index="bucket_model", columns="limit_mb", values="n").reindex(models)
    annot = np.empty(cv.shape, dtype=object)
    for (i, j), value in np.ndenumerate(cv.to_numpy()):
        count = n.iat[i, j]
        count = "" if pd.isna(count) else f"n={count:g}"
        annot[i, j] = f"{value:.2f}%\n{count}" if pd.notna(value) else f"—\n{count}"
    vmax = max(2 * warn, float(np.nanmax(cv.to_numpy())) if cv.notna().any().any() else 0)
    ax.set_facecolor("#eaeef2")
    sns.heatmap(
        cv,
        annot=annot,
        fmt="",
        cmap="YlOrRd",
        vmin=0,
        vmax=vmax,
        linewidths=1.5,
        linecolor="white",
        ax=ax,
        annot_kws={"fontsize": 8},
        cbar_kws={"label": "CV of peak RSS (%)", "shrink": 0.8},
    )
    for (i, j), value in np.ndenumerate(cv.to_numpy()):
        if pd.notna(value) and value > warn:
            ax.add_patch(Rectangle((j, i), 1, 1, fill=False, edgecolor=FAIL_COLOR, lw=2.5))
    n_high = int((var["cv_percent"] > warn).sum())
    ax.set_title(f"CV per configuration — {n_high} above {warn:g}%", loc="left")
    ax.set(xlabel="memory limit (MB)", ylabel="")
    ax.tick_params(axis="y", rotation=0)
    outliers = set()
    for _, row in var.iterrows():
        for rep in str(row.get("outlier_repeats", "")).split(";"):
            if rep.strip() not in ("", "nan"):
                outliers.add((row["limit_mb"], row["bucket_model"], float(rep)))
    ok = runs[(runs["status"] == "ok") & runs["peak"].notna()]
    configs = [c for c in _config_order(var) if c[0] in set(ok["limit_mb"])]
    palette = model_palette(var["bucket_model"])
    rng = np.random.default_rng(0)
    for x, (limit, model) in enumerate(configs):
        sub = ok[(ok["limit_mb"] == limit) & (ok["bucket_model"] == model)]
        dev = 100 * (sub["peak"] / sub["peak"].median() - 1)
        xs = x + rng.uniform(-0.15, 0.15, len(sub))
        flag = np.array([(limit, model, r) in outliers for r in sub["repeat"]], dtype=bool)
        ax2.scatter(xs[~flag], dev[~flag], s=28, color=palette[model], alpha=0.8, lw=0)
        ax2.scatter(
            xs[flag], dev[flag], s=70, color=FAIL_COLOR, edgecolor="black", lw=0.6, zorder=4
        )
        for xx, yy, rep in zip(xs[flag], dev[flag], sub["repeat"][flag], strict=True):
            ax2.annotate(
                f"rep {rep:g}",
                (xx, yy),
                xytext=(6, 0),
                textcoords="offset points",
                fontsize=7.5,
                color=FAIL_COLOR,
                va="center",
            )
    ax2.axhline(0, color=MUTED, lw=0.8)
    ax2.set_xticks(
        range(len(configs)),
        [f"{lim:g}\n{mod}" for lim, mod in configs],
        rotation=90 if len(configs) > 14 else 0,
        fontsize=7.5,
    )
    ax2.set_xlim(-0.6, max(len(configs), 1) - 0.4)
    lim_y = max(2.0, float(np.nanmax(np.abs(ax2.get_ylim()))))
    ax2.set_ylim(-lim_y * 1.1, lim_y * 1.1)
    ax2.set_ylabel("kernel peak vs configuration median (%)")
    note = (
        " (one repeat each: no spread)"
        if ok.groupby(["limit_mb", "bucket_model"]).size().max() < 2
        else ""
    )
    ax2.set_title(f"Peak of each ok repeat, outliers in red{note}", loc="left")
    _save(fig, out_path)


def plot_spikes(spikes: pd.DataFrame, runs: pd.DataFrame, out_path) -> None:
    """Spike size and rate over time, and spikes per run for each configuration."""
    spikes, runs = tidy(spikes), tidy(runs)
    detector = "window"
    if "detector" in spikes and not (spikes["detector"] == "window").any():
        detector = "rate"
    sp = spikes[spikes["detector"] == detector] if "detector" in spikes else spikes
    if sp.empty:
        return message_figure(
            out_path, "Memory spikes", f"No spikes detected in {len(runs)} run(s)."
        )
    _style()
    fig = plt.figure(figsize=(WIDTH_IN, 5.4), layout="constrained")
    gs = fig.add_gridspec(2, 2, width_ratios=[3, 2])
    ax_size = fig.add_subplot(gs[0, 0])
    ax_rate = fig.add_subplot(gs[1, 0], sharex=ax_size)
    ax_cfg = fig.add_subplot(gs[:, 1])
    palette = model_palette(list(runs.get("bucket_model", [])) + list(sp["bucket_model"]))
    sp = sp.assign(top_s=sp["time_s"] + sp["duration_ms"].fillna(0) / 1000)
    for axis, col in ((ax_size, "increase_mb"), (ax_rate, "rate_mb_s")):
        sns.scatterplot(
            data=sp,
            x="top_s",
            y=col,
            hue="bucket_model",
            palette=palette,
            ax=axis,
            s=26,
            alpha=0.7,
            lw=0,
            legend=axis is ax_size,
        )
    ax_size.set(xlabel="", ylabel="increase (MB)")
    ax_size.set_title(f"Spikes over time ({detector} detector), all runs overlaid", loc="left")
    if ax_size.get_legend():
        ax_size.get_legend().set_title("")
    rates = sp["rate_mb_s"][sp["rate_mb_s"] > 0]
    if len(rates) and rates.max() > 20 * rates.min():
        ax_rate.set_yscale("log")
    else:
        ax_rate.set_ylim(0, max(rates.max(), 1) * 1.15 if len(rates) else 1)
    ax_size.set_ylim(0, max(sp["increase_mb"].max(), 1) * 1.15)
    ax_rate.set(xlabel="time since launch (s)", ylabel="rate (MB/s)")
    counts = sp.groupby(["limit_mb", "bucket_model", "repeat"]).size().rename("n").reset_index()
    base = runs if not runs.empty else counts
    configs = _config_order(_grid(base))
    per_run, biggest = [], []
    for limit, model in configs:
        mine = base[(base["limit_mb"] == limit) & (base["bucket_model"] == model)]
        c = counts[(counts["limit_mb"] == limit) & (counts["bucket_model"] == model)]["n"].sum()
        sampled = mine[mine["samples"] > 0] if "samples" in mine else mine
        per_run.append(c / max(len(sampled), 1))
        s = sp[(sp["limit_mb"] == limit) & (sp["bucket_model"] == model)]["increase_mb"]
        biggest.append(s.max() if len(s) else np.nan)
    y = np.arange(len(configs))
    ax_cfg.barh(y, per_run, color=[palette.get(m, "0.6") for _, m in configs], height=0.7)
    for yy, value, big in zip(y, per_run, biggest, strict=True):
        label = f" {value:.1f}" + (f"  (max +{big:.0f} MB)" if pd.notna(big) else "")
        ax_cfg.text(value, yy, label, va="center", fontsize=7.5)
    ax_cfg.set_yticks(y, [f"{lim:g} MB · {mod}" for lim, mod in configs], fontsize=7.5)
    ax_cfg.invert_yaxis()
    ax_cfg.set_xlim(0, max(max(per_run, default=0), 1) * 1.45)
    ax_cfg.set(xlabel="spikes per run (mean over repeats)")
    ax_cfg.set_title("Spikes per configuration", loc="left")
    _save(fig, out_path)


def plot_thresholds(thresholds: pd.DataFrame, out_path) -> None:
    """Per checked threshold: peak and reported configuration at limit-1, limit, limit+1."""
    th = tidy(thresholds)
    if th.empty:
        return message_figure(out_path, "Threshold checks", "No thresholds configured.")
    _style()
    checks = list(dict.fromkeys(zip(th["threshold_mb"], th["bucket_model"], strict=True)))
    ncols = min(len(checks), 2)
    nrows = math.ceil(len(checks) / ncols)
    fig, axes = plt.subplots(
        nrows, ncols, figsize=(WIDTH_IN, 0.3 + 3.4 * nrows), layout="constrained", squeeze=False
    )
    rank = {"below": 0, "at": 1, "above": 2}
    for ax, (threshold, model) in zip(axes.flat, checks, strict=False):
        sub = th[(th["threshold_mb"] == threshold) & (th["bucket_model"] == model)]
        sub = sub.assign(r=sub["position"].map(rank)).sort_values(["r", "limit_mb", "repeat"])
        passed = sub["verdict"].eq("PASS").to_numpy()
        peaks = sub["peak_mb"].to_numpy(dtype=float)
        top = float(np.nanmax(peaks)) if np.isfinite(peaks).any() else 1.0
        x = np.arange(len(sub))
        colors = [PASS_COLOR if p else FAIL_COLOR for p in passed]
        ax.bar(x, np.nan_to_num(peaks), color=colors, alpha=0.85, width=0.55)
        for xx, ok, peak, reported, expected in zip(
            x, passed, peaks, sub["reported_config"], sub["expected"], strict=True
        ):
            reported = "no report" if pd.isna(reported) else plain(reported)
            reported = reported if len(reported) <= 22 else reported[:21] + "…"
            color = PASS_COLOR if ok else FAIL_COLOR
            height = 0.0 if np.isnan(peak) else peak
            ax.text(
                xx,
                height + 0.04 * top,
                "PASS" if ok else "FAIL",
                ha="center",
                va="bottom",
                color="white",
                weight="bold",
                fontsize=10,
                bbox={"boxstyle": "round,pad=0.3", "fc": color, "ec": "none"},
            )
            ax.text(
                xx,
                height + 0.2 * top,
                f"expected {plain(expected)}",
                ha="center",
                va="bottom",
                fontsize=8.5,
                color=MUTED,
            )
            inside = height > 0.3 * top
            ax.text(
                xx,
                height - 0.06 * top if inside else height + 0.33 * top,
                reported,
                ha="center",
                va="top" if inside else "bottom",
                fontsize=10,
                weight="bold",
                color="white" if inside else color,
            )
            ax.text(
                xx,
                0.04 * top,
                "no peak" if np.isnan(peak) else f"peak {peak:.0f} MB",
                ha="center",
                va="bottom",
                fontsize=8,
                color="white" if inside else MUTED,
            )
        between = np.flatnonzero(np.diff(sub["r"].to_numpy()) > 0)
        if len(between) and sub["position"].iloc[0] == "below":
            ax.axvline(between[0] + 0.5, color=MUTED, ls=":", lw=1)
        labels = [
            f"{lim:g} MB\n{pos}" + (f" · rep {rep:g}" if sub["repeat"].nunique() > 1 else "")
            for lim, pos, rep in zip(sub["limit_mb"], sub["position"], sub["repeat"], strict=True)
        ]
        ax.set_xticks(x, labels)
        ax.grid(False, axis="x")
        ax.set_ylim(0, top * 1.55)
        ax.set_xlim(-0.6, len(sub) - 0.4)
        ax.set_ylabel("peak RSS (MB)")
        verdict = "PASS" if passed.all() else "FAIL"
        ax.set_title(
            f"Threshold {threshold:g} MB · {plain(model)}: {verdict} ({passed.sum()}/{len(sub)})",
            loc="left",
            color=PASS_COLOR if passed.all() else FAIL_COLOR,
        )
    for ax in axes.flat[len(checks) :]:
        ax.set_visible(False)
    _save(fig, out_path)


# ---------------------------------------------------------------- I/O


def read_trace(path) -> pd.DataFrame:
    try:
        return pd.read_csv(path, usecols=["time_s", "vmrss_kb"])
    except (pd.errors.EmptyDataError, ValueError):
        return pd.DataFrame(columns=["time_s", "vmrss_kb"])


def load_traces(paths, run_dirs) -> dict[str, pd.DataFrame]:
    """Pair trace files with runs by folder: a trace's parent folder is its run_dir."""
    by_norm = {os.path.normpath(d): d for d in run_dirs}
    by_real = {os.path.realpath(d): d for d in run_dirs}
    traces = {}
    for path in map(str, paths):
        folder = os.path.dirname(path)
        key = by_norm.get(os.path.normpath(folder)) or by_real.get(os.path.realpath(folder))
        if key is None:
            log.warning("trace %s belongs to no run in runs.csv; skipped", path)
            continue
        traces[key] = read_trace(path)
    return traces


def main(inputs, outputs, cv_warn_percent=5.0, log_path=None) -> None:
    setup_logging(log_path)
    runs = read_table(inputs["runs"])
    spikes = read_table(inputs["spikes"])
    run_dirs = runs["run_dir"].astype(str) if "run_dir" in runs else []
    traces = load_traces(inputs["traces"], run_dirs)
    log.info("%d runs, %d traces, %d spikes", len(runs), len(traces), len(spikes))
    plot_traces(runs, traces, spikes, outputs["traces"])
    plot_peak_vs_limit(runs, outputs["peak_vs_limit"])
    plot_stability(runs, read_table(inputs["variance"]), outputs["stability"], cv_warn_percent)
    plot_spikes(spikes, runs, outputs["spikes"])
    plot_thresholds(read_table(inputs["thresholds"]), outputs["thresholds"])


if "snakemake" in globals():
    sm = snakemake  # noqa: F821 (injected by Snakemake's script: directive)
    main(
        {
            "runs": sm.input.runs,
            "variance": sm.input.variance,
            "spikes": sm.input.spikes,
            "thresholds": sm.input.thresholds,
            "traces": list(sm.input.traces),
        },
        {
            "traces": sm.output.traces,
            "peak_vs_limit": sm.output.peak_vs_limit,
            "stability": sm.output.stability,
            "spikes": sm.output.spikes,
            "thresholds": sm.output.thresholds,
        },
        cv_warn_percent=sm.params.cv_warn_percent,
        log_path=sm.log[0],
    )
