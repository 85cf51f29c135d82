"""The searches' check: each row of search.csv gets its level from its outcome, and fails when a
documented threshold's switch is found elsewhere; a search whose configurations are not monotonic
in the limit warns.

    >>> SEARCH_LEVELS["found"], SEARCH_LEVELS["documented_not_found"]
    ('ok', 'fail')
"""

import pandas as pd

import tables
from verdicts.rows import number_text, verdict

SEARCH_LEVELS = {
    "found": "ok", "repeats_disagree": "warn", "no_report": "fail", "unresolved": "fail",
    "none_found": "warn", "flaky": "warn", "fails_at_high": "fail", "flaky_at_high": "fail",
    "ok_at_low": "warn", "documented_not_found": "fail",
}  # fmt: skip


def search_finding(r) -> str:
    """What a search.csv row found, in words."""
    result, outcome = number_text(r["result_mb"]), r["outcome"]
    if outcome == "found" and r["kind"] == "switch":
        return f"switches at {result} MB: {r['below']} -> {r['at']}"
    if outcome == "found":
        below = number_text(r["result_mb"] - 1)
        return f"needs {result} MB: ok in every run there, {r['below']} at {below} MB"
    if outcome == "flaky":
        low = number_text(r["range_low_mb"])
        return f"needs {result} MB to be ok in every run; flaky from {low} MB"
    if outcome == "repeats_disagree":
        return f"a switch {r['below']} -> {r['at']} at {result} MB, but {r['note']}"
    if outcome == "fails_at_high":
        return f"fails even at high_mb {number_text(r['high_mb'])} MB ({r['below']})"
    if outcome == "ok_at_low":
        return f"ok already at low_mb {number_text(r['low_mb'])} MB: the least limit is lower"
    return str(r["note"])


def search_rows(search: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in search.iterrows():
        level, message = SEARCH_LEVELS.get(r["outcome"], "fail"), search_finding(r)
        documented, result = r["documented_mb"], r["result_mb"]
        if pd.notna(documented) and pd.notna(result) and documented == result:
            message += " (as documented)"
        elif pd.notna(documented) and pd.notna(result):
            level = "fail"
            message = (
                f"documented at {number_text(documented)} MB, found at {number_text(result)} MB: "
                f"{r['below']} -> {r['at']}"
            )
        if pd.notna(r["monotonic"]) and not r["monotonic"]:
            level = max(level, "warn", key=tables.LEVELS.index)
            message += "; not monotonic: " + str(r["note"]).split("not monotonic: ", 1)[-1]
        message += f" ({number_text(r['probes'])} runs, {number_text(r['reused'])} reused)"
        subject = f"{r['variant']} · {r['search']} · {r['bucket_model']}"
        row = {
            "variant": r["variant"],
            "limit_mb": r["result_mb"],
            "bucket_model": r["bucket_model"],
        }
        rows.append(verdict("search", level, subject, message, row, value=r["result_mb"],
                            bound=documented, unit="MB"))  # fmt: skip
    return rows
