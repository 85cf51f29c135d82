"""Tests of scripts/sampler.py: parsing, contracts, launch/attach, exit status, faults, fidelity.

Real processes are short (tens of MB, well under a second each) so the file runs in seconds.
"""

import csv
import importlib.util
import json
import os
import shutil
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

import sampler
from contracts import TRACE_COLUMNS

ROOT = Path(__file__).resolve().parents[1]
SAMPLER = ROOT / "scripts" / "sampler.py"
BURST = ROOT / "tests" / "workloads" / "burst.py"
PY = sys.executable
HEADER = ",".join(TRACE_COLUMNS)
SUMMARY_KEYS = {
    "command", "mode", "pid", "interval_ms", "samples", "duration_s", "effective_interval_ms",
    "interval_p50_ms", "interval_p99_ms", "missed_ticks", "peak_rss_kb", "peak_rss_time_s",
    "peak_vmsize_kb", "peak_vmdata_kb", "hwm_kb", "maxrss_kb", "peak_capture", "exit_code",
    "signal", "timed_out", "started_at", "hostname", "kernel", "sampler_version", "enforce",
    "memory_limit_mb", "cgroup_peak_kb", "oom_killed",
}  # fmt: skip
MIB = 1024

STATUS = b"""Name:\tpython3
Umask:\t0022
State:\tS (sleeping)
Tgid:\t4242
Pid:\t4242
PPid:\t1
VmPeak:\t   60000 kB
VmSize:\t   58892 kB
VmLck:\t       0 kB
VmPin:\t       0 kB
VmHWM:\t   55180 kB
VmRSS:\t   10240 kB
RssAnon:\t    4000 kB
RssFile:\t    6240 kB
RssShmem:\t       0 kB
VmData:\t   50240 kB
VmStk:\t     132 kB
VmExe:\t       4 kB
VmLib:\t    6000 kB
VmPTE:\t      80 kB
VmSwap:\t      12 kB
HugetlbPages:\t       0 kB
Threads:\t1
"""


def run(args, tmp_path, timeout=30, **kw):
    """Run the sampler; returns (completed process, summary dict or None, trace rows)."""
    out, summ = tmp_path / "trace.csv", tmp_path / "summary.json"
    cmd = [PY, str(SAMPLER), "--out", str(out), "--summary", str(summ), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert "Traceback" not in p.stderr, p.stderr
    summary = json.loads(summ.read_text()) if summ.exists() else None
    rows = list(csv.DictReader(out.open())) if out.exists() else None
    return p, summary, rows


# --- parsing and pure functions ---------------------------------------------------------------


def test_parse_status_reads_the_needed_fields():
    assert sampler.parse_status(STATUS) == (10240, 58892, 50240, 55180, 12)


def test_parse_status_missing_swap_counts_zero():
    assert sampler.parse_status(STATUS.replace(b"VmSwap:\t      12 kB\n", b""))[4] == 0


@pytest.mark.parametrize("state", [b"Z (zombie)", b"X (dead)"])
def test_parse_status_zombie_or_dead_is_none(state):
    assert sampler.parse_status(STATUS.replace(b"S (sleeping)", state)) is None


def test_parse_status_without_memory_is_none():
    # a kernel thread, or a process that has released its memory while exiting
    text = b"Name:\tkthreadd\nState:\tS (sleeping)\nTgid:\t2\nThreads:\t1\n"
    assert sampler.parse_status(text) is None


def test_percentile_nearest_rank_in_ms():
    hist = Counter({10000: 98, 10500: 1, 14000: 1})
    assert sampler.percentile(hist, 50) == 10.0
    assert sampler.percentile(hist, 99) == 10.5
    assert sampler.percentile(hist, 100) == 14.0
    assert sampler.percentile(Counter(), 50) is None


def test_peak_capture_uses_largest_kernel_peak_and_null_when_unknown():
    s = {"peak_rss_kb": 900, "hwm_kb": 1000, "maxrss_kb": 800, "cgroup_peak_kb": None}
    assert sampler.peak_capture(s) == 0.9
    assert sampler.peak_capture({**s, "maxrss_kb": 1200}) == 0.75
    # the cgroup's peak is no RSS figure (page cache in, shared file pages out): never used
    assert sampler.peak_capture({**s, "cgroup_peak_kb": 5000}) == 0.9
    assert sampler.peak_capture({**s, "peak_rss_kb": None}) is None
    assert sampler.peak_capture({"peak_rss_kb": 5, "hwm_kb": None, "maxrss_kb": None}) is None


def test_ru_maxrss_of_the_sampler_image_before_exec_is_not_the_commands_peak():
    # a 2 MB command forked from a 12 MB sampler: ru_maxrss reads 12 MB, the sampler's own copy
    s = {"peak_rss_kb": 1900, "hwm_kb": 2000, "maxrss_kb": 12_000}
    assert sampler.peak_capture(s, image_kb=11_800) == 0.95
    assert sampler.peak_capture(s, image_kb=None) == round(1900 / 12_000, 4)
    # above the image it is the command's (or a waited-for child's) own peak
    assert sampler.peak_capture({**s, "maxrss_kb": 40_000}, image_kb=11_800) == round(
        1900 / 40_000, 4
    )


def test_a_small_command_is_not_reported_as_missed_by_the_samples(tmp_path):
    small = [PY, "-S", "-c", "import time; time.sleep(0.3)"]
    p, s, _ = run(["-q", "--interval-ms", "5", "--", *small], tmp_path)
    assert p.returncode == 0
    assert s["maxrss_kb"] >= s["hwm_kb"]  # the sampler's image counted before exec
    assert s["peak_capture"] >= 0.95


def test_open_status_errors_name_the_process_or_the_file(tmp_path):
    with pytest.raises(sampler.SamplerError, match="^no process 12345$"):
        sampler.open_status(12345, proc=str(tmp_path))
    (tmp_path / "77" / "status").mkdir(parents=True)  # unreadable: a folder, not a file
    with pytest.raises(sampler.SamplerError) as e:
        sampler.open_status(77, proc=str(tmp_path))
    assert str(e.value) == f"cannot read {tmp_path}/77/status: Is a directory"
    assert e.value.code == 2


class FakeTree:
    """Stands in for sampler.Tree: one sample stalls, to provoke late ticks."""

    def __init__(self, n, stall_at, stall_s):
        self.n, self.stall_at, self.stall_s, self.calls = n, stall_at, stall_s, 0

    def sample(self, now):
        self.calls += 1
        if self.calls > self.n:
            return None
        if self.calls == self.stall_at:
            time.sleep(self.stall_s)
        return (1, 2, 3, 4, 0, 1)


def test_late_ticks_are_skipped_and_counted_never_bursted(tmp_path):
    with open(tmp_path / "t.csv", "w") as trace:
        rec = sampler.Recorder(trace, time.monotonic(), quiet=True)
        rfd, wfd = os.pipe()
        clock = sampler.Clock(None, rfd)
        sampler.sample_loop(FakeTree(20, 5, 0.035), rec, 0.010, clock, lambda now: float("inf"))
        os.close(rfd), os.close(wfd)
    assert rec.samples == 20
    assert rec.missed >= 2  # a 35 ms stall at 10 ms skips ticks 5 and 6 (more under load)
    times = [float(r.split(",")[0]) for r in (tmp_path / "t.csv").read_text().splitlines()]
    spans = [c - a for a, c in zip(times, times[2:], strict=False)]
    assert min(spans) >= 0.0099  # any 3 consecutive samples span an interval: no catch-up burst
    assert sampler.percentile(rec.hist, 50) == pytest.approx(10, abs=3)


# --- contracts ----------------------------------------------------------------------------------


def test_trace_header_and_summary_keys_are_the_contract(tmp_path):
    p, s, rows = run(["-q", "--", "sleep", "0.2"], tmp_path)
    assert p.returncode == 0
    assert (tmp_path / "trace.csv").read_text().splitlines()[0] == HEADER
    assert set(s) == SUMMARY_KEYS
    assert len(rows) == s["samples"] >= 10
    for r in rows:
        assert len(r["time_s"].split(".")[1]) == 6
        assert all(int(r[k]) >= 0 for k in HEADER.split(",")[1:])
    assert s["mode"] == "launch" and s["command"] == ["sleep", "0.2"] and s["pid"] > 0
    assert s["interval_ms"] == 10.0 and s["enforce"] == "none"
    assert s["memory_limit_mb"] is None and s["cgroup_peak_kb"] is None and s["oom_killed"] is None
    assert s["started_at"].endswith("Z") and "T" in s["started_at"]
    assert s["sampler_version"] == sampler.__version__ and s["kernel"] == os.uname().release
    assert not list(tmp_path.glob("*.tmp*"))  # written via a temp file and os.replace


def test_command_stdout_passes_untouched_and_env_is_set(tmp_path):
    p, s, _ = run(
        ["--env", "FOO=bar baz", "--env", "X=1", "--", "sh", "-c", "echo $FOO $X"], tmp_path
    )
    assert p.stdout == "bar baz 1\n"  # nothing of the sampler's own on stdout, even without -q
    assert "samples in" in p.stderr  # its closing line goes to stderr


def test_quiet_prints_nothing(tmp_path):
    p, _, _ = run(["-q", "--", "true"], tmp_path)
    assert p.returncode == 0 and p.stderr == "" and p.stdout == ""


# --- launch mode ----------------------------------------------------------------------------------


def test_launch_samples_from_the_start_and_stops_when_the_child_exits(tmp_path):
    p, s, rows = run(["-q", "--interval-ms", "5", "--", "sleep", "0.3"], tmp_path)
    assert p.returncode == 0
    assert float(rows[0]["time_s"]) < 0.2  # first sample right after the spawn
    assert 0.3 <= s["duration_s"] < 0.6  # stopped at the exit, not at a timeout
    assert s["samples"] >= 40 and s["effective_interval_ms"] == pytest.approx(5, abs=1)
    assert s["maxrss_kb"] > 0 and s["hwm_kb"] > 0 and s["exit_code"] == 0 and s["signal"] is None


@pytest.mark.parametrize(
    ("script", "code", "sig"),
    [("exit 0", 0, None), ("exit 3", 3, None), ("exit 255", 255, None),
     ("kill -KILL $$", 137, 9), ("kill -TERM $$", 143, 15)],
)  # fmt: skip
def test_exit_status_passes_through(tmp_path, script, code, sig):
    p, s, _ = run(["-q", "--", "sh", "-c", script], tmp_path)
    assert p.returncode == code
    assert (s["exit_code"], s["signal"], s["timed_out"]) == (code, sig, False)


def test_timeout_terminates_the_process_group(tmp_path):
    t = time.monotonic()
    p, s, _ = run(["-q", "--timeout", "0.4", "--", "sh", "-c", "sleep 30 & sleep 30"], tmp_path)
    assert time.monotonic() - t < 5
    assert p.returncode == 143 and s["exit_code"] == 143 and s["signal"] == 15
    assert s["timed_out"] is True and 0.4 <= s["duration_s"] < 1.5


def test_timeout_kills_a_command_that_ignores_sigterm(tmp_path):
    p, s, _ = run(["-q", "--timeout", "0.3", "--", "sh", "-c", "trap '' TERM; sleep 30"], tmp_path)
    assert p.returncode == 137 and s["signal"] == 9 and s["timed_out"] is True
    assert sampler.KILL_GRACE_S <= s["duration_s"] < sampler.KILL_GRACE_S + 1.5


def test_command_that_cannot_start_exits_127_with_summary(tmp_path):
    p, s, rows = run(
        ["--summary", str(tmp_path / "new" / "s.json"), "--", "/nonexistent/x"], tmp_path
    )
    assert p.returncode == 127
    assert "cannot run '/nonexistent/x': No such file or directory" in p.stderr
    s = json.loads((tmp_path / "new" / "s.json").read_text())  # its folder was created
    assert s["exit_code"] == 127 and s["samples"] == 0 and s["pid"] is None
    assert s["peak_rss_kb"] is None and s["duration_s"] is None and s["peak_capture"] is None
    assert rows == []  # header-only trace


@pytest.mark.parametrize(
    ("handler", "sig", "code", "summary_signal"),
    [("sys.exit(42)", signal.SIGTERM, 42, None), (None, signal.SIGINT, 130, 2)],
)
def test_sigterm_or_sigint_to_the_sampler_is_forwarded(
    tmp_path, handler, sig, code, summary_signal
):
    if handler:  # a command that handles SIGTERM and exits 42
        body = (
            "import signal, sys, time\n"
            f"signal.signal(signal.SIGTERM, lambda *a: {handler})\n"
            "print('ready', flush=True)\ntime.sleep(30)\n"
        )
        command = [PY, "-c", body]
    else:  # a command that dies of the forwarded signal
        command = ["sh", "-c", "echo ready; exec sleep 30"]
    out, summ = tmp_path / "trace.csv", tmp_path / "s.json"
    args = [PY, str(SAMPLER), "-q", "--out", str(out), "--summary", str(summ), "--", *command]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout.readline() == "ready\n"
        time.sleep(0.2)  # let the sampler take samples first
        p.send_signal(sig)
        _, err = p.communicate(timeout=10)
    assert "Traceback" not in err
    assert p.returncode == code
    s = json.loads(summ.read_text())
    assert (s["exit_code"], s["signal"], s["timed_out"]) == (code, summary_signal, False)
    assert s["samples"] > 0


def test_process_tree_includes_a_shell_wrapped_child(tmp_path):
    inner = f"{PY} {BURST} --mb 30 --count 1 --hold-ms 300 --tail-ms 50; exit 0"
    p, s, rows = run(["-q", "--", "sh", "-c", inner], tmp_path)
    assert p.returncode == 0
    assert max(int(r["nprocs"]) for r in rows) == 2
    assert s["peak_rss_kb"] >= 30 * MIB and s["hwm_kb"] >= 30 * MIB

    p, s, rows = run(["-q", "--no-children", "--", "sh", "-c", inner], tmp_path)
    assert {int(r["nprocs"]) for r in rows} == {1}
    assert s["peak_rss_kb"] < 10 * MIB  # the shell alone


# --- attach mode ----------------------------------------------------------------------------------


def test_attach_follows_a_process_and_its_children(tmp_path):
    target = subprocess.Popen(["sh", "-c", f"sleep 0.2; {PY} {BURST} --mb 20 --count 1; exit 4"])
    try:
        p, s, rows = run(["-q", "--pid", str(target.pid)], tmp_path)
    finally:
        target.wait()
    assert p.returncode == 0
    assert s["mode"] == "attach" and s["pid"] == target.pid and s["maxrss_kb"] is None
    assert s["command"][0] == "sh"
    assert s["peak_rss_kb"] >= 20 * MIB and max(int(r["nprocs"]) for r in rows) == 2
    assert s["exit_code"] == 4  # read from the zombie's /proc/PID/stat


def test_attach_ends_on_a_zombie_nobody_reaps(tmp_path):
    target = subprocess.Popen(["sh", "-c", "sleep 1; exit 5"])  # this test does not reap it
    t = time.monotonic()
    p, s, _ = run(["-q", "--pid", str(target.pid)], tmp_path)
    elapsed = time.monotonic() - t
    state = Path(f"/proc/{target.pid}/stat").read_text().split(") ")[1][0]
    assert state == "Z"  # still a zombie: nobody reaped it
    target.wait()
    assert p.returncode == 0 and elapsed < 4
    assert s["samples"] > 0 and s["duration_s"] < 1.5 and s["exit_code"] == 5


def test_attach_to_a_missing_pid_exits_2(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    p, s, _ = run(["--pid", str(dead.pid)], tmp_path)
    assert p.returncode == 2 and p.stderr == f"sampler: no process {dead.pid}\n"
    assert s is None and not (tmp_path / "trace.csv").exists()


def test_attach_stops_on_sigint_and_writes_the_summary(tmp_path):
    target = subprocess.Popen(["sleep", "30"])
    try:
        out, summ = tmp_path / "t.csv", tmp_path / "s.json"
        args = [PY, str(SAMPLER), "-q", "--pid", str(target.pid), "--out", str(out)]
        with subprocess.Popen([*args, "--summary", str(summ)], stderr=subprocess.PIPE) as p:
            time.sleep(0.4)
            p.send_signal(signal.SIGINT)
            p.wait(timeout=5)
        assert p.returncode == 130 and target.poll() is None  # the target is left alone
        s = json.loads(summ.read_text())
        assert s["samples"] > 0 and s["exit_code"] is None
    finally:
        target.kill()
        target.wait()


# --- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [[], ["--pid", "1", "--", "true"], ["--interval-ms", "0.4", "--", "true"],
     ["--env", "NOEQUALS", "--", "true"], ["--enforce", "cgroup", "--", "true"],
     ["--memory-limit-mb", "100", "--", "true"], ["--timeout", "0", "--", "true"]],
)  # fmt: skip
def test_usage_errors_exit_2(tmp_path, args):
    p, s, _ = run(args, tmp_path)
    assert p.returncode == 2 and "error:" in p.stderr and s is None


def test_runs_from_any_folder_and_imports_by_path(tmp_path):
    p = subprocess.run(
        [PY, str(SAMPLER), "--version"], cwd=tmp_path, capture_output=True, text=True
    )
    assert p.stdout.strip() == f"sampler.py {sampler.__version__}"
    code = (
        "import importlib.util, sys\n"
        f"spec = importlib.util.spec_from_file_location('s', {str(SAMPLER)!r})\n"
        "m = importlib.util.module_from_spec(spec); spec.loader.exec_module(m)\n"
        "print(m.enforcement_problem('none'), m.enforcement_problem('bogus'))\n"
    )
    p = subprocess.run([PY, "-c", code], cwd=tmp_path, capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith("None unknown enforce mode 'bogus'")
    assert importlib.util.find_spec("sampler") is not None


# --- fidelity ------------------------------------------------------------------------------------


def _self_hwm(stdout: str) -> int:
    line = [ln for ln in stdout.splitlines() if ln.startswith("VmHWM:")][-1]
    return int(line.split()[1])


def test_burst_fidelity_at_10ms(tmp_path):
    burst = [PY, str(BURST), "--mb", "40", "--hold-ms", "40", "--count", "3"]
    p, s, _ = run(["-q", "--interval-ms", "10", "--", *burst], tmp_path)
    assert p.returncode == 0
    assert s["hwm_kb"] == _self_hwm(p.stdout)  # the kernel's VmHWM, as the workload reads it
    assert s["hwm_kb"] >= 40 * MIB
    assert s["peak_rss_kb"] >= 0.95 * s["hwm_kb"]  # the samples caught the bursts
    assert s["peak_capture"] >= 0.95


def test_burst_shorter_than_the_interval_shows_in_hwm_and_capture(tmp_path):
    # Samples at ~0 s (interpreter starting) and ~1 s (long after the burst): none sees it.
    burst = [PY, str(BURST), "--mb", "30", "--hold-ms", "0", "--count", "1", "--tail-ms", "1300"]
    p, s, _ = run(["-q", "--interval-ms", "1000", "--", *burst], tmp_path)
    assert p.returncode == 0
    assert s["hwm_kb"] == _self_hwm(p.stdout) >= 30 * MIB
    assert s["peak_rss_kb"] < s["hwm_kb"] - 20 * MIB
    assert s["peak_capture"] < 0.6


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chrt"), reason="needs root and chrt")
def test_a_real_time_sampler_runs_the_command_at_normal_policy(tmp_path):
    policy = [PY, "-c", "import os; print(os.sched_getscheduler(0))"]
    out, summ = tmp_path / "t.csv", tmp_path / "s.json"
    cmd = ["chrt", "-f", "1", PY, str(SAMPLER), "-q", "--out", str(out), "--summary", str(summ)]
    p = subprocess.run([*cmd, "--", *policy], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and int(p.stdout) == os.SCHED_OTHER


def test_processes_the_command_leaves_behind_are_stopped(tmp_path):
    marker = f"memsweep-leftover-{os.getpid()}"
    script = f"exec -a {marker} sleep 30 & echo started"
    p, s, _ = run(["-q", "--", "bash", "-c", script], tmp_path)
    assert p.returncode == 0 and s["exit_code"] == 0
    assert "left processes in its process group" in p.stderr
    time.sleep(0.2)
    left = subprocess.run(["pgrep", "-f", marker], capture_output=True, text=True)
    assert left.stdout == "", left.stdout
