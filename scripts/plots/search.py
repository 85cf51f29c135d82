"""Per search and variant: every probe in the order the search used it (top to bottom), at its
limit, coloured by the configuration it reported (switch) or its status (min_memory); hollow
when the campaign had the run anyway. Dashed lines mark the answers, a band a flaky range."""

import math

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.lines import Line2D
from matplotlib.ticker import MaxNLocator

from plots import FIGURES, style

TITLE = FIGURES["search"].title
NO_REPORT = "no report"


def draw(data: dict, settings: dict, out_path) -> None:
    probes, found = style.plain(data["search_probes"]), style.plain(data["search"])
    if found.empty:
        return style.message_figure(out_path, TITLE, "No searches configured.")
    style.theme()
    keys = list(dict.fromkeys(zip(found["variant"], found["search"], strict=True)))
    sizes = [max(int(((probes["variant"] == v) & (probes["search"] == s)).sum()), 1)
             for v, s in keys]  # fmt: skip
    heights = [1.3 + 0.16 * min(n, 60) for n in sizes]
    fig, axes = plt.subplots(
        len(keys), 1, figsize=(style.WIDTH_IN, sum(heights) + 0.3), layout="constrained",
        height_ratios=heights, squeeze=False,
    )  # fmt: skip
    for ax, (variant, name) in zip(axes[:, 0], keys, strict=True):
        mine = probes[(probes["variant"] == variant) & (probes["search"] == name)]
        rows = found[(found["variant"] == variant) & (found["search"] == name)]
        draw_search(ax, mine.sort_values("order"), rows, several=len(set(found["variant"])) > 1)
    style.save(fig, out_path)


def category(probe, kind: str) -> str:
    if kind == "min_memory":
        return str(probe["status"])
    return NO_REPORT if probe["reported_config"] is None else str(probe["reported_config"])


def draw_search(ax, probes, rows, several: bool) -> None:
    first = rows.iloc[0]
    kind = first["kind"]
    cats = [category(p, kind) for _, p in probes.iterrows()]
    colors = style.palette([c for c in cats if c not in ("ok", NO_REPORT)])
    colors |= {"ok": style.PASS_COLOR, NO_REPORT: "0.55"}
    if kind == "min_memory":
        colors = {c: style.PASS_COLOR if c == "ok" else style.FAIL_COLOR for c in cats}
    y = probes["order"].to_numpy(dtype=float)
    x = probes["limit_mb"].to_numpy(dtype=float)
    reused = probes["reused"].to_numpy(dtype=bool)
    for cat in dict.fromkeys(cats):
        mask = np.array([c == cat for c in cats])
        for hollow in (False, True):
            sel = mask & (reused == hollow)
            face = "none" if hollow else colors[cat]
            ax.plot(x[sel], y[sel], ls="", marker="X" if cat == NO_REPORT else "o", ms=7,
                    mfc=face, mec=colors[cat], mew=1.6)  # fmt: skip
    for xx, yy in zip(x, y, strict=True):
        ax.text(xx, yy, f"  {xx:.0f}", va="center", fontsize=7, color=style.MUTED)
    answers = []
    for _, r in rows.iterrows():
        if not math.isnan(r["range_low_mb"]) and r["range_low_mb"] < r["range_high_mb"]:
            ax.axvspan(r["range_low_mb"], r["range_high_mb"], color=style.FAIL_COLOR, alpha=0.08)
        if not math.isnan(r["result_mb"]):
            ax.axvline(r["result_mb"], color=style.MUTED, ls="--", lw=1)
            ax.text(r["result_mb"], 1.0, f" {r['result_mb']:.0f} MB", va="top", fontsize=8,
                    color=style.MUTED, transform=ax.get_xaxis_transform())  # fmt: skip
            answers.append(f"{r['result_mb']:.0f}")
    handles = [Line2D([], [], ls="", marker="o", ms=7, color=c, label=style.text(cat))
               for cat, c in colors.items() if cat in cats]  # fmt: skip
    handles.append(Line2D([], [], ls="", marker="o", ms=7, mfc="none", mec="0.3",
                          label="reused (the campaign had the run)"))  # fmt: skip
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    ax.invert_yaxis()
    ax.yaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_ylabel("probe, in order")
    ax.set_xlabel("memory limit (MB)")
    head = f"{first['variant']} · " if several else ""
    what = ", ".join(sorted(set(rows["outcome"])))
    result = f": {', '.join(answers)} MB" if answers else ""
    ax.set_title(
        f"{head}{style.text(first['search'])} ({kind}, {style.text(first['bucket_model'])}): "
        f"{what}{result} · {len(probes)} runs, {int(reused.sum())} reused, "
        f"{first['steps']:.0f} steps",
        loc="left",
    )
