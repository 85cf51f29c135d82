"""The run wrapper: a failed program is a recorded run; memsweep's own failure or an interrupt
fails the job with the cause on stderr and in the log, writes no run.json, and leaves no process.
"""

import json
import os
import signal
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path

import pytest

from campaign.measure import BENCHMARK_COLUMNS, benchmark_row, run_status
from contracts import SUMMARY_KEYS
from sampling import tether
from test_sampler import appeared, gone, marked

SCRIPTS = Path(__file__).resolve().parents[1] / "scripts"
WRAPPER = SCRIPTS / "monitor.py"
PY = sys.executable
RUN_KEYS = SUMMARY_KEYS | {
    "variant", "limit_mb", "bucket_model", "repeat", "run_dir", "slurm_job_id", "solver_argv",
    "status", "output_bytes", "output_cut_bytes",
}  # fmt: skip


def wrapper_args(tmp_path, argv, *extra, interval="5"):
    return [
        PY, str(WRAPPER), "--run-dir", str(tmp_path / "run"), "--variant", "default",
        "--limit-mb", "300", "--bucket-model", "auto", "--repeat", "1", "--interval-ms", interval,
        "--timeout", "20", "--enforce", "none", *extra, "--log", str(tmp_path / "logs" / "m.log"),
        "--", *argv,
    ]  # fmt: skip


def monitored(tmp_path, argv, *extra, **kw):
    """Run the wrapper to its end: (process, run.json or None, the log's text)."""
    p = subprocess.run(
        wrapper_args(tmp_path, argv, *extra), capture_output=True, text=True, timeout=60, **kw
    )
    assert "Traceback" not in p.stderr, p.stderr
    run_json = tmp_path / "run" / "run.json"
    log = tmp_path / "logs" / "m.log"
    return p, (json.loads(run_json.read_text()) if run_json.exists() else None), log.read_text()


def wait_for(path: Path, text: str, seconds: float = 10) -> None:
    deadline = time.monotonic() + seconds
    while not (path.exists() and text in path.read_text()):
        assert time.monotonic() < deadline, f"no {text!r} in {path}"
        time.sleep(0.02)


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


def test_benchmark_row_is_what_snakemake_writes():
    benchmark = pytest.importorskip("snakemake.benchmark")
    summary = {
        "duration_s": 3725.126, "peak_rss_kb": 307200, "peak_vmsize_kb": 409600,
        "peak_uss_kb": 102400, "peak_pss_kb": 204800, "read_bytes": 5 << 20,
        "write_bytes": 3 << 19, "cpu_user_s": 3000.5, "cpu_system_s": 120.25,
    }  # fmt: skip
    cpu = summary["cpu_user_s"] + summary["cpu_system_s"]
    record = benchmark.BenchmarkRecord(
        running_time=summary["duration_s"], max_rss=300.0, max_vms=400.0, max_uss=100.0,
        max_pss=200.0, io_in=5.0, io_out=1.5, cpu_usage=100 * cpu, cpu_time=cpu,
    )  # fmt: skip
    record.data_collected = True
    assert list(BENCHMARK_COLUMNS) == benchmark.BenchmarkRecord.get_header()
    assert "\t".join(benchmark_row(summary)) == record.to_tsv(extended_fmt=False)


def test_a_failing_program_is_a_finished_run(tmp_path):
    code = "import sys; print('Bucket sizes: 2M/4M/2M'); print('oops', file=sys.stderr); exit(3)"
    p, record, log = monitored(tmp_path, [PY, "-c", code])
    assert p.returncode == 0 and p.stderr == ""
    assert set(record) == RUN_KEYS  # reported_config is no longer the wrapper's business
    assert record["status"] == "failed" and record["exit_code"] == 3
    assert (record["variant"], record["limit_mb"], record["bucket_model"], record["repeat"]) == (
        "default", 300, "auto", 1,
    )  # fmt: skip
    assert record["solver_argv"] == [PY, "-c", code]
    run_dir = tmp_path / "run"
    assert (run_dir / "solver.log").read_text() == "Bucket sizes: 2M/4M/2M\noops\n"  # only its own
    header, row = (run_dir / "benchmark.tsv").read_text().splitlines()
    assert header.split("\t") == list(BENCHMARK_COLUMNS) and len(row.split("\t")) == 10
    assert (run_dir / "trace.csv").read_text().startswith("time_s,")
    assert "failed: " in log and log.rstrip().endswith("exit 3")


def test_a_log_over_its_cap_keeps_its_head_and_tail_and_says_what_was_cut(tmp_path):
    # 3 MiB of numbered lines, stdout and stderr, from a program and a child it leaves behind
    code = (
        "import os, sys\n"
        "if os.fork() == 0: sys.stderr.write('child\\n'); os._exit(0)\n"
        "for i in range(3 * 2**20 // 16): sys.stdout.write(f'line {i:010d}\\n')\n"
        "os.wait(); sys.stdout.write('Bucket sizes: 8M/8M/8M\\n')"
    )
    p, record, _ = monitored(tmp_path, [PY, "-c", code], "--log-max-mb", "1")
    assert p.returncode == 0 and record["status"] == "ok", p.stderr
    total = 3 * 2**20 + len("child\n") + len("Bucket sizes: 8M/8M/8M\n")
    assert (record["output_bytes"], record["output_cut_bytes"]) == (total, total - 2**20)
    log = (tmp_path / "run" / "solver.log").read_bytes()
    head, note, tail = log[: 2**19], log[2**19 : -(2**19)], log[-(2**19) :]
    assert head.startswith(b"line 0000000000\n") or head.startswith(b"child\nline 0000000000\n")
    assert note.startswith(b"\n[memsweep: ") and f"{total - 2**20} bytes".encode() in note
    assert note.endswith(b"(solver.log_max_mb)]\n") and note.count(b"\n") == 2
    assert tail.endswith(b"line 0000196607\nBucket sizes: 8M/8M/8M\n")
    assert not list((tmp_path / "run").glob(".*"))  # the copier's ring file is gone

    small = "print('a'); print('b', flush=True); import sys; sys.stderr.write('c')"
    p, record, _ = monitored(tmp_path, [PY, "-c", small], "--log-max-mb", "1")
    assert (tmp_path / "run" / "solver.log").read_text() == "a\nb\nc"  # under the cap: as is
    assert (record["output_bytes"], record["output_cut_bytes"]) == (5, 0)


def test_killed_timed_out_and_unstartable_programs_are_recorded(tmp_path):
    code = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    p, record, _ = monitored(tmp_path, [PY, "-c", code])
    assert p.returncode == 0 and (record["status"], record["signal"]) == ("killed", 11)
    assert record["interrupted"] is False

    p, record, _ = monitored(tmp_path, ["sleep", "30"], "--timeout", "0.3")
    assert p.returncode == 0 and record["status"] == "timeout" and record["duration_s"] < 10

    p, record, _ = monitored(tmp_path, ["/no/such/program"])
    assert p.returncode == 0 and (record["status"], record["exit_code"]) == ("failed", 127)


def test_the_program_sees_its_configuration_and_the_extra_environment(tmp_path):
    code = (
        "import os; print(*[os.environ.get(k) for k in ('MEMORY_LIMIT_MB', 'BUCKET_MODEL', "
        "'ENABLE_CUSTOM_BUCKETS', 'OMP_NUM_THREADS', 'HOME')])"
    )
    argv = [PY, "-c", code]
    extra = ("--env", "OMP_NUM_THREADS=2", "--env", "MEMORY_LIMIT_MB=1")  # the run's own wins
    p, record, _ = monitored(tmp_path, argv, *extra)
    words = (tmp_path / "run" / "solver.log").read_text().split()
    assert words == ["300", "auto", "0", "2", os.environ["HOME"]]


def test_usage_errors_name_the_option_and_go_to_the_log(tmp_path):
    args = wrapper_args(tmp_path, ["true"])
    args[args.index("--limit-mb") + 1] = "abc"
    p = subprocess.run(args, capture_output=True, text=True)
    message = "argument --limit-mb: must be a whole number of MB >= 1, not 'abc'"
    assert p.returncode == 2 and message in p.stderr
    assert message in (tmp_path / "logs" / "m.log").read_text()
    args = wrapper_args(tmp_path, ["true"])
    args[args.index("--bucket-model") + 1] = "8M/8M\n8M"
    p = subprocess.run(args, capture_output=True, text=True)
    assert p.returncode == 2 and "argument --bucket-model: must be 'auto' or three" in p.stderr


# --- memsweep's own failures and interrupts -------------------------------------------------------


@contextmanager
def started(tmp_path, argv, marker):
    """The wrapper running argv, once the program said "ready" and its child `marker` runs."""
    with subprocess.Popen(
        wrapper_args(tmp_path, argv), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    ) as p:
        wait_for(tmp_path / "run" / "solver.log", "ready")
        assert appeared(marker)  # the shell started its child
        yield p


def test_sigterm_to_the_wrapper_fails_the_job_without_a_run(tmp_path):
    marker = f"memsweep-cancel-{os.getpid()}"
    argv = ["bash", "-c", f"echo ready; (exec -a {marker} sleep 30); true"]
    with started(tmp_path, argv, marker) as p:
        p.send_signal(signal.SIGTERM)
        _, err = p.communicate(timeout=20)
    assert p.returncode == 143
    message = "interrupted by signal 15 (SIGTERM)"
    assert message in err and message in (tmp_path / "logs" / "m.log").read_text()
    assert not (tmp_path / "run" / "run.json").exists()
    assert not (tmp_path / "run" / "benchmark.tsv").exists()
    assert gone(marker)


def test_sigkill_of_the_wrapper_leaves_no_process_and_says_why(tmp_path):
    marker = f"memsweep-killed-{os.getpid()}"
    argv = ["sh", "-c", f"echo ready; {PY} -c 'import time; time.sleep(30)' {marker}; true"]
    with started(tmp_path, argv, marker) as p:
        p.kill()
        _, err = p.communicate(timeout=20)  # EOF once the guardian, too, has ended
    assert p.returncode == -9
    assert gone(marker)
    message = "ended before its run did (killed by a signal such as SIGKILL"
    assert message in err and message in (tmp_path / "logs" / "m.log").read_text()
    assert not (tmp_path / "run" / "run.json").exists()


def test_no_process_of_a_run_outlives_the_campaign_that_started_it(tmp_path):
    # a stand-in for Snakemake: it says it is the campaign and starts the wrapper through a shell
    campaign = (
        "import os, subprocess, sys, time\n"
        f"os.environ[{tether.CAMPAIGN_PID_ENV!r}] = str(os.getpid())\n"
        "subprocess.Popen(['sh', '-c', '\"$@\"; true', 'sh', *sys.argv[1:]])\n"
        "time.sleep(60)\n"
    )
    marker = f"memsweep-orphan-{os.getpid()}"
    argv = ["sh", "-c", f"echo ready; {PY} -c 'import time; time.sleep(30)' {marker}; true"]
    with subprocess.Popen([PY, "-c", campaign, *wrapper_args(tmp_path, argv)]) as p:
        wait_for(tmp_path / "run" / "solver.log", "ready")
        assert marked(str(tmp_path / "run")) and appeared(marker)
        p.kill()  # SIGKILL: the campaign cleans nothing up
    assert gone(marker, 3.0) and gone(str(tmp_path / "run"), 3.0)  # wrapper, guardian, copier
    assert "interrupted by signal 15 (SIGTERM)" in (tmp_path / "logs" / "m.log").read_text()
    assert not (tmp_path / "run" / "run.json").exists()


def test_a_second_run_of_a_folder_waits_for_the_first(tmp_path, monkeypatch):
    run_dir = tmp_path / "run"
    held = tether.hold(str(run_dir), print)
    with subprocess.Popen(wrapper_args(tmp_path, ["echo", "measured"]), text=True,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE) as p:  # fmt: skip
        wait_for(tmp_path / "logs" / "m.log", "is being measured by another run")
        assert p.poll() is None and not (run_dir / "solver.log").exists()  # it waits, unstarted
        os.close(held)
        p.communicate(timeout=30)
    assert p.returncode == 0 and (run_dir / "solver.log").read_text() == "measured\n"
    held = tether.hold(str(run_dir), print)
    monkeypatch.setattr(tether, "WAIT_S", 0.2)
    with pytest.raises(tether.TetherError, match=rf"{run_dir} is still being measured .*pid"):
        tether.hold(str(run_dir), print)
    os.close(held)


@pytest.fixture
def full_disk(tmp_path):
    """A 16 kB tmpfs: a real file system that runs out of space."""
    mount = tmp_path / "small"
    mount.mkdir()
    if os.geteuid() != 0:
        pytest.skip("mounting a tmpfs needs root")
    p = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=16k", "tmpfs", str(mount)],
        capture_output=True,
        text=True,
    )
    if p.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here: {p.stderr.strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=True)


def test_a_full_disk_fails_the_job_with_the_cause_in_the_log(tmp_path, full_disk):
    marker = f"memsweep-enospc-{os.getpid()}"
    run_dir = full_disk / "run"
    args = wrapper_args(tmp_path, ["bash", "-c", f"exec -a {marker} sleep 5"], interval="1")
    args[args.index("--run-dir") + 1] = str(run_dir)
    p = subprocess.run(args, capture_output=True, text=True, timeout=60)
    cause = f"cannot write the trace {run_dir}/trace.csv: No space left on device"
    assert p.returncode == 1
    assert cause in p.stderr and cause in (tmp_path / "logs" / "m.log").read_text()
    assert "Traceback" not in p.stderr
    assert not (run_dir / "run.json").exists()
    assert gone(marker)  # stopped at once, not left to run its 5 s
