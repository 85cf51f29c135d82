"""One step of a search: read the runs its earlier steps asked for, and decide the next ones.

Called by the `search_step` checkpoint, once per step of each search and variant. It writes
results/search/{variant}/{search}/step{n}.json, for instance:

    {"variant": "default", "search": "switch_auto_300-1500", "step": 3, "done": false,
     "next": [{"limit_mb": 525, "repeat": 1, "role": "probe", "step": 3, "reused": false,
               "run_dir": "results/runs/default/525MB/auto/rep1"}],
     "probes": [... every probe asked for by steps 0..3, the same fields ...],
     "seen": [{"limit_mb": 300, "repeat": 1, "status": "ok", "reported": "2M/4M/2M"}, ...]}

Step 0 reads nothing. Step n reads the run.json and solver.log of every probe in step n-1's
`probes` (they are the job's inputs, so the monitor rule runs them first: reused when the grid,
a threshold check or another search already has them) and asks scripts/campaign/search.py what to
run next. A step that asks for nothing is the last (`done`). By hand, to see what a search has seen:

    python scripts/search_step.py results/search/default/switch_auto_300-1500/step4.json
"""

import json
import logging
import sys
from pathlib import Path

import campaign.spec
import tables
from campaign import search
from pipeline import stage
from sampling.files import write_atomically
from tables import rundir

log = logging.getLogger("search_step")


def read_state(path) -> dict:
    """A step file; TableError naming it when it is not one."""
    try:
        state = json.loads(Path(path).read_text())
    except (OSError, ValueError) as err:
        state = {"error": str(err)}
    if not isinstance(state, dict) or not isinstance(state.get("probes"), list):
        raise tables.TableError(
            f"{path}: not a search step file ({state.get('error', 'no probes list')}); delete "
            "it and run snakemake again to redo the search from that step"
        )
    return state


def observe(probes: list[dict], pattern: str) -> dict:
    """{(limit, repeat): Seen} from each probe's run.json and solver.log."""
    obs = {}
    for probe in probes:
        record = rundir.read_run(Path(probe["run_dir"]) / "run.json")
        seen = search.Seen(record["status"], rundir.log_config(probe["run_dir"], pattern))
        obs[(probe["limit_mb"], probe["repeat"])] = seen
    return obs


def step_state(spec: dict, variant: str, step: int, previous: dict | None, obs: dict, known):
    """The step file's content: the next probes given what was seen."""
    known_runs = {tuple(k) for k in known}
    new = [
        {"limit_mb": p.limit, "repeat": p.repeat, "role": p.role, "step": step,
         "reused": (p.limit, p.repeat) in known_runs,
         "run_dir": campaign.spec.run_dir(variant, p.limit, spec["bucket_model"], p.repeat)}
        for p in search.plan(spec, obs, sorted({k[0] for k in known_runs}))
    ]  # fmt: skip
    seen = [
        {"limit_mb": lim, "repeat": rep, "status": s.status, "reported": s.reported}
        for (lim, rep), s in sorted(obs.items())
    ]
    probes = (previous["probes"] if previous else []) + new
    return {"variant": variant, "search": spec["name"], "step": step, "done": not new,
            "next": new, "probes": probes, "seen": seen}  # fmt: skip


def main(spec: dict, variant: str, step, known, state_json, previous=None) -> None:
    """step: the step's number (a wildcard); previous: the path of the step before, if any."""
    step, previous = int(step), read_state(previous) if previous else None
    obs = observe(previous["probes"], spec["pattern"]) if previous else {}
    state = step_state(spec, variant, step, previous, obs, known)
    write_atomically(state_json, json.dumps(state, indent=1) + "\n")
    asked = ", ".join(f"{p['limit_mb']} MB rep {p['repeat']}" for p in state["next"])
    log.info("%s %s step %d: %d run(s) seen; next: %s", variant, spec["name"], step, len(obs),
             asked or "none, done")  # fmt: skip


if "snakemake" in globals():
    stage.hand_off(snakemake, main)
elif __name__ == "__main__":
    for line in read_state(sys.argv[1])["seen"]:
        print(line["limit_mb"], line["repeat"], line["status"], line["reported"], sep="\t")
