"""The monitor rule's wrapper: a failed program is a recorded run, a failed sampler an error."""

import json
import subprocess
import sys
from pathlib import Path

import pytest

from run_monitored import run, run_status

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
SAMPLER = SCRIPTS / "sampler.py"
ENV = {"MEMORY_LIMIT_MB": "300", "BUCKET_MODEL": "auto", "ENABLE_CUSTOM_BUCKETS": "0"}


@pytest.mark.parametrize(
    ("summary", "status"),
    [
        ({"exit_code": 0, "signal": None, "timed_out": False, "oom_killed": None}, "ok"),
        ({"exit_code": 3, "signal": None, "timed_out": False, "oom_killed": False}, "failed"),
        ({"exit_code": 127, "signal": None, "timed_out": False}, "failed"),
        ({"exit_code": 139, "signal": 11, "timed_out": False, "oom_killed": None}, "killed"),
        ({"exit_code": 137, "signal": 9, "timed_out": False, "oom_killed": True}, "oom"),
        ({"exit_code": 143, "signal": 15, "timed_out": True, "oom_killed": None}, "timeout"),
    ],
)
def test_status_from_the_sampler_summary(summary, status):
    assert run_status(summary) == status


def do_run(tmp_path, argv, **options):
    return run(SAMPLER, tmp_path / "run", argv, ENV, 300, "auto", 1, interval_ms=5, **options)


def test_a_failing_program_is_a_finished_run(tmp_path):
    code = "print('Bucket sizes: 2M/4M/2M', flush=True); raise SystemExit(3)"
    record = do_run(tmp_path, [sys.executable, "-c", code])
    assert record["status"] == "failed" and record["exit_code"] == 3
    assert "Bucket sizes: 2M/4M/2M" in (tmp_path / "run/solver.log").read_text()
    on_disk = json.loads((tmp_path / "run/run.json").read_text())
    assert on_disk == record
    assert (on_disk["limit_mb"], on_disk["bucket_model"], on_disk["repeat"]) == (300, "auto", 1)


def test_a_program_killed_by_a_signal_is_recorded(tmp_path):
    code = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    record = do_run(tmp_path, [sys.executable, "-c", code])
    assert (record["status"], record["signal"]) == ("killed", 11)


def test_a_program_that_runs_too_long_is_recorded_as_timeout(tmp_path):
    record = do_run(tmp_path, ["sleep", "30"], timeout_s=0.3)
    assert record["status"] == "timeout" and record["timed_out"] is True
    assert record["duration_s"] < 10


def test_the_program_sees_its_configuration_in_the_environment(tmp_path):
    code = "import os; print('Bucket sizes:', os.environ['MEMORY_LIMIT_MB'] + 'MB')"
    do_run(tmp_path, [sys.executable, "-c", code])
    assert "Bucket sizes: 300MB" in (tmp_path / "run/solver.log").read_text()


def test_a_program_that_cannot_start_is_a_failed_run(tmp_path):
    record = do_run(tmp_path, ["/no/such/program"])
    assert (record["status"], record["exit_code"]) == ("failed", 127)


def test_a_sampler_failure_fails_the_job_and_writes_no_record(tmp_path):
    broken = tmp_path / "sampler.py"
    broken.write_text("import sys; sys.exit(2)\n")
    cmd = [sys.executable, str(SCRIPTS / "run_monitored.py"), "--sampler", str(broken)]
    cmd += ["--run-dir", str(tmp_path / "run"), "--limit-mb", "300", "--", "true"]
    proc = subprocess.run(cmd, capture_output=True, text=True)
    assert proc.returncode == 1
    assert "the sampler wrote no summary (exit 2)" in proc.stderr
    assert not (tmp_path / "run/run.json").exists()
