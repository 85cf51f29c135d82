"""The process tree the sampler follows, and the per-tick read of its memory (the hot path).

Standard library only. A Tree starts at one process and adds every process found below it;
Tree.sample() sums their memory from /proc/PID/statm:

    >>> tree = Tree(os.getpid())
    >>> tree.housekeeping(time.monotonic()) > 0, tree.sample()[5]  # next due time, nprocs
    (True, 1)
"""

from __future__ import annotations

import contextlib
import itertools
import math
import os
import time

from sampling import metrics
from sampling.procfs import (
    O_READ,
    PAGE_KB,
    ProcError,
    children_of,
    parse_fields,
    parse_io,
    parse_smaps_rollup,
    parse_stat,
    parse_status,
    pread_or_empty,
    read,
)

RESCAN_S = 1.0  # the tree is walked in full (every thread's children) at least this often
CHECK_BUSY_S = 0.01  # how often new pids are looked for while the tree is young or changing,
CHECK_IDLE_S = 0.05  # ... and once it has been stable for
BUSY_S = 1.0
STATUS_S = 0.5  # status (VmHWM, VmSwap, VmStk) is read at least this often, ...
STATUS_MIN_S = 0.05  # ... and after an RSS drop, but not more often than this
_128, _0 = itertools.repeat(128), itertools.repeat(0)  # pread's size and offset, for map()
STATUS_METRICS = metrics.generic("status")  # read with each status, summed or largest over the tree
STATUS_NAMES = tuple(m.field.encode() for m in STATUS_METRICS)


class Member:
    """One process of the tree: its open files and what the sampler knows of it (kB)."""

    __slots__ = (
        "pid", "statm", "status", "kids", "text", "rss", "size", "data", "over", "peak", "hwm",
        "swap", "stk", "read_at", "recheck", "totals", "extra",
    )  # fmt: skip

    def __init__(self, pid: int, statm: int, status: int):
        self.pid, self.statm, self.status = pid, statm, status
        self.kids = None  # /proc/PID/task/PID/children, opened at the first walk
        self.text = None  # the statm text last parsed into rss, size, data and over
        self.rss = self.size = self.data = self.over = self.peak = 0  # over: rss above hwm
        self.hwm = self.swap = self.stk = 0  # from status, last read at read_at
        self.read_at, self.recheck = 0.0, False  # recheck: read status soon (RSS dropped)
        self.totals = None  # attach mode: latest stat and io figures (self + reaped children)
        self.extra = (0,) * len(STATUS_NAMES)  # the STATUS_METRICS' fields, last read

    def read_status(self) -> bool:
        """Refresh hwm, swap and stk from status; False when the process has ended."""
        try:
            data = os.pread(self.status, 8192, 0)
            fields = parse_status(data)
        except OSError:
            return False
        if fields is None:
            return False
        self.hwm, self.swap, self.stk = fields
        if STATUS_NAMES:
            self.extra = parse_fields(data, STATUS_NAMES)
        self.text = None  # data and over depend on these: parse statm again
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
    its vmdata is statm's data minus its latest VmStk, read again at once when statm's data is
    below it (the process exec'd since: the new image's stack starts at one page), and never
    below 0 (its stack grew between the two reads).
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
        self.status_at = 0.0  # the next read of every member's status
        self.recheck_at = math.inf  # the next read of the status of members whose RSS dropped
        self.hwm_kb = self.swap_kb = 0  # sums over the live members
        self.most = 1  # the most members alive at once
        self.metrics = {}  # {key: figure} of STATUS_METRICS, over the tree and over the reads
        self.raw = self.sums = None  # the statm texts of the last tick, and their sums
        self._sum_status()

    def _sum_status(self) -> None:
        self.raw = None  # the sums change: recompute them at the next sample
        self.fds = [m.statm for m in self.live]
        self.hwm_kb = sum(m.hwm for m in self.live)
        self.swap_kb = sum(m.swap for m in self.live)
        for i, metric in enumerate(STATUS_METRICS):
            values = [m.extra[i] for m in self.live]
            now = sum(values) if metric.over_tree == "sum" else max(values, default=0)
            before = self.metrics.get(metric.key)
            keep_max = metric.over_ticks == "max" and before is not None
            self.metrics[metric.key] = max(now, before) if keep_max else now

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
            self.most = max(self.most, len(self.live))
        return found

    def _read_status(self, now: float, members: list[Member]) -> None:
        for m in members:
            m.read_at, m.recheck = now, False
            if not m.read_status() and m is not self.root:
                self._end(m, now)
        waiting = [m.read_at + STATUS_MIN_S for m in self.live if m.recheck]
        self.recheck_at = min(waiting, default=math.inf)
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
        sums changed, since an RSS drop brings recheck_at forward)."""
        if now >= self.check_at:
            self._check(now)
        if now >= self.status_at:
            self.status_at = now + STATUS_S
            self._read_status(now, [*self.live])
        elif now >= self.recheck_at:
            due = [m for m in self.live if m.recheck and now >= m.read_at + STATUS_MIN_S]
            self._read_status(now, due)
        return min(self.check_at, self.status_at, self.recheck_at)

    def sample(self) -> tuple[int, int, int, int, int, int] | None:
        """Sums (rss, size, data, hwm, swap, nprocs) in kB over the live tree; None once the root
        has ended. The hot path: statm is parsed inline, and only when some member's changed;
        the status figures are kept as sums. Returns the same tuple while nothing changed."""
        live = self.live
        try:
            raw = list(map(os.pread, self.fds, _128, _0))
        except OSError:  # ESRCH: reaped in the middle of the read (a normal end): one by one
            raw = [pread_or_empty(m.statm) for m in live]
        if raw == self.raw:  # no member changed since the last tick: nor did the sums
            return self.sums
        rss = size = data = over = 0
        ended = restated = None
        page = PAGE_KB
        for m, text in zip(live, raw, strict=True):
            if text != m.text:  # parse this member's statm; the others' figures are kept
                v = text.split()
                if not v or v[0] == b"0":  # no memory: a zombie, or exiting
                    if m is self.root:
                        return None
                    ended = [*(ended or ()), m]
                    continue
                r = int(v[1]) * page
                with_stack = int(v[5]) * page
                if with_stack < m.stk:  # VmStk is of the image before an exec: read it again
                    m.read_status()
                    restated = True
                if r < m.rss and not m.recheck:  # the kernel raised VmHWM if that was a peak
                    m.recheck = True
                    self.recheck_at = min(self.recheck_at, m.read_at + STATUS_MIN_S)
                m.text, m.rss, m.size = text, r, int(v[0]) * page
                # the stack may have grown between the statm and the status read: never below 0
                m.data = with_stack - m.stk if with_stack > m.stk else 0
                m.over = r - m.hwm if r > m.hwm else 0
                if r > m.peak:
                    m.peak = r
            rss += m.rss
            size += m.size
            data += m.data
            over += m.over
        self.raw = raw
        if ended:
            now = time.monotonic()
            for m in ended:
                self._end(m, now)
        elif restated:
            self._sum_status()
        self.sums = rss, size, data, self.hwm_kb + over, self.swap_kb, len(self.live)
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

    def read_last_totals(self, pinned: list[int], root_ended: bool) -> None:
        """Attach mode, at the end: the root's CPU, fault and I/O totals from its stat and io
        files opened while it lived (pinned: their fds, or [] when they could not be opened),
        from its zombie when it is one (waiting up to 0.1 s for it when the root_ended: an
        ending root frees its memory just before it becomes a zombie), and the survivors'."""
        root = self.root
        settle_by = time.monotonic() + 0.1
        with contextlib.suppress(OSError, ValueError, IndexError):  # reaped meanwhile: keep
            stat_fd, io_fd = pinned
            while True:
                stat = parse_stat(os.pread(stat_fd, 4096, 0))
                if stat["state"] in "ZX" or not root_ended or time.monotonic() > settle_by:
                    break
                time.sleep(0.002)
            root.totals = {**stat, **parse_io(os.pread(io_fd, 4096, 0))}
        for m in self.live:
            if m is not root:
                m.read_totals()

    def members(self) -> list[Member]:
        return [*self.ended, *self.live]

    def settle_hwm(self) -> None:
        """At the end: each member's VmHWM raised to its largest sampled RSS, the kernel's own
        formula (VmHWM is never below RSS). Status is read every STATUS_S, so a process that
        ended before its next read (a short one) has a VmHWM from before its peak."""
        for m in self.members():
            m.hwm = max(m.hwm, m.peak)

    def close(self) -> None:
        for m in self.live:
            m.close()
        self.live = []
        if self.loadavg is not None:
            os.close(self.loadavg)
            self.loadavg = None
