"""Reading /proc for the sampler: the parsers of its files, and the process tree it samples.

Standard library only. The parsers take the raw bytes of one file and return numbers in kB (or
bytes, ticks, counts, as named); files are opened once and re-read with os.pread:

    >>> parse_statm(b"6000 2500 600 1 0 1800 0\\n", page_kb=4)  # pages -> kB
    (10000, 24000, 7200)
    >>> parse_smaps_rollup(b"Rss:  900 kB\\nPss:  700 kB\\nPrivate_Clean: 100 kB\\n"
    ...                    b"Private_Dirty:  500 kB\\n")
    (600, 700)

`Tree` follows a process and its descendants; its `sample()` is the sampler's hot path.
"""

from __future__ import annotations

import errno
import itertools
import math
import os
import time

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")
RESCAN_S = 1.0  # the tree is walked in full (every thread's children) at least this often
CHECK_BUSY_S = 0.01  # how often new pids are looked for while the tree is young or changing,
CHECK_IDLE_S = 0.05  # ... and once it has been stable for
BUSY_S = 1.0
STATUS_S = 0.5  # status (VmHWM, VmSwap, VmStk) is read at least this often, ...
STATUS_MIN_S = 0.05  # ... and after an RSS drop, but not more often than this
IO_FIELDS = ("rchar", "wchar", "read_bytes", "write_bytes")
O_READ = os.O_RDONLY | os.O_CLOEXEC
_128, _0 = itertools.repeat(128), itertools.repeat(0)  # pread's size and offset, for map()


class ProcError(Exception):
    """A process or one of its /proc files cannot be read; the message says which and why."""


def parse_statm(data: bytes, page_kb: int = PAGE_KB) -> tuple[int, int, int] | None:
    """(rss, size, data + stack) in kB from /proc/PID/statm; None for a process without memory
    (a zombie, or one that has released its memory while it exits: statm reads all zeros)."""
    v = data.split()
    if not v or v[0] == b"0":
        return None
    return int(v[1]) * page_kb, int(v[0]) * page_kb, int(v[5]) * page_kb


def _kb(data: bytes, key: bytes) -> int:
    i = data.find(key)
    return 0 if i < 0 else int(data[i + len(key) : data.index(b" kB", i)])


def parse_status(data: bytes) -> tuple[int, int, int] | None:
    """(VmHWM, VmSwap, VmStk) in kB from /proc/PID/status; None for a zombie or dead process,
    or one without memory. Absent fields count as 0."""
    i = data.find(b"\nState:")
    if i >= 0 and data[i + 7 : i + 9].strip()[:1] in (b"Z", b"X"):
        return None
    if data.find(b"\nVmSize:") < 0:
        return None
    return _kb(data, b"\nVmHWM:"), _kb(data, b"\nVmSwap:"), _kb(data, b"\nVmStk:")


def parse_stat(data: bytes) -> dict:
    """The fields of /proc/PID/stat the sampler uses: the state; user and system CPU in clock
    ticks and minor and major page faults, each of the process and its reaped children; and the
    exit status (a wait status, set in a zombie)."""
    f = data[data.rindex(b")") + 2 :].split()
    return {
        "state": f[0].decode(),
        "user_ticks": int(f[11]) + int(f[13]),
        "system_ticks": int(f[12]) + int(f[14]),
        "minflt": int(f[7]) + int(f[8]),
        "majflt": int(f[9]) + int(f[10]),
        "exit_status": int(f[-1]) if len(f) >= 50 else None,
    }


def parse_io(data: bytes) -> dict[str, int]:
    """rchar, wchar, read_bytes, write_bytes (bytes) from /proc/PID/io."""
    out = {}
    for line in data.splitlines():
        key, _, value = line.decode().partition(": ")
        if key in IO_FIELDS:
            out[key] = int(value)
    return out


def parse_smaps_rollup(data: bytes) -> tuple[int, int]:
    """(USS, PSS) in kB from /proc/PID/smaps_rollup: USS = Private_Clean + Private_Dirty."""
    uss = _kb(data, b"\nPrivate_Clean:") + _kb(data, b"\nPrivate_Dirty:")
    return uss, _kb(data, b"\nPss:")


def read(pid: int, name: str, size: int = 4096) -> bytes | None:
    """The bytes of /proc/PID/name, or None when the process or file is gone or unreadable."""
    try:
        fd = os.open(f"/proc/{pid}/{name}", O_READ)
    except OSError:
        return None
    try:
        return os.pread(fd, size, 0)
    except OSError:
        return None
    finally:
        os.close(fd)


def _pread(fd: int) -> bytes:
    """The text of an open /proc file; empty when its process has been reaped (ESRCH)."""
    try:
        return os.pread(fd, 128, 0)
    except OSError:
        return b""


def check_process(pid: int, proc: str = "/proc") -> None:
    """ProcError unless pid is a process whose /proc/PID/statm can be read."""
    path = f"{proc}/{pid}/statm"
    try:
        fd = os.open(path, O_READ)
        try:
            os.pread(fd, 256, 0)
        finally:
            os.close(fd)
    except OSError as e:
        if isinstance(e, FileNotFoundError) or e.errno == errno.ESRCH:
            raise ProcError(f"no process {pid}") from None
        raise ProcError(f"cannot read {path}: {e.strerror}") from None


def children_of(pid: int) -> list[int]:
    """Child pids of every thread of pid, from /proc/PID/task/*/children (zombies included)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []
    kids = []
    for tid in tids:
        data = read(pid, f"task/{tid}/children", 65536)
        if data:
            kids.extend(int(k) for k in data.split())
    return kids


def descendants(pid: int) -> list[int]:
    """Every descendant of pid, parents before their children (pid itself left out)."""
    found, stack = [], [pid]
    while stack:
        for kid in children_of(stack.pop()):
            if kid not in found:
                found.append(kid)
                stack.append(kid)
    return found


def cmdline(pid: int) -> list[str] | None:
    """argv of a process from /proc/PID/cmdline (None if it has none or cannot be read)."""
    raw = read(pid, "cmdline", 1 << 16)
    args = [a.decode(errors="replace") for a in (raw or b"").split(b"\0")[:-1]]
    return args or None


class Member:
    """One process of the tree: its open files and what the sampler knows of it (kB)."""

    __slots__ = ("pid", "statm", "status", "kids", "rss", "peak", "hwm", "swap", "stk", "totals")

    def __init__(self, pid: int, statm: int, status: int):
        self.pid, self.statm, self.status = pid, statm, status
        self.kids = None  # /proc/PID/task/PID/children, opened at the first walk
        self.rss = self.peak = self.hwm = self.swap = self.stk = 0
        self.totals = None  # attach mode: latest stat and io figures (self + reaped children)

    def read_status(self) -> bool:
        """Refresh hwm, swap and stk from status; False when the process has ended."""
        try:
            fields = parse_status(os.pread(self.status, 8192, 0))
        except OSError:
            return False
        if fields is None:
            return False
        self.hwm, self.swap, self.stk = fields
        return True

    def read_totals(self) -> None:
        """Keep the latest CPU, fault and I/O figures (attach mode, where no wait4 gives them)."""
        stat, io = read(self.pid, "stat"), read(self.pid, "io")
        if stat is not None and io is not None:
            self.totals = {**parse_stat(stat), **parse_io(io)}

    def children(self) -> list[int]:
        """Children of the main thread, from its children file kept open."""
        try:
            if self.kids is None:
                self.kids = os.open(f"/proc/{self.pid}/task/{self.pid}/children", O_READ)
            return [int(k) for k in os.pread(self.kids, 65536, 0).split()]
        except OSError:
            return []

    def close(self) -> None:
        for fd in (self.statm, self.status, self.kids):
            if fd is not None:
                os.close(fd)


def open_member(pid: int, ended_ok: bool = False) -> Member | None:
    """A Member with its statm and status files open and status read; None if it is gone, or
    has ended (a zombie) unless ended_ok."""
    try:
        statm = os.open(f"/proc/{pid}/statm", O_READ)
    except OSError:
        return None
    try:
        status = os.open(f"/proc/{pid}/status", O_READ)
    except OSError:
        os.close(statm)
        return None
    m = Member(pid, statm, status)
    if not m.read_status() and not ended_ok:
        m.close()
        return None
    return m


class Tree:
    """The root process and, unless children=False, every process seen below it.

    Launch mode passes `guardian`: the process the command was forked from, which adopts the
    run's orphans; its children are walked too, but it is never a member. Membership is sticky: a
    process once found is sampled until it ends, even when reparented.

    New members are looked for when the last pid made on the system (the fifth field of
    /proc/loadavg) has changed: that check runs every CHECK_BUSY_S for BUSY_S after the start
    and after any change of the tree, then every CHECK_IDLE_S. A quick walk reads the main
    threads' children files; a full walk (every thread) runs at least every RESCAN_S.

    Each tick reads /proc/PID/statm of every member (rss, size, data + stack). status, 4-6x as
    costly, is read every STATUS_S, and at the tick after a member's RSS dropped (when the kernel
    raises VmHWM if that was a peak) but not within STATUS_MIN_S of the last read. A member's
    vmhwm in the trace is its latest VmHWM raised to its current RSS (the kernel's own formula);
    its vmdata is statm's data minus its latest VmStk.
    """

    def __init__(self, root: int, children: bool = True, guardian: int | None = None):
        member = open_member(root, ended_ok=True)  # a command may end before it is sampled
        if member is None:
            raise ProcError(f"no process {root}")
        self.root = member
        self.live = [member]
        self.ended = []  # members that ended, for the summary's per-process figures
        self.guardian = guardian
        self.known = {root}
        self.children = children
        self.loadavg = os.open("/proc/loadavg", O_READ) if children else None
        self.last_pid = b""
        self.check_at = 0.0 if children else math.inf  # the next last-pid check
        self.walk_at = 0.0  # the next full walk
        self.busy_until = 0.0
        self.status_at = self.status_read = 0.0  # the next and the last read of status
        self.hwm_kb = self.swap_kb = self.stk_kb = 0  # sums over the live members
        self.raw = self.sums = None  # the statm texts of the last tick, and their sums
        self._sum_status()

    def _sum_status(self) -> None:
        self.raw = None  # the sums change: recompute them at the next sample
        self.fds = [m.statm for m in self.live]
        self.hwm_kb = sum(m.hwm for m in self.live)
        self.swap_kb = sum(m.swap for m in self.live)
        self.stk_kb = sum(m.stk for m in self.live)

    def _check(self, now: float) -> None:
        """Walk the tree when a pid was made since the last check (or a full walk is due)."""
        last = os.pread(self.loadavg, 128, 0).rsplit(None, 1)[-1]
        if last != self.last_pid or now >= self.walk_at:
            self.last_pid = last
            full = now >= self.walk_at
            if full:
                self.walk_at = now + RESCAN_S
            if self._walk(full) or not self.busy_until:
                self.busy_until = now + BUSY_S
        self.check_at = now + (CHECK_BUSY_S if now < self.busy_until else CHECK_IDLE_S)

    def _walk(self, full: bool) -> bool:
        """Add the processes below the members (and the guardian); whether any was new."""
        stack = [(m.pid, m) for m in self.live]
        if self.guardian is not None:
            stack.append((self.guardian, None))
        found = False
        while stack:
            pid, member = stack.pop()
            for kid in children_of(pid) if full or member is None else member.children():
                if kid in self.known:
                    continue
                self.known.add(kid)
                new = open_member(kid)
                if new is not None:
                    self.live.append(new)
                    stack.append((kid, new))
                    found = True
        if found:
            self._sum_status()
        return found

    def _read_status(self, now: float) -> None:
        self.status_read, self.status_at = now, now + STATUS_S
        for m in [m for m in self.live if not m.read_status() and m is not self.root]:
            self._end(m, now)
        self._sum_status()

    def _end(self, member: Member, now: float) -> None:
        self.live.remove(member)
        member.close()
        self.ended.append(member)
        self._sum_status()
        self.busy_until = now + BUSY_S

    def housekeeping(self, now: float) -> float:
        """Look for new members and read status when due; returns when to call it next (the
        sampler calls it before a sample once that time has come, and after a sample whose
        sums changed, since an RSS drop brings the next status read forward)."""
        if now >= self.check_at:
            self._check(now)
        if now >= self.status_at:
            self._read_status(now)
        return min(self.check_at, self.status_at)

    def sample(self) -> tuple[int, int, int, int, int, int] | None:
        """Sums (rss, size, data, hwm, swap, nprocs) in kB over the live tree; None once the root
        has ended. The hot path: statm is parsed inline, and only when some member's changed;
        the status figures are kept as sums. Returns the same tuple while nothing changed."""
        live = self.live
        try:
            raw = list(map(os.pread, self.fds, _128, _0))
        except OSError:  # ESRCH: reaped in the middle of the read (a normal end): one by one
            raw = [_pread(m.statm) for m in live]
        if raw == self.raw:  # no member changed since the last tick: nor did the sums
            return self.sums
        rss = size = data = over = 0
        ended = dropped = None
        page = PAGE_KB
        for m, text in zip(live, raw, strict=True):
            v = text.split()
            if not v or v[0] == b"0":  # no memory: a zombie, or exiting
                if m is self.root:
                    return None
                ended = [*(ended or ()), m]
                continue
            r = int(v[1]) * page
            if r < m.rss:
                dropped = True
            m.rss = r
            if r > m.peak:
                m.peak = r
            if r > m.hwm:
                over += r - m.hwm
            rss += r
            size += int(v[0])
            data += int(v[5])
        self.raw = raw
        if ended:
            now = time.monotonic()
            for m in ended:
                self._end(m, now)
        if dropped:  # the kernel has raised VmHWM if that was a peak: read it soon
            self.status_at = min(self.status_at, self.status_read + STATUS_MIN_S)
        n = len(self.live)
        self.sums = rss, size * page, data * page - self.stk_kb, self.hwm_kb + over, self.swap_kb, n
        return self.sums

    def smaps(self) -> tuple[int, int]:
        """(USS, PSS) in kB summed over the live tree, from smaps_rollup (costly: see docs)."""
        uss = pss = 0
        for m in self.live:
            data = read(m.pid, "smaps_rollup", 8192)
            if data:
                u, p = parse_smaps_rollup(data)
                uss, pss = uss + u, pss + p
        return uss, pss

    def read_totals(self) -> None:
        for m in self.live:
            m.read_totals()

    def members(self) -> list[Member]:
        return [*self.ended, *self.live]

    def close(self) -> None:
        for m in self.live:
            m.close()
        self.live = []
        if self.loadavg is not None:
            os.close(self.loadavg)
            self.loadavg = None
