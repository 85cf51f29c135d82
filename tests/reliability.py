"""Inject faults into a small real campaign and report, one line each, what a user would see.

    $ python tests/reliability.py            # about 5 minutes; or some: "kill -9" "SIGTERM"
    fault                         | what the user saw                          | lost | rerun
    corrupt trace (garbage)       | exit 1: results/runs/.../trace.csv: head…  | none | redid 1 run
    ...

For every fault: what was injected, what the user saw (exit status and the line that names the
cause), whether any finished measurement was lost (every other run's folder must be byte for byte
as before: it must be "none"), and whether a plain rerun (or the command the message gives) redid
only what was needed. It exits 1 when a fault was not caught, lost a measurement, or its rerun did
more or less than needed. Each fault runs on its own copy of one finished campaign, with real
processes and real files (a real tmpfs for the full disk, where mounting is allowed). A process
of the campaign still running once its fault is done (none should: no process of a run outlives
its campaign) fails that fault, and is killed before the next copy is made.
"""

import contextlib
import hashlib
import json
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from functools import partial
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE), str(HERE.parent / "scripts")]
from workflow_helpers import make_project, snakemake, write_config  # noqa: E402

CAMPAIGN = {
    "solver": {"env": {"DEMO_SCALE": "0.02", "DEMO_HOLD_S": "100"}, "timeout_s": 60},
    "grid": {"memory_limits_mb": [300, 600], "bucket_models": ["4M/8M/4M"], "repeats": 2},
    "sampler": {"interval_ms": 5},
    "thresholds": [],
}
RUN = "results/runs/default/300MB/4M-8M-4M/rep1"
ENDED_S = 30.0  # how long the processes of a run that was stopped may take to end
FAULTS = []


def fault(name):
    def register(function):
        FAULTS.append((name, function))
        return function

    return register


def fingerprint(project: Path, skip: str | None = None) -> dict:
    """{file: sha1} of every run folder's files but skip's."""
    out = {}
    for path in sorted((project / "results/runs").rglob("*")):
        if path.name.startswith(".") and path.name.endswith(".lock"):
            continue  # a run's lock (scripts/sampling/tether.py), not a measurement
        if path.is_file() and not (skip and str(path.relative_to(project)).startswith(skip)):
            out[str(path.relative_to(project))] = hashlib.sha1(path.read_bytes()).hexdigest()
    return out


def cause(proc) -> str:
    """The line of Snakemake's output that names the cause."""
    text = proc.stdout + proc.stderr
    for pattern in (r"memsweep: .*", r"config error .*", r"(?m)^.*No space left.*$",
                    r"(?m)^.*interrupted.*$", r"(?m)^.*ended before its run did.*$",
                    r"Error in rule \w+:"):  # fmt: skip
        match = re.search(pattern, text)
        if match:
            return match.group(0).strip()[:110]
    return text.strip().splitlines()[-1][:110] if text.strip() else "(nothing)"


def planned(project: Path) -> dict:
    proc = snakemake(project, "-n", "--cores", "1", "all", "--configfile", "campaign.yaml")
    text = proc.stdout + proc.stderr
    if "Job stats" not in text:
        return {}
    table = text.split("Job stats:", 1)[1].split("Reasons:", 1)[0]
    jobs = {}
    for line in table.splitlines():
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if match and match.group(1) != "total":
            jobs[match.group(1)] = int(match.group(2))
    return jobs


def run_all(project: Path, *extra) -> subprocess.CompletedProcess:
    return snakemake(project, "--cores", "1", "all", "--configfile", "campaign.yaml", *extra)


def jobs(text: str) -> dict:
    """{rule: count} from the 'Job stats' table Snakemake prints before it runs anything."""
    if "Job stats:" not in text:
        return {}
    found = {}
    for line in text.split("Job stats:", 1)[1].splitlines()[3:]:
        match = re.match(r"^(\w+)\s+(\d+)$", line.strip())
        if not match or match.group(1) == "total":
            break
        found[match.group(1)] = int(match.group(2))
    return found


def paste(project: Path, command: str) -> subprocess.CompletedProcess:
    """Run a command as a user pasting it into a shell in the campaign's folder."""
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}:{os.environ['PATH']}"}
    return subprocess.run(["bash", "-c", command], cwd=project, capture_output=True, text=True,
                          env=env, timeout=600)  # fmt: skip


def damaged_file(project, path, content):
    """Damage one file of a finished run; the campaign must stop naming it, and the redo
    command it prints, pasted as printed, must redo that run alone and finish."""
    target = project / path
    before = fingerprint(project, skip=RUN)
    text = target.read_text()
    damaged = content(text) if callable(content) else content
    target.write_text(damaged) if isinstance(damaged, str) else target.write_bytes(damaged)
    os.utime(target)
    proc = run_all(project)
    lost = "none" if fingerprint(project, skip=RUN) == before else "OTHER RUNS CHANGED"
    seen = f"exit {proc.returncode}: {cause(proc)}"
    said = proc.stdout + proc.stderr
    caught = proc.returncode != 0 and str(target.relative_to(project)) in said
    printed = re.search(r"redo that run: (.+)$", said, flags=re.MULTILINE)
    if not printed:
        return seen, lost, "no redo command", False
    after = paste(project, printed.group(1))
    redid = jobs(after.stdout + after.stderr).get("monitor", 0)
    redo = f"pasted its redo: {redid} run(s) redone, exit {after.returncode}"
    own = "--configfile campaign.yaml" in printed.group(1)
    return (
        seen,
        lost,
        redo,
        caught and own and redid == 1 and after.returncode == 0 and lost == "none",
    )


def trace_row(row: int, column: str, value: str):
    """A damage: the trace's data row `row` (0-based) gets `value` in `column`."""

    def damage(text: str) -> str:
        lines = text.splitlines(keepends=True)
        header = lines[0].strip().split(",")
        cells = lines[1 + row].rstrip("\n").split(",")
        cells[header.index(column)] = value
        lines[1 + row] = ",".join(cells) + "\n"
        return "".join(lines)

    return damage


def run_json(**change):
    """A damage: run.json with `change` merged in."""
    return lambda text: json.dumps({**json.loads(text), **change}, indent=2)


# Damaged files of a finished run: (fault, file in the run folder, new text or a damage)
DAMAGED_FILES = [
    ("corrupt trace (garbage)", "trace.csv", "garbage\nmore,garbage\n"),
    ("trace cut in its header", "trace.csv", "time_s,vmrss_kb,vms"),
    ("run.json not JSON", "run.json", "{"),
    ("run.json an empty object", "run.json", "{}"),
    ('run.json "limit_mb": "300"', "run.json", run_json(limit_mb="300")),
    ("run.json peak_rss_kb NaN", "run.json", run_json(peak_rss_kb=float("nan"))),
    ("trace RSS of 99999999999 kB", "trace.csv", trace_row(3, "vmrss_kb", "99999999999")),
    ("trace negative RSS", "trace.csv", trace_row(3, "vmrss_kb", "-5")),
    ("trace time nan", "trace.csv", trace_row(3, "time_s", "nan")),
    ("trace time going backwards", "trace.csv", trace_row(3, "time_s", "0.0")),
]
for _name, _file, _damage in DAMAGED_FILES:
    fault(_name)(partial(damaged_file, path=f"{RUN}/{_file}", content=_damage))


def run_until(project, predicate, timeout=60.0):
    """Start the campaign redoing one run, call predicate() until it returns truthy."""
    cmd = [sys.executable, "-m", "snakemake", "--cores", "1", "all", "--configfile",
           "campaign.yaml", "--forcerun", f"{RUN}/run.json"]  # fmt: skip
    proc = subprocess.Popen(
        cmd, cwd=project, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    deadline = time.monotonic() + timeout
    found = None
    while time.monotonic() < deadline and not found:
        found = predicate()
        time.sleep(0.05)
    return proc, found


def sampling_run(project) -> list[int]:
    """The pids of the redone run's wrapper once its sampler has written a sample (the job
    removed the earlier trace before it started), else []."""
    trace = project / RUN / "trace.csv"
    if not (trace.exists() and len(trace.read_text().splitlines()) > 1):
        return []
    return processes(project, f"monitor.py.*{RUN}")


def processes(project: Path, pattern: str = "") -> list[int]:
    """The live processes working in project (their folder is in it, or was before a restore
    deleted it) whose command line matches pattern: this campaign's, not those of another
    campaign on the machine."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            folder = Path(os.readlink(entry / "cwd").removesuffix(" (deleted)"))
            line = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:  # ended meanwhile
            continue
        if folder.is_relative_to(project) and re.search(pattern, line):
            found.append(int(entry.name))
    return alive(found)


@fault("SIGTERM to the run (a cancel)")
def sigterm(project):
    before = fingerprint(project, skip=RUN)
    proc, pids = run_until(project, lambda: sampling_run(project))
    for pid in pids or []:
        os.kill(pid, signal.SIGTERM)
    out, err = proc.communicate(timeout=120)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    lost = "none" if fingerprint(project, skip=RUN) == before else "OTHER RUNS CHANGED"
    recorded = (project / RUN / "run.json").exists()
    seen = f"exit {proc.returncode}: {cause(done)}" + (", recorded as a run!" if recorded else "")
    plan = planned(project)
    after = run_all(project)
    redo = f"redid {plan.get('monitor', 0)} run(s), then exit {after.returncode}"
    ok = pids and not recorded and plan.get("monitor") == 1 and after.returncode == 0
    return seen, lost, redo, ok and lost == "none"


def descendants(pid: int) -> set[int]:
    """pid's live descendants, from /proc/PID/task/*/children."""
    found, stack = set(), [pid]
    while stack:
        for task in Path(f"/proc/{stack.pop()}/task").glob("*"):
            try:
                kids = {int(k) for k in (task / "children").read_text().split()}
            except OSError:
                continue
            stack += list(kids - found)
            found |= kids
    return found


def alive(pids) -> list[int]:
    def up(pid):
        try:
            return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] != "Z"
        except OSError:
            return False

    return [pid for pid in pids if up(pid)]


def ended(pids, since: float | None = None) -> tuple[list[int], float]:
    """Wait until none of pids lives, at most ENDED_S: those still alive then, and the seconds
    from `since` (a time.monotonic(), by default now) until they ended."""
    since = time.monotonic() if since is None else since
    deadline = time.monotonic() + ENDED_S
    while (left := alive(pids)) and time.monotonic() < deadline:
        time.sleep(0.05)
    return left, time.monotonic() - since


def gone(family, left, waited: float) -> str:
    if left:
        return f"{len(family)} processes of the run, {len(left)} left {waited:.0f} s later"
    return f"{len(family)} processes of the run, all ended within {waited:.1f} s"


def redo_after(project, proc, before, extra=""):
    """What the user saw, what was lost, and whether a plain rerun redid just the one run."""
    out, err = proc.communicate(timeout=120)
    done = subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
    lost = "none" if fingerprint(project, skip=RUN) == before else "OTHER RUNS CHANGED"
    recorded = (project / RUN / "run.json").exists()
    seen = f"exit {proc.returncode}: {cause(done)}" + (", recorded as a run!" if recorded else "")
    plan = planned(project)
    after = run_all(project)
    redo = f"redid {plan.get('monitor', 0)} run(s), then exit {after.returncode}"
    ok = proc.returncode != 0 and not recorded and plan.get("monitor") == 1
    return seen + extra, lost, redo, ok and after.returncode == 0 and lost == "none"


@fault("SIGKILL of the sampler")
def sigkill(project):
    before = fingerprint(project, skip=RUN)
    proc, pids = run_until(project, lambda: sampling_run(project))
    wrapper = max(pids or [0], key=lambda pid: len(descendants(pid)))
    family = descendants(wrapper)
    os.kill(wrapper, signal.SIGKILL)  # ended() below counts from here
    left, waited = ended(family)
    seen, lost, redo, ok = redo_after(project, proc, before, f"; {gone(family, left, waited)}")
    return seen, lost, redo, ok and family and not left


@fault("kill -9 of snakemake mid-run")
def snakemake_killed(project):
    before = fingerprint(project, skip=RUN)
    proc, pids = run_until(project, lambda: sampling_run(project))
    family = set(pids or []) | {kid for pid in pids or [] for kid in descendants(pid)}
    killed_at = time.monotonic()
    proc.kill()  # SIGKILL: Snakemake cleans nothing up
    proc.communicate(timeout=60)
    left, waited = ended(family, since=killed_at)
    recorded = (project / RUN / "run.json").exists()
    seen = gone(family, left, waited)
    seen += ", recorded as a run!" if recorded else ""
    lost = "none" if fingerprint(project, skip=RUN) == before else "OTHER RUNS CHANGED"
    unlocked = snakemake(project, "--unlock", "--configfile", "campaign.yaml")
    after = run_all(project, "--rerun-incomplete")
    redid = jobs(after.stdout + after.stderr).get("monitor", 0)
    redo = f"--unlock, then --rerun-incomplete redid {redid} run(s), exit {after.returncode}"
    ok = family and not left and not recorded and unlocked.returncode == 0 and redid == 1
    return seen, lost, redo, ok and after.returncode == 0 and lost == "none"


def before_solver(project, name: str, first: str) -> None:
    """An executable shell script `name` in project that runs `first`, then execs the demo solver
    with its arguments (a program that is a script, as many are)."""
    script = project / name
    script.write_text(f'#!/bin/sh\n{first}\nexec python scripts/demo_solver.py "$@"\n')
    script.chmod(0o755)


@fault("program writes 5 MB, solver.log_max_mb 1")
def chatty(project):
    before_solver(
        project, "chatty.sh", "python3 -c 'import sys; sys.stdout.write(\"x\" * 5000000)'"
    )
    solver = {**CAMPAIGN["solver"], "command": "./chatty.sh", "log_max_mb": 1}
    write_config(project, {**CAMPAIGN, "solver": solver})
    proc = run_all(project)
    found = project / "results/summary/verdicts.csv"
    rows = [r for r in found.read_text().splitlines() if r.startswith("output,warn")]
    size = (project / RUN / "solver.log").stat().st_size
    reported = "4M/8M/4M" in (project / "results/summary/runs.csv").read_text()
    seen = f"exit {proc.returncode}: {len(rows)} 'output' warnings, solver.log {size} bytes"
    ok = proc.returncode == 0 and len(rows) == 4 and 2**20 < size < 2**20 + 400 and reported
    return seen, "none", "-", ok


@fault("config: a limit above the machine's memory")
def huge_limit(project):
    (project / "huge.yaml").write_text("grid:\n  memory_limits_mb: [300, 16000000]\n")
    proc = subprocess.run([sys.executable, "scripts/check_config.py", "huge.yaml"], cwd=project,
                          capture_output=True, text=True)  # fmt: skip
    seen = f"scripts/check_config.py: exit {proc.returncode}: {proc.stderr.strip()[:90]}"
    return seen, "none", "-", proc.returncode == 0 and "above the memory of this" in proc.stderr


@fault("disk full during a run (tmpfs)")
def disk_full(project):
    before = fingerprint(project, skip=RUN)
    mount = project / RUN
    shutil.rmtree(mount)
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=8k", "tmpfs", str(mount)],
                          capture_output=True, text=True)  # fmt: skip
    if made.returncode:
        return f"skipped: cannot mount a tmpfs here ({made.stderr.strip()})", "none", "-", True
    try:
        proc = run_all(project)
    finally:
        subprocess.run(["umount", str(mount)], check=True)
    lost = "none" if fingerprint(project, skip=RUN) == before else "OTHER RUNS CHANGED"
    text = proc.stdout + proc.stderr
    seen = f"exit {proc.returncode}: {cause(proc)}"
    plan = planned(project)
    after = run_all(project)
    redo = f"redid {plan.get('monitor', 0)} run(s), then exit {after.returncode}"
    ok = proc.returncode != 0 and "No space left on device" in text and plan.get("monitor") == 1
    return seen, lost, redo, ok and after.returncode == 0 and lost == "none"


@fault("program leaves a daemon behind")
def daemon(project):
    before_solver(
        project, "daemonize.sh",
        "python3 -c 'import os, time\nif os.fork(): os._exit(0)\nos.setsid()\n"
        "if os.fork(): os._exit(0)\nx = bytearray(8 << 20)\ntime.sleep(60)' memsweep-daemon",
    )  # fmt: skip
    cfg = {**CAMPAIGN, "solver": {**CAMPAIGN["solver"], "command": "./daemonize.sh"}}
    write_config(project, cfg)
    proc = run_all(project)
    left = processes(project, "memsweep-daemon")
    found = project / "results/summary/verdicts.csv"
    rows = [r for r in found.read_text().splitlines() if r.startswith("leftovers,warn")]
    seen = f"exit {proc.returncode}: {len(rows)} 'leftovers' warnings, {len(left)} daemons alive"
    return seen, "none", "-", proc.returncode == 0 and len(rows) == 4 and not left


FORKER = f"python {HERE / 'workloads' / 'forker.py'} --parent-mb 40 --children 20 --alive 4"


def forking_campaign(project, enforce: str) -> tuple[str, bool]:
    """A program whose 40 MB parent forks 20 children (4 alive, 5 MB each) under limits of 120
    and 240 MB: what the runs table says of its peak, and whether it counted shared pages once
    (peak_mb within 10% of PSS and of the cgroup's peak, nothing over budget)."""
    import pandas as pd

    cfg = {**CAMPAIGN, "solver": {**CAMPAIGN["solver"], "command": f"{FORKER} --child-mb 5"},
           "grid": {**CAMPAIGN["grid"], "memory_limits_mb": [120, 240]},
           "limits": {"enforce": enforce}}  # fmt: skip
    write_config(project, cfg)
    proc = run_all(project)
    if proc.returncode != 0:
        return f"exit {proc.returncode}: {cause(proc)}", False
    runs = pd.read_csv(project / "results/summary/runs.csv")
    near = (runs["peak_mb"] - runs["peak_pss_mb"]).abs() <= 0.1 * runs["peak_pss_mb"]
    if enforce == "cgroup":
        near &= (runs["peak_mb"] - runs["cgroup_peak_mb"]).abs() <= 0.1 * runs["cgroup_peak_mb"]
    over = int(runs["over_budget"].sum())
    seen = (
        f"peak {runs['peak_mb'].min():.0f}-{runs['peak_mb'].max():.0f} MB from "
        f"{'/'.join(sorted(set(runs['peak_source'])))}, summed RSS {runs['peak_rss_mb'].max():.0f}"
        f" MB, {over} over budget"
    )
    return seen, bool(near.all()) and over == 0 and len(runs) == 4


@fault("program forks: 20 children share 40 MB")
def forks(project):
    seen, ok = forking_campaign(project, "none")
    return seen, "none", "-", ok


@fault("program forks, enforce: cgroup")
def forks_cgroup(project):
    from sampling import cgroups

    if cgroups.problem():
        return f"no writable cgroup: {cgroups.problem()[:60]}", "none", "-", True
    seen, ok = forking_campaign(project, "cgroup")
    return seen, "none", "-", ok


@fault("program shorter than a sample")
def too_short(project):
    cfg = {**CAMPAIGN, "solver": {**CAMPAIGN["solver"], "command": "sh -c true"}}
    write_config(project, cfg)
    proc = run_all(project)
    found = (project / "results/summary/verdicts.csv").read_text().splitlines()
    rows = [r for r in found if r.startswith("unseen,warn")]
    seen = f"exit {proc.returncode}: {len(rows)} 'unseen' warnings"
    return seen, "none", "-", proc.returncode == 0 and len(rows) == 4


@fault("--interval-ms abc to the sampler")
def bad_option(project):
    proc = subprocess.run(
        [sys.executable, "scripts/sampler.py", "--interval-ms", "abc", "--", "true"],
        cwd=project, capture_output=True, text=True,
    )  # fmt: skip
    line = proc.stderr.strip().splitlines()[-1]
    return f"exit {proc.returncode}: {line}", "none", "-", "--interval-ms" in line


@fault("config: a program that is not executable")
def not_executable(project):
    (project / "solver.sh").write_text("#!/bin/sh\nexec python scripts/demo_solver.py\n")
    write_config(project, {**CAMPAIGN, "solver": {**CAMPAIGN["solver"], "command": "./solver.sh"}})
    before = fingerprint(project)
    proc = run_all(project)
    seen = f"exit {proc.returncode}: {cause(proc)}"
    lost = "none" if fingerprint(project) == before else "RUNS CHANGED"
    return seen, lost, "-", proc.returncode != 0 and "not executable" in seen and lost == "none"


@fault("config: a YAML syntax error in an overlay")
def yaml_error(project):
    (project / "broken.yaml").write_text("grid:\n  repeats: 2\n  bucket_models: [auto\n")
    proc = subprocess.run([sys.executable, "scripts/check_config.py", "broken.yaml"], cwd=project,
                          capture_output=True, text=True)  # fmt: skip
    seen = f"scripts/check_config.py: exit {proc.returncode}: {proc.stderr.strip()[:90]}"
    return seen, "none", "-", proc.returncode == 2 and "broken.yaml: line 4" in proc.stderr


def outlived(project: Path) -> str:
    """'' when no process works in project any more (waiting for them to end, at most
    ENDED_S), else what still ran, which is then killed."""
    left, _ = ended(processes(project))
    if not left:
        return ""
    what = []
    for pid in left:
        with contextlib.suppress(OSError):
            what.append(Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ")[:60])
            os.kill(pid, signal.SIGKILL)
    ended(left)
    return f"{len(left)} process(es): " + ", ".join(w.decode(errors="replace") for w in what)


def main(names: list[str]) -> int:
    """Inject every fault whose name contains one of names (all faults when none is given)."""
    chosen = [(n, f) for n, f in FAULTS if not names or any(part in n for part in names)]
    if not chosen:
        print(f"no fault's name contains any of {names}; the faults are:", file=sys.stderr)
        print("\n".join(n for n, _ in FAULTS), file=sys.stderr)
        return 2
    rows, failed = [], 0
    with tempfile.TemporaryDirectory() as tmp:
        # Every fault runs in the folder the campaign ran in, restored from a copy before each:
        # the workflow names its code inputs by absolute path, so a campaign moved elsewhere
        # would plan its runs again.
        project = make_project(Path(tmp) / "project")
        write_config(project, CAMPAIGN)
        first = run_all(project)
        if first.returncode != 0:
            print(first.stderr[-3000:])
            return 1
        survivors = outlived(project)
        if survivors:
            print(f"the campaign to inject faults into was outlived by {survivors}")
            return 1
        pristine = Path(tmp) / "pristine"
        shutil.copytree(project, pristine, symlinks=True)
        for name, function in chosen:
            shutil.rmtree(project)
            shutil.copytree(pristine, project, symlinks=True)
            try:
                seen, lost, redo, ok = function(project)
            except Exception as err:  # noqa: BLE001 (a fault the suite itself could not inject)
                seen, lost, redo, ok = f"could not inject: {err}", "?", "?", False
            survivors = outlived(project)  # before the next fault's copy replaces the folder
            if survivors:
                seen, ok = f"{seen}; outlived by {survivors}", False
            failed += not ok
            rows.append((name, seen, lost, redo, "ok" if ok else "NOT OK"))
    widths = [max(len(str(r[i])) for r in rows) for i in range(5)]
    for row in rows:
        print(" | ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
