"""A run's peak: which of its memory figures is the run's peak (peak_mb), and which of them
count every page once, so that a verdict can compare them.

The figures (MB) a run can have: `sampled`, the largest RSS summed over the process tree in a
sample; `VmHWM`, the kernel's high-water mark of the largest process; `PSS`, the tree's
proportional set size (smaps_rollup, read every 100 ms while the tree has more than one process,
or at --smaps-interval-ms); `cgroup`, the peak of the run's memory cgroup. The rules:

- one process: the largest of sampled, VmHWM and ru_maxrss (VmHWM and ru_maxrss are exact, the
  samples can only miss part of it; VmHWM wins a tie). VmHWM is read from /proc while the
  process lives, so a peak reached just before it exits (a run of tens of ms) can miss it;
  ru_maxrss, from wait4 once it ended, cannot, but it also counts the image memsweep forked it
  from: it counts only when larger than that image (maxrss_is_image false);
- more than one process at once: the summed RSS counts a page shared by n processes n times
  (copy-on-write pages after fork), so it is no source; the largest of VmHWM (one process), PSS
  (read at a lower rate than the samples, so it can miss a peak between two readings), ru_maxrss
  (one process, as VmHWM) and the cgroup's peak (exact, shared pages once, but it counts the
  page cache the run brought in);
  with neither PSS nor a cgroup, the summed RSS (an upper bound) as before;
- fewer than MIN_SAMPLES samples, no cgroup and no ru_maxrss beyond the image: no source saw the
  peak (the program may have
  run between two samples): the largest figure seen is kept as peak_mb, a lower bound, with
  peak_source `unseen`, and a verdict gives the bounds.

    >>> choose({"peak_rss_mb": 1110.0, "hwm_mb": 235.0, "peak_pss_mb": 254.0,
    ...         "cgroup_peak_mb": 287.0, "peak_nprocs": 5, "samples": 300})
    ('cgroup', 287.0)
    >>> choose({"peak_rss_mb": 1110.0, "hwm_mb": 235.0, "peak_pss_mb": 254.0,
    ...         "peak_nprocs": 5, "samples": 300})
    ('PSS', 254.0)
    >>> choose({"peak_rss_mb": 0.5, "hwm_mb": 0.5, "peak_nprocs": 1, "samples": 1})
    ('unseen', 0.5)
    >>> choose({"peak_rss_mb": 39.6, "hwm_mb": 39.6, "maxrss_mb": 48.5, "maxrss_is_image": False,
    ...         "peak_nprocs": 1, "samples": 2})
    ('ru_maxrss', 48.5)
    >>> choose({"peak_rss_mb": 3.0, "hwm_mb": 3.0, "maxrss_mb": 11.0, "maxrss_is_image": True,
    ...         "peak_nprocs": 1, "samples": 50})
    ('VmHWM', 3.0)
    >>> once({"peak_rss_mb": 1110.0, "hwm_mb": 235.0, "peak_pss_mb": 254.0,
    ...       "cgroup_peak_mb": 287.0, "peak_nprocs": 5})
    {'PSS': 254.0, 'cgroup': 287.0}
    >>> once({"peak_rss_mb": 1110.0, "hwm_mb": 235.0, "peak_nprocs": 5})
    {'sampled': 1110.0, 'VmHWM': 235.0}
"""

from __future__ import annotations

import math

MIN_SAMPLES = 3  # fewer samples than this, and no cgroup: nothing saw the run's peak
SOURCES = ("sampled", "VmHWM", "PSS", "ru_maxrss", "cgroup", "unseen")  # the values of peak_source


def _known(value) -> bool:
    return value is not None and not (isinstance(value, float) and math.isnan(value))


def is_tree(figures: dict) -> bool:
    """Whether more than one process of the run was alive at once (unknown: no)."""
    n = figures.get("peak_nprocs")
    return _known(n) and n > 1


def choose(figures: dict) -> tuple[str | None, float | None]:
    """(peak_source, peak_mb) from a runs-table row's figures (None, None when it has none)."""
    get = {k: figures.get(k) for k in ("peak_rss_mb", "hwm_mb", "peak_pss_mb", "cgroup_peak_mb")}
    get = {k: v for k, v in get.items() if _known(v)}
    maxrss = figures.get("maxrss_mb") if figures.get("maxrss_is_image") is False else None
    if is_tree(figures) and ("peak_pss_mb" in get or "cgroup_peak_mb" in get):
        sources = {
            "VmHWM": get.get("hwm_mb"),
            "PSS": get.get("peak_pss_mb"),
            "ru_maxrss": maxrss,
            "cgroup": get.get("cgroup_peak_mb"),
        }
    else:
        sources = {
            "VmHWM": get.get("hwm_mb"),
            "ru_maxrss": maxrss,
            "sampled": get.get("peak_rss_mb"),
        }
    known = {name: value for name, value in sources.items() if _known(value)}
    source = max(known, key=known.get) if known else None
    samples = figures.get("samples")
    seen_by_kernel = "cgroup_peak_mb" in get or _known(maxrss)
    if not seen_by_kernel and _known(samples) and samples < MIN_SAMPLES:
        return "unseen", known.get(source)
    return source, known.get(source)


def once(figures: dict) -> dict[str, float]:
    """The run's figures that should agree, by source name: for one process VmHWM, PSS and the
    cgroup's (the sampled peak against VmHWM is the capture check's); for a tree PSS and the
    cgroup's (the summed RSS counts shared pages once per process, VmHWM is one process's), or
    without a PSS reading the summed RSS, VmHWM and the cgroup's."""
    names = {"sampled": "peak_rss_mb", "VmHWM": "hwm_mb", "PSS": "peak_pss_mb",
             "cgroup": "cgroup_peak_mb"}  # fmt: skip
    values = {name: figures.get(key) for name, key in names.items()}
    values = {name: value for name, value in values.items() if _known(value)}
    if not is_tree(figures):
        values.pop("sampled", None)
    elif "PSS" in values:
        values.pop("sampled", None)
        values.pop("VmHWM", None)
    return values
