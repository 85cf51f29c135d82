"""Draw the figures of the registry in scripts/plots/ from the campaign's tables, in one process.

Called by the `figures` rule, whose one job decides the verdicts (scripts/verdicts/),
draws every figure the campaign has and then writes the HTML report (scripts/report/page.py) from
the same tables: seaborn, pandas and matplotlib are imported once, each table is read once. By hand,
from the project folder after a campaign:

    python scripts/figures.py results/plots stability overview
    # -> reads results/summary/variance.csv, runs.csv and verdicts.csv, writes the two PNGs

Every table is read once, through its contract (scripts/tables/); a figure that draws traces
reads them from the digest (results/summary/traces.json.gz), which has every run's peaks and
spikes. A figure that fails to draw does not stop the others: the job fails after drawing the
rest, naming each figure that failed and why (the traceback is in the log).
"""

import logging
import sys

import numpy as np
import pandas as pd

import plots
import tables
from analysis import digest
from pipeline import stage
from tables import rundir
from verdicts import decide, registry

log = logging.getLogger("figures")
BY_NAME = tables.BY_NAME


class Tables:
    """The campaign's tables and digest, each read (and checked) once, when first asked for."""

    def __init__(self, table_paths: dict):
        self.paths, self.frames, self.digest, self.bands = table_paths, {}, None, {}

    def table(self, name: str) -> pd.DataFrame:
        if name not in self.frames:
            self.frames[name] = BY_NAME[name].read(self.paths[name])
        return self.frames[name].copy()  # a figure may change its copy

    def traces(self) -> dict:
        """{run_dir: frame of time_s, vmrss_kb} of every run, from the digest."""
        if self.digest is None:
            found = digest.read_digest(self.paths["digest"], self.table("runs")["run_dir"])
            self.digest = {}
            for run_dir, run in found["runs"].items():
                t, rss = digest.decode(run)
                self.digest[run_dir] = pd.DataFrame({"time_s": t, "vmrss_kb": rss})
            self.bands = digest.phases_of(found)
        return self.digest

    def phases(self) -> dict:
        """{run_dir: [[start_s, end_s, name], ...]} of the runs with phases, from the digest."""
        self.traces()
        return self.bands


def load(name: str, read: Tables) -> dict:
    """The data a figure needs: its tables, and the traces it draws (from the digest of
    traces, or the trace.csv of the runs its module picks)."""
    spec = plots.FIGURES[name]
    data = {table: read.table(table) for table in spec.tables}
    if spec.traces == "digest":
        data["traces"] = read.traces()
        data["phases"] = read.phases()  # {} without solver.phase_pattern
    elif spec.traces == "picked":
        picked = plots.trace_runs(name, data)
        data["traces"] = {
            run_dir: rundir.read_trace(f"{run_dir}/trace.csv", samples)
            for run_dir, samples in zip(picked["run_dir"], picked["samples"], strict=True)
        }
    return data


def draw_one(name: str, data: dict, settings: dict, out_path) -> str | None:
    """Draw one figure; None, or why it failed (logged with its traceback). seaborn jitters
    repeats with numpy's global random numbers: seeded here, a figure is the same whichever
    figures were drawn before it, and in whichever process."""
    np.random.seed(0)
    try:
        plots.draw(name, data, settings, out_path)
    except Exception as err:  # noqa: BLE001  (every figure gets its chance; named after)
        log.exception("figure %s failed", name)
        return str(err).splitlines()[0] if str(err) else type(err).__name__
    return None


def draw_all(read: Tables, settings: dict, out_paths: dict, workers: int = 1) -> dict:
    """Draw each figure of out_paths ({name: PNG path}) with its settings ({name: {key: value}}),
    with more than one worker in that many processes forked after the imports (the tables read
    once, before); {name: why} of those that failed (each logged with its traceback)."""
    if workers > 1 and len(out_paths) > 1:
        return draw_forked(read, settings, out_paths, workers)
    failed = {}
    for name, out_path in out_paths.items():
        why = draw_one(name, load(name, read), settings[name], out_path)
        if why is not None:
            failed[name] = why
    return failed


_FORKED = {}  # what the forked workers draw: {name: (data, settings, out_path)}


def _draw_forked(name: str) -> str | None:
    return draw_one(name, *_FORKED[name])


def draw_forked(read: Tables, settings: dict, out_paths: dict, workers: int) -> dict:
    """draw_all in `workers` processes forked from this one: each inherits the imports and the
    tables, and draws the next figure not yet drawn (the largest first, as the registry has
    them); a worker that dies fails the figures it had not drawn."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor
    from concurrent.futures.process import BrokenProcessPool

    _FORKED.clear()
    _FORKED.update(
        {name: (load(name, read), settings[name], path) for name, path in out_paths.items()}
    )
    context = multiprocessing.get_context("fork")
    failed = {}
    with ProcessPoolExecutor(min(workers, len(out_paths)), mp_context=context) as pool:
        done = {name: pool.submit(_draw_forked, name) for name in out_paths}
        for name, future in done.items():
            try:
                why = future.result()
            except BrokenProcessPool:
                why = "its drawing process ended before it was drawn"
                log.error("figure %s: %s", name, why)
            if why is not None:
                failed[name] = why
    _FORKED.clear()
    return failed


def fail_on(failed: dict) -> None:
    if failed:
        named = "; ".join(f"{name}: {why}" for name, why in failed.items())
        raise SystemExit(f"memsweep: {len(failed)} figure(s) failed to draw ({named})")


def main(table_paths: dict, settings: dict, out_paths: dict) -> None:
    fail_on(draw_all(Tables(table_paths), settings, out_paths))


def rule_main(inputs: dict, outputs: dict, config: dict, version, threads: int = 1) -> None:
    """The `figures` rule: its inputs' tables and digest, its verdicts table, the figures the
    config draws (in as many processes as the job has threads) and the report."""
    table_paths = {name: p for name, p in inputs.items() if name in BY_NAME or name == "digest"}
    table_paths["verdicts"] = outputs["verdicts"]
    drawn = {name: outputs[name] for name in plots.drawn(config)}
    figures_and_report(table_paths, drawn, outputs["html"], dict(config), version, threads)


def figures_and_report(
    table_paths: dict, out_paths: dict, html_path, config: dict, version, workers: int = 1
):
    """The figures job: the verdicts (written to table_paths["verdicts"]), every figure the
    campaign draws (in `workers` processes), then the report from the same tables (it shows a
    figure that failed as missing); the job fails after all of them, naming the figures that
    failed."""
    import report.page  # its imports (jinja2, docutils, Plotly's script) only where it is written

    paths = table_paths
    decide.main(paths, paths["verdicts"], registry.settings_of(config))
    read = Tables(paths)
    settings = {name: plots.settings_of(name, config) for name in out_paths}
    failed = draw_all(read, settings, out_paths, workers)
    read.traces()  # the digest the report embeds, checked (once, if a figure did not already)
    data = {name: read.table(name) for name in paths if name in BY_NAME}
    report.page.write(data, out_paths, html_path, config, version, paths["digest"])
    fail_on(failed)


if "snakemake" in globals():
    stage.hand_off(snakemake, rule_main)
elif __name__ == "__main__":
    import campaign.config

    folder, *names = sys.argv[1:]
    config = campaign.config.load(campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG))
    names = names or plots.drawn(config)
    paths = {table.name: table.path for table in tables.SUMMARY_TABLES}
    paths |= {table.name: table.path for table in (*tables.SEARCH_TABLES, *tables.COMPARE_TABLES)}
    paths |= {table.name: table.path for table in tables.PHASE_TABLES}
    paths["digest"] = tables.DIGEST
    stage.run(
        main,
        paths,
        {name: plots.settings_of(name, config) for name in names},
        {name: f"{folder}/{name}.png" for name in names},
    )
