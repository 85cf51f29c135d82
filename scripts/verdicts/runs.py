"""The checks of each run: how it ended (run_status), how well its peak was seen (capture,
sources, unseen), what it left behind (leftovers), its output cut from solver.log (output), and
the sampler's missed ticks (sampling). What each one judges is in verdicts/registry.py.

    >>> import tables
    >>> runs = tables.typed(pd.DataFrame({"variant": "v", "limit_mb": [300], "bucket_model": "a",
    ...     "repeat": 1, "n_leftover": [2]}).reindex(columns=tables.RUNS.names), tables.RUNS)
    >>> [(r["level"], r["message"]) for r in leftover_rows(runs)]
    [('warn', '2 process(es) outlived the run and were killed')]
"""

import pandas as pd

from analysis import peaks
from verdicts.rows import number_text, run_subject, verdict


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
    return f"exit {number_text(row['exit_code'])}"


def status_rows(runs: pd.DataFrame) -> list[dict]:
    return [
        verdict("run_status", "ok" if r["status"] == "ok" else "fail", run_subject(r),
                status_message(r), r)
        for _, r in runs.iterrows()
    ]  # fmt: skip


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
        message = (
            f"{figures}: {spread:.0f}% apart; peak {number_text(round(r['peak_mb'], 1))} MB from "
        )
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
            f"no source saw the peak: {number_text(r['samples'])} sample(s) in {seconds} s and no "
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


def near_timeout_rows(runs: pd.DataFrame, settings: dict) -> list[dict]:
    """With timeout_warn_percent set: each run that did not time out, by the share of its
    timeout_s it ran (a run close to it times out on a busier machine or a larger input)."""
    bound = settings["timeout_warn_percent"]
    if bound is None:
        return []
    timed = runs["duration_s"].notna() & runs["timeout_s"].notna() & runs["status"].ne("timeout")
    rows = []
    for _, r in runs[timed].iterrows():
        used = 100 * r["duration_s"] / r["timeout_s"]
        message = f"ran {r['duration_s']:.1f} s, {used:.0f}% of its timeout_s {r['timeout_s']:g} s"
        rows.append(verdict("near_timeout", "warn" if used > bound else "ok", run_subject(r),
                            message, r, value=used, bound=bound, unit="%"))  # fmt: skip
    return rows
