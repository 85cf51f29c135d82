"""The baseline of a comparison (`compare.baseline`): a variant of this campaign, or the results
folder of an earlier campaign. Checked when the config is loaded, before any run.

- A variant name (one of `variants:`) compares every other variant of this campaign with it:
  same machine, same hour, runs alternating.
- Anything else is a folder, relative to the working directory: the `results/` folder of an
  earlier campaign (e.g. the main branch's, kept by CI). It must hold `summary/runs.csv` and
  `summary/thresholds.csv`, read for the columns the comparison uses (RUNS_NEEDED, RUNS_LATER,
  THRESHOLDS_NEEDED below), so that a baseline saved by an older or newer memsweep compares.
  If it has one variant, every variant of this campaign is compared with it; with several, each
  variant with the baseline's variant of the same name.

A value that is neither, a folder that is not a memsweep results folder, this campaign's own
results folder, and a baseline sharing no configuration with the campaign raise BaselineError,
which the config check reports as "config error at compare.baseline: ...".

    >>> b = resolve("base", ["base", "new"])
    >>> b.mode, b.variant, pairs(b, ["base", "new"], ["base", "new"])
    ('variant', 'base', [('new', 'base')])
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

import campaign.spec
import tables

if TYPE_CHECKING:  # the workflow imports this module when it starts: no pandas then
    import pandas as pd

RESULTS = "results"  # this campaign's results folder (campaign.spec.RUN_DIR and tables.SUMMARY_DIR)
SHOWN = 6  # configurations named in an error message
# What the comparison (scripts/compare.py) reads of a baseline campaign, and nothing more, so
# that a column the runs contract gains never breaks a saved baseline. RUNS_NEEDED have been in
# runs.csv since memsweep compares; RUNS_LATER came since: a baseline saved before them lacks
# them, and the comparison lists what they would have told as not compared.
RUNS_NEEDED = (
    "variant", "limit_mb", "bucket_model", "repeat", "status", "in_grid", "peak_mb", "samples",
    "reported_config", "hostname", "kernel", "sampler_version", "effective_interval_ms",
    "cgroup_peak_mb",
)  # fmt: skip
RUNS_LATER = ("interval_p99_ms",)
THRESHOLDS_NEEDED = ("variant", "limit_mb", "bucket_model", "verdict")
REDO = "run that campaign again, or point at another folder"


class BaselineError(ValueError):
    """A compare.baseline memsweep cannot compare with; the message names the value."""


@dataclass(frozen=True)
class Baseline:
    value: str  # as configured
    mode: str  # "variant" or "folder"
    variant: str | None = None  # variant mode: the baseline variant
    folder: str | None = None  # folder mode: the results folder, as configured
    cwd: str = "."  # where a relative folder is taken from (the workflow's working directory)

    def table_path(self, table: tables.Table) -> str:
        """Where a summary table of the baseline campaign is (folder mode)."""
        return str(Path(self.folder) / Path(table.path).relative_to(RESULTS))

    def run_dir(self, variant: str, limit_mb: int, model: str, repeat: int) -> str:
        """Where a run of the baseline campaign keeps its files, seen from this project."""
        if self.mode == "variant":
            return campaign.spec.run_dir(variant, limit_mb, model, repeat)
        own = Path(campaign.spec.run_dir(variant, limit_mb, model, repeat)).relative_to(RESULTS)
        return str(Path(self.folder) / own)


def resolve(value: str, variants: list[str], cwd: Path | None = None) -> Baseline:
    """The Baseline a configured value names (BaselineError when it names nothing usable)."""
    cwd = Path.cwd() if cwd is None else Path(cwd)
    if value in variants:
        if len(variants) < 2:
            raise BaselineError(
                f"{value!r} is the campaign's only variant: nothing to compare with it; add "
                "variants, or give the results folder of an earlier campaign"
            )
        return Baseline(value, "variant", variant=value)
    folder = cwd / value
    if not folder.is_dir():
        raise BaselineError(
            f"{value!r} is neither a variant of this campaign ({', '.join(variants)}) nor a "
            f"folder (relative paths are taken from {cwd})"
        )
    if folder.resolve() == (cwd / RESULTS).resolve():
        raise BaselineError(
            f"{value!r} is this campaign's own results folder, which the campaign rewrites; "
            f"copy it first (cp -r {RESULTS} baseline-results) and compare with the copy"
        )
    if not (folder / "summary" / "runs.csv").is_file():
        raise BaselineError(
            f"{value!r} is not a memsweep results folder: it has no summary/runs.csv (give the "
            "results/ folder of a finished campaign)"
        )
    return Baseline(value, "folder", folder=value, cwd=str(cwd))


def read_runs(baseline: Baseline) -> pd.DataFrame:
    """The baseline campaign's runs (folder mode): the columns the comparison uses, checked
    against the runs contract; a RUNS_LATER column the baseline lacks is left out."""
    return read(baseline, tables.RUNS, RUNS_NEEDED, RUNS_LATER)


def read_thresholds(baseline: Baseline) -> pd.DataFrame:
    """The baseline campaign's threshold checks (folder mode), the columns the comparison uses."""
    return read(baseline, tables.THRESHOLDS, THRESHOLDS_NEEDED)


def read(baseline: Baseline, table: tables.Table, needed, later=()) -> pd.DataFrame:
    path = Path(baseline.cwd) / baseline.table_path(table)
    try:
        return tables.read_columns(path, table, needed, later, redo=REDO)
    except tables.TableError as err:
        raise BaselineError(
            f"{baseline.value!r} is not a usable memsweep results folder: {err}"
        ) from None


def pairs(baseline: Baseline, candidates: list[str], baseline_variants: list[str]) -> list:
    """[(candidate variant, baseline variant)] to compare."""
    if baseline.mode == "variant":
        return [(v, baseline.variant) for v in candidates if v != baseline.variant]
    if len(baseline_variants) == 1:
        return [(v, baseline_variants[0]) for v in candidates]
    return [(v, v) for v in candidates if v in baseline_variants]


def configurations(runs: pd.DataFrame, variant: str) -> set[tuple[int, str]]:
    """(limit_mb, bucket_model) of a variant's runs."""
    mine = runs[runs["variant"] == variant]
    return set(zip(mine["limit_mb"].astype(int), mine["bucket_model"].astype(str), strict=True))


def shown(configs) -> str:
    items = [f"{limit} MB {model}" for limit, model in sorted(configs)]
    more = f" and {len(items) - SHOWN} more" if len(items) > SHOWN else ""
    return (", ".join(items[:SHOWN]) + more) or "none"


def check(baseline: Baseline, plan: list[dict]) -> None:
    """The baseline shares at least one configuration with the campaign's planned runs
    (campaign.plan.build_runs: variant, limit_mb, bucket_model), else BaselineError naming both
    sides' configurations."""
    if baseline.mode == "variant":
        return  # every variant runs the same grid
    import pandas as pd  # here only: the workflow imports this module when it starts

    theirs, runs = read_runs(baseline), pd.DataFrame(plan)
    mine_variants = list(dict.fromkeys(runs["variant"]))
    their_variants = list(dict.fromkeys(theirs["variant"].dropna()))
    matched = pairs(baseline, mine_variants, their_variants)
    if not matched:
        raise BaselineError(
            f"{baseline.value!r} has the variants {their_variants} and this campaign "
            f"{mine_variants}: none in common to compare"
        )
    for mine, their in matched:
        if configurations(runs, mine) & configurations(theirs, their):
            return
    mine, their = matched[0]
    raise BaselineError(
        f"{baseline.value!r} shares no configuration with this campaign: it ran "
        f"{shown(configurations(theirs, their))}; this campaign runs "
        f"{shown(configurations(runs, mine))}"
    )
