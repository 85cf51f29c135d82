"""One sampling run: its settings, its state in one object, the tick loop, and what it saw (a
contract.Seen, which sampling/summary.py turns into the summary's figures).

The engine behind scripts/sampler.py (its command line) and scripts/monitor.py (the
workflow's wrapper, which runs it in-process). Standard library only:

    >>> run = Run(Settings(command=["sleep", "0.1"], out=os.devnull), Messages(quiet=True))
    >>> summary, status = run.execute()
    >>> summary["samples"] > 5, summary["exit_code"], status
    (True, 0, 0)
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import time

from sampling import procfs, proctree
from sampling import summary as sampler_summary
from sampling.contract import (
    KILL_GRACE_S,
    SUMMARY_KEYS,
    Messages,
    SamplerError,
    Seen,
    Settings,
    Trace,
)
from sampling.guardian import Guardian, GuardianError, Launch

FLUSH_S = 0.5  # the trace is written out at least this often
SLOW_S = 0.1  # cgroup usage (and, in attach mode, CPU and I/O) are read this often
STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
WAKE_SIGNAL = signal.SIGUSR1  # the guardian's word that the command has exited
CHUNK_S = 0.05  # at longer intervals the sampler sleeps in chunks, to react to signals soon
TREE_SMAPS_S = 0.1  # PSS of a run with more than one process is read this often (see docs)


class Run:
    """One run of the sampler: settings, what it started, and what it has seen so far."""

    def __init__(self, settings: Settings, messages: Messages):
        self.s, self.say = settings, messages
        self.mode = "attach" if settings.pid is not None else "launch"
        self.interval = settings.interval_ms / 1000
        self.trace = self.tree = self.guardian = self.cgroup = None
        self.t0 = time.monotonic()
        self.timeout_at = self.t0 + settings.timeout_s if settings.timeout_s else math.inf
        self.kill_at = math.inf  # when the command's process group gets SIGKILL
        self.control_at = 0.0  # when control() wants to run next
        self.signals = []  # stop signals the sampler itself received
        self.forwarded = False  # whether the first one was passed on to the command
        self.seen = Seen()  # what the run saw: the record the summary's figures come from
        self.cgroup_split = None
        self.cgroup_high = -1
        self.smaps_s = settings.smaps_interval_ms / 1000  # 0: only while the tree has 2+
        self.smaps_at = self.counters_at = self.slow_at = 0.0  # when the slow readings are due
        self.flush_at = 0.0
        self.pinned = []  # attach: the root's stat and io, opened while it lives
        self.root_ended = False  # whether sampling stopped because the root had ended
        self.summary = sampler_summary.static_keys(settings, self.mode)

    # --- the run, start to end -----------------------------------------------------------------

    def execute(self) -> tuple[dict, int]:
        """Start (or attach), sample until the end, and return (summary, exit status); the
        summary has every key of SUMMARY_KEYS (None where the run did not produce it)."""
        if self.mode == "attach":
            try:
                procfs.check_process(self.s.pid)  # before any file is made
            except procfs.ProcError as e:
                raise SamplerError(str(e), 2) from None
            self.summary["command"] = procfs.cmdline(self.s.pid)
        self.trace = Trace(self.s.out)
        previous = {s: signal.signal(s, self._on_signal) for s in (*STOP_SIGNALS, WAKE_SIGNAL)}
        try:
            if self.mode == "launch":
                if not self._launch():
                    return self._complete(), 127
            else:
                self._attach()
            self._loop()
            self._flush()
            self._finish(time.monotonic())
            self.trace.close()
        finally:
            self._clean_up(previous)
        return self._complete(), self._exit_status()

    def _complete(self) -> dict:
        return {key: self.summary.get(key) for key in SUMMARY_KEYS}

    def _on_signal(self, signum: int, _frame) -> None:
        """A stop signal is noted (control() acts on it); any signal, the guardian's word that
        the command exited included, makes the loop look again before its next deadline."""
        if signum != WAKE_SIGNAL:
            self.signals.append(signum)
        self.control_at = 0.0

    def _launch(self) -> bool:
        """Start the command under a guardian; False when it cannot start (exit 127)."""
        s = self.s
        limit = s.memory_limit_mb * 1024 * 1024 if s.memory_limit_mb else None
        if s.enforce == "cgroup":
            from sampling import cgroups  # only here: importing it costs every other run 4 ms

            try:
                self.cgroup = cgroups.Cgroup.create(limit)
            except cgroups.CgroupError as e:
                raise SamplerError(str(e), 2) from None
        launch = Launch(s.stdin, s.stdout, s.stderr, self.cgroup, None, self.say.error)
        if s.enforce == "rlimit":
            launch.rlimit_bytes = limit
        env = {**os.environ, **s.env}
        try:
            self.guardian = Guardian.start(s.command, env, launch)
        except OSError as e:
            self.say.error(f"cannot run {s.command[0]!r}: {e.strerror or e}")
            self.summary.update(exit_code=127, pid=None, end="not started")
            self.summary.update(sampler_summary.sampled(self._seen(None), self.summary))
            return False
        except GuardianError as e:
            raise SamplerError(str(e)) from None
        pid = self.guardian.command_pid
        self.t0 = self.guardian.spawned_at  # the trace's time 0: just before the command's fork
        self.timeout_at = self.t0 + s.timeout_s if s.timeout_s else math.inf
        self.summary["pid"] = pid
        self.tree = proctree.Tree(pid, s.children, guardian=self.guardian.pid)
        return True

    def _attach(self) -> None:
        pid = self.s.pid
        self.summary["pid"] = pid
        try:
            self.tree = proctree.Tree(pid, self.s.children)
        except procfs.ProcError as e:
            raise SamplerError(str(e), 2) from None
        try:  # else the exit status and totals come from the tree
            self.pinned = [os.open(f"/proc/{pid}/{n}", procfs.O_READ) for n in ("stat", "io")]
        except OSError as e:
            for fd in self.pinned:
                os.close(fd)
            self.pinned = []
            self._note(
                f"CPU, faults and I/O unknown: /proc/{pid}/io cannot be read ({e.strerror}): "
                "the process is another user's; attach as root or as its owner to have them"
            )
        self.t0 = time.monotonic()

    def _note(self, text: str) -> None:
        """A fact about the run a reader of its figures needs: warned now, kept in `notes`."""
        self.say.warn(text)
        self.summary["notes"] = [*(self.summary.get("notes") or []), text]

    def _clean_up(self, previous: dict) -> None:
        """Whatever happened: nothing of the run left running, every file closed."""
        if self.guardian is not None:  # an error ended the run early: kill everything
            with contextlib.suppress(GuardianError, OSError):
                self.guardian.finish()
        if self.cgroup is not None:
            warning = self.cgroup.remove()
            if warning:
                self.say.warn(warning)
        for fd in self.pinned:
            os.close(fd)
        if self.tree is not None:
            self.tree.close()
        if self.trace is not None:
            self.trace.close(flush=False)
        for s, handler in previous.items():
            signal.signal(s, handler)

    def _exit_status(self) -> int:
        if self.signals:
            return 128 + self.signals[0]
        if self.mode == "launch":
            return self.summary["exit_code"]
        return 0

    # --- the tick loop -------------------------------------------------------------------------

    def _loop(self) -> None:
        """Sample at base + k * interval until the root ends or control() says stop.

        A tick reached a whole interval or more after its deadline is skipped and counted in
        missed_ticks, never made up with a burst of samples; one reached less late is taken
        late, and the next stays on the grid. Signals (and the guardian's word that the command
        exited) set control_at to 0, so control() runs before the next deadline; sleeps longer
        than CHUNK_S are cut in chunks so that this happens soon. This is the hot path: every
        line costs microseconds with the caches cold after a sleep, so locals stand in for
        attributes, the periodic work waits behind one comparison (due), and a tick whose sums
        did not change (Tree.sample returns the same tuple) reuses the end of the previous row.
        """
        tree, interval, t0, mono = self.tree, self.interval, self.t0, time.monotonic
        append, sleep = self.trace.rows.append, time.sleep
        quiet = self.say.quiet
        poll = None if self.s.phases is None else self.s.phases.poll  # the program's new lines
        peak_rss = peak_size = peak_data = prev = tail = None
        printed = -1024
        now = base = mono()
        tick, due = 0, 0.0
        if self._control(now):
            while True:
                if now >= due:
                    due = self._periodic(now)
                if poll is not None:
                    poll(now - t0)
                sums = tree.sample()
                if sums is None:
                    self.root_ended = True
                    break
                if sums is not prev:
                    prev = sums
                    rss, size, data, hwm, swap, n = sums
                    tail = f",{rss},{size},{data},{hwm},{swap},{n}\n"
                    if peak_rss is None or rss > peak_rss:
                        peak_rss, self.seen.peak_time = rss, now - t0
                        if not quiet and rss >= printed + 1024:
                            printed = rss
                            self.say.info(f"[{now - t0:8.3f} s] peak RSS {rss / 1024:.1f} MiB")
                    peak_size = size if peak_size is None else max(size, peak_size)
                    peak_data = data if peak_data is None else max(data, peak_data)
                    due = min(due, tree.recheck_at)
                append(f"{now - t0:.6f}{tail}")
                tick += 1
                deadline = base + tick * interval
                now = mono()
                if now < deadline and deadline - now < CHUNK_S and deadline < self.control_at:
                    sleep(deadline - now)  # the common case: one sleep to the deadline
                    now = mono()
                if now < deadline or now >= self.control_at:
                    now = self._wait(deadline)
                    if now is None:
                        break
                if now - deadline >= interval:
                    late = int((now - deadline) / interval)
                    self.seen.missed += late
                    tick += late
        seen = self.seen
        seen.peak_rss, seen.peak_size, seen.peak_data = peak_rss, peak_size, peak_data

    def _wait(self, deadline: float) -> float | None:
        """Sleep to the deadline in chunks, running control() when it is due; the time then,
        or None when sampling should stop."""
        while True:
            now = time.monotonic()
            if now >= self.control_at and not self._control(now):
                return None
            if now >= deadline:
                return now
            time.sleep(min(deadline, self.control_at, now + CHUNK_S) - now)

    def _periodic(self, now: float) -> float:
        """The work due at some ticks only; returns when some is due next."""
        tree_due = self.tree.housekeeping(now)
        if not self.smaps_s and self.slow_at == math.inf and len(self.tree.live) > 1:
            self.slow_at = now  # a second process: PSS from now on (see _smaps_every)
        if now >= self.slow_at:
            self._slow(now)
        if now >= self.flush_at:
            self._flush()
            self.flush_at = now + FLUSH_S
        return min(tree_due, self.slow_at, self.flush_at)

    def _flush(self) -> None:
        """Fold the rows' times into the interval histogram, and write the rows out."""
        rows, hist, last = self.trace.rows, self.seen.hist, self.seen.last
        for row in rows:
            t = float(row[: row.index(",")])
            if last is not None:
                hist[round((t - last) * 1e6)] += 1
            last = t
        if rows and self.seen.first is None:
            self.seen.first = float(rows[0][: rows[0].index(",")])
        self.seen.samples += len(rows)
        self.seen.last = last
        self.trace.flush()

    def _control(self, now: float) -> bool:
        """Signals, the timeout and the kill timer; False when sampling should stop."""
        if self.mode == "attach":
            if self.signals:
                return False
            if now >= self.timeout_at:
                self.seen.timed_out = True
                return False
            self.control_at = self.timeout_at
            return True
        pid = self.summary["pid"]
        if self.signals and not self.forwarded:
            # Interrupted: the command's group gets the same signal, SIGKILL after a grace time.
            self.forwarded = True
            _killpg(pid, self.signals[0])
            self.kill_at = min(self.kill_at, now + KILL_GRACE_S)
        if len(self.signals) > 1:  # asked twice: do not wait
            self.kill_at = min(self.kill_at, now)
        if now >= self.timeout_at and not self.seen.timed_out:
            self.seen.timed_out = True
            self.kill_at = min(self.kill_at, now + KILL_GRACE_S)
            self.say.info(f"timeout after {self.s.timeout_s:g} s: SIGTERM to the command's group")
            _killpg(pid, signal.SIGTERM)
        if now >= self.kill_at:
            self.say.info("SIGKILL to the command's process group")
            _killpg(pid, signal.SIGKILL)
            self.kill_at = math.inf
        self.control_at = min(math.inf if self.seen.timed_out else self.timeout_at, self.kill_at)
        return True

    def _slow(self, now: float) -> None:
        """Readings taken at a lower rate than the samples: smaps_rollup every smaps interval;
        every SLOW_S the cgroup's charge and, in attach mode, the CPU, fault and I/O figures."""
        smaps_s = self._smaps_every()
        if smaps_s and now >= self.smaps_at:
            self.smaps_at = now + smaps_s
            uss, pss = self.tree.smaps()
            seen = self.seen
            seen.peak_uss = uss if seen.peak_uss is None else max(uss, seen.peak_uss)
            seen.peak_pss = pss if seen.peak_pss is None else max(pss, seen.peak_pss)
        counters = self.cgroup is not None or self.mode == "attach"
        if counters and now >= self.counters_at:
            self.counters_at = now + SLOW_S
            if self.cgroup is not None:
                usage = self.cgroup.usage_kb()
                if usage is not None and usage > self.cgroup_high:
                    self.cgroup_high, self.cgroup_split = usage, self.cgroup.split_kb()
            if self.mode == "attach":
                self.tree.read_totals()
        self.slow_at = min(
            self.smaps_at if smaps_s else math.inf,
            self.counters_at if counters else math.inf,
        )

    def _smaps_every(self) -> float:
        """How often smaps_rollup is read now: --smaps-interval-ms, else TREE_SMAPS_S while the
        tree has more than one process (summed RSS then counts shared pages more than once), else
        never (one process keeps the cost of a tick)."""
        return self.s.smaps_interval_ms / 1000 or (TREE_SMAPS_S if len(self.tree.live) > 1 else 0)

    # --- the end -------------------------------------------------------------------------------

    def _finish(self, end: float) -> None:
        """Fill the summary: what the kernel says of the run, then the sampled figures."""
        if self.mode == "launch":
            end = self._finish_launch() or end
        else:
            self._finish_attach()
        seen = self._seen(end)
        self.summary.update(sampler_summary.sampled(seen, self.summary))
        self.summary["end"] = sampler_summary.end_of(seen, self.mode, self.summary.get("exit_code"))

    def _seen(self, end: float | None) -> Seen:
        """The record of what the run saw, completed with the tree's figures; end is when the
        run ended (None: the command never started)."""
        seen, tree = self.seen, self.tree
        seen.start = (
            self.t0 if self.mode == "launch" or seen.first is None else self.t0 + seen.first
        )
        seen.end, seen.signals = end, tuple(self.signals)
        if tree is not None:
            tree.settle_hwm()
            seen.members = [(m.hwm, m.peak) for m in tree.members()]
            seen.most, seen.metrics = tree.most, dict(tree.metrics)
        return seen

    def _finish_launch(self) -> float | None:
        """The guardian's report into the summary; returns when the command exited."""
        image_kb = self.guardian.image_kb
        report, self.guardian = self.guardian.finish(), None
        if report["stopped_by"] and not self.signals:  # memsweep was stopped, not the program
            self.signals.append(report["stopped_by"])
        self.summary.update(sampler_summary.from_guardian(report, image_kb))
        left = report["leftovers"]
        if left and not (self.seen.timed_out or self.signals):
            what = ", ".join(f"{d['pid']} ({d['cmdline'][:60]})" for d in left)
            self.say.warn(f"the command left {len(left)} process(es) running; killed: {what}")
        if report["unkilled"]:
            self.say.warn(f"processes of the run survived SIGKILL: {report['unkilled']}")
        if self.cgroup is not None:
            self.summary.update(sampler_summary.from_cgroup(self.cgroup, self.cgroup_split))
        return report["exited_at"]

    def _finish_attach(self) -> None:
        """The root's last figures (from its zombie, when it is one), and the survivors'."""
        self.tree.read_last_totals(self.pinned, self.root_ended)
        self.summary.update(sampler_summary.from_proc(self.tree.root, self.tree.live))


def _killpg(pgid: int, sig: int) -> None:
    with contextlib.suppress(OSError):  # the group is gone already
        os.killpg(pgid, sig)
