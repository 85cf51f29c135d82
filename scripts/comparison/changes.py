"""What changed between a baseline's runs and the candidate's, per configuration: the peak by the
rule of comparison/stats.py, the statuses, the reported configurations and the threshold checks,
each decided and said in words (compare.csv); the two sides' environments side by side
(compare_env.csv) and their runs (compare_runs.csv). scripts/compare.py, the `compare` rule's
entry, reads the sides and writes the tables; its docstring says what each column means.

    >>> import pandas as pd
    >>> status_change(pd.Series(["ok", "ok"]), pd.Series(["ok", "oom"]))
    'regression'
"""

import pandas as pd

import comparison.stats
import tables
from comparison import baselines

NOT_OK_ORDER = ("oom", "failed", "timeout", "killed")
INTERVAL_TOLERANCE = 0.1  # sampling intervals differing by more than 10% are a warning
P99_RATIO = 2.0  # a side whose p99 sampling interval is twice the other's is a warning


def status_text(statuses: pd.Series) -> str | None:
    """'ok 3' or 'oom 2, ok 1': each status with its count, failures first."""
    counts = statuses.fillna("unknown").value_counts()
    order = [s for s in NOT_OK_ORDER if s in counts] + sorted(set(counts.index) - {*NOT_OK_ORDER})
    order = [s for s in order if s != "ok"] + (["ok"] if "ok" in counts else [])
    return ", ".join(f"{s} {counts[s]}" for s in order) or None


def status_change(base: pd.Series, cand: pd.Series) -> str | None:
    """regression / improvement / unchanged, from the runs' statuses of each side."""
    if base.empty or cand.empty:
        return None
    share_b = float((base != "ok").mean())
    share_c = float((cand != "ok").mean())
    new_failures = set(cand[cand != "ok"]) - set(base[base != "ok"])
    if share_c > share_b or (share_c == share_b and new_failures):
        return "regression"
    return "improvement" if share_c < share_b else "unchanged"


def reported_text(values: pd.Series) -> str | None:
    """The configurations a side's runs reported, most frequent first."""
    counts = values.dropna().astype(str).value_counts(sort=True)
    return ", ".join(counts.index) or None


def threshold_text(verdicts: pd.Series) -> str | None:
    return None if verdicts.empty else ("PASS" if (verdicts == "PASS").all() else "FAIL")


def threshold_change(base: str | None, cand: str | None) -> str | None:
    if base is None or cand is None:
        return None
    if base == cand:
        return "unchanged"
    return "regression" if cand == "FAIL" else "improvement"


def ok_grid_peaks(runs: pd.DataFrame) -> pd.Series:
    ok = runs["status"].eq("ok").fillna(False) & runs["in_grid"].fillna(False)
    return runs.loc[ok, "peak_mb"].dropna().astype(float)


def at(frame: pd.DataFrame, variant: str, limit: int, model: str) -> pd.DataFrame:
    mine = (frame["variant"] == variant) & (frame["limit_mb"] == limit)
    return frame[(mine & (frame["bucket_model"] == model)).fillna(False)]


def config_row(pair, config, base, cand, base_th, cand_th) -> dict:
    """Everything about one configuration except the peak test (which needs every row's n)."""
    (variant, base_variant), (limit, model) = pair, config
    b, c = at(base, base_variant, limit, model), at(cand, variant, limit, model)
    presence = "both" if len(b) and len(c) else ("baseline only" if len(b) else "candidate only")
    pb, pc = ok_grid_peaks(b), ok_grid_peaks(c)
    row = {
        "variant": variant, "limit_mb": limit, "bucket_model": model,
        "baseline_variant": base_variant, "presence": presence,
        "n_baseline": len(pb), "n_candidate": len(pc),
        "median_baseline_mb": pb.median() if len(pb) else None,
        "median_candidate_mb": pc.median() if len(pc) else None,
        "mean_baseline_mb": pb.mean() if len(pb) else None,
        "mean_candidate_mb": pc.mean() if len(pc) else None,
        "status_baseline": status_text(b["status"]) if len(b) else None,
        "status_candidate": status_text(c["status"]) if len(c) else None,
        "status_change": status_change(b["status"].fillna("unknown"),
                                       c["status"].fillna("unknown")),
        "reported_baseline": reported_text(b["reported_config"]),
        "reported_candidate": reported_text(c["reported_config"]),
        "threshold_baseline": threshold_text(at(base_th, base_variant, limit, model)["verdict"]),
        "threshold_candidate": threshold_text(at(cand_th, variant, limit, model)["verdict"]),
        "peaks": (pb.to_numpy(), pc.to_numpy()),
        "grid": bool(b["in_grid"].fillna(False).any() and c["in_grid"].fillna(False).any()),
    }  # fmt: skip
    both = row["reported_baseline"] is not None and row["reported_candidate"] is not None
    row["reported_changed"] = both and row["reported_baseline"] != row["reported_candidate"]
    row["threshold_change"] = threshold_change(row["threshold_baseline"],
                                               row["threshold_candidate"])  # fmt: skip
    return row


def signed(value: float, unit: str = "%") -> str:
    return f"{value:+.2f}{unit}".replace("-", "−")


def peak_reason(row: dict, test, m: int, alpha: float) -> str:
    t, mean_b = row["threshold_mb"], row["mean_baseline_mb"]
    head = f"peak {signed(row['diff_percent'])} ({signed(row['diff_mb'], ' MB')})"
    interval = f"interval {signed(row['ci_low_percent'])} to {signed(row['ci_high_percent'])}"
    limit = f"±{t:.2f} MB ({100 * t / mean_b:.2f}%)"
    p = f"p = {row['p_adjusted']:.2g} after correcting for {m} test{'s' * (m > 1)}"
    verdict = row["peak_verdict"]
    if verdict in ("regression", "improvement"):
        text = f"{head}, beyond the threshold {limit}; {interval}; {p}"
    elif verdict == "unchanged":
        text = f"{head}; the {interval} lies within the threshold {limit}"
    elif abs(row["diff_mb"]) > t:
        text = f"{head} is beyond the threshold {limit}, but {p}: it could be noise"
        text += "; more repeats would tell"
    else:
        text = f"{head} is within the threshold {limit}, but the {interval} reaches beyond it"
        text += "; more repeats would tell"
    if test.floored:
        text += " (a side had identical peaks: its spread taken as one page, 4 kB)"
    return text


def test_rows(rows: list[dict], settings: dict) -> None:
    """Fill in the peak test of every row with 2+ ok grid runs a side (m = how many)."""
    alpha = float(settings["alpha"])
    for row in rows:
        row["tested"] = row["presence"] == "both" and min(map(len, row["peaks"])) >= 2
    tested = [row for row in rows if row["tested"]]
    m = len(tested)
    for row in rows:
        row["peak_verdict"] = None
        if row["presence"] == "both" and row["grid"] and not row["tested"]:
            row["peak_verdict"] = "inconclusive"
            row["peak_reason"] = (
                f"fewer than 2 ok grid runs on a side (baseline {row['n_baseline']}, candidate "
                f"{row['n_candidate']}): no test"
            )
    for row in tested:
        test = comparison.stats.welch(*row["peaks"], m=m, alpha=alpha)
        mean_b = row["mean_baseline_mb"]
        t = comparison.stats.threshold(
            mean_b, settings["min_change_mb"], settings["min_change_percent"]
        )
        row.update(
            diff_mb=test.diff, diff_percent=100 * test.diff / mean_b,
            ci_low_mb=test.low, ci_high_mb=test.high, ci_low_percent=100 * test.low / mean_b,
            ci_high_percent=100 * test.high / mean_b, threshold_mb=t, p_value=test.p,
            p_adjusted=test.p_adjusted, peak_verdict=comparison.stats.verdict(test, t, alpha),
        )  # fmt: skip
        row["peak_reason"] = peak_reason(row, test, m, alpha)


def overall(row: dict) -> tuple[str, str]:
    """The configuration's verdict and the reason in words."""
    if row["presence"] != "both":
        return "not compared", f"only in the {row['presence'].split()[0]}"
    parts = [row.get("peak_reason")] if row.get("peak_reason") else []
    if row["status_change"] not in (None, "unchanged"):
        parts.append(f"status {row['status_baseline']} → {row['status_candidate']}")
    if row["threshold_change"] not in (None, "unchanged"):
        parts.append(f"threshold check {row['threshold_baseline']} → {row['threshold_candidate']}")
    if row["reported_changed"]:
        parts.append(f"reported {row['reported_baseline']} → {row['reported_candidate']}")
    aspects = [row["peak_verdict"], row["status_change"], row["threshold_change"]]
    for verdict in ("regression", "improvement", "inconclusive"):
        if verdict in aspects:
            return verdict, "; ".join(parts)
    return "unchanged", "; ".join(parts) or "no change"


def compare_table(base, cand, base_th, cand_th, pairs, settings: dict, label: str):
    """compare.csv from both sides' runs and threshold tables; pairs are (candidate variant,
    baseline variant)."""
    rows = []
    for pair in pairs:
        configs = baselines.configurations(base, pair[1]) | baselines.configurations(cand, pair[0])
        rows += [config_row(pair, c, base, cand, base_th, cand_th) for c in sorted(configs)]
    test_rows(rows, settings)
    for row in rows:
        row["verdict"], row["reason"] = overall(row)
        row["baseline"] = label
    frame = pd.DataFrame(rows, columns=tables.COMPARE.names)
    return tables.typed(frame, tables.COMPARE)


def distinct(values: pd.Series) -> str:
    return ", ".join(sorted(values.dropna().astype(str).unique())) or "unknown"


def ms(value: float) -> str:
    return f"{value:.2f} ms" if pd.notna(value) else "unknown"


def env_table(base: pd.DataFrame, cand: pd.DataFrame) -> pd.DataFrame:
    """Where each side ran; a difference that can move peaks is a warning. An aspect whose
    column the baseline lacks (saved before runs.csv had it) is listed as not compared."""
    rows = []
    notes = {
        "host": ("hostname", "another machine: a change may be the machine's, not the program's"),
        "kernel": ("kernel", "different kernels account memory differently at times"),
        "sampler version": ("sampler_version", "different samplers may define a peak differently"),
    }  # fmt: skip
    for aspect, (column, note) in notes.items():
        b, c = distinct(base[column]), distinct(cand[column])
        rows.append((aspect, b, c, "ok" if b == c else "warn", "same" if b == c else note, True))
    ib = base["effective_interval_ms"].astype(float).median()
    ic = cand["effective_interval_ms"].astype(float).median()
    differ = pd.notna(ib) and pd.notna(ic) and abs(ic - ib) > INTERVAL_TOLERANCE * ib
    note = "the sampled peak depends on the interval (peak_mb takes VmHWM when larger)"
    rows.append(("sampling interval (median)", ms(ib), ms(ic), "warn" if differ else "ok",
                 note if differ else "same within 10%", True))  # fmt: skip
    rows.append(tail_row(base, cand))
    eb, ec = (
        "cgroup" if frame["cgroup_peak_mb"].notna().any() else "none or rlimit"
        for frame in (base, cand)
    )
    note = "an enforced limit turns an over-limit run into an OOM kill"
    rows.append(("limit enforcement", eb, ec, "ok" if eb == ec else "warn",
                 "same" if eb == ec else note, True))  # fmt: skip
    frame = pd.DataFrame(rows, columns=tables.COMPARE_ENV.names)
    return tables.typed(frame, tables.COMPARE_ENV)


def tail_row(base: pd.DataFrame, cand: pd.DataFrame) -> tuple:
    """The p99 sampling interval (median over each side's runs): a sampler that fell behind on
    one side, a loaded machine, can miss a short burst there."""
    aspect, column = "sampling interval (p99)", "interval_p99_ms"
    pc = cand[column].astype(float).median()
    if column not in base:
        note = (
            f"the baseline's runs.csv has no {column} (a memsweep older than that column saved "
            "it); run the baseline's campaign again to compare it"
        )
        return aspect, "not recorded", ms(pc), "warn", note, False
    pb = base[column].astype(float).median()
    low, high = sorted((pb, pc))
    differ = pd.notna(low) and pd.notna(high) and high > P99_RATIO * low
    note = "one side's sampler fell behind: a short burst there may be missed between samples"
    return (aspect, ms(pb), ms(pc), "warn" if differ else "ok",
            note if differ else f"within a factor of {P99_RATIO:g}", True)  # fmt: skip


def runs_table(base: pd.DataFrame, cand: pd.DataFrame) -> pd.DataFrame:
    both = pd.concat([base.assign(side="baseline"), cand.assign(side="candidate")])
    both = both[tables.COMPARE_RUNS.names].reset_index(drop=True)
    return tables.typed(both, tables.COMPARE_RUNS)
