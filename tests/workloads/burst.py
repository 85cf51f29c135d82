"""A workload with known memory bursts, for the sampler's fidelity tests and benchmark.

Each burst maps --mb MiB of anonymous memory with MAP_POPULATE (so every page is resident at
once), holds it --hold-ms, then unmaps it. After the last burst the workload reads its own VmHWM
from /proc/self/status, prints it, and stays alive --tail-ms so a sampler sees the final state:

    $ python tests/workloads/burst.py --mb 40 --hold-ms 40 --count 3
    burst 1/3: 40 MiB held 40 ms
    burst 2/3: 40 MiB held 40 ms
    burst 3/3: 40 MiB held 40 ms
    VmHWM: 52348 kB

--hold-ms 0 gives a burst much shorter than a 1 s sampling interval: map, populate, unmap.
A mapping that cannot be made (e.g. under RLIMIT_AS) prints `allocation failed: ...` on stderr
and exits 3. Standard library only; keep sizes to tens of MB (page faults are slow here).
"""

import argparse
import mmap
import sys
import time


def read_hwm_kb() -> int:
    """VmHWM of this process, in kB, from /proc/self/status."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    raise RuntimeError("no VmHWM in /proc/self/status")


def burst(mb: float, hold_s: float) -> None:
    """Map mb MiB, all resident at once, hold it hold_s seconds, unmap it."""
    size = int(mb * 1024 * 1024)
    flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE
    m = mmap.mmap(-1, size, flags=flags)
    try:
        if hold_s > 0:
            time.sleep(hold_s)
    finally:
        m.close()


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--mb", type=float, default=40, help="MiB per burst (default 40)")
    p.add_argument("--hold-ms", type=float, default=40, help="how long a burst is held")
    p.add_argument("--count", type=int, default=3, help="number of bursts")
    p.add_argument("--gap-ms", type=float, default=60, help="pause between bursts")
    p.add_argument("--delay-ms", type=float, default=0, help="pause before the first burst")
    p.add_argument("--tail-ms", type=float, default=100, help="stay alive after the last burst")
    a = p.parse_args(argv)

    time.sleep(a.delay_ms / 1000)
    for i in range(a.count):
        if i:
            time.sleep(a.gap_ms / 1000)
        try:
            burst(a.mb, a.hold_ms / 1000)
        except OSError as e:
            print(f"allocation failed: {a.mb:g} MiB: {e.strerror}", file=sys.stderr, flush=True)
            return 3
        print(f"burst {i + 1}/{a.count}: {a.mb:g} MiB held {a.hold_ms:g} ms", flush=True)
    print(f"VmHWM: {read_hwm_kb()} kB", flush=True)
    time.sleep(a.tail_ms / 1000)
    return 0


if __name__ == "__main__":
    sys.exit(main())
