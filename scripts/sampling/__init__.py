"""The sampler: sample the memory of a command's process tree from /proc (standard library only).

The modules, leaf first (each imports only those above it; this file imports none of them):

- `contract`: what the sampler writes and the types its modules share: the trace's columns, the
  summary's keys, the enforce modes, the settings, the messages, the errors, the trace writer and
  the version. Imports nothing of memsweep.
- `metrics`: the per-run metrics, one entry each: where a figure is read, how a run aggregates
  it, its summary key, its runs.csv column, label and unit.
- `files`: memsweep's one atomic file writer (the analysis uses it too).
- `procfs`: the parsers of /proc files, and small readers.
- `proctree`: the process tree a run follows, and the per-tick read of its memory.
- `cgroups`: memory cgroups for `--enforce cgroup`.
- `guardian`: the process between the sampler and the command.
- `phases`: a run's phases, from the program's output.
- `logcap`: the program's output, capped, into solver.log.
- `tether`: a run's lock, and its end with the campaign's Snakemake.
- `summary`: how what a run saw (engine.Seen) becomes the summary's figures; the summary's file
  and its closing line.
- `engine`: one run: the launch, the tick loop, signals, the end.

The command lines are scripts/sampler.py (the user's) and scripts/monitor.py (the monitor
rule's); docs/sampler.md describes both.
"""
