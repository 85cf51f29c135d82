"""The comparison's checks (with compare.baseline set): compare.csv decided each configuration's
verdict, here it gets its level (compare); each aspect of where the two sides ran (compare_env).

    >>> env = pd.DataFrame({"aspect": ["host"], "baseline": ["a"], "candidate": ["b"],
    ...     "level": ["warn"], "note": ["the sides ran on different hosts"]})
    >>> compare_env_rows(env)[0]["message"]
    'baseline a, candidate b: the sides ran on different hosts'
"""

import pandas as pd

from verdicts.rows import number_text, truth, verdict


def compare_rows(compare: pd.DataFrame) -> list[dict]:
    """Fail on a regression; warn when the reported configuration changed, or when an
    inconclusive change is larger than the threshold (it could be noise)."""
    rows = []
    for _, r in compare.iterrows():
        suspect = r["verdict"] == "inconclusive" and truth(r["diff_mb"] > r["threshold_mb"])
        level = "fail" if r["verdict"] == "regression" else "ok"
        if level == "ok" and (truth(r["reported_changed"]) or suspect):
            level = "warn"
        subject = f"{r['variant']} vs {r['baseline_variant']} · {number_text(r['limit_mb'])} MB · "
        subject += str(r["bucket_model"])
        bound = 100 * r["threshold_mb"] / r["mean_baseline_mb"]
        rows.append(verdict("compare", level, subject, f"{r['verdict']}: {r['reason']}", r,
                            value=r["diff_percent"], bound=bound, unit="%"))  # fmt: skip
    return rows


def compare_env_rows(env: pd.DataFrame) -> list[dict]:
    """Each aspect at the level compare_env.csv gave it, with both sides' values."""
    rows = []
    for _, r in env.iterrows():
        message = f"baseline {r['baseline']}, candidate {r['candidate']}"
        message += f": {r['note']}" if r["level"] != "ok" else ""
        rows.append(verdict("compare_env", r["level"], r["aspect"], message))
    return rows
