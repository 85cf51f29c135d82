#!/usr/bin/env python3
r"""Demo solver: memsweep's built-in workload, a stand-in for a memory-hungry solver.

It picks a bucket model from its memory limit (or takes one it is given), prints it, reserves a
cache sized from the limit, then grows three hash tables ("buckets") by doubling: each rehash maps
a table twice as large, copies the old one into it and frees the old one, so RSS shows real,
short spikes. Its peak therefore depends on both the limit and the model.

    $ MEMORY_LIMIT_MB=1005 python scripts/demo_solver.py
    Memory limit: 1005 MB
    Bucket sizes: 8M/8M/8M
    Cache: 402.0 MB
    Bucket 1/3: 8M slots, 64.0 MB, 6 rehashes
    Bucket 2/3: 8M slots, 64.0 MB, 6 rehashes
    Bucket 3/3: 8M slots, 64.0 MB, 6 rehashes
    Done: model 8M/8M/8M, limit 1005 MB, tables 192.0 MB, cache 402.0 MB, peak RSS 642.3 MB, 1.64 s

Each step's line is printed as the step begins (the cache's before it is filled, a bucket's
before it grows), so the lines mark the program's phases: solver.phase_pattern
'^(Cache|Bucket \d+/\d+):' makes them memsweep's phases.

Settings (a command-line flag wins over its environment variable):

    MEMORY_LIMIT_MB        --memory-mb N        required, whole MB, 1..16384
    ENABLE_CUSTOM_BUCKETS  (implied by --bucket-model)   0 or 1, default 0
    BUCKET_MODEL           --bucket-model MODEL "NM/NM/NM" with N in 1..64, or "auto";
                                                used only when custom buckets are enabled
    DEMO_SCALE             --scale X            float in (0, 1], default 1.0; multiplies every
                                                byte allocated (tests use 0.02)
    DEMO_HOLD_S            --hold-s S           seconds to hold the tables at the end, default
                                                1.0 (multiplied by the scale)

Automatic model table (without custom buckets):

    limit < 500 MB          2M/4M/2M
    500 <= limit < 1000 MB  4M/8M/4M
    limit >= 1000 MB        8M/8M/8M

so 999 -> 4M/8M/4M and 1000, 1001 -> 8M/8M/8M. "NM" is N * 2**20 slots of 8 bytes. The cache is
40% of the limit. At scale 1 the peak is about 10 MB (interpreter) + 0.4 * limit + the tables +
half of the last table (its final rehash): 8M/8M/8M at 323 MB peaks near 370 MB, over budget,
while 4M/8M/4M peaks near 290 MB. At scale 1 a run takes about 1.2-2 s here.

Bad values print a message naming the value and what is accepted, and exit with status 2.
"""

import argparse
import math
import mmap
import os
import re
import resource
import sys
import time
from dataclasses import dataclass

MIB = 1 << 20
SLOT_BYTES = 8
CACHE_FRACTION = 0.4
MAX_LIMIT_MB = 16384
MAX_BUCKET_M = 64
REHASHES = 6
MIN_TABLE_BYTES = 64 * 1024
PAGE = mmap.PAGESIZE
MODEL_TABLE = ((500, "2M/4M/2M"), (1000, "4M/8M/4M"), (math.inf, "8M/8M/8M"))
MODEL_RE = re.compile(r"(\d+)M/(\d+)M/(\d+)M")


class SettingError(ValueError):
    """A setting with a bad value; the message names the value and what is accepted."""


@dataclass(frozen=True)
class Settings:
    limit_mb: int
    model: str
    custom: bool
    scale: float
    hold_s: float


def select_model(limit_mb: int) -> str:
    """The automatic bucket model for a memory limit (see the module docstring's table)."""
    return next(model for upper, model in MODEL_TABLE if limit_mb < upper)


def parse_limit(text: str | None, source: str) -> int:
    if text is None or not text.strip():
        raise SettingError(f"{source} is required: a memory limit in whole MB, 1..{MAX_LIMIT_MB}")
    value = text.strip()
    if not value.isdigit() or not 1 <= int(value) <= MAX_LIMIT_MB:
        raise SettingError(
            f"{source}={text!r} is not a valid memory limit: expected whole MB, 1..{MAX_LIMIT_MB}"
        )
    return int(value)


def parse_model(text: str, source: str) -> tuple[int, int, int]:
    match = MODEL_RE.fullmatch(text.strip())
    sizes = tuple(int(g) for g in match.groups()) if match else ()
    if not sizes or not all(1 <= n <= MAX_BUCKET_M for n in sizes):
        raise SettingError(
            f"{source}={text!r} is not a bucket model: expected 'auto' or 'NM/NM/NM' "
            f"with N in 1..{MAX_BUCKET_M}, e.g. '4M/8M/4M'"
        )
    return sizes  # type: ignore[return-value]


def parse_flag(text: str | None, source: str) -> bool:
    if text is None or text.strip() in ("", "0"):
        return False
    if text.strip() == "1":
        return True
    raise SettingError(f"{source}={text!r} is not valid: expected 0 or 1")


def parse_number(text: str | None, source: str, default: float, accepts, expected: str) -> float:
    """A float setting: default when unset; SettingError naming it unless accepts(value)."""
    if text is None or not text.strip():
        return default
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not accepts(value):
        raise SettingError(f"{source}={text!r} is not valid: expected {expected}")
    return value


def parse_fraction(text: str | None, source: str, default: float) -> float:
    return parse_number(text, source, default, lambda v: 0 < v <= 1, "a number in (0, 1]")


def parse_seconds(text: str | None, source: str, default: float) -> float:
    return parse_number(text, source, default, lambda v: 0 <= v <= 3600, "seconds in [0, 3600]")


def resolve_settings(args: argparse.Namespace, env: dict[str, str]) -> Settings:
    """Combine flags and environment into Settings; raises SettingError on a bad value."""
    if args.memory_mb is not None:
        limit = parse_limit(args.memory_mb, "--memory-mb")
    else:
        limit = parse_limit(env.get("MEMORY_LIMIT_MB"), "MEMORY_LIMIT_MB")
    if args.bucket_model is not None:
        custom, model_text, source = True, args.bucket_model, "--bucket-model"
    else:
        custom = parse_flag(env.get("ENABLE_CUSTOM_BUCKETS"), "ENABLE_CUSTOM_BUCKETS")
        model_text, source = env.get("BUCKET_MODEL", ""), "BUCKET_MODEL"
        if custom and not model_text.strip():
            raise SettingError("ENABLE_CUSTOM_BUCKETS=1 needs BUCKET_MODEL ('NM/NM/NM' or 'auto')")
    if custom and model_text.strip() == "auto":
        custom = False
    if custom:
        parse_model(model_text, source)
        model = model_text.strip()
    else:
        model = select_model(limit)
    if args.scale is not None:
        scale = parse_fraction(args.scale, "--scale", 1.0)
    else:
        scale = parse_fraction(env.get("DEMO_SCALE"), "DEMO_SCALE", 1.0)
    if args.hold_s is not None:
        hold = parse_seconds(args.hold_s, "--hold-s", 1.0)
    else:
        hold = parse_seconds(env.get("DEMO_HOLD_S"), "DEMO_HOLD_S", 1.0)
    return Settings(limit, model, custom, scale, hold)


def table_sizes(final_bytes: int, rehashes: int = REHASHES) -> list[int]:
    """Page-rounded sizes of a table doubling up to final_bytes (first size >= 64 KiB)."""
    sizes = [final_bytes]
    while len(sizes) <= rehashes and sizes[-1] // 2 >= MIN_TABLE_BYTES:
        sizes.append(sizes[-1] // 2)
    return [max(PAGE, -(-s // PAGE) * PAGE) for s in reversed(sizes)]


def fill(table: mmap.mmap, seed: int) -> None:
    """Write every page of a fresh table (memcpy-speed, 1 MiB at a time)."""
    chunk = bytes([seed & 0xFF]) * MIB
    for offset in range(0, len(table), MIB):
        n = min(MIB, len(table) - offset)
        table[offset : offset + n] = chunk[:n]


def rehash(old: mmap.mmap, new_size: int) -> mmap.mmap:
    """Map a larger table, copy the old entries into every part of it, free the old one."""
    new = mmap.mmap(-1, new_size)
    with memoryview(old) as src:
        for offset in range(0, new_size, len(old)):
            n = min(len(old), new_size - offset)
            new[offset : offset + n] = src[:n]
    old.close()
    return new


def grow_bucket(sizes: list[int], seed: int) -> mmap.mmap:
    """A table filled at sizes[0], then rehashed into each larger size in turn."""
    table = mmap.mmap(-1, sizes[0])
    fill(table, seed)
    for size in sizes[1:]:
        table = rehash(table, size)
    return table


def peak_rss_mb() -> float:
    """This process's RSS high-water mark (VmHWM), else ru_maxrss. ru_maxrss carries over the
    parent's RSS from before exec: forked from an 80 MB pytest, it never reads below 80 MB."""
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run(settings: Settings) -> None:
    start = time.monotonic()
    sizes_m = parse_model(settings.model, "model")
    print(f"Memory limit: {settings.limit_mb} MB", flush=True)
    print(f"Bucket sizes: {settings.model}", flush=True)
    cache_bytes = max(PAGE, int(settings.limit_mb * MIB * CACHE_FRACTION * settings.scale))
    # each step's line is printed as the step begins, so that the lines mark the program's phases
    print(f"Cache: {cache_bytes / MIB:.1f} MB", flush=True)
    cache = mmap.mmap(-1, cache_bytes)
    fill(cache, 0xCA)
    tables = []
    for i, n in enumerate(sizes_m, start=1):
        sizes = table_sizes(int(n * MIB * SLOT_BYTES * settings.scale))
        print(f"Bucket {i}/3: {n}M slots, {sizes[-1] / MIB:.1f} MB, {len(sizes) - 1} rehashes",
              flush=True)  # fmt: skip
        tables.append(grow_bucket(sizes, seed=i))
    time.sleep(settings.hold_s * settings.scale)
    total = sum(len(t) for t in tables) / MIB
    print(
        f"Done: model {settings.model}, limit {settings.limit_mb} MB, tables {total:.1f} MB, "
        f"cache {cache_bytes / MIB:.1f} MB, peak RSS {peak_rss_mb():.1f} MB, "
        f"{time.monotonic() - start:.2f} s",
        flush=True,
    )
    for t in tables:
        t.close()
    cache.close()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0],
        epilog=__doc__[__doc__.index("Settings") :],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--memory-mb", help="memory limit in MB (env MEMORY_LIMIT_MB)")
    parser.add_argument("--bucket-model", help="NM/NM/NM or auto; implies custom buckets")
    parser.add_argument("--scale", help="float in (0, 1] multiplying every allocation")
    parser.add_argument("--hold-s", help="seconds to hold at the end (times the scale)")
    return parser


def main(argv: list[str] | None = None, env: dict[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = resolve_settings(args, dict(os.environ) if env is None else env)
    except SettingError as err:
        print(f"demo_solver: error: {err}", file=sys.stderr)
        return 2
    run(settings)
    return 0


if __name__ == "__main__":
    sys.exit(main())
