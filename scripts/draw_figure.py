"""Draw one figure of the registry in scripts/figures/ from the campaign's tables.

Called by the `figure` rule (one job per figure, so a changed setting redraws only the figures
that use it); by hand, from the project folder after a campaign:

    python scripts/draw_figure.py stability results/plots/stability.png
    # -> reads results/summary/variance.csv and runs.csv, writes the PNG

Every table is read through its contract (scripts/tables.py); a figure that reads traces checks
each against the run's sample count in runs.csv.
"""

import logging
import sys

import figures
import stage
import tables

log = logging.getLogger("draw_figure")
BY_NAME = tables.BY_NAME


def load(name: str, table_paths: dict, settings: dict) -> dict:
    """The data a figure needs: its tables, and every run's trace when it reads traces."""
    spec = figures.ALL[name]
    data = {table: BY_NAME[table].read(table_paths[table]) for table in spec.tables}
    if spec.traces:
        runs = figures.trace_runs(name, data)
        data["traces"] = {
            run_dir: tables.read_trace(f"{run_dir}/trace.csv", samples)
            for run_dir, samples in zip(runs["run_dir"], runs["samples"], strict=True)
        }
    return data


def main(name: str, table_paths: dict, settings: dict, out_path) -> None:
    figures.draw(name, load(name, table_paths, settings), settings, out_path)


if "snakemake" in globals():
    stage.run(
        main,
        snakemake.wildcards.figure,
        {table: snakemake.input[table] for table in figures.ALL[snakemake.wildcards.figure].tables},
        dict(snakemake.params.settings),
        snakemake.output.png,
        log_path=snakemake.log[0],
    )
elif __name__ == "__main__":
    import yaml

    figure, out = sys.argv[1:3]
    with open("config/config.yaml") as fh:
        config = yaml.safe_load(fh)
    paths = {table: BY_NAME[table].path for table in figures.ALL[figure].tables}
    stage.run(main, figure, paths, figures.settings_of(figure, config), out)
