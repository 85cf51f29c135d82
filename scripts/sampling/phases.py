r"""A run's phases, from the program's own output: which part of the program was running when.

Standard library only (the run wrapper imports it on a compute node). With `solver.phase_pattern`
set, the run wrapper hands the sampler a Reader of the run's solver.log. On every tick, before the
sample, the sampler calls `poll(t)`: one lseek to the file's end says whether the program wrote
anything since the last tick (most ticks: no; an lseek costs about half an empty read), then the
new bytes are read and each complete line matching the pattern is kept as a marker (t, name),
the pattern's group being the name. A line is so timestamped at most one interval after the program
wrote it, if the program does not buffer its output. With the pattern unset there is no Reader
and the sampler calls nothing.

Each marker starts a phase that lasts until the next one or the end of the run; the time before
the first marker is the phase START. After the run, `phase_rows` cuts the trace at the markers:
per phase its start, end, samples, peak and when. A phase's peak is the largest sampled RSS in it,
or VmHWM when the kernel's high-water mark rose during the phase above that (a burst shorter than
the interval, caught by the kernel); peak_source says which.

    >>> rows = phase_rows([(0.02, "load"), (0.04, "solve")],
    ...                   [(0.0, 1024, 1024), (0.01, 1024, 1024), (0.02, 2048, 2048),
    ...                    (0.03, 3072, 3072), (0.04, 1024, 5120), (0.05, 2048, 5120)], 0.06)
    >>> for r in rows:
    ...     print(r["phase"], r["start_s"], r["samples"], r["peak_mb"], r["peak_source"])
    (start) 0.0 2 1.0 sampled
    load 0.02 2 3.0 sampled
    solve 0.04 2 5.0 VmHWM
"""

from __future__ import annotations

import bisect
import io
import os
import re

START = "(start)"  # the phase before the program's first matching line
COLUMNS = ("phase", "order", "start_s", "end_s", "samples", "peak_mb", "peak_time_s", "peak_source")
FILE = "phases.csv"  # in the run folder
CHUNK = 1 << 16  # bytes read at once
MAX_LINE = 1 << 16  # a longer line is matched on its first MAX_LINE bytes


class Reader:
    """The new lines of a log that another process writes, timestamped by the caller's clock."""

    def __init__(self, path: str, pattern: str):
        self.fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        self.search = re.compile(pattern).search
        self.pos = 0  # bytes of the file read so far
        self.partial = b""  # the start of a line not yet ended
        self.markers: list[tuple[float, str]] = []
        fd, lseek, end = self.fd, os.lseek, os.SEEK_END

        def poll(t: float) -> None:
            """Called on every tick: the hot path is one lseek that finds nothing new."""
            if lseek(fd, 0, end) > self.pos:
                self._take(t)

        self.poll = poll

    def finish(self, t: float) -> list[tuple[float, str]]:
        """Read what is left (written when the program ended), end the last line, close the
        file; the markers."""
        if self.fd is not None:
            self._take(t)
            if self.partial:
                self._match(self.partial, t)
                self.partial = b""
            self.close()
        return self.markers

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None

    def _take(self, t: float) -> None:
        parts = []
        while data := os.pread(self.fd, CHUNK, self.pos):
            parts.append(data)
            self.pos += len(data)
        lines = (self.partial + b"".join(parts)).split(b"\n")
        self.partial = lines.pop()[:MAX_LINE]
        for line in lines:
            self._match(line[:MAX_LINE], t)

    def _match(self, line: bytes, t: float) -> None:
        found = self.search(line.decode(errors="replace").rstrip("\r"))
        if found:
            name = (found.group(1) or found.group(0)).strip()
            if name:
                self.markers.append((t, name))


def trace_samples(path: str):
    """(time_s, rss_kb, hwm_kb) of each row of a trace.csv the sampler wrote."""
    import csv  # here and in csv_text: only a run with a phase pattern needs it

    with open(path, newline="") as fh:
        rows = csv.reader(fh)
        header = next(rows)
        t, rss, hwm = (header.index(name) for name in ("time_s", "vmrss_kb", "vmhwm_kb"))
        for row in rows:
            yield float(row[t]), int(row[rss]), int(row[hwm])


def phase_rows(markers: list[tuple[float, str]], samples, end_s: float) -> list[dict]:
    """One row per phase (COLUMNS), in time order: START (when samples precede the first marker,
    or nothing matched), then one per marker. A sample at time t belongs to the last phase that
    started at or before t (a marker seen at a tick precedes that tick's sample)."""
    samples = list(samples)
    starts = [t for t, _ in markers]
    names = [name for _, name in markers]
    if not markers or (samples and samples[0][0] < starts[0]):
        starts, names = [0.0, *starts], [START, *names]
    end_s = max([end_s, *starts])
    rows = [
        {"phase": name, "order": i + (names[0] != START), "start_s": start,
         "end_s": starts[i + 1] if i + 1 < len(starts) else end_s, "samples": 0,
         "peak_mb": None, "peak_time_s": None, "peak_source": None}
        for i, (start, name) in enumerate(zip(starts, names, strict=True))
    ]  # fmt: skip
    sampled = [None] * len(rows)  # (rss, t) of each phase's largest sample
    risen = [None] * len(rows)  # (VmHWM, t) where the kernel's high-water mark rose the most
    hwm_seen = 0
    for t, rss, hwm in samples:
        i = bisect.bisect_right(starts, t) - 1
        rows[i]["samples"] += 1
        if sampled[i] is None or rss > sampled[i][0]:
            sampled[i] = (rss, t)
        if hwm > hwm_seen:  # a new high since the previous sample: in this phase
            hwm_seen = hwm
            risen[i] = (hwm, t)
    for row, top, rise in zip(rows, sampled, risen, strict=True):
        if top is not None:
            source, (kb, t) = "sampled", top
            if rise is not None and rise[0] > kb:
                source, (kb, t) = "VmHWM", rise
            row.update(peak_mb=kb / 1024, peak_time_s=t, peak_source=source)
    return rows


def csv_text(rows: list[dict]) -> str:
    """The rows as phases.csv (an empty cell: no sample in that phase)."""
    import csv

    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for row in rows:
        writer.writerow("" if row[c] is None else _cell(row[c]) for c in COLUMNS)
    return out.getvalue()


def _cell(value) -> str:
    return f"{value:.6f}".rstrip("0").rstrip(".") if isinstance(value, float) else str(value)
