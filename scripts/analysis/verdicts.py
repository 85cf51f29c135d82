"""Every verdict of a campaign, decided once: results/summary/verdicts.csv.

One row per check and subject, with its level (ok, warn, fail), a message, and the figures behind
it (value, bound, unit). The HTML report, `snakemake --report` and the workflow's last message
all read this table; nothing else decides a verdict. The checks, in the order the report shows
them (KINDS):

- compare (with compare.baseline set): each configuration of compare.csv: fail on a regression,
  warn when the reported configuration changed or an apparent regression could be noise;
- compare_env: each aspect of compare_env.csv (host, kernel, ...): warn when the sides differ,
  or when the baseline did not record it (not compared);
- threshold: each run checked at a threshold - 1, the threshold and + 1: fail unless the program
  reported the expected configuration;
- run_status: each run: fail unless its status is ok (failed, killed, oom, timeout);
- budget: each configuration: warn when a run's peak_mb exceeded its limit or a run was OOM-killed;
- stability: each configuration with two or more ok runs: warn when its CV of peak_mb is above
  variance.cv_warn_percent;
- capture: each run with a sampled and a kernel peak: warn when peak_capture is below
  report.capture_warn (the samples missed part of the true peak);
- sources: each run with two or more figures that should agree (peaks.once: VmHWM, PSS, the
  cgroup's peak; for a tree without a PSS reading the summed RSS too): warn when the largest
  exceeds the smallest by more than report.sources_warn_percent of the largest and more than
  report.sources_warn_mb;
- unseen: each run whose peak no source saw (peak_source `unseen`: fewer samples than
  peaks.MIN_SAMPLES and no cgroup): warn, with the bounds it has (the largest figure seen, and
  ru_maxrss, which also counts memsweep's forked image);
- leftovers: each run: warn when processes it started outlived it (they were killed);
- output: each run: warn when the program wrote more than solver.log_max_mb to stdout and
  stderr (its solver.log keeps the first and last halves; a report in between is lost);
- sampling: each run: warn when the sampler missed more than report.missed_warn_percent of its
  ticks (the machine was too busy to sample on time: the trace has gaps);
- search: each row of search.csv: ok for a switch or a least limit found exactly; fail when a
  documented threshold's switch is found elsewhere (or not at all), when a probe reported nothing,
  when a search ran out of max_probes, or min_memory fails even at high_mb; warn for repeats that
  disagree, a flaky boundary, no switch in the range, success already at low_mb, and a switch
  search whose configurations are not monotonic in the limit;
- phases (with solver.phase_pattern set): each run: ok with the phase holding its peak; warn
  when all its phase lines arrived at its very end (in its last BUFFERED_SHARE, or within
  BUFFERED_TICKS sampling intervals of it: the program's output was buffered and flushed as it
  exited, so its phases are not when they happened), or when no line
  matched; one warn naming the pattern, instead, when it matched no line of any run.

Called by the `figures` job before it draws (scripts/figures.py); by hand:

    >>> import pandas as pd
    >>> from analysis import verdicts
    >>> variance = pd.DataFrame({"variant": "default", "limit_mb": [323], "bucket_model": "auto",
    ...     "n": [3], "cv_percent": [7.5], "outlier_repeats": ["2"]})
    >>> row = verdicts.stability_rows(variance, {"cv_warn_percent": 5})[0]
    >>> row["level"], row["message"]
    ('warn', 'CV 7.50% over 3 ok runs, outlier repeat(s) 2')
"""

import logging

import pandas as pd

import tables
from analysis import peaks
from sampling import phases as sampler_phases

# kind: (title, what a subject is); the report's cards follow this order
KINDS = {
    "compare": ("Compared with the baseline", "configurations"),
    "compare_env": ("Comparison environment", "aspects"),
    "threshold": ("Threshold checks", "threshold runs"),
    "run_status": ("Runs that did not finish", "runs"),
    "budget": ("Over budget (peak > limit)", "configurations"),
    "stability": ("Unstable configurations", "configurations"),
    "capture": ("Low peak capture", "runs"),
    "sources": ("Peak sources that disagree", "runs"),
    "unseen": ("Peak not seen", "runs"),
    "leftovers": ("Processes left behind", "runs"),
    "output": ("Program output cut from solver.log", "runs"),
    "sampling": ("Missed samples", "runs"),
    "search": ("Searches", "search findings"),
    "phases": ("Phases", "runs"),
}
# kinds a campaign may have no row of: those only configured ones have (a comparison's
# baseline, searches, phases), and those of runs with two figures to compare, or whose peak
# nothing saw
OPTIONAL_KINDS = ("compare", "compare_env", "search", "sources", "unseen", "phases")
BUFFERED_TICKS = 2  # phase lines all this close to a run's end: its output was buffered ...
BUFFERED_SHARE = 0.05  # ... or this close, as a share of the run (a process's exit takes time)
MIN_TICKS = 10  # ... in a run longer than this many intervals (else everything is near its end)
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
        ended = (
            f"ended {row['duration_s']:.1f} s after its start"
            if pd.notna(row["duration_s"])
            else ""
        )
        if pd.isna(row["timeout_s"]):
            return f"timed out ({ended})" if ended else "timed out"
        return (
            f"timed out at timeout_s {row['timeout_s']:g} s (SIGTERM, then SIGKILL if it went on)"
            + (f"; {ended}" if ended else "")
        )
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


def source_rows(runs: pd.DataFrame, settings: dict) -> list[dict]:
    share, floor = float(settings["sources_warn_percent"]), float(settings["sources_warn_mb"])
    rows = []
    for _, r in runs.iterrows():
        values = peaks.once(r.to_dict())
        if len(values) < 2:
            continue
        high, low = max(values.values()), min(values.values())
        spread = 100 * (high - low) / high if high else 0.0
        level = "warn" if spread > share and high - low > floor else "ok"
        figures = ", ".join(f"{name} {value:.1f} MB" for name, value in values.items())
        message = f"{figures}: {spread:.0f}% apart; peak {mb(round(r['peak_mb'], 1))} MB from "
        message += f"{r['peak_source']}"
        if peaks.is_tree(r.to_dict()) and "sampled" not in values:
            message += f" (the tree's summed RSS, {r['peak_rss_mb']:.1f} MB, counts shared pages"
            message += " once per process)"
        rows.append(verdict("sources", level, run_subject(r), message, r, value=spread,
                            bound=share, unit="%"))  # fmt: skip
    return rows


def unseen_rows(runs: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in runs[runs["peak_source"] == "unseen"].iterrows():
        seconds = "?" if pd.isna(r["duration_s"]) else f"{r['duration_s']:.3f}"
        message = (
            f"no source saw the peak: {mb(r['samples'])} sample(s) in {seconds} s and no "
            "cgroup; "
            + ("nothing was measured" if pd.isna(r["peak_mb"]) else
               f"the peak is at least {r['peak_mb']:.1f} MB")
        )  # fmt: skip
        if pd.notna(r["maxrss_mb"]):
            message += (
                f" and, for any one process, at most {r['maxrss_mb']:.1f} MB (ru_maxrss, "
                "which counts memsweep's forked image)"
            )
        message += "; a shorter sampler.interval_ms or limits.enforce: cgroup would see it"
        rows.append(verdict("unseen", "warn", run_subject(r), message, r, value=r["peak_mb"],
                            bound=r["maxrss_mb"], unit="MB"))  # fmt: skip
    return rows


def leftover_rows(runs: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in runs[runs["n_leftover"].notna()].iterrows():
        n = int(r["n_leftover"])
        message = f"{n} process(es) outlived the run and were killed" if n else "none"
        rows.append(verdict("leftovers", "warn" if n else "ok", run_subject(r), message, r,
                            value=n, unit="processes"))  # fmt: skip
    return rows


def output_rows(runs: pd.DataFrame) -> list[dict]:
    rows = []
    for _, r in runs[runs["output_mb"].notna()].iterrows():
        cut = r["output_cut_mb"] if pd.notna(r["output_cut_mb"]) else 0.0
        kept = r["output_mb"] - cut
        message = f"wrote {r['output_mb']:.1f} MB to stdout and stderr"
        if cut:
            message += (
                f"; solver.log keeps its first and last {kept / 2:.1f} MB, {cut:.1f} MB between "
                "them were cut (solver.log_max_mb)"
            )
        level, bound = ("warn", kept) if cut else ("ok", None)
        rows.append(verdict("output", level, run_subject(r), message, r, value=r["output_mb"],
                            bound=bound, unit="MB"))  # fmt: skip
    return rows


SEARCH_LEVELS = {
    "found": "ok", "repeats_disagree": "warn", "no_report": "fail", "unresolved": "fail",
    "none_found": "warn", "flaky": "warn", "fails_at_high": "fail", "flaky_at_high": "fail",
    "ok_at_low": "warn", "documented_not_found": "fail",
}  # fmt: skip


def search_finding(r) -> str:
    """What a search.csv row found, in words."""
    result, outcome = mb(r["result_mb"]), r["outcome"]
    if outcome == "found" and r["kind"] == "switch":
        return f"switches at {result} MB: {r['below']} -> {r['at']}"
    if outcome == "found":
        return (
            f"needs {result} MB: ok in every run there, {r['below']} at {mb(r['result_mb'] - 1)} MB"
        )
    if outcome == "flaky":
        return f"needs {result} MB to be ok in every run; flaky from {mb(r['range_low_mb'])} MB"
    if outcome == "repeats_disagree":
        return f"a switch {r['below']} -> {r['at']} at {result} MB, but {r['note']}"
    if outcome == "fails_at_high":
        return f"fails even at high_mb {mb(r['high_mb'])} MB ({r['below']})"
    if outcome == "ok_at_low":
        return f"ok already at low_mb {mb(r['low_mb'])} MB: the least limit is lower"
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
                f"documented at {mb(documented)} MB, found at {mb(result)} MB: "
                f"{r['below']} -> {r['at']}"
            )
        if pd.notna(r["monotonic"]) and not r["monotonic"]:
            level = max(level, "warn", key=tables.LEVELS.index)
            message += "; not monotonic: " + str(r["note"]).split("not monotonic: ", 1)[-1]
        message += f" ({mb(r['probes'])} runs, {mb(r['reused'])} reused)"
        subject = f"{r['variant']} · {r['search']} · {r['bucket_model']}"
        row = {
            "variant": r["variant"],
            "limit_mb": r["result_mb"],
            "bucket_model": r["bucket_model"],
        }
        rows.append(verdict("search", level, subject, message, row, value=r["result_mb"],
                            bound=documented, unit="MB"))  # fmt: skip
    return rows


def sampling_rows(runs: pd.DataFrame, settings: dict) -> list[dict]:
    bound = float(settings["missed_warn_percent"])
    rows = []
    for _, r in runs[runs["missed_ticks"].notna() & runs["samples"].notna()].iterrows():
        ticks = int(r["samples"]) + int(r["missed_ticks"])
        share = 100 * int(r["missed_ticks"]) / ticks if ticks else 0.0
        message = f"missed {int(r['missed_ticks'])} of {ticks} ticks ({share:.1f}%)"
        level = "warn" if share > bound else "ok"
        rows.append(verdict("sampling", level, run_subject(r), message, r, value=share,
                            bound=bound, unit="%"))  # fmt: skip
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


def phase_rows(phase_runs: pd.DataFrame, runs: pd.DataFrame, pattern: str) -> list[dict]:
    """Per run: its phases, or why they cannot be believed (see the module docstring)."""
    marked = phase_runs[phase_runs["phase"] != sampler_phases.START]
    if marked.empty:
        message = (
            f"solver.phase_pattern {pattern!r} matched no line of any run's output (solver.log): "
            "no phases; check the pattern against a solver.log"
        )
        return [verdict("phases", "warn", "solver.phase_pattern", message)]
    by_run = {tuple(k): g for k, g in phase_runs.groupby(tables.KEY, sort=False)}
    rows = []
    for _, r in runs.iterrows():
        mine = by_run.get(tuple(r[k] for k in tables.KEY))
        lines = None if mine is None else mine[mine["phase"] != sampler_phases.START]
        subject = run_subject(r)
        if lines is None or lines.empty:
            rows.append(verdict("phases", "warn", subject, "no line of its output matched "
                                f"{pattern!r}: no phases", r, value=0, unit="phases"))  # fmt: skip
            continue
        end = float(mine["end_s"].max())
        interval = r["effective_interval_ms"] / 1000 if pd.notna(r["effective_interval_ms"]) else 0
        late = end - float(lines["start_s"].min())
        near = max(BUFFERED_TICKS * interval, BUFFERED_SHARE * end)
        if interval and end > MIN_TICKS * interval and late <= near:
            message = (
                f"output was buffered: all {len(lines)} phase line(s) arrived in the last "
                f"{1000 * late:.0f} ms of the run, at its very end; unbuffer the program's output "
                "(a flush after each line, stdbuf -oL for a C program)"
            )
            rows.append(verdict("phases", "warn", subject, message, r, value=late, bound=end,
                                unit="s"))  # fmt: skip
            continue
        top = mine[mine["holds_peak"].fillna(False)]
        where = f"; the peak in {top['phase'].iloc[0]!r}" if len(top) else ""
        rows.append(verdict("phases", "ok", subject, f"{len(lines)} phase(s){where}", r,
                            value=len(lines), unit="phases"))  # fmt: skip
    return rows


def verdicts_table(
    runs, variance, thresholds, settings: dict, *, search=None, compare=None, phases=None
) -> pd.DataFrame:
    """Every verdict; search is search.csv when there are searches, compare (compare.csv,
    compare_env.csv) when a comparison ran, phases (phase_runs.csv, the pattern) with
    solver.phase_pattern set."""
    rows = [
        *(compare_rows(*compare) if compare else []),
        *threshold_rows(thresholds),
        *status_rows(runs),
        *budget_rows(runs),
        *stability_rows(variance, settings),
        *capture_rows(runs, settings),
        *source_rows(runs, settings),
        *unseen_rows(runs),
        *leftover_rows(runs),
        *output_rows(runs),
        *sampling_rows(runs, settings),
        *(search_rows(search) if search is not None else []),
        *(phase_rows(phases[0], runs, phases[1]) if phases is not None else []),
    ]
    return tables.typed(pd.DataFrame(rows, columns=tables.VERDICTS.names), tables.VERDICTS)


def overall(table: pd.DataFrame) -> str:
    """The campaign's level: the worst of its verdicts (ok when there are none)."""
    present = set(table["level"].dropna())
    return max(present, key=tables.LEVELS.index, default="ok")


def settings_of(config: dict) -> dict:
    """The verdicts' own settings: the report section, and the variance's warning level."""
    return {"cv_warn_percent": config["variance"]["cv_warn_percent"], **config["report"]}


def main(
    runs_csv,
    variance_csv,
    thresholds_csv,
    out_csv,
    settings: dict,
    *,
    search_csv=(),
    compare=(),
    phases_csv=(),
    phase_pattern=None,
) -> None:
    """search_csv: the path of search.csv, or nothing; compare: the paths of compare.csv and
    compare_env.csv, or nothing; phases_csv: the path of phase_runs.csv, or nothing."""
    table = verdicts_table(
        tables.RUNS.read(runs_csv),
        tables.VARIANCE.read(variance_csv),
        tables.THRESHOLDS.read(thresholds_csv),
        settings,
        search=tables.SEARCH.read(search_csv[0]) if search_csv else None,
        compare=(
            (tables.COMPARE.read(compare[0]), tables.COMPARE_ENV.read(compare[1]))
            if compare
            else None
        ),
        phases=((tables.PHASE_RUNS.read(phases_csv[0]), phase_pattern) if phases_csv else None),
    )
    tables.VERDICTS.write(table, out_csv)
    counts = table["level"].value_counts().to_dict()
    log.info("%d verdicts %s, overall %s -> %s", len(table), counts, overall(table), out_csv)
