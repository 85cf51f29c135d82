"""What every figure shares: the look, the colours, labels, and small drawing helpers.

A figure module draws with these so that all figures read alike:

    from plots import style
    style.theme()                           # seaborn's theme and colour-blind palette
    sns = style.sns                         # seaborn, imported once here
    fig, ax = plt.subplots(figsize=(style.WIDTH_IN, 4.8))
    style.fixed_layout(fig, left=style.yaxis_width(ax) + style.EDGE_IN, right=style.EDGE_IN,
                       top=style.TITLE_IN, bottom=style.XAXIS_IN)  # margins in inches
    style.save(fig, "results/plots/x.png")  # writes the PNG, closes the figure, logs it

Tables arrive typed by the readers of scripts/tables/ (nullable dtypes); `plain` turns them
into NumPy dtypes (NaN for a missing number, False for a missing flag) that matplotlib draws.
Inside `with style.capture() as drawn:`, `drawn` collects every figure saved, so tests check
what a figure drew (its axes, labels and data), not its pixels.
"""

import logging
import sys
import warnings
from contextlib import contextmanager
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.font_manager import FontProperties  # noqa: E402

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
    """NumPy dtypes for drawing: numbers as float64 (NaN), flags as bool, text as str (None
    where missing); built in one go, column by column (a few times faster than astype each)."""
    columns = {}
    for name, dtype in frame.dtypes.items():
        column = frame[name]
        if dtype in ("Int64", "Float64"):
            columns[name] = column.to_numpy("float64", na_value=np.nan)
        elif dtype == "boolean":
            columns[name] = column.to_numpy(bool, na_value=False)
        elif dtype == "string":
            columns[name] = pd.Series(column.to_numpy(object, na_value=None), frame.index, object)
        else:
            columns[name] = column
    return pd.DataFrame(columns, index=frame.index)


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


# zlib level 1: a PNG a fifth larger, written in half the time (the report embeds it either way)
PNG = {"compress_level": 1}


# Callbacks `save` hands each figure to, as observer(fig, out_path), after writing its PNG and
# before closing it: `capture()` adds one, so tests inspect what a figure drew.
OBSERVERS = []


def save(fig, out_path) -> None:
    fig.savefig(out_path, dpi=DPI, pil_kwargs=PNG)
    for observer in OBSERVERS:
        observer(fig, out_path)
    plt.close(fig)
    log.info("wrote %s", out_path)


@contextmanager
def capture():
    """{PNG file name without suffix: the matplotlib figure} of every figure saved inside the
    block (closed, its artists intact to inspect).

    >>> import tempfile
    >>> with tempfile.TemporaryDirectory() as folder, capture() as drawn:
    ...     message_figure(Path(folder, "spikes.png"), "Memory spikes", "No spikes detected.")
    >>> [t.get_text() for t in drawn["spikes"].texts]
    ['Memory spikes', 'No spikes detected.']
    """
    drawn = {}

    def keep(fig, out_path):
        drawn[Path(out_path).stem] = fig

    OBSERVERS.append(keep)
    try:
        yield drawn
    finally:
        OBSERVERS.remove(keep)


# A fixed layout, in inches: constrained layout measures every artist twice to place the axes,
# and savefig draws the figure once more for it (a third to a half of a figure's cost). Room for a
# row of tick labels and an axis label below them, a title above, a y axis' label beside its ticks.
XAXIS_IN, TITLE_IN, YLABEL_IN, EDGE_IN = 0.5, 0.3, 0.36, 0.12
COLORBAR_IN = 0.65  # a colorbar's tick labels and label, right of it


def fixed_layout(fig, left, right, top, bottom, wgap=0.0, hgap=0.0) -> None:
    """Place the figure's grid of axes with margins and gaps between them in inches."""
    width, height = fig.get_size_inches()
    rows, cols = fig.axes[0].get_subplotspec().get_gridspec().get_geometry()
    inner_w, inner_h = width - left - right, height - top - bottom
    fig.subplots_adjust(
        left=left / width, right=1 - right / width, bottom=bottom / height, top=1 - top / height,
        wspace=wgap * cols / (inner_w - wgap * (cols - 1)),
        hspace=hgap * rows / (inner_h - hgap * (rows - 1)),
    )  # fmt: skip


def text_width(fig, texts, fontsize: float) -> float:
    """Inches the widest of texts takes at fontsize (points), as the figure draws it."""
    renderer, font = fig.canvas.get_renderer(), FontProperties(size=fontsize)
    widths = [renderer.get_text_width_height_descent(t, font, ismath=False)[0] for t in texts]
    return max(widths, default=0.0) / fig.dpi


def ytick_width(ax) -> float:
    """Inches of ax's widest y tick label, from its locator and formatter (no tick is made)."""
    axis = ax.yaxis
    lo, hi = sorted(axis.get_view_interval())
    values = [v for v in axis.get_major_locator()() if lo <= v <= hi]
    axis.get_major_formatter().set_axis(axis)
    labels = axis.get_major_formatter().format_ticks(values)
    return text_width(ax.figure, labels, plt.rcParams["ytick.labelsize"])


def yaxis_width(ax) -> float:
    """Inches a y axis takes left of its axes: tick labels, their pad and the axis label."""
    return ytick_width(ax) + YLABEL_IN


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


@contextmanager
def without_draw():
    """seaborn's heatmap without its draw of the whole figure (tick labels off: nothing to see)."""
    draw = sns.matrix._draw_figure
    sns.matrix._draw_figure = lambda fig: None
    try:
        yield
    finally:
        sns.matrix._draw_figure = draw


def heatmap(ax, matrix, cmap, norm, labels=None, colorbar=None, lines=0.0):
    """seaborn's heatmap of a matrix: cell (i, j) spans [j, j + 1] x [i, i + 1] (ticks go at
    n + 0.5), grey where NaN, labels[i][j] written in it (seaborn picks black or white for its
    colour), white lines between cells `lines` points wide, a colorbar labelled `colorbar` (""
    leaves its room empty, to line the heatmap up with others that have one; None, no room)."""
    ax.set_facecolor("#eaeef2")
    annot = np.asarray(labels, dtype=object) if labels is not None else False
    width = ax.get_position().width * ax.figure.get_figwidth()  # inches, about: before layout
    cbar = None if colorbar is None else {"label": colorbar, "shrink": 0.8,
                                          "fraction": 0.3 / width, "pad": 0.15 / width}  # fmt: skip
    # seaborn draws the whole figure once per heatmap, to see whether its tick labels overlap:
    # there are none here (the caller sets its own), so that draw is skipped
    with warnings.catch_warnings(), without_draw():
        warnings.simplefilter("ignore", RuntimeWarning)  # a matrix of NaN only: colour range
        sns.heatmap(np.asarray(matrix, dtype=float), ax=ax, cmap=cmap, norm=norm, annot=annot,
                    fmt="", annot_kws={"fontsize": 7.5}, cbar=cbar is not None, cbar_kws=cbar,
                    linewidths=lines, linecolor="white", xticklabels=False,
                    yticklabels=False)  # fmt: skip
    if labels is not None:  # seaborn writes no label in an empty (NaN) cell
        for (i, j), value in np.ndenumerate(np.asarray(matrix, dtype=float)):
            if np.isnan(value) and labels[i][j]:
                ax.text(j + 0.5, i + 0.5, labels[i][j], ha="center", va="center", fontsize=7.5)
    ax.grid(False)
    mesh = ax.collections[0]
    if colorbar == "":
        mesh.colorbar.ax.set_visible(False)
    return mesh


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
