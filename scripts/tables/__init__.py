"""Every table's contract (columns, dtypes, how the report shows them) and the readers checking it.

A reader never guesses: a file that does not match its contract (missing, cut short, wrong
header, a field that is not a number) raises TableError naming the file, what is wrong and how
to redo it. Writers write exactly the contract.

    >>> import tables
    >>> tables.RUNS.names[:4]
    ['variant', 'limit_mb', 'bucket_model', 'repeat']
    >>> tables.RUNS.column("peak_mb").label
    'peak MB'

Tables: TRACE (a run's trace.csv, written by the sampler), RUNS, SPIKES, VARIANCE, THRESHOLDS,
VERDICTS (results/summary/*.csv), with searches configured SEARCH and SEARCH_PROBES, with
compare.baseline set COMPARE, COMPARE_RUNS and COMPARE_ENV, and with solver.phase_pattern set
RUN_PHASES (a run's phases.csv, written by the run wrapper), PHASE_RUNS and PHASES (and, when
compared, COMPARE_PHASES). A run folder's own
files (run.json, trace.csv, solver.log) have their readers in scripts/tables/rundir.py, the
digest of every trace (results/summary/traces.json.gz) in scripts/analysis/digest.py. How a table is
typed, read and written is scripts/tables/table.py's.
"""

from sampling import metrics
from sampling import phases as sampler_phases
from sampling.contract import TRACE_COLUMNS
from tables.table import (  # noqa: F401 (the readers and writers, used as tables.read_csv, ...)
    BOOLS,
    SUMMARY_DIR,
    C,
    Column,
    Table,
    TableError,
    as_bool,
    read_columns,
    read_csv,
    typed,
)

KEY = ["variant", "limit_mb", "bucket_model", "repeat"]
CONFIG_KEY = ["variant", "limit_mb", "bucket_model"]
LEVELS = ("ok", "warn", "fail")  # verdict levels, mildest first


IDENTITY = (
    C("variant", "string", "variant", "key"), C("limit_mb", "Int64", "limit MB", 0),
    C("bucket_model", "string", "model", "key"),
)  # fmt: skip
# The per-run metrics' columns, from the registry (scripts/sampling/metrics.py: dtype, label,
# format); M places one among the columns below, and those not placed come last, in its order.
METRIC_COLUMNS = {
    m.column: Column(m.column, m.dtype, m.label, m.fmt if m.label else "text")
    for m in metrics.METRICS
    if m.column
}
PLACED = set()


def M(name) -> Column:  # noqa: N802 (reads like C)
    PLACED.add(name)
    return METRIC_COLUMNS[name]


RUNS = Table(
    "runs",
    (
        *IDENTITY, C("repeat", "Int64", "rep", 0), C("status", "string", "status", "badge"),
        C("exit_code", "Int64"), C("signal", "Int64"), C("timed_out", "boolean"),
        C("oom_killed", "boolean"), C("duration_s", "Float64", "time s", 2),
        C("samples", "Int64", "samples", 0),
        C("effective_interval_ms", "Float64", "interval ms", 2),
        C("missed_ticks", "Int64", "missed", 0), C("peak_mb", "Float64", "peak MB", 1),
        M("peak_rss_mb"), C("peak_rss_time_s", "Float64"),
        M("hwm_mb"), M("maxrss_mb"),
        M("cgroup_peak_mb"),
        C("peak_capture", "Float64", "capture", 3), M("peak_vmsize_mb"),
        C("over_budget", "boolean", "over budget", "bool"),
        C("reported_config", "string", "reported", "text"),
        C("n_spikes", "Int64", "spikes", 0), C("in_grid", "boolean"),
        C("threshold_check", "boolean"), C("hostname", "string"), C("kernel", "string"),
        C("sampler_version", "string"), C("run_dir", "string"),
        C("n_leftover", "Int64", "left behind", 0), C("peak_source", "string"),
        M("cpu_user_s"), M("cpu_system_s"),
        C("cpu_load_cores", "Float64", "CPU load", 2), M("minor_faults"),
        M("major_faults"), M("voluntary_switches"),
        M("involuntary_switches"), M("rchar_mb"), M("wchar_mb"),
        M("read_mb"), M("write_mb"),
        M("peak_uss_mb"), M("peak_pss_mb"),
        M("cgroup_anon_mb"), M("cgroup_file_mb"),
        M("cgroup_events_high"), M("cgroup_events_max"),
        M("cgroup_events_oom"), M("cgroup_events_oom_kill"),
        M("cgroup_pressure_some_us"), M("cgroup_pressure_full_us"),
        C("interval_p99_ms", "Float64", "p99 interval ms", 2),
        M("peak_nprocs"), C("timeout_s", "Float64"),
        C("output_mb", "Float64", "output MB", 1), C("output_cut_mb", "Float64"),
        C("maxrss_is_image", "boolean"),
        *(column for name, column in METRIC_COLUMNS.items() if name not in PLACED),
    ),
    "one row per run: status, timing, every peak and where it came from, CPU, I/O, faults, "
    "reported configuration, spikes",
)  # fmt: skip
SPIKE_FIELDS = (
    C("detector", "string", "detector", "key"), C("time_s", "Float64", "start s", 3),
    C("rss_mb", "Float64", "RSS at top MB", 1), C("increase_mb", "Float64", "increase MB", 1),
    C("duration_ms", "Float64", "duration ms", 1), C("rate_mb_s", "Float64", "rate MB/s", 0),
)  # fmt: skip
SPIKES = Table(
    "spikes",
    (
        *IDENTITY,
        C("repeat", "Int64", "rep", 0),
        *SPIKE_FIELDS,
        C("phase", "string", "phase", "key"),
    ),
    "every allocation burst of every run, by both detectors, with the phase it started in",
)
VARIANCE = Table(
    "variance",
    (
        *IDENTITY, C("n", "Int64", "n", 0), C("n_failed", "Int64", "not ok", 0),
        C("mean_peak_mb", "Float64", "mean MB", 1), C("std_mb", "Float64", "std MB", 2),
        C("cv_percent", "Float64", "CV %", 2), C("min_mb", "Float64", "min MB", 1),
        C("max_mb", "Float64", "max MB", 1), C("median_mb", "Float64", "median MB", 1),
        C("n_outliers", "Int64", "outliers", 0),
        C("outlier_repeats", "string", "outlier repeats", "key"),
    ),
    "peak statistics across repeats per configuration",
)  # fmt: skip
THRESHOLDS = Table(
    "thresholds",
    (
        C("variant", "string", "variant", "key"), C("threshold_mb", "Int64", "threshold MB", 0),
        C("position", "string", "position", "key"), C("limit_mb", "Int64", "limit MB", 0),
        C("bucket_model", "string", "model", "key"), C("repeat", "Int64", "rep", 0),
        C("status", "string", "status", "badge"),
        C("reported_config", "string", "reported", "text"),
        C("expected", "string", "expected", "text"), C("verdict", "string", "verdict", "badge"),
        C("peak_mb", "Float64", "peak MB", 1), C("run_dir", "string", "run folder", "text"),
    ),
    "PASS / FAIL per run checked at a threshold - 1, the threshold, and + 1",
)  # fmt: skip
VERDICTS = Table(
    "verdicts",
    (
        C("kind", "string", "check", "key"), C("level", "string", "level", "badge"),
        C("subject", "string", "subject", "text"), C("message", "string", "finding", "text"),
        C("variant", "string"), C("limit_mb", "Int64"), C("bucket_model", "string"),
        C("repeat", "Int64"), C("value", "Float64", "value", 3),
        C("bound", "Float64", "bound", 3), C("unit", "string", "unit", "key"),
        C("run_dir", "string"),
    ),
    "one row per check and subject: level ok / warn / fail, and the figures behind it",
)  # fmt: skip
SUMMARY_TABLES = (RUNS, SPIKES, VARIANCE, THRESHOLDS, VERDICTS)
SEARCH = Table(
    "search",
    (
        C("variant", "string", "variant", "key"), C("search", "string", "search", "key"),
        C("kind", "string", "kind", "key"), C("bucket_model", "string", "model", "key"),
        C("low_mb", "Int64", "low MB", 0), C("high_mb", "Int64", "high MB", 0),
        C("outcome", "string", "outcome", "key"), C("result_mb", "Int64", "result MB", 0),
        C("range_low_mb", "Int64", "from MB", 0), C("range_high_mb", "Int64", "to MB", 0),
        C("below", "string", "below", "text"), C("at", "string", "at", "text"),
        C("documented_mb", "Int64", "documented MB", 0),
        C("monotonic", "boolean", "monotonic", "bool"),
        C("probes", "Int64", "runs", 0), C("reused", "Int64", "reused", 0),
        C("steps", "Int64", "steps", 0), C("note", "string", "note", "text"),
    ),
    "one row per search and variant, per switch found (or per problem found on the way)",
)  # fmt: skip
SEARCH_PROBES = Table(
    "search_probes",
    (
        C("variant", "string", "variant", "key"), C("search", "string", "search", "key"),
        C("kind", "string", "kind", "key"), C("order", "Int64", "#", 0),
        C("step", "Int64", "step", 0), C("limit_mb", "Int64", "limit MB", 0),
        C("bucket_model", "string", "model", "key"), C("repeat", "Int64", "rep", 0),
        C("role", "string", "role", "key"), C("status", "string", "status", "badge"),
        C("reported_config", "string", "reported", "text"),
        C("peak_mb", "Float64", "peak MB", 1), C("reused", "boolean", "reused", "bool"),
        C("run_dir", "string", "run folder", "text"),
    ),
    "every run of every search, in the order the search used them",
)  # fmt: skip
SEARCH_TABLES = (SEARCH, SEARCH_PROBES)  # written when the config has searches
# The comparison's tables (scripts/compare.py), written only when compare.baseline is set.
COMPARE = Table(
    "compare",
    (
        C("verdict", "string", "verdict", "badge"), *IDENTITY,
        C("baseline_variant", "string", "vs", "key"), C("presence", "string"),
        C("n_baseline", "Int64", "n base", 0), C("n_candidate", "Int64", "n new", 0),
        C("median_baseline_mb", "Float64"),
        C("median_candidate_mb", "Float64"),
        C("mean_baseline_mb", "Float64", "base mean MB", 2),
        C("mean_candidate_mb", "Float64", "new mean MB", 2),
        C("diff_mb", "Float64"), C("diff_percent", "Float64", "change %", 2),
        C("ci_low_mb", "Float64"), C("ci_high_mb", "Float64"),
        C("ci_low_percent", "Float64", "interval from %", 2),
        C("ci_high_percent", "Float64", "to %", 2),
        C("threshold_mb", "Float64"),
        C("p_value", "Float64"), C("p_adjusted", "Float64", "p adjusted", 4),
        C("peak_verdict", "string"),
        C("status_baseline", "string"),
        C("status_candidate", "string"),
        C("status_change", "string", "status", "badge"),
        C("reported_baseline", "string"), C("reported_candidate", "string"),
        C("reported_changed", "boolean"),
        C("threshold_baseline", "string"), C("threshold_candidate", "string"),
        C("threshold_change", "string", "threshold check", "badge"),
        C("reason", "string", "why", "text"), C("baseline", "string"),
    ),
    "per configuration, the candidate against the baseline: peak change, its interval and "
    "verdict, and changes of status, reported configuration and threshold verdict",
)  # fmt: skip
COMPARE_RUNS = Table(
    "compare_runs",
    (
        C("side", "string", "side", "key"), *IDENTITY, C("repeat", "Int64", "rep", 0),
        C("status", "string", "status", "badge"), C("peak_mb", "Float64", "peak MB", 1),
        C("in_grid", "boolean"), C("samples", "Int64"),
        C("run_dir", "string", "run folder", "text"),
    ),
    "the runs of both sides of a comparison, their folders seen from this project",
)  # fmt: skip
COMPARE_ENV = Table(
    "compare_env",
    (
        C("aspect", "string", "what", "key"), C("baseline", "string", "baseline", "text"),
        C("candidate", "string", "candidate", "text"), C("level", "string", "level", "badge"),
        C("note", "string", "note", "text"), C("compared", "boolean", "compared", "bool"),
    ),
    "where each side ran (host, kernel, sampler, interval, enforcement), side by side; an "
    "aspect the baseline did not record is not compared",
)  # fmt: skip
COMPARE_TABLES = (COMPARE, COMPARE_RUNS, COMPARE_ENV)
# A run's phases (scripts/sampling/phases.py writes them, in its COLUMNS' order) and the phases
# stage's tables, written only when solver.phase_pattern is set.
PHASE_FIELDS = tuple(
    {
        "phase": C("phase", "string", "phase", "key"), "order": C("order", "Int64", "#", 0),
        "start_s": C("start_s", "Float64", "start s", 3),
        "end_s": C("end_s", "Float64", "end s", 3),
        "samples": C("samples", "Int64", "samples", 0),
        "peak_mb": C("peak_mb", "Float64", "peak MB", 1),
        "peak_time_s": C("peak_time_s", "Float64", "peak at s", 3),
        "peak_source": C("peak_source", "string"),
    }[name]
    for name in sampler_phases.COLUMNS
)  # fmt: skip
RUN_PHASES = Table(
    "run_phases", PHASE_FIELDS, "a run's phases, from its output, written by the run wrapper"
)
PHASE_RUNS = Table(
    "phase_runs",
    (*IDENTITY, C("repeat", "Int64", "rep", 0), *PHASE_FIELDS,
     C("holds_peak", "boolean", "holds the run's peak", "bool")),
    "every run's phases: start, end, the peak inside each and when; which holds the run's peak",
)  # fmt: skip
PHASES = Table(
    "phases",
    (
        *IDENTITY, C("phase", "string", "phase", "key"), C("order", "Int64", "#", 0),
        C("n", "Int64", "n", 0), C("mean_peak_mb", "Float64", "mean peak MB", 1),
        C("std_mb", "Float64", "std MB", 2), C("min_mb", "Float64", "min MB", 1),
        C("max_mb", "Float64", "max MB", 1), C("mean_start_s", "Float64", "start s", 2),
        C("mean_duration_s", "Float64", "duration s", 2),
        C("n_holds_peak", "Int64", "holds the peak in", 0),
        C("holds_peak", "boolean", "holds the peak", "bool"),
    ),
    "per configuration and phase, over its ok grid runs: the phase's peak (mean and spread), "
    "when it runs, and in how many runs it holds the run's peak",
)  # fmt: skip
PHASE_TABLES = (PHASE_RUNS, PHASES)
COMPARE_PHASES = Table(
    "compare_phases",
    (
        C("verdict", "string", "verdict", "badge"), *IDENTITY,
        C("baseline_variant", "string", "vs", "key"), C("phase", "string", "phase", "key"),
        C("presence", "string", "on", "key"),
        C("n_baseline", "Int64", "n base", 0), C("n_candidate", "Int64", "n new", 0),
        C("mean_baseline_mb", "Float64", "base mean MB", 2),
        C("mean_candidate_mb", "Float64", "new mean MB", 2),
        C("diff_mb", "Float64"), C("diff_percent", "Float64", "change %", 2),
        C("ci_low_percent", "Float64", "interval from %", 2),
        C("ci_high_percent", "Float64", "to %", 2),
        C("threshold_mb", "Float64"), C("p_adjusted", "Float64", "p adjusted", 4),
        C("reason", "string", "why", "text"),
    ),
    "per configuration and phase, the phase's peak in the candidate against the baseline",
)  # fmt: skip
BY_NAME = {
    table.name: table
    for table in (*SUMMARY_TABLES, *SEARCH_TABLES, *COMPARE_TABLES, *PHASE_TABLES, COMPARE_PHASES)
}
TRACE = Table(
    "trace",
    tuple(C(name, "Float64" if name == "time_s" else "Int64") for name in TRACE_COLUMNS),
    "a run's samples, written by the sampler",
)
DIGEST = f"{SUMMARY_DIR}/traces.json.gz"  # every trace in one file: scripts/analysis/digest.py
