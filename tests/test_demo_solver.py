"""The demo solver: its model table, its `Bucket sizes` line, its settings and their errors."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

import demo_solver

SOLVER = Path(__file__).resolve().parents[1] / "scripts" / "demo_solver.py"
TINY = "0.02"


def solve(env=None, args=(), scale=TINY):
    """Run the solver for real (tiny scale) and return the finished process."""
    full_env = {"DEMO_SCALE": scale, **(env or {})}
    return subprocess.run(
        [sys.executable, str(SOLVER), *args],
        env=full_env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("limit", "model"),
    [
        (1, "2M/4M/2M"),
        (323, "2M/4M/2M"),
        (499, "2M/4M/2M"),
        (500, "4M/8M/4M"),
        (823, "4M/8M/4M"),
        (999, "4M/8M/4M"),
        (1000, "8M/8M/8M"),
        (1001, "8M/8M/8M"),
        (1513, "8M/8M/8M"),
    ],
)
def test_selection_table(limit, model):
    assert demo_solver.select_model(limit) == model


@pytest.mark.parametrize(
    ("limit", "expected"), [("999", "4M/8M/4M"), ("1000", "8M/8M/8M"), ("1001", "8M/8M/8M")]
)
def test_auto_run_prints_the_documented_threshold_configuration(limit, expected):
    done = solve({"MEMORY_LIMIT_MB": limit, "ENABLE_CUSTOM_BUCKETS": "0", "BUCKET_MODEL": "auto"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.findall(r"Bucket sizes: (\S+)", done.stdout) == [expected]
    assert lines.index(f"Bucket sizes: {expected}") < 2  # printed before any allocation
    assert lines[-1].startswith(f"Done: model {expected}, limit {limit} MB")


def test_custom_model_from_environment_and_flags():
    env = {"MEMORY_LIMIT_MB": "999", "ENABLE_CUSTOM_BUCKETS": "1", "BUCKET_MODEL": "8M/8M/8M"}
    assert "Bucket sizes: 8M/8M/8M" in solve(env).stdout
    # Without ENABLE_CUSTOM_BUCKETS the model is ignored and the table decides.
    env_off = {**env, "ENABLE_CUSTOM_BUCKETS": "0"}
    assert "Bucket sizes: 4M/8M/4M" in solve(env_off).stdout
    # A flag wins over the environment; --bucket-model implies custom buckets.
    flags = ["--memory-mb", "1500", "--bucket-model", "2M/2M/2M"]
    done = solve({"MEMORY_LIMIT_MB": "999"}, flags)
    assert done.returncode == 0
    assert "Bucket sizes: 2M/2M/2M" in done.stdout and "limit 1500 MB" in done.stdout


def test_sizes_follow_model_limit_and_scale():
    env = {"MEMORY_LIMIT_MB": "1000", "ENABLE_CUSTOM_BUCKETS": "1", "BUCKET_MODEL": "4M/8M/2M"}
    out = solve(env, scale="0.05").stdout
    # NM = N * 2**20 slots of 8 bytes, times the scale; the cache is 40% of the limit.
    assert "Bucket 1/3: 4M slots, 1.6 MB" in out
    assert "Bucket 2/3: 8M slots, 3.2 MB" in out
    assert "Bucket 3/3: 2M slots, 0.8 MB" in out
    assert "Cache: 20.0 MB" in out


def test_tables_double_up_to_their_final_size():
    sizes = demo_solver.table_sizes(64 * 2**20)
    assert sizes[-1] == 64 * 2**20 and len(sizes) == demo_solver.REHASHES + 1
    assert all(b == 2 * a for a, b in zip(sizes, sizes[1:], strict=False))
    small = demo_solver.table_sizes(10_000)
    assert small == [demo_solver.PAGE * 3]  # rounded up to whole pages, no room to double


@pytest.mark.parametrize(
    ("env", "args", "named"),
    [
        ({}, [], "MEMORY_LIMIT_MB is required"),
        ({"MEMORY_LIMIT_MB": "0"}, [], "MEMORY_LIMIT_MB='0'"),
        ({"MEMORY_LIMIT_MB": "abc"}, [], "MEMORY_LIMIT_MB='abc'"),
        ({"MEMORY_LIMIT_MB": "-5"}, [], "MEMORY_LIMIT_MB='-5'"),
        ({}, ["--memory-mb", "12.5"], "--memory-mb='12.5'"),
        ({"MEMORY_LIMIT_MB": "999"}, ["--bucket-model", "8M/8M"], "--bucket-model='8M/8M'"),
        ({"MEMORY_LIMIT_MB": "9", "ENABLE_CUSTOM_BUCKETS": "1", "BUCKET_MODEL": "0M/1M/1M"}, [],
         "BUCKET_MODEL='0M/1M/1M'"),
        ({"MEMORY_LIMIT_MB": "9", "ENABLE_CUSTOM_BUCKETS": "1"}, [], "needs BUCKET_MODEL"),
        ({"MEMORY_LIMIT_MB": "9", "ENABLE_CUSTOM_BUCKETS": "yes"}, [],
         "ENABLE_CUSTOM_BUCKETS='yes'"),
        ({"MEMORY_LIMIT_MB": "9", "DEMO_SCALE": "0"}, [], "DEMO_SCALE='0'"),
        ({"MEMORY_LIMIT_MB": "9", "DEMO_SCALE": "abc"}, [], "DEMO_SCALE='abc'"),
        ({"MEMORY_LIMIT_MB": "9"}, ["--scale", "1.5"], "--scale='1.5'"),
        ({"MEMORY_LIMIT_MB": "9"}, ["--scale", "nan"], "--scale='nan'"),
    ],
)  # fmt: skip
def test_bad_values_exit_2_naming_the_value(env, args, named, capsys):
    assert demo_solver.main(list(args), env) == 2
    err = capsys.readouterr().err
    assert named in err
    assert "expected" in err or "required" in err or "needs" in err


def test_bad_value_exits_2_as_a_process():
    done = solve({"MEMORY_LIMIT_MB": "abc"})
    assert done.returncode == 2
    assert "MEMORY_LIMIT_MB='abc'" in done.stderr and "1..16384" in done.stderr
    assert "Bucket sizes" not in done.stdout


def test_help_documents_the_model_table():
    done = subprocess.run(
        [sys.executable, str(SOLVER), "--help"], capture_output=True, text=True, check=True
    )
    assert "limit >= 1000 MB        8M/8M/8M" in done.stdout
    assert "DEMO_SCALE" in done.stdout


def reported_peak(limit, model):
    env = {"MEMORY_LIMIT_MB": str(limit), "ENABLE_CUSTOM_BUCKETS": "1", "BUCKET_MODEL": model}
    done = solve(env, scale="0.1")
    assert done.returncode == 0, done.stderr
    return float(re.search(r"peak RSS ([\d.]+) MB", done.stdout).group(1))


def test_peak_depends_on_model_and_limit():
    # At scale 0.1: tables 6.4 MB (2M/4M/2M) vs 19.2 MB (8M/8M/8M), cache 12.9 vs 60.5 MB.
    base = reported_peak(323, "2M/4M/2M")
    assert reported_peak(323, "8M/8M/8M") - base > 8
    assert reported_peak(1513, "2M/4M/2M") - base > 30
