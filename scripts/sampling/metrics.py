"""The per-run metrics: one entry each says where a figure is read, how a run aggregates it, its
key in the summary (run.json), its runs.csv column, label and unit. Standard library only, and
imports nothing: the contract, the sampler, the runs table and the docs all read it.

    >>> m = BY_KEY["read_bytes"]
    >>> m.source, m.field, m.over_tree, m.over_ticks, m.column, m.dtype, m.divisor
    ('io', 'read_bytes', 'sum', 'last', 'read_mb', 'Float64', 1048576)
    >>> BY_KEY["peak_rss_kb"].column, BY_KEY["peak_rss_kb"].dtype  # kB in run.json, MB in runs
    ('peak_rss_mb', 'Float64')

Read generically, so that a new figure of these sources is one entry here:

- `status`: a field of /proc/PID/status (a count, or kB), read with each member's status
  (scripts/sampling/proctree.py: every 0.5 s, at a member's first sight, and after its RSS
  dropped); over the tree summed or the largest, over the reads the largest or the last.
- `rusage`: a field of the rusage the guardian reports for everything of the run it reaped
  (launch mode); in attach mode the /proc/PID/stat total named by `attach` (summed over the root
  and the members still alive), or unknown when `attach` is empty.
- `io`: a field of /proc/PID/io, from each reaped process's zombie (launch mode) or the same
  totals as `rusage` (attach mode).

Read by the sampler's own code (`reader` names where), their entries only describe them:
`statm` (the trace's sums, every tick), `status` fields with `reader` set, `smaps`
(smaps_rollup), `cgroup` (the run's memory cgroup) and `tree` (the process tree itself).

`python -S scripts/sampling/metrics.py` prints the table of docs/sampler.md's "Per-run metrics".
"""

from __future__ import annotations

from collections import namedtuple

SOURCES = {
    "statm": "/proc/PID/statm",
    "status": "/proc/PID/status",
    "rusage": "rusage (wait4, RUSAGE_CHILDREN)",
    "io": "/proc/PID/io",
    "smaps": "/proc/PID/smaps_rollup",
    "cgroup": "the run's cgroup",
    "tree": "the process tree",
}
OVER = ("sum", "max", "last", "run")  # "run": one figure of the whole run already
# the unit of the run.json value: how runs.csv takes it (its column's dtype, and a divisor to MB)
UNITS = {
    "kB": ("Float64", 1024),
    "bytes": ("Float64", 1024 * 1024),
    "s": ("Float64", 1),
    "us": ("Int64", 1),
    "count": ("Int64", 1),
}


# a namedtuple, not a dataclass: the run wrapper imports this module, and dataclasses' imports
# (inspect, ast, dis, tokenize) cost each run about 15 ms
_FIELDS = "key source field over_tree over_ticks unit column label fmt attach reader what"


class Metric(namedtuple("Metric", _FIELDS, defaults=("", "", 0, "", "", ""))):
    """One per-run figure. over_tree / over_ticks: "sum", "max", "last" or "run" (the source
    gives one figure of the run). column: its runs.csv column ("" for run.json only); label: the
    report's ("" not shown), with fmt decimals. reader: the module that reads it when it is not
    read generically (see the module's docstring)."""

    __slots__ = ()

    @property
    def dtype(self) -> str:
        return UNITS[self.unit][0]

    @property
    def divisor(self) -> int:
        """run.json value / divisor = the runs.csv value (kB and bytes become MB)."""
        return UNITS[self.unit][1]


def _m(key, source, field, over_tree, over_ticks, unit, column="", label="", fmt=0, **kw):
    return Metric(key, source, field, over_tree, over_ticks, unit, column, label, fmt, **kw)


METRICS = (
    _m("peak_rss_kb", "statm", "resident", "sum", "max", "kB", "peak_rss_mb", "sampled peak MB",
       1, reader="engine", what="the largest RSS the samples saw, summed over the tree"),
    _m("peak_vmsize_kb", "statm", "size", "sum", "max", "kB", "peak_vmsize_mb",
       reader="engine", what="the largest virtual size the samples saw"),
    _m("peak_vmdata_kb", "statm", "data", "sum", "max", "kB",
       reader="engine", what="the largest data + stack (minus VmStk) the samples saw"),
    _m("hwm_kb", "status", "VmHWM", "max", "last", "kB", "hwm_mb", "VmHWM MB", 1,
       reader="proctree", what="the kernel's high-water mark of one process, largest over the "
       "tree, raised to the process's largest sampled RSS"),
    _m("maxrss_kb", "rusage", "ru_maxrss", "run", "run", "kB", "maxrss_mb",
       what="the largest peak RSS of one process the guardian reaped"),
    _m("cpu_user_s", "rusage", "ru_utime", "run", "run", "s", "cpu_user_s", "user CPU s", 2,
       attach="user_ticks", what="user CPU of the whole tree"),
    _m("cpu_system_s", "rusage", "ru_stime", "run", "run", "s", "cpu_system_s", "sys CPU s", 2,
       attach="system_ticks", what="system CPU of the whole tree"),
    _m("minor_faults", "rusage", "ru_minflt", "run", "run", "count", "minor_faults",
       attach="minflt", what="minor page faults of the whole tree"),
    _m("major_faults", "rusage", "ru_majflt", "run", "run", "count", "major_faults",
       "major faults", 0, attach="majflt", what="major page faults of the whole tree"),
    _m("voluntary_switches", "rusage", "ru_nvcsw", "run", "run", "count", "voluntary_switches",
       what="voluntary context switches (launch mode)"),
    _m("involuntary_switches", "rusage", "ru_nivcsw", "run", "run", "count",
       "involuntary_switches", what="involuntary context switches (launch mode)"),
    _m("rchar_bytes", "io", "rchar", "sum", "last", "bytes", "rchar_mb", attach="rchar",
       what="bytes read through read() and the like"),
    _m("wchar_bytes", "io", "wchar", "sum", "last", "bytes", "wchar_mb", attach="wchar",
       what="bytes written through write() and the like"),
    _m("read_bytes", "io", "read_bytes", "sum", "last", "bytes", "read_mb", "disk read MB", 1,
       attach="read_bytes", what="bytes read from storage"),
    _m("write_bytes", "io", "write_bytes", "sum", "last", "bytes", "write_mb", "disk write MB",
       1, attach="write_bytes", what="bytes written to storage"),
    _m("peak_uss_kb", "smaps", "Private_Clean + Private_Dirty", "sum", "max", "kB",
       "peak_uss_mb", "USS MB", 1, reader="engine", what="the largest unique set size read"),
    _m("peak_pss_kb", "smaps", "Pss", "sum", "max", "kB", "peak_pss_mb", "PSS MB", 1,
       reader="engine", what="the largest proportional set size read"),
    _m("cgroup_peak_kb", "cgroup", "memory.peak", "run", "last", "kB", "cgroup_peak_mb",
       "cgroup peak MB", 1, reader="cgroups", what="the cgroup's own peak (v1: "
       "memory.max_usage_in_bytes)"),
    _m("cgroup_anon_kb", "cgroup", "memory.stat anon", "run", "max", "kB", "cgroup_anon_mb",
       reader="engine", what="anonymous memory at the highest charge read (v1: rss)"),
    _m("cgroup_file_kb", "cgroup", "memory.stat file", "run", "max", "kB", "cgroup_file_mb",
       reader="engine", what="file memory at the highest charge read (v1: cache)"),
    *(
        _m(f"cgroup_events_{event}", "cgroup", f"memory.events {event}", "run", "last",
           "count", f"cgroup_events_{event}", reader="cgroups", what=f"times of `{event}`")
        for event in ("high", "max", "oom", "oom_kill")
    ),
    *(
        _m(f"cgroup_pressure_{kind}_us", "cgroup", f"memory.pressure {kind} total", "run",
           "last", "us", f"cgroup_pressure_{kind}_us", reader="cgroups",
           what=f"time {kind} tasks stalled on memory")
        for kind in ("some", "full")
    ),
    _m("peak_nprocs", "tree", "members", "sum", "max", "count", "peak_nprocs", "processes", 0,
       reader="proctree", what="the most processes of the run alive at once"),
    _m("threads_max", "status", "Threads", "sum", "max", "count", "threads_max", "threads", 0,
       what="the most threads of the run alive at once (read with status, every 0.5 s)"),
)  # fmt: skip
BY_KEY = {m.key: m for m in METRICS}


def generic(source: str) -> tuple[Metric, ...]:
    """The metrics of a source that are read generically (no `reader` of their own)."""
    return tuple(m for m in METRICS if m.source == source and not m.reader)


def markdown_table() -> str:
    """The table of docs/sampler.md's "Per-run metrics", one row per metric."""
    lines = [
        "| run.json key | runs.csv column | label | read from | over the tree | over time | "
        "what it is |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for m in METRICS:
        column = f"`{m.column}`" if m.column else ""
        where = f"{SOURCES[m.source]} `{m.field}`"
        lines.append(
            f"| `{m.key}` ({m.unit}) | {column} | {m.label} | {where} | {m.over_tree} | "
            f"{m.over_ticks} | {m.what} |"
        )
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown_table(), end="")
