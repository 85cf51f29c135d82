"""RSS over time of the most changed configuration, the baseline's repeats and the candidate's
overlaid: a regression first (the largest change of the peak among them), else the largest
change of the peak."""

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D

from plots import FIGURES, style

TITLE = FIGURES["compare_traces"].title
SIDE_COLORS = {"baseline": "#0969da", "candidate": "#cf222e"}


def chosen(compare: pd.DataFrame) -> pd.Series | None:
    """The compare.csv row to draw (see the module docstring), or None."""
    both = compare[compare["presence"] == "both"]
    if both.empty:
        return None
    change = pd.to_numeric(both["diff_percent"], errors="coerce").abs().fillna(0.0)
    regressed = (both["verdict"] == "regression").fillna(False).astype(int)
    key = regressed * 1e9 + change
    return both.loc[key.idxmax()]


def runs_of(row, runs: pd.DataFrame) -> pd.DataFrame:
    """Both sides' runs of the chosen configuration."""
    same = (runs["limit_mb"] == row["limit_mb"]) & (runs["bucket_model"] == row["bucket_model"])
    base = (runs["side"] == "baseline") & (runs["variant"] == row["baseline_variant"])
    cand = (runs["side"] == "candidate") & (runs["variant"] == row["variant"])
    return runs[(same & (base | cand)).fillna(False)]


def select_runs(data: dict) -> pd.DataFrame:
    """The runs whose traces this figure draws (those whose trace.csv was kept)."""
    row = chosen(data["compare"])
    runs = data["compare_runs"]
    if row is None:
        return runs.iloc[:0]
    mine = runs_of(row, runs)
    kept = [Path(str(d), "trace.csv").is_file() for d in mine["run_dir"]]
    return mine[kept]


def draw(data: dict, settings: dict, out_path) -> None:
    row = chosen(data["compare"])
    if row is None:
        return style.message_figure(out_path, TITLE, "No configuration compared on both sides.")
    traces = data["traces"]
    runs = style.plain(runs_of(row, data["compare_runs"]))
    style.theme()
    fig, ax = plt.subplots(figsize=(style.WIDTH_IN, 4.6), layout="constrained")
    top, notes = 0.0, []
    for side, color in SIDE_COLORS.items():
        mine = runs[runs["side"] == side].sort_values("repeat")
        missing = [r for r in mine["run_dir"] if r not in traces]
        if missing:
            notes.append(f"{len(missing)} {side} trace(s) not kept")
        for _, run in mine.iterrows():
            trace = traces.get(run["run_dir"])
            if run["status"] != "ok":
                notes.append(f"{side} rep {run['repeat']:g}: {run['status']}")
            if trace is None or trace.empty:
                continue
            t, v = style.downsample_max(trace["time_s"], trace["vmrss_kb"] / 1024)
            ax.plot(t, v, color=color, lw=1.3, alpha=0.65)
            top = max(top, float(np.nanmax(v)))
        mean = row[f"mean_{side}_mb"]
        if pd.notna(mean):
            ax.axhline(mean, color=color, ls=":", lw=1.2)
            x = 0.01 if side == "baseline" else 0.25
            note = {**style.NOTE, "color": color, "transform": ax.get_yaxis_transform()}
            ax.text(x, mean, f"{side} mean peak {mean:.1f} MB", **note)
    limit = float(row["limit_mb"])
    if top <= 0 or limit <= 1.5 * top:
        ax.axhline(limit, color="0.3", ls="--", lw=1.1)
        ax.text(0.99, limit, f"limit {limit:g} MB", transform=ax.get_yaxis_transform(),
                ha="right", **{**style.NOTE, "color": "0.3"})  # fmt: skip
        top = max(top, limit)
    else:
        notes.insert(0, f"limit {limit:g} MB ↑ off scale")
    ax.set_ylim(0, max(top, 1.0) * 1.1)
    if notes:
        ax.text(0.01, 0.97, style.text("\n".join(notes)), transform=ax.transAxes,
                **{**style.NOTE, "va": "top"})  # fmt: skip
    handles = [
        Line2D([], [], color=SIDE_COLORS["baseline"], lw=2,
               label=f"baseline: {style.text(row['baseline_variant'])}"),
        Line2D([], [], color=SIDE_COLORS["candidate"], lw=2,
               label=f"candidate: {style.text(row['variant'])}"),
    ]  # fmt: skip
    ax.legend(handles=handles, loc="lower right", fontsize=8)
    change = ""
    if pd.notna(row["diff_percent"]):
        change = f", peak {row['diff_percent']:+.2f}% ({row['diff_mb']:+.2f} MB)"
    ax.set_title(
        f"{style.text(row['variant'])} vs {style.text(row['baseline_variant'])} · "
        f"{row['limit_mb']:g} MB · {style.text(row['bucket_model'])}: {row['verdict']}{change}",
        loc="left",
    )
    ax.set(xlabel="time since launch (s)", ylabel="RSS (MB)")
    style.save(fig, out_path)
