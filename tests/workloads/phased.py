"""A workload in named phases, for the phase tests: before each phase it prints a line naming it
and the time it wrote it (time.monotonic(), the sampler's clock), flushes, then maps that phase's
MiB with MAP_POPULATE (every page resident at once), holds them, and frees them before the next:

    $ python tests/workloads/phased.py load:20 solve:40 write:10 --hold-ms 150
    phase load at 5123.456789
    phase solve at 5123.612345
    phase write at 5123.768901

Each phase's memory is its own, so a change in one phase moves that phase's peak only. The
environment's PHASED_EXTRA="solve:15" adds 15 MiB to the phase `solve` (how a test makes a
variant that differs in one phase). Standard library only; keep sizes to tens of MB.
"""

import argparse
import mmap
import os
import time


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("phases", nargs="+", metavar="NAME:MIB")
    p.add_argument("--hold-ms", type=float, default=150)
    # a pause between a phase's line and its memory: a sample taken in the sampling interval in
    # which the line was written belongs to either phase, so a test that checks each phase's peak
    # to the MB waits longer than an interval
    p.add_argument("--settle-ms", type=float, default=0)
    args = p.parse_args()
    extra = dict(item.split(":") for item in os.environ.get("PHASED_EXTRA", "").split() if item)
    for item in args.phases:
        name, mib = item.split(":")
        size = (int(mib) + int(extra.get(name, 0))) << 20
        print(f"phase {name} at {time.monotonic():.6f}", flush=True)
        time.sleep(args.settle_ms / 1000)
        block = mmap.mmap(-1, size, flags=mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS | mmap.MAP_POPULATE)
        time.sleep(args.hold_ms / 1000)
        block.close()
    time.sleep(args.hold_ms / 1000)


if __name__ == "__main__":
    main()
