"""The change of the mean peak per configuration, candidate against baseline, with its interval:
one row per configuration, the practical threshold as a grey band, coloured by the verdict, and
changes of status or threshold verdict written beside it. One panel per candidate variant."""

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from plots import FIGURES, style

TITLE = FIGURES["compare_diff"].title
COLORS = {
    "regression": style.FAIL_COLOR,
    "improvement": style.PASS_COLOR,
    "unchanged": style.MUTED,
    "inconclusive": "#bf8700",
}
ROW_IN = 0.3  # height of one configuration


def shown(compare: pd.DataFrame) -> pd.DataFrame:
    """Compared configurations with a peak test, or whose verdict is not `unchanged`."""
    both = compare[compare["presence"] == "both"]
    return both[both["diff_percent"].notna() | (both["verdict"] != "unchanged")]


def side_note(row) -> str:
    notes = []
    if row["status_change"] not in (None, "unchanged"):
        notes.append(f"status {row['status_baseline']} → {row['status_candidate']}")
    if row["threshold_change"] not in (None, "unchanged"):
        notes.append(f"threshold {row['threshold_baseline']} → {row['threshold_candidate']}")
    if np.isnan(row["diff_percent"]) and row["peak_verdict"] is not None:
        notes.append(f"no peak test (n = {row['n_baseline']:g} vs {row['n_candidate']:g})")
    return style.text("; ".join(notes))


def draw(data: dict, settings: dict, out_path) -> None:
    compare = style.plain(data["compare"])
    rows = shown(compare)
    if rows.empty:
        return style.message_figure(out_path, TITLE, "No configuration compared on both sides.")
    style.theme()
    variants = list(dict.fromkeys(rows["variant"]))
    counts = [len(rows[rows["variant"] == v]) for v in variants]
    height = 1.2 + sum(0.75 + ROW_IN * n for n in counts)
    fig, axes = plt.subplots(
        len(variants), 1, figsize=(style.WIDTH_IN, height), height_ratios=counts,
        layout="constrained", squeeze=False,
    )  # fmt: skip
    for ax, variant in zip(axes[:, 0], variants, strict=True):
        draw_panel(ax, rows[rows["variant"] == variant].copy())
    one_side = int((compare["presence"] != "both").sum())
    handles = [Line2D([], [], ls="", marker="o", color=c, label=v) for v, c in COLORS.items()]
    handles.append(Patch(color="0.88", label="within the practical threshold"))
    fig.legend(handles=handles, loc="outside lower center", ncols=len(handles), frameon=False)
    if one_side:
        fig.suptitle(
            f"{one_side} configuration(s) on one side only are not compared (see compare.csv)",
            x=0.99, ha="right", fontsize=8, color=style.MUTED,
        )  # fmt: skip
    style.save(fig, out_path)


def draw_panel(ax, rows: pd.DataFrame) -> None:
    rows = rows.sort_values(["bucket_model", "limit_mb"], kind="stable").reset_index(drop=True)
    y = np.arange(len(rows))[::-1]
    band = 100 * rows["threshold_mb"] / rows["mean_baseline_mb"]
    for yi, width in zip(y, band, strict=True):
        if np.isfinite(width):
            ax.fill_betweenx([yi - 0.4, yi + 0.4], -width, width, color="0.88", lw=0)
    ax.axvline(0, color="0.35", lw=1)
    tested = rows["diff_percent"].notna().to_numpy()
    for (_, row), yi in zip(rows.iterrows(), y, strict=True):
        color = COLORS.get(row["peak_verdict"] or row["verdict"], style.MUTED)
        if np.isnan(row["diff_percent"]):
            ax.plot(0, yi, marker="o", mfc="none", mec=color, ms=7, ls="")
        else:
            low, high = row["ci_low_percent"], row["ci_high_percent"]
            ax.plot([low, high], [yi, yi], color=color, lw=2, solid_capstyle="butt")
            ax.plot(row["diff_percent"], yi, marker="o", color=color, ms=7, **style.EDGE)
    xs = rows.loc[tested, ["ci_low_percent", "ci_high_percent"]].to_numpy().ravel()
    span = max([1.0, *np.abs(xs[np.isfinite(xs)]), *band[np.isfinite(band)]]) * 1.15
    ax.set_xlim(-span, span)
    ax.set_ylim(-0.7, len(rows) - 0.3)
    labels = [f"{row.limit_mb:g} MB · {style.text(row.bucket_model)}" for row in rows.itertuples()]
    ax.set_yticks(y, labels)
    ax.grid(axis="y", visible=False)
    for (_, row), yi in zip(rows.iterrows(), y, strict=True):
        word = row["verdict"]
        note = side_note(row)
        text = f"{word}  {note}" if note else word
        ax.text(1.01, yi, text, transform=ax.get_yaxis_transform(), va="center", fontsize=8,
                color=COLORS.get(word, style.MUTED))  # fmt: skip
    first = rows.iloc[0]
    n = rows["verdict"].value_counts()
    summary = ", ".join(f"{v} {n.get(v, 0)}" for v in COLORS)
    ax.set_title(
        f"{style.text(first['variant'])} vs {style.text(first['baseline_variant'])}: {summary}",
        loc="left",
    )
    ax.set_xlabel("change of the mean peak (% of the baseline's), with its interval")
