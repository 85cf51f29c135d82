"""Render the comparison for people and machines: results/compare.md (ready to paste into a pull
request), results/compare.json (everything, machine-readable) and results/compare_benchmark.json
(the candidate's mean peak per configuration as a "smaller is better" series, the format of
github-action-benchmark's `customSmallerIsBetter` tool). A renderer only: compare.csv decided;
comparison/documents.py says it in words.

Called by the `compare_summary` rule; by hand, from the project folder after a campaign:

    python scripts/compare_summary.py
    # -> results/compare.md, starting "### memsweep: compared with base: 1 regression ..."
"""

import json
import logging

import tables
from comparison.documents import markdown, records, summary
from pipeline import stage
from sampling.files import write_atomically

log = logging.getLogger("compare_summary")


def main(compare, runs, env, outputs: dict, settings: dict, phases=()) -> None:
    """compare, runs, env: the paths of compare.csv, compare_runs.csv and compare_env.csv;
    outputs: the paths of md, json and benchmark; phases: compare_phases.csv with
    solver.phase_pattern set, else nothing."""
    by_phase = tables.COMPARE_PHASES.read(phases[0]) if phases else None
    out = outputs
    compare = tables.COMPARE.read(compare)
    runs = tables.COMPARE_RUNS.read(runs)
    env = tables.COMPARE_ENV.read(env)
    document = summary(compare, runs, env, settings)
    if by_phase is not None:
        document["phases"] = records(by_phase)
    write_atomically(out["md"], markdown(compare, env, settings, by_phase))
    write_atomically(out["json"], json.dumps(document, indent=2, ensure_ascii=False) + "\n")
    series = json.dumps(document["benchmark"], indent=2, ensure_ascii=False)
    write_atomically(out["benchmark"], series + "\n")
    log.info("%s -> %s, %s, %s", document["counts"], out["md"], out["json"], out["benchmark"])


if "snakemake" in globals():
    stage.hand_off(snakemake, main)
elif __name__ == "__main__":
    import campaign.config

    cfg = campaign.config.load(campaign.config.read_config_file(campaign.config.DEFAULT_CONFIG))
    outputs = {name: f"results/{stem}" for name, stem in
               (("md", "compare.md"), ("json", "compare.json"),
                ("benchmark", "compare_benchmark.json"))}  # fmt: skip
    stage.run(main, tables.COMPARE.path, tables.COMPARE_RUNS.path, tables.COMPARE_ENV.path,
              outputs, cfg["compare"])  # fmt: skip
