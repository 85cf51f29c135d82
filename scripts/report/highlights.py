"""What a reader of a campaign sees first: the configurations that matter, for figures, the
digest and the report that cannot show them all (focus), and the campaign's closing message
(closing_summary), which the workflow prints when it ends. Verdicts themselves are decided in
scripts/verdicts/; this module only reads the tables.

    >>> import pandas as pd
    >>> runs = pd.DataFrame({"variant": "v", "limit_mb": [300, 600, 900], "bucket_model": "auto",
    ...     "status": ["ok", "oom", "ok"], "over_budget": False, "threshold_check": False,
    ...     "peak_mb": [120.0, None, 130.0]})
    >>> variance = pd.DataFrame({"variant": "v", "limit_mb": [300], "bucket_model": "auto",
    ...     "n_outliers": [0]})
    >>> focus(runs, variance)  # the OOM, and the largest peak of the model
    [('v', 600, 'auto'), ('v', 900, 'auto')]
"""

from __future__ import annotations

from collections import Counter
from typing import TYPE_CHECKING

import tables

if TYPE_CHECKING:  # the workflow imports this module when it starts: no pandas then
    import pandas as pd


def focus(runs: pd.DataFrame, variance: pd.DataFrame) -> list[tuple]:
    """The configurations (variant, limit_mb, bucket_model) that matter, for a reader who cannot
    look at all of them: every one with a run that is not ok or over budget, a threshold check,
    or an outlier repeat, and the one with the largest peak per variant and model; in key order.
    Read from the tables, not from verdicts.csv, so that a warning level moves none of them."""
    bad = runs["status"].ne("ok") | runs["over_budget"].fillna(False)
    marked = runs[bad | runs["threshold_check"].fillna(False)]
    keys = {tuple(k) for k in marked[tables.CONFIG_KEY].itertuples(index=False)}
    outliers = variance[variance["n_outliers"].fillna(0) > 0]
    keys |= {tuple(k) for k in outliers[tables.CONFIG_KEY].itertuples(index=False)}
    peaks = runs.dropna(subset=["peak_mb"])
    if not peaks.empty:
        top = peaks.loc[peaks.groupby(["variant", "bucket_model"])["peak_mb"].idxmax()]
        keys |= {tuple(k) for k in top[tables.CONFIG_KEY].itertuples(index=False)}
    return sorted(keys)


def closing_summary(verdicts: list[dict], statuses: list[str], report: str, most: int = 5) -> str:
    """The campaign's last message: its runs by status (statuses: one per run), its worst
    verdicts (rows of verdicts.csv: fail, then warn; at most `most` lines) or that every check
    passed, and where the report is. Plain rows: the workflow's own process prints it, without
    pandas.

    >>> rows = [{"level": "warn", "kind": "budget", "subject": "300 MB auto", "message": "over"},
    ...         {"level": "fail", "kind": "run_status", "subject": "rep 1", "message": "oom"}]
    >>> print(closing_summary(rows, ["ok", "oom", "ok"], "r.html"))
    memsweep: 3 run(s): 2 ok, 1 oom
    memsweep: 1 check(s) FAILED, 1 warning(s):
      fail run_status: rep 1: oom
      warn budget: 300 MB auto: over
    memsweep: report: r.html
    """
    counts = Counter(statuses)
    by_status = ", ".join(f"{n} {status}" for status, n in counts.most_common())
    lines = [f"memsweep: {len(statuses)} run(s): {by_status or 'none'}"]
    worst = sorted(  # the worst level first (tables.LEVELS: mildest first), then in table order
        (r for r in verdicts if r["level"] != tables.LEVELS[0]),
        key=lambda r: -tables.LEVELS.index(r["level"]),
    )
    if not worst:
        lines.append("memsweep: all checks passed")
    else:
        n_fail = sum(r["level"] == "fail" for r in worst)
        lines.append(f"memsweep: {n_fail} check(s) FAILED, {len(worst) - n_fail} warning(s):")
        lines += [
            f"  {r['level']} {r['kind']}: {r['subject']}: {r['message']}" for r in worst[:most]
        ]
        if len(worst) > most:
            lines.append(f"  ... and {len(worst) - most} more in {tables.VERDICTS.path}")
    lines.append(f"memsweep: report: {report}")
    return "\n".join(lines)
