"""Every verdict of a campaign, decided once: results/summary/verdicts.csv.

One row per check and subject, with its level (ok, warn, fail), a message, and the figures behind
it (value, bound, unit). The HTML report, `snakemake --report` and the workflow's last message
all read this table; nothing else decides a verdict. The checks, in the order the report shows
them (KINDS):

- threshold: each run checked at a threshold - 1, the threshold and + 1: fail unless the program
  reported the expected configuration;
- run_status: each run: fail unless its status is ok (failed, killed, oom, timeout);
- budget: each configuration: warn when a run's peak_mb exceeded its limit or a run was OOM-killed;
- stability: each configuration with two or more ok runs: warn when its CV of peak_mb is above
  variance.cv_warn_percent;
- capture: each run with a sampled and a kernel peak: warn when peak_capture is below
  report.capture_warn (the samples missed part of the true peak);
- leftovers: each run: warn when processes it started outlived it (they were killed);
- compare (with compare.baseline set): each configuration of compare.csv: fail on a regression,
  warn when the reported configuration changed or an apparent regression could be noise;
- compare_env: each aspect of compare_env.csv (host, kernel, ...): warn when the sides differ.

Called by the `verdicts` rule; by hand:

    >>> import pandas as pd, verdicts
    >>> variance = pd.DataFrame({"variant": "default", "limit_mb": [323], "bucket_model": "auto",
    ...     "n": [3], "cv_percent": [7.5], "outlier_repeats": ["2"]})
    >>> row = verdicts.stability_rows(variance, {"cv_warn_percent": 5})[0]
    >>> row["level"], row["message"]
    ('warn', 'CV 7.50% over 3 ok runs, outlier repeat(s) 2')
"""

import logging

import pandas as pd
import stage
import tables

# kind: (title, what a subject is); the report's cards follow this order
KINDS = {
    "compare": ("Compared with the baseline", "configurations"),
    "compare_env": ("Comparison environment", "aspects"),
    "threshold": ("Threshold checks", "threshold runs"),
    "run_status": ("Runs that did not finish", "runs"),
    "budget": ("Over budget (peak > limit)", "configurations"),
    "stability": ("Unstable configurations", "configurations"),
    "capture": ("Low peak capture", "runs"),
    "leftovers": ("Processes left behind", "runs"),
}
COMPARE_KINDS = ("compare", "compare_env")  # only when compare.baseline is set
log = logging.getLogger("verdicts")


def mb(value) -> str:
    return "?" if pd.isna(value) else f"{value:g}"


def config_subject(row) -> str:
    return f"{row['variant']} · {mb(row['limit_mb'])} MB · {row['bucket_model']}"


def run_subject(row) -> str:
    return f"{config_subject(row)} · rep {mb(row['repeat'])}"


def verdict(kind, level, subject, message, row=None, **figures) -> dict:
    ids = {k: row.get(k) for k in (*tables.KEY, "run_dir")} if row is not None else {}
    return {"kind": kind, "level": level, "subject": subject, "message": message, **ids, **figures}


def threshold_rows(thresholds: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in thresholds.iterrows():
        subject = (
            f"{r['variant']} · {mb(r['threshold_mb'])} MB check, {r['position']}: "
            f"{mb(r['limit_mb'])} MB · {r['bucket_model']}"
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


def status_message(row) -> str:
    if row["status"] == "ok":
        return "ok"
    if row["status"] == "timeout":
        return f"timed out after {row['duration_s']:.1f} s"
    if row["status"] == "oom":
        return "OOM-killed by the kernel at its limit"
    if pd.notna(row["signal"]):
        return f"killed by signal {row['signal']}"
    return f"exit {mb(row['exit_code'])}"


def status_rows(runs: pd.DataFrame) -> list[dict]:
    return [
        verdict("run_status", "ok" if r["status"] == "ok" else "fail", run_subject(r),
                status_message(r), r)
        for _, r in runs.iterrows()
    ]  # fmt: skip


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
            message, level = f"fewer than 2 ok runs ({mb(r['n'])})", "ok"
        else:
            message, level = (
                f"CV {cv:.2f}% over {mb(r['n'])} ok runs",
                "warn" if cv > warn else "ok",
            )
        if pd.notna(r["outlier_repeats"]) and r["outlier_repeats"]:
            message += f", outlier repeat(s) {r['outlier_repeats']}"
        rows.append(
            verdict("stability", level, config_subject(r), message, r, value=cv, bound=warn,
                    unit="%")
        )  # fmt: skip
    return rows


def capture_rows(runs: pd.DataFrame, settings: dict) -> list[dict]:
    floor = float(settings["capture_warn"])
    rows = []
    for _, r in runs[runs["peak_capture"].notna()].iterrows():
        capture = float(r["peak_capture"])
        level = "warn" if capture < floor else "ok"
        message = f"sampled peak is {capture:.3f} of the kernel's"
        rows.append(
            verdict("capture", level, run_subject(r), message, r, value=capture, bound=floor,
                    unit="ratio")
        )  # fmt: skip
    return rows


def leftover_rows(runs: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in runs[runs["n_leftover"].notna()].iterrows():
        n = int(r["n_leftover"])
        message = f"{n} process(es) outlived the run and were killed" if n else "none"
        rows.append(verdict("leftovers", "warn" if n else "ok", run_subject(r), message, r,
                            value=n, unit="processes"))  # fmt: skip
    return rows


def truth(value) -> bool:
    """A nullable boolean as a plain one (NA is False)."""
    return bool(value) if pd.notna(value) else False


def compare_rows(compare: pd.DataFrame, env: pd.DataFrame) -> list[dict]:
    """The comparison's verdicts: compare.csv decided them; here they get their level."""
    rows = []
    for _, r in compare.iterrows():
        suspect = r["verdict"] == "inconclusive" and truth(r["diff_mb"] > r["threshold_mb"])
        level = "fail" if r["verdict"] == "regression" else "ok"
        if level == "ok" and (truth(r["reported_changed"]) or suspect):
            level = "warn"
        subject = f"{r['variant']} vs {r['baseline_variant']} · {mb(r['limit_mb'])} MB · "
        subject += str(r["bucket_model"])
        bound = 100 * r["threshold_mb"] / r["mean_baseline_mb"]
        rows.append(verdict("compare", level, subject, f"{r['verdict']}: {r['reason']}", r,
                            value=r["diff_percent"], bound=bound, unit="%"))  # fmt: skip
    for _, r in env.iterrows():
        message = f"baseline {r['baseline']}, candidate {r['candidate']}"
        message += f": {r['note']}" if r["level"] != "ok" else ""
        rows.append(verdict("compare_env", r["level"], r["aspect"], message))
    return rows


def verdicts_table(runs, variance, thresholds, settings: dict, compare=None) -> pd.DataFrame:
    """Every verdict; compare is (compare.csv, compare_env.csv) when a comparison ran."""
    rows = [
        *(compare_rows(*compare) if compare else []),
        *threshold_rows(thresholds),
        *status_rows(runs),
        *budget_rows(runs),
        *stability_rows(variance, settings),
        *capture_rows(runs, settings),
        *leftover_rows(runs),
    ]
    return tables.typed(pd.DataFrame(rows, columns=tables.VERDICTS.names), tables.VERDICTS)


def overall(table: pd.DataFrame) -> str:
    """The campaign's level: the worst of its verdicts (ok when there are none)."""
    present = set(table["level"].dropna())
    return max(present, key=tables.LEVELS.index, default="ok")


def failures(table: pd.DataFrame) -> list[str]:
    """One line per failed check, for the workflow's last message."""
    failed = table[table["level"] == "fail"]
    return [f"  {r.kind}: {r.subject}: {r.message}" for r in failed.itertuples()]


def main(runs_csv, variance_csv, thresholds_csv, out_csv, settings: dict, compare=()) -> None:
    """compare: the paths of compare.csv and compare_env.csv, or nothing."""
    table = verdicts_table(
        tables.RUNS.read(runs_csv),
        tables.VARIANCE.read(variance_csv),
        tables.THRESHOLDS.read(thresholds_csv),
        settings,
        (tables.COMPARE.read(compare[0]), tables.COMPARE_ENV.read(compare[1])) if compare else None,
    )
    tables.VERDICTS.write(table, out_csv)
    counts = table["level"].value_counts().to_dict()
    log.info("%d verdicts %s, overall %s -> %s", len(table), counts, overall(table), out_csv)


if "snakemake" in globals():
    stage.run(
        main,
        snakemake.input.runs,
        snakemake.input.variance,
        snakemake.input.thresholds,
        snakemake.output.csv,
        dict(snakemake.params.settings),
        list(snakemake.input.compare),
        log_path=snakemake.log[0],
    )
