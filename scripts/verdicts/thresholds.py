"""The threshold check: each run at a threshold - 1, the threshold and + 1 fails unless the
program reported the expected configuration (thresholds.csv decided PASS or FAIL)."""

import pandas as pd

from verdicts.rows import number_text, verdict


def threshold_rows(thresholds: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in thresholds.iterrows():
        subject = (
            f"{r['variant']} · {number_text(r['threshold_mb'])} MB check, {r['position']}: "
            f"{number_text(r['limit_mb'])} MB · {r['bucket_model']}"
        )
        reported = r["reported_config"]
        message = f"reported {'nothing' if pd.isna(reported) else repr(reported)}"
        if r["verdict"] != "PASS":
            message += f", expected {r['expected']!r}"
        if pd.notna(r["status"]) and r["status"] != "ok":
            message += f" (run {r['status']})"
        if pd.isna(r["repeat"]):
            message += " (no run)"
        level = "ok" if r["verdict"] == "PASS" else "fail"
        rows.append(verdict("threshold", level, subject, message, r))
    return rows
