"""Reading /proc for the sampler: the parsers of its files, and small readers.

Standard library only. The parsers take the raw bytes of one file and return numbers in kB (or
bytes, ticks, counts, as named):

    >>> parse_statm(b"6000 2500 600 1 0 1800 0\\n", page_kb=4)  # pages -> kB
    (10000, 24000, 7200)
    >>> parse_smaps_rollup(b"Rss:  900 kB\\nPss:  700 kB\\nPrivate_Clean: 100 kB\\n"
    ...                    b"Private_Dirty:  500 kB\\n")
    (600, 700)
    >>> parse_fields(b"Name:\\tsh\\nVmHWM:\\t  900 kB\\nThreads:\\t4\\n", (b"Threads", b"VmHWM"))
    (4, 900)

The process tree the sampler follows is in sampling/proctree.py.
"""

from __future__ import annotations

import errno
import os

from sampling import metrics

PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
CLK_TCK = os.sysconf("SC_CLK_TCK")
IO_FIELDS = tuple(m.field for m in metrics.generic("io"))  # what parse_io keeps
O_READ = os.O_RDONLY | os.O_CLOEXEC


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


def parse_fields(data: bytes, names: tuple[bytes, ...]) -> tuple[int, ...]:
    """The numbers of the named fields of /proc/PID/status (a count, or kB); 0 when absent."""
    values = []
    for name in names:
        i = data.find(b"\n" + name + b":")
        if i < 0:
            values.append(0)
            continue
        start = i + len(name) + 2
        end = data.find(b"\n", start)
        values.append(int(data[start : end if end >= 0 else len(data)].split()[0]))
    return tuple(values)


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
    """The IO_FIELDS (bytes) of /proc/PID/io: rchar, wchar, read_bytes, write_bytes."""
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


def pread_or_empty(fd: int) -> bytes:
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
