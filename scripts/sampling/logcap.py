"""The program's output, capped: a process of its own copies the program's stdout and stderr from
a pipe into solver.log, keeping the first and the last half of the cap and saying in the log how
much it cut between them (standard library only).

    >>> import os, tempfile
    >>> path = os.path.join(tempfile.mkdtemp(), "solver.log")
    >>> cap = LogCap.start(path, max_bytes=10)  # forks the copier
    >>> os.write(cap.fd, b"0123456789abcdefghij")  # the program writes into cap.fd
    20
    >>> cap.finish()  # closes cap.fd; the copier ends when no writer is left
    {'output_bytes': 20, 'output_cut_bytes': 10}
    >>> head, note, tail = open(path).read().splitlines()
    >>> head, note[:53], tail
    ('01234', "[memsweep: 10 bytes of the program's output (20 bytes", 'fghij')

Under the cap, solver.log is the program's output byte for byte. The copier reads the pipe
CHUNK bytes at a time and keeps the tail in a ring file beside the log (the first half goes
straight to the log), so it holds a chunk in memory whatever the program writes. It ignores
SIGINT, SIGTERM and SIGHUP (the program's end, its pipe's end-of-file, ends it) and finishes
early on SIGUSR1 (a writer that could not be killed keeps the pipe open).
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import select
import signal

from sampling import forked

CHUNK = 1 << 20
FINISH_WAIT_S = 10.0  # how long finish() waits for end-of-file before it stops the copier
MIB = 1 << 20


class LogCapError(Exception):
    """The output could not be copied into the log; the message says why."""


class LogCap:
    """The run wrapper's handle on the copier: fd is the pipe's write end for the program."""

    def __init__(self, pid: int, fd: int, report: int):
        self.pid, self.fd, self.report = pid, fd, report

    @classmethod
    def start(cls, path: str, max_bytes: int) -> LogCap:
        """Open (truncate) path and fork the copier (LogCapError if path cannot be written)."""
        try:
            out = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_CLOEXEC, 0o644)
        except OSError as e:
            raise LogCapError(f"cannot write {path}: {e.strerror}") from None
        pipe_r, pipe_w = os.pipe2(os.O_CLOEXEC)
        with contextlib.suppress(OSError, AttributeError):  # fewer wake-ups for a chatty program
            fcntl.fcntl(pipe_w, fcntl.F_SETPIPE_SZ, CHUNK)
        report_r, report_w = os.pipe2(os.O_CLOEXEC)
        pid = forked.start(
            lambda: _copier(path, out, pipe_r, report_w, max_bytes),
            child_closes=(pipe_w, report_r),
            parent_closes=(out, pipe_r, report_w),
        )
        return cls(pid, pipe_w, report_r)

    def finish(self, wait_s: float = FINISH_WAIT_S) -> dict:
        """Close the write end, wait for the copier's report: {output_bytes, output_cut_bytes}.
        After wait_s without end-of-file (a writer that lives on), the copier stops there."""
        with contextlib.suppress(OSError):
            os.close(self.fd)
        ready, _, _ = select.select([self.report], [], [], wait_s)
        if not ready:
            with contextlib.suppress(OSError):
                os.kill(self.pid, signal.SIGUSR1)
        data = b""
        while chunk := os.read(self.report, 4096):
            data += chunk
        os.close(self.report)
        os.waitpid(self.pid, 0)
        report = json.loads(data) if data else {"error": "the copier ended without a report"}
        if "error" in report:
            raise LogCapError(report["error"])
        return report


class _Stop(Exception):
    pass


def _stop(signum, frame):
    raise _Stop


def _copier(path: str, out: int, pipe: int, report: int, max_bytes: int) -> int:
    for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    signal.signal(signal.SIGUSR1, _stop)
    head_max = max_bytes // 2
    tail_max = max_bytes - head_max
    ring_path = os.path.join(os.path.dirname(path), f".{os.path.basename(path)}.tail")
    ring, total, error = None, 0, None
    try:
        while data := os.read(pipe, CHUNK):
            if error is None:  # after a failed write, drain the pipe so the program never blocks
                try:
                    if ring is None and total + len(data) > head_max:
                        ring = os.open(ring_path, os.O_RDWR | os.O_CREAT | os.O_TRUNC, 0o600)
                    _store(out, ring, data, total, head_max, tail_max)
                except OSError as e:
                    error = f"cannot write {path}: {e.strerror}"
            total += len(data)
    except _Stop:
        pass
    cut = max(0, total - max_bytes)
    try:
        if error is None and ring is not None:
            _close_log(out, ring, total - head_max, tail_max, cut, total, head_max)
    except OSError as e:
        error = f"cannot write {path}: {e.strerror}"
    finally:
        os.close(out)
        if ring is not None:
            os.close(ring)
            with contextlib.suppress(OSError):
                os.unlink(ring_path)
    message = {"error": error} if error else {"output_bytes": total, "output_cut_bytes": cut}
    with contextlib.suppress(OSError):  # the run wrapper is gone: nobody to tell
        os.write(report, json.dumps(message).encode())
    return 0


def _write_all(fd: int, data: bytes | memoryview, offset: int | None = None) -> None:
    view = memoryview(data)
    while view:
        done = os.write(fd, view) if offset is None else os.pwrite(fd, view, offset)
        view = view[done:]
        offset = None if offset is None else offset + done


def _store(out: int, ring: int | None, data: bytes, total: int, head_max: int, tail_max: int):
    """data, which follows `total` bytes: its part within the head to the log, the rest to the
    ring file (byte n of the tail at n % tail_max)."""
    view = memoryview(data)
    into_head = max(0, min(len(view), head_max - total))
    if into_head:
        _write_all(out, view[:into_head])
    view, n = view[into_head:], max(0, total - head_max)
    if len(view) > tail_max:  # only the last tail_max bytes can survive
        n += len(view) - tail_max
        view = view[-tail_max:]
    while view:
        at = n % tail_max
        part = view[: tail_max - at]
        _write_all(ring, part, at)
        view, n = view[len(part) :], n + len(part)


def _close_log(out, ring, tail_n, tail_max, cut, total, head_max) -> None:
    """Append the ring's bytes to the log in order, after a note of what was cut, if anything."""
    if cut:
        note = (
            f"\n[memsweep: {cut} bytes of the program's output ({total} bytes in all) were cut "
            f"here; solver.log keeps the first {head_max} and the last {tail_max} "
            "(solver.log_max_mb)]\n"
        )
        _write_all(out, note.encode())
    start = tail_n % tail_max if tail_n > tail_max else 0
    for offset, length in ((start, min(tail_n, tail_max) - start), (0, start)):
        while length > 0:
            data = os.pread(ring, min(CHUNK, length), offset)
            _write_all(out, data)
            offset, length = offset + len(data), length - len(data)
