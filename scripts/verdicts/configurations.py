"""The checks of each configuration (variant, limit, bucket model) over its repeats: over its
budget (budget) and unstable (stability).

    >>> variance = pd.DataFrame({"variant": "default", "limit_mb": [323], "bucket_model": "auto",
    ...     "n": [3], "cv_percent": [7.5], "outlier_repeats": ["2"]})
    >>> row = stability_rows(variance, {"cv_warn_percent": 5})[0]
    >>> row["level"], row["message"]
    ('warn', 'CV 7.50% over 3 ok runs, outlier repeat(s) 2')
"""

import pandas as pd

import tables
from verdicts.rows import config_subject, number_text, verdict


def budget_rows(runs: pd.DataFrame) -> list[dict]:
    rows = []
    for _, group in runs.groupby(tables.CONFIG_KEY, sort=True):
        first = group.iloc[0]
        limit = first["limit_mb"]
        over = int(group["over_budget"].fillna(False).sum())
        oom = int((group["status"] == "oom").sum())
        peak = group["peak_mb"].max()
        message = f"{len(group)} run(s), {oom} OOM-killed, {over} over budget"
        if pd.notna(peak):
            message += f"; largest peak {peak:.1f} MB, headroom {limit - peak:.1f} MB"
        level = "warn" if over or oom else "ok"
        row = verdict("budget", level, config_subject(first), message, first, value=peak)
        rows.append({**row, "repeat": None, "run_dir": None, "bound": limit, "unit": "MB"})
    return rows


def stability_rows(variance: pd.DataFrame, settings: dict) -> list[dict]:
    warn = float(settings["cv_warn_percent"])
    rows = []
    for _, r in variance.iterrows():
        cv = r["cv_percent"]
        if pd.isna(cv):
            message, level = f"fewer than 2 ok runs ({number_text(r['n'])})", "ok"
        else:
            message, level = (
                f"CV {cv:.2f}% over {number_text(r['n'])} ok runs",
                "warn" if cv > warn else "ok",
            )
        if pd.notna(r["outlier_repeats"]) and r["outlier_repeats"]:
            message += f", outlier repeat(s) {r['outlier_repeats']}"
        rows.append(
            verdict("stability", level, config_subject(r), message, r, value=cv, bound=warn,
                    unit="%")
        )  # fmt: skip
    return rows
