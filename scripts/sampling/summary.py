"""The sampler's summary: how what a run saw and what the kernel reported become its figures.

Standard library only. Pure functions of the guardian's report, the cgroup's counters, the
/proc figures of attach mode, and what the run saw (contract.Seen, the engine's record); the
figures read generically are those of the metric registry (sampling/metrics.py). Then the
summary's file and its closing line:

    >>> percentile(Counter({10000: 98, 10500: 1, 14000: 1}), 99)
    10.5
    >>> status_fields(9), status_fields(3 << 8)  # killed by SIGKILL; exit 3
    ((137, 9), (3, None))
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import Counter

from sampling import metrics, procfs
from sampling.contract import SUMMARY_KEYS, Seen, __version__
from sampling.files import write_atomically

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
    """(hwm_kb, peak_capture) from the per-process figures (pairs of the latest VmHWM and the
    largest sampled RSS, both kB) and the ru_maxrss to count (None when it is only the image).

    hwm_kb is the largest VmHWM read. peak_capture compares like with like: the largest RSS the
    samples saw of any one process, over the kernel's largest peak of one process (hwm_kb, or
    ru_maxrss when larger; the sampled peak itself when a counter approximation put it higher).
    So it is at most 1, also for a tree, where summed RSS is no single process's peak.

    >>> peak_capture([(1000, 900), (300, 300)]), peak_capture([(1000, 900)], maxrss_kb=1200)
    ((1000, 0.9), (1000, 0.75))
    """
    if not members:
        return None, None
    hwm = max(h for h, _ in members)
    sampled = max(p for _, p in members)
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
    figures = {m.key: _value(m, kids[m.field]) for m in metrics.generic("rusage")}
    figures |= {m.key: io[m.field] for m in metrics.generic("io")}
    return {
        **figures,
        "exit_code": exit_code,
        "signal": sig,
        "maxrss_is_image": kids["ru_maxrss"] <= image_kb + IMAGE_SLACK_KB,
        "leftover_processes": report["leftovers"],
    }


def _value(metric, value):
    """A rusage or /proc total as the summary holds it: seconds to the ms."""
    return round(value, 3) if metric.unit == "s" else value


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
    and io figures: each metric's `attach` total, in clock ticks for seconds). A process that
    ended without being reaped by one of these is missing."""
    if not root.totals:
        return {}
    totals = [m.totals for m in live if m.totals]
    figures = {}
    for m in (*metrics.generic("rusage"), *metrics.generic("io")):
        if m.attach:
            total = sum(t.get(m.attach, 0) for t in totals)
            figures[m.key] = _value(m, total / procfs.CLK_TCK if m.unit == "s" else total)
    if root.totals["state"] == "Z":
        figures["exit_code"] = status_fields(root.totals["exit_status"])[0]
    return figures


def utc_stamp(seconds: float) -> str:
    """An epoch time as ISO 8601 UTC to the millisecond (time, not datetime: the run wrapper
    imports this module, and datetime costs each run 2 ms).

    >>> utc_stamp(1765000000.0126)
    '2025-12-06T05:46:40.012Z'
    """
    whole = int(seconds)
    millis = int((seconds - whole) * 1000)
    return f"{time.strftime('%Y-%m-%dT%H:%M:%S', time.gmtime(whole))}.{millis:03d}Z"


def static_keys(settings, mode: str) -> dict:
    """The summary's keys known before the run starts."""
    uname = os.uname()
    started = utc_stamp(time.time())
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


def sampled(seen: Seen, kernel: dict) -> dict:
    """The figures of what a run saw (the engine's record); kernel holds the figures the kernel
    reported already (maxrss_kb, maxrss_is_image, the CPU).

    >>> s = sampled(Seen(start=0.0, end=1.0, samples=3, first=0.0, last=0.02, peak_rss=900,
    ...                  members=[(1000, 900)], most=1), {"cpu_user_s": 0.5, "cpu_system_s": 0})
    >>> s["duration_s"], s["effective_interval_ms"], s["hwm_kb"], s["cpu_load_cores"]
    (1.0, 10.0, 1000, 0.5)
    """
    n, s = seen.samples, kernel
    duration = None if seen.end is None or seen.start is None else round(seen.end - seen.start, 6)
    maxrss = None if s.get("maxrss_is_image", True) else s["maxrss_kb"]
    hwm, capture = peak_capture(seen.members, maxrss) if seen.members else (None, None)
    hwm = hwm or None  # 0: no status was read while the process had memory
    cpu = None if s.get("cpu_user_s") is None else s["cpu_user_s"] + s["cpu_system_s"]
    return {
        **seen.metrics,
        "samples": n,
        "duration_s": duration,
        "effective_interval_ms": (
            round((seen.last - seen.first) * 1000 / (n - 1), 4) if n > 1 else None
        ),
        "interval_p50_ms": percentile(seen.hist, 50),
        "interval_p99_ms": percentile(seen.hist, 99),
        "missed_ticks": seen.missed,
        "peak_rss_kb": seen.peak_rss,
        "peak_rss_time_s": None if seen.peak_time is None else round(seen.peak_time, 6),
        "peak_vmsize_kb": seen.peak_size,
        "peak_vmdata_kb": seen.peak_data,
        "hwm_kb": hwm,
        "peak_capture": capture,
        "peak_uss_kb": seen.peak_uss,
        "peak_nprocs": seen.most,
        "peak_pss_kb": seen.peak_pss,
        "timed_out": seen.timed_out,
        "interrupted": bool(seen.signals),
        "interrupt_signal": seen.signals[0] if seen.signals else None,
        "cpu_load_cores": None if cpu is None or not duration else round(cpu / duration, 3),
    }


def end_of(seen: Seen, mode: str, exit_code: int | None) -> str:
    """How the run ended, one of contract.ENDS: a stop signal, the timeout, else the target's own
    end: its exit (seen by the guardian, or as a zombie in attach mode), or in attach mode an end
    whose exit status another process took (its parent reaped it), before any sample
    ("vanished") or after ("reaped").

    >>> end_of(Seen(samples=4), "attach", None), end_of(Seen(signals=(15,)), "launch", 143)
    ('reaped', 'interrupted')
    """
    if seen.signals:
        return "interrupted"
    if seen.timed_out:
        return "timeout"
    if mode == "launch" or exit_code is not None:
        return "exit"
    return "reaped" if seen.samples else "vanished"


def write_summary(path: str, summary: dict) -> None:
    """Write the summary JSON atomically (files.write_atomically), its keys SUMMARY_KEYS."""
    text = json.dumps({k: summary.get(k) for k in SUMMARY_KEYS}, indent=2) + "\n"
    write_atomically(path, text, "the summary")


def end_words(s: dict) -> str:
    """How the run ended, in the closing line's words (from `end`, one of contract.ENDS)."""
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
