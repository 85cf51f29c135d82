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
files (run.json, trace.csv, solver.log) have their readers in scripts/rundir.py, the digest of
every trace (results/summary/traces.json.gz) in scripts/digest.py.
"""

from __future__ import annotations

import os
import shlex
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sampling import metrics
from sampling import phases as sampler_phases
from sampling.contract import TRACE_COLUMNS

KEY = ["variant", "limit_mb", "bucket_model", "repeat"]
CONFIG_KEY = ["variant", "limit_mb", "bucket_model"]
SUMMARY_DIR = "results/summary"
LEVELS = ("ok", "warn", "fail")  # verdict levels, mildest first
BOOLS = {"True": True, "False": False, "true": True, "false": False}
# The campaign's own command line, which the workflow puts in its environment (common.smk), so
# that every job's redo advice repeats it; an environment variable, not a param, so a changed
# command line reruns nothing.
CAMPAIGN_ENV = "MEMSWEEP_CAMPAIGN_COMMAND"
DEFAULT_COMMAND = "snakemake --cores 1 all"


class TableError(ValueError):
    """A file that does not match its contract; the message names it and says how to redo it."""


@dataclass(frozen=True)
class Column:
    """name, pandas dtype (Int64, Float64, boolean, string), and how the report shows it: label
    ("" = not shown) and format (decimals for a number, or text / key / badge / bool)."""

    name: str
    dtype: str
    label: str = ""
    fmt: int | str = "text"


@dataclass(frozen=True)
class Table:
    name: str
    columns: tuple[Column, ...]
    what: str  # one line for the docs and messages

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    @property
    def path(self) -> str:
        return f"{SUMMARY_DIR}/{self.name}.csv"

    def column(self, name: str) -> Column:
        return next(c for c in self.columns if c.name == name)

    def empty(self) -> pd.DataFrame:
        return typed(pd.DataFrame(columns=self.names), self)

    def read(self, path, redo: str | None = None) -> pd.DataFrame:
        return read_csv(path, self, redo)

    def part(self, names) -> Table:
        """The contract of these columns only, in the table's order."""
        unknown = set(names) - set(self.names)
        if unknown:
            raise ValueError(f"{sorted(unknown)} are not columns of the {self.name} table")
        return Table(self.name, tuple(c for c in self.columns if c.name in names), self.what)

    def write(self, frame: pd.DataFrame, path) -> None:
        missing = [n for n in self.names if n not in frame.columns]
        if missing:
            raise ValueError(f"{self.name} table lacks column(s) {missing}")
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        typed(frame[self.names].copy(), self).to_csv(path, index=False)


def C(name, dtype, label="", fmt="text") -> Column:  # noqa: N802 (reads like a table row)
    return Column(name, dtype, label, fmt)


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
DIGEST = f"{SUMMARY_DIR}/traces.json.gz"  # every trace in one file: scripts/digest.py
# ---------------------------------------------------------------- typing


def as_bool(values: pd.Series) -> pd.Series:
    """Nullable booleans from booleans or CSV text; anything else is an error for the caller."""
    if values.dtype == "boolean":
        return values
    mapped = values.map(lambda v: BOOLS.get(v, v) if isinstance(v, str) else v)
    return mapped.astype("boolean")


def typed(frame: pd.DataFrame, table: Table) -> pd.DataFrame:
    """The frame with the contract's nullable dtypes (NA stays NA, written as an empty cell)."""
    for col in table.columns:
        if col.name not in frame:
            continue
        if col.dtype == "boolean":
            frame[col.name] = as_bool(frame[col.name])
        elif col.dtype == "Int64":
            frame[col.name] = pd.to_numeric(frame[col.name]).astype("Float64").astype("Int64")
        else:
            frame[col.name] = frame[col.name].astype(col.dtype)
    return frame


def command_line(args) -> str:
    """A Snakemake invocation's arguments as a command to paste into a shell.

    >>> command_line(["--cores", "1", "all", "--configfile", "my campaign.yaml"])
    "snakemake --cores 1 all --configfile 'my campaign.yaml'"
    """
    return shlex.join(["snakemake", *args])


def campaign_command() -> str:
    """The command line that ran this campaign (DEFAULT_COMMAND outside the workflow)."""
    return os.environ.get(CAMPAIGN_ENV) or DEFAULT_COMMAND


def summary_redo(path) -> str:
    return f"delete {path} and run {campaign_command()} again to rebuild it"


def read_raw(path, redo: str) -> pd.DataFrame:
    """A CSV as text (an empty cell as NA), or TableError naming the file."""
    try:
        return pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""])
    except FileNotFoundError:
        raise TableError(f"{path}: missing; {redo}") from None
    except pd.errors.EmptyDataError:
        raise TableError(f"{path}: empty, not even a header; {redo}") from None
    except (pd.errors.ParserError, UnicodeDecodeError) as err:
        raise TableError(f"{path}: not a readable CSV ({err}); {redo}") from None


def checked(raw: pd.DataFrame, table: Table, path, redo: str) -> pd.DataFrame:
    """raw (holding the table's columns) with the contract's dtypes, or TableError naming the
    first bad cell."""
    try:
        return typed(raw, table)
    except (ValueError, TypeError) as err:
        bad = first_bad_cell(raw, table)
        raise TableError(f"{path}: {bad or err}; {redo}") from None


def read_csv(path, table: Table, redo: str | None = None) -> pd.DataFrame:
    """A CSV checked against its table's contract: header, fields per row, dtypes."""
    redo = redo or summary_redo(path)
    raw = read_raw(path, redo)
    if list(raw.columns) != table.names:
        raise TableError(
            f"{path}: its columns {list(raw.columns)} are not the {table.name} contract "
            f"{table.names}; {redo}"
        )
    return checked(raw, table, path, redo)


def read_columns(path, table: Table, needed, later=(), redo: str | None = None) -> pd.DataFrame:
    """Only the columns a reader uses of a CSV of the table, e.g. one an older memsweep wrote:
    the needed ones must be there, the later ones (added to the contract since) are taken when
    they are, any other is left out. Dtypes are checked as read_csv checks them."""
    redo = redo or summary_redo(path)
    raw = read_raw(path, redo)
    missing = [name for name in needed if name not in raw.columns]
    if missing:
        raise TableError(
            f"{path}: lacks the {table.name} column(s) {missing} (it has {list(raw.columns)}); "
            f"{redo}"
        )
    part = table.part([*needed, *(name for name in later if name in raw.columns)])
    return checked(raw[part.names].copy(), part, path, redo)


def first_bad_cell(raw: pd.DataFrame, table: Table) -> str | None:
    for col in table.columns:
        values = raw[col.name].dropna()
        if col.dtype in ("Int64", "Float64"):
            bad = values[pd.to_numeric(values, errors="coerce").isna()]
        elif col.dtype == "boolean":
            bad = values[~values.isin(list(BOOLS))]
        else:
            continue
        if len(bad):
            line = int(bad.index[0]) + 2  # 1-based, after the header
            return f"line {line}: {col.name} is {bad.iloc[0]!r}, not a {col.dtype} value"
    return None


# ---------------------------------------------------------------- run files
