"""The runs a checked config asks for: its variants, the grid's runs and each threshold check's
three, and the program files a run depends on.

    >>> cfg = {"solver": {"command": "./solver {memory_mb}", "env": {}}, "variants": {},
    ...     "grid": {"memory_limits_mb": [300], "bucket_models": ["auto"], "repeats": 2},
    ...     "thresholds": [], "search": []}
    >>> run = build_runs(cfg)[1]
    >>> run["limit_mb"], run["repeat"], run["in_grid"], run["run_dir"]
    (300, 2, True, 'results/runs/default/300MB/auto/rep2')

Plain Python, no pandas: the workflow plans when it starts, and every Snakemake command (a dry
run, a rerun) would pay pandas' import (about half a second) for it.
"""

from pathlib import Path

import campaign.spec

POSITIONS = (("below", -1), ("at", 0), ("above", 1))
# the run plan: one row per run to make (results/summary/runs.csv is tables.RUNS)
PLAN_COLUMNS = ["variant", "limit_mb", "bucket_model", "repeat", "in_grid", "threshold_check"]


def program_files(command: str) -> list[str]:
    """The program's own files (the program, or the script an interpreter runs): inputs of a run,
    so that editing them reruns the runs."""
    argv = campaign.spec.program_argv(command)
    if "/" in argv[0]:
        return [argv[0]]
    if len(argv) > 1 and "{" not in argv[1] and Path(argv[1]).is_file():
        return [argv[1]]
    return []


def variants(cfg: dict) -> dict[str, dict]:
    """{name: {"command": ..., "env": ...}}: the configured variants, or the one default variant.
    A variant's command defaults to solver.command; its env is merged over solver.env."""
    solver = cfg["solver"]
    given = cfg.get("variants") or {campaign.spec.DEFAULT_VARIANT: {}}
    return {
        name: {
            "command": spec.get("command", solver["command"]),
            "env": {**solver["env"], **spec.get("env", {})},
        }
        for name, spec in given.items()
    }


def search_name(search: dict) -> str:
    """A search's default name: kind, model and range, e.g. 'switch_auto_300-1500'."""
    model = campaign.spec.model_slug(search["bucket_model"])
    return f"{search['kind']}_{model}_{search['low_mb']}-{search['high_mb']}"


def build_runs(cfg: dict) -> list[dict]:
    """One row per run ({column: value} of PLAN_COLUMNS, and its run_dir): the grid's runs, then
    each threshold's three runs, for every variant (a run both in the grid and a threshold check
    is one run). Variants alternate innermost, so runs of different variants follow each other
    in time and a drift favours none."""
    grid = cfg["grid"]
    names = list(variants(cfg))
    rows = [
        (variant, limit, model, rep, True, False)
        for rep in range(1, grid["repeats"] + 1)
        for limit in grid["memory_limits_mb"]
        for model in grid["bucket_models"]
        for variant in names
    ]
    for threshold in cfg["thresholds"]:
        for _, offset in POSITIONS:
            limit = threshold["memory_mb"] + offset
            rows += [(v, limit, threshold["bucket_model"], 1, False, True) for v in names]
    runs = {}  # by (variant, limit, model, repeat), in the order first planned
    for variant, limit, model, rep, in_grid, check in rows:
        run = runs.setdefault(
            (variant, limit, model, rep),
            dict(zip(PLAN_COLUMNS, (variant, limit, model, rep, False, False), strict=True)),
        )
        run["in_grid"] |= in_grid
        run["threshold_check"] |= check
    for run in runs.values():
        run["run_dir"] = campaign.spec.run_dir(*(run[k] for k in PLAN_COLUMNS[:4]))
    return list(runs.values())


def describe(cfg: dict, runs: list[dict]) -> str:
    grid = cfg["grid"]
    n_variants = len(variants(cfg))
    checks = sum(run["threshold_check"] and not run["in_grid"] for run in runs)
    searches = len(cfg["search"])
    more = f", then {searches} search(es) per variant, run by run" if searches else ""
    return (
        f"{len(runs)} runs ({n_variants} variant(s) x {len(grid['memory_limits_mb'])} limits x "
        f"{len(grid['bucket_models'])} models x {grid['repeats']} repeats, + {checks} threshold "
        f"runs){more}"
    )
