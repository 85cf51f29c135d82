"""Memory cgroups for the sampler's `--enforce cgroup` (standard library only).

The sampler creates one cgroup per run under `<root>/memsweep/`, sets the limit, moves the command
into it before the command execs, reads its charge while the run lasts, and afterwards reads the
cgroup's peak and counters, kills whatever is left in it and removes it. Here on a fake v2 tree
(see MEMSWEEP_CGROUP_ROOT below), whose kernel files are plain files:

    >>> import shutil, tempfile
    >>> root = tempfile.mkdtemp()
    >>> _write(os.path.join(root, "cgroup.controllers"), "cpu memory")
    >>> cg = Cgroup.create(100 * 1024 * 1024, {ROOT_ENV: root})  # <root>/memsweep/run-812-...
    >>> _read(cg.file("memory.max"))
    '104857600'
    >>> # in the child, before exec: cg.enter(); while the run lasts: cg.usage_kb(), cg.split_kb()
    >>> _write(cg.file("memory.peak"), "39587840")  # what the kernel writes
    >>> _write(cg.file("memory.events"), "oom_kill 0")
    >>> cg.peak_kb(), cg.oom_killed(), cg.events()["oom_kill"]
    (38660, False, 0)
    >>> shutil.rmtree(root)  # cg.remove() on a real tree

Both hierarchies are supported:
- v2 (unified): `memory.max`, `memory.swap.max` = 0, `memory.oom.group` = 1; peak from
  `memory.peak`, charge from `memory.current` and `memory.stat` (anon, file), counters from
  `memory.events`, stall times from `memory.pressure`.
- v1: `memory.limit_in_bytes` and `memory.memsw.limit_in_bytes` (when swap accounting exists); peak
  from `memory.max_usage_in_bytes`, charge from `memory.usage_in_bytes` and `memory.stat` (rss,
  cache), OOM kills from `oom_kill` in `memory.oom_control`.

The root is found at /sys/fs/cgroup (v2 with a memory controller), /sys/fs/cgroup/memory (v1) or
/sys/fs/cgroup/unified (hybrid v2 with a memory controller). The environment variable
MEMSWEEP_CGROUP_ROOT overrides it: a delegated v2 subtree for non-root use, or a fake cgroupfs tree
in a temp folder for tests (files the kernel would provide are then plain files; the cgroup folder
then cannot be removed with rmdir, which remove() reports as a warning).
"""

from __future__ import annotations

import contextlib
import errno
import os
import signal
import time

ROOT_ENV = "MEMSWEEP_CGROUP_ROOT"
PARENT = "memsweep"
V2_ROOTS = ("/sys/fs/cgroup", "/sys/fs/cgroup/unified")
V1_ROOT = "/sys/fs/cgroup/memory"
NEED = "enforce=cgroup needs a writable cgroup memory controller"


class CgroupError(Exception):
    """A cgroup cannot be found, created or used; the message says what is missing."""


def _read(path: str) -> str | None:
    try:
        with open(path) as f:
            return f.read()
    except OSError:
        return None


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


def version_of(root: str) -> int | None:
    """2 for a v2 hierarchy whose controllers include memory, 1 for a v1 memory hierarchy."""
    controllers = _read(os.path.join(root, "cgroup.controllers"))
    if controllers is not None:
        return 2 if "memory" in controllers.split() else None
    if os.path.exists(os.path.join(root, "memory.limit_in_bytes")):
        return 1
    return None


def find_root(environ: dict | None = None) -> tuple[str, int]:
    """(root folder, version) of a usable memory hierarchy; CgroupError names what is missing."""
    environ = os.environ if environ is None else environ
    override = environ.get(ROOT_ENV)
    candidates = [override] if override else [V2_ROOTS[0], V1_ROOT, V2_ROOTS[1]]
    for root in candidates:
        version = version_of(root)
        if version is None:
            continue
        base = os.path.join(root, PARENT)
        target = base if os.path.isdir(base) else root
        if not os.access(target, os.W_OK | os.X_OK):
            raise CgroupError(
                f"{NEED}: {target} is not writable (run as root, delegate a subtree and point "
                f"{ROOT_ENV} at it, or use enforce=rlimit or none)"
            )
        return root, version
    if override:
        raise CgroupError(
            f"{NEED}: {ROOT_ENV}={override} is neither a cgroup v2 folder whose cgroup.controllers "
            "lists memory nor a cgroup v1 memory hierarchy (no memory.limit_in_bytes)"
        )
    raise CgroupError(
        f"{NEED}: none found (no 'memory' in {V2_ROOTS[0]}/cgroup.controllers or "
        f"{V2_ROOTS[1]}/cgroup.controllers, no v1 hierarchy at {V1_ROOT}); set {ROOT_ENV} to "
        "one, or use enforce=rlimit or none"
    )


def problem(environ: dict | None = None) -> str | None:
    """Why enforce=cgroup cannot work here, or None when it can."""
    try:
        find_root(environ)
    except CgroupError as e:
        return str(e)
    return None


def _enable_memory(folder: str) -> None:
    """v2: let the children of `folder` have memory.* files (idempotent)."""
    control = os.path.join(folder, "cgroup.subtree_control")
    if "memory" not in (_read(control) or "").split():
        _write(control, "+memory")


class Cgroup:
    """One run's memory cgroup."""

    def __init__(self, path: str, version: int):
        self.path = path
        self.version = version

    def file(self, name: str) -> str:
        return os.path.join(self.path, name)

    @classmethod
    def create(cls, limit_bytes: int, environ: dict | None = None) -> Cgroup:
        """Make `<root>/memsweep/run-<pid>-<ns>` with the limit set; CgroupError on failure."""
        root, version = find_root(environ)
        base = os.path.join(root, PARENT)
        try:
            os.makedirs(base, exist_ok=True)
            if version == 2:
                _enable_memory(root)
                _enable_memory(base)
            path = os.path.join(base, f"run-{os.getpid()}-{time.monotonic_ns()}")
            os.mkdir(path)
        except OSError as e:
            raise CgroupError(f"{NEED}: cannot create a cgroup in {base}: {e.strerror}") from e
        cg = cls(path, version)
        try:
            cg._set_limit(limit_bytes)
        except OSError as e:
            cg.remove()
            raise CgroupError(f"cannot set the memory limit in {path}: {e.strerror}") from e
        return cg

    def _set_limit(self, limit_bytes: int) -> None:
        if self.version == 2:
            _write(self.file("memory.max"), str(limit_bytes))
            optional = {"memory.swap.max": "0", "memory.oom.group": "1"}
        else:
            _write(self.file("memory.limit_in_bytes"), str(limit_bytes))
            optional = {"memory.memsw.limit_in_bytes": str(limit_bytes)}
        for name, value in optional.items():
            # Absent without swap accounting (v1 memsw, v2 swap) or before Linux 4.19 (oom.group).
            with contextlib.suppress(OSError):
                _write(self.file(name), value)

    def enter(self) -> None:
        """Move the calling process into this cgroup (the sampler's child calls it before exec)."""
        _write(self.file("cgroup.procs"), str(os.getpid()))

    def _number(self, name: str, key: str | None = None) -> int | None:
        text = _read(self.file(name))
        if text is None:
            return None
        try:
            if key is None:
                return int(text.strip())
            for line in text.splitlines():
                parts = line.split()
                if len(parts) == 2 and parts[0] == key:
                    return int(parts[1])
        except ValueError:
            return None
        return None

    def peak_kb(self) -> int | None:
        """The cgroup's own peak of charged memory, in kB (None if the kernel does not say)."""
        name = "memory.peak" if self.version == 2 else "memory.max_usage_in_bytes"
        value = self._number(name)
        return None if value is None else value // 1024

    def oom_killed(self) -> bool | None:
        """Whether the kernel OOM-killed a process of this cgroup (None if it does not say)."""
        name = "memory.events" if self.version == 2 else "memory.oom_control"
        kills = self._number(name, "oom_kill")
        return None if kills is None else kills > 0

    def usage_kb(self) -> int | None:
        """Memory charged to the cgroup now, in kB."""
        value = self._number("memory.current" if self.version == 2 else "memory.usage_in_bytes")
        return None if value is None else value // 1024

    def split_kb(self) -> tuple[int | None, int | None]:
        """(anonymous, file) memory charged now in kB: memory.stat's anon/file (v1: rss/cache)."""
        anon, file = ("anon", "file") if self.version == 2 else ("rss", "cache")
        values = [self._number("memory.stat", key) for key in (anon, file)]
        return tuple(None if v is None else v // 1024 for v in values)

    def events(self) -> dict[str, int | None]:
        """The memory event counters, under v2's names (high, max, oom, oom_kill).

        v1 has only oom_kill (in memory.oom_control); the others are None there. (v1's
        memory.failcnt is no count of hits of the limit: a charge is checked against the
        memory+swap limit first, which counts no failures on recent kernels.)"""
        if self.version == 2:
            return {k: self._number("memory.events", k) for k in ("high", "max", "oom", "oom_kill")}
        oom_kill = self._number("memory.oom_control", "oom_kill")
        return {"high": None, "max": None, "oom": None, "oom_kill": oom_kill}

    def pressure_us(self) -> tuple[int | None, int | None]:
        """v2 memory.pressure totals (some, full): microseconds in which some or all of the
        cgroup's tasks stalled on memory. (None, None) on v1 or without PSI."""
        text = _read(self.file("memory.pressure")) if self.version == 2 else None
        totals = {}
        for line in (text or "").splitlines():
            kind, *fields = line.split()
            for f in fields:
                if f.startswith("total="):
                    totals[kind] = int(f[6:])
        return totals.get("some"), totals.get("full")

    def pids(self) -> list[int]:
        text = _read(self.file("cgroup.procs")) or ""
        return [int(p) for p in text.split() if p.isdigit()]

    def kill_all(self, wait_s: float = 2.0) -> None:
        """SIGKILL every process left in the cgroup and wait (bounded) until they are gone."""
        if self.version == 2 and os.path.exists(self.file("cgroup.kill")):
            with contextlib.suppress(OSError):
                _write(self.file("cgroup.kill"), "1")
        deadline = time.monotonic() + wait_s
        while True:
            alive = []
            for pid in self.pids():
                try:
                    os.kill(pid, signal.SIGKILL)
                    alive.append(pid)
                except OSError:
                    pass  # already gone (or a stale entry in a fake tree)
            if not alive or time.monotonic() > deadline:
                return
            time.sleep(0.01)

    def remove(self) -> str | None:
        """Kill leftovers and remove the cgroup; a warning message if it could not be removed."""
        self.kill_all()
        for _ in range(50):
            try:
                os.rmdir(self.path)
                return None
            except FileNotFoundError:
                return None
            except OSError as e:
                if e.errno != errno.EBUSY:
                    return f"could not remove cgroup {self.path}: {e.strerror}"
                time.sleep(0.02)
        return f"could not remove cgroup {self.path}: still busy"
