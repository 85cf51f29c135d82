"""The file contracts, written once for the tests, independent of the scripts' own lists.

A test compares what a script writes with these lists, never with the script's own constants, so
a changed column fails a test instead of passing silently. A per-run metric added to the
registry (scripts/sampling/metrics.py) after these lists were written adds its run.json key and
runs.csv column from the registry: the metric is one entry, and test_sampler and test_tables check
that the sampler and the runs table write exactly what the registry says.
"""

from sampling import metrics

# run.json's keys from the sampler (its summary); those of metrics added to the registry
# (scripts/sampling/metrics.py) since are taken from it, and test_sampler checks the registry
SUMMARY_KEYS_WRITTEN = {
    "command", "mode", "pid", "interval_ms", "samples", "duration_s", "effective_interval_ms",
    "interval_p50_ms", "interval_p99_ms", "missed_ticks", "peak_rss_kb", "peak_rss_time_s",
    "peak_vmsize_kb", "peak_vmdata_kb", "hwm_kb", "maxrss_kb", "peak_capture", "exit_code",
    "signal", "timed_out", "started_at", "hostname", "kernel", "sampler_version", "enforce",
    "memory_limit_mb", "cgroup_peak_kb", "oom_killed", "interrupted", "interrupt_signal",
    "leftover_processes", "maxrss_is_image", "cpu_user_s", "cpu_system_s", "cpu_load_cores",
    "minor_faults", "major_faults", "voluntary_switches", "involuntary_switches", "rchar_bytes",
    "wchar_bytes", "read_bytes", "write_bytes", "smaps_interval_ms", "peak_uss_kb",
    "peak_pss_kb", "cgroup_anon_kb", "cgroup_file_kb", "cgroup_events_high", "cgroup_events_max",
    "cgroup_events_oom", "cgroup_events_oom_kill", "cgroup_pressure_some_us",
    "cgroup_pressure_full_us", "end", "timeout_s", "peak_nprocs", "notes",
}  # fmt: skip
TRACE_COLUMNS = ["time_s", "vmrss_kb", "vmsize_kb", "vmdata_kb", "vmhwm_kb", "vmswap_kb", "nprocs"]
KEY = ["variant", "limit_mb", "bucket_model", "repeat"]
RUN_COLUMNS = [
    *KEY, "status", "exit_code", "signal", "timed_out", "oom_killed", "duration_s", "samples",
    "effective_interval_ms", "missed_ticks", "peak_mb", "peak_rss_mb", "peak_rss_time_s",
    "hwm_mb", "maxrss_mb", "cgroup_peak_mb", "peak_capture", "peak_vmsize_mb", "over_budget",
    "reported_config", "n_spikes", "in_grid", "threshold_check", "hostname", "kernel",
    "sampler_version", "run_dir", "n_leftover", "peak_source", "cpu_user_s", "cpu_system_s",
    "cpu_load_cores", "minor_faults", "major_faults", "voluntary_switches", "involuntary_switches",
    "rchar_mb", "wchar_mb", "read_mb", "write_mb", "peak_uss_mb", "peak_pss_mb", "cgroup_anon_mb",
    "cgroup_file_mb", "cgroup_events_high", "cgroup_events_max", "cgroup_events_oom",
    "cgroup_events_oom_kill", "cgroup_pressure_some_us", "cgroup_pressure_full_us",
    "interval_p99_ms", "peak_nprocs", "timeout_s", "output_mb", "output_cut_mb", "maxrss_is_image",
]  # fmt: skip
METRICS_ADDED = [m for m in metrics.METRICS if m.key not in SUMMARY_KEYS_WRITTEN]
SUMMARY_KEYS = SUMMARY_KEYS_WRITTEN | {m.key for m in METRICS_ADDED}
RUN_COLUMNS += [m.column for m in METRICS_ADDED if m.column]
# runs.csv as memsweep wrote it when it began to compare: a saved baseline may have only these
RUN_COLUMNS_FIRST_COMPARED = [
    *KEY, "status", "exit_code", "signal", "timed_out", "oom_killed", "duration_s", "samples",
    "effective_interval_ms", "missed_ticks", "peak_mb", "peak_rss_mb", "peak_rss_time_s",
    "hwm_mb", "maxrss_mb", "cgroup_peak_mb", "peak_capture", "peak_vmsize_mb", "over_budget",
    "reported_config", "n_spikes", "in_grid", "threshold_check", "hostname", "kernel",
    "sampler_version", "run_dir", "n_leftover",
]  # fmt: skip
SPIKE_COLUMNS = ["detector", "time_s", "rss_mb", "increase_mb", "duration_ms", "rate_mb_s"]
SUMMARY_SPIKE_COLUMNS = [*KEY, *SPIKE_COLUMNS, "phase"]
# a run's phases.csv (with solver.phase_pattern), every run's gathered, and per configuration
RUN_PHASE_COLUMNS = [
    "phase", "order", "start_s", "end_s", "samples", "peak_mb", "peak_time_s", "peak_source",
]  # fmt: skip
PHASE_RUN_COLUMNS = [*KEY, *RUN_PHASE_COLUMNS, "holds_peak"]
PHASE_COLUMNS = [
    "variant", "limit_mb", "bucket_model", "phase", "order", "n", "mean_peak_mb", "std_mb",
    "min_mb", "max_mb", "mean_start_s", "mean_duration_s", "n_holds_peak", "holds_peak",
]  # fmt: skip
COMPARE_PHASE_COLUMNS = [
    "verdict", "variant", "limit_mb", "bucket_model", "baseline_variant", "phase", "presence",
    "n_baseline", "n_candidate", "mean_baseline_mb", "mean_candidate_mb", "diff_mb",
    "diff_percent", "ci_low_percent", "ci_high_percent", "threshold_mb", "p_adjusted", "reason",
]  # fmt: skip
VARIANCE_COLUMNS = [
    "variant", "limit_mb", "bucket_model", "n", "n_failed", "mean_peak_mb", "std_mb",
    "cv_percent", "min_mb", "max_mb", "median_mb", "n_outliers", "outlier_repeats",
]  # fmt: skip
THRESHOLD_COLUMNS = [
    "variant", "threshold_mb", "position", "limit_mb", "bucket_model", "repeat", "status",
    "reported_config", "expected", "verdict", "peak_mb", "run_dir",
]  # fmt: skip
VERDICT_COLUMNS = [
    "kind", "level", "subject", "message", "variant", "limit_mb", "bucket_model", "repeat",
    "value", "bound", "unit", "run_dir",
]  # fmt: skip
SEARCH_COLUMNS = [
    "variant", "search", "kind", "bucket_model", "low_mb", "high_mb", "outcome", "result_mb",
    "range_low_mb", "range_high_mb", "below", "at", "documented_mb", "monotonic", "probes",
    "reused", "steps", "note",
]  # fmt: skip
SEARCH_PROBE_COLUMNS = [
    "variant", "search", "kind", "order", "step", "limit_mb", "bucket_model", "repeat", "role",
    "status", "reported_config", "peak_mb", "reused", "run_dir",
]  # fmt: skip
COMPARE_COLUMNS = [
    "verdict", "variant", "limit_mb", "bucket_model", "baseline_variant", "presence",
    "n_baseline", "n_candidate", "median_baseline_mb", "median_candidate_mb", "mean_baseline_mb",
    "mean_candidate_mb", "diff_mb", "diff_percent", "ci_low_mb", "ci_high_mb", "ci_low_percent",
    "ci_high_percent", "threshold_mb", "p_value", "p_adjusted", "peak_verdict",
    "status_baseline", "status_candidate", "status_change", "reported_baseline",
    "reported_candidate", "reported_changed", "threshold_baseline", "threshold_candidate",
    "threshold_change", "reason", "baseline",
]  # fmt: skip
COMPARE_RUN_COLUMNS = [
    "side", "variant", "limit_mb", "bucket_model", "repeat", "status", "peak_mb", "in_grid",
    "samples", "run_dir",
]  # fmt: skip
COMPARE_ENV_COLUMNS = ["aspect", "baseline", "candidate", "level", "note", "compared"]
# github-action-benchmark's customSmallerIsBetter entries: required and optional keys
BENCHMARK_KEYS = {"name", "unit", "value"}
BENCHMARK_OPTIONAL_KEYS = {"range", "extra"}
