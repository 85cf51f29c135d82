"""Tests of the sampler (scripts/sampler.py and its modules): /proc parsing, the contracts,
launch and attach, exit status, the process tree, metrics, signals, orphans and fidelity.

Real processes are short (tens of MB, well under a second each) so the file runs in seconds.
"""

import csv
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

import pytest

from contracts import SUMMARY_KEYS, TRACE_COLUMNS
from sampling import contract, engine, procfs, proctree
from sampling import summary as sampler_summary

ROOT = Path(__file__).resolve().parents[1]
SAMPLER = ROOT / "scripts" / "sampler.py"
BURST = ROOT / "tests" / "workloads" / "burst.py"
FORKER = ROOT / "tests" / "workloads" / "forker.py"
PY = sys.executable
HEADER = ",".join(TRACE_COLUMNS)
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
# pid (comm) state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime
# cutime cstime ... exit_code; the comm has a space and a parenthesis, as comms may
STAT = (
    b"4242 (my (odd) prog) Z 1 4242 4242 0 -1 4194560 100 20 3 2 50 7 5 1 20 0 1 0 1 0 0 "
    + b"0 " * 30
    + b"768\n"
)


def run(args, tmp_path, timeout=30, **kw):
    """Run the sampler; returns (completed process, summary dict or None, trace rows)."""
    out, summ = tmp_path / "trace.csv", tmp_path / "summary.json"
    cmd = [PY, str(SAMPLER), "--out", str(out), "--summary", str(summ), *args]
    p = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, **kw)
    assert "Traceback" not in p.stderr, p.stderr
    summary = json.loads(summ.read_text()) if summ.exists() else None
    rows = list(csv.DictReader(out.open())) if out.exists() else None
    return p, summary, rows


def marked(marker: str) -> list[int]:
    """Pids of live processes whose command line contains marker."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            try:
                text = (entry / "cmdline").read_bytes()
                state = (entry / "stat").read_text().rsplit(") ", 1)[1][0]
            except OSError:
                continue
            if marker.encode() in text and state not in "ZX":
                pids.append(int(entry.name))
    return pids


def sampling_started(trace: Path, wait_s: float = 10.0) -> None:
    """Wait until the sampler has written a sample to trace (its handlers are set by then)."""
    deadline = time.monotonic() + wait_s
    while not (trace.exists() and len(trace.read_text().splitlines()) > 1):
        assert time.monotonic() < deadline, f"no sample in {trace} after {wait_s} s"
        time.sleep(0.02)


def appeared(marker: str, wait_s: float = 5.0) -> bool:
    """Wait until a live process's command line holds marker (a command has started it)."""
    deadline = time.monotonic() + wait_s
    while not marked(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def gone(marker: str, wait_s: float = 3.0) -> bool:
    deadline = time.monotonic() + wait_s
    while marked(marker):
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# --- parsing and pure functions ---------------------------------------------------------------


def test_parse_statm_pages_to_kb_and_none_without_memory():
    assert procfs.parse_statm(b"6000 2500 600 1 0 1800 0\n", page_kb=4) == (10000, 24000, 7200)
    assert procfs.parse_statm(b"0 0 0 0 0 0 0\n") is None  # a zombie
    assert procfs.parse_statm(b"") is None  # reaped meanwhile


def test_parse_status_reads_hwm_swap_and_stack():
    assert procfs.parse_status(STATUS) == (55180, 12, 132)
    assert procfs.parse_status(STATUS.replace(b"VmSwap:\t      12 kB\n", b""))[1] == 0


@pytest.mark.parametrize("state", [b"Z (zombie)", b"X (dead)"])
def test_parse_status_zombie_or_dead_is_none(state):
    assert procfs.parse_status(STATUS.replace(b"S (sleeping)", state)) is None


def test_parse_status_without_memory_is_none():
    text = b"Name:\tkthreadd\nState:\tS (sleeping)\nTgid:\t2\nThreads:\t1\n"
    assert procfs.parse_status(text) is None


def test_parse_stat_after_an_odd_comm():
    assert procfs.parse_stat(STAT) == {
        "state": "Z",
        "user_ticks": 55,  # utime + cutime
        "system_ticks": 8,  # stime + cstime
        "minflt": 120,
        "majflt": 5,
        "exit_status": 768,
    }


def test_parse_io_and_smaps_rollup():
    io = b"rchar: 100\nwchar: 2000\nsyscr: 3\nsyscw: 4\nread_bytes: 4096\nwrite_bytes: 8192\n"
    assert procfs.parse_io(io) == {
        "rchar": 100,
        "wchar": 2000,
        "read_bytes": 4096,
        "write_bytes": 8192,
    }
    rollup = (
        b"55d0-7ff0 ---p 00000000 00:00 0 [rollup]\nRss:  900 kB\nPss:  700 kB\n"
        b"Shared_Clean:  200 kB\nPrivate_Clean:  100 kB\nPrivate_Dirty:  500 kB\n"
    )
    assert procfs.parse_smaps_rollup(rollup) == (600, 700)


def test_percentile_nearest_rank_in_ms():
    hist = Counter({10000: 98, 10500: 1, 14000: 1})
    assert sampler_summary.percentile(hist, 50) == 10.0
    assert sampler_summary.percentile(hist, 99) == 10.5
    assert sampler_summary.percentile(hist, 100) == 14.0
    assert sampler_summary.percentile(Counter(), 50) is None


def test_peak_capture_compares_one_process_with_one_process():
    # a tree: summed RSS (1900) is no process's peak; capture compares 900 with 1000
    tree = [(1000, 900), (1000, 800), (200, 200)]
    assert sampler_summary.peak_capture(tree) == (1000, 0.9)
    # ru_maxrss counts when it says more (a short-lived child never sampled)
    assert sampler_summary.peak_capture(tree, maxrss_kb=1800) == (1000, 0.5)
    # a counter approximation put a sample above VmHWM: still at most 1
    assert sampler_summary.peak_capture([(1000, 1010)]) == (1000, 1.0)
    assert sampler_summary.peak_capture([]) == (None, None)


def test_check_process_names_the_process_or_the_file(tmp_path):
    with pytest.raises(procfs.ProcError, match="^no process 12345$"):
        procfs.check_process(12345, proc=str(tmp_path))
    (tmp_path / "77" / "statm").mkdir(parents=True)  # unreadable: a folder, not a file
    with pytest.raises(procfs.ProcError) as e:
        procfs.check_process(77, proc=str(tmp_path))
    assert str(e.value) == f"cannot read {tmp_path}/77/statm: Is a directory"


# --- contracts ----------------------------------------------------------------------------------


def test_trace_header_and_summary_keys_are_the_contract(tmp_path):
    p, s, rows = run(["-q", "--", "sleep", "0.2"], tmp_path)
    assert p.returncode == 0
    assert (tmp_path / "trace.csv").read_text().splitlines()[0] == HEADER
    assert tuple(TRACE_COLUMNS) == contract.TRACE_COLUMNS
    assert set(s) == SUMMARY_KEYS == set(contract.SUMMARY_KEYS)
    assert len(rows) == s["samples"] >= 10
    for r in rows:
        assert len(r["time_s"].split(".")[1]) == 6
        assert all(int(r[k]) >= 0 for k in TRACE_COLUMNS[1:])
    assert {r["nprocs"] for r in rows} == {"1"}  # the guardian is never counted
    assert s["mode"] == "launch" and s["command"] == ["sleep", "0.2"] and s["pid"] > 0
    assert s["interval_ms"] == 10.0 and s["enforce"] == "none" and s["smaps_interval_ms"] is None
    assert s["memory_limit_mb"] is None and s["cgroup_peak_kb"] is None and s["oom_killed"] is None
    assert s["peak_uss_kb"] is None and s["cgroup_events_max"] is None
    assert s["interrupted"] is False and s["interrupt_signal"] is None
    assert s["leftover_processes"] == []
    assert s["started_at"].endswith("Z") and "T" in s["started_at"]
    assert s["sampler_version"] == contract.__version__
    assert s["kernel"] == os.uname().release
    assert not list(tmp_path.glob("*.tmp*"))  # written via a temp file and os.replace


def test_threads_max_is_the_most_threads_of_the_tree_alive_at_once(tmp_path):
    threads = "import threading, time\n" + (
        "ts = [threading.Thread(target=time.sleep, args=(1.2,)) for _ in range(3)]\n"
        "[t.start() for t in ts]\n[t.join() for t in ts]\n"
    )
    p, s, _ = run(["-q", "--", PY, "-S", "-c", threads], tmp_path)
    assert p.returncode == 0 and s["threads_max"] == 4  # the main thread and three
    p, s, _ = run(["-q", "--", "sh", "-c", "sleep 1.2 & sleep 1.2; wait"], tmp_path)
    assert p.returncode == 0 and s["threads_max"] == 3  # summed over sh and two sleeps


def test_the_contract_imports_nothing_of_memsweep_but_the_registry_and_starts_nothing():
    code = "import sys; before = set(sys.modules); import sampling.contract; "
    code += "print(sorted(m for m in set(sys.modules) - before "
    code += "if m.startswith('sampling.') and m not in ('sampling.contract', 'sampling.metrics') "
    code += "or m in {'subprocess', 'argparse'}))"
    env = {**os.environ, "PYTHONPATH": str(ROOT / "scripts")}
    p = subprocess.run([PY, "-c", code], capture_output=True, text=True, env=env, check=True)
    assert p.stdout.strip() == "[]"


def test_trace_columns_agree_with_the_kernels_status(tmp_path):
    # A process reads its own status, then holds still for 0.4 s before printing it (printing
    # touches new pages): the rows sampled while it holds still must say what the kernel said.
    code = (
        "import time; time.sleep(0.5); s = open('/proc/self/status').read(); "
        "time.sleep(0.4); print(s, flush=True)"
    )
    p, s, rows = run(["-q", "--", PY, "-c", code], tmp_path)
    status = {
        line.split(":")[0]: int(line.split()[1])
        for line in p.stdout.splitlines()
        if line.startswith("Vm")
    }
    fields = {
        "vmsize_kb": "VmSize",
        "vmdata_kb": "VmData",
        "vmswap_kb": "VmSwap",
        "vmhwm_kb": "VmHWM",
    }
    same = [r for r in rows if all(int(r[col]) == status[key] for col, key in fields.items())]
    assert len(same) >= 10, (status, rows[-5:])  # about 40 ticks of the 0.4 s hold
    # RSS within 1 MiB: a row from before the read can match the fields above (the read need not
    # move them) while its RSS is a few pages short of what the read faulted in
    assert all(abs(int(r["vmrss_kb"]) - status["VmRSS"]) <= 1024 for r in same)


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
    assert 0.3 <= s["duration_s"] < 5  # from the spawn to the exit, not to a timeout
    assert s["samples"] >= 40 and s["effective_interval_ms"] == pytest.approx(5, abs=1)
    assert s["maxrss_kb"] > 0 and s["hwm_kb"] > 0 and s["exit_code"] == 0 and s["signal"] is None
    assert s["maxrss_is_image"] is True  # sleep is smaller than the guardian it was forked from


@pytest.mark.parametrize(
    ("script", "code", "sig"),
    [("exit 0", 0, None), ("exit 3", 3, None), ("exit 255", 255, None),
     ("kill -KILL $$", 137, 9), ("kill -TERM $$", 143, 15)],
)  # fmt: skip
def test_exit_status_passes_through(tmp_path, script, code, sig):
    p, s, _ = run(["-q", "--", "sh", "-c", script], tmp_path)
    assert p.returncode == code
    assert (s["exit_code"], s["signal"], s["timed_out"]) == (code, sig, False)
    assert s["interrupted"] is False  # a signal the program got elsewhere is data


def test_timeout_terminates_the_process_group(tmp_path):
    p, s, _ = run(["-q", "--timeout", "0.4", "--", "sh", "-c", "sleep 30 & sleep 30"], tmp_path)
    assert p.returncode == 143 and s["exit_code"] == 143 and s["signal"] == 15
    assert s["timed_out"] is True and 0.4 <= s["duration_s"] < 10


def test_timeout_kills_a_command_that_ignores_sigterm(tmp_path):
    p, s, _ = run(["-q", "--timeout", "0.3", "--", "sh", "-c", "trap '' TERM; sleep 30"], tmp_path)
    assert p.returncode == 137 and s["signal"] == 9 and s["timed_out"] is True
    assert contract.KILL_GRACE_S <= s["duration_s"] < contract.KILL_GRACE_S + 10


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


def test_process_tree_includes_a_shell_wrapped_child(tmp_path):
    inner = f"{PY} {BURST} --mb 30 --count 1 --hold-ms 300 --tail-ms 50; exit 0"
    p, s, rows = run(["-q", "--", "sh", "-c", inner], tmp_path)
    assert p.returncode == 0
    assert max(int(r["nprocs"]) for r in rows) == 2
    assert s["peak_rss_kb"] >= 30 * MIB and s["hwm_kb"] >= 30 * MIB
    assert s["maxrss_kb"] >= 30 * MIB and s["maxrss_is_image"] is False
    assert 0.9 <= s["peak_capture"] <= 1  # one process's samples over its own peak

    p, s, rows = run(["-q", "--no-children", "--", "sh", "-c", inner], tmp_path)
    assert {int(r["nprocs"]) for r in rows} == {1}
    assert s["peak_rss_kb"] < 10 * MIB  # the shell alone


def test_a_tree_sharing_memory_reads_capture_at_most_1_and_pss_counts_it_once(tmp_path):
    # Two processes share a 24 MiB mapping: summed RSS counts it twice, PSS once.
    code = (
        "import mmap, os, time\n"
        "m = mmap.mmap(-1, 24 << 20, flags=mmap.MAP_SHARED | mmap.MAP_ANONYMOUS)\n"
        "chunk = b'x' * (1 << 20)  # written a MiB at a time: no 24 MiB copy in USS\n"
        "for _ in range(24): m.write(chunk)\n"
        "if os.fork() == 0:\n"
        "    m[::4096]  # touch every page: resident in the child too\n"
        "    time.sleep(0.6); os._exit(0)\n"
        "m[::4096]; time.sleep(0.6); os.wait()\n"
    )
    p, s, _ = run(["-q", "--smaps-interval-ms", "100", "--", PY, "-c", code], tmp_path)
    assert p.returncode == 0, p.stderr
    assert s["smaps_interval_ms"] == 100
    assert s["peak_rss_kb"] >= 2 * 24 * MIB  # the mapping twice
    assert 24 * MIB <= s["peak_pss_kb"] <= s["peak_rss_kb"] - 20 * MIB  # once
    # USS counts a page only in the one process that maps it: while both map the 24 MiB, in
    # neither; for the moments one process holds it alone (before the child touches it, after
    # it exits) in that one. Never twice, as the summed RSS does.
    assert s["peak_uss_kb"] <= s["peak_rss_kb"] - 20 * MIB
    assert s["peak_capture"] <= 1


def test_a_forking_tree_reads_pss_that_counts_the_parents_pages_once(tmp_path):
    # A 40 MiB parent forks 20 children, 4 alive at once, 5 MiB each: by construction the tree
    # holds about 40 + 4 x 5 MiB plus the interpreters; summed RSS counts the 40 MiB per child.
    forker = [PY, str(FORKER), "--parent-mb", "40", "--children", "20", "--alive", "4"]
    p, s, rows = run(["-q", "--", *forker, "--child-mb", "5"], tmp_path)
    assert p.returncode == 0, p.stderr
    assert s["smaps_interval_ms"] is None  # not asked for: read because the tree had 2+
    assert s["peak_nprocs"] >= max(int(r["nprocs"]) for r in rows) >= 3
    assert s["peak_rss_kb"] >= 2 * 40 * MIB + s["peak_pss_kb"] // 2  # the 40 MiB, n times
    assert 50 * MIB <= s["peak_pss_kb"] <= 100 * MIB  # once
    assert s["hwm_kb"] >= 40 * MIB


def test_a_single_process_reads_no_smaps(tmp_path):
    p, s, _ = run(["-q", "--", PY, str(BURST), "--mb", "20", "--count", "1"], tmp_path)
    assert p.returncode == 0 and s["peak_nprocs"] == 1
    assert s["peak_pss_kb"] is None and s["peak_uss_kb"] is None


def test_vmhwm_is_never_below_the_sampled_peak_of_a_short_process(tmp_path):
    # Each run: 30 MiB within 0.1 s of the start, gone 0.2 s later: status is read at the start
    # (a small interpreter) and next at 0.5 s, after the end; the samples see the 30 MiB.
    burst = [PY, str(BURST), "--mb", "30", "--hold-ms", "100", "--count", "1", "--tail-ms", "0"]
    for _ in range(4):
        p, s, _ = run(["-q", "--interval-ms", "5", "--", *burst], tmp_path)
        assert p.returncode == 0, p.stderr
        assert s["peak_rss_kb"] >= 30 * MIB
        assert s["hwm_kb"] >= s["peak_rss_kb"] and s["peak_capture"] <= 1


# --- metrics --------------------------------------------------------------------------------------


def test_cpu_io_and_faults_of_the_tree(tmp_path):
    # A shell runs a child that burns CPU and writes a file of known size; the child prints
    # what the kernel says of its own CPU, and the file is 2 MB.
    out = tmp_path / "data.bin"
    code = (
        "import os, resource, time\n"
        "t = time.process_time()\n"
        "while time.process_time() - t < 0.3: pass\n"
        f"open({str(out)!r}, 'wb').write(b'x' * 2_000_000)\n"
        "r = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(r.ru_utime + r.ru_stime, flush=True)\n"
    )
    p, s, _ = run(["-q", "--", "sh", "-c", f'{PY} -c "$0"', code], tmp_path)
    assert p.returncode == 0, p.stderr
    own = float(p.stdout)
    cpu = s["cpu_user_s"] + s["cpu_system_s"]
    assert own <= cpu <= own + 0.15  # the child's CPU, plus the shell's and its own exit
    assert 2_000_000 <= s["wchar_bytes"] <= 2_000_000 + 1000  # the file, and one printed line
    assert s["rchar_bytes"] > 0 and s["minor_faults"] > 100 and s["major_faults"] >= 0
    assert s["voluntary_switches"] >= 1 and s["involuntary_switches"] >= 0
    assert s["cpu_load_cores"] == pytest.approx(cpu / s["duration_s"], abs=0.01)


def test_attach_mode_reads_cpu_from_proc(tmp_path):
    code = (
        "import os, time\ntime.sleep(0.3)\nt = time.process_time()\n"
        "while time.process_time() - t < 0.4: pass\nprint(sum(os.times()[:2]), flush=True)\n"
    )
    target = subprocess.Popen([PY, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        p, s, _ = run(["-q", "--pid", str(target.pid)], tmp_path)
    finally:
        own = float(target.communicate()[0])
    assert p.returncode == 0 and s["exit_code"] == 0
    assert own - 0.02 <= s["cpu_user_s"] + s["cpu_system_s"] <= own + 0.1  # in clock ticks
    assert s["voluntary_switches"] is None  # known in launch mode only


# --- attach mode ----------------------------------------------------------------------------------


def test_attach_follows_a_process_and_its_children(tmp_path):
    target = subprocess.Popen(["sh", "-c", f"sleep 0.2; {PY} {BURST} --mb 20 --count 1; exit 4"])
    try:
        p, s, rows = run(["-q", "--pid", str(target.pid)], tmp_path)
    finally:
        target.wait()
    assert p.returncode == 0
    assert s["mode"] == "attach" and s["pid"] == target.pid and s["maxrss_kb"] is None
    assert s["command"][0] == "sh" and s["leftover_processes"] is None
    assert s["peak_rss_kb"] >= 20 * MIB and max(int(r["nprocs"]) for r in rows) == 2
    assert s["exit_code"] == 4  # read from the zombie's /proc/PID/stat


def test_attach_ends_on_a_zombie_nobody_reaps(tmp_path):
    target = subprocess.Popen(["sh", "-c", "sleep 1; exit 5"])  # this test does not reap it
    p, s, _ = run(["-q", "--pid", str(target.pid)], tmp_path)
    state = Path(f"/proc/{target.pid}/stat").read_text().split(") ")[1][0]
    assert state == "Z"  # still a zombie: nobody reaped it
    target.wait()
    assert p.returncode == 0
    assert s["samples"] > 0 and s["duration_s"] < 1.5 and s["exit_code"] == 5


def started_by_a_shell(script: str) -> tuple[subprocess.Popen, int]:
    """A shell that starts a background job and prints its pid (the handshake), then waits for
    it and reaps it: the job is not the sampler's child, nor the test's."""
    shell = subprocess.Popen(["sh", "-c", f"{script} & echo $!; wait"], stdout=subprocess.PIPE)
    return shell, int(shell.stdout.readline())


def test_attach_to_a_process_another_reaps_ends_reaped_with_exit_0(tmp_path):
    shell, pid = started_by_a_shell("sleep 0.5")
    try:
        p, s, rows = run(["--pid", str(pid)], tmp_path)
    finally:
        shell.wait()
    assert p.returncode == 0, p.stderr
    assert s["end"] == "reaped" and s["exit_code"] is None and s["samples"] == len(rows) > 0
    last = p.stderr.strip().splitlines()[-1]
    assert last.endswith("target ended, reaped by another process (exit status unknown)")


def test_attach_timeout_ends_timeout_with_exit_0_and_the_target_runs_on(tmp_path):
    shell, pid = started_by_a_shell("sleep 30")
    try:
        p, s, _ = run(["--pid", str(pid), "--timeout", "0.3"], tmp_path)
        assert Path(f"/proc/{pid}").exists()  # the sampler only stopped looking
    finally:
        os.kill(pid, signal.SIGKILL)
        shell.wait()
    assert p.returncode == 0, p.stderr
    assert s["end"] == "timeout" and s["timed_out"] is True and s["timeout_s"] == 0.3
    assert p.stderr.strip().endswith("timed out, the target still runs")


def test_attach_to_a_zombie_ends_exit_with_its_status_and_no_sample(tmp_path):
    target = subprocess.Popen(["sh", "-c", "exit 6"])
    os.waitid(os.P_PID, target.pid, os.WEXITED | os.WNOWAIT)  # a zombie, not reaped
    try:
        p, s, _ = run(["--pid", str(target.pid)], tmp_path)
    finally:
        target.wait()
    assert p.returncode == 0, p.stderr
    assert s["end"] == "exit" and s["exit_code"] == 6 and s["samples"] == 0
    assert s["hwm_kb"] is None and s["peak_rss_kb"] is None  # nothing measured is no 0


def test_attach_to_a_process_reaped_before_the_first_sample_ends_vanished(tmp_path, monkeypatch):
    target = subprocess.Popen(["sleep", "30"])

    class ReapedOnceOpened(proctree.Tree):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            target.kill()
            target.wait()  # its /proc files, already open, now read ESRCH

    monkeypatch.setattr(engine.proctree, "Tree", ReapedOnceOpened)
    settings = contract.Settings(pid=target.pid, out=str(tmp_path / "t.csv"))
    s, status = engine.Run(settings, contract.Messages(quiet=True)).execute()
    assert status == 0 and s["end"] == "vanished" and s["samples"] == 0
    assert s["exit_code"] is None and s["peak_rss_kb"] is None
    assert sampler_summary.closing_line(s).endswith(
        "target ended before the first sample (nothing measured)"
    )


@pytest.mark.skipif(
    os.geteuid() != 0 or not os.access("/usr/bin/python3", os.X_OK),
    reason="needs root, to run the sampler as nobody with /usr/bin/python3",
)
def test_attach_to_another_users_process_says_why_cpu_and_io_are_empty(tmp_path):
    shell, pid = started_by_a_shell("sleep 0.5")  # root's
    folder = Path(tempfile.mkdtemp(prefix="memsweep-nobody-"))  # pytest's tmp_path is root's
    folder.chmod(0o777)
    out, summ = folder / "t.csv", folder / "s.json"
    cmd = ["/usr/bin/python3", str(SAMPLER), "-q", "--pid", str(pid), "--out", str(out)]
    try:
        p = subprocess.run(
            [*cmd, "--summary", str(summ)], capture_output=True, text=True, user="nobody",
            timeout=30,
        )  # fmt: skip
    finally:
        shell.wait()
    s = json.loads(summ.read_text()) if summ.exists() else None
    shutil.rmtree(folder)
    assert p.returncode == 0, p.stderr
    assert s["end"] == "reaped" and s["samples"] > 0 and s["peak_rss_kb"] > 0
    assert s["cpu_user_s"] is None and s["read_bytes"] is None
    assert len(s["notes"]) == 1 and s["notes"][0].startswith(
        f"CPU, faults and I/O unknown: /proc/{pid}/io cannot be read (Permission denied)"
    )
    assert p.stderr == f"sampler: warning: {s['notes'][0]}\n"


def test_attach_to_a_missing_pid_exits_2(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    p, s, _ = run(["--pid", str(dead.pid)], tmp_path)
    assert p.returncode == 2 and p.stderr == f"sampler: no process {dead.pid}\n"
    assert s is None and not (tmp_path / "trace.csv").exists()


def test_attach_interrupted_says_so_and_leaves_the_target_alone(tmp_path):
    target = subprocess.Popen(["sleep", "30"])
    try:
        out, summ = tmp_path / "t.csv", tmp_path / "s.json"
        args = [PY, str(SAMPLER), "--pid", str(target.pid), "--out", str(out)]
        with subprocess.Popen(
            [*args, "--summary", str(summ)], stderr=subprocess.PIPE, text=True
        ) as p:
            sampling_started(out)
            p.send_signal(signal.SIGINT)
            _, err = p.communicate(timeout=5)
        assert p.returncode == 130 and target.poll() is None  # the target is left alone
        s = json.loads(summ.read_text())
        assert s["samples"] > 0 and s["exit_code"] is None
        assert s["interrupted"] is True and s["interrupt_signal"] == 2
        last = err.strip().splitlines()[-1]
        assert last.endswith("interrupted by signal 2, the target still runs")
        assert "target ended" not in err
    finally:
        target.kill()
        target.wait()


# --- signals, and processes left behind -------------------------------------------------------


@pytest.mark.parametrize(("sig", "code"), [(signal.SIGTERM, 143), (signal.SIGINT, 130)])
def test_a_signal_to_the_sampler_is_an_interrupted_run(tmp_path, sig, code):
    marker = f"memsweep-interrupt-{os.getpid()}-{sig}"
    command = ["bash", "-c", f"echo ready; (exec -a {marker} sleep 30); true"]
    out, summ = tmp_path / "trace.csv", tmp_path / "s.json"
    args = [PY, str(SAMPLER), "-q", "--out", str(out), "--summary", str(summ), "--", *command]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout.readline() == "ready\n"
        assert appeared(marker)  # the shell started its child
        sampling_started(out)  # and the sampler took samples
        p.send_signal(sig)
        _, err = p.communicate(timeout=10)
    assert "Traceback" not in err
    assert p.returncode == code
    s = json.loads(summ.read_text())
    assert s["interrupted"] is True and s["interrupt_signal"] == sig
    assert s["samples"] > 0 and s["signal"] == sig  # the command got the same signal
    assert gone(marker)


def test_a_signal_to_the_guardian_is_an_interrupted_run_too(tmp_path):
    marker = f"memsweep-guardian-{os.getpid()}"
    command = ["bash", "-c", f"echo ready; (exec -a {marker} sleep 30); true"]
    out, summ = tmp_path / "trace.csv", tmp_path / "s.json"
    args = [PY, str(SAMPLER), "-q", "--out", str(out), "--summary", str(summ), "--", *command]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout.readline() == "ready\n"
        guardian = int(Path(f"/proc/{p.pid}/task/{p.pid}/children").read_text().split()[0])
        os.kill(guardian, signal.SIGTERM)
        _, err = p.communicate(timeout=10)
    assert p.returncode == 143 and "the run's guardian got SIGTERM" in err
    s = json.loads(summ.read_text())
    assert s["interrupted"] is True and s["interrupt_signal"] == 15
    assert gone(marker)


def test_sigkill_of_the_sampler_leaves_no_process_of_the_run(tmp_path):
    # The command is a shell script that starts the real program: a grandchild of the guardian.
    marker = f"memsweep-orphan-{os.getpid()}"
    command = ["sh", "-c", f"echo ready; {PY} -c 'import time; time.sleep(30)' {marker}; true"]
    args = [PY, str(SAMPLER), "-q", "--out", str(tmp_path / "t.csv"), "--", *command]
    with subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) as p:
        assert p.stdout.readline() == "ready\n"
        assert appeared(marker)
        p.kill()
        _, err = p.communicate(timeout=10)  # EOF once the guardian, too, has ended
    assert p.returncode == -9
    assert gone(marker)
    assert "ended before its run did" in err  # the guardian says what happened
    assert (tmp_path / "t.csv").read_text().startswith(HEADER)  # a valid prefix


def test_a_daemon_that_outlives_the_command_is_recorded_and_killed(tmp_path):
    marker = f"memsweep-daemon-{os.getpid()}"
    daemon = (
        "import os, time\n"
        "if os.fork(): os._exit(0)\n"  # double fork and setsid: away from the group
        "os.setsid()\n"
        "if os.fork(): os._exit(0)\n"
        "x = bytearray(8 << 20)\n"
        "time.sleep(30)\n"
    )
    command = ["sh", "-c", f'{PY} -c "$0" {marker}; sleep 0.3', daemon]
    p, s, _ = run(["-q", "--", *command], tmp_path)
    assert p.returncode == 0 and s["exit_code"] == 0
    (left,) = s["leftover_processes"]
    assert marker in left["cmdline"] and left["rss_kb"] >= 8 * MIB and left["pid"] > 0
    assert "left 1 process(es) running; killed" in p.stderr
    assert gone(marker)


def test_a_background_job_left_in_the_group_is_recorded_and_killed(tmp_path):
    marker = f"memsweep-leftover-{os.getpid()}"
    # the shell ends once its job has exec'd (its cmdline shows the marker), not before
    job = f"exec -a {marker} sleep 30 & until grep -q {marker} /proc/$!/cmdline; do :; done"
    p, s, _ = run(["-q", "--", "bash", "-c", f"{job}; echo started"], tmp_path)
    assert p.returncode == 0 and s["exit_code"] == 0
    assert [d["cmdline"] for d in s["leftover_processes"]] == [f"{marker} 30"]
    assert gone(marker)


def test_late_ticks_are_skipped_and_counted_never_bursted(tmp_path):
    # Stop the sampler for 60 ms in the middle of a 10 ms run: the ticks it missed are counted,
    # and no burst of samples makes up for them.
    out, summ = tmp_path / "t.csv", tmp_path / "s.json"
    args = [PY, str(SAMPLER), "-q", "--out", str(out), "--summary", str(summ), "--", "sleep", "2"]
    with subprocess.Popen(args) as p:
        sampling_started(out)  # the sampler is in its tick loop
        p.send_signal(signal.SIGSTOP)
        time.sleep(0.06)
        p.send_signal(signal.SIGCONT)
    s = json.loads(summ.read_text())
    assert s["missed_ticks"] >= 3
    times = [float(r.split(",")[0]) for r in out.read_text().splitlines()[1:]]
    spans = [c - a for a, c in zip(times, times[2:], strict=False)]
    assert min(spans) >= 0.0099  # any 3 consecutive samples span an interval: no catch-up burst


# --- usage ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [(["--interval-ms", "abc", "--", "true"],
      "argument --interval-ms: must be a number of milliseconds >= 0.5, not 'abc'"),
     (["--interval-ms", "0.4", "--", "true"], "argument --interval-ms: must be"),
     (["--pid", "abc"], "argument --pid: must be a process id >= 1, not 'abc'"),
     (["--timeout", "0", "--", "true"], "argument --timeout: must be a number of seconds > 0"),
     (["--smaps-interval-ms", "x", "--", "true"], "argument --smaps-interval-ms: must be"),
     (["--env", "NOEQUALS", "--", "true"], "argument --env: must be KEY=VALUE, not 'NOEQUALS'"),
     ([], "give a command after --"), (["--pid", "1", "--", "true"], "not both"),
     (["--enforce", "cgroup", "--", "true"], "go together"),
     (["--memory-limit-mb", "100", "--", "true"], "go together")],
)  # fmt: skip
def test_usage_errors_name_the_option_and_exit_2(tmp_path, args, message):
    p, s, _ = run(args, tmp_path)
    assert p.returncode == 2 and message in p.stderr and s is None


def test_runs_from_any_folder(tmp_path):
    p = subprocess.run(
        [PY, str(SAMPLER), "--version"], cwd=tmp_path, capture_output=True, text=True
    )
    assert p.stdout.strip() == f"sampler.py {contract.__version__}"
    p = subprocess.run(
        [PY, str(SAMPLER), "-q", "--out", "t.csv", "--", "true"],
        cwd=tmp_path, capture_output=True, text=True,
    )  # fmt: skip
    assert p.returncode == 0, p.stderr
    assert (tmp_path / "t.csv").read_text().startswith("time_s,")


# --- fidelity ------------------------------------------------------------------------------------


def _self_hwm(stdout: str) -> int:
    line = [ln for ln in stdout.splitlines() if ln.startswith("VmHWM:")][-1]
    return int(line.split()[1])


def test_burst_fidelity_at_10ms(tmp_path):
    burst = [PY, str(BURST), "--mb", "40", "--hold-ms", "40", "--count", "3"]
    p, s, _ = run(["-q", "--interval-ms", "10", "--", *burst], tmp_path)
    assert p.returncode == 0
    # the kernel's VmHWM as the workload reads it, or the sampled peak where a per-CPU counter
    # approximation put a sample above it (VmHWM in the summary is never below a sampled RSS)
    assert s["hwm_kb"] == max(_self_hwm(p.stdout), s["peak_rss_kb"])
    assert s["hwm_kb"] >= 40 * MIB
    assert s["peak_rss_kb"] >= 0.95 * s["hwm_kb"]  # the samples caught the bursts
    assert s["peak_capture"] >= 0.95


def test_burst_shorter_than_the_interval_shows_in_hwm_and_capture(tmp_path):
    # Samples at ~0 s (interpreter starting) and ~1 s (long after the burst): none sees it.
    burst = [PY, str(BURST), "--mb", "30", "--hold-ms", "0", "--count", "1", "--tail-ms", "1300"]
    p, s, _ = run(["-q", "--interval-ms", "1000", "--", *burst], tmp_path)
    assert p.returncode == 0
    assert s["hwm_kb"] == max(_self_hwm(p.stdout), s["peak_rss_kb"]) >= 30 * MIB
    assert s["peak_rss_kb"] < s["hwm_kb"] - 20 * MIB
    assert s["peak_capture"] < 0.6


def test_a_small_command_is_not_reported_as_missed_by_the_samples(tmp_path):
    small = [PY, "-S", "-c", "import time; time.sleep(0.3)"]
    p, s, _ = run(["-q", "--interval-ms", "5", "--", *small], tmp_path)
    assert p.returncode == 0
    assert s["maxrss_is_image"] is True  # ru_maxrss is the guardian's image, not the command
    assert s["peak_capture"] >= 0.95


@pytest.mark.skipif(os.geteuid() != 0 or not shutil.which("chrt"), reason="needs root and chrt")
def test_a_real_time_sampler_runs_the_command_at_normal_policy(tmp_path):
    policy = [PY, "-c", "import os; print(os.sched_getscheduler(0))"]
    out, summ = tmp_path / "t.csv", tmp_path / "s.json"
    cmd = ["chrt", "-f", "1", PY, str(SAMPLER), "-q", "--out", str(out), "--summary", str(summ)]
    p = subprocess.run([*cmd, "--", *policy], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and int(p.stdout) == os.SCHED_OTHER
