"""Draw one figure of the registry in scripts/figures/ from the campaign's tables.

Called by the `figure` rule (one job per figure, so a changed setting redraws only the figures
that use it); by hand, from the project folder after a campaign:

    python scripts/draw_figure.py stability results/plots/stability.png
    # -> reads results/summary/variance.csv and runs.csv, writes the PNG

Every table is read through its contract (scripts/tables.py); a figure that draws traces reads
them from the digest (results/summary/traces.json.gz), which has every run's peaks and spikes.
"""

import logging
import sys

import pandas as pd

import digest
import figures
import rundir
import stage
import tables

log = logging.getLogger("draw_figure")
BY_NAME = tables.BY_NAME


def load(name: str, table_paths: dict, settings: dict) -> dict:
    """The data a figure needs: its tables, and the traces it draws (from the digest of
    traces, or the trace.csv of the runs its module picks)."""
    spec = figures.FIGURES[name]
    data = {table: BY_NAME[table].read(table_paths[table]) for table in spec.tables}
    if spec.traces == "digest":
        found = digest.read_digest(table_paths["digest"], data["runs"]["run_dir"])
        data["traces"] = {}
        for run_dir, run in found["runs"].items():
            t, rss = digest.decode(run)
            data["traces"][run_dir] = pd.DataFrame({"time_s": t, "vmrss_kb": rss})
        data["phases"] = digest.phases_of(found)  # {} without solver.phase_pattern
    elif spec.traces == "picked":
        picked = figures.trace_runs(name, data)
        data["traces"] = {
            run_dir: rundir.read_trace(f"{run_dir}/trace.csv", samples)
            for run_dir, samples in zip(picked["run_dir"], picked["samples"], strict=True)
        }
    return data


def main(name: str, table_paths: dict, settings: dict, out_path) -> None:
    figures.draw(name, load(name, table_paths, settings), settings, out_path)


if "snakemake" in globals():
    stage.run(
        main,
        snakemake.wildcards.figure,
        {name: path for name, path in snakemake.input.items() if name not in ("code", "caption")},
        dict(snakemake.params.settings),
        snakemake.output.png,
        log_path=snakemake.log[0],
    )
elif __name__ == "__main__":
    import campaign

    figure, out = sys.argv[1:3]
    config = campaign.load(campaign.read_config_file(campaign.DEFAULT_CONFIG))
    paths = {table: BY_NAME[table].path for table in figures.FIGURES[figure].tables}
    paths["digest"] = tables.DIGEST
    stage.run(main, figure, paths, figures.settings_of(figure, config), out)
