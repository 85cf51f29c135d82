"""The guardian: a small process between the sampler and the command, so no process of a run
outlives it, whatever ends the sampler (standard library only).

The sampler forks the guardian; the guardian makes itself a child subreaper (every orphan of the
run is reparented to it, even a daemon that double-forks and calls setsid), starts the command in
a session of its own and waits. It ends the run when the sampler says so, or when the sampler is
gone (its pipe reads end-of-file: the sampler was killed, even by SIGKILL), or on SIGTERM, SIGINT
or SIGHUP of its own: it records what is still running (the leftovers), SIGKILLs every
descendant, reaps them all and reports the command's wait status and rusage, the CPU, faults and
context switches of everything it reaped, and the I/O read from each child's zombie:

    >>> g = Guardian.start(["sleep", "1"], dict(os.environ), Launch())  # forks; starts sleep
    >>> g.command_pid > 0, g.image_kb > 0
    (True, True)
    >>> sorted(g.finish())  # after the command exited; a GuardianError if the guardian failed
    ['children', 'exited_at', 'io', 'leftovers', 'rusage', 'status', 'stopped_by', 'unkilled']

The command gets PR_SET_PDEATHSIG(SIGKILL) towards the guardian, so it dies with the guardian.
"""

from __future__ import annotations

import contextlib
import json
import os
import resource
import select
import signal
import subprocess
import sys
import time

from sampling import forked, procfs

STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
KILL_WAIT_S = 2.0  # how long the guardian waits for SIGKILLed processes to go
WAITED = os.WEXITED | os.WNOWAIT  # waitid flags: has it exited? (the zombie stays)
RUSAGE = ("ru_utime", "ru_stime", "ru_maxrss", "ru_minflt", "ru_majflt", "ru_nvcsw", "ru_nivcsw")


class GuardianError(Exception):
    """The guardian failed or ended without a report; the message says how."""


class Launch:
    """How the command is started: its streams (None: the sampler's own), the cgroup to enter,
    RLIMIT_AS, and the function that writes memsweep's own messages (the guardian reports there
    when the sampler is gone)."""

    def __init__(self, stdin=None, stdout=None, stderr=None, cgroup=None, rlimit_bytes=None,
                 say=None):  # fmt: skip
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr
        self.cgroup, self.rlimit_bytes = cgroup, rlimit_bytes
        self.say = say or (lambda text: None)


def _send(fd: int, message: dict) -> None:
    os.write(fd, json.dumps(message).encode() + b"\n")


def _rusage(ru) -> dict:
    return {name: getattr(ru, name) for name in RUSAGE}


class Guardian:
    """The sampler's handle on its guardian process."""

    def __init__(self, pid: int, to_guardian: int, from_guardian: int, hello: dict):
        self.pid = pid
        self.to_guardian, self.from_guardian = to_guardian, from_guardian
        self.command_pid, self.image_kb = hello["pid"], hello["image_kb"]
        self.spawned_at = hello["spawned_at"]  # time.monotonic() just before the command's fork

    @classmethod
    def start(cls, argv: list[str], env: dict, launch: Launch) -> Guardian:
        """Fork the guardian and have it start argv. OSError(strerror) if argv cannot start (the
        program's failure); GuardianError if the guardian cannot prepare or start it."""
        down_r, down_w = os.pipe2(os.O_CLOEXEC)
        up_r, up_w = os.pipe2(os.O_CLOEXEC)
        pid = forked.start(
            lambda: _guard(argv, env, launch, down_r, up_w),
            child_closes=(down_w, up_r),
            parent_closes=(down_r, up_w),
        )
        hello = _read_message(up_r)
        if hello is None or "pid" not in hello:
            os.close(down_w)
            os.close(up_r)
            _, status = os.waitpid(pid, 0)
            if hello is not None and "unprepared" in hello:
                raise GuardianError(f"cannot prepare the command: {hello['unprepared']}")
            if hello is not None and "error" in hello:
                raise OSError(hello["errno"], hello["error"])
            raise GuardianError(f"the guardian process {pid} failed to start: {_how(status)}")
        return cls(pid, down_w, up_r, hello)

    def finish(self) -> dict:
        """End the run: the guardian kills what is left, reaps it all and reports."""
        with contextlib.suppress(OSError):  # a dead guardian shows below
            os.write(self.to_guardian, b"E")
        report = _read_message(self.from_guardian)
        os.close(self.to_guardian)
        os.close(self.from_guardian)
        _, status = os.waitpid(self.pid, 0)
        if report is None or "status" not in report:
            raise GuardianError(
                f"the run's guardian process {self.pid} ended without a report: {_how(status)}"
            )
        return report


def _how(status: int) -> str:
    code = os.waitstatus_to_exitcode(status)
    if code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit {code}"


def _read_message(fd: int) -> dict | None:
    """The first JSON line from fd (blocking), or None at end-of-file."""
    data = b""
    while not data.endswith(b"\n"):
        try:
            chunk = os.read(fd, 65536)
        except InterruptedError:
            continue
        if not chunk:
            return None
        data += chunk
    return json.loads(data.split(b"\n", 1)[0])


# --- in the guardian process ---------------------------------------------------------------------


def _guard(argv: list[str], env: dict, launch: Launch, down: int, up: int) -> int:
    """The guardian's life: start the command, wait, end the run; returns its exit code."""
    sampler = os.getppid()
    wake_r, wake_w = os.pipe2(os.O_NONBLOCK | os.O_CLOEXEC)
    signal.set_wakeup_fd(wake_w, warn_on_full_buffer=False)
    stopped = []
    for s in (signal.SIGCHLD, signal.SIGUSR1):  # handled, not ignored: the command gets SIG_DFL
        signal.signal(s, lambda *_: None)
    for s in STOP_SIGNALS:
        signal.signal(s, lambda signum, _frame: stopped.append(signum))
    os.setsid()  # out of the sampler's process group: a group signal is for the sampler to handle
    prctl = forked.prctl()
    if prctl is not None:
        prctl(forked.PR_SET_CHILD_SUBREAPER, 1)
    image_kb = procfs.parse_statm(procfs.read(os.getpid(), "statm"))[0]
    spawned_at = time.monotonic()
    why_r, why_w = os.pipe2(os.O_CLOEXEC)  # why the preparation before exec failed, if it did
    try:
        command = _spawn(argv, env, launch, prctl, why_w)
    except (OSError, subprocess.SubprocessError) as e:
        os.close(why_w)
        unprepared = os.read(why_r, 4096).decode(errors="replace")
        if unprepared:
            _send(up, {"unprepared": unprepared})
        else:
            reason = e.strerror if isinstance(e, OSError) and e.strerror else str(e)
            _send(up, {"error": reason, "errno": getattr(e, "errno", None) or 0})
        return 0
    os.close(why_w)
    os.close(why_r)
    with contextlib.suppress(OSError):  # the sampler is gone already: the loop sees it
        _send(up, {"pid": command, "image_kb": image_kb, "spawned_at": spawned_at})
    io = dict.fromkeys(procfs.IO_FIELDS, 0)
    exited_at = None
    while True:
        ready, _, _ = select.select([down, wake_r], [], [])
        with contextlib.suppress(OSError):
            while os.read(wake_r, 256):
                pass
        _reap(command, io)
        if exited_at is None and os.waitid(os.P_PID, command, WAITED | os.WNOHANG):
            exited_at = time.monotonic()
            with contextlib.suppress(OSError):
                os.kill(sampler, signal.SIGUSR1)  # the sampler stops sampling at once
        if down in ready:
            if not os.read(down, 16):
                launch.say(
                    f"the sampler (pid {sampler}) ended before its run did (killed by a "
                    "signal such as SIGKILL, or by the OOM killer); killing the run's processes"
                )
            break
        if stopped:
            name = signal.Signals(stopped[0]).name
            launch.say(f"the run's guardian got {name}; killing the run's processes")
            break
    leftovers = [_describe(p) for p in procfs.descendants(os.getpid()) if p != command]
    unkilled = _kill_all(command, io)
    status, rusage = _reap_command(command, io)
    report = {
        "status": status,
        "exited_at": exited_at,
        "stopped_by": stopped[0] if stopped else None,  # a stop signal the guardian itself got
        "rusage": _rusage(rusage),
        "children": _rusage(resource.getrusage(resource.RUSAGE_CHILDREN)),
        "io": io,
        "leftovers": [d for d in leftovers if d is not None],
        "unkilled": unkilled,
    }
    with contextlib.suppress(OSError):  # the sampler is gone: nobody to tell
        _send(up, report)
    return 0


def _spawn(argv, env, launch: Launch, prctl, why: int) -> int:
    """Start argv in a session of its own, prepared in the child before exec (the guardian has
    no threads, so that is safe); a preparation that fails writes why to the fd `why`."""
    guardian = os.getpid()
    cgroup, rlimit = launch.cgroup, launch.rlimit_bytes

    def prepare():
        try:
            if prctl is not None:
                prctl(forked.PR_SET_PDEATHSIG, signal.SIGKILL)
                if os.getppid() != guardian:
                    os._exit(137)
            if os.sched_getscheduler(0) in (os.SCHED_FIFO, os.SCHED_RR):
                # the sampler may run real-time (chrt) for timing; the command never does
                os.sched_setscheduler(0, os.SCHED_OTHER, os.sched_param(0))
            if cgroup is not None:
                cgroup.enter()
            if rlimit:
                resource.setrlimit(resource.RLIMIT_AS, (rlimit, rlimit))
        except OSError as e:
            os.write(why, str(e).encode())
            raise

    proc = subprocess.Popen(
        argv,
        env=env,
        stdin=launch.stdin,
        stdout=launch.stdout,
        stderr=launch.stderr,
        start_new_session=True,
        preexec_fn=prepare,
    )
    # The guardian reaps the command itself (wait4, for its rusage): mark this Popen done, so
    # that it never reaps the command behind the guardian's back.
    proc.returncode = 0
    return proc.pid


def _reap(command: int, io: dict) -> None:
    """Reap the exited children other than the command (orphans adopted from the run), adding
    the I/O of each (read from its zombie) to io. The command stays a zombie until the end, so
    its pid cannot be reused while the sampler reads /proc/PID."""
    for kid in procfs.children_of(os.getpid()):
        if kid == command:
            continue
        with contextlib.suppress(ChildProcessError):
            if os.waitid(os.P_PID, kid, WAITED | os.WNOHANG):
                _add_io(io, kid)
                os.waitpid(kid, 0)


def _add_io(io: dict, pid: int) -> None:
    for key, value in procfs.parse_io(procfs.read(pid, "io") or b"").items():
        io[key] += value


def _reap_command(command: int, io: dict):
    os.waitid(os.P_PID, command, WAITED)
    _add_io(io, command)
    _, status, rusage = os.wait4(command, 0)
    return status, rusage


def _describe(pid: int) -> dict | None:
    """{pid, cmdline, rss_kb} of a live process; None for a zombie or one already gone."""
    fields = procfs.parse_statm(procfs.read(pid, "statm") or b"0")
    if fields is None:
        return None
    args = procfs.cmdline(pid)
    if args is None:
        comm = (procfs.read(pid, "comm") or b"?").decode(errors="replace").strip()
        args = [f"[{comm}]"]
    return {"pid": pid, "cmdline": " ".join(args), "rss_kb": fields[0]}


def _kill_all(command: int, io: dict) -> list[int]:
    """SIGKILL every descendant (the command included) until none is left; reap the others.

    A killed parent's children are reparented to this subreaper and found in the next round.
    Returns the pids still alive after KILL_WAIT_S (a process stuck in the kernel)."""
    with contextlib.suppress(OSError):
        os.killpg(command, signal.SIGKILL)
    deadline = time.monotonic() + KILL_WAIT_S
    while True:
        left = [p for p in procfs.descendants(os.getpid()) if p != command]
        for pid in [command, *left]:
            with contextlib.suppress(OSError):  # gone already; a zombie ignores it
                os.kill(pid, signal.SIGKILL)
        _reap(command, io)
        if not left:
            return []
        if time.monotonic() > deadline:
            return [p for p in left if procfs.parse_statm(procfs.read(p, "statm") or b"0")]
        time.sleep(0.005)


if __name__ == "__main__":
    sys.exit("guardian.py is a module of the sampler, not a program")
