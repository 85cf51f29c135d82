"""The sampler's summary: how what a run saw and what the kernel reported become its figures.

Standard library only. Pure functions of the guardian's report, the cgroup's counters, the
/proc figures of attach mode, and the per-process peaks; then the summary's file and its closing
line:

    >>> percentile(Counter({10000: 98, 10500: 1, 14000: 1}), 99)
    10.5
    >>> status_fields(9), status_fields(3 << 8)  # killed by SIGKILL; exit 3
    ((137, 9), (3, None))
"""

from __future__ import annotations

import contextlib
import json
import math
import os
from collections import Counter
from datetime import UTC, datetime

from sampling import procfs
from sampling.contract import SUMMARY_KEYS, SamplerError, __version__

IMAGE_SLACK_KB = 1024  # pages the forked child touches before exec, on top of the image


def percentile(hist: Counter, q: float) -> float | None:
    """Nearest-rank q-th percentile of a histogram of integer microseconds, in ms."""
    n = sum(hist.values())
    rank, seen = max(1, math.ceil(q / 100 * n)), 0
    for us in sorted(hist):
        seen += hist[us]
        if seen >= rank:
            return us / 1000
    return None


def peak_capture(members, maxrss_kb: int | None = None) -> tuple[int | None, float | None]:
    """(hwm_kb, peak_capture) from the per-process figures (.hwm: latest VmHWM, .peak: largest
    sampled RSS, both kB) and the ru_maxrss to count (None when it is only the image).

    hwm_kb is the largest VmHWM read. peak_capture compares like with like: the largest RSS the
    samples saw of any one process, over the kernel's largest peak of one process (hwm_kb, or
    ru_maxrss when larger; the sampled peak itself when a counter approximation put it higher).
    So it is at most 1, also for a tree, where summed RSS is no single process's peak.

    >>> class P:
    ...     def __init__(self, hwm, peak): self.hwm, self.peak = hwm, peak
    >>> peak_capture([P(1000, 900), P(300, 300)]), peak_capture([P(1000, 900)], maxrss_kb=1200)
    ((1000, 0.9), (1000, 0.75))
    """
    members = list(members)
    if not members:
        return None, None
    hwm = max(m.hwm for m in members)
    sampled = max(m.peak for m in members)
    kernel = max(hwm, sampled, maxrss_kb or 0)
    return hwm, (round(sampled / kernel, 4) if kernel else None)


def status_fields(status: int | None) -> tuple[int | None, int | None]:
    """(exit_code, signal) from a wait status: code, or 128+N and N when killed by signal N."""
    if status is None:
        return None, None
    code = os.waitstatus_to_exitcode(status)
    return (code, None) if code >= 0 else (128 - code, -code)


def from_guardian(report: dict, image_kb: int) -> dict:
    """Launch mode: exit status, ru_maxrss, CPU, faults, context switches and I/O of the whole
    tree, from the guardian's report (its wait4 of the command, its RUSAGE_CHILDREN once it has
    reaped every process of the run, and the I/O read from each child's zombie).

    ru_maxrss is the largest peak RSS of one process of the run; at or just above the image of
    the guardian the command was forked from (image_kb) it says nothing of the command."""
    exit_code, sig = status_fields(report["status"])
    kids, io = report["children"], report["io"]
    return {
        "exit_code": exit_code,
        "signal": sig,
        "maxrss_kb": kids["ru_maxrss"],
        "maxrss_is_image": kids["ru_maxrss"] <= image_kb + IMAGE_SLACK_KB,
        "cpu_user_s": round(kids["ru_utime"], 3),
        "cpu_system_s": round(kids["ru_stime"], 3),
        "minor_faults": kids["ru_minflt"],
        "major_faults": kids["ru_majflt"],
        "voluntary_switches": kids["ru_nvcsw"],
        "involuntary_switches": kids["ru_nivcsw"],
        "leftover_processes": report["leftovers"],
        "rchar_bytes": io["rchar"],
        "wchar_bytes": io["wchar"],
        "read_bytes": io["read_bytes"],
        "write_bytes": io["write_bytes"],
    }


def from_cgroup(cg, split: tuple | None) -> dict:
    """The run cgroup's figures, read after the run and before its removal; split is (anon,
    file) kB at the highest charge the sampler read."""
    anon, file = split or (None, None)
    some, full = cg.pressure_us()
    return {
        "cgroup_peak_kb": cg.peak_kb(),
        "oom_killed": cg.oom_killed(),
        "cgroup_anon_kb": anon,
        "cgroup_file_kb": file,
        "cgroup_pressure_some_us": some,
        "cgroup_pressure_full_us": full,
        **{f"cgroup_events_{k}": v for k, v in cg.events().items()},
    }


def from_proc(root, live: list) -> dict:
    """Attach mode: the exit status from the root's zombie, and CPU, faults and I/O summed over
    the root and the members still alive, each with what it reaped (its latest /proc/PID/stat
    and io figures). A process that ended without being reaped by one of these is missing."""
    if not root.totals:
        return {}
    totals = [m.totals for m in live if m.totals]

    def total(key):
        return sum(t.get(key, 0) for t in totals)

    figures = {
        "cpu_user_s": round(total("user_ticks") / procfs.CLK_TCK, 3),
        "cpu_system_s": round(total("system_ticks") / procfs.CLK_TCK, 3),
        "minor_faults": total("minflt"),
        "major_faults": total("majflt"),
        "rchar_bytes": total("rchar"),
        "wchar_bytes": total("wchar"),
        "read_bytes": total("read_bytes"),
        "write_bytes": total("write_bytes"),
    }
    if root.totals["state"] == "Z":
        figures["exit_code"] = status_fields(root.totals["exit_status"])[0]
    return figures


def static_keys(settings, mode: str) -> dict:
    """The summary's keys known before the run starts."""
    uname = os.uname()
    started = datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
    return {
        "command": settings.command,
        "mode": mode,
        "interval_ms": settings.interval_ms,
        "started_at": started,
        "hostname": uname.nodename,
        "kernel": uname.release,
        "sampler_version": __version__,
        "enforce": settings.enforce,
        "memory_limit_mb": settings.memory_limit_mb,
        "smaps_interval_ms": settings.smaps_interval_ms or None,
        "timeout_s": settings.timeout_s,
        "notes": [],
        "samples": 0,
        "missed_ticks": 0,
        "timed_out": False,
        "interrupted": False,
    }


def sampled(run, end: float | None) -> dict:
    """The figures of what a run (sampling.Run) saw; end is None when the command never
    started. Needs the kernel's figures (maxrss_kb, CPU) already in run.summary."""
    n, s = run.samples, run.summary
    start = run.t0 if run.mode == "launch" or run.first is None else run.t0 + run.first
    duration = None if end is None or start is None else round(end - start, 6)
    maxrss = None if s.get("maxrss_is_image", True) else s["maxrss_kb"]
    if run.tree:
        run.tree.settle_hwm()
    hwm, capture = peak_capture(run.tree.members(), maxrss) if run.tree else (None, None)
    hwm = hwm or None  # 0: no status was read while the process had memory
    cpu = None if s.get("cpu_user_s") is None else s["cpu_user_s"] + s["cpu_system_s"]
    return {
        "samples": n,
        "duration_s": duration,
        "effective_interval_ms": (
            round((run.last - run.first) * 1000 / (n - 1), 4) if n > 1 else None
        ),
        "interval_p50_ms": percentile(run.hist, 50),
        "interval_p99_ms": percentile(run.hist, 99),
        "missed_ticks": run.missed,
        "peak_rss_kb": run.peak_rss,
        "peak_rss_time_s": None if run.peak_time is None else round(run.peak_time, 6),
        "peak_vmsize_kb": run.peak_size,
        "peak_vmdata_kb": run.peak_data,
        "hwm_kb": hwm,
        "peak_capture": capture,
        "peak_uss_kb": run.peak_uss,
        "peak_nprocs": run.tree.most if run.tree else None,
        "peak_pss_kb": run.peak_pss,
        "timed_out": run.timed_out,
        "interrupted": bool(run.signals),
        "interrupt_signal": run.signals[0] if run.signals else None,
        "cpu_load_cores": None if cpu is None or not duration else round(cpu / duration, 3),
    }


def write_summary(path: str, summary: dict) -> None:
    """Write the summary JSON atomically: a temp file beside it, then os.replace."""
    tmp = f"{path}.tmp-{os.getpid()}"
    try:
        with open(tmp, "w") as f:
            json.dump({k: summary.get(k) for k in SUMMARY_KEYS}, f, indent=2)
            f.write("\n")
        os.replace(tmp, path)
    except OSError as e:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise SamplerError(f"cannot write the summary {path}: {e.strerror}") from None


def end_words(s: dict) -> str:
    """How the run ended, in the closing line's words (from `end`, one of sampler_contract.ENDS)."""
    how, code = s["end"], s.get("exit_code")
    if how == "interrupted":
        text = f"interrupted by signal {s['interrupt_signal']}"
    elif how == "timeout":
        text = "timed out" if code is None else f"exit {code}, timed out"
    elif how == "exit":
        text = f"exit {code}"
    elif how == "reaped":
        text = "target ended, reaped by another process (exit status unknown)"
    elif how == "vanished":
        text = "target ended before the first sample (nothing measured)"
    else:
        text = how
    if s["mode"] == "attach" and how in ("timeout", "interrupted"):
        text += ", the target still runs"
    return text


def closing_line(s: dict) -> str:
    """The one-line account of a run that the sampler prints last."""

    def mib(kb):
        return "n/a" if kb is None else f"{kb / 1024:.1f} MiB"

    capture = "" if s.get("peak_capture") is None else f" ({s['peak_capture']:.1%} captured)"
    end = end_words(s)
    end += ", OOM-killed" if s.get("oom_killed") else ""
    dur = "n/a" if s.get("duration_s") is None else f"{s['duration_s']:.3f} s"
    every = s.get("effective_interval_ms")
    every = "n/a" if every is None else f"{every:.3f} ms"
    cpu = s.get("cpu_user_s")
    cpu = "" if cpu is None else f", {cpu + s['cpu_system_s']:.2f} s CPU"
    return (
        f"{s['samples']} samples in {dur} (every {every}, {s['missed_ticks']} missed), "
        f"peak RSS {mib(s.get('peak_rss_kb'))}, VmHWM {mib(s.get('hwm_kb'))}{capture}"
        f"{cpu}, {end}"
    )
