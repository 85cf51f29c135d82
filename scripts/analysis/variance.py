"""Peak stability per (limit, model) of the grid runs: results/summary/variance.csv.

The peak of a run is runs.csv's peak_mb: the larger of the kernel's own (hwm_mb, VmHWM, which no
sampling interval can miss) and the sampled peak_rss_mb (larger only for a process tree, whose
summed RSS VmHWM does not see). Sampled peaks of identical runs scatter by the few MB a 10 ms
interval can miss; their VmHWM agrees within a fraction of a MB.
Only runs with status "ok" and a known peak are averaged (n); runs not ok are counted in n_failed.
std_mb is the sample standard deviation (ddof=1, empty when n < 2), cv_percent = std / mean * 100.
A repeat is an outlier when its modified z-score 0.6745 * |x - median| / MAD is above
mad_threshold (default 3.5) and it is more than min_percent (default 1) percent of the median away
from the median: with 3 repeats the MAD can be a few kB, and a 0.2 MB difference is no outlier.
Called by the `summary` job (scripts/summary.py); by hand:

    >>> import pandas as pd
    >>> from analysis import variance
    >>> runs = pd.DataFrame({"variant": "default", "limit_mb": 323, "bucket_model": "4M/8M/4M",
    ...     "repeat": [1, 2, 3], "status": "ok", "peak_mb": [100.0, 102.0, 104.0], "in_grid": True})
    >>> row = variance.variance_table(runs).iloc[0]
    >>> [round(float(row[c]), 3) for c in ["n", "mean_peak_mb", "std_mb", "cv_percent"]]
    [3.0, 102.0, 2.0, 1.961]
"""

import logging

import numpy as np
import pandas as pd

import tables

log = logging.getLogger("variance")


def mad_outliers(
    values: pd.Series, mad_threshold: float = 3.5, min_percent: float = 1.0
) -> pd.Series:
    """Boolean mask of outliers by the modified z-score (see the module docstring)."""
    if values.empty:
        return pd.Series(dtype=bool, index=values.index)
    median = values.median()
    deviation = (values - median).abs()
    mad = deviation.median()
    far = deviation > min_percent / 100 * abs(median)
    if mad > 0:
        return far & (0.6745 * deviation / mad > mad_threshold)
    return far


def group_row(key: tuple, group: pd.DataFrame, mad_threshold: float, min_percent: float) -> dict:
    """One configuration's row; key is (variant, limit_mb, bucket_model)."""
    ok = group["status"].astype("string").eq("ok").fillna(False).astype(bool)
    peaks = pd.to_numeric(group["peak_mb"], errors="coerce")
    used = ok & peaks.notna()
    if (ok & ~used).any():
        log.warning("%s: %d ok run(s) without a peak left out", key, int((ok & ~used).sum()))
    values = peaks[used].astype(float)
    repeats = group.loc[used, "repeat"]
    n = len(values)
    mean = values.mean() if n else np.nan
    std = values.std(ddof=1) if n >= 2 else np.nan
    outliers = mad_outliers(values, mad_threshold, min_percent)
    return {
        **dict(zip(tables.CONFIG_KEY, key, strict=True)),
        "n": n,
        "n_failed": int((~ok).sum()),
        "mean_peak_mb": mean,
        "std_mb": std,
        "cv_percent": std / mean * 100 if n >= 2 and mean else np.nan,
        "min_mb": values.min() if n else np.nan,
        "max_mb": values.max() if n else np.nan,
        "median_mb": values.median() if n else np.nan,
        "n_outliers": int(outliers.sum()) if n else pd.NA,
        "outlier_repeats": ";".join(str(int(r)) for r in sorted(repeats[outliers])),
    }


def variance_table(
    runs: pd.DataFrame, mad_threshold: float = 3.5, min_percent: float = 1.0
) -> pd.DataFrame:
    """One row per (variant, limit_mb, bucket_model) of the grid runs (in_grid true)."""
    grid = runs[tables.as_bool(runs["in_grid"]).fillna(False)]
    rows = [
        group_row(key, group, mad_threshold, min_percent)
        for key, group in grid.groupby(tables.CONFIG_KEY, sort=True)
    ]
    return tables.typed(pd.DataFrame(rows, columns=tables.VARIANCE.names), tables.VARIANCE)


def main(runs_csv, out_csv, mad_threshold: float, min_percent: float) -> None:
    table = variance_table(tables.RUNS.read(runs_csv), float(mad_threshold), float(min_percent))
    tables.VARIANCE.write(table, out_csv)
    for row in table.itertuples():
        log.info(
            "%s %s MB %s: n=%s failed=%s mean=%s MB cv=%s%% outliers=%s",
            row.variant, row.limit_mb, row.bucket_model, row.n, row.n_failed,
            f"{row.mean_peak_mb:.1f}" if pd.notna(row.mean_peak_mb) else "NA",
            f"{row.cv_percent:.2f}" if pd.notna(row.cv_percent) else "NA",
            row.outlier_repeats if pd.notna(row.outlier_repeats) else "none",
        )  # fmt: skip
    log.info("%d configurations -> %s", len(table), out_csv)
