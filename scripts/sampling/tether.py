"""Tie a run to its campaign: no process of a run outlives the Snakemake that started it, and no
two runs of one run folder measure at once (standard library only).

- `watch()`: the workflow puts its Snakemake's pid in the environment (CAMPAIGN_PID_ENV, set in
  common.smk); when that process is an ancestor of the run wrapper, a watcher process forked
  here sends the wrapper SIGTERM the moment it ends, however it ends (SIGKILL included). The
  sampler takes SIGTERM as an interruption: the guardian kills the run's processes at once and
  no run.json is written, so the next campaign redoes the run.
- `hold(run_dir)`: an exclusive flock on `.{rep}.lock` beside the run folder (it outlives an
  `rm -r` of the folder), held as long as any process of the run wrapper lives: the guardian, the
  log copier and the watcher inherit it. A second run of the same folder waits up to WAIT_S for
  it, then fails naming the holder, instead of measuring beside it.

    >>> import tempfile
    >>> run_dir = os.path.join(tempfile.mkdtemp(), "rep1")
    >>> fd = hold(run_dir, print)
    >>> os.path.basename(lock_path(run_dir)), open(lock_path(run_dir)).read() == f"{os.getpid()}\\n"
    ('.rep1.lock', True)
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import select
import signal
import time

from sampling import forked

CAMPAIGN_PID_ENV = "MEMSWEEP_CAMPAIGN_PID"
WAIT_S = 10.0  # how long a run waits for an earlier run of its folder to end
POLL_S = 0.2  # how often the watcher looks, where the kernel has no pidfd


class TetherError(Exception):
    """The run cannot start: its folder is being measured by another run; the message says so."""


def lock_path(run_dir: str) -> str:
    run_dir = os.path.normpath(run_dir)
    return os.path.join(os.path.dirname(run_dir), f".{os.path.basename(run_dir)}.lock")


def hold(run_dir: str, say) -> int:
    """Lock the run folder for this run (an fd to keep open; the folder's parent is made)."""
    path = lock_path(run_dir)
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o644)
    deadline, told = time.monotonic() + WAIT_S, False
    while True:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            break
        except BlockingIOError:
            holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
            if time.monotonic() > deadline:
                os.close(fd)
                raise TetherError(
                    f"{run_dir} is still being measured by another run (pid {holder}, as its "
                    f"lock {path} says); two runs of one folder would measure beside each other. "
                    f"Wait for that run or stop it (kill {holder}), then run the workflow again"
                ) from None
            if not told:
                say(f"{run_dir} is being measured by another run (pid {holder}); waiting for it")
                told = True
            time.sleep(0.05)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd


def ancestors(pid: int) -> list[int]:
    """pid's parent, its parent's parent, ... up to pid 1."""
    found = []
    while pid > 1:
        try:
            with open(f"/proc/{pid}/stat", "rb") as fh:
                pid = int(fh.read().rsplit(b")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            break
        found.append(pid)
    return found


def campaign_pid() -> int | None:
    """The campaign's Snakemake, when it is an ancestor of this process (not on a cluster node,
    where the variable may come from the submitting host)."""
    try:
        pid = int(os.environ.get(CAMPAIGN_PID_ENV, ""))
    except ValueError:
        return None
    return pid if pid in ancestors(os.getpid()) else None


def watch() -> int | None:
    """Fork the watcher of the campaign's Snakemake; its pid (None: no campaign to watch)."""
    pid = campaign_pid()
    if pid is None:
        return None
    try:
        pidfd = os.pidfd_open(pid)  # readable once pid has ended (Linux 5.3)
    except (OSError, AttributeError):
        pidfd = None
    wrapper = os.getpid()
    return forked.start(
        lambda: _watch(pid, pidfd, wrapper), parent_closes=() if pidfd is None else (pidfd,)
    )


def unwatch(watcher: int | None) -> None:
    """End the watcher (at the end of the run)."""
    if watcher is None:
        return
    with contextlib.suppress(OSError):
        os.kill(watcher, signal.SIGKILL)
    with contextlib.suppress(ChildProcessError):
        os.waitpid(watcher, 0)


def _watch(pid: int, pidfd: int | None, wrapper: int) -> None:
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):  # the wrapper's to handle
        signal.signal(s, signal.SIG_IGN)
    prctl = forked.prctl()
    if prctl is not None:  # the watcher ends with the wrapper
        prctl(forked.PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != wrapper:
        return
    if pidfd is not None:
        select.select([pidfd], [], [])
    else:
        while pid in ancestors(wrapper):
            time.sleep(POLL_S)
    os.kill(wrapper, signal.SIGTERM)
