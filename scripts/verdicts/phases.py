"""The phases check (with solver.phase_pattern set): each run is ok with the phase holding its
peak; it warns when no line of its output matched, or when all its phase lines arrived at its very
end (in its last BUFFERED_SHARE, or within BUFFERED_TICKS sampling intervals of it: the program's
output was buffered and flushed as it exited, so its phases are not when they happened). One warn
naming the pattern, instead, when it matched no line of any run.
"""

import pandas as pd

import tables
from sampling import phases as sampler_phases
from verdicts.rows import run_subject, verdict

BUFFERED_TICKS = 2  # phase lines all this close to a run's end: its output was buffered ...
BUFFERED_SHARE = 0.05  # ... or this close, as a share of the run (a process's exit takes time)
MIN_TICKS = 10  # ... in a run longer than this many intervals (else everything is near its end)


def phase_rows(phase_runs: pd.DataFrame, runs: pd.DataFrame, settings: dict) -> list[dict]:
    """Per run: its phases, or why they cannot be believed (see the module docstring);
    settings: phase_pattern."""
    pattern = settings["phase_pattern"]
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
