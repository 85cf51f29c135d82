"""Bisection on whole MB: which runs a search does next, and what its runs found.

Two kinds of search (config `search`, one entry per search, run for every variant):

- switch: every change of the reported configuration between low_mb and high_mb, each to the MB
  (the last limit with one configuration and the first with the next). It runs low_mb, high_mb
  and `initial_probes` evenly spaced limits, then halves every interval whose ends report
  different configurations; an interval whose ends agree is taken as constant. At each switch
  found it runs `repeats` runs at both limits (repeats that disagree are said so, not bisected),
  and with `seed_thresholds` one run at the limit + 1 for the threshold check.
- min_memory: the least limit at which all `repeats` runs finish `ok`. It runs `repeats` runs at
  low_mb and high_mb, bisects on one run per limit, then near the boundary runs `repeats` runs
  per limit: the least limit where all are ok, and the greatest where all fail. When they are
  not 1 MB apart the boundary is flaky and reported as that range.

The functions are pure: observations are {(limit, repeat): Seen(status, reported)}. `plan` gives
the runs to do next ([] when the search is done); `results` says what the runs found. A probe is
put on a limit the campaign already runs (`known`) when one lies in the middle half of the
interval, so grid and threshold runs serve as probes.

    >>> spec = {"kind": "switch", "low_mb": 300, "high_mb": 1500, "repeats": 2,
    ...     "initial_probes": 3, "max_probes": 100, "seed_thresholds": False}
    >>> demo = lambda limit, repeat: Seen("ok", "A" if limit < 500 else "B")
    >>> obs, steps = simulate(spec, demo)
    >>> [(r["outcome"], r["result_mb"], r["below"], r["at"]) for r in results(spec, obs)]
    [('found', 500, 'A', 'B')]
    >>> len(obs), steps
    (16, 12)
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

OK = "ok"
MAX_MB = 16777216  # the largest limit the config accepts
KINDS = ("switch", "min_memory")


@dataclass(frozen=True)
class Probe:
    limit: int
    repeat: int
    role: str  # anchor (low_mb, high_mb), probe, confirm (near an answer), check (threshold)


@dataclass(frozen=True)
class Seen:
    status: str | None
    reported: str | None


def by_limit(obs: dict) -> dict[int, list[Seen]]:
    """{limit: [what each repeat saw, by repeat]}."""
    out: dict[int, list[Seen]] = {}
    for limit, repeat in sorted(obs):
        out.setdefault(limit, []).append(obs[(limit, repeat)])
    return out


def pick(low: int, high: int, known=()) -> int:
    """A limit strictly between low and high: a known one in the middle half nearest the
    midpoint, else the midpoint (rounded down).

    >>> pick(300, 900), pick(300, 900, [478, 823]), pick(999, 1001)
    (600, 478, 1000)
    """
    mid = (low + high) // 2
    quarter = (high - low) / 4
    near = [k for k in known if low < k < high and abs(k - mid) <= quarter]
    return min(near, key=lambda k: (abs(k - mid), k)) if near else mid


def spread(low: int, high: int, n: int, known=()) -> list[int]:
    """n limits evenly spaced strictly between low and high (each moved to a known limit within
    a quarter of the spacing)."""
    step = (high - low) / (n + 1)
    out = []
    for i in range(1, n + 1):
        target = round(low + i * step)
        near = [k for k in known if abs(k - target) <= step / 4]
        limit = min(near, key=lambda k: (abs(k - target), k)) if near else target
        if low < limit < high and limit not in out:
            out.append(limit)
    return out


def plan(spec: dict, obs: dict, known=()) -> list[Probe]:
    """The runs to do next; [] when the search is done (or would pass max_probes)."""
    step = plan_switch if spec["kind"] == "switch" else plan_min_memory
    new, keys = [], set(obs)
    for probe in step(spec, obs, sorted(known)):
        if (probe.limit, probe.repeat) not in keys and probe.limit <= MAX_MB:
            keys.add((probe.limit, probe.repeat))  # the first role asked for a run wins
            new.append(probe)
    return [] if len(obs) + len(new) > spec["max_probes"] else new


def start(spec: dict, known, repeats: int) -> list[Probe]:
    low, high = spec["low_mb"], spec["high_mb"]
    anchors = [Probe(x, r, "anchor") for x in (low, high) for r in range(1, repeats + 1)]
    return anchors + [
        Probe(x, 1, "probe") for x in spread(low, high, spec["initial_probes"], known)
    ]


def confirm(limit: int, repeats: int, first: int = 2) -> list[Probe]:
    return [Probe(limit, r, "confirm") for r in range(first, repeats + 1)]


def first_reports(obs: dict, low: int, high: int) -> dict[int, str | None]:
    """{limit: what repeat 1 reported} for the limits from low to high."""
    return {
        lim: s.reported for (lim, rep), s in sorted(obs.items()) if rep == 1 and low <= lim <= high
    }


def plan_switch(spec: dict, obs: dict, known: list[int]) -> list[Probe]:
    low, high = spec["low_mb"], spec["high_mb"]
    first = first_reports(obs, low, high)
    if low not in first or high not in first:
        return start(spec, known, 1)
    new = []
    limits = sorted(first)
    for a, b in zip(limits, limits[1:], strict=False):
        if first[a] is None or first[b] is None or first[a] == first[b]:
            continue
        if b - a > 1:
            new.append(Probe(pick(a, b, known), 1, "probe"))
            continue
        new += confirm(a, spec["repeats"]) + confirm(b, spec["repeats"])
        if spec["seed_thresholds"]:
            new.append(Probe(b + 1, 1, "check"))
    return new


def all_ok(seen: list[Seen]) -> bool:
    return all(s.status == OK for s in seen)


def none_ok(seen: list[Seen]) -> bool:
    return not any(s.status == OK for s in seen)


def upper_bracket(runs: dict, repeats: int) -> tuple[int, int]:
    """(u, b): u the least limit whose `repeats` runs are all ok, b the greatest limit below it
    with a run that is not."""
    u = min(lim for lim, seen in runs.items() if len(seen) >= repeats and all_ok(seen))
    b = max((lim for lim, seen in runs.items() if lim < u and not all_ok(seen)), default=u - 1)
    return u, b


def lower_bracket(runs: dict, repeats: int, u: int) -> tuple[int | None, int]:
    """(d, a): d the greatest limit below u whose `repeats` runs all failed (None: there is none),
    a the least limit above d with an ok run."""
    full = [lim for lim, seen in runs.items() if lim < u and len(seen) >= repeats]
    d = max((lim for lim in full if none_ok(runs[lim])), default=None)
    a = min(lim for lim, seen in runs.items() if (d is None or lim > d) and not none_ok(seen))
    return d, a


def plan_min_memory(spec: dict, obs: dict, known: list[int]) -> list[Probe]:
    low, high, reps = spec["low_mb"], spec["high_mb"], spec["repeats"]
    runs = by_limit(obs)
    if len(runs.get(low, [])) < reps or len(runs.get(high, [])) < reps:
        return start(spec, known, reps)
    if not all_ok(runs[high]) or all_ok(runs[low]):
        return []  # fails at high_mb, or succeeds at low_mb: `results` says which
    first_ok = {lim: obs[(lim, 1)].status == OK for lim in runs if (lim, 1) in obs}
    hi1 = min(lim for lim, ok in first_ok.items() if ok)
    lo1 = max((lim for lim in first_ok if lim < hi1), default=None)
    if lo1 is not None and hi1 - lo1 > 1:
        return [Probe(pick(lo1, hi1, known), 1, "probe")]
    new = []
    u, b = upper_bracket(runs, reps)
    if u - b > 1:
        if hi1 < u and len(runs[hi1]) < reps:
            new += confirm(hi1, reps)
        else:
            new += confirm(pick(b, u, known), reps, first=1)
    d, a = lower_bracket(runs, reps, u)
    if d is not None and a - d > 1:
        if lo1 is not None and lo1 > d and len(runs[lo1]) < reps:
            new += confirm(lo1, reps)
        else:
            new += confirm(pick(d, a, known), reps, first=1)
    return new


def tally(values) -> str:
    """'oom' when all agree, else 'oom x2, ok x1' (most common first); None shows as nothing."""
    counts = Counter("nothing" if v is None else v for v in values)
    if len(counts) == 1:
        return next(iter(counts))
    return ", ".join(f"{v} x{n}" for v, n in counts.most_common())


def row(outcome, result=None, lo=None, hi=None, below=None, at=None, note="") -> dict:
    return {"outcome": outcome, "result_mb": result, "range_low_mb": lo, "range_high_mb": hi,
            "below": below, "at": at, "monotonic": None, "note": note}  # fmt: skip


def results(spec: dict, obs: dict) -> list[dict]:
    """What the runs found: one row per switch (or per problem), or the one min_memory answer.
    outcome is one of OUTCOMES; range_low_mb..range_high_mb is where the answer lies."""
    if spec["kind"] == "switch":
        return switch_results(spec, obs)
    return min_memory_results(spec, obs)


def comebacks(first: dict) -> list[str]:
    """Configurations seen again after another one, in limit order: 'A again at 900 MB'."""
    order, out = [], []
    for limit in sorted(first):
        config = first[limit]
        if config is None or (order and order[-1] == config):
            continue
        if config in order:
            out.append(f"{config} again at {limit} MB after {order[-1]}")
        order.append(config)
    return out


def switch_results(spec: dict, obs: dict) -> list[dict]:
    low, high = spec["low_mb"], spec["high_mb"]
    first = first_reports(obs, low, high)
    runs = by_limit(obs)
    if low not in first or high not in first:
        return [
            row(
                "unresolved",
                note=f"low_mb and high_mb were not run (max_probes {spec['max_probes']})",
            )
        ]
    rows = []
    for limit, config in first.items():
        if config is None:
            status = tally(s.status for s in runs[limit])
            rows.append(
                row("no_report", lo=limit, hi=limit, note=f"no report at {limit} MB (run {status})")
            )
    limits = sorted(first)
    for a, b in zip(limits, limits[1:], strict=False):
        ca, cb = first[a], first[b]
        if ca is None or cb is None or ca == cb:
            continue
        if b - a > 1:
            note = f"not narrowed below {a}-{b} MB within max_probes {spec['max_probes']}"
            rows.append(row("unresolved", lo=a + 1, hi=b, below=ca, at=cb, note=note))
            continue
        below = [s.reported for s in runs[a]]
        at = [s.reported for s in runs[b]]
        if len(set(below)) == 1 and len(set(at)) == 1:
            note = f"{len(below)} run(s) at {a} MB, {len(at)} at {b} MB agree"
            rows.append(row("found", b, b, b, ca, cb, note))
        else:
            note = f"repeats disagree: {a} MB reported {tally(below)}; {b} MB {tally(at)}"
            rows.append(row("repeats_disagree", b, a, b, ca, cb, note))
    if not rows:
        note = f"every probe from {low} to {high} MB reported {first[low]}"
        rows.append(row("none_found", lo=low, hi=high, below=first[low], at=first[high], note=note))
    back = comebacks(first)
    for r in rows:
        r["monotonic"] = not back
        if back:
            r["note"] += "; not monotonic: " + "; ".join(back)
    return rows


def min_memory_results(spec: dict, obs: dict) -> list[dict]:
    low, high, reps = spec["low_mb"], spec["high_mb"], spec["repeats"]
    runs = by_limit(obs)
    if len(runs.get(low, [])) < reps or len(runs.get(high, [])) < reps:
        return [
            row(
                "unresolved",
                note=f"low_mb and high_mb were not run (max_probes {spec['max_probes']})",
            )
        ]
    if not all_ok(runs[high]):
        status = tally(s.status for s in runs[high])
        outcome = "fails_at_high" if none_ok(runs[high]) else "flaky_at_high"
        return [
            row(
                outcome,
                below=status,
                note=f"{len(runs[high])} run(s) at high_mb {high} MB: {status}",
            )
        ]
    if all_ok(runs[low]):
        note = f"all {len(runs[low])} run(s) ok already at low_mb {low} MB"
        return [row("ok_at_low", hi=low, at=OK, note=note)]
    u, b = upper_bracket(runs, reps)
    d, a = lower_bracket(runs, reps, u)
    below = tally(s.status for s in runs.get(u - 1, [])) if u - 1 in runs else None
    if u - b > 1 or (d is not None and a - d > 1):
        note = f"not narrowed within max_probes {spec['max_probes']}: all ok from {u} MB"
        return [row("unresolved", lo=b + 1, hi=u, at=OK, note=note)]
    if d == u - 1:
        note = f"{len(runs[u])} run(s) ok at {u} MB; {len(runs[d])} at {d} MB: {below}"
        return [row("found", u, u, u, below, OK, note)]
    lo = low if d is None else d + 1
    note = (f"all {len(runs[u])} run(s) ok from {u} MB; some ok, some not, from {lo} to "
            f"{u - 1} MB" + ("" if d is None else f"; all failed at {d} MB"))  # fmt: skip
    return [row("flaky", u, lo, u, below, OK, note)]


OUTCOMES = ("found", "repeats_disagree", "no_report", "unresolved", "none_found", "flaky",
            "fails_at_high", "flaky_at_high", "ok_at_low", "documented_not_found")  # fmt: skip


def simulate(spec: dict, run, known=()) -> tuple[dict, int]:
    """Run a search against run(limit, repeat) -> Seen; (observations, steps) at the end."""
    obs, steps = {}, 0
    while new := plan(spec, obs, known):
        steps += 1
        obs |= {(p.limit, p.repeat): run(p.limit, p.repeat) for p in new}
    return obs, steps + 1
