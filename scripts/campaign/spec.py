"""How a run is launched: the settings the workflow, the run wrapper and the config check share.

Standard library only (the run wrapper imports it on a compute node). Each fact is here once:

- ENFORCE_MODES: how a memory limit can be enforced (`limits.enforce`).
- the bucket-model grammar: "auto" or three sizes "N[KMG]/N[KMG]/N[KMG]", and its path-safe slug;
- RUN_DIR: where a run's files go;
- solver_argv: the program's argv for one run (placeholders filled in, no shell); the command's
  {memsweep_dir} is memsweep's own folder, so a command can name a program memsweep ships (the
  default config runs the demo solver so, from any working folder);
- run_env: the environment every run gets on top of the caller's: PYTHONUNBUFFERED=1 (a Python
  program's output reaches solver.log line by line, in time for its phases; solver.env may set
  it otherwise), solver.env, then the run's configuration;
- enforcement_problem: why an enforce mode cannot work on this machine;
- the launch spec: everything about how a variant's runs are launched (command, environment,
  sampling interval, timeout, enforcement, phase pattern) in one file,
  results/runs/{variant}/launch.json. The `launch` rule writes it and every run of the variant
  depends on it, so changing any of these settings reruns exactly that variant's runs.

    >>> solver_argv("./solver --budget {memory_mb}", 1005, "auto")
    ['./solver', '--budget', '1005']
    >>> program_argv("python {memsweep_dir}/scripts/demo_solver.py --mb {memory_mb}")[1:]
    ['.../scripts/demo_solver.py', '--mb', '{memory_mb}']
    >>> run_env(1005, "8M/8M/8M", {"OMP_NUM_THREADS": 1})["ENABLE_CUSTOM_BUCKETS"]
    '1'
    >>> model_slug("4M/8M/4M"), model_from_slug("4M-8M-4M")
    ('4M-8M-4M', '4M/8M/4M')
"""

import json
import os
import re
import shlex
import string

from sampling.contract import ENFORCE_MODES
from sampling.files import write_atomically

COMMAND_FIELDS = ("memory_mb", "bucket_model", "memsweep_dir")
# memsweep's own folder, for {memsweep_dir} and every module that reads memsweep's files (os.path,
# not pathlib: the run wrapper imports this module, and pathlib costs each run some milliseconds)
HOME = os.path.dirname(os.path.dirname(os.path.dirname(os.path.realpath(__file__))))
AUTO_MODEL = "auto"
MODEL_SEP = "/"
SLUG_SEP = "-"
MODEL_RE = re.compile(r"auto|[0-9]+[KMG]?/[0-9]+[KMG]?/[0-9]+[KMG]?")
SLUG_RE = r"auto|[0-9]+[KMG]?-[0-9]+[KMG]?-[0-9]+[KMG]?"  # for Snakemake's wildcard constraint
MODEL_GRAMMAR = "'auto' or three sizes like '4M/8M/4M' (digits, optionally K, M or G)"
VARIANT_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.]*")
DEFAULT_VARIANT = "default"
RUN_DIR = "results/runs/{variant}/{limit}MB/{model}/rep{repeat}"
SPEC_PATH = "results/runs/{variant}/launch.json"
SPEC_KEYS = (
    "variant",
    "command",
    "env",
    "interval_ms",
    "timeout_s",
    "enforce",
    "smaps_interval_ms",
    "phase_pattern",
    "log_max_mb",
)
UNBUFFERED = {"PYTHONUNBUFFERED": "1"}  # every run's default, under solver.env


def is_model(text: str) -> bool:
    """Whether text is a bucket model (the whole text: no trailing newline or space)."""
    return isinstance(text, str) and MODEL_RE.fullmatch(text) is not None


def model_slug(model: str) -> str:
    """Path-safe name of a bucket model: '4M/8M/4M' -> '4M-8M-4M', 'auto' -> 'auto'."""
    return model.replace(MODEL_SEP, SLUG_SEP)


def model_from_slug(slug: str) -> str:
    return slug.replace(SLUG_SEP, MODEL_SEP)


def run_dir(variant: str, limit_mb: int, model: str, repeat: int) -> str:
    return RUN_DIR.format(variant=variant, limit=limit_mb, model=model_slug(model), repeat=repeat)


def command_fields(command: str) -> set[str]:
    """The {placeholders} a command uses (ValueError on a lone brace)."""
    return {name for _, name, _, _ in string.Formatter().parse(command) if name is not None}


class _Keep(dict):
    def __missing__(self, key):
        return f"{{{key}}}"


def solver_argv(command: str, limit_mb: int, model: str) -> list[str]:
    """argv of one run: placeholders filled in, then split as a shell would (no shell runs it)."""
    return shlex.split(command.format(memory_mb=limit_mb, bucket_model=model, memsweep_dir=HOME))


def program_argv(command: str) -> list[str]:
    """argv of the command with only {memsweep_dir} filled in (the per-run placeholders kept), to
    find the program and its script before any run."""
    return shlex.split(command.format_map(_Keep(memsweep_dir=HOME)))


def run_env(limit_mb: int, model: str, extra: dict | None = None) -> dict[str, str]:
    """What every run finds in its environment: UNBUFFERED, `extra` (solver.env), then its
    configuration."""
    env = {**UNBUFFERED, **{str(key): str(value) for key, value in (extra or {}).items()}}
    env.update(
        MEMORY_LIMIT_MB=str(limit_mb),
        BUCKET_MODEL=model,
        ENABLE_CUSTOM_BUCKETS="0" if model == AUTO_MODEL else "1",
    )
    return env


def enforcement_problem(mode: str) -> str | None:
    """Why `mode` cannot enforce a limit on this machine, or None when it can."""
    if mode not in ENFORCE_MODES:
        return f"unknown enforce mode {mode!r}: choose one of {', '.join(ENFORCE_MODES)}"
    if mode != "cgroup":
        return None
    from sampling import cgroups  # only here: the run wrapper imports this module for every run

    return cgroups.problem()


def write_spec(path: str, spec: dict) -> None:
    """The launch spec as JSON, written atomically."""
    missing = [key for key in SPEC_KEYS if key not in spec]
    if missing:
        raise ValueError(f"a launch spec needs {missing}")
    write_atomically(path, json.dumps({key: spec[key] for key in SPEC_KEYS}, indent=2) + "\n")


def read_spec(path: str) -> dict:
    """A launch spec, checked for its keys (ValueError naming the file otherwise)."""
    try:
        with open(path) as fh:
            spec = json.load(fh)
    except (OSError, json.JSONDecodeError) as err:
        raise ValueError(f"cannot read the launch spec {path}: {err}") from None
    missing = [key for key in SPEC_KEYS if not isinstance(spec, dict) or key not in spec]
    if missing:
        raise ValueError(f"the launch spec {path} lacks {missing}; delete it and rerun")
    return spec
