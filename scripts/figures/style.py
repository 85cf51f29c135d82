"""What every figure shares: the look, the colours, labels, and small drawing helpers.

A figure module draws with these so that all figures read alike:

    from figures import style
    style.theme()                           # seaborn's theme and colour-blind palette
    sns = style.sns                         # seaborn, imported once here
    fig, ax = plt.subplots(figsize=(style.WIDTH_IN, 4.8), layout="constrained")
    style.save(fig, "results/plots/x.png")  # writes the PNG, closes the figure, logs it

Tables arrive typed by the readers in scripts/tables.py (nullable dtypes); `plain` turns them
into NumPy dtypes (NaN for a missing number, False for a missing flag) that matplotlib draws.
"""

import logging
import sys
import warnings

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

log = logging.getLogger("figures")


def import_seaborn():
    """seaborn, imported without scipy when scipy is not loaded yet: seaborn imports scipy.stats
    (about 1.1 s here, most of seaborn's import) only for kernel density estimates and
    clustermap, which no figure draws, and falls back to its own copy of the estimator."""
    if "scipy" in sys.modules:
        import seaborn
    else:
        sys.modules["scipy"] = None  # makes `import scipy...` raise ImportError
        try:
            import seaborn
        finally:
            del sys.modules["scipy"]
    return seaborn


sns = import_seaborn()

DPI = 110
WIDTH_IN = 12.0
BUCKETS = 600  # points per trace line: the largest sample of each time bucket is kept
PASS_COLOR, FAIL_COLOR, MUTED = "#1a7f37", "#cf222e", "#57606a"
EDGE = {"mec": "black", "mew": 0.5}  # marker edge
BOX = {"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1.5}  # behind text over data
NOTE = {"color": FAIL_COLOR, "fontsize": 7.5, "va": "bottom", "bbox": BOX}
# seaborn's theme, its own colour-blind safe palette, smaller type for 12-inch figures
THEME = {"style": "whitegrid", "context": "notebook", "palette": "colorblind", "font_scale": 0.85}
COLORBLIND = [tuple(c) for c in sns.color_palette(THEME["palette"])]
REPEATS = COLORBLIND  # a repeat's colour in trace panels


def plain(frame: pd.DataFrame) -> pd.DataFrame:
    """NumPy dtypes for drawing: numbers as float64 (NaN), flags as bool, text as str."""
    out = frame.copy()
    for name, dtype in frame.dtypes.items():
        if dtype in ("Int64", "Float64"):
            out[name] = frame[name].astype("float64")
        elif dtype == "boolean":
            out[name] = frame[name].fillna(False).astype(bool)
        elif dtype == "string":
            out[name] = frame[name].astype(object).where(frame[name].notna(), None)
    return out


def series_label(frame: pd.DataFrame) -> pd.Series:
    """The name of a line or colour: the bucket model, prefixed by the variant when a campaign
    has more than one."""
    if frame["variant"].nunique() > 1:
        return frame["variant"].astype(str) + " · " + frame["bucket_model"].astype(str)
    return frame["bucket_model"].astype(str)


def palette(labels) -> dict[str, str]:
    labels = list(dict.fromkeys(labels))
    return {m: COLORBLIND[i % len(COLORBLIND)] for i, m in enumerate(labels)}


def repeat_color(repeat) -> tuple:
    return REPEATS[(int(repeat) - 1) % len(REPEATS)] if pd.notna(repeat) else REPEATS[7]


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


def theme() -> None:
    sns.set_theme(**THEME)
    plt.rcParams.update({"axes.titleweight": "bold", "axes.titlesize": 10, "figure.dpi": DPI})


def save(fig, out_path) -> None:
    fig.savefig(out_path, dpi=DPI)
    plt.close(fig)
    log.info("wrote %s", out_path)


def message_figure(out_path, title: str, message: str) -> None:
    """A small PNG that says why there is no plot."""
    theme()
    fig = plt.figure(figsize=(WIDTH_IN, 2.2))
    fig.text(0.5, 0.62, title, ha="center", fontsize=13, weight="bold")
    fig.text(0.5, 0.36, message, ha="center", fontsize=11, color=MUTED, wrap=True)
    save(fig, out_path)


def grid_runs(runs: pd.DataFrame) -> pd.DataFrame:
    """Grid runs, or every run when none is marked in_grid."""
    return runs[runs["in_grid"]] if runs["in_grid"].any() else runs


def config_order(frame: pd.DataFrame) -> list[tuple[str, int, str]]:
    """(variant, limit, model): variants and models in order of appearance, limits ascending."""
    variants = list(dict.fromkeys(frame["variant"]))
    models = list(dict.fromkeys(frame["bucket_model"]))
    pairs = frame[["variant", "limit_mb", "bucket_model"]].drop_duplicates()
    pairs = pairs.assign(
        v=pairs["variant"].map(variants.index), m=pairs["bucket_model"].map(models.index)
    ).sort_values(["m", "v", "limit_mb"])
    return list(
        zip(pairs["variant"], pairs["limit_mb"].astype(int), pairs["bucket_model"], strict=True)
    )


def heatmap(ax, matrix, cmap, norm, labels=None, colorbar=None, lines=0.0):
    """seaborn's heatmap of a matrix: cell (i, j) spans [j, j + 1] x [i, i + 1] (ticks go at
    n + 0.5), grey where NaN, labels[i][j] written in it (seaborn picks black or white for its
    colour), white lines between cells `lines` points wide, a colorbar labelled `colorbar`."""
    ax.set_facecolor("#eaeef2")
    annot = np.asarray(labels, dtype=object) if labels is not None else False
    cbar = {"label": colorbar, "shrink": 0.8} if colorbar else None
    # seaborn draws the whole figure once per heatmap (to see whether tick labels overlap): with
    # the layout engine off that draw skips the layout, most of its cost
    fig, engine = ax.figure, ax.figure.get_layout_engine()
    fig.set_layout_engine("none")
    with warnings.catch_warnings():  # a matrix of NaN only: seaborn's colour range warns
        warnings.simplefilter("ignore", RuntimeWarning)
        sns.heatmap(np.asarray(matrix, dtype=float), ax=ax, cmap=cmap, norm=norm, annot=annot,
                    fmt="", annot_kws={"fontsize": 7.5}, cbar=bool(colorbar), cbar_kws=cbar,
                    linewidths=lines, linecolor="white", xticklabels=False,
                    yticklabels=False)  # fmt: skip
    fig.set_layout_engine(engine)
    if labels is not None:  # seaborn writes no label in an empty (NaN) cell
        for (i, j), value in np.ndenumerate(np.asarray(matrix, dtype=float)):
            if np.isnan(value) and labels[i][j]:
                ax.text(j + 0.5, i + 0.5, labels[i][j], ha="center", va="center", fontsize=7.5)
    ax.grid(False)
    return ax.collections[0]


def text(value) -> str:
    """Data text for matplotlib: a "$" from a solver's output must not start mathtext."""
    return str(value).replace("$", r"\$")


def label_side(drawn: list[tuple[np.ndarray, np.ndarray]], level: float) -> float:
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
