"""The summary tables of a campaign in one process: spikes, runs, variance, thresholds, with
solver.phase_pattern the phases, and the digest of traces, each by its own stage module, in that
order (each reads what the one before wrote).

Called by the `summary` rule, one job for the five: a job costs an interpreter and pandas (about
half a second here), more than any of these stages computes for a default campaign. The price:
a changed spike, variance, threshold or report-pattern setting recomputes all five (a second or
two), never a run. By hand, from the project folder after a campaign (the paths and settings as
the rule passes them):

    import summary
    summary.main(inputs, outputs, params)
    # -> results/summary/spikes.csv, runs.csv, variance.csv, thresholds.csv, traces.json.gz
"""

from analysis import digest, phases, runs, spikes, thresholds, variance
from pipeline import stage


def main(inputs: dict, outputs: dict, params: dict) -> None:
    """inputs: "traces" (every run's trace.csv), "runs" (every run.json), "seeds" (the search
    tables, when a switch search seeds threshold checks), "phases" (every run's phases.csv, with
    solver.phase_pattern); outputs: a path per table and "digest"; params: the settings of each
    stage, named as the rule names them."""
    with_phases = bool(inputs.get("phases"))
    traces = spikes.main(inputs["traces"], outputs["spikes"], dict(params["spikes"]), with_phases)
    runs.main(
        inputs["runs"], outputs["spikes"], outputs["runs"], params["membership"],
        params["report_pattern"],
    )  # fmt: skip
    variance.main(
        outputs["runs"], outputs["variance"], params["mad_threshold"],
        params["outlier_min_percent"],
    )  # fmt: skip
    thresholds.main(
        outputs["runs"], outputs["thresholds"], params["thresholds"], params["variants"],
        list(inputs["seeds"]), dict(params["seeds"]),
    )  # fmt: skip
    if with_phases:
        phases.main(outputs["runs"], outputs, params["phase_pattern"])
    digest.main(
        outputs["runs"], outputs["variance"], outputs["spikes"], outputs["digest"],
        outputs["phase_runs"] if with_phases else None, read=traces,
    )  # fmt: skip


if "snakemake" in globals():
    stage.hand_off(snakemake, main)
