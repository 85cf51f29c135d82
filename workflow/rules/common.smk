"""Everything the rules share: the checked config, the table of runs, wildcard constraints, and
the input and params functions. The logic lives in importable modules under scripts/."""

import math
import os
import re
import sys
import tomllib
from pathlib import Path

from snakemake.exceptions import WorkflowError
from snakemake.sourcecache import LocalSourceFile

# memsweep's own folder (this file is workflow/rules/common.smk in it). The workflow's files (its
# scripts, schema, report templates and captions, the demo solver) are found from here, whatever
# the working folder and also when memsweep is a module of the user's workflow; the user's files
# (the program, config overlays, compare.baseline, results/, logs/) from the working folder.
if not isinstance(workflow.current_basedir, LocalSourceFile):
    raise WorkflowError(
        f"memsweep runs from a copy on disk, not from {workflow.current_basedir}: clone it "
        "(git clone --branch <tag> <memsweep's repository> memsweep) and name its Snakefile by "
        "path in your module (snakefile: 'memsweep/Snakefile')"
    )
MEMSWEEP = Path(str(workflow.current_basedir)).parents[1]
SCRIPTS = MEMSWEEP / "scripts"
sys.path.insert(0, str(SCRIPTS))
import campaign.config  # noqa: E402  (the modules below live in scripts/)
import campaign.plan  # noqa: E402
import campaign.spec  # noqa: E402
import plots  # noqa: E402
import search_step  # noqa: E402
import tables  # noqa: E402
from comparison import baselines  # noqa: E402
from pipeline import codedeps, redo  # noqa: E402
from report import highlights  # noqa: E402
from sampling import phases as sampler_phases  # noqa: E402
from sampling import tether  # noqa: E402
import verdicts.registry  # noqa: E402

# This campaign's command line, for the redo advice of every job's error messages, and this
# Snakemake's pid, which a run watches so that none outlives the campaign (scripts/sampling/tether.py):
# both in the environment the jobs inherit, so neither reruns a job when it changes.
os.environ[redo.CAMPAIGN_ENV] = redo.command_line(sys.argv[1:])
os.environ[tether.CAMPAIGN_PID_ENV] = str(os.getpid())

try:
    checked = campaign.config.load(config)
except campaign.config.ConfigError as err:
    raise WorkflowError(str(err)) from None
config.clear()
config.update(checked)
for warning in campaign.config.warnings(config):
    print(warning, file=sys.stderr)

# Measured runs never overlap in time: each takes one measurement slot (monitor.smk), and there is
# one unless the command line says how many (--resources measurement_slots=N). Set here, not in a
# profile, so that it holds however memsweep is run (-s, -d, as a module, any profile).
if "measurement_slots" not in workflow.global_resources:
    workflow.register_resource("measurement_slots", 1)

VARIANTS = campaign.plan.variants(config)
RUNS = campaign.plan.build_runs(config)
RUN_DIR = campaign.spec.RUN_DIR
SEARCHES = {search["name"]: search for search in config["search"]}
SEARCH_TABLES = {table.name: table.path for table in tables.SEARCH_TABLES}
SUMMARY = {table.name: table.path for table in tables.SUMMARY_TABLES}
SUMMARY |= SEARCH_TABLES if SEARCHES else {}
# solver.phase_pattern: every run's phases.csv, and the phases stage's tables (else none)
PHASE_PATTERN = config["solver"]["phase_pattern"]
SUMMARY |= {table.name: table.path for table in tables.PHASE_TABLES} if PHASE_PATTERN else {}
RUN_PHASES = {"phases": f"{RUN_DIR}/{sampler_phases.FILE}"} if PHASE_PATTERN else {}
# The baseline of a comparison (compare.baseline, checked above), or None: no comparison.
BASELINE = (
    baselines.resolve(config["compare"]["baseline"], list(VARIANTS))
    if config["compare"]["baseline"] is not None
    else None
)
COMPARED = {table.name: table.path for table in tables.COMPARE_TABLES}
COMPARED_PHASES = {tables.COMPARE_PHASES.name: tables.COMPARE_PHASES.path} if PHASE_PATTERN else {}
COMPARED |= COMPARED_PHASES
REPORT = "results/report.html"
COMPARE_FILES = {
    "md": "results/compare.md",
    "json": "results/compare.json",
    "benchmark": "results/compare_benchmark.json",
}
PLOTS = {name: plots.PATH.format(name=name) for name in plots.drawn(config)}


def workflow_path(path):
    """How rules name a file: relative to the working folder when it lies inside it
    (memsweep's own checkout, or a clone in the user's project: the folder can move without
    rerunning anything), else as given. Snakemake reruns a job whose input paths changed."""
    if not Path(path).is_absolute() or not Path(path).is_relative_to(Path.cwd()):
        return str(path)
    return str(Path(path).relative_to(Path.cwd()))


def code_of(script):
    """A rule's code inputs: `script` (a file in scripts/) and every memsweep module it imports,
    directly or not, so that editing or upgrading any of them reruns the rule's jobs."""
    return [workflow_path(path) for path in codedeps.closure(SCRIPTS / script)]


# the run wrapper the monitor rule's shell command starts (its code is the launch rule's input)
RUN_WRAPPER = workflow_path(SCRIPTS / "monitor.py")


wildcard_constraints:
    variant="|".join(re.escape(name) for name in VARIANTS),
    limit=r"[0-9]+",
    model=campaign.spec.SLUG_RE,
    repeat=r"[0-9]+",
    search="|".join(re.escape(name) for name in SEARCHES) or "(?!)",
    step=r"[0-9]+",


# On a cluster only the measured runs are worth a job of their own; the analysis takes seconds
# and runs where Snakemake runs, without a scheduler round trip per step.
localrules:
    launch,
    summary,
    figures,
    search_step,
    search,
    compare,
    compare_summary,


def run_files(name, runs=RUNS):
    return [f"{run['run_dir']}/{name}" for run in runs]


def memsweep_version():
    with open(MEMSWEEP / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


# --- the monitor rule --------------------------------------------------------------------------


def get_program_files(wildcards):
    """The program's own files: editing them reruns the variant's runs."""
    return [
        workflow_path(p)
        for p in campaign.plan.program_files(VARIANTS[wildcards.variant]["command"])
    ]


def get_launch_spec(wildcards):
    """Everything about how the variant's runs are launched (see scripts/campaign/spec.py)."""
    return {
        "variant": wildcards.variant,
        **VARIANTS[wildcards.variant],
        "interval_ms": config["sampler"]["interval_ms"],
        "smaps_interval_ms": config["sampler"]["smaps_interval_ms"],
        "timeout_s": config["solver"]["timeout_s"],
        "enforce": config["limits"]["enforce"],
        "phase_pattern": PHASE_PATTERN,
        "log_max_mb": config["solver"]["log_max_mb"],
    }


def get_monitor_mem_mb(wildcards):
    return int(wildcards.limit) + config["solver"]["mem_headroom_mb"]


# Minutes a run may take on a cluster: the timeout plus five minutes for start and teardown.
MONITOR_RUNTIME = math.ceil(config["solver"]["timeout_s"] / 60) + 5


# --- the analysis ------------------------------------------------------------------------------


def run_membership():
    """Each run's plan row as a list (campaign.plan.PLAN_COLUMNS: its key, in_grid,
    threshold_check), for the runs table."""
    return [[run[name] for name in campaign.plan.PLAN_COLUMNS] for run in RUNS]


def get_run_phases():
    """Every run's phases.csv, with solver.phase_pattern set (else nothing)."""
    return run_files(sampler_phases.FILE) if PHASE_PATTERN else []


def get_phase_runs():
    """phase_runs.csv, with solver.phase_pattern set (else nothing)."""
    return [SUMMARY["phase_runs"]] if PHASE_PATTERN else []


def phase_outputs():
    """With solver.phase_pattern, the summary job's phase tables (scripts/analysis/phases.py)."""
    if not PHASE_PATTERN:
        return {}
    return {
        name: report(
            path, caption=f"../report/{name}.rst", category="Tables", labels={"table": name}
        )
        for name, path in ((t.name, t.path) for t in tables.PHASE_TABLES)
    }


def get_threshold_logs(wildcards):
    return run_files("solver.log", [run for run in RUNS if run["threshold_check"]])


def get_threshold_seeds(wildcards):
    """The search tables, when a switch search seeds threshold checks."""
    return list(SEARCH_TABLES.values()) if SEEDS else []


def get_figures_inputs(wildcards):
    """What the verdicts, figures and report read: every table the campaign has, the digest,
    the figures' modules and captions, the report's templates."""
    inputs = {name: path for name, path in SUMMARY.items() if name != "verdicts"}  # its output
    inputs |= COMPARED if BASELINE else {}
    inputs["digest"] = tables.DIGEST
    names = list(PLOTS)
    inputs["code"] = code_of("figures.py")
    inputs["templates"] = [
        workflow_path(MEMSWEEP / "workflow/report" / name)
        for name in ("report.css", "report.html.j2", "explorer.js")
    ]
    inputs["captions"] = [workflow_path(MEMSWEEP / plots.CAPTION.format(name=n)) for n in names]
    if any(plots.FIGURES[name].traces == "picked" for name in names):
        inputs["traces"] = run_files("trace.csv") + baseline_traces()
    return inputs


def figure_outputs():
    """Each figure's PNG, shown by `snakemake --report` with its own caption."""
    return {
        name: report(
            path,
            caption=f"../report/figures/{name}.rst",
            category="Figures",
            labels={"figure": name},
        )
        for name, path in PLOTS.items()
    }


def get_final_outputs():
    """Every table, figure and the report, and every run's run.json: a run whose files are gone
    (a job that failed or was interrupted, a folder deleted) is redone by the next run of the
    workflow, even when the tables made before are still there."""
    compared = [*COMPARED.values(), *COMPARE_FILES.values()] if BASELINE else []
    summaries = [*SUMMARY.values(), *compared, *PLOTS.values(), REPORT]
    return [*summaries, *run_files("run.json")]


# --- searches: a bisection per search and variant, one checkpoint job per step -----------------

# switch searches whose switches are checked like documented thresholds: {name: pattern}
SEEDS = {
    name: spec["pattern"]
    for name, spec in SEARCHES.items()
    if spec["kind"] == "switch" and spec["seed_thresholds"]
}


def get_search_spec(wildcards):
    return SEARCHES[wildcards.search]


def get_search_known(wildcards):
    """[limit, repeat] of the campaign's own runs a search can use as probes: its variant and
    model, limits from low_mb to high_mb + 1. Only these: a grid change elsewhere reruns no step."""
    spec = SEARCHES[wildcards.search]
    return sorted(
        [int(run["limit_mb"]), int(run["repeat"])]
        for run in RUNS
        if run["variant"] == wildcards.variant
        and run["bucket_model"] == spec["bucket_model"]
        and spec["low_mb"] <= run["limit_mb"] <= spec["high_mb"] + 1
    )


def search_state(variant, name, step):
    """(path, content) of a search's step file. Asking for a step not made yet stops this input
    function; Snakemake runs that step, then asks again (the DAG grows by its probes)."""
    path = checkpoints.search_step.get(variant=variant, search=name, step=step).output.state_json
    return path, search_step.read_state(path)


def probe_files(state):
    dirs = [probe["run_dir"] for probe in state["probes"]]
    return {"runs": [f"{d}/run.json" for d in dirs], "logs": [f"{d}/solver.log" for d in dirs]}


def get_search_step_inputs(wildcards):
    """Step 0 reads nothing; step n reads step n-1 and every run asked for up to it."""
    step = int(wildcards.step)
    if step == 0:
        return {"code": code_of("search_step.py")}
    path, state = search_state(wildcards.variant, wildcards.search, step - 1)
    return {"code": code_of("search_step.py"), "previous": path, **probe_files(state)}


def get_search_inputs(wildcards):
    """The last step of every search and variant (the one that asks for no more runs)."""
    inputs = {"code": code_of("search.py"), "steps": []}
    inputs |= {"runs": [], "logs": []}
    for variant in VARIANTS:
        for name in SEARCHES:
            step = 0
            path, state = search_state(variant, name, step)
            while not state["done"]:
                step += 1
                path, state = search_state(variant, name, step)
            inputs["steps"].append(path)
            for key, files in probe_files(state).items():
                inputs[key] += files
    return inputs


# --- the comparison (compare.baseline) --------------------------------------------------------


def get_compare_inputs(wildcards):
    """This campaign's tables, and in folder mode the baseline campaign's."""
    inputs = {"code": code_of("compare.py")}
    inputs |= {"runs": SUMMARY["runs"], "thresholds": SUMMARY["thresholds"]}
    if BASELINE.mode == "folder":
        inputs["baseline_tables"] = [
            BASELINE.table_path(t) for t in (tables.RUNS, tables.THRESHOLDS)
        ]
    inputs["phases"] = get_phase_runs()
    if PHASE_PATTERN and BASELINE.mode == "folder":  # a baseline without phases has none
        theirs = BASELINE.table_path(tables.PHASE_RUNS)
        inputs["baseline_phases"] = [theirs] if Path(theirs).is_file() else []
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


def get_compare_phases():
    """compare_phases.csv, with solver.phase_pattern set (else nothing)."""
    return [COMPARED["compare_phases"]] if PHASE_PATTERN else []


# --- the end of the campaign ------------------------------------------------------------------


def closing_message():
    """The campaign's last message (runs by status, worst verdicts, the report's path), printed
    when the workflow succeeds; a user Snakefile that has memsweep as a module calls it from its
    own onsuccess (Snakemake runs only the main Snakefile's)."""
    if Path(SUMMARY["verdicts"]).exists():
        statuses = [run["status"] for run in tables.RUNS.rows(SUMMARY["runs"], ["status"])]
        found = tables.VERDICTS.rows(SUMMARY["verdicts"], ["level", "kind", "subject", "message"])
        print(
            highlights.closing_summary(found, statuses, Path(REPORT).resolve()),
            file=sys.stderr,
        )
