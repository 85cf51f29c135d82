"""A workload that forks: a parent holding --parent-mb MiB starts --children short-lived children,
--alive at a time, each of which maps --child-mb MiB of its own and holds it --hold-ms.

The parent's memory is shared with every child (copy-on-write, never written after the fork), so
the RSS summed over the tree counts it once per child alive, while the tree's memory holds it
once. When all children have ended the parent prints the most memory the tree held at once by
construction (its own VmRSS plus --alive children's maps) and its own VmHWM:

    $ python tests/workloads/forker.py --parent-mb 40 --children 20 --alive 4 --child-mb 5
    children: 20, at most 4 alive
    VmHWM: 49320 kB

Standard library only; keep sizes to tens of MB (page faults are slow here).
"""

import argparse
import mmap
import os
import time


def read_hwm_kb() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def mapped(mb: int) -> mmap.mmap:
    """mb MiB of private anonymous memory, every page written (a MiB at a time: no copy)."""
    m = mmap.mmap(-1, mb << 20, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS)
    chunk = b"x" * (1 << 20)
    for _ in range(mb):
        m.write(chunk)
    return m


def child(mb: int, hold_ms: float) -> None:
    """Map mb MiB, hold it, and leave without Python's clean-up."""
    m = mapped(mb)  # noqa: F841 (held until the exit)
    time.sleep(hold_ms / 1000)
    os._exit(0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--parent-mb", type=int, default=40)
    p.add_argument("--children", type=int, default=20)
    p.add_argument("--alive", type=int, default=4)
    p.add_argument("--child-mb", type=int, default=5)
    p.add_argument("--hold-ms", type=float, default=150)
    a = p.parse_args()
    held = mapped(a.parent_mb)  # noqa: F841 (held until the exit)
    time.sleep(0.1)  # a sample of the parent alone
    alive, started = set(), 0
    while started < a.children or alive:
        while started < a.children and len(alive) < a.alive:
            pid = os.fork()
            if pid == 0:
                child(a.child_mb, a.hold_ms)
            alive.add(pid)
            started += 1
        pid, _ = os.wait()
        alive.discard(pid)
    print(f"children: {a.children}, at most {a.alive} alive", flush=True)
    print(f"VmHWM: {read_hwm_kb()} kB", flush=True)
    time.sleep(0.05)


if __name__ == "__main__":
    main()
