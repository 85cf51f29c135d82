"""Everything the rules share: the checked config, the table of runs, wildcard constraints, and
the input and params functions. The logic lives in importable modules under scripts/."""

import json
import math
import re
import shlex
import sys
import tomllib
from pathlib import Path

from snakemake.exceptions import WorkflowError

sys.path.insert(0, str(Path(workflow.basedir) / "scripts"))
import baselines  # noqa: E402  (the modules below live in scripts/)
import campaign  # noqa: E402
import figures  # noqa: E402
import launch  # noqa: E402
import tables  # noqa: E402
import verdicts  # noqa: E402

try:
    checked = campaign.load(config)
except campaign.ConfigError as err:
    raise WorkflowError(str(err)) from None
config.clear()
config.update(checked)

VARIANTS = campaign.variants(config)
RUNS = campaign.build_runs(config)
RUN_DIR = launch.RUN_DIR
SUMMARY = {table.name: table.path for table in tables.SUMMARY_TABLES}
# The baseline of a comparison (compare.baseline, checked above), or None: no comparison.
BASELINE = (
    baselines.resolve(config["compare"]["baseline"], list(VARIANTS))
    if config["compare"]["baseline"] is not None
    else None
)
COMPARED = {table.name: table.path for table in tables.COMPARE_TABLES}
COMPARE_FILES = {
    "md": "results/compare.md",
    "json": "results/compare.json",
    "benchmark": "results/compare_benchmark.json",
}
DRAWN = {**figures.FIGURES, **(figures.COMPARE_FIGURES if BASELINE else {})}
PLOTS = {name: figures.PATH.format(name=name) for name in DRAWN}
# Modules the scripts import: inputs of the rules, so that editing one reruns what uses it.
SAMPLER_CODE = [f"scripts/{name}.py" for name in ("run_monitored", "sampler", "cgroups", "launch")]
STAGE_CODE = ["scripts/tables.py", "scripts/stage.py"]
FIGURE_CODE = [*STAGE_CODE, "scripts/figures/__init__.py", "scripts/figures/style.py"]


wildcard_constraints:
    variant="|".join(re.escape(name) for name in VARIANTS),
    limit=r"[0-9]+",
    model=launch.SLUG_RE,
    repeat=r"[0-9]+",
    figure="|".join(figures.ALL),


# On a cluster only the measured runs are worth a job of their own; the analysis takes seconds
# and runs where Snakemake runs, without a scheduler round trip per step.
localrules:
    spikes,
    runs,
    variance,
    thresholds,
    verdicts,
    figure,
    report_html,
    compare,
    compare_summary,


def run_files(name, runs=RUNS):
    return [f"{d}/{name}" for d in runs["run_dir"]]


def memsweep_version():
    with open(Path(workflow.basedir) / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


# --- the monitor rule --------------------------------------------------------------------------


def get_program_files(wildcards):
    """The program's own files: editing them reruns its runs."""
    return campaign.program_files(VARIANTS[wildcards.variant]["command"])


def get_bucket_model(wildcards):
    return launch.model_from_slug(wildcards.model)


def get_argv(wildcards):
    command = VARIANTS[wildcards.variant]["command"]
    return launch.solver_argv(command, wildcards.limit, launch.model_from_slug(wildcards.model))


def get_env_options(wildcards):
    """--env KEY=VALUE options (shell-quoted) with the variant's environment."""
    env = VARIANTS[wildcards.variant]["env"]
    return " ".join(f"--env {shlex.quote(f'{key}={value}')}" for key, value in env.items())


def get_monitor_mem_mb(wildcards):
    return int(wildcards.limit) + config["solver"]["mem_headroom_mb"]


def get_monitor_runtime(wildcards):
    """Minutes for a cluster scheduler: the timeout plus five minutes for start and teardown."""
    return math.ceil(config["solver"]["timeout_s"] / 60) + 5


# --- the analysis ------------------------------------------------------------------------------


def run_membership():
    """[variant, limit, model, repeat, in_grid, threshold_check] per run, for the runs table."""
    columns = [*tables.KEY, "in_grid", "threshold_check"]
    return json.loads(RUNS[columns].to_json(orient="values"))


def get_threshold_logs(wildcards):
    return run_files("solver.log", RUNS[RUNS["threshold_check"]])


def get_figure_inputs(wildcards):
    spec = figures.ALL[wildcards.figure]
    inputs = {table: {**SUMMARY, **COMPARED}[table] for table in spec.tables}
    inputs["code"] = [*FIGURE_CODE, f"scripts/figures/{spec.name}.py"]
    inputs["caption"] = figures.CAPTION.format(name=spec.name)
    if spec.traces:
        inputs["traces"] = run_files("trace.csv")
    if spec.traces and spec.name in figures.COMPARE_FIGURES:
        inputs["traces"] += baseline_traces()
    return inputs


def get_figure_settings(wildcards):
    return figures.settings_of(wildcards.figure, config)


def get_figure_caption(wildcards):
    return figures.caption_rst(wildcards.figure, config)


def get_report_inputs(wildcards):
    inputs = {table.name: table.path for table in tables.SUMMARY_TABLES}
    inputs |= COMPARED if BASELINE else {}
    inputs |= {f"fig_{name}": path for name, path in PLOTS.items()}
    inputs["code"] = [*STAGE_CODE, "scripts/verdicts.py", "scripts/figures/__init__.py"]
    inputs["code"] += ["scripts/compare_stats.py", "scripts/compare_summary.py"]
    inputs["templates"] = ["workflow/report/report.css", "workflow/report/report.html.j2"]
    inputs["captions"] = [figures.CAPTION.format(name=name) for name in DRAWN]
    return inputs


def get_final_outputs():
    compared = [*COMPARED.values(), *COMPARE_FILES.values()] if BASELINE else []
    return [*SUMMARY.values(), *compared, *PLOTS.values(), "results/report.html"]


# --- the comparison (compare.baseline) --------------------------------------------------------


def get_compare_inputs(wildcards):
    """This campaign's tables, and in folder mode the baseline campaign's."""
    inputs = {"code": [*STAGE_CODE, "scripts/compare_stats.py", "scripts/baselines.py"]}
    inputs |= {"runs": SUMMARY["runs"], "thresholds": SUMMARY["thresholds"]}
    if BASELINE.mode == "folder":
        inputs["baseline"] = [BASELINE.table_path(t) for t in (tables.RUNS, tables.THRESHOLDS)]
    return inputs


def get_compare_settings():
    """What decides a verdict (the baseline itself is a param of its own)."""
    return {key: value for key, value in config["compare"].items() if key != "baseline"}


def baseline_traces():
    """The baseline campaign's trace files that were kept (folder mode), for the figures."""
    if BASELINE is None or BASELINE.mode != "folder":
        return []
    runs = baselines.read_runs(BASELINE)
    dirs = [
        BASELINE.run_dir(r.variant, int(r.limit_mb), r.bucket_model, int(r.repeat))
        for r in runs.itertuples()
    ]
    return [f"{d}/trace.csv" for d in dirs if Path(d, "trace.csv").is_file()]


def get_verdict_compare_inputs():
    """compare.csv and compare_env.csv when a comparison is configured, else nothing."""
    return [COMPARED["compare"], COMPARED["compare_env"]] if BASELINE else []
