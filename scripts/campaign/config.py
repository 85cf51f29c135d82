"""The campaign a config describes: the config checked, its defaults filled in, and its runs.

Plain Python: workflow/rules/common.smk calls `load`, then campaign.plan's `build_runs`; tests
call them on dicts.
Every default comes from workflow/schemas/config.schema.yaml; everything a schema cannot say (the
bucket-model grammar, the solver command, the regex groups, the enforce mode on this machine) is
checked here. A bad value raises ConfigError naming the key, the value and what is accepted. A
value that is possible but likely a mistake (a limit above this machine's memory) is a warning
(`warnings`), printed before any run.

    >>> cfg = load({"grid": {"memory_limits_mb": [300.0], "repeats": 2}}, cwd=ROOT)
    >>> from campaign.plan import build_runs
    >>> [(r["variant"], r["limit_mb"], r["bucket_model"], r["repeat"]) for r in build_runs(cfg)][:2]
    [('default', 300, '4M/8M/4M', 1), ('default', 300, '8M/8M/8M', 1)]

From the command line it checks config files as the workflow will read them (config/config.yaml,
then each overlay merged over it), and names the file and line of a YAML syntax error, which
Snakemake itself does not:

    $ python scripts/check_config.py my-campaign.yaml
    ok: 39 runs (1 variant x 6 limits x 2 models x 3 repeats, + 3 threshold runs)
"""

from __future__ import annotations

import copy
import os
import re
import shutil
from functools import cache
from pathlib import Path

import jsonschema
import yaml

import campaign.spec
from campaign.plan import build_runs, search_name, variants
from comparison import baselines

ROOT = Path(campaign.spec.HOME)  # memsweep's own folder
SCHEMA_PATH = ROOT / "workflow/schemas/config.schema.yaml"
DEFAULT_CONFIG = ROOT / "config/config.yaml"
SCRIPT_SUFFIXES = (".py", ".sh", ".bash", ".pl", ".rb", ".R", ".jl", ".lua", ".js")


class ConfigError(ValueError):
    """A config value memsweep cannot use; raised before any run."""


@cache
def schema() -> dict:
    with open(SCHEMA_PATH) as fh:
        return yaml.safe_load(fh)


def key_path(parts) -> str:
    path = ""
    for part in parts:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"


def _resolved(node: dict) -> dict:
    """A schema node with its $ref (to #/definitions/...) merged under its own keys."""
    ref = node.get("$ref")
    if not ref:
        return node
    target = schema()
    for part in ref.removeprefix("#/").split("/"):
        target = target[part]
    return {**_resolved(target), **{k: v for k, v in node.items() if k != "$ref"}}


def _types(node: dict) -> list[str]:
    types = node.get("type", [])
    return [types] if isinstance(types, str) else types


def prepare(value, node: dict):
    """Defaults filled in, keys in one order, and values converted where the schema is clear
    about the type: text from --config ("500", "true") and whole-number floats (300.0) where an
    integer is meant."""
    node = _resolved(node)
    types = _types(node)
    if isinstance(value, dict):
        props = node.get("properties", {})
        extra = node.get("additionalProperties")
        extra = extra if isinstance(extra, dict) else {}
        out = {k: prepare(v, props.get(k, extra)) for k, v in value.items()}
        for key, sub in props.items():
            sub = _resolved(sub)
            if key not in out and "default" in sub:
                out[key] = prepare(copy.deepcopy(sub["default"]), sub)
        # one order whatever the file's: the schema's, then other keys sorted (a reordered
        # YAML file must not look like changed params to Snakemake)
        order = [k for k in props if k in out] + sorted(k for k in out if k not in props)
        return {k: out[k] for k in order}
    if isinstance(value, list):
        return [prepare(v, node.get("items", {})) for v in value]
    if isinstance(value, str) and "string" not in types:
        for kind, convert in (("integer", int), ("number", float)):
            if kind in types:
                try:
                    return convert(value)
                except ValueError:
                    pass
        if "boolean" in types and value.lower() in ("true", "false"):
            return value.lower() == "true"
    if isinstance(value, float) and "integer" in types and value.is_integer():
        return int(value)
    return value


def check_schema(cfg: dict) -> None:
    validator = jsonschema.Draft202012Validator(schema())
    error = jsonschema.exceptions.best_match(validator.iter_errors(cfg))
    if error is None:
        return
    where = key_path(error.absolute_path)
    if error.validator == "additionalProperties":
        known = sorted(error.schema.get("properties", {}))
        unknown = sorted(set(error.instance) - set(known))
        raise ConfigError(
            f"config error at {where}: unknown key(s) {unknown}; accepted keys: {known}"
        )
    raise ConfigError(
        f"config error at {where}: {error.instance!r} is not accepted: {error.message}"
    )


def check_model(key: str, model) -> None:
    if not campaign.spec.is_model(model):
        raise ConfigError(
            f"config error at {key}: {model!r} is not a bucket model; accepted: "
            f"{campaign.spec.MODEL_GRAMMAR}"
        )


REPORT_GROUP = "around the reported configuration, e.g. 'Bucket sizes: (\\S+)'"
PHASE_GROUP = "around the phase's name, e.g. '^(Cache|Bucket \\d+/\\d+):'"


def check_pattern(key: str, pattern: str, group: str = REPORT_GROUP) -> None:
    try:
        groups = re.compile(pattern).groups
    except re.error as err:
        raise ConfigError(f"config error at {key}: {pattern!r} is not a regex ({err})") from None
    if groups != 1:
        raise ConfigError(
            f"config error at {key}: {pattern!r} has {groups} groups; it needs exactly one, {group}"
        )


def check_command(key: str, command: str, cwd: Path) -> None:
    """The command parses, uses known placeholders, and its program can be run from cwd."""
    try:
        fields = campaign.spec.command_fields(command)
        argv = campaign.spec.program_argv(command)
    except ValueError as err:
        raise ConfigError(f"config error at {key}: {command!r}: {err}") from None
    if not argv:
        raise ConfigError(f"config error at {key}: the command is empty")
    unknown = fields - set(campaign.spec.COMMAND_FIELDS)
    if unknown:
        accepted = ", ".join(f"{{{name}}}" for name in campaign.spec.COMMAND_FIELDS)
        raise ConfigError(
            f"config error at {key}: unknown placeholder(s) {sorted(unknown)} in {command!r}; "
            f"accepted: {accepted}"
        )
    program = argv[0]
    if "/" in program:
        path = cwd / program
        if not path.is_file():
            raise ConfigError(
                f"config error at {key}: program {program!r} does not exist "
                f"(relative paths are taken from {cwd})"
            )
        if not os.access(path, os.X_OK):
            raise ConfigError(
                f"config error at {key}: program {program!r} is not executable (chmod +x it, "
                "or run it through its interpreter, e.g. 'python x.py')"
            )
    elif shutil.which(program) is None:
        raise ConfigError(f"config error at {key}: program {program!r} is not found on PATH")
    script = argv[1] if len(argv) > 1 else ""
    runs_script = "/" not in program and script.endswith(SCRIPT_SUFFIXES) and "{" not in script
    if runs_script and not (cwd / script).is_file():
        raise ConfigError(
            f"config error at {key}: script {script!r} (run by {program}) does not exist "
            f"(relative paths are taken from {cwd})"
        )


def check(cfg: dict, cwd: Path) -> None:
    """What the schema cannot say."""
    for i, model in enumerate(cfg["grid"]["bucket_models"]):
        check_model(f"grid.bucket_models[{i}]", model)
    check_pattern("solver.report_pattern", cfg["solver"]["report_pattern"])
    if cfg["solver"]["phase_pattern"] is not None:
        check_pattern("solver.phase_pattern", cfg["solver"]["phase_pattern"], PHASE_GROUP)
    for i, threshold in enumerate(cfg["thresholds"]):
        check_model(f"thresholds[{i}].bucket_model", threshold["bucket_model"])
        check_pattern(f"thresholds[{i}].pattern", threshold["pattern"])
    for name in cfg["variants"]:
        if not campaign.spec.VARIANT_RE.fullmatch(name):
            raise ConfigError(
                f"config error at variants.{name}: {name!r} is not a variant name; accepted: "
                "letters, digits, '_' and '.', starting with a letter or digit"
            )
    check_command("solver.command", cfg["solver"]["command"], cwd)
    for name, spec in cfg["variants"].items():
        if "command" in spec:
            check_command(f"variants.{name}.command", spec["command"], cwd)
    problem = campaign.spec.enforcement_problem(cfg["limits"]["enforce"])
    if problem:
        raise ConfigError(f"config error at limits.enforce: {problem}")
    check_searches(cfg["search"], cfg["limits"]["enforce"])


def check_searches(searches: list[dict], enforce: str) -> None:
    names = set()
    for i, search in enumerate(searches):
        key = f"search[{i}]"
        check_model(f"{key}.bucket_model", search["bucket_model"])
        check_pattern(f"{key}.pattern", search["pattern"])
        low, high = search["low_mb"], search["high_mb"]
        if low >= high:
            raise ConfigError(
                f"config error at {key}.low_mb: {low} is not below high_mb {high}; a search "
                "bisects the limits from low_mb up to high_mb"
            )
        if search["kind"] == "min_memory" and search["enforce"] == "none":
            raise ConfigError(
                f"config error at {key}.enforce: min_memory needs an enforced limit (cgroup or "
                "rlimit), and it is 'none' (the default is limits.enforce): unenforced, nothing "
                "stops a run at its limit. Set limits.enforce: cgroup"
            )
        if search["enforce"] != enforce:
            raise ConfigError(
                f"config error at {key}.enforce: {search['enforce']!r} differs from "
                f"limits.enforce {enforce!r}. A probe is an ordinary run of the campaign, in the "
                "same run folder as a grid run at that limit, so all runs are enforced one way: "
                f"set limits.enforce: {search['enforce']}"
            )
        if search["name"] in names:
            raise ConfigError(
                f"config error at {key}.name: {search['name']!r} is the name of an earlier "
                "search; give each search a name of its own"
            )
        names.add(search["name"])


def load(cfg: dict, cwd: Path | None = None) -> dict:
    """The config with defaults filled in and every value checked (ConfigError otherwise)."""
    cfg = prepare(dict(cfg), schema())
    check_schema(cfg)
    for threshold in cfg["thresholds"]:
        threshold.setdefault("pattern", cfg["solver"]["report_pattern"])
    for search in cfg["search"]:
        search.setdefault("pattern", cfg["solver"]["report_pattern"])
        search.setdefault("enforce", cfg["limits"]["enforce"])
        search.setdefault("name", search_name(search))
    check(cfg, Path.cwd() if cwd is None else cwd)
    check_baseline(cfg, Path.cwd() if cwd is None else cwd)
    return cfg


def check_baseline(cfg: dict, cwd: Path) -> None:
    """compare.baseline names a variant or an earlier campaign's results folder that shares a
    configuration with this campaign (scripts/comparison/baselines.py)."""
    value = cfg["compare"]["baseline"]
    if value is None:
        return
    try:
        baseline = baselines.resolve(value, list(variants(cfg)), cwd)
        baselines.check(baseline, build_runs(cfg))
    except baselines.BaselineError as err:
        raise ConfigError(f"config error at compare.baseline: {err}") from None


def merge(base: dict, overlay: dict) -> dict:
    """overlay over base as Snakemake merges --configfile overlays: maps merge, others replace."""
    out = dict(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = value
    return out


def read_config_file(path: Path) -> dict:
    try:
        with open(path) as fh:
            data = yaml.safe_load(fh)
    except OSError as err:
        raise ConfigError(f"config error in {path}: {err.strerror}") from None
    except yaml.YAMLError as err:
        mark = getattr(err, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(err, "problem", None) or str(err)
        raise ConfigError(f"config error in {path}: {where}{problem}") from None
    if data is None:
        return {}
    if not isinstance(data, dict):
        raise ConfigError(f"config error in {path}: the top level must be a map of keys")
    return data


def mem_total_mb(meminfo: str = "/proc/meminfo") -> float | None:
    """This machine's memory (MemTotal), or None where it cannot be read."""
    try:
        with open(meminfo) as fh:
            for line in fh:
                if line.startswith("MemTotal:"):
                    return int(line.split()[1]) / 1024
    except (OSError, ValueError, IndexError):
        pass
    return None


def warnings(cfg: dict, total_mb: float | None = None) -> list[str]:
    """Values a checked config may hold but likely should not: each limit above this machine's
    memory (on a cluster the runs' nodes may have more; the warning says which machine).

    >>> cfg = load({"grid": {"memory_limits_mb": [300, 90000]}}, cwd=ROOT)
    >>> [line[:77] for line in warnings(cfg, total_mb=4096)]
    ['config warning at grid.memory_limits_mb: 90000 MB is above the memory of this']
    """
    total_mb = mem_total_mb() if total_mb is None else total_mb
    if total_mb is None:
        return []
    limits = {"grid.memory_limits_mb": cfg["grid"]["memory_limits_mb"]}
    for i, threshold in enumerate(cfg["thresholds"]):
        limits[f"thresholds[{i}].memory_mb"] = [threshold["memory_mb"] + 1]
    for i, search in enumerate(cfg["search"]):
        limits[f"search[{i}].high_mb"] = [search["high_mb"]]
    found = []
    for key, values in limits.items():
        above = [v for v in values if v > total_mb]
        if above:
            found.append(
                f"config warning at {key}: {', '.join(map(str, above))} MB "
                f"{'is' if len(above) == 1 else 'are'} above the memory of this machine "
                f"({total_mb:.0f} MB, MemTotal in /proc/meminfo): the program runs out of memory "
                "before it reaches that limit, and an enforced limit never acts"
            )
    return found
