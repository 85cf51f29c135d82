"""Everything the rules share: config validation, the run grid, path helpers, input functions."""

import math
import re
import shlex
import shutil
import string
import sys
import tomllib
from pathlib import Path

import pandas as pd
import yaml
from jsonschema.exceptions import ValidationError
from snakemake.exceptions import WorkflowError
from snakemake.utils import validate

SCRIPTS = Path(workflow.basedir) / "scripts"
SCHEMA = Path(workflow.basedir) / "workflow/schemas/config.schema.yaml"
sys.path.insert(0, str(SCRIPTS))
from sampler import enforcement_problem  # noqa: E402  (needs the path above)

COMMAND_FIELDS = {"memory_mb", "bucket_model"}
SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".pl", ".rb", ".R", ".jl", ".lua", ".js")
MODEL_SEP = "/"
RUN_DIR = "results/runs/{limit}MB/{model}/rep{repeat}"


class ConfigError(WorkflowError):
    """A config value that memsweep cannot use; raised before any job runs."""


# --- config validation -------------------------------------------------------------------------


def _key_path(parts):
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def coerce_cli_strings(value, schema):
    """Numbers and booleans given inside --config values arrive as strings: convert them where
    the schema asks for a number, so --config grid='{memory_limits_mb: [500]}' works."""
    if isinstance(value, dict):
        props, extra = schema.get("properties", {}), schema.get("additionalProperties")
        extra = extra if isinstance(extra, dict) else {}
        return {k: coerce_cli_strings(v, props.get(k, extra)) for k, v in value.items()}
    if isinstance(value, list):
        return [coerce_cli_strings(v, schema.get("items", {})) for v in value]
    types = schema.get("type", [])
    types = [types] if isinstance(types, str) else types
    if isinstance(value, str) and "string" not in types:
        for kind, convert in (("integer", int), ("number", float)):
            if kind in types:
                try:
                    return convert(value)
                except ValueError:
                    pass
        if "boolean" in types and value.lower() in ("true", "false"):
            return value.lower() == "true"
    return value


def validate_config(cfg):
    """Fill defaults from the schema, then check what a schema cannot express."""
    with open(SCHEMA) as fh:
        cfg.update(coerce_cli_strings(cfg, yaml.safe_load(fh)))
    try:
        validate(cfg, SCHEMA)
    except WorkflowError as err:
        cause = err.__cause__ or err.__context__
        if not isinstance(cause, ValidationError):
            raise
        where = _key_path(cause.absolute_path)
        if cause.validator == "additionalProperties":
            known = sorted(cause.schema.get("properties", {}))
            unknown = sorted(set(cause.instance) - set(known))
            raise ConfigError(
                f"config error at {where}: unknown key(s) {unknown}; accepted keys: {known}"
            ) from None
        raise ConfigError(
            f"config error at {where}: {cause.instance!r} is not accepted: {cause.message}"
        ) from None
    _check_patterns(cfg)
    _check_command(cfg["solver"]["command"])
    problem = enforcement_problem(cfg["limits"]["enforce"])
    if problem:
        raise ConfigError(f"config error at limits.enforce: {problem}")


def _check_pattern(key, pattern):
    try:
        groups = re.compile(pattern).groups
    except re.error as err:
        raise ConfigError(f"config error at {key}: {pattern!r} is not a regex ({err})") from None
    if groups != 1:
        raise ConfigError(
            f"config error at {key}: {pattern!r} has {groups} groups; it needs exactly one, "
            "around the reported configuration, e.g. 'Bucket sizes: (\\S+)'"
        )


def _check_patterns(cfg):
    _check_pattern("solver.report_pattern", cfg["solver"]["report_pattern"])
    for i, check in enumerate(cfg["thresholds"]):
        _check_pattern(f"thresholds[{i}].pattern", check["pattern"])


def _check_command(command):
    try:
        argv = shlex.split(command)
    except ValueError as err:
        raise ConfigError(f"config error at solver.command: {command!r}: {err}") from None
    if not argv:
        raise ConfigError("config error at solver.command: the command is empty")
    fields = {name for _, name, _, _ in string.Formatter().parse(command) if name is not None}
    unknown = fields - COMMAND_FIELDS
    if unknown:
        raise ConfigError(
            f"config error at solver.command: unknown placeholder(s) {sorted(unknown)} in "
            f"{command!r}; accepted: {{memory_mb}}, {{bucket_model}}"
        )
    program = argv[0]
    if "/" in program:
        if not Path(program).is_file():
            raise ConfigError(
                f"config error at solver.command: program {program!r} does not exist "
                f"(relative paths are taken from {Path.cwd()})"
            )
    elif shutil.which(program) is None:
        raise ConfigError(
            f"config error at solver.command: program {program!r} is not found on PATH"
        )
    if len(argv) > 1 and "/" not in program and argv[1].endswith(SCRIPT_SUFFIXES):
        if "{" not in argv[1] and not Path(argv[1]).is_file():
            raise ConfigError(
                f"config error at solver.command: script {argv[1]!r} (run by {program}) does "
                f"not exist (relative paths are taken from {Path.cwd()})"
            )


validate_config(config)


# --- the grid ----------------------------------------------------------------------------------


def model_slug(model):
    """Path-safe name of a bucket model: '4M/8M/4M' -> '4M-8M-4M', 'auto' -> 'auto'."""
    return model.replace(MODEL_SEP, "-")


def model_from_slug(slug):
    return slug.replace("-", MODEL_SEP)


def build_runs(cfg):
    """One row per run: the grid's runs, then each threshold's three runs (deduplicated)."""
    grid = cfg["grid"]
    rows = [
        (limit, model, rep, True, False)
        for limit in grid["memory_limits_mb"]
        for model in grid["bucket_models"]
        for rep in range(1, grid["repeats"] + 1)
    ]
    for check in cfg["thresholds"]:
        for limit in (check["memory_mb"] - 1, check["memory_mb"], check["memory_mb"] + 1):
            rows.append((limit, check["bucket_model"], 1, False, True))
    runs = pd.DataFrame(
        rows, columns=["limit_mb", "bucket_model", "repeat", "in_grid", "threshold_check"]
    )
    runs = runs.groupby(["limit_mb", "bucket_model", "repeat"], as_index=False, sort=False).agg(
        {"in_grid": "any", "threshold_check": "any"}
    )
    runs["run_dir"] = [
        RUN_DIR.format(limit=r.limit_mb, model=model_slug(r.bucket_model), repeat=r.repeat)
        for r in runs.itertuples()
    ]
    return runs


RUNS = build_runs(config)


# On a cluster only the measured runs are worth a job of their own; the analysis takes seconds
# and runs where Snakemake runs, without a scheduler round trip per step.
localrules:
    spikes,
    summary,
    variance,
    thresholds,
    plots,
    report_html,


wildcard_constraints:
    limit=r"[0-9]+",
    model=r"auto|[0-9]+[KMG]?-[0-9]+[KMG]?-[0-9]+[KMG]?",
    repeat=r"[0-9]+",


def run_files(name, runs=RUNS):
    return [f"{d}/{name}" for d in runs["run_dir"]]


def run_keys(flag):
    rows = RUNS[RUNS[flag]]
    return [[int(r.limit_mb), r.bucket_model, int(r.repeat)] for r in rows.itertuples()]


def get_threshold_logs(wildcards):
    return run_files("solver.log", RUNS[RUNS["threshold_check"]])


def memsweep_version():
    with open(Path(workflow.basedir) / "pyproject.toml", "rb") as fh:
        return tomllib.load(fh)["project"]["version"]


# --- the monitor rule --------------------------------------------------------------------------


def solver_argv(wildcards):
    model = model_from_slug(wildcards.model)
    command = config["solver"]["command"].format(memory_mb=wildcards.limit, bucket_model=model)
    return shlex.split(command)


def get_program_files(wildcards):
    """The solver's own files (the program, or the script an interpreter runs): a change reruns."""
    argv = shlex.split(config["solver"]["command"])
    files = [argv[0]] if "/" in argv[0] else []
    if len(argv) > 1 and not files and Path(argv[1]).is_file():
        files.append(argv[1])
    return files


def get_bucket_model(wildcards):
    return model_from_slug(wildcards.model)


def get_run_env(wildcards):
    model = model_from_slug(wildcards.model)
    env = {key: str(value) for key, value in config["solver"]["env"].items()}
    env.update(
        MEMORY_LIMIT_MB=wildcards.limit,
        BUCKET_MODEL=model,
        ENABLE_CUSTOM_BUCKETS="0" if model == "auto" else "1",
    )
    return env


def get_monitor_mem_mb(wildcards):
    return int(wildcards.limit) + config["solver"]["mem_headroom_mb"]


def get_monitor_runtime(wildcards):
    """Minutes for a cluster scheduler: the timeout plus five minutes for start and teardown."""
    return math.ceil(config["solver"]["timeout_s"] / 60) + 5


# --- outputs -----------------------------------------------------------------------------------

SUMMARY = {
    "runs": "results/summary/runs.csv",
    "spikes": "results/summary/spikes.csv",
    "variance": "results/summary/variance.csv",
    "thresholds": "results/summary/thresholds.csv",
}
PLOTS = {
    name: f"results/plots/{name}.png"
    for name in ("traces", "peak_vs_limit", "stability", "spikes", "thresholds")
}


def get_final_outputs():
    return [*SUMMARY.values(), *PLOTS.values(), "results/report.html"]


def threshold_failures(path):
    """Lines naming each FAIL in thresholds.csv, for the workflow's last message."""
    if not Path(path).exists():
        return []
    table = pd.read_csv(path, dtype=str, keep_default_na=False)
    failed = table[table["verdict"] != "PASS"]
    return [
        f"  {r.threshold_mb} MB check, {r.position} ({r.limit_mb} MB, {r.bucket_model}): "
        f"reported {r.reported_config or 'nothing'!r}, expected {r.expected!r}"
        for r in failed.itertuples()
    ]
