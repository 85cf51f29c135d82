"""Phases from the program's output: the reader, the phases of a run, and real runs: a line is
timestamped within one interval of its writing, a program of no one here (xz through a shell
script) gets its peak in the step that used the most memory, buffered output is noticed."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import campaign.config
import tables
from analysis import phases
from contracts import RUN_PHASE_COLUMNS
from sampling import contract as sampler_contract
from sampling import engine
from sampling import phases as sampler_phases
from verdicts import phases as phase_verdicts

ROOT = Path(__file__).resolve().parents[1]
PHASED = ROOT / "tests/workloads/phased.py"
WRAPPER = ROOT / "scripts/monitor.py"
PY = sys.executable
PATTERN = r"^phase (\w+) at"
MIB_KB = 1024


# --- the reader ---------------------------------------------------------------------------------


def test_the_reader_stamps_each_complete_matching_line_with_the_tick_that_saw_it(tmp_path):
    log = tmp_path / "solver.log"
    log.write_bytes(b"")
    reader = sampler_phases.Reader(str(log), r"^step (\S+)")
    with open(log, "ab", buffering=0) as out:
        out.write(b"hello\nstep load")  # the line is not complete yet
        reader.poll(0.01)
        assert reader.markers == []
        out.write(b"ing\r\nnoise\nstep solve\n")
        reader.poll(0.02)
        reader.poll(0.03)  # nothing new: nothing added
        out.write(b"step write")  # never ended: the program exited
        assert reader.finish(0.05) == [(0.02, "loading"), (0.02, "solve"), (0.05, "write")]
    assert reader.fd is None


def test_a_group_that_did_not_take_part_names_the_phase_by_the_whole_match(tmp_path):
    log = tmp_path / "solver.log"
    log.write_text("Setup done\nBucket 2/3: 8M\n")
    reader = sampler_phases.Reader(str(log), r"^(Bucket \d/\d)|^Setup")
    assert reader.finish(1.0) == [(1.0, "Setup"), (1.0, "Bucket 2/3")]


def test_phases_without_a_line_and_with_lines_after_the_last_sample():
    samples = [(0.0, 1024, 1024), (0.01, 2048, 2048)]
    only = sampler_phases.phase_rows([], samples, 0.02)
    assert [(r["phase"], r["samples"], r["peak_mb"]) for r in only] == [("(start)", 2, 2.0)]
    late = sampler_phases.phase_rows([(0.0, "a"), (0.03, "b")], samples, 0.02)
    assert [r["phase"] for r in late] == ["a", "b"]  # no sample before "a": no (start)
    assert late[1]["samples"] == 0 and late[1]["peak_mb"] is None
    assert late[1]["start_s"] == late[1]["end_s"] == 0.03
    header = sampler_phases.csv_text(late).splitlines()[0]
    assert header.split(",") == RUN_PHASE_COLUMNS


@pytest.mark.parametrize(("pattern", "groups"), [("phase \\w+", 0), ("(a)(b)", 2)])
def test_a_pattern_without_exactly_one_group_is_a_config_error(pattern, groups):
    with pytest.raises(campaign.config.ConfigError) as err:
        campaign.config.load({"solver": {"phase_pattern": pattern}}, cwd=ROOT)
    text = str(err.value)
    assert "solver.phase_pattern" in text and repr(pattern) in text and f"{groups} groups" in text


# --- real runs ----------------------------------------------------------------------------------


def sample_phased(tmp_path, steps, interval_ms=20.0, env=None, settle_ms=0):
    """The phased workload sampled in this process: (summary, t0 of the trace, markers, rows)."""
    log = tmp_path / "solver.log"
    out = os.open(log, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
    reader = sampler_phases.Reader(str(log), PATTERN)
    settings = sampler_contract.Settings(
        command=[PY, str(PHASED), *steps, "--hold-ms", "150", "--settle-ms", str(settle_ms)],
        interval_ms=interval_ms,
        out=str(tmp_path / "trace.csv"), stdout=out, stderr=out,
        env={"PYTHONUNBUFFERED": "1", **(env or {})}, phases=reader,
    )  # fmt: skip
    run = engine.Run(settings, sampler_contract.Messages(quiet=True))
    try:
        summary, status = run.execute()
    finally:
        os.close(out)
    assert status == 0
    markers = reader.finish(summary["duration_s"])
    samples = list(sampler_phases.trace_samples(str(tmp_path / "trace.csv")))
    return run.t0, log.read_text(), markers, samples


def test_a_line_is_stamped_within_one_interval_of_its_writing(tmp_path):
    # the memory comes 3 intervals after its line: each phase's peak is its own to the MB
    steps = ["load:20", "solve:60", "write:5"]
    t0, text, markers, samples = sample_phased(tmp_path, steps, settle_ms=60)
    written = {line.split()[1]: float(line.split()[3]) - t0 for line in text.splitlines()}
    assert [name for _, name in markers] == ["load", "solve", "write"]
    times = [t for t, _, _ in samples]
    for seen, name in markers:
        # the tick's time is taken just before its read, so a line written in between is seen
        # by that tick (a few microseconds "early"); otherwise at the next tick or the one after
        assert seen >= written[name] - 0.001, (name, seen, written[name])
        between = [t for t in times if written[name] < t < seen]
        assert len(between) <= 1, (name, seen, written[name], between)
    rows = sampler_phases.phase_rows(markers, samples, times[-1])
    peaks = {r["phase"]: r["peak_mb"] for r in rows}
    # each phase's peak is its own memory on top of the interpreter's (which moves by a few MB)
    assert peaks["solve"] > peaks["load"] > peaks["write"], peaks
    assert 30 < peaks["solve"] - peaks["load"] < 50, peaks


XZ_STEPS = """\
#!/bin/sh
# three steps of a program nobody here wrote, each announced before it starts
echo "step: xz -1"
xz -1 -T1 -c "$1" > /dev/null
echo "step: xz -9"
xz -9 -T1 -c "$1" > /dev/null
echo "step: gzip -1"
gzip -1 -c "$1" > /dev/null
"""


@pytest.mark.skipif(shutil.which("xz") is None, reason="needs xz (Debian's xz-utils)")
def test_a_shell_script_running_xz_gets_its_peak_in_the_xz_9_step(tmp_path):
    script = tmp_path / "steps.sh"
    script.write_text(XZ_STEPS)
    script.chmod(0o755)
    data = tmp_path / "input.bin"
    data.write_bytes(os.urandom(1 << 20))  # 1 MiB: xz -9 still sets up its ~90 MB of tables
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [PY, str(WRAPPER), "--run-dir", str(run_dir), "--variant", "v", "--limit-mb", "300",
         "--bucket-model", "auto", "--repeat", "1", "--interval-ms", "10", "--timeout", "120",
         "--phase-pattern", r"^step: (.+)$", "--", str(script), str(data)],
        capture_output=True, text=True, timeout=180,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = tables.RUN_PHASES.read(run_dir / "phases.csv")
    # (start) only when a sample came before the first line (the shell prints it at once)
    assert found["phase"].tolist()[-3:] == ["xz -1", "xz -9", "gzip -1"]
    gathered = phases.gather(
        pd.DataFrame([{"variant": "v", "limit_mb": 300, "bucket_model": "auto", "repeat": 1,
                       "run_dir": str(run_dir)}]),
        {str(run_dir): found},
    )  # fmt: skip
    held = gathered.loc[gathered["holds_peak"], "phase"].tolist()
    assert held == ["xz -9"]
    peak = dict(zip(found["phase"], found["peak_mb"].astype(float), strict=True))
    assert peak["xz -9"] > 2 * peak["xz -1"] and peak["xz -9"] > 2 * peak["gzip -1"], peak


NO_FLUSH = """\
import mmap, time
for name, mib in (("load", 10), ("solve", 30)):
    print(f"phase {name} at {time.monotonic()}")  # no flush: buffered unless PYTHONUNBUFFERED
    block = mmap.mmap(-1, mib << 20, flags=mmap.MAP_SHARED | mmap.MAP_POPULATE)
    time.sleep(0.3)
    block.close()
"""


@pytest.mark.parametrize(("env", "level"), [((), "ok"), (("--env", "PYTHONUNBUFFERED="), "warn")])
def test_output_a_program_buffers_arrives_at_its_end_and_is_a_warning(tmp_path, env, level):
    """Python buffers its output to a file unless PYTHONUNBUFFERED is set, as memsweep sets it
    for every run: then the lines arrive at the program's exit, all at once."""
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [PY, str(WRAPPER), "--run-dir", str(run_dir), "--variant", "v", "--limit-mb", "300",
         "--bucket-model", "auto", "--repeat", "1", "--interval-ms", "10", "--timeout", "60",
         "--phase-pattern", PATTERN, *env, "--", PY, "-c", NO_FLUSH],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = tables.RUN_PHASES.read(run_dir / "phases.csv")
    assert found["phase"].tolist() == ["(start)", "load", "solve"]
    run = pd.read_json(run_dir / "run.json", typ="series")
    runs = pd.DataFrame([{"variant": "v", "limit_mb": 300, "bucket_model": "auto", "repeat": 1,
                          "run_dir": str(run_dir), "status": "ok", "in_grid": True,
                          "effective_interval_ms": run["effective_interval_ms"]}])  # fmt: skip
    rows = phase_verdicts.phase_rows(
        phases.gather(runs, {str(run_dir): found}), runs, {"phase_pattern": PATTERN}
    )
    assert [r["level"] for r in rows] == [level]
    marked = found[found["phase"] != "(start)"]
    if level == "warn":
        assert "output was buffered" in rows[0]["message"]
        # the lines came as the program exited: its phases hold its last few samples only
        assert marked["samples"].sum() <= 0.05 * found["samples"].sum() + 2
    else:
        assert (marked["samples"] > 10).all() and "'solve'" in rows[0]["message"]


def test_a_program_that_cannot_start_still_gets_its_phases_file(tmp_path):
    """The monitor rule declares phases.csv: a run without samples has the (start) phase only."""
    run_dir = tmp_path / "run"
    proc = subprocess.run(
        [PY, str(WRAPPER), "--run-dir", str(run_dir), "--variant", "v", "--limit-mb", "300",
         "--bucket-model", "auto", "--repeat", "1", "--phase-pattern", PATTERN,
         "--", str(tmp_path / "no-such-program")],
        capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    found = tables.RUN_PHASES.read(run_dir / "phases.csv")
    assert found["phase"].tolist() == ["(start)"] and found["samples"].tolist() == [0]


def test_a_pattern_matching_nothing_anywhere_is_one_warning_naming_it():
    phase_runs = pd.DataFrame({"variant": "v", "limit_mb": 300, "bucket_model": "auto",
                               "repeat": [1], "phase": ["(start)"], "start_s": [0.0],
                               "end_s": [1.0], "holds_peak": [True]})  # fmt: skip
    rows = phase_verdicts.phase_rows(phase_runs, phase_runs, {"phase_pattern": r"^Stage (\d+)"})
    assert len(rows) == 1 and rows[0]["level"] == "warn"
    assert "'^Stage (\\\\d+)'" in rows[0]["message"] and "matched no line" in rows[0]["message"]
